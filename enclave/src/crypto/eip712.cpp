#include "anonify/crypto/eip712.h"

#include <map>
#include <optional>
#include <string_view>

#include "anonify/crypto/keccak.h"
#include "anonify/error.h"

namespace anonify::crypto::eip712 {

namespace {

constexpr size_t kWord = 32;

// The type strings are constants, so each hash is computed once (thread-safe static init).
const Bytes& type_hash(const char* type) {
  static const std::map<std::string_view, Bytes> hashes = [] {
    std::map<std::string_view, Bytes> m;
    for (const char* t : {kDomainType, kHandshakeType, kRemovalCommitType, kCiphertextType, kCiphertextBatchType, kSnapshotType, kCheckpointType,
                          kCommandType, kEchoReplyType, kReadType, kSubscribeType, kPolicyChangeType}) {
      m.emplace(t, keccak256(ByteView::from_string(t)));
    }
    return m;
  }();
  return hashes.at(type);
}

void append_word(Bytes& out, ByteView word, const char* what) {
  if (word.size() != kWord) throw Error(ErrorCode::kInvalidArgument, std::string(what) + " must be 32 bytes");
  append(out, word);
}

// ABI encoding of an address / uintN as a 32-byte word: left-padded with zeros.
void append_address(Bytes& out, ByteView address, const char* what) {
  if (address.size() != 20) throw Error(ErrorCode::kInvalidArgument, std::string(what) + " must be a 20-byte address");
  out.insert(out.end(), kWord - 20, 0);
  append(out, address);
}

void append_uint(Bytes& out, uint64_t value) { append(out, u64_be(value, kWord)); }

Bytes hash_struct_uint_word(const char* type, uint64_t value, ByteView word, const char* word_name) {
  Bytes encoded = type_hash(type);
  append_uint(encoded, value);
  append_word(encoded, word, word_name);
  return keccak256(encoded);
}

Bytes hash_struct_uint_uint_word(const char* type, uint64_t a, uint64_t b, ByteView word, const char* word_name) {
  Bytes encoded = type_hash(type);
  append_uint(encoded, a);
  append_uint(encoded, b);
  append_word(encoded, word, word_name);
  return keccak256(encoded);
}

}  // namespace

Bytes domain_separator(const Domain& domain) {
  // A log uses one domain, so the last separator of this thread is almost always the one asked for.
  struct Last {
    Domain domain;
    Bytes separator;
  };
  thread_local std::optional<Last> last;
  if (last && last->domain.chain_id == domain.chain_id && last->domain.verifying_contract == domain.verifying_contract &&
      last->domain.name == domain.name && last->domain.version == domain.version) {
    return last->separator;
  }
  Bytes encoded = type_hash(kDomainType);
  append(encoded, keccak256(ByteView::from_string(domain.name)));
  append(encoded, keccak256(ByteView::from_string(domain.version)));
  append_uint(encoded, domain.chain_id);
  append_address(encoded, domain.verifying_contract, "verifyingContract");
  Bytes separator = keccak256(encoded);
  last = Last{domain, separator};
  return separator;
}

Bytes typed_data_digest(ByteView domain_separator, ByteView struct_hash) {
  Bytes encoded{0x19, 0x01};
  append_word(encoded, domain_separator, "domain separator");
  append_word(encoded, struct_hash, "struct hash");
  return keccak256(encoded);
}

Bytes handshake_struct_hash(uint64_t epoch, ByteView handshake_hash) {
  return hash_struct_uint_word(kHandshakeType, epoch, handshake_hash, "handshakeHash");
}

Bytes removal_commit_struct_hash(uint64_t epoch, ByteView handshake_hash, const std::vector<Bytes>& removed) {
  Bytes words;
  words.reserve(removed.size() * kWord);
  for (const Bytes& address : removed) append_address(words, address, "removed[]");
  Bytes encoded = type_hash(kRemovalCommitType);
  append_uint(encoded, epoch);
  append_word(encoded, handshake_hash, "handshakeHash");
  append(encoded, keccak256(words));
  return keccak256(encoded);
}

Bytes ciphertext_struct_hash(uint64_t epoch, uint64_t sequence, ByteView payload_hash) {
  return hash_struct_uint_uint_word(kCiphertextType, epoch, sequence, payload_hash, "payloadHash");
}

Bytes ciphertext_batch_struct_hash(uint64_t epoch, uint64_t first_sequence, ByteView payloads_hash) {
  return hash_struct_uint_uint_word(kCiphertextBatchType, epoch, first_sequence, payloads_hash, "payloadsHash");
}

Bytes snapshot_struct_hash(uint64_t epoch, uint64_t state_counter, ByteView payload_hash) {
  return hash_struct_uint_uint_word(kSnapshotType, epoch, state_counter, payload_hash, "payloadHash");
}

Bytes batch_payloads_hash(const std::vector<Bytes>& ciphertexts) {
  Keccak256 outer;
  for (const Bytes& c : ciphertexts) outer.update(keccak256(c));
  return outer.finish();
}

Bytes checkpoint_struct_hash(uint64_t state_counter, ByteView state_hash, ByteView log_hash) {
  if (log_hash.size() != 16) throw Error(ErrorCode::kInvalidArgument, "logHash must be 16 bytes");
  Bytes encoded = type_hash(kCheckpointType);
  append_uint(encoded, state_counter);
  append_word(encoded, state_hash, "stateHash");
  append(encoded, log_hash);  // bytes16: the value, then zeros to the word
  encoded.insert(encoded.end(), kWord - log_hash.size(), 0);
  return keccak256(encoded);
}

Bytes command_struct_hash(ByteView sender, uint64_t nonce, ByteView payload_hash) {
  Bytes encoded = type_hash(kCommandType);
  append_address(encoded, sender, "sender");
  append_uint(encoded, nonce);
  append_word(encoded, payload_hash, "payloadHash");
  return keccak256(encoded);
}

Bytes echo_reply_struct_hash(ByteView request_hash, ByteView reply_hash) {
  Bytes encoded = type_hash(kEchoReplyType);
  append_word(encoded, request_hash, "requestHash");
  append_word(encoded, reply_hash, "replyHash");
  return keccak256(encoded);
}

Bytes read_struct_hash(ByteView sender, ByteView query_hash, ByteView reply_key, uint64_t issued_at) {
  Bytes encoded = type_hash(kReadType);
  append_address(encoded, sender, "sender");
  append_word(encoded, query_hash, "queryHash");
  append_word(encoded, reply_key, "replyKey");
  append_uint(encoded, issued_at);
  return keccak256(encoded);
}

Bytes subscribe_struct_hash(ByteView account, ByteView reply_key, uint64_t issued_at) {
  Bytes encoded = type_hash(kSubscribeType);
  append_address(encoded, account, "account");
  append_word(encoded, reply_key, "replyKey");
  append_uint(encoded, issued_at);
  return keccak256(encoded);
}

Bytes policy_change_struct_hash(ByteView group_id, uint64_t epoch, ByteView policy_hash) {
  Bytes encoded = type_hash(kPolicyChangeType);
  append(encoded, keccak256(group_id));
  append_uint(encoded, epoch);
  append_word(encoded, policy_hash, "policyHash");
  return keccak256(encoded);
}

}  // namespace anonify::crypto::eip712
