#include "anonify/mls/update_path.h"

#include <algorithm>
#include <optional>
#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace tm = tree_math;
namespace {

constexpr const char* kUpdatePathLabel = "UpdatePathNode";

// Resolution of a copath node without the leaves added by the same commit.
std::vector<NodeIndex> filtered_resolution(const RatchetTree& tree, NodeIndex n,
                                           const std::vector<LeafIndex>& excluded) {
  std::vector<NodeIndex> res = tree.resolution(n);
  res.erase(std::remove_if(res.begin(), res.end(),
                           [&](NodeIndex x) {
                             return tm::is_leaf(x) && std::find(excluded.begin(), excluded.end(),
                                                                tm::node_to_leaf(x)) != excluded.end();
                           }),
            res.end());
  return res;
}

// Installs the parent nodes of a path and the parent-hash chain (top-down); returns the parent hash
// the leaf must carry.
Bytes install_path_nodes(RatchetTree& tree, LeafIndex sender, const std::vector<Bytes>& public_keys) {
  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(sender);
  const std::vector<NodeIndex> copath = tree.filtered_copath(sender);
  if (fdp.size() != public_keys.size()) fail(Reason::kInternal, "path length mismatch");
  for (size_t i = 0; i < fdp.size(); ++i) {
    ParentNode p;
    p.encryption_key = public_keys[i];
    tree.set_parent(fdp[i], std::move(p));
  }
  Bytes above;  // parent hash for the node below the current one
  for (size_t i = fdp.size(); i-- > 0;) {
    ParentNode p = *tree.parent(fdp[i]);
    p.parent_hash = above;
    tree.set_parent(fdp[i], p);
    above = tree.parent_hash(fdp[i], copath[i]);
  }
  return above;
}

}  // namespace

void UpdatePathNode::encode(TlsWriter& w) const {
  w.opaque(encryption_key);
  w.vector([&](TlsWriter& inner) {
    for (const HpkeCiphertext& c : encrypted_path_secret) c.encode(inner);
  });
}

UpdatePathNode UpdatePathNode::decode(TlsReader& r) {
  UpdatePathNode n;
  n.encryption_key = r.opaque();
  n.encrypted_path_secret = read_vector<HpkeCiphertext>(r, [](TlsReader& in) { return HpkeCiphertext::decode(in); });
  return n;
}

void UpdatePath::encode(TlsWriter& w) const {
  leaf_node.encode(w);
  w.vector([&](TlsWriter& inner) {
    for (const UpdatePathNode& n : nodes) n.encode(inner);
  });
}

UpdatePath UpdatePath::decode(TlsReader& r) {
  UpdatePath p;
  p.leaf_node = LeafNode::decode(r);
  p.nodes = read_vector<UpdatePathNode>(r, [](TlsReader& in) { return UpdatePathNode::decode(in); });
  return p;
}

namespace {

crypto::hpke::KeyPair key_pair_of(SecretBytes private_key) {
  crypto::hpke::KeyPair keys;
  keys.public_key = hpke_public_key(private_key);
  keys.private_key = std::move(private_key);
  return keys;
}

crypto::hpke::KeyPair node_key_pair(ByteView path_secret) {
  return derive_hpke_key_pair(derive_secret(path_secret, "node"));
}

}  // namespace

TreeKemPrivate::TreeKemPrivate(LeafIndex index, SecretBytes leaf_private_key)
    : TreeKemPrivate(index, key_pair_of(std::move(leaf_private_key))) {}

TreeKemPrivate::TreeKemPrivate(LeafIndex index, crypto::hpke::KeyPair leaf_keys) : index_(index) {
  keys_[tm::leaf_to_node(index)] = std::move(leaf_keys);
}

void TreeKemPrivate::set_path_secret(NodeIndex node, ByteView path_secret) {
  set_node_keys(node, node_key_pair(path_secret));
}

void TreeKemPrivate::set_node_keys(NodeIndex node, crypto::hpke::KeyPair keys) { keys_[node] = std::move(keys); }

const SecretBytes* TreeKemPrivate::private_key(NodeIndex node) const {
  auto it = keys_.find(node);
  return it == keys_.end() ? nullptr : &it->second.private_key;
}

bool TreeKemPrivate::consistent_with(const RatchetTree& tree) const {
  for (const auto& [node, keys] : keys_) {
    if (node >= tree.node_width() || tree.is_blank(node)) return false;
    if (keys.public_key != tree.encryption_key(node)) return false;
  }
  return keys_.count(tm::leaf_to_node(index_)) == 1;
}

void TreeKemPrivate::prune(const RatchetTree& tree) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    const NodeIndex node = it->first;
    const bool keep = node < tree.node_width() && !tree.is_blank(node) &&
                      it->second.public_key == tree.encryption_key(node);
    it = keep ? std::next(it) : keys_.erase(it);
  }
}

void TreeKemPrivate::encode(TlsWriter& w) const {
  w.u32(index_);
  w.vector([&](TlsWriter& inner) {
    for (const auto& [node, keys] : keys_) {
      inner.u32(node);
      inner.opaque(keys.private_key.reveal());
    }
  });
}

TreeKemPrivate TreeKemPrivate::decode(TlsReader& r) {
  TreeKemPrivate p;
  p.index_ = r.u32();
  TlsReader body = r.vector();
  // encode() writes the nodes in increasing order: one encoding per state, so a repeated or
  // out-of-order node (which would silently replace a key) is refused.
  std::optional<NodeIndex> previous;
  while (!body.empty()) {
    const NodeIndex node = body.u32();
    if (previous && node <= *previous) {
      fail(Reason::kMalformed, "TreeKEM private state: node " + std::to_string(node) + " after node " +
                                   std::to_string(*previous) + " (nodes must strictly increase)");
    }
    previous = node;
    p.keys_[node] = key_pair_of(SecretBytes(body.opaque()));
  }
  return p;
}

CreatedPath create_update_path(RatchetTree& tree, LeafIndex sender, LeafNode leaf_template,
                               ByteView signature_private_key, const Bytes& group_id,
                               const ContextForTree& context_for_tree, const std::vector<LeafIndex>& excluded) {
  if (tree.leaf(sender) == nullptr) fail(Reason::kInternal, "update path from a blank leaf");
  tree.blank_direct_path(sender);
  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(sender);
  const std::vector<NodeIndex> copath = tree.filtered_copath(sender);

  crypto::hpke::KeyPair leaf_keys = generate_hpke_key_pair();
  Bytes leaf_public_key = leaf_keys.public_key;
  CreatedPath out;
  out.private_state = TreeKemPrivate(sender, std::move(leaf_keys));

  std::vector<SecretBytes> path_secrets;
  std::vector<Bytes> public_keys;
  SecretBytes path_secret = random_secret(kHashSize);
  for (NodeIndex node : fdp) {
    crypto::hpke::KeyPair node_keys = node_key_pair(path_secret);
    public_keys.push_back(node_keys.public_key);
    out.private_state.set_node_keys(node, std::move(node_keys));
    path_secrets.push_back(path_secret);
    path_secret = derive_secret(path_secret, "path");
  }
  out.commit_secret = std::move(path_secret);

  LeafNode& leaf = leaf_template;
  leaf.encryption_key = std::move(leaf_public_key);
  leaf.source = LeafNodeSource::kCommit;
  leaf.lifetime = Lifetime{};
  leaf.parent_hash = install_path_nodes(tree, sender, public_keys);
  leaf.sign(signature_private_key, group_id, sender);
  tree.set_leaf(sender, leaf);

  const Bytes context = context_for_tree(tree);
  out.path.leaf_node = std::move(leaf);
  for (size_t i = 0; i < fdp.size(); ++i) {
    UpdatePathNode node;
    node.encryption_key = public_keys[i];
    for (NodeIndex target : filtered_resolution(tree, copath[i], excluded)) {
      node.encrypted_path_secret.push_back(
          encrypt_with_label(tree.encryption_key(target), kUpdatePathLabel, context, path_secrets[i]));
    }
    out.path.nodes.push_back(std::move(node));
  }
  return out;
}

void merge_update_path(RatchetTree& tree, LeafIndex sender, const UpdatePath& path, const Bytes& group_id) {
  if (tree.leaf(sender) == nullptr) fail(Reason::kUnknownSender, "update path from blank leaf " + std::to_string(sender));
  tree.blank_direct_path(sender);
  const std::vector<NodeIndex> fdp = tree.filtered_direct_path(sender);
  if (path.nodes.size() != fdp.size()) {
    fail(Reason::kInvalidPath, "update path has " + std::to_string(path.nodes.size()) + " nodes, expected " +
                                   std::to_string(fdp.size()));
  }
  if (path.leaf_node.source != LeafNodeSource::kCommit) fail(Reason::kInvalidPath, "path leaf source is not commit");
  std::vector<Bytes> keys;
  for (const UpdatePathNode& n : path.nodes) keys.push_back(n.encryption_key);
  const Bytes leaf_parent_hash = install_path_nodes(tree, sender, keys);
  if (path.leaf_node.parent_hash != leaf_parent_hash) fail(Reason::kInvalidPath, "leaf parent hash mismatch");
  if (!path.leaf_node.verify(group_id, sender)) fail(Reason::kBadSignature, "update path leaf signature");
  tree.check_new_leaf(path.leaf_node, sender);
  tree.set_leaf(sender, path.leaf_node);
}

ProcessedPath decrypt_update_path(const RatchetTree& merged_tree, LeafIndex sender, const UpdatePath& path,
                                  TreeKemPrivate& receiver, ByteView group_context,
                                  const std::vector<LeafIndex>& excluded) {
  const std::vector<NodeIndex> fdp = merged_tree.filtered_direct_path(sender);
  const std::vector<NodeIndex> copath = merged_tree.filtered_copath(sender);
  const NodeIndex receiver_node = tm::leaf_to_node(receiver.index());
  size_t level = 0;
  while (level < copath.size() && !tm::in_subtree(copath[level], receiver_node)) ++level;
  if (level == copath.size()) fail(Reason::kInvalidPath, "receiver is not below the sender's filtered path");

  const std::vector<NodeIndex> res = filtered_resolution(merged_tree, copath[level], excluded);
  if (path.nodes[level].encrypted_path_secret.size() != res.size()) {
    fail(Reason::kInvalidPath, "path node carries the wrong number of ciphertexts");
  }
  size_t slot = 0;
  while (slot < res.size() && receiver.private_key(res[slot]) == nullptr) ++slot;
  if (slot == res.size()) fail(Reason::kInvalidPath, "no private key for the copath resolution");

  ProcessedPath out;
  out.path_secret = decrypt_with_label(*receiver.private_key(res[slot]), kUpdatePathLabel, group_context,
                                       path.nodes[level].encrypted_path_secret[slot]);
  SecretBytes path_secret = out.path_secret;
  for (size_t i = level; i < fdp.size(); ++i) {
    crypto::hpke::KeyPair keys = node_key_pair(path_secret);
    if (keys.public_key != path.nodes[i].encryption_key) {
      fail(Reason::kInvalidPath, "derived public key differs from the path at node " + std::to_string(fdp[i]));
    }
    receiver.set_node_keys(fdp[i], std::move(keys));
    path_secret = derive_secret(path_secret, "path");
  }
  out.commit_secret = std::move(path_secret);
  receiver.prune(merged_tree);
  return out;
}

}  // namespace anonify::mls
