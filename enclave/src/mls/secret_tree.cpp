#include "anonify/mls/secret_tree.h"

#include <algorithm>
#include <string>

#include "anonify/mls/crypto_suite.h"
#include "anonify/mls/mls_error.h"

namespace anonify::mls {
namespace tm = tree_math;
namespace {

void write_secret(TlsWriter& w, const SecretBytes& secret) { w.opaque(secret.reveal()); }
SecretBytes read_secret(TlsReader& r) { return SecretBytes(r.opaque()); }

ByteView ciphertext_sample(ByteView ciphertext) {
  return ByteView(ciphertext.data(), std::min(ciphertext.size(), kHashSize));
}

}  // namespace

KeyAndNonce HashRatchet::derive_current() const {
  KeyAndNonce out;
  out.generation = next_generation_;
  out.key = derive_tree_secret(secret_, "key", next_generation_, kAeadKeySize);
  out.nonce = derive_tree_secret(secret_, "nonce", next_generation_, kAeadNonceSize);
  return out;
}

void HashRatchet::advance() {
  secret_ = derive_tree_secret(secret_, "secret", next_generation_, kHashSize);
  ++next_generation_;
}

KeyAndNonce HashRatchet::next() {
  if (secret_.empty()) fail(Reason::kInternal, "hash ratchet without a secret");
  KeyAndNonce out = derive_current();
  advance();
  return out;
}

KeyAndNonce HashRatchet::get(uint32_t generation) {
  if (generation < next_generation_) {
    auto it = skipped_.find(generation);
    if (it == skipped_.end()) {
      fail(Reason::kGenerationTooOld, "generation " + std::to_string(generation) + " already used");
    }
    KeyAndNonce out = std::move(it->second);
    skipped_.erase(it);
    return out;
  }
  if (generation - next_generation_ > kMaxForwardGenerations) {
    fail(Reason::kGenerationTooOld, "generation " + std::to_string(generation) + " too far ahead");
  }
  while (next_generation_ < generation) {
    skipped_.emplace(next_generation_, derive_current());
    advance();
  }
  return next();
}

void HashRatchet::encode(TlsWriter& w) const {
  write_secret(w, secret_);
  w.u32(next_generation_);
  w.vector([&](TlsWriter& inner) {
    for (const auto& [generation, kn] : skipped_) {
      inner.u32(generation);
      write_secret(inner, kn.key);
      write_secret(inner, kn.nonce);
    }
  });
}

HashRatchet HashRatchet::decode(TlsReader& r) {
  HashRatchet h;
  h.secret_ = read_secret(r);
  h.next_generation_ = r.u32();
  TlsReader body = r.vector();
  while (!body.empty()) {
    KeyAndNonce kn;
    kn.generation = body.u32();
    kn.key = read_secret(body);
    kn.nonce = read_secret(body);
    const uint32_t generation = kn.generation;
    h.skipped_.emplace(generation, std::move(kn));
  }
  return h;
}

SecretTree::SecretTree(ByteView encryption_secret, uint32_t leaf_count)
    : leaf_count_(leaf_count) {
  if (leaf_count == 0) fail(Reason::kInternal, "secret tree of an empty group");
  node_secrets_[tm::root(leaf_count)] = SecretBytes(encryption_secret);
}

HashRatchet& SecretTree::ratchet(LeafIndex sender, ContentKind kind) {
  if (sender >= leaf_count_) fail(Reason::kUnknownSender, "sender " + std::to_string(sender) + " outside the tree");
  auto it = ratchets_.find(sender);
  if (it == ratchets_.end()) {
    // Walk down from the lowest ancestor that still holds a secret, keeping the siblings' secrets.
    const NodeIndex leaf_node = tm::leaf_to_node(sender);
    std::vector<NodeIndex> path = tm::direct_path(leaf_node, leaf_count_);
    path.insert(path.begin(), leaf_node);
    size_t start = 0;
    while (start < path.size() && node_secrets_.count(path[start]) == 0) ++start;
    if (start == path.size()) {
      fail(Reason::kInternal, "secret tree leaf " + std::to_string(sender) + " already consumed");
    }
    for (size_t i = start; i > 0; --i) {
      const NodeIndex n = path[i];
      auto parent = node_secrets_.find(n);
      node_secrets_[tm::left(n)] = expand_with_label(parent->second, "tree", ByteView::from_string("left"), kHashSize);
      node_secrets_[tm::right(n)] =
          expand_with_label(parent->second, "tree", ByteView::from_string("right"), kHashSize);
      node_secrets_.erase(parent);  // SecretBytes wipes itself
    }
    auto leaf_secret = node_secrets_.find(leaf_node);
    HashRatchet handshake(expand_with_label(leaf_secret->second, "handshake", ByteView(), kHashSize));
    HashRatchet application(expand_with_label(leaf_secret->second, "application", ByteView(), kHashSize));
    node_secrets_.erase(leaf_secret);
    it = ratchets_.emplace(sender, std::make_pair(std::move(handshake), std::move(application))).first;
  }
  return kind == ContentKind::kHandshake ? it->second.first : it->second.second;
}

KeyAndNonce SecretTree::next(LeafIndex sender, ContentKind kind) { return ratchet(sender, kind).next(); }

KeyAndNonce SecretTree::get(LeafIndex sender, ContentKind kind, uint32_t generation) {
  return ratchet(sender, kind).get(generation);
}

void SecretTree::encode(TlsWriter& w) const {
  w.u32(leaf_count_);
  w.vector([&](TlsWriter& inner) {
    // Every node in index order, empty where no secret is held (the sealed format of a dense array).
    const SecretBytes none;
    const NodeIndex width = tm::node_width(leaf_count_);
    for (NodeIndex n = 0; n < width; ++n) {
      auto it = node_secrets_.find(n);
      write_secret(inner, it == node_secrets_.end() ? none : it->second);
    }
  });
  w.vector([&](TlsWriter& inner) {
    for (const auto& [leaf, pair] : ratchets_) {
      inner.u32(leaf);
      pair.first.encode(inner);
      pair.second.encode(inner);
    }
  });
}

SecretTree SecretTree::decode(TlsReader& r) {
  SecretTree t;
  t.leaf_count_ = r.u32();
  TlsReader nodes = r.vector();
  NodeIndex count = 0;
  for (; !nodes.empty(); ++count) {
    SecretBytes secret = read_secret(nodes);
    if (!secret.empty()) t.node_secrets_[count] = std::move(secret);
  }
  if (count != tm::node_width(t.leaf_count_)) {
    fail(Reason::kMalformed, "secret tree width does not match its leaf count");
  }
  TlsReader ratchets = r.vector();
  while (!ratchets.empty()) {
    const LeafIndex leaf = ratchets.u32();
    HashRatchet handshake = HashRatchet::decode(ratchets);
    HashRatchet application = HashRatchet::decode(ratchets);
    t.ratchets_.emplace(leaf, std::make_pair(std::move(handshake), std::move(application)));
  }
  return t;
}

SecretBytes sender_data_key(ByteView sender_data_secret, ByteView ciphertext) {
  return expand_with_label(sender_data_secret, "key", ciphertext_sample(ciphertext), kAeadKeySize);
}

SecretBytes sender_data_nonce(ByteView sender_data_secret, ByteView ciphertext) {
  return expand_with_label(sender_data_secret, "nonce", ciphertext_sample(ciphertext), kAeadNonceSize);
}

}  // namespace anonify::mls
