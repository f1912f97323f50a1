// The replicated state of a group's log: the runtime's state plus what every runtime needs —
// per-user command nonces, per-producer entry sequence numbers, the position in the log
// (lastApplied) and the EIP-712 domain the log's commands are signed under. Applying a log entry
// here is deterministic: every enclave that holds the epoch's key and feeds the same entries in
// stateCounter order reaches the same bytes.
//
// Log entry (built by state_submit, applied by state_apply; PROTOCOL.md "Log entries"):
//   entry = 0x03 ‖ producer (20) ‖ sequence u64 BE ‖ nonce (12) ‖ AES-128-GCM(key_e, nonce, padded plaintext, aad)
//   aad   = "anonify/entry/v3" ‖ group id<V> ‖ epoch u64 BE ‖ producer (20) ‖ sequence u64 BE
//   plaintext = the user's signed command and the EIP-712 domain it was checked under, in binary
//   (EntryCommand), padded to kEntryBuckets
// The producer is the address of the enclave whose state_submit sealed the entry; its sequence
// numbers start at 0 in each chain epoch and must arrive in order (see Ledger::apply_entry).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "anonify/bytes.h"
#include "anonify/crypto/aead.h"
#include "anonify/error.h"
#include "anonify/flat_map.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

/// A command entry. 3: the plaintext is binary (EntryCommand); 1 carried JSON and is no longer read.
constexpr uint8_t kEntryVersion = 3;
/// A snapshot entry: the whole ledger as of the counter before it, for members that joined later
/// (they cannot decrypt entries of epochs before their join).
constexpr uint8_t kSnapshotEntryVersion = 2;
constexpr const char* kSnapshotAadLabel = "anonify/snapshot/v2";
constexpr size_t kEntryKeySize = 16;
constexpr const char* kEntryAadLabel = "anonify/entry/v3";
/// Entry plaintexts: a token transfer fits the first bucket, the largest command (kMaxPayloadSize)
/// the last. Every byte is posted to the chain, so the buckets are finer than the envelopes'.
constexpr std::array<size_t, 6> kEntryBuckets = {256, 512, 1024, 2048, 4096, 8192};
/// MLS exporter labels of the epoch keys (reserved "anonify/" namespace).
constexpr const char* kEntryKeyLabel = "anonify/state-key/v1";
constexpr const char* kStateHashKeyLabel = "anonify/state-hash/v1";
constexpr size_t kStateHashKeySize = 32;

/// An epoch's entry key (AES-128-GCM, kEntryKeySize bytes), prepared once for the many entries it
/// seals and opens.
using EntryKey = crypto::AeadKey;
/// Prepares raw key bytes (the MLS exporter's output). Throws Error(InvalidArgument) on a wrong size.
inline EntryKey make_entry_key(ByteView raw) { return EntryKey(crypto::AeadAlgorithm::kAes128Gcm, raw); }

/// Reasons for rejected transitions decided by the ledger (runtimes add their own).
namespace ledger_reason {
constexpr const char* kUndecryptable = "undecryptable";
constexpr const char* kMalformedEntry = "malformed entry";
constexpr const char* kDomainMismatch = "domain mismatch";
constexpr const char* kBadUserSignature = "bad user signature";
constexpr const char* kNonceMismatch = "nonce mismatch";
constexpr const char* kSnapshotMismatch = "snapshot mismatch";
constexpr const char* kOutOfSequence = "out of sequence";
}  // namespace ledger_reason

/// The group and chain epoch an entry belongs to (both in its AAD).
struct EntryScope {
  Bytes group_id;
  uint64_t chain_epoch = 0;
};

/// The running hash of the ciphertext log (see Ledger::log_hash).
constexpr size_t kLogHashSize = 16;
using LogHash = std::array<uint8_t, kLogHashSize>;
/// L_n from L_{n-1} and entry n: the first 16 bytes of keccak256(L_{n-1} ‖ keccak256(entry)).
LogHash next_log_hash(const LogHash& previous, ByteView entry);

/// Who produced an entry and its place among that producer's entries of the epoch (in the clear in
/// the entry's header, authenticated by its AAD).
struct EntryPosition {
  Address producer{};
  uint64_t sequence = 0;
};

/// Pads and seals a plaintext into a log entry (fresh random nonce).
Bytes seal_entry(const EntryKey& entry_key, const EntryScope& scope, const EntryPosition& position, ByteView plaintext);
/// The header of a command entry; nullopt when it is not one (wrong version, too short).
std::optional<EntryPosition> entry_position(ByteView entry);
/// Opens a log entry and strips its padding; nullopt for a wrong version, length, key, group, epoch,
/// position or any tampering.
std::optional<SecretBytes> open_entry(const EntryKey& entry_key, const EntryScope& scope, ByteView entry);

/// What a command entry carries: the user's signed command and the domain the producing enclave
/// checked its signature under (every applying enclave checks it again). Encoded once, in the TLS
/// presentation language of mls/tls_codec.h:
///   struct {
///     opaque sender[20]; uint64 nonce; opaque signature[65];
///     uint64 chain_id; opaque verifying_contract[20]; opaque name<V>; opaque version<V>;
///     opaque payload<V>;   /* 1..kMaxPayloadSize bytes: the exact command JSON the user signed */
///   } EntryCommand;
struct EntryCommand {
  SignedCommand command;
  Domain domain;

  Bytes encode() const;
  /// nullopt unless `plaintext` is exactly one EntryCommand (no trailing bytes, minimal length
  /// prefixes, payload of 1..kMaxPayloadSize bytes).
  static std::optional<EntryCommand> decode(ByteView plaintext);
};
/// The entry plaintext of a checked command: EntryCommand{command, domain}.encode().
Bytes entry_plaintext(const SignedCommand& command, const Domain& domain);

/// What applying one log entry did.
struct EntryOutcome {
  bool duplicate = false;  ///< counter <= lastApplied: nothing happened
  bool applied = false;
  bool snapshot = false;   ///< the entry was a snapshot (checked against, or adopted as, the state)
  bool adopted = false;    ///< the snapshot replaced this ledger's state (it was behind)
  std::string reason;                  ///< when rejected
  std::optional<Bytes> command_id;     ///< when the entry held a command signed by its sender
  std::optional<Address> sender;       ///< idem
  std::set<Address> changed;           ///< accounts whose balance, allowance or nonce changed
  std::optional<EntryPosition> position;  ///< of a command entry that opened
  uint64_t expected_sequence = 0;      ///< when rejected kOutOfSequence: what the producer's next entry must carry
};

class Ledger {
 public:
  explicit Ledger(std::unique_ptr<Runtime> runtime);
  Ledger(const Ledger& other);
  Ledger& operator=(const Ledger& other);
  Ledger(Ledger&&) noexcept = default;
  Ledger& operator=(Ledger&&) noexcept = default;

  uint64_t last_applied() const noexcept { return last_applied_; }
  /// The log hash after entry lastApplied (audit F-8), as AnonifyGroup keeps it: L_0 = 16 zero
  /// bytes, L_n = the first 16 bytes of keccak256(L_{n-1} ‖ keccak256(entry_n)), over every entry
  /// whose counter is consumed (applied, rejected, or a snapshot). A checkpoint signs it, and the
  /// contract refuses a checkpoint whose log hash is not that of the log on chain, so an enclave fed
  /// a forged log by its host cannot vouch for it.
  const LogHash& log_hash() const noexcept { return log_hash_; }
  /// The nonce the account's next command must carry.
  uint64_t next_nonce(const Address& account) const;
  /// The sequence number `producer`'s next entry of `chain_epoch` must carry (0 in a new epoch).
  uint64_t next_sequence(const Address& producer, uint64_t chain_epoch) const;
  /// The domain of the log's first command; every later command must use it.
  const std::optional<Domain>& domain() const noexcept { return domain_; }
  const Runtime& runtime() const noexcept { return *runtime_; }

  /// Applies the entry at `counter`. counter <= lastApplied: {duplicate}; counter > lastApplied + 1:
  /// throws Error(CounterGap) and nothing changes — unless the entry is a snapshot that opens and
  /// holds the state as of counter - 1, which is then adopted (a late joiner catching up).
  /// A snapshot at lastApplied + 1 is applied when it equals this ledger's state (it changes only
  /// the counter) and rejected "snapshot mismatch" otherwise. For other entries the counter is consumed whatever the
  /// entry holds: undecryptable, out-of-sequence, malformed, foreign-domain, wrongly signed or replayed entries are
  /// rejected transitions that change nothing else. An entry that opens must carry its producer's
  /// next sequence number of the epoch (else "out of sequence": a replay, a reordering or an
  /// omission of that producer's entries); once it does, the sequence is used up whatever the
  /// command holds, and a command the runtime rejects still uses up the sender's nonce. On return the
  /// ledger reflects the entry (callers that must not change before sealing work on a copy).
  EntryOutcome apply_entry(uint64_t counter, const EntryScope& scope, ByteView entry, const EntryKey& entry_key);

  /// Answers a query: {"op":"nonce","account"} here (the account itself only), anything else by the
  /// runtime.
  QueryAnswer query(const Address& sender, const Json& query) const;

  /// Canonical encoding of everything (version, lastApplied, domain, nonces, runtime name+state).
  Bytes serialize() const;
  /// Restores a serialization into a ledger of `runtime`'s kind. Throws Error(SealedDataCorrupt)
  /// on any malformed input or another runtime's state.
  static Ledger deserialize(ByteView data, std::unique_ptr<Runtime> runtime);
  /// Builds the runtime a serialization names (the sealed state of an enclave that has not yet
  /// read its group's policy): `make(name)` returns an instance or throws.
  using RuntimeMaker = std::function<std::unique_ptr<Runtime>(std::string_view name)>;
  static Ledger deserialize(ByteView data, const RuntimeMaker& make);
  /// HMAC-SHA256(key, serialize()).
  Bytes state_hash(ByteView key) const;
  /// The same hash of an encoding serialize() already produced (a caller that also seals the
  /// encoding serializes once).
  static Bytes state_hash_of(ByteView key, ByteView encoding);

 private:
  // The checks and the transition of a command entry's (opened, in-sequence) plaintext.
  EntryOutcome apply_command(const SecretBytes& plain);
  EntryOutcome apply_snapshot(uint64_t counter, const EntryScope& scope, ByteView entry, const EntryKey& entry_key);
  Error counter_gap(uint64_t counter) const;
  // Consumes `counter` for `entry`: lastApplied and the log hash move together.
  void consume(uint64_t counter, ByteView entry);

  uint64_t last_applied_ = 0;
  LogHash log_hash_{};
  std::optional<Domain> domain_;
  FlatMap<Address, uint64_t> nonces_;         // only non-zero nonces are stored
  uint64_t sequence_epoch_ = 0;               // the chain epoch producer_next_ counts in
  FlatMap<Address, uint64_t> producer_next_;  // only non-zero sequences are stored
  std::unique_ptr<Runtime> runtime_;
};

/// Seals the ledger into a snapshot entry:
/// 0x02 ‖ nonce (12) ‖ AES-128-GCM(key_e, nonce, ledger encoding, "anonify/snapshot/v2" ‖ group id<V> ‖ epoch u64 BE).
Bytes seal_snapshot(const EntryKey& entry_key, const EntryScope& scope, const Ledger& ledger);

}  // namespace anonify::runtime
