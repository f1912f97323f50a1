// FlatMap (flat_map.h): the sorted-vector map of the ledger's and the token's per-account tables must
// behave as the std::map it replaced, on every operation the tables use.
#include "anonify/flat_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>
#include <vector>

namespace anonify {
namespace {

template <typename K, typename V>
std::vector<std::pair<K, V>> items_of(const FlatMap<K, V>& m) {
  return std::vector<std::pair<K, V>>(m.begin(), m.end());
}

template <typename K, typename V>
std::vector<std::pair<K, V>> items_of(const std::map<K, V>& m) {
  return std::vector<std::pair<K, V>>(m.begin(), m.end());
}

// Random operations applied to both: the same contents, in the same (key) order, after each one.
TEST(FlatMap, AgreesWithStdMapOnRandomOperations) {
  std::mt19937 rng(7);
  FlatMap<int, int> flat;
  std::map<int, int> reference;
  for (int step = 0; step < 20000; ++step) {
    const int key = static_cast<int>(rng() % 64);
    const int value = static_cast<int>(rng() % 1000);
    switch (rng() % 5) {
      case 0:
        flat[key] = value;
        reference[key] = value;
        break;
      case 1:
        EXPECT_EQ(flat.erase(key), reference.erase(key));
        break;
      case 2: {
        const auto f = flat.find(key);
        const auto r = reference.find(key);
        ASSERT_EQ(f == flat.end(), r == reference.end());
        if (r != reference.end()) EXPECT_EQ(f->second, r->second);
        EXPECT_EQ(flat.count(key), reference.count(key));
        break;
      }
      case 3: {
        const auto f = flat.emplace_hint(flat.end(), key, value);
        const auto r = reference.emplace_hint(reference.end(), key, value);
        EXPECT_EQ(f->first, r->first);
        EXPECT_EQ(f->second, r->second);  // an existing key keeps its value
        break;
      }
      default:
        ++flat[key];  // operator[] value-initialises a new entry, as std::map's does
        ++reference[key];
    }
    ASSERT_EQ(items_of(flat), items_of(reference)) << "after step " << step;
  }
  EXPECT_EQ(flat.size(), reference.size());
  EXPECT_EQ(flat.empty(), reference.empty());
  if (!reference.empty()) EXPECT_EQ(flat.rbegin()->first, reference.rbegin()->first);
}

// Copies are independent and compare by contents; a decoder's in-order emplace_hint at end()
// appends, and clear() empties.
TEST(FlatMap, CopiesCompareAndRebuildInOrder) {
  FlatMap<std::pair<int, int>, int> a;
  for (int i = 0; i < 10; ++i) a.emplace_hint(a.end(), std::make_pair(i, -i), i * i);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(a.rbegin()->first, std::make_pair(9, -9));
  FlatMap<std::pair<int, int>, int> b = a;
  EXPECT_TRUE(a == b);
  b[{3, -3}] = 0;
  EXPECT_TRUE(a != b);
  EXPECT_EQ(a.find({3, -3})->second, 9);
  b.erase({3, -3});
  EXPECT_EQ(b.find({3, -3}), b.end());
  b.emplace_hint(b.end(), std::make_pair(3, -3), 9);  // not above the last key: inserted in its place
  EXPECT_TRUE(a == b);
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.erase({1, -1}), 0u);
}

}  // namespace
}  // namespace anonify
