#include "anonify/mls/ratchet_tree.h"

#include "anonify/mls/mls_error.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
using testing::hex;

bool check_entry(const json& v) {
  const Bytes encoded = hex(v.at("tree"));
  const RatchetTree tree = RatchetTree::from_bytes(encoded);
  bool ok = tree.to_bytes() == encoded;
  EXPECT_TRUE(ok) << "re-encoding differs";
  const json& resolutions = v.at("resolutions");
  const json& hashes = v.at("tree_hashes");
  EXPECT_EQ(resolutions.size(), tree.node_width());
  for (NodeIndex n = 0; n < tree.node_width() && n < resolutions.size(); ++n) {
    const bool node_ok = tree.resolution(n) == resolutions[n].get<std::vector<NodeIndex>>() &&
                         tree.tree_hash(n) == hex(hashes[n]);
    EXPECT_TRUE(node_ok) << "node " << n;
    ok &= node_ok;
  }
  ok &= resolutions.size() == tree.node_width();
  const bool ph = tree.parent_hashes_valid();
  const bool sigs = tree.leaf_signatures_valid(hex(v.at("group_id")));
  EXPECT_TRUE(ph) << "parent hashes";
  EXPECT_TRUE(sigs) << "leaf signatures";
  return ok && ph && sigs;
}

TEST(MlsVectors, TreeValidation) {
  testing::run_vector_file("tree-validation.json", check_entry);
}

TEST(MlsRatchetTree, DetectsTamperedParentHashAndLeafSignature) {
  const json vectors = testing::load_mls_vectors("tree-validation.json");
  ASSERT_FALSE(vectors.empty());
  const json& v = vectors.at(1);  // a full tree of 4 leaves
  RatchetTree tree = RatchetTree::from_bytes(hex(v.at("tree")));
  const Bytes group_id = hex(v.at("group_id"));
  ASSERT_TRUE(tree.parent_hashes_valid());

  RatchetTree forged_parent = tree;
  ParentNode p = *forged_parent.parent(forged_parent.root());
  p.encryption_key[0] ^= 1;
  forged_parent.set_parent(forged_parent.root(), p);
  EXPECT_FALSE(forged_parent.parent_hashes_valid());
  EXPECT_NE(forged_parent.root_tree_hash(), tree.root_tree_hash());

  RatchetTree forged_leaf = tree;
  LeafNode leaf = *forged_leaf.leaf(0);
  leaf.credential.identity.push_back(0x41);
  forged_leaf.set_leaf(0, leaf);
  EXPECT_FALSE(forged_leaf.leaf_signatures_valid(group_id));
  EXPECT_TRUE(tree.leaf_signatures_valid(group_id));
}

TEST(MlsRatchetTree, NewLeavesMustSupportTheSuiteAndBringFreshKeys) {
  const json v = testing::load_mls_vectors("tree-validation.json").at(1);
  const RatchetTree tree = RatchetTree::from_bytes(hex(v.at("tree")));
  LeafNode copy = *tree.leaf(0);
  EXPECT_NO_THROW(tree.check_new_leaf(copy, 0));  // replacing itself
  EXPECT_THROW(tree.check_new_leaf(copy, 1), MlsError);  // another leaf's keys
  copy.encryption_key[0] ^= 1;
  EXPECT_THROW(tree.check_new_leaf(copy, 1), MlsError);  // still the same signature key
  copy.signature_key[0] ^= 1;
  EXPECT_NO_THROW(tree.check_new_leaf(copy, 1));
  copy.capabilities.cipher_suites = {2};
  EXPECT_THROW(tree.check_new_leaf(copy, 1), MlsError);
}

TEST(MlsRatchetTree, RefusesMalformedEncodings) {
  // A blank-only tree, a parent node at a leaf position, and trailing garbage.
  EXPECT_THROW(RatchetTree::from_bytes(Bytes{0x01, 0x00}), MlsError);
  EXPECT_THROW(RatchetTree::from_bytes(Bytes{0x02, 0x01, 0x02}), MlsError);
  EXPECT_THROW(RatchetTree::from_bytes(Bytes{0x00, 0x00}), MlsError);
}

TEST(MlsRatchetTree, AddAndRemoveKeepTheTreeMinimal) {
  LeafNode leaf;
  leaf.encryption_key = Bytes(32, 1);
  leaf.signature_key = Bytes(32, 2);
  RatchetTree tree(leaf);
  for (uint8_t i = 0; i < 4; ++i) {
    leaf.signature_key = Bytes(32, static_cast<uint8_t>(10 + i));
    tree.add_leaf(leaf);
  }
  EXPECT_EQ(tree.leaf_count(), 8U);
  EXPECT_EQ(tree.member_count(), 5U);
  tree.remove_leaf(4);
  EXPECT_EQ(tree.leaf_count(), 4U);
  tree.remove_leaf(1);
  EXPECT_EQ(tree.add_leaf(leaf), 1U);  // leftmost blank is reused
  EXPECT_THROW(tree.remove_leaf(7), MlsError);
}

}  // namespace
}  // namespace anonify::mls
