#include "anonify/runtime/ledger.h"

#include "anonify/crypto/aead.h"
#include "anonify/crypto/hash.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/error.h"
#include "anonify/runtime/json_input.h"
#include "unbound_runtime.h"

namespace anonify::runtime {

namespace {

// 2 added the per-producer entry sequences. Only 2 is read: one state has one encoding (snapshots
// and state hashes compare bytes), and no data of format 1 needs migrating.
// 3: the log hash follows lastApplied.
constexpr uint8_t kLedgerFormatVersion = 3;
constexpr size_t kPositionSize = kAddressSize + 8;
constexpr size_t kEntryHeaderSize = 1 + kPositionSize + crypto::kAeadNonceSize;

Bytes label_bytes(const char* label) { return Bytes(label, label + std::char_traits<char>::length(label)); }

Bytes snapshot_aad(const EntryScope& scope) {
  mls::TlsWriter w;
  w.raw(label_bytes(kSnapshotAadLabel));
  w.opaque(scope.group_id);
  w.u64(scope.chain_epoch);
  return w.take();
}

Bytes entry_aad(const EntryScope& scope, const EntryPosition& position) {
  mls::TlsWriter w;
  w.raw(label_bytes(kEntryAadLabel));
  w.opaque(scope.group_id);
  w.u64(scope.chain_epoch);
  w.raw(position.producer.data(), position.producer.size());
  w.u64(position.sequence);
  return w.take();
}

Bytes aead_seal_fresh(const EntryKey& key, ByteView aad, ByteView plaintext, Bytes& out) {
  const Bytes nonce = crypto::random_nonce();
  append(out, nonce);
  append(out, key.seal(nonce, aad, plaintext));
  return out;
}

// Opens nonce ‖ ciphertext found at `offset` of `entry`.
std::optional<SecretBytes> aead_open_at(const EntryKey& key, ByteView aad, ByteView entry, size_t offset) {
  if (entry.size() < offset + crypto::kAeadNonceSize + crypto::kAeadTagSize) return std::nullopt;
  const size_t body = offset + crypto::kAeadNonceSize;
  try {
    return SecretBytes(key.open(entry.subview(offset, crypto::kAeadNonceSize), aad, entry.subview(body, entry.size() - body)));
  } catch (const Error&) {
    return std::nullopt;
  }
}

uint64_t read_u64_be(ByteView b, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[offset + i];
  return v;
}

bool is_snapshot(ByteView entry) { return !entry.empty() && entry[0] == kSnapshotEntryVersion; }

EntryOutcome rejected(const char* reason) {
  EntryOutcome out;
  out.reason = reason;
  return out;
}

}  // namespace

Bytes seal_entry(const EntryKey& entry_key, const EntryScope& scope, const EntryPosition& position, ByteView plaintext) {
  Bytes entry{kEntryVersion};
  append(entry, position.producer);
  append_u64_be(entry, position.sequence);
  const SecretBytes padded(pad_to_bucket(plaintext, kEntryBuckets));
  return aead_seal_fresh(entry_key, entry_aad(scope, position), padded, entry);
}

LogHash next_log_hash(const LogHash& previous, ByteView entry) {
  const Bytes entry_hash = crypto::keccak256(entry);
  crypto::Keccak256 h;
  h.update(ByteView(previous.data(), previous.size()));
  h.update(entry_hash);
  const Bytes full = h.finish();
  LogHash next{};
  std::copy_n(full.begin(), kLogHashSize, next.begin());
  return next;
}

std::optional<EntryPosition> entry_position(ByteView entry) {
  if (entry.size() < kEntryHeaderSize || entry[0] != kEntryVersion) return std::nullopt;
  EntryPosition p;
  p.producer = address_from_bytes(entry.subview(1, kAddressSize));
  p.sequence = read_u64_be(entry, 1 + kAddressSize);
  return p;
}

std::optional<SecretBytes> open_entry(const EntryKey& entry_key, const EntryScope& scope, ByteView entry) {
  const std::optional<EntryPosition> position = entry_position(entry);
  if (!position) return std::nullopt;
  const std::optional<SecretBytes> padded = aead_open_at(entry_key, entry_aad(scope, *position), entry, 1 + kPositionSize);
  if (!padded) return std::nullopt;
  return unpad(*padded);
}

Bytes seal_snapshot(const EntryKey& entry_key, const EntryScope& scope, const Ledger& ledger) {
  const SecretBytes state(ledger.serialize());
  Bytes entry{kSnapshotEntryVersion};
  return aead_seal_fresh(entry_key, snapshot_aad(scope), state, entry);
}

Bytes EntryCommand::encode() const {
  mls::TlsWriter w;
  w.raw(command.sender.data(), command.sender.size());
  w.u64(command.nonce);
  w.raw(command.signature);
  w.u64(domain.chain_id);
  w.raw(domain.verifying_contract);
  w.opaque(domain.name);
  w.opaque(domain.version);
  w.opaque(command.payload);
  return w.take();
}

std::optional<EntryCommand> EntryCommand::decode(ByteView plaintext) {
  EntryCommand out;
  try {
    mls::TlsReader r(plaintext.data(), plaintext.size());
    out.command.sender = address_from_bytes(r.raw(kAddressSize));
    out.command.nonce = r.u64();
    out.command.signature = r.raw(crypto::kEthSignatureSize);
    out.domain.chain_id = r.u64();
    out.domain.verifying_contract = r.raw(kAddressSize);
    const Bytes name = r.opaque();
    const Bytes version = r.opaque();
    out.domain.name.assign(name.begin(), name.end());
    out.domain.version.assign(version.begin(), version.end());
    out.command.payload = r.opaque();
    r.finish("entry command");
  } catch (const Error&) {
    return std::nullopt;
  }
  if (out.command.payload.empty() || out.command.payload.size() > kMaxPayloadSize) return std::nullopt;
  return out;
}

Bytes entry_plaintext(const SignedCommand& command, const Domain& domain) { return EntryCommand{command, domain}.encode(); }

Ledger::Ledger(std::unique_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {
  if (!runtime_) throw Error(ErrorCode::kInvalidArgument, "ledger without a runtime");
}

Ledger::Ledger(const Ledger& other)
    : last_applied_(other.last_applied_),
      log_hash_(other.log_hash_),
      domain_(other.domain_),
      nonces_(other.nonces_),
      sequence_epoch_(other.sequence_epoch_),
      producer_next_(other.producer_next_),
      runtime_(other.runtime_->clone()) {}

Ledger& Ledger::operator=(const Ledger& other) {
  if (this != &other) *this = Ledger(other);
  return *this;
}

uint64_t Ledger::next_nonce(const Address& account) const {
  auto it = nonces_.find(account);
  return it == nonces_.end() ? 0 : it->second;
}

uint64_t Ledger::next_sequence(const Address& producer, uint64_t chain_epoch) const {
  if (chain_epoch != sequence_epoch_) return 0;
  auto it = producer_next_.find(producer);
  return it == producer_next_.end() ? 0 : it->second;
}

EntryOutcome Ledger::apply_entry(uint64_t counter, const EntryScope& scope, ByteView entry, const EntryKey& entry_key) {
  if (counter <= last_applied_) {
    EntryOutcome out;
    out.duplicate = true;
    return out;
  }
  if (is_snapshot(entry)) return apply_snapshot(counter, scope, entry, entry_key);
  if (counter != last_applied_ + 1) throw counter_gap(counter);
  consume(counter, entry);  // whatever the entry holds

  const std::optional<SecretBytes> plain = open_entry(entry_key, scope, entry);
  if (!plain) return rejected(ledger_reason::kUndecryptable);
  // The position is authenticated now. An older epoch than the sequences count in cannot be in
  // order (the contract takes posts of the head epoch only).
  const EntryPosition position = *entry_position(entry);
  const bool older_epoch = scope.chain_epoch < sequence_epoch_;
  const uint64_t expected = older_epoch ? 0 : next_sequence(position.producer, scope.chain_epoch);
  if (older_epoch || position.sequence != expected) {
    EntryOutcome out = rejected(ledger_reason::kOutOfSequence);
    out.position = position;
    out.expected_sequence = expected;
    return out;
  }
  if (scope.chain_epoch != sequence_epoch_) {
    producer_next_.clear();
    sequence_epoch_ = scope.chain_epoch;
  }
  producer_next_[position.producer] = position.sequence + 1;
  EntryOutcome checked = apply_command(*plain);
  checked.position = position;
  return checked;
}

EntryOutcome Ledger::apply_command(const SecretBytes& plain) {
  const std::optional<EntryCommand> decoded = EntryCommand::decode(plain);
  if (!decoded) return rejected(ledger_reason::kMalformedEntry);
  const SignedCommand& command = decoded->command;
  const Domain& domain = decoded->domain;
  if (domain_ && !same_domain(*domain_, domain)) return rejected(ledger_reason::kDomainMismatch);
  // Every enclave re-verifies the user's signature: the submitting enclave is not trusted for it.
  if (!command.signed_by_sender(domain)) return rejected(ledger_reason::kBadUserSignature);
  EntryOutcome out;
  out.command_id = command.command_id();
  out.sender = command.sender;
  if (command.nonce != next_nonce(command.sender)) {
    out.reason = ledger_reason::kNonceMismatch;
    return out;
  }
  if (!domain_) domain_ = domain;
  nonces_[command.sender] = command.nonce + 1;
  Transition t = runtime_->apply(command.sender, command.payload);
  out.applied = t.applied;
  out.reason = t.reason;
  out.changed = std::move(t.affected);
  out.changed.insert(command.sender);  // its nonce moved
  return out;
}

void Ledger::consume(uint64_t counter, ByteView entry) {
  last_applied_ = counter;
  log_hash_ = next_log_hash(log_hash_, entry);
}

Error Ledger::counter_gap(uint64_t counter) const {
  return Error(ErrorCode::kCounterGap,
               "stateCounter " + std::to_string(counter) + " but the next entry is " + std::to_string(last_applied_ + 1));
}

EntryOutcome Ledger::apply_snapshot(uint64_t counter, const EntryScope& scope, ByteView entry, const EntryKey& entry_key) {
  const bool in_order = counter == last_applied_ + 1;
  const std::optional<SecretBytes> plain = aead_open_at(entry_key, snapshot_aad(scope), entry, 1);
  std::optional<Ledger> snapshot;
  if (plain) {
    try {
      snapshot = Ledger::deserialize(*plain, runtime_->clone());
    } catch (const Error&) {
      snapshot.reset();  // a snapshot that opens but does not decode is malformed
    }
  }
  EntryOutcome out;
  out.snapshot = true;
  if (!in_order) {
    // Only a valid snapshot of exactly the previous counter may close a gap.
    if (!snapshot || snapshot->last_applied() != counter - 1) throw counter_gap(counter);
    *this = std::move(*snapshot);  // with the log hash of counter - 1, which the contract vouches for at checkpoints
    consume(counter, entry);
    out.applied = true;
    out.adopted = true;
    return out;
  }
  // The comparison covers the log hash: a snapshot of another log is a mismatch too.
  const SecretBytes mine(serialize());
  consume(counter, entry);
  if (!plain) {
    out.reason = ledger_reason::kUndecryptable;
  } else if (!snapshot) {
    out.reason = ledger_reason::kMalformedEntry;
  } else if (!constant_time_equal(SecretBytes(snapshot->serialize()), mine)) {
    out.reason = ledger_reason::kSnapshotMismatch;
  } else {
    out.applied = true;
  }
  return out;
}

QueryAnswer Ledger::query(const Address& sender, const Json& query) const {
  auto op = query.find("op");
  if (op != query.end() && op->is_string() && op->get_ref<const std::string&>() == "nonce") {
    const std::string problem = detail::check_string_members(query, {"op", "account"});
    if (!problem.empty()) return QueryAnswer::failure("malformed_query", problem);
    std::optional<Address> account = parse_address(query.at("account").get_ref<const std::string&>());
    if (!account) return QueryAnswer::failure("malformed_query", "\"account\" is not an address");
    if (*account != sender) return QueryAnswer::failure("not_authorized", "only the account itself may read this");
    return QueryAnswer::success(std::to_string(next_nonce(*account)));
  }
  return runtime_->query(sender, query);
}

Bytes Ledger::serialize() const {
  // Sized for a typical ledger (a token ledger of 10 accounts encodes to ~600 B) so the encoding of
  // the confidential state is not reallocated on its way.
  constexpr size_t kTypicalEncodingSize = 1024;
  mls::TlsWriter w(kTypicalEncodingSize);
  w.u8(kLedgerFormatVersion);
  w.u64(last_applied_);
  w.raw(log_hash_.data(), log_hash_.size());
  w.optional(domain_, [](mls::TlsWriter& out, const Domain& d) {
    out.opaque(d.name);
    out.opaque(d.version);
    out.u64(d.chain_id);
    out.raw(d.verifying_contract);
  });
  w.vector([&](mls::TlsWriter& out) {
    for (const auto& [account, nonce] : nonces_) {
      out.raw(account.data(), account.size());
      out.u64(nonce);
    }
  });
  w.u64(sequence_epoch_);
  w.vector([&](mls::TlsWriter& out) {
    for (const auto& [producer, next] : producer_next_) {
      out.raw(producer.data(), producer.size());
      out.u64(next);
    }
  });
  w.opaque(std::string(runtime_->name()));
  w.vector([&](mls::TlsWriter& out) { runtime_->encode(out); });
  return w.take();
}

Ledger Ledger::deserialize(ByteView data, std::unique_ptr<Runtime> runtime) {
  if (!runtime) throw Error(ErrorCode::kInvalidArgument, "ledger without a runtime");
  return deserialize(data, [&runtime](std::string_view name) {
    if (name != runtime->name()) throw Error(ErrorCode::kDecodeError, "state of another runtime");
    return std::move(runtime);
  });
}

Ledger Ledger::deserialize(ByteView data, const RuntimeMaker& make) {
  // Filled field by field; the runtime named near the end replaces the placeholder.
  Ledger ledger(std::make_unique<detail::UnboundRuntime>());
  try {
    mls::TlsReader r(data.data(), data.size());
    if (r.u8() != kLedgerFormatVersion) throw Error(ErrorCode::kDecodeError, "unknown ledger format");
    ledger.last_applied_ = r.u64();
    const Bytes log_hash = r.raw(kLogHashSize);
    std::copy(log_hash.begin(), log_hash.end(), ledger.log_hash_.begin());
    // Nothing logged, nothing hashed: a log hash without entries (or none after them) is forged.
    const bool empty_hash = log_hash == Bytes(kLogHashSize, 0);
    if ((ledger.last_applied_ == 0) != empty_hash) throw Error(ErrorCode::kDecodeError, "log hash inconsistent with lastApplied");
    if (r.present()) {
      Domain d;
      const Bytes name = r.opaque();
      const Bytes version = r.opaque();
      d.name.assign(name.begin(), name.end());
      d.version.assign(version.begin(), version.end());
      d.chain_id = r.u64();
      d.verifying_contract = r.raw(kAddressSize);
      ledger.domain_ = std::move(d);
    }
    mls::TlsReader nonces = r.vector();
    while (!nonces.empty()) {
      const Address account = address_from_bytes(nonces.raw(kAddressSize));
      const uint64_t nonce = nonces.u64();
      // Canonical: strictly increasing accounts, as serialize() writes them.
      if (nonce == 0 || (!ledger.nonces_.empty() && !(ledger.nonces_.rbegin()->first < account))) {
        throw Error(ErrorCode::kDecodeError, "zero, repeated or unordered nonce");
      }
      ledger.nonces_.emplace_hint(ledger.nonces_.end(), account, nonce);
    }
    ledger.sequence_epoch_ = r.u64();
    mls::TlsReader sequences = r.vector();
    while (!sequences.empty()) {
      const Address producer = address_from_bytes(sequences.raw(kAddressSize));
      const uint64_t next = sequences.u64();
      if (next == 0 || (!ledger.producer_next_.empty() && !(ledger.producer_next_.rbegin()->first < producer))) {
        throw Error(ErrorCode::kDecodeError, "zero, repeated or unordered producer sequence");
      }
      ledger.producer_next_.emplace_hint(ledger.producer_next_.end(), producer, next);
    }
    const Bytes name = r.opaque();
    ledger.runtime_ = make(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()));
    if (!ledger.runtime_) throw Error(ErrorCode::kInternal, "no runtime for the ledger");
    mls::TlsReader state = r.vector();
    ledger.runtime_->decode(state);
    state.finish("runtime state");
    r.finish("ledger");
  } catch (const Error& e) {
    throw Error(ErrorCode::kSealedDataCorrupt, std::string("runtime state does not decode: ") + e.what());
  }
  return ledger;
}

Bytes Ledger::state_hash(ByteView key) const {
  const SecretBytes encoded(serialize());
  return state_hash_of(key, encoded);
}

Bytes Ledger::state_hash_of(ByteView key, ByteView encoding) { return crypto::hmac_sha256(key, encoding); }

}  // namespace anonify::runtime
