#include "anonify/mls/tree_math.h"

#include "anonify/mls/mls_error.h"

namespace anonify::mls::tree_math {

uint32_t log2(uint32_t x) {
  uint32_t k = 0;
  while ((x >> (k + 1)) > 0) {
    ++k;
  }
  return k;
}

uint32_t level(NodeIndex x) {
  uint32_t k = 0;
  while (((x >> k) & 1U) == 1U) {
    ++k;
  }
  return k;
}

uint32_t node_width(uint32_t leaves) { return leaves == 0 ? 0 : 2 * (leaves - 1) + 1; }

NodeIndex root(uint32_t leaves) {
  const uint32_t width = node_width(leaves);
  return (1U << log2(width)) - 1;
}

NodeIndex left(NodeIndex x) {
  const uint32_t k = level(x);
  if (k == 0) {
    fail(Reason::kInternal, "tree_math::left of a leaf");
  }
  return x ^ (1U << (k - 1));
}

NodeIndex right(NodeIndex x) {
  const uint32_t k = level(x);
  if (k == 0) {
    fail(Reason::kInternal, "tree_math::right of a leaf");
  }
  return x ^ (3U << (k - 1));
}

NodeIndex parent(NodeIndex x, uint32_t leaves) {
  if (x == root(leaves) || x >= node_width(leaves)) {
    fail(Reason::kInternal, "tree_math::parent of the root or outside the tree");
  }
  const uint32_t k = level(x);
  const uint32_t b = (x >> (k + 1)) & 1U;
  return (x | (1U << k)) ^ (b << (k + 1));
}

NodeIndex sibling(NodeIndex x, uint32_t leaves) {
  const NodeIndex p = parent(x, leaves);
  return x < p ? right(p) : left(p);
}

std::vector<NodeIndex> direct_path(NodeIndex x, uint32_t leaves) {
  std::vector<NodeIndex> path;
  const NodeIndex r = root(leaves);
  while (x != r) {
    x = parent(x, leaves);
    path.push_back(x);
  }
  return path;
}

std::vector<NodeIndex> copath(NodeIndex x, uint32_t leaves) {
  std::vector<NodeIndex> result;
  if (x == root(leaves)) {
    return result;
  }
  std::vector<NodeIndex> path{x};
  const std::vector<NodeIndex> dp = direct_path(x, leaves);
  path.insert(path.end(), dp.begin(), dp.end() - 1);  // everything but the root
  for (NodeIndex n : path) {
    result.push_back(sibling(n, leaves));
  }
  return result;
}

NodeIndex common_ancestor(NodeIndex x, NodeIndex y) {
  // One node may be an ancestor of the other (RFC 9420 appendix C).
  const uint32_t lx = level(x) + 1;
  const uint32_t ly = level(y) + 1;
  if (lx <= ly && (x >> ly) == (y >> ly)) {
    return y;
  }
  if (ly <= lx && (x >> lx) == (y >> lx)) {
    return x;
  }
  uint32_t k = 0;
  while (x != y) {
    x >>= 1;
    y >>= 1;
    ++k;
  }
  return (x << k) + (1U << (k - 1)) - 1;
}

bool in_subtree(NodeIndex ancestor, NodeIndex descendant) {
  const uint32_t k = level(ancestor);
  const uint32_t span = (1U << k) - 1;  // the subtree covers [ancestor - span, ancestor + span]
  return descendant + span >= ancestor && descendant <= ancestor + span;
}

uint32_t full_leaf_count(uint32_t n) {
  uint32_t width = 1;
  while (width < n) {
    width <<= 1;
  }
  return width;
}

}  // namespace anonify::mls::tree_math
