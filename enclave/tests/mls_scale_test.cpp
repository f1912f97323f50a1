// A 1,024-member tree: once every parent node is filled, an update costs one HPKE ciphertext per
// level (10 path nodes), and the members below each copath node recover the same commit secret.
#include <map>

#include "anonify/mls/key_schedule.h"
#include "anonify/mls/update_path.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

namespace tm = tree_math;

constexpr uint32_t kMembers = 1024;
constexpr size_t kExpectedPathNodes = 10;  // log2(1024)

TEST(MlsScale, UpdateInAFullTreeOf1024MembersHasALogarithmicPath) {
  const Bytes group_id{'s', 'c', 'a', 'l', 'e'};
  GroupContext context;
  context.group_id = group_id;
  context.epoch = 42;
  const auto context_for = [&](const RatchetTree& t) {
    GroupContext c = context;
    c.tree_hash = t.root_tree_hash();
    return c.to_bytes();
  };

  // Every member: its own signature key and leaf HPKE key.
  RatchetTree tree;
  std::vector<SignatureKeyPair> signers;
  std::map<LeafIndex, TreeKemPrivate> privates;
  for (LeafIndex i = 0; i < kMembers; ++i) {
    signers.push_back(generate_signature_key_pair());
    crypto::hpke::KeyPair keys = generate_hpke_key_pair();
    LeafNode leaf;
    leaf.encryption_key = keys.public_key;
    leaf.signature_key = signers.back().public_key;
    leaf.credential = Credential::basic(Bytes{static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    leaf.capabilities = Capabilities::anonify_default();
    leaf.source = LeafNodeSource::kKeyPackage;
    leaf.lifetime = Lifetime{0, UINT64_MAX};
    leaf.sign(signers.back().private_key, group_id, i);
    const LeafIndex index = i == 0 ? 0 : tree.add_leaf(leaf);
    if (i == 0) tree = RatchetTree(leaf);
    ASSERT_EQ(index, i);
    privates.emplace(i, TreeKemPrivate(i, std::move(keys.private_key)));
  }
  ASSERT_EQ(tree.leaf_count(), kMembers);

  // Fill every parent: each even leaf commits a path and alone knows the keys it just set. The
  // bit-reversed order fills both halves evenly, so no path encrypts to a large blank subtree.
  std::map<NodeIndex, LeafIndex> last_writer;
  constexpr uint32_t kFillers = kMembers / 2;
  for (uint32_t k = 0; k < kFillers; ++k) {
    uint32_t reversed = 0;
    for (uint32_t bit = 1, rbit = kFillers / 2; bit < kFillers; bit <<= 1, rbit >>= 1) {
      if ((k & bit) != 0) reversed |= rbit;
    }
    const LeafIndex i = 2 * reversed;
    CreatedPath created =
        create_update_path(tree, i, *tree.leaf(i), signers[i].private_key, group_id, context_for);
    for (NodeIndex n : tree.filtered_direct_path(i)) last_writer[n] = i;
    privates[i] = std::move(created.private_state);
  }
  for (NodeIndex n = 1; n < tree.node_width(); n += 2) {
    ASSERT_FALSE(tree.is_blank(n)) << "parent " << n << " still blank";
    ASSERT_TRUE(tree.parent(n)->unmerged_leaves.empty());
  }
  ASSERT_TRUE(tree.parent_hashes_valid());

  // One update from leaf 0 in the full tree.
  const LeafIndex sender = 0;
  RatchetTree sender_tree = tree;
  const CreatedPath update =
      create_update_path(sender_tree, sender, *tree.leaf(sender), signers[sender].private_key, group_id, context_for);
  ASSERT_EQ(update.path.nodes.size(), kExpectedPathNodes);
  for (const UpdatePathNode& node : update.path.nodes) {
    EXPECT_EQ(node.encrypted_path_secret.size(), 1U);  // the copath node's resolution is itself
  }
  const size_t encoded = tls_encode(update.path).size();
  std::printf("[ mls scale ] %u members: UpdatePath has %zu nodes, %zu bytes\n", kMembers,
              update.path.nodes.size(), encoded);

  // The holder of each copath node's key recovers the same commit secret.
  RatchetTree receiver_tree = tree;
  merge_update_path(receiver_tree, sender, update.path, group_id);
  EXPECT_EQ(receiver_tree.root_tree_hash(), sender_tree.root_tree_hash());
  const Bytes ctx = context_for(receiver_tree);
  size_t receivers = 0;
  for (NodeIndex copath : tm::copath(tm::leaf_to_node(sender), kMembers)) {
    // A parent's key is held by the member that last wrote it; a leaf holds its own key.
    const LeafIndex holder = tm::is_leaf(copath) ? tm::node_to_leaf(copath) : last_writer.at(copath);
    TreeKemPrivate receiver = privates.at(holder);
    ASSERT_NE(receiver.private_key(copath), nullptr) << "holder " << holder << " of node " << copath;
    const ProcessedPath processed = decrypt_update_path(receiver_tree, sender, update.path, receiver, ctx);
    EXPECT_EQ(processed.commit_secret.reveal(), update.commit_secret.reveal()) << "receiver " << holder;
    ++receivers;
  }
  EXPECT_EQ(receivers, kExpectedPathNodes);
}

}  // namespace
}  // namespace anonify::mls
