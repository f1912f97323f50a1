// The ratchet tree shares nodes between copies (copy-on-write chunks): a change to one copy must
// never show in another, and a tree that shrank and grew again must hold blanks where it grew.
#include <gtest/gtest.h>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/ratchet_tree.h"

namespace anonify::mls {
namespace {

namespace tm = tree_math;

const Bytes kGroupId{'c', 'o', 'w'};

LeafNode member_leaf(uint32_t i) {
  const SignatureKeyPair signer = generate_signature_key_pair();
  LeafNode leaf;
  leaf.encryption_key = generate_hpke_key_pair().public_key;
  leaf.signature_key = signer.public_key;
  leaf.credential = Credential::basic(Bytes{static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
  leaf.capabilities = Capabilities::anonify_default();
  leaf.source = LeafNodeSource::kKeyPackage;
  leaf.lifetime = Lifetime{0, UINT64_MAX};
  leaf.sign(signer.private_key, kGroupId, i);
  return leaf;
}

// 200 members: more than three chunks of 64 node slots.
RatchetTree tree_of(uint32_t members) {
  RatchetTree tree(member_leaf(0));
  for (uint32_t i = 1; i < members; ++i) tree.add_leaf(member_leaf(i));
  return tree;
}

TEST(MlsRatchetTreeCopy, ChangesToACopyLeaveTheOriginalUnchanged) {
  const RatchetTree original = tree_of(200);
  const Bytes bytes = original.to_bytes();
  const Bytes hash = original.root_tree_hash();

  RatchetTree copy = original;
  ParentNode p;
  p.encryption_key = generate_hpke_key_pair().public_key;
  copy.set_parent(tm::parent(tm::leaf_to_node(130), copy.leaf_count()), p);
  copy.set_leaf(3, member_leaf(3));
  copy.blank(tm::leaf_to_node(70));
  copy.add_leaf(member_leaf(999));  // takes leaf 70 again, marks it unmerged above
  EXPECT_NE(copy.root_tree_hash(), hash);

  EXPECT_EQ(original.to_bytes(), bytes);
  EXPECT_EQ(original.root_tree_hash(), hash);
  EXPECT_TRUE(original == RatchetTree::from_bytes(bytes));
  EXPECT_FALSE(copy == original);
}

TEST(MlsRatchetTreeCopy, KeyFingerprintsFollowTheCopyTheyBelongTo) {
  const RatchetTree original = tree_of(80);
  RatchetTree copy = original;
  const LeafNode replaced = *original.leaf(5);
  copy.set_leaf(5, member_leaf(5));
  // The copy no longer holds leaf 5's old keys, the original still does.
  EXPECT_NO_THROW(copy.check_new_leaf(replaced, 6));
  EXPECT_FALSE(copy.find_leaf_by_signature_key(replaced.signature_key).has_value());
  EXPECT_EQ(original.find_leaf_by_signature_key(replaced.signature_key), std::optional<LeafIndex>(5));
  try {
    original.check_new_leaf(replaced, 6);
    ADD_FAILURE() << "a reused key must be refused";
  } catch (const MlsError& e) {
    EXPECT_EQ(e.reason(), Reason::kInvalidTree);
  }
}

TEST(MlsRatchetTreeCopy, ATreeThatShrankGrowsBackWithBlanks) {
  RatchetTree tree = tree_of(128);
  const RatchetTree before = tree;
  // Parents in the right half, then remove every right-half member: the tree truncates to 64 leaves.
  ParentNode p;
  p.encryption_key = generate_hpke_key_pair().public_key;
  tree.set_parent(tm::parent(tm::leaf_to_node(100), tree.leaf_count()), p);
  for (LeafIndex l = 127; l >= 64; --l) tree.remove_leaf(l);
  ASSERT_EQ(tree.leaf_count(), 64U);
  tree.add_leaf(member_leaf(500));  // grows to 128 leaves again
  ASSERT_EQ(tree.leaf_count(), 128U);
  for (NodeIndex n = tm::leaf_to_node(65); n < tree.node_width(); ++n) {
    EXPECT_TRUE(tree.is_blank(n)) << "node " << n << " came back after truncation";
  }
  EXPECT_EQ(before.leaf_count(), 128U);
  EXPECT_FALSE(before.is_blank(tm::leaf_to_node(100)));
}

}  // namespace
}  // namespace anonify::mls
