#include "anonify/mls/update_path.h"

#include "anonify/mls/key_schedule.h"
#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;
namespace tm = tree_math;

struct Fixture {
  RatchetTree tree;
  GroupContext context;  // tree_hash filled per use
  std::map<LeafIndex, TreeKemPrivate> privates;
  std::map<LeafIndex, Bytes> signature_keys;
};

Fixture load(const json& v) {
  Fixture f;
  f.tree = RatchetTree::from_bytes(hex(v.at("ratchet_tree")));
  f.context.group_id = hex(v.at("group_id"));
  f.context.epoch = v.at("epoch");
  f.context.confirmed_transcript_hash = hex(v.at("confirmed_transcript_hash"));
  for (const json& lp : v.at("leaves_private")) {
    const LeafIndex index = lp.at("index");
    TreeKemPrivate priv(index, SecretBytes(hex(lp.at("encryption_priv"))));
    for (const json& ps : lp.at("path_secrets")) {
      priv.set_path_secret(ps.at("node").get<NodeIndex>(), hex(ps.at("path_secret")));
    }
    EXPECT_TRUE(priv.consistent_with(f.tree)) << "leaf " << index << " private state";
    f.privates.emplace(index, std::move(priv));
    f.signature_keys.emplace(index, hex(lp.at("signature_priv")));
  }
  return f;
}

Bytes context_bytes(GroupContext context, const RatchetTree& tree) {
  context.tree_hash = tree.root_tree_hash();
  return context.to_bytes();
}

bool check_update_path(const Fixture& f, const json& u) {
  bool ok = true;
  const LeafIndex sender = u.at("sender");
  const UpdatePath path = tls_decode<UpdatePath>(hex(u.at("update_path")), "update path");
  RatchetTree merged = f.tree;
  merge_update_path(merged, sender, path, f.context.group_id);
  ok &= merged.root_tree_hash() == hex(u.at("tree_hash_after"));
  const Bytes context = context_bytes(f.context, merged);
  for (const auto& [index, original] : f.privates) {
    if (index == sender) continue;
    TreeKemPrivate receiver = original;
    const ProcessedPath processed = decrypt_update_path(merged, sender, path, receiver, context);
    const bool leaf_ok = processed.path_secret.reveal() == hex(u.at("path_secrets")[index]) &&
                         processed.commit_secret.reveal() == hex(u.at("commit_secret")) &&
                         receiver.consistent_with(merged);
    EXPECT_TRUE(leaf_ok) << "sender " << sender << " receiver " << index;
    ok &= leaf_ok;
  }

  // A fresh path from the same sender reaches every other member.
  RatchetTree fresh_tree = f.tree;
  const CreatedPath created = create_update_path(
      fresh_tree, sender, *f.tree.leaf(sender), f.signature_keys.at(sender), f.context.group_id,
      [&](const RatchetTree& t) { return context_bytes(f.context, t); });
  ok &= fresh_tree.parent_hashes_valid() && created.private_state.consistent_with(fresh_tree);
  RatchetTree receiver_tree = f.tree;
  merge_update_path(receiver_tree, sender, created.path, f.context.group_id);
  ok &= receiver_tree.root_tree_hash() == fresh_tree.root_tree_hash();
  const Bytes fresh_context = context_bytes(f.context, fresh_tree);
  for (const auto& [index, original] : f.privates) {
    if (index == sender) continue;
    TreeKemPrivate receiver = original;
    const bool leaf_ok = decrypt_update_path(receiver_tree, sender, created.path, receiver, fresh_context)
                             .commit_secret.reveal() == created.commit_secret.reveal();
    EXPECT_TRUE(leaf_ok) << "fresh path, sender " << sender << " receiver " << index;
    ok &= leaf_ok;
  }
  return ok;
}

TEST(MlsVectors, TreeKem) {
  const json vectors = testing::load_mls_vectors("treekem.json");
  size_t passed = 0;
  size_t total = 0;
  for (const json& v : vectors) {
    if (!testing::is_suite_one(v)) continue;
    ++total;
    const Fixture f = load(v);
    bool ok = true;
    for (const json& u : v.at("update_paths")) ok &= check_update_path(f, u);
    EXPECT_TRUE(ok) << "entry " << total - 1;
    passed += ok ? 1 : 0;
  }
  testing::report_passed("treekem.json", passed, total);
}

TEST(MlsTreeKem, RefusesTamperedPaths) {
  const json vectors = testing::load_mls_vectors("treekem.json");
  ASSERT_FALSE(vectors.empty());
  const json& v = vectors.at(0);
  const Fixture f = load(v);
  const json& u = v.at("update_paths").at(0);
  const LeafIndex sender = u.at("sender");
  const UpdatePath good = tls_decode<UpdatePath>(hex(u.at("update_path")), "update path");

  UpdatePath wrong_key = good;
  wrong_key.nodes.at(0).encryption_key[0] ^= 1;  // breaks the parent-hash chain the leaf signed
  RatchetTree t1 = f.tree;
  EXPECT_THROW(merge_update_path(t1, sender, wrong_key, f.context.group_id), MlsError);

  UpdatePath short_path = good;
  short_path.nodes.pop_back();
  RatchetTree t2 = f.tree;
  EXPECT_THROW(merge_update_path(t2, sender, short_path, f.context.group_id), MlsError);

  RatchetTree t3 = f.tree;
  EXPECT_THROW(merge_update_path(t3, sender, good, Bytes{1, 2, 3}), MlsError);  // leaf signed for another group

  // A ciphertext decrypted under another context fails.
  RatchetTree merged = f.tree;
  merge_update_path(merged, sender, good, f.context.group_id);
  for (const auto& [index, original] : f.privates) {
    if (index == sender) continue;
    TreeKemPrivate receiver = original;
    EXPECT_THROW(decrypt_update_path(merged, sender, good, receiver, Bytes{0}), MlsError);
    break;
  }
}

}  // namespace
}  // namespace anonify::mls
