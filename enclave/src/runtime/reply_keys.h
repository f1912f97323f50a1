// The reply keys this enclave answered to (reads and subscriptions), so a request envelope the host
// captured cannot be played again: a reply key is single-use. Sealed ("reply-keys") before the
// answer leaves the enclave, so a restart does not forget it either.
//
// Bounded: a request is refused "stale" once its issuedAt is more than the freshness window older
// than the chain clock, so keys whose issuedAt is older than the largest window allowed
// (kMaxFreshnessWindow) before the clock can never be presented again and are pruned. What remains
// is capped at kCapacity; when the set is full of keys still fresh, new requests are refused
// (invalid_state) rather than an old key forgotten. Private to the runtime.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "anonify/bytes.h"
#include "anonify/enclave/enclave.h"

namespace anonify::runtime::detail {

constexpr const char* kReplyKeysSealName = "reply-keys";
/// issuedAt window around the chain clock: default, and the bounds a host may choose within.
constexpr uint64_t kDefaultFreshnessWindow = 600;
constexpr uint64_t kMinFreshnessWindow = 60;
constexpr uint64_t kMaxFreshnessWindow = 3600;

class ReplyKeys {
 public:
  static constexpr size_t kCapacity = 8192;

  /// Reads the sealed set when there is one.
  explicit ReplyKeys(enclave::Enclave& enclave);

  /// Throws Error(StaleRequest) when `issued_at` + `window` is before `clock` (a clock of 0 — no
  /// block applied yet — judges nothing), Error(ReplayedRequest) when `reply_key` was answered to.
  void check(ByteView reply_key, uint64_t issued_at, uint64_t window, uint64_t clock) const;
  /// Records `reply_key` (after check) and seals the set before it takes effect; prunes keys that
  /// can no longer pass check. Throws Error(InvalidState) when the set is full.
  void record(const Bytes& reply_key, uint64_t issued_at, uint64_t clock);

  size_t size() const noexcept { return keys_.size(); }

 private:
  enclave::Enclave& enclave_;
  std::set<Bytes> keys_;
  std::multimap<uint64_t, Bytes> by_issued_at_;
};

}  // namespace anonify::runtime::detail
