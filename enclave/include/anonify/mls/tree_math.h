// Array-based binary tree arithmetic of RFC 9420 section 4/appendix C.
//
// Leaves sit at even node indices, parents at odd ones. MLS trees always hold a power of two leaves,
// so every node except the root has a parent inside the tree.
#pragma once

#include <cstdint>
#include <vector>

namespace anonify::mls {

using LeafIndex = uint32_t;
using NodeIndex = uint32_t;

namespace tree_math {

// floor(log2(x)) for x > 0; 0 for x == 0.
uint32_t log2(uint32_t x);
// Number of trailing one bits: 0 for leaves.
uint32_t level(NodeIndex x);
// Number of nodes in a tree with `leaves` leaves (0 for an empty tree).
uint32_t node_width(uint32_t leaves);
// Root of a tree with `leaves` leaves (a power of two).
NodeIndex root(uint32_t leaves);

inline bool is_leaf(NodeIndex x) { return (x & 1U) == 0; }
inline NodeIndex leaf_to_node(LeafIndex leaf) { return 2 * leaf; }
inline LeafIndex node_to_leaf(NodeIndex node) { return node / 2; }

// Children of a parent node; calling these on a leaf throws.
NodeIndex left(NodeIndex x);
NodeIndex right(NodeIndex x);
// Parent and sibling in a tree with `leaves` leaves; calling these on the root throws.
NodeIndex parent(NodeIndex x, uint32_t leaves);
NodeIndex sibling(NodeIndex x, uint32_t leaves);

// Ancestors of x from its parent up to and including the root (empty for the root).
std::vector<NodeIndex> direct_path(NodeIndex x, uint32_t leaves);
// Siblings of x and of each direct-path node except the root.
std::vector<NodeIndex> copath(NodeIndex x, uint32_t leaves);
// Lowest node whose subtree holds both x and y.
NodeIndex common_ancestor(NodeIndex x, NodeIndex y);
// True when `descendant` lies in the subtree rooted at `ancestor` (a node is its own descendant).
bool in_subtree(NodeIndex ancestor, NodeIndex descendant);
// Smallest power of two >= n (1 for n == 0).
uint32_t full_leaf_count(uint32_t n);

}  // namespace tree_math
}  // namespace anonify::mls
