// The state runtime's view of the MLS group: the current epoch and its exporter keys.
//
// mls_methods.cpp keeps its Group private to its file, but seals it to "mls-group" after every
// change and before it answers, so the sealed blob is always the group's current state (also right
// after a restart, before any MLS method ran). We read that blob and derive the epoch keys from a
// copy of the group; the copy is cached until the blob changes. Private to the runtime.
#pragma once

#include <optional>

#include "anonify/bytes.h"
#include "anonify/enclave/enclave.h"

namespace anonify::runtime::detail {

/// Name of the MLS group's sealed blob (mls_methods.cpp).
constexpr const char* kMlsGroupSealName = "mls-group";

struct EpochKeys {
  Bytes group_id;  ///< the MLS group id (bound into every log entry's AAD)
  uint64_t mls_epoch = 0;
  SecretBytes entry_key;  ///< exporter "anonify/state-key/v1", 16 bytes
  SecretBytes hash_key;   ///< exporter "anonify/state-hash/v1", 32 bytes

  /// The contract's epoch for ciphertexts of this MLS epoch: the genesis handshake is chain
  /// epoch 0 and creates MLS epoch 0, after which the contract's head epoch is 1; each later commit
  /// moves both by one.
  uint64_t chain_epoch() const { return mls_epoch + 1; }
};

class GroupKeys {
 public:
  /// The current epoch's keys; nullopt when this enclave is not a member (no group, a staged
  /// external join not yet in the log, removed).
  std::optional<EpochKeys> current(const enclave::Enclave& enclave);

 private:
  Bytes cached_blob_;
  std::optional<EpochKeys> cached_;
};

}  // namespace anonify::runtime::detail
