#include "state_component.h"

#include "anonify/crypto/hash.h"
#include "anonify/crypto/random.h"
#include "anonify/error.h"
#include "anonify/runtime/registry.h"
#include "unbound_runtime.h"

namespace anonify::runtime::detail {

namespace {

constexpr uint8_t kStateBlobVersion = 1;

// The runtime a sealed ledger names: the registry's, or the placeholder of an enclave that had not
// joined a group when it sealed.
std::unique_ptr<Runtime> runtime_named(std::string_view name) {
  if (name == kUnboundRuntimeName) return std::make_unique<UnboundRuntime>();
  return make_runtime(name);
}

}  // namespace

Bytes encode_state_blob(const Ledger& ledger, const Bytes& state_hash) {
  const SecretBytes encoded(ledger.serialize());  // the state is confidential: wiped after use
  return encode_state_blob(encoded, state_hash);
}

Bytes encode_state_blob(ByteView ledger_encoding, const Bytes& state_hash) {
  constexpr size_t kVersionAndLengths = 1 + 4 + 1;  // version, the encoding's varint (at most 4), the hash's
  mls::TlsWriter w(kVersionAndLengths + ledger_encoding.size() + state_hash.size());
  w.u8(kStateBlobVersion);
  w.varint(ledger_encoding.size());
  w.raw(ledger_encoding.data(), ledger_encoding.size());
  w.opaque(state_hash);
  return w.take();
}

StateBlob decode_state_blob(ByteView blob) {
  try {
    mls::TlsReader r(blob.data(), blob.size());
    if (r.u8() != kStateBlobVersion) throw Error(ErrorCode::kDecodeError, "unknown version");
    const SecretBytes ledger(r.opaque());
    Bytes hash = r.opaque();
    r.finish("runtime state");
    if (!hash.empty() && hash.size() != crypto::kSha256Size) throw Error(ErrorCode::kDecodeError, "state hash size");
    return StateBlob{Ledger::deserialize(ledger, runtime_named), std::move(hash)};
  } catch (const Error& e) {
    throw Error(ErrorCode::kSealedDataCorrupt, std::string("sealed runtime state: ") + e.what());
  }
}

// Built at `init`: the sealed state is read then and never again while the enclave runs.
ANONIFY_ENCLAVE_COMPONENT(StateComponent);

StateComponent::StateComponent(enclave::Enclave& enclave) : enclave_(enclave), ledger_(std::make_unique<UnboundRuntime>()) {
  if (enclave.initialized()) {
    // Rewritten by every apply: kept inside the store manifest while small (one file write per apply).
    enclave.sealed_store().keep_inline(kStateSealName);
    if (std::optional<SecretBytes> sealed = enclave.sealed_store().get(kStateSealName)) {
      StateBlob state = decode_state_blob(*sealed);
      ledger_ = std::move(state.ledger);
      state_hash_ = std::move(state.state_hash);
    }
  }
  enclave.add_sealer(kStateSealName, [this] { return encode_state_blob(ledger_, state_hash_); });
}

bool StateComponent::runtime_bound() const noexcept { return ledger_.runtime().name() != kUnboundRuntimeName; }

void StateComponent::bind_runtime(const std::string& name) {
  if (ledger_.runtime().name() == name) return;
  // Only a ledger that never applied an entry may take another runtime: it holds no state to lose.
  if (ledger_.last_applied() != 0 || ledger_.domain().has_value()) {
    throw Error(ErrorCode::kInvalidState, "the applied state belongs to the runtime \"" + std::string(ledger_.runtime().name()) +
                                              "\", but the group runs \"" + name + "\"");
  }
  ledger_ = Ledger(make_runtime(name));
}

void StateComponent::commit(Ledger next, Bytes state_hash, ByteView next_encoding) {
  SecretBytes blob(encode_state_blob(next_encoding, state_hash));
  enclave_.sealed_store().put(kStateSealName, blob);
  ledger_ = std::move(next);
  state_hash_ = std::move(state_hash);
}

uint64_t StateComponent::next_sequence(const Address& self, uint64_t chain_epoch) const {
  const uint64_t logged = ledger_.next_sequence(self, chain_epoch);
  return produced_epoch_ == chain_epoch && produced_next_ > logged ? produced_next_ : logged;
}

void StateComponent::produced_sequence(uint64_t chain_epoch, uint64_t sequence) {
  produced_epoch_ = chain_epoch;
  produced_next_ = sequence + 1;
}

void StateComponent::resync_sequence(uint64_t chain_epoch, uint64_t expected) {
  if (produced_epoch_ == chain_epoch && produced_next_ > expected) produced_next_ = expected;
}

std::string StateComponent::subscribe(Subscription subscription) {
  if (subscriptions_.size() >= kMaxSubscriptions) {
    throw Error(ErrorCode::kInvalidState, "too many subscriptions (" + std::to_string(kMaxSubscriptions) + ")");
  }
  std::string id = "0x" + to_hex(crypto::random_bytes(kSubscriptionIdSize));
  subscriptions_.emplace(id, std::move(subscription));
  return id;
}

bool StateComponent::unsubscribe(const std::string& id) { return subscriptions_.erase(id) == 1; }

}  // namespace anonify::runtime::detail
