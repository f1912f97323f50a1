// TreeKEM (RFC 9420 section 7): a member's private keys in the tree, and the UpdatePath that
// refreshes the committer's direct path and delivers the new path secrets to the copath.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/ratchet_tree.h"

namespace anonify::mls {

struct UpdatePathNode {
  Bytes encryption_key;
  std::vector<HpkeCiphertext> encrypted_path_secret;

  void encode(TlsWriter& w) const;
  static UpdatePathNode decode(TlsReader& r);
};

struct UpdatePath {
  LeafNode leaf_node;
  std::vector<UpdatePathNode> nodes;

  void encode(TlsWriter& w) const;
  static UpdatePath decode(TlsReader& r);
};

// The HPKE private keys one member holds: its leaf and the parent nodes it learned path secrets for.
// Each key is kept with its public key, so checking the keys against the tree costs no X25519.
class TreeKemPrivate {
 public:
  TreeKemPrivate() = default;
  TreeKemPrivate(LeafIndex index, SecretBytes leaf_private_key);
  TreeKemPrivate(LeafIndex index, crypto::hpke::KeyPair leaf_keys);

  LeafIndex index() const { return index_; }
  void set_index(LeafIndex index) { index_ = index; }
  // Derives and stores the key of `node` from its path secret.
  void set_path_secret(NodeIndex node, ByteView path_secret);
  // Stores the key pair of `node` (derived by the caller from the node's path secret).
  void set_node_keys(NodeIndex node, crypto::hpke::KeyPair keys);
  const SecretBytes* private_key(NodeIndex node) const;
  // Every stored key matches a non-blank node of `tree` with the corresponding public key.
  bool consistent_with(const RatchetTree& tree) const;
  // Drops keys whose node is now blank, outside the tree, or carries another public key.
  void prune(const RatchetTree& tree);

  void encode(TlsWriter& w) const;
  static TreeKemPrivate decode(TlsReader& r);

 private:
  LeafIndex index_ = 0;
  std::map<NodeIndex, crypto::hpke::KeyPair> keys_;
};

// Returns the serialized provisional GroupContext for the tree after the path is merged.
using ContextForTree = std::function<Bytes(const RatchetTree& merged_tree)>;

struct CreatedPath {
  UpdatePath path;
  SecretBytes commit_secret;
  TreeKemPrivate private_state;  // the committer's keys after the commit
};

// Committer side: blanks the direct path of `sender`, installs fresh keys on its filtered direct
// path with the parent-hash chain, re-signs `leaf_template` (source commit) and encrypts each path
// secret to the copath resolution (skipping `excluded` leaves, i.e. members added by this commit).
// `tree` is left holding the merged path.
CreatedPath create_update_path(RatchetTree& tree, LeafIndex sender, LeafNode leaf_template,
                               ByteView signature_private_key, const Bytes& group_id,
                               const ContextForTree& context_for_tree, const std::vector<LeafIndex>& excluded = {});

// Receiver side, step 1: checks the path shape and merges its public part into `tree`, verifying
// that the leaf's parent hash matches the chain and that its signature holds. Throws
// MlsError(kInvalidPath) and leaves `tree` unusable on failure (callers work on a copy).
void merge_update_path(RatchetTree& tree, LeafIndex sender, const UpdatePath& path, const Bytes& group_id);

struct ProcessedPath {
  SecretBytes path_secret;    // the one decrypted (at the lowest common ancestor)
  SecretBytes commit_secret;
};

// Receiver side, step 2: decrypts the path secret meant for `receiver` from the merged tree, checks
// every derived public key against the path, and updates `receiver`'s keys.
ProcessedPath decrypt_update_path(const RatchetTree& merged_tree, LeafIndex sender, const UpdatePath& path,
                                  TreeKemPrivate& receiver, ByteView group_context,
                                  const std::vector<LeafIndex>& excluded = {});

}  // namespace anonify::mls
