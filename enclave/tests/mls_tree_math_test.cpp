#include "anonify/mls/tree_math.h"

#include "anonify/mls/mls_error.h"

#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using nlohmann::json;
namespace tm = tree_math;

// Compares one optional<uint32> vector entry with what tree math computes (nullopt = throws).
template <typename F>
bool matches(const json& expected, F&& compute) {
  std::optional<uint32_t> actual;
  try {
    actual = compute();
  } catch (const MlsError&) {
    actual = std::nullopt;
  }
  if (expected.is_null()) return !actual.has_value();
  return actual.has_value() && *actual == expected.get<uint32_t>();
}

TEST(MlsVectors, TreeMath) {
  const json vectors = testing::load_mls_vectors("tree-math.json");
  size_t passed = 0;
  for (const json& v : vectors) {
    const uint32_t n = v.at("n_leaves");
    bool ok = tm::node_width(n) == v.at("n_nodes").get<uint32_t>() && tm::root(n) == v.at("root").get<uint32_t>();
    const uint32_t width = tm::node_width(n);
    for (uint32_t i = 0; i < width && ok; ++i) {
      ok = matches(v.at("left")[i], [&] { return tm::left(i); }) &&
           matches(v.at("right")[i], [&] { return tm::right(i); }) &&
           matches(v.at("parent")[i], [&] { return tm::parent(i, n); }) &&
           matches(v.at("sibling")[i], [&] { return tm::sibling(i, n); });
      EXPECT_TRUE(ok) << "n_leaves=" << n << " node=" << i;
    }
    passed += ok ? 1 : 0;
  }
  testing::report_passed("tree-math.json", passed, vectors.size());
}

TEST(MlsTreeMath, DirectPathCopathAndAncestors) {
  // 8 leaves: leaf 2 = node 4; its direct path is 5, 3, 7; copath 6, 1, 11.
  EXPECT_EQ(tm::direct_path(4, 8), (std::vector<NodeIndex>{5, 3, 7}));
  EXPECT_EQ(tm::copath(4, 8), (std::vector<NodeIndex>{6, 1, 11}));
  EXPECT_TRUE(tm::direct_path(7, 8).empty());
  EXPECT_EQ(tm::common_ancestor(0, 6), 3U);
  EXPECT_EQ(tm::common_ancestor(4, 4), 4U);
  EXPECT_EQ(tm::common_ancestor(2, 12), 7U);
  EXPECT_TRUE(tm::in_subtree(3, 6));
  EXPECT_FALSE(tm::in_subtree(3, 8));
  EXPECT_EQ(tm::full_leaf_count(5), 8U);
  EXPECT_EQ(tm::full_leaf_count(1), 1U);
  EXPECT_THROW(tm::parent(7, 8), MlsError);
  EXPECT_THROW(tm::left(2), MlsError);
}

}  // namespace
}  // namespace anonify::mls
