#include "anonify/mls/ratchet_tree.h"

#include <algorithm>
#include <string>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace tm = tree_math;
namespace {

enum class NodeType : uint8_t { kLeaf = 1, kParent = 2 };

bool contains(const std::vector<LeafIndex>& set, LeafIndex l) {
  return std::find(set.begin(), set.end(), l) != set.end();
}

// FNV-1a of a key, never 0 (0 marks a blank leaf).
uint64_t key_print(const Bytes& key) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : key) h = (h ^ b) * 1099511628211ULL;
  return h == 0 ? 1 : h;
}

}  // namespace

void ParentNode::encode(TlsWriter& w) const {
  w.opaque(encryption_key);
  w.opaque(parent_hash);
  w.vector([&](TlsWriter& inner) {
    for (LeafIndex l : unmerged_leaves) inner.u32(l);
  });
}

ParentNode ParentNode::decode(TlsReader& r) {
  ParentNode p;
  p.encryption_key = r.opaque();
  p.parent_hash = r.opaque();
  p.unmerged_leaves = read_vector<LeafIndex>(r, [](TlsReader& in) { return in.u32(); });
  return p;
}

RatchetTree::RatchetTree(LeafNode creator) {
  resize_leaves(1);
  set_leaf(0, std::move(creator));
}

RatchetTree RatchetTree::decode(TlsReader& r) {
  TlsReader body = r.vector();
  std::vector<std::optional<Node>> nodes;
  while (!body.empty()) {
    if (!body.present()) {
      nodes.emplace_back();
      continue;
    }
    const uint8_t type = body.u8();
    const bool leaf_position = tm::is_leaf(static_cast<NodeIndex>(nodes.size()));
    if (type == static_cast<uint8_t>(NodeType::kLeaf) && leaf_position) {
      nodes.emplace_back(LeafNode::decode(body));
    } else if (type == static_cast<uint8_t>(NodeType::kParent) && !leaf_position) {
      nodes.emplace_back(ParentNode::decode(body));
    } else {
      fail(Reason::kMalformed, "ratchet tree node " + std::to_string(nodes.size()) + " has type " +
                                   std::to_string(type) + " at the wrong position");
    }
  }
  if (nodes.empty() || !nodes.back().has_value() || !tm::is_leaf(static_cast<NodeIndex>(nodes.size() - 1))) {
    fail(Reason::kMalformed, "ratchet tree must end with a non-blank leaf");
  }
  RatchetTree tree;
  const uint32_t leaves = static_cast<uint32_t>(nodes.size() / 2 + 1);
  tree.resize_leaves(tm::full_leaf_count(leaves));
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i]) tree.put(static_cast<NodeIndex>(i), std::make_shared<const Node>(std::move(*nodes[i])));
  }
  for (NodeIndex n = 0; n < tree.node_width(); ++n) {
    const ParentNode* p = tree.parent(n);
    if (p == nullptr) continue;
    for (LeafIndex l : p->unmerged_leaves) {
      if (!tm::in_subtree(n, tm::leaf_to_node(l)) || l >= tree.leaf_count_) {
        fail(Reason::kInvalidTree, "unmerged leaf " + std::to_string(l) + " outside parent " + std::to_string(n));
      }
    }
  }
  return tree;
}

RatchetTree RatchetTree::from_bytes(const Bytes& data) {
  TlsReader r(data);
  RatchetTree tree = decode(r);
  r.finish("ratchet tree");
  return tree;
}

void RatchetTree::encode(TlsWriter& w) const {
  NodeIndex end = node_width_;
  while (end > 0 && node(end - 1) == nullptr) --end;
  w.vector([&](TlsWriter& inner) {
    for (NodeIndex i = 0; i < end; ++i) {
      const Node* n = node(i);
      if (n == nullptr) {
        inner.u8(0);
        continue;
      }
      inner.u8(1);
      if (const auto* leaf = std::get_if<LeafNode>(n)) {
        inner.u8(static_cast<uint8_t>(NodeType::kLeaf));
        leaf->encode(inner);
      } else {
        inner.u8(static_cast<uint8_t>(NodeType::kParent));
        std::get<ParentNode>(*n).encode(inner);
      }
    }
  });
}

Bytes RatchetTree::to_bytes() const {
  TlsWriter w;
  encode(w);
  return w.take();
}

const Node* RatchetTree::node(NodeIndex n) const {
  if (n >= node_width_) return nullptr;
  return chunks_[n / kChunkNodes]->nodes[n % kChunkNodes].get();
}

std::vector<NodeIndex> RatchetTree::nodes_changed_since(const RatchetTree& before) const {
  std::vector<NodeIndex> changed;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const Chunk* mine = chunks_[c].get();
    const Chunk* theirs = c < before.chunks_.size() ? before.chunks_[c].get() : nullptr;
    if (mine == theirs) continue;  // shared: untouched since the copy
    for (uint32_t i = 0; i < kChunkNodes; ++i) {
      const NodeIndex n = static_cast<NodeIndex>(c * kChunkNodes + i);
      if (n >= node_width_) break;
      const Node* node = mine->nodes[i].get();
      if (node == nullptr) continue;
      const Node* old = theirs != nullptr && n < before.node_width_ ? theirs->nodes[i].get() : nullptr;
      if (node != old) changed.push_back(n);
    }
  }
  return changed;
}

std::optional<NodeIndex> RatchetTree::find_repeated_key(const std::vector<NodeIndex>& nodes) const {
  std::vector<uint64_t> prints;
  prints.reserve(nodes.size());
  for (NodeIndex n : nodes) prints.push_back(key_prints_[n]);
  for (NodeIndex n = 0; n < node_width_; ++n) {
    const uint64_t print = key_prints_[n];
    if (print == 0) continue;  // blank
    for (size_t j = 0; j < nodes.size(); ++j) {
      if (prints[j] == print && nodes[j] != n && encryption_key(nodes[j]) == encryption_key(n)) return n;
    }
  }
  return std::nullopt;
}

bool RatchetTree::is_blank(NodeIndex n) const {
  if (n >= node_width_) fail(Reason::kInternal, "is_blank outside the tree");
  return node(n) == nullptr;
}

bool RatchetTree::operator==(const RatchetTree& o) const {
  if (leaf_count_ != o.leaf_count_) return false;
  for (NodeIndex n = 0; n < node_width_; ++n) {
    const Node* a = node(n);
    const Node* b = o.node(n);
    if ((a == nullptr) != (b == nullptr) || (a != nullptr && !(*a == *b))) return false;
  }
  return true;
}

const LeafNode* RatchetTree::leaf(LeafIndex l) const {
  if (l >= leaf_count_) return nullptr;
  const Node* n = node(tm::leaf_to_node(l));
  return n == nullptr ? nullptr : std::get_if<LeafNode>(n);
}

const ParentNode* RatchetTree::parent(NodeIndex n) const {
  const Node* p = node(n);
  return p == nullptr ? nullptr : std::get_if<ParentNode>(p);
}

const Bytes& RatchetTree::encryption_key(NodeIndex n) const {
  const Node* p = node(n);
  if (p == nullptr) fail(Reason::kInternal, "encryption key of a blank node");
  if (const auto* l = std::get_if<LeafNode>(p)) return l->encryption_key;
  return std::get<ParentNode>(*p).encryption_key;
}

uint32_t RatchetTree::member_count() const {
  uint32_t count = 0;
  for (LeafIndex l = 0; l < leaf_count_; ++l) count += leaf(l) != nullptr ? 1 : 0;
  return count;
}

std::optional<LeafIndex> RatchetTree::find_leaf_by_signature_key(const Bytes& signature_key) const {
  const uint64_t print = key_print(signature_key);
  for (LeafIndex l = 0; l < leaf_count_; ++l) {
    if (leaf_prints_[l].signature != print) continue;
    const LeafNode* node = leaf(l);
    if (node != nullptr && node->signature_key == signature_key) return l;
  }
  return std::nullopt;
}

void RatchetTree::check_new_leaf(const LeafNode& leaf, LeafIndex index) const {
  const std::vector<uint16_t>& suites = leaf.capabilities.cipher_suites;
  if (std::find(suites.begin(), suites.end(), kCipherSuite) == suites.end()) {
    fail(Reason::kInvalidTree, "leaf does not support the group's cipher suite");
  }
  const uint64_t encryption_print = key_print(leaf.encryption_key);
  const uint64_t signature_print = key_print(leaf.signature_key);
  for (LeafIndex l = 0; l < leaf_count_; ++l) {
    if (leaf_prints_[l].encryption != encryption_print && leaf_prints_[l].signature != signature_print) continue;
    const LeafNode* other = this->leaf(l);
    if (l == index || other == nullptr) continue;
    if (other->encryption_key == leaf.encryption_key || other->signature_key == leaf.signature_key) {
      fail(Reason::kInvalidTree, "leaf reuses the key of leaf " + std::to_string(l));
    }
  }
}

void RatchetTree::invalidate(NodeIndex n) {
  hash_cache_[n].valid = false;
  const NodeIndex r = root();
  while (n != r) {
    n = tm::parent(n, leaf_count_);
    hash_cache_[n].valid = false;
  }
}

void RatchetTree::put(NodeIndex n, NodePtr value) {
  std::shared_ptr<Chunk>& chunk = chunks_[n / kChunkNodes];
  if (chunk.use_count() > 1) chunk = std::make_shared<Chunk>(*chunk);  // shared with a copy: copy on write
  if (tm::is_leaf(n)) {
    const auto* l = value ? std::get_if<LeafNode>(value.get()) : nullptr;
    leaf_prints_[tm::node_to_leaf(n)] =
        l == nullptr ? LeafKeyPrint{} : LeafKeyPrint{key_print(l->encryption_key), key_print(l->signature_key)};
  }
  if (!value) {
    key_prints_[n] = 0;
  } else if (const auto* l = std::get_if<LeafNode>(value.get())) {
    key_prints_[n] = key_print(l->encryption_key);
  } else {
    key_prints_[n] = key_print(std::get<ParentNode>(*value).encryption_key);
  }
  chunk->nodes[n % kChunkNodes] = std::move(value);
  invalidate(n);
}

void RatchetTree::resize_leaves(uint32_t leaves) {
  // Growing keeps the nodes; shrinking drops the nodes past the new width (remove_leaf shrinks
  // only once they are blank), so a later growth starts from blanks.
  const uint32_t old_width = node_width_;
  leaf_count_ = leaves;
  node_width_ = tm::node_width(leaves);
  const size_t chunk_count = (node_width_ + kChunkNodes - 1) / kChunkNodes;
  while (chunks_.size() < chunk_count) chunks_.push_back(std::make_shared<Chunk>());
  chunks_.resize(chunk_count);
  const NodeIndex kept_end = std::min<NodeIndex>(old_width, static_cast<NodeIndex>(chunk_count * kChunkNodes));
  for (NodeIndex n = node_width_; n < kept_end; ++n) {
    std::shared_ptr<Chunk>& chunk = chunks_[n / kChunkNodes];
    if (!chunk->nodes[n % kChunkNodes]) continue;
    if (chunk.use_count() > 1) chunk = std::make_shared<Chunk>(*chunk);
    chunk->nodes[n % kChunkNodes].reset();
  }
  leaf_prints_.resize(leaves);
  key_prints_.resize(node_width_);
  hash_cache_.resize(node_width_);
  // The root moved: its cached hash (if any) is stale, and so are the ancestors of every node.
  if (node_width_ > 0) invalidate(root());
}

void RatchetTree::set_leaf(LeafIndex l, LeafNode leaf) {
  if (l >= leaf_count_) fail(Reason::kInternal, "set_leaf outside the tree");
  put(tm::leaf_to_node(l), std::make_shared<const Node>(std::move(leaf)));
}

void RatchetTree::set_parent(NodeIndex n, ParentNode parent) {
  if (n >= node_width_ || tm::is_leaf(n)) fail(Reason::kInternal, "set_parent on a leaf or outside the tree");
  put(n, std::make_shared<const Node>(std::move(parent)));
}

void RatchetTree::blank(NodeIndex n) {
  if (n >= node_width_) fail(Reason::kInternal, "blank outside the tree");
  if (node(n) != nullptr) put(n, nullptr);
}

LeafIndex RatchetTree::add_leaf(LeafNode leaf) {
  LeafIndex index = 0;
  while (index < leaf_count_ && !is_blank(tm::leaf_to_node(index))) ++index;
  if (index == leaf_count_) {
    resize_leaves(leaf_count_ == 0 ? 1 : leaf_count_ * 2);
  }
  set_leaf(index, std::move(leaf));
  for (NodeIndex n : tm::direct_path(tm::leaf_to_node(index), leaf_count_)) {
    const ParentNode* current = parent(n);
    if (current == nullptr) continue;
    ParentNode p = *current;
    p.unmerged_leaves.insert(std::upper_bound(p.unmerged_leaves.begin(), p.unmerged_leaves.end(), index), index);
    set_parent(n, std::move(p));
  }
  return index;
}

void RatchetTree::blank_direct_path(LeafIndex l) {
  for (NodeIndex n : tm::direct_path(tm::leaf_to_node(l), leaf_count_)) blank(n);
}

void RatchetTree::remove_leaf(LeafIndex l) {
  if (leaf(l) == nullptr) fail(Reason::kInvalidProposal, "remove of blank leaf " + std::to_string(l));
  blank(tm::leaf_to_node(l));
  blank_direct_path(l);
  // Truncate while the right half of the tree is entirely blank.
  while (leaf_count_ > 1) {
    bool right_blank = true;
    for (LeafIndex i = leaf_count_ / 2; i < leaf_count_ && right_blank; ++i) {
      right_blank = is_blank(tm::leaf_to_node(i));
    }
    if (!right_blank) break;
    resize_leaves(leaf_count_ / 2);
  }
}

std::vector<NodeIndex> RatchetTree::resolution(NodeIndex n) const {
  if (n >= node_width_) fail(Reason::kInternal, "resolution outside the tree");
  if (node(n) != nullptr) {
    std::vector<NodeIndex> out{n};
    if (const ParentNode* p = parent(n)) {
      for (LeafIndex l : p->unmerged_leaves) out.push_back(tm::leaf_to_node(l));
    }
    return out;
  }
  if (tm::is_leaf(n)) return {};
  std::vector<NodeIndex> out = resolution(tm::left(n));
  const std::vector<NodeIndex> right = resolution(tm::right(n));
  out.insert(out.end(), right.begin(), right.end());
  return out;
}

std::vector<NodeIndex> RatchetTree::filtered_direct_path(LeafIndex l) const {
  std::vector<NodeIndex> out;
  NodeIndex child = tm::leaf_to_node(l);
  for (NodeIndex n : tm::direct_path(child, leaf_count_)) {
    if (!resolution(tm::sibling(child, leaf_count_)).empty()) out.push_back(n);
    child = n;
  }
  return out;
}

std::vector<NodeIndex> RatchetTree::filtered_copath(LeafIndex l) const {
  std::vector<NodeIndex> out;
  NodeIndex child = tm::leaf_to_node(l);
  for (NodeIndex n : tm::direct_path(child, leaf_count_)) {
    const NodeIndex sib = tm::sibling(child, leaf_count_);
    if (!resolution(sib).empty()) out.push_back(sib);
    child = n;
  }
  return out;
}

Bytes RatchetTree::compute_hash(NodeIndex n, const std::vector<LeafIndex>* excluded) const {
  TlsWriter w;
  if (tm::is_leaf(n)) {
    const LeafIndex l = tm::node_to_leaf(n);
    w.u8(static_cast<uint8_t>(NodeType::kLeaf));
    w.u32(l);
    const bool blanked = excluded != nullptr && contains(*excluded, l);
    if (node(n) != nullptr && !blanked) {
      w.u8(1);
      std::get<LeafNode>(*node(n)).encode(w);
    } else {
      w.u8(0);
    }
    return hash(w.bytes());
  }
  w.u8(static_cast<uint8_t>(NodeType::kParent));
  if (const ParentNode* p = parent(n)) {
    w.u8(1);
    if (excluded == nullptr) {
      p->encode(w);
    } else {
      ParentNode trimmed = *p;
      trimmed.unmerged_leaves.erase(std::remove_if(trimmed.unmerged_leaves.begin(), trimmed.unmerged_leaves.end(),
                                                   [&](LeafIndex u) { return contains(*excluded, u); }),
                                    trimmed.unmerged_leaves.end());
      trimmed.encode(w);
    }
  } else {
    w.u8(0);
  }
  if (excluded == nullptr) {
    w.opaque(tree_hash(tm::left(n)));
    w.opaque(tree_hash(tm::right(n)));
  } else {
    w.opaque(hash_excluding(tm::left(n), *excluded));
    w.opaque(hash_excluding(tm::right(n), *excluded));
  }
  return hash(w.bytes());
}

Bytes RatchetTree::tree_hash(NodeIndex n) const {
  if (n >= node_width_) fail(Reason::kInternal, "tree hash outside the tree");
  CachedHash& cached = hash_cache_[n];
  if (!cached.valid) {
    const Bytes computed = compute_hash(n, nullptr);
    static_assert(sizeof(cached.value) == kHashSize, "tree hashes are SHA-256");
    std::copy(computed.begin(), computed.end(), cached.value.begin());
    cached.valid = true;
  }
  return Bytes(cached.value.begin(), cached.value.end());
}

Bytes RatchetTree::hash_excluding(NodeIndex n, const std::vector<LeafIndex>& excluded) const {
  const bool affected = std::any_of(excluded.begin(), excluded.end(),
                                    [&](LeafIndex l) { return tm::in_subtree(n, tm::leaf_to_node(l)); });
  return affected ? compute_hash(n, &excluded) : tree_hash(n);
}

Bytes RatchetTree::parent_hash(NodeIndex parent_node, NodeIndex sibling) const {
  const ParentNode* p = parent(parent_node);
  if (p == nullptr) fail(Reason::kInternal, "parent hash of a blank node");
  TlsWriter w;
  w.opaque(p->encryption_key);
  w.opaque(p->parent_hash);
  w.opaque(hash_excluding(sibling, p->unmerged_leaves));
  return hash(w.bytes());
}

const Bytes* RatchetTree::node_parent_hash(NodeIndex n) const {
  const Node* value = node(n);
  if (value == nullptr) return nullptr;
  if (const auto* l = std::get_if<LeafNode>(value)) {
    return l->source == LeafNodeSource::kCommit ? &l->parent_hash : nullptr;
  }
  return &std::get<ParentNode>(*value).parent_hash;
}

bool RatchetTree::parent_hashes_valid() const {
  for (NodeIndex p = 1; p < node_width_; p += 2) {
    const ParentNode* node = parent(p);
    if (node == nullptr) continue;
    bool valid = false;
    const NodeIndex children[2] = {tm::left(p), tm::right(p)};
    for (int side = 0; side < 2 && !valid; ++side) {
      const NodeIndex child = children[side];
      const NodeIndex sibling = children[1 - side];
      const Bytes expected = parent_hash(p, sibling);
      // P's unmerged leaves under the child must be exactly the child's resolution minus D.
      std::vector<NodeIndex> unmerged_under;
      for (LeafIndex l : node->unmerged_leaves) {
        if (tm::in_subtree(child, tm::leaf_to_node(l))) unmerged_under.push_back(tm::leaf_to_node(l));
      }
      std::sort(unmerged_under.begin(), unmerged_under.end());
      const std::vector<NodeIndex> res = resolution(child);
      for (NodeIndex d : res) {
        const Bytes* ph = node_parent_hash(d);
        if (ph == nullptr || *ph != expected) continue;
        std::vector<NodeIndex> rest;
        for (NodeIndex x : res) {
          if (x != d) rest.push_back(x);
        }
        std::sort(rest.begin(), rest.end());
        if (rest == unmerged_under) {
          valid = true;
          break;
        }
      }
    }
    if (!valid) return false;
  }
  return true;
}

bool RatchetTree::leaf_signatures_valid(const Bytes& group_id) const {
  for (LeafIndex l = 0; l < leaf_count_; ++l) {
    const LeafNode* node = leaf(l);
    if (node != nullptr && !node->verify(group_id, l)) return false;
  }
  return true;
}

}  // namespace anonify::mls
