// The newest block time this enclave has seen in data it applied (handshakes, log entries).
//
// The enclave has no trusted clock: the host supplies every time. What it can hold the host to is
// monotonicity: a time, once applied, never goes back, across restarts too (sealed). Evidence age
// (the membership policy) and the freshness window of user envelopes (issuedAt) are judged against
// this clock, so a host that feeds old times only makes the enclave stricter, never more lenient
// than the chain it has already applied.
#pragma once

#include <cstdint>

#include "anonify/enclave/enclave.h"

namespace anonify::enclave {

/// Name of the sealed blob holding the clock (8 bytes, big-endian unix seconds).
constexpr const char* kChainClockSealName = "chain-clock";

class ChainClock {
 public:
  explicit ChainClock(Enclave& enclave);

  /// Raises the clock to `block_time` (unix seconds) if it is newer, sealing the new value before it
  /// takes effect; an older or equal time changes nothing.
  void observe(uint64_t block_time);
  /// Newest block time applied; 0 before any.
  uint64_t newest() const noexcept { return newest_; }

 private:
  Enclave& enclave_;
  uint64_t newest_ = 0;
};

}  // namespace anonify::enclave
