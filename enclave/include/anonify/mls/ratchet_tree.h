// The public ratchet tree (RFC 9420 sections 4, 7): leaf and parent nodes, blanks, unmerged leaves,
// resolution, the tree hash and the parent-hash chain.
//
// Tree hashes are cached per node. Every mutation goes through a setter that drops the cached hash
// of the node and its ancestors, so a commit rehashes only the changed paths (O(log n) per path),
// not the whole tree.
//
// Copies are cheap: every group operation works on a copy of the epoch state and keeps it only once
// all checks passed. Nodes are immutable and shared between copies, held in chunks of 64 that are
// themselves shared and copied on first write, so copying a tree of n leaves costs O(n/64) pointer
// copies plus two flat arrays (cached hashes, leaf-key fingerprints), and a commit then copies
// only the O(log n) chunks it changes.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "anonify/mls/leaf_node.h"
#include "anonify/mls/tree_math.h"

namespace anonify::mls {

struct ParentNode {
  Bytes encryption_key;
  Bytes parent_hash;
  std::vector<LeafIndex> unmerged_leaves;  // ascending

  void encode(TlsWriter& w) const;
  static ParentNode decode(TlsReader& r);
  bool operator==(const ParentNode& o) const {
    return encryption_key == o.encryption_key && parent_hash == o.parent_hash &&
           unmerged_leaves == o.unmerged_leaves;
  }
};

using Node = std::variant<LeafNode, ParentNode>;

class RatchetTree {
 public:
  RatchetTree() = default;
  // A one-member tree.
  explicit RatchetTree(LeafNode creator);

  // optional<Node> ratchet_tree<V>; the decoded tree is padded with blanks to a power of two leaves.
  // Refuses a tree whose node types do not match their positions or whose last node is blank.
  static RatchetTree decode(TlsReader& r);
  static RatchetTree from_bytes(const Bytes& data);
  // Trailing blank nodes are omitted, as the ratchet_tree extension requires.
  void encode(TlsWriter& w) const;
  Bytes to_bytes() const;

  uint32_t leaf_count() const { return leaf_count_; }
  uint32_t node_width() const { return node_width_; }
  NodeIndex root() const { return tree_math::root(leaf_count_); }

  bool is_blank(NodeIndex n) const;
  const LeafNode* leaf(LeafIndex l) const;
  const ParentNode* parent(NodeIndex n) const;
  // Encryption key of a non-blank node.
  const Bytes& encryption_key(NodeIndex n) const;
  // Number of non-blank leaves.
  uint32_t member_count() const;
  std::optional<LeafIndex> find_leaf_by_signature_key(const Bytes& signature_key) const;
  // RFC 9420 section 7.3 checks for a leaf about to sit at `index`: it supports ciphersuite 1, and
  // its encryption and signature keys appear at no other leaf. Throws MlsError(kInvalidTree).
  void check_new_leaf(const LeafNode& leaf, LeafIndex index) const;
  // The non-blank nodes whose node object is not `before`'s: a tree copied from another shares its
  // unchanged chunks and nodes, so what changed since `before` is found without reading a key.
  std::vector<NodeIndex> nodes_changed_since(const RatchetTree& before) const;
  // A node holding the encryption key of one of `nodes` (other than that node itself), if any; keys
  // are compared only where their digests match, in one pass over the digests of every node.
  std::optional<NodeIndex> find_repeated_key(const std::vector<NodeIndex>& nodes) const;

  void set_leaf(LeafIndex l, LeafNode leaf);
  void set_parent(NodeIndex n, ParentNode parent);
  void blank(NodeIndex n);
  // Adds a leaf at the leftmost blank leaf (extending the tree when full) and records it as unmerged
  // at every non-blank parent on its direct path (section 7.7 Add).
  LeafIndex add_leaf(LeafNode leaf);
  // Blanks a leaf and its direct path, then truncates trailing blank halves (section 7.7 Remove).
  void remove_leaf(LeafIndex l);
  // Blanks the direct path of a leaf (before an UpdatePath is merged).
  void blank_direct_path(LeafIndex l);

  std::vector<NodeIndex> resolution(NodeIndex n) const;
  // Direct-path nodes whose copath child has a non-empty resolution, and those copath children.
  std::vector<NodeIndex> filtered_direct_path(LeafIndex l) const;
  std::vector<NodeIndex> filtered_copath(LeafIndex l) const;

  Bytes root_tree_hash() const { return tree_hash(root()); }
  Bytes tree_hash(NodeIndex n) const;
  // ParentHash(P) computed with `sibling` as P's original sibling (section 7.9).
  Bytes parent_hash(NodeIndex parent_node, NodeIndex sibling) const;
  // Every non-blank parent is parent-hash valid w.r.t. one of its children (section 7.9.2).
  bool parent_hashes_valid() const;
  // Every leaf signature verifies against `group_id` and its index.
  bool leaf_signatures_valid(const Bytes& group_id) const;

  bool operator==(const RatchetTree& o) const;

 private:
  static constexpr uint32_t kChunkNodes = 64;
  using NodePtr = std::shared_ptr<const Node>;  // null = blank
  struct Chunk {
    std::array<NodePtr, kChunkNodes> nodes;
  };
  // Cheap digests of a leaf's encryption and signature keys (0 = blank leaf): check_new_leaf scans
  // these and compares the keys themselves only where a digest matches.
  struct LeafKeyPrint {
    uint64_t encryption = 0;
    uint64_t signature = 0;
  };
  struct CachedHash {
    bool valid = false;
    std::array<uint8_t, 32> value{};
  };

  const Node* node(NodeIndex n) const;
  // Replaces node `n` (copying its chunk first if another tree shares it) and drops stale hashes.
  void put(NodeIndex n, NodePtr node);
  void invalidate(NodeIndex n);
  void resize_leaves(uint32_t leaves);
  Bytes compute_hash(NodeIndex n, const std::vector<LeafIndex>* excluded) const;
  Bytes hash_excluding(NodeIndex n, const std::vector<LeafIndex>& excluded) const;
  const Bytes* node_parent_hash(NodeIndex n) const;

  uint32_t leaf_count_ = 0;
  uint32_t node_width_ = 0;
  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::vector<LeafKeyPrint> leaf_prints_;
  // The same digest of every node's encryption key (0 = blank node), by node index: a commit's new
  // keys are checked against the whole tree in one pass over this array (find_repeated_key).
  std::vector<uint64_t> key_prints_;
  mutable std::vector<CachedHash> hash_cache_;
};

}  // namespace anonify::mls
