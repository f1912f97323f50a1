// The messages users seal to the enclave (HPKE, suite X25519/HKDF-SHA256/AES-128-GCM, mode base,
// wire enc ‖ ciphertext, empty aad) and the EIP-712 checks on them. Formats: PROTOCOL.md,
// "State runtime methods".
#pragma once

#include <array>
#include <optional>
#include <string>

#include "anonify/bytes.h"
#include "anonify/crypto/eip712.h"
#include "anonify/crypto/x25519.h"
#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

/// HPKE info strings, one per purpose, so a message sealed for one never opens as another.
constexpr const char* kCommandInfo = "anonify/command/v1";
constexpr const char* kReadInfo = "anonify/read/v1";
constexpr const char* kReadReplyInfo = "anonify/read-reply/v1";
constexpr const char* kSubscribeInfo = "anonify/subscribe/v1";
constexpr const char* kNotifyInfo = "anonify/notify/v1";

/// Largest command payload / query accepted (bytes of JSON).
constexpr size_t kMaxPayloadSize = 4096;
constexpr size_t kReplyKeySize = 32;

using Domain = crypto::eip712::Domain;

// Padding (PROTOCOL.md "Padding"). Every plaintext whose length the host or the chain sees is padded
// to a bucket: data ‖ 0x80 ‖ 0x00… up to the smallest bucket that holds data + 1 (past the largest,
// a multiple of it). The marker makes the padding unambiguous whatever the data ends with.
constexpr uint8_t kPaddingMarker = 0x80;
/// Notifications: one size for every notification, changed or not.
constexpr size_t kNotificationSize = 128;
/// Read replies: a balance of any digit count fits the first bucket.
constexpr std::array<size_t, 4> kReplyBuckets = {256, 1024, 4096, 16384};
/// User envelopes (commands, reads, subscriptions) and log entry plaintexts.
constexpr std::array<size_t, 6> kEnvelopeBuckets = {512, 1024, 2048, 4096, 8192, 16384};

/// Pads `data` to exactly `size` bytes (data ‖ 0x80 ‖ 0x00…); throws Error(Internal) when
/// data + 1 does not fit.
Bytes pad_to_size(ByteView data, size_t size);
/// Pads `data` to the smallest of `buckets` (ascending) that holds data + 1 byte; past the largest,
/// to a multiple of it.
template <size_t N>
Bytes pad_to_bucket(ByteView data, const std::array<size_t, N>& buckets) {
  for (size_t bucket : buckets) {
    if (data.size() < bucket) return pad_to_size(data, bucket);
  }
  const size_t largest = buckets[N - 1];
  return pad_to_size(data, (data.size() / largest + 1) * largest);
}
/// The data of a padded plaintext; nullopt without the marker after the trailing zeros.
std::optional<SecretBytes> unpad(ByteView padded);

/// Throws Error(InvalidReplyKey) unless `key` is a 32-byte X25519 point of full order (all-zero and
/// low-order points give an all-zero shared secret: replies and notifications could not be sealed).
void require_usable_reply_key(ByteView key);

/// Opens `enc(32) ‖ ciphertext` sealed to the enclave's HPKE key with `info`; nullopt when it does
/// not open (wrong key, wrong info, tampered, too short).
std::optional<SecretBytes> open_sealed(ByteView sealed, const crypto::X25519PrivateKey& hpke_key, const char* info);
/// Seals `plaintext` to a 32-byte X25519 key: enc ‖ ciphertext.
Bytes seal_to(ByteView recipient_public_key, const char* info, ByteView plaintext);

/// A user's signed command: {"sender","nonce","payload","signature"}.
struct SignedCommand {
  Address sender{};
  uint64_t nonce = 0;
  Bytes payload;    ///< exact command JSON bytes the user hashed
  Bytes signature;  ///< 65 bytes r ‖ s ‖ v

  /// Parses the JSON object; throws Error(MalformedCommand) naming the problem.
  static SignedCommand parse(const Json& object);
  Json to_json() const;

  /// EIP-712 digest of Command{sender, nonce, keccak256(payload)} under `domain`.
  Bytes digest(const Domain& domain) const;
  /// True when `signature` recovers to `sender` under `domain` (false for any malformed signature).
  bool signed_by_sender(const Domain& domain) const;
  /// keccak256(payload ‖ sender ‖ nonce as u64 big-endian): the id the node tracks a command by.
  Bytes command_id() const;
};

/// A user's signed read request: {"sender","query","replyKey","issuedAt","signature"}.
struct ReadRequest {
  Address sender{};
  Bytes query;  ///< query JSON bytes
  Bytes reply_key;
  uint64_t issued_at = 0;
  Bytes signature;

  /// Throws Error(MalformedRead).
  static ReadRequest parse(ByteView json);
  bool signed_by_sender(const Domain& domain) const;
};

/// A user's signed subscription: {"account","replyKey","issuedAt","signature"}.
struct Subscription {
  Address account{};
  Bytes reply_key;
  uint64_t issued_at = 0;
  Bytes signature;

  /// Throws Error(MalformedSubscription).
  static Subscription parse(ByteView json);
  bool signed_by_account(const Domain& domain) const;
};

/// {"name","version","chainId": decimal string,"verifyingContract"}.
Json domain_to_json(const Domain& domain);
bool same_domain(const Domain& a, const Domain& b);

/// Decimal uint64 (no sign, no leading zeros); nullopt otherwise.
std::optional<uint64_t> parse_u64(const std::string& text);

}  // namespace anonify::runtime
