// The lower-severity MLS findings of review 2026-12, each pinned by a test that failed before its
// fix: mls_unprotect's oracle, whole-tree validation on join and commit, and the strict node order
// of the sealed TreeKEM private state.
#include <gtest/gtest.h>

#include "anonify/crypto/random.h"
#include "anonify/mls/group.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tree_validation.h"
#include "anonify/mls/update_path.h"
#include "mls_protocol_node.h"

namespace anonify::mls {
namespace {

using enclave::testing_mls::Node;
using Json = nlohmann::json;

template <typename F>
std::optional<Reason> reason_of(F&& f) {
  try {
    f();
  } catch (const MlsError& e) {
    return e.reason();
  }
  return std::nullopt;
}

// "not host-wrapped" and "does not decrypt" were two answers (invalid_message vs
// authentication_failed): the host could tell which ciphertexts are authentic runtime messages.
TEST(MlsUnprotect, EveryUnopenableMessageGetsTheSameAnswer) {
  testing::TempDir dir_a, dir_b;
  Node a(dir_a.path());
  Node b(dir_b.path());
  enclave::testing_mls::form_two_member_group(a, b);

  const std::string wrapped = a.call("mls_protect", Json{{"data", "0x0102"}})["message"].get<std::string>();
  std::string tampered = wrapped;
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';  // the AEAD tag
  const std::string before = b.mls_fingerprint();
  const Json not_decrypted = b.error("mls_unprotect", Json{{"message", tampered}});
  EXPECT_EQ(b.mls_fingerprint(), before);
  EXPECT_EQ(b.call("mls_unprotect", Json{{"message", wrapped}})["data"], "0x0102");
  const Json replayed = b.error("mls_unprotect", Json{{"message", wrapped}});
  EXPECT_EQ(not_decrypted, replayed);
  EXPECT_EQ(not_decrypted["code"], "invalid_message");
  EXPECT_NE(not_decrypted["message"].get<std::string>().find("not a host-wrapped message"), std::string::npos)
      << not_decrypted.dump();
  // Public framing errors keep their own codes.
  EXPECT_EQ(b.error_code("mls_unprotect", Json{{"message", "0x0001"}}), "decode_error");
}

LeafNode leaf_with_key(Bytes key) {
  LeafNode leaf;
  leaf.encryption_key = std::move(key);
  leaf.signature_key = crypto::random_bytes(32);
  leaf.credential = Credential::basic(crypto::random_bytes(20));
  leaf.capabilities = Capabilities::anonify_default();
  return leaf;
}

GroupContext context_with(ExtensionList extensions = {}) {
  GroupContext c;
  c.group_id = Bytes{1};
  c.extensions = std::move(extensions);
  return c;
}

// Two leaves and their parent (node 1).
RatchetTree two_leaves(Bytes parent_key) {
  RatchetTree tree(leaf_with_key(crypto::random_bytes(32)));
  tree.add_leaf(leaf_with_key(crypto::random_bytes(32)));
  tree.set_parent(1, ParentNode{std::move(parent_key), Bytes{}, {}});
  return tree;
}

TEST(TreeValidation, EncryptionKeysAreUniqueAcrossLeavesAndParents) {
  EXPECT_EQ(reason_of([] { validate_tree(two_leaves(crypto::random_bytes(32)), context_with()); }), std::nullopt);
  RatchetTree tree = two_leaves(crypto::random_bytes(32));
  const Bytes leaf_key = tree.leaf(1)->encryption_key;
  tree.set_parent(1, ParentNode{leaf_key, Bytes{}, {}});  // the parent repeats leaf 1's key
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with()); }), Reason::kInvalidTree);
  RatchetTree same_leaves(leaf_with_key(leaf_key));
  same_leaves.add_leaf(leaf_with_key(crypto::random_bytes(32)));
  LeafNode twin = leaf_with_key(leaf_key);
  same_leaves.set_leaf(1, twin);
  EXPECT_EQ(reason_of([&] { validate_tree(same_leaves, context_with()); }), Reason::kInvalidTree);
}

// A tree of `leaves` members, every parent holding a key (a valid tree).
RatchetTree full_tree(uint32_t leaves) {
  RatchetTree tree(leaf_with_key(crypto::random_bytes(32)));
  for (uint32_t l = 1; l < leaves; ++l) tree.add_leaf(leaf_with_key(crypto::random_bytes(32)));
  for (NodeIndex n = 1; n < tree.node_width(); n += 2) tree.set_parent(n, ParentNode{crypto::random_bytes(32), Bytes{}, {}});
  return tree;
}

// A commit's tree is judged incrementally (validate_commit_tree: what changed, in linear time, no set
// of every key) and must get the whole-tree verdict: random changes of the kinds a commit makes (new
// keys on a path, a new or updated leaf, blanked nodes), some of them repeating a key of the tree or
// of another change, or of the wrong size.
TEST(TreeValidation, ACommitsTreeGetsTheWholeTreeVerdict) {
  const GroupContext context = context_with();
  size_t refused = 0;
  for (int round = 0; round < 300; ++round) {
    const RatchetTree before = full_tree(8);
    ASSERT_EQ(reason_of([&] { validate_tree(before, context); }), std::nullopt);
    RatchetTree after = before;
    const uint8_t pick = crypto::random_bytes(1)[0];
    const auto any_key = [&](uint8_t choice) -> Bytes {
      const NodeIndex donor = crypto::random_bytes(1)[0] % before.node_width();
      if (choice % 5 == 0) return before.encryption_key(donor);  // repeats a key of the tree
      if (choice % 17 == 1) return crypto::random_bytes(33);     // not an X25519 key
      return crypto::random_bytes(32);
    };
    for (int change = 0; change < 1 + pick % 4; ++change) {
      const uint8_t what = crypto::random_bytes(1)[0];
      const NodeIndex n = what % after.node_width();
      if (what % 7 == 0) {
        if (n != 0) after.blank(n);  // a removed leaf or a blanked path node
      } else if (n % 2 == 1) {
        after.set_parent(n, ParentNode{any_key(what >> 3), Bytes{}, {}});
      } else {
        after.set_leaf(n / 2, leaf_with_key(any_key(what >> 3)));
      }
    }
    const std::optional<Reason> whole = reason_of([&] { validate_tree(after, context); });
    const std::optional<Reason> incremental = reason_of([&] { validate_commit_tree(before, after, context, false); });
    EXPECT_EQ(incremental, whole) << "round " << round;
    if (whole) ++refused;
  }
  EXPECT_GT(refused, 20u);  // the repeats and wrong sizes were reached
  EXPECT_LT(refused, 280u);  // and valid changes too
}

TEST(TreeValidation, ACommitChangingTheGroupContextJudgesEveryLeafAgain) {
  const RatchetTree before = full_tree(4);
  RatchetTree without = before;
  LeafNode old_leaf = *before.leaf(3);
  old_leaf.capabilities.extensions.clear();  // an existing member that does not list the policy extension
  without.set_leaf(3, old_leaf);
  const ExtensionList policy{Extension{kAnonifyGroupPolicyExtension, Bytes{1}}};
  // Unchanged leaves are not judged again under an unchanged context...
  EXPECT_EQ(reason_of([&] { validate_commit_tree(without, without, context_with(), false); }), std::nullopt);
  // ...but a context the commit changed must be supported by every leaf.
  EXPECT_EQ(reason_of([&] { validate_commit_tree(without, without, context_with(policy), true); }), Reason::kInvalidTree);
}

TEST(TreeValidation, ParentKeysAreX25519Keys) {
  EXPECT_EQ(reason_of([] { validate_tree(two_leaves(crypto::random_bytes(33)), context_with()); }), Reason::kInvalidTree);
  EXPECT_EQ(reason_of([] { validate_tree(two_leaves(crypto::random_bytes(31)), context_with()); }), Reason::kInvalidTree);
}

TEST(TreeValidation, LeavesHoldBasicCredentialsAndSupportWhatTheGroupUses) {
  RatchetTree tree = two_leaves(crypto::random_bytes(32));
  LeafNode x509 = *tree.leaf(1);
  x509.credential.type = CredentialType::kX509;
  RatchetTree with_x509 = tree;
  with_x509.set_leaf(1, x509);
  EXPECT_EQ(reason_of([&] { validate_tree(with_x509, context_with()); }), Reason::kInvalidTree);

  // The group's policy extension (0xF0A1): our leaves list it, a leaf without it is refused.
  const ExtensionList policy{Extension{kAnonifyGroupPolicyExtension, Bytes{1, 2, 3}}};
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with(policy)); }), std::nullopt);
  LeafNode plain = *tree.leaf(1);
  plain.capabilities.extensions.clear();
  RatchetTree without = tree;
  without.set_leaf(1, plain);
  EXPECT_EQ(reason_of([&] { validate_tree(without, context_with()); }), std::nullopt);
  EXPECT_EQ(reason_of([&] { validate_tree(without, context_with(policy)); }), Reason::kInvalidTree);

  // required_capabilities: extension 0xF0A1, proposal 0x0A0A, credential x509.
  const auto required = [](Bytes ext, Bytes proposals, Bytes credentials) {
    TlsWriter w;
    w.opaque(ext);
    w.opaque(proposals);
    w.opaque(credentials);
    return ExtensionList{Extension{static_cast<uint16_t>(ExtensionType::kRequiredCapabilities), w.take()}};
  };
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with(required(Bytes{0xF0, 0xA1}, {}, {0, 1}))); }), std::nullopt);
  EXPECT_EQ(reason_of([&] { validate_tree(without, context_with(required(Bytes{0xF0, 0xA1}, {}, {}))); }),
            Reason::kInvalidTree);
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with(required({}, Bytes{0x0A, 0x0A}, {}))); }), Reason::kInvalidTree);
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with(required({}, {}, Bytes{0, 2}))); }), Reason::kInvalidTree);
  EXPECT_EQ(reason_of([&] { validate_tree(tree, context_with(required({}, {}, Bytes{0}))); }), Reason::kInvalidTree);

  // A leaf carrying an extension it does not list.
  LeafNode carrying = *tree.leaf(1);
  carrying.extensions.push_back(Extension{0x0B0B, Bytes{}});
  RatchetTree with_carrying = tree;
  with_carrying.set_leaf(1, carrying);
  EXPECT_EQ(reason_of([&] { validate_tree(with_carrying, context_with()); }), Reason::kInvalidTree);
}

// On join: a correctly signed GroupInfo whose tree holds an x509 leaf (its creator's) is refused by
// both PublicGroup::from_group_info and Group::join_external (accepted before).
TEST(TreeValidation, JoinRefusesATreeWithAnotherCredentialType) {
  MemberIdentity creator{Credential::basic(Bytes(20, 1)), generate_signature_key_pair()};
  creator.credential.type = CredentialType::kX509;
  creator.credential.certificates = {Bytes{0x30, 0x00}};
  const Group group = Group::create(Bytes{7}, std::move(creator));
  const Bytes info = group.group_info(true);
  EXPECT_EQ(reason_of([&] { PublicGroup::from_group_info(info, Bytes{}); }), Reason::kInvalidTree);
  CommitOutput out;
  EXPECT_EQ(reason_of([&] {
              Group::join_external(info, Bytes{}, MemberIdentity{Credential::basic(Bytes(20, 2)), generate_signature_key_pair()}, out);
            }),
            Reason::kInvalidTree);
}

// The sealed TreeKEM private state once decoded path keys in any order and let a repeated node
// replace an earlier key (fuzz_mls_codec): one encoding per state now.
TEST(TreeKemPrivateDecode, NodesMustStrictlyIncrease) {
  const auto encoded = [](std::vector<NodeIndex> nodes) {
    TlsWriter w;
    w.u32(0);
    w.vector([&](TlsWriter& inner) {
      for (NodeIndex n : nodes) {
        inner.u32(n);
        inner.opaque(crypto::random_bytes(32));
      }
    });
    return w.take();
  };
  const auto decode = [](const Bytes& bytes) {
    TlsReader r(bytes);
    TreeKemPrivate p = TreeKemPrivate::decode(r);
    r.finish("TreeKemPrivate");
    return p;
  };
  const Bytes good = encoded({0, 1, 3});
  const TreeKemPrivate p = decode(good);
  TlsWriter again;
  p.encode(again);
  EXPECT_EQ(again.take(), good);
  EXPECT_EQ(reason_of([&] { decode(encoded({0, 3, 1})); }), Reason::kMalformed);  // out of order
  EXPECT_EQ(reason_of([&] { decode(encoded({0, 1, 1})); }), Reason::kMalformed);  // repeated
  EXPECT_EQ(reason_of([&] { decode(encoded({0, 0})); }), Reason::kMalformed);
}

}  // namespace
}  // namespace anonify::mls
