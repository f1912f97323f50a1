// The state runtime's view of the MLS group: the current epoch and its exporter keys.
//
// Taken from the MLS component's group in memory (mls/member_group.h), the authority while the
// enclave runs: no sealed blob is read after `init`, so a host that copies an older
// "mls-group.sealed" in place changes nothing. The exporter keys are derived once per epoch.
// Private to the runtime.
#pragma once

#include <optional>
#include <string>

#include "anonify/bytes.h"
#include "anonify/enclave/enclave.h"
#include "anonify/runtime/ledger.h"

namespace anonify::runtime::detail {

struct EpochKeys {
  Bytes group_id;  ///< the MLS group id (bound into every log entry's AAD)
  uint64_t mls_epoch = 0;
  EntryKey entry_key;     ///< exporter "anonify/state-key/v1", 16 bytes, prepared (ledger.h)
  SecretBytes hash_key;   ///< exporter "anonify/state-hash/v1", 32 bytes
  std::string runtime;    ///< the runtime the group's policy names

  /// The contract's epoch for ciphertexts of this MLS epoch: the genesis handshake is chain
  /// epoch 0 and creates MLS epoch 0, after which the contract's head epoch is 1; each later commit
  /// moves both by one.
  uint64_t chain_epoch() const { return mls_epoch + 1; }
};

class GroupKeys {
 public:
  /// The current epoch's keys; nullopt when this enclave is not a member (no group, a staged
  /// external join not yet in the log, removed).
  std::optional<EpochKeys> current(enclave::Enclave& enclave);
  /// The same without a copy: the cached keys, valid until the group changes or the next call
  /// (nullptr: not a member). For the handlers that look them up once and change no group.
  const EpochKeys* current_keys(enclave::Enclave& enclave);

 private:
  /// The epoch authenticator of the epoch `cached_` belongs to (empty: nothing cached).
  Bytes cached_authenticator_;
  std::optional<EpochKeys> cached_;
};

}  // namespace anonify::runtime::detail
