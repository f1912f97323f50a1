// The hashes of the log entries this enclave's state_submit produced in the current chain epoch,
// in memory only. state_sign_batch signs a CiphertextBatch only over such entries, so a host
// cannot make the enclave vouch for bytes it did not encrypt (a foreign or replayed entry).
// Entries of older epochs can no longer be posted (the contract checks the epoch), so they are
// dropped when the epoch moves on; a bounded FIFO caps memory within one epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>

#include "anonify/bytes.h"

namespace anonify::runtime::detail {

class ProducedEntries {
 public:
  /// Oldest hashes are forgotten past this many in one epoch (a host that queued more than this
  /// posts the older ones singly, with the Ciphertext signature state_submit returned).
  static constexpr size_t kCapacity = 4096;

  /// Records keccak256(entry) of an entry produced for `epoch`; a newer epoch drops the old set.
  void record(uint64_t epoch, Bytes entry_hash) {
    if (epoch != epoch_) {
      hashes_.clear();
      order_.clear();
      epoch_ = epoch;
    }
    if (!hashes_.insert(entry_hash).second) return;
    order_.push_back(std::move(entry_hash));
    if (order_.size() > kCapacity) {
      hashes_.erase(order_.front());
      order_.pop_front();
    }
  }

  /// True when `entry_hash` was recorded for exactly `epoch`.
  bool contains(uint64_t epoch, const Bytes& entry_hash) const {
    return epoch == epoch_ && hashes_.count(entry_hash) != 0;
  }

 private:
  uint64_t epoch_ = 0;
  std::set<Bytes> hashes_;
  std::deque<Bytes> order_;
};

}  // namespace anonify::runtime::detail
