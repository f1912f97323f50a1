// Raw costs of the library operations one state transition performs, measured straight on
// OpenSSL 3 / libsecp256k1 / nlohmann-json (and on our own Keccak, the one primitive no library
// here provides). "Raw" = what a careful caller pays per operation: algorithms fetched once and
// their contexts prepared (digest bound), a fresh or duplicated context per operation, a long-lived
// own key imported once; inputs of the sizes the transition really handles (taken from a real
// command, entry and sealed state of the same run).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "anonify/bytes.h"
#include "bench_stats.h"

namespace anonify::bench {

/// Real inputs of the run, so every primitive works on the sizes the transition sees.
struct PrimitiveInputs {
  std::string command_json;    ///< the user's command envelope (HPKE plaintext of state_submit, before padding)
  size_t command_padded_size = 0;  ///< the envelope padded to its bucket: what HPKE opens
  Bytes entry_plaintext;       ///< a log entry's plaintext (runtime::EntryCommand), before padding
  size_t entry_padded_size = 0;    ///< the entry plaintext padded to its bucket: what AES-GCM seals and opens
  std::string payload_json;    ///< the token command inside it
  size_t entry_size = 0;       ///< the sealed entry as posted (header ‖ nonce ‖ ciphertext ‖ tag)
  size_t state_size = 0;       ///< the ledger encoding the state hash covers (the sealed state blob)
  size_t manifest_size = 0;    ///< the store manifest's plaintext: every blob's generation, the state inside
  std::string tmpfs_dir;       ///< where the sealed state lives in the transition run
  std::string disk_dir;        ///< a directory on disk, for the storage comparison
};

struct PrimitiveResult {
  std::string id;
  std::string label;
  TimingStat stat;
  bool in_limit = true;  ///< false: reference rows (our wrappers, storage) shown beside the raw ones
};

/// Every primitive with its inputs prepared. The caller interleaves run_batch() with its own
/// rounds, so a busy machine slows primitives and transitions alike and the ratio stays fair.
class PrimitiveSuite {
 public:
  PrimitiveSuite(const PrimitiveInputs& inputs, bool quick);
  /// One timed batch of each primitive (progress on stderr in round 0, which also warms up).
  void run_batch(size_t round);
  /// Median and spread over the batches run so far.
  std::vector<PrimitiveResult> results() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  bool quick_;
};

}  // namespace anonify::bench
