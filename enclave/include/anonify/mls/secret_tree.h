// The secret tree and its per-leaf hash ratchets (RFC 9420 section 9): encryption keys and nonces
// for handshake and application messages, per sender and generation.
//
// Forward secrecy: a node secret is erased once its children are derived, a ratchet secret once
// the next generation is derived, and a key once it is used. Keys of skipped generations are kept
// (up to kMaxForwardGenerations ahead) so messages may arrive out of order.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "anonify/mls/tls_codec.h"
#include "anonify/mls/tree_math.h"

namespace anonify::mls {

enum class ContentKind { kHandshake, kApplication };

struct KeyAndNonce {
  uint32_t generation = 0;
  SecretBytes key;
  SecretBytes nonce;
};

// How far ahead of the next expected generation a receiver derives keys.
constexpr uint32_t kMaxForwardGenerations = 1024;

class HashRatchet {
 public:
  HashRatchet() = default;
  explicit HashRatchet(SecretBytes secret) : secret_(std::move(secret)) {}

  // The next unused generation (sending side).
  KeyAndNonce next();
  // The key of `generation` (receiving side); each generation can be fetched once. Throws
  // MlsError(kGenerationTooOld) for a consumed generation, one beyond the forward window too.
  KeyAndNonce get(uint32_t generation);

  void encode(TlsWriter& w) const;
  static HashRatchet decode(TlsReader& r);

 private:
  KeyAndNonce derive_current() const;
  void advance();

  SecretBytes secret_;
  uint32_t next_generation_ = 0;
  std::map<uint32_t, KeyAndNonce> skipped_;
};

class SecretTree {
 public:
  SecretTree() = default;
  SecretTree(ByteView encryption_secret, uint32_t leaf_count);

  KeyAndNonce next(LeafIndex sender, ContentKind kind);
  KeyAndNonce get(LeafIndex sender, ContentKind kind, uint32_t generation);
  uint32_t leaf_count() const { return leaf_count_; }

  void encode(TlsWriter& w) const;
  static SecretTree decode(TlsReader& r);

 private:
  HashRatchet& ratchet(LeafIndex sender, ContentKind kind);

  uint32_t leaf_count_ = 0;
  // Only the nodes holding a secret (absent = not derived yet or already consumed): a fresh epoch
  // holds just the root, so creating and copying the tree costs nothing per member.
  std::map<NodeIndex, SecretBytes> node_secrets_;
  std::map<LeafIndex, std::pair<HashRatchet, HashRatchet>> ratchets_;  // handshake, application
};

// Sender-data key and nonce (section 6.3.2): sampled from the first Nh bytes of the ciphertext.
SecretBytes sender_data_key(ByteView sender_data_secret, ByteView ciphertext);
SecretBytes sender_data_nonce(ByteView sender_data_secret, ByteView ciphertext);

}  // namespace anonify::mls
