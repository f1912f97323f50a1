// The state runtime's per-enclave component: the ledger (sealed as one blob, "runtime-state"),
// the state hash of the last applied entry, the epoch keys and the live notification
// subscriptions (not sealed: the host re-subscribes its open streams after a restart).
// Private to the runtime; the methods are in state_methods.cpp.
#pragma once

#include <map>
#include <string>

#include "anonify/enclave/enclave.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/ledger.h"
#include "group_keys.h"
#include "produced_entries.h"

namespace anonify::runtime::detail {

constexpr const char* kStateSealName = "runtime-state";
constexpr size_t kMaxSubscriptions = 1024;
constexpr size_t kSubscriptionIdSize = 16;
/// Largest batch state_sign_batch signs: AnonifyGroup.MAX_BATCH_SIZE.
constexpr size_t kMaxBatchEntries = 128;

/// The sealed "runtime-state" blob: version 1 ‖ ledger encoding<V> ‖ state hash<V> (empty or 32 bytes).
struct StateBlob {
  Ledger ledger;
  Bytes state_hash;
};
Bytes encode_state_blob(const Ledger& ledger, const Bytes& state_hash);
/// The same blob from the ledger's serialize() output.
Bytes encode_state_blob(ByteView ledger_encoding, const Bytes& state_hash);
/// Throws Error(SealedDataCorrupt) on any malformed blob.
StateBlob decode_state_blob(ByteView blob);

class StateComponent {
 public:
  /// Reads the sealed state when there is one (the enclave is initialized before this is built).
  explicit StateComponent(enclave::Enclave& enclave);

  const Ledger& ledger() const noexcept { return ledger_; }
  /// Whether the ledger runs the group's runtime yet (bind_runtime); before, it runs UnboundRuntime.
  bool runtime_bound() const noexcept;
  /// Makes the ledger run `name`, the runtime of the group this enclave is a member of (its policy
  /// names it). A ledger that has applied entries keeps its runtime: another name is
  /// Error(InvalidState). Throws Error(RuntimeUnavailable) when this binary does not carry `name`.
  void bind_runtime(const std::string& name);
  /// HMAC state hash after the last applied entry (empty before the first).
  const Bytes& state_hash() const noexcept { return state_hash_; }
  GroupKeys& group_keys() noexcept { return group_keys_; }
  /// Entries state_submit produced in the current epoch (what state_sign_batch may sign).
  ProducedEntries& produced() noexcept { return produced_; }

  /// Seals `next` (its encoding, `next.serialize()`, which state_apply also hashes) with its state
  /// hash as ONE blob, then makes it current. If sealing throws, nothing changes.
  void commit(Ledger next, Bytes state_hash, ByteView next_encoding);

  /// The sequence number of this enclave's next entry of `chain_epoch`: the log's next one for
  /// `self`, or past the entries produced since that are not applied yet. The count of those is
  /// kept in memory only: the order is enforced by the sequences in the (sealed) ledger, and after
  /// a restart, whose unposted entries are gone, production resumes at the log's next number.
  uint64_t next_sequence(const Address& self, uint64_t chain_epoch) const;
  /// Notes that an entry with `sequence` of `chain_epoch` was produced.
  void produced_sequence(uint64_t chain_epoch, uint64_t sequence);
  /// One of this enclave's entries was refused out of sequence (an earlier one was never posted):
  /// production resumes at `expected`, the number the log waits for.
  void resync_sequence(uint64_t chain_epoch, uint64_t expected);

  /// Adds a subscription; returns its id (random hex). Throws Error(InvalidState) when full.
  std::string subscribe(Subscription subscription);
  bool unsubscribe(const std::string& id);
  const std::map<std::string, Subscription>& subscriptions() const noexcept { return subscriptions_; }

 private:
  enclave::Enclave& enclave_;
  Ledger ledger_;
  Bytes state_hash_;
  GroupKeys group_keys_;
  std::map<std::string, Subscription> subscriptions_;
  ProducedEntries produced_;
  uint64_t produced_epoch_ = 0;
  uint64_t produced_next_ = 0;
};

}  // namespace anonify::runtime::detail
