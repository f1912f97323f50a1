// Host protocol methods of the state runtime (PROTOCOL.md, "State runtime methods").
//
// What the host sees: sealed user messages it cannot open, log entries encrypted under the MLS
// epoch key, the enclave's EIP-712 signatures, outcomes (applied/rejected with a reason, the
// command's sender and id) and state hashes, and replies/notifications sealed to keys the users
// chose, all padded to fixed sizes (PROTOCOL.md "Padding"). Balances, the other addresses inside
// commands, queries and epoch keys never leave the enclave in the clear.
#include <algorithm>

#include "anonify/crypto/eip712.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/enclave/chain_clock.h"
#include "anonify/enclave/methods.h"
#include "anonify/enclave/sealing.h"
#include "anonify/json_writer.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/ledger.h"
#include "anonify/runtime/json_input.h"
#include "mls/member_group.h"
#include "reply_keys.h"
#include "state_component.h"

namespace anonify::enclave {
namespace {

namespace eip712 = crypto::eip712;
using protocol::hex_param;
using protocol::Params;
using runtime::Domain;
using runtime::detail::EpochKeys;
using runtime::detail::ReplyKeys;
using runtime::detail::StateComponent;

// The state component, running its group's runtime once this enclave is a member (the policy in
// the group's context names it; the creating or joining enclave checked it carries it).
StateComponent& state(Enclave& enclave) {
  require_identity(enclave);
  StateComponent& s = enclave.component<StateComponent>();
  if (const EpochKeys* keys = s.group_keys().current_keys(enclave)) s.bind_runtime(keys->runtime);
  return s;
}

// The same, handing out the current epoch's keys it looked up (nullptr: not a member; the component's
// cached copy, not a new one), for the methods that need them later; nothing they do in between
// changes the group.
StateComponent& state(Enclave& enclave, const EpochKeys*& keys) {
  require_identity(enclave);
  StateComponent& s = enclave.component<StateComponent>();
  keys = s.group_keys().current_keys(enclave);
  if (keys != nullptr) s.bind_runtime(keys->runtime);
  return s;
}

Domain domain_param(const Params& params) {
  const Params d = params.object("domain");
  Domain domain;
  if (auto name = d.optional_string("name")) domain.name = *name;
  if (auto version = d.optional_string("version")) domain.version = *version;
  domain.chain_id = d.u64("chainId");
  domain.verifying_contract = d.bytes("verifyingContract", crypto::kEthAddressSize);
  return domain;
}

void require_log_domain(const StateComponent& s, const Domain& given) {
  const std::optional<Domain>& bound = s.ledger().domain();
  if (bound && !runtime::same_domain(*bound, given)) {
    throw Error(ErrorCode::kDomainMismatch, "params.domain differs from the domain of the log's commands");
  }
}

// Reads and subscriptions carry no domain in the user's envelope: the log's domain once a command
// was applied, else params.domain.
Domain resolve_domain(const StateComponent& s, const Params& params) {
  if (params.has("domain")) {
    const Domain given = domain_param(params);
    require_log_domain(s, given);
    return given;
  }
  if (s.ledger().domain()) return *s.ledger().domain();
  throw Error(ErrorCode::kInvalidParams, "params.domain is required until the log holds a command");
}

EpochKeys require_member(Enclave& enclave, StateComponent& s) {
  std::optional<EpochKeys> keys = s.group_keys().current(enclave);
  if (!keys) throw Error(ErrorCode::kNotMember, "this enclave is not a member of an MLS group");
  return std::move(*keys);
}

// require_member with the keys state() already looked up.
const EpochKeys& require_member(const EpochKeys* keys) {
  if (keys == nullptr) throw Error(ErrorCode::kNotMember, "this enclave is not a member of an MLS group");
  return *keys;
}

// Opens a user's sealed message and strips its padding (a message without it is `malformed`).
SecretBytes open_user_message(Enclave& enclave, const Params& params, const char* info, ErrorCode malformed) {
  const Bytes sealed = params.bytes("payload");
  std::optional<SecretBytes> plain = runtime::open_sealed(sealed, enclave.identity().hpke_key(), info);
  if (!plain) throw Error(ErrorCode::kHpkeOpenFailed, std::string("payload does not open as ") + info);
  std::optional<SecretBytes> data = runtime::unpad(*plain);
  if (!data) throw Error(malformed, std::string(info) + ": the plaintext is not padded (PROTOCOL.md \"Padding\")");
  return std::move(*data);
}

runtime::Address self_address(Enclave& enclave) { return runtime::address_from_bytes(enclave.identity().eth_address()); }

// The sequence number of this enclave's next entry of `epoch`. params.pending, when given, is the
// host's account of this enclave's entries still waiting to be applied: {"epoch", "highestSequence"?}
// (no highestSequence: none pending in that epoch); the number follows the highest of them, or is
// the log's next when none of this epoch is pending (an entry that was never posted does not hold
// the numbers up). Only liveness depends on it: the order is enforced by every applier. Without it
// the enclave counts its own entries since the last restart (StateComponent::next_sequence).
uint64_t producer_sequence(const StateComponent& s, const Params& params, const runtime::Address& self, uint64_t epoch) {
  if (!params.has("pending")) return s.next_sequence(self, epoch);
  const Params pending = params.object("pending");
  const uint64_t pending_epoch = pending.u64("epoch");
  const std::optional<uint64_t> highest = pending.has("highestSequence") ? std::optional<uint64_t>(pending.u64("highestSequence")) : std::nullopt;
  if (highest == UINT64_MAX) throw Error(ErrorCode::kInvalidParams, "params.pending.highestSequence is out of range");
  const uint64_t logged = s.ledger().next_sequence(self, epoch);
  if (!highest || pending_epoch != epoch) return logged;  // entries of another epoch can no longer be posted
  return std::max(logged, *highest + 1);
}

runtime::EntryScope scope_of(const EpochKeys& keys) { return runtime::EntryScope{keys.group_id, keys.chain_epoch()}; }

// params.issuedAtWindow (seconds, decimal string), within the bounds; the default otherwise.
uint64_t freshness_window(const Params& params) {
  if (!params.has("issuedAtWindow")) return runtime::detail::kDefaultFreshnessWindow;
  const uint64_t window = params.u64("issuedAtWindow");
  if (window < runtime::detail::kMinFreshnessWindow || window > runtime::detail::kMaxFreshnessWindow) {
    throw Error(ErrorCode::kInvalidParams, "params.issuedAtWindow must be " + std::to_string(runtime::detail::kMinFreshnessWindow) +
                                               ".." + std::to_string(runtime::detail::kMaxFreshnessWindow) + " seconds");
  }
  return window;
}

// A reply key must be usable, its request fresh against the chain clock and never answered before.
void check_reply_key(Enclave& enclave, const Params& params, ByteView reply_key, uint64_t issued_at) {
  runtime::require_usable_reply_key(reply_key);
  enclave.component<ReplyKeys>().check(reply_key, issued_at, freshness_window(params), enclave.component<ChainClock>().newest());
}

void record_reply_key(Enclave& enclave, const Bytes& reply_key, uint64_t issued_at) {
  enclave.component<ReplyKeys>().record(reply_key, issued_at, enclave.component<ChainClock>().newest());
}

Bytes sign_typed(Enclave& enclave, const Domain& domain, ByteView struct_hash) {
  const Bytes digest = eip712::typed_data_digest(eip712::domain_separator(domain), struct_hash);
  return crypto::eth_sign_digest(enclave.identity().secp256k1_private_key(), digest);
}

Json hash_or_null(const Bytes& hash) { return hash.empty() ? Json(nullptr) : Json(hex_param(hash)); }

Bytes json_bytes(const Json& value) {
  const std::string text = value.dump();
  return Bytes(text.begin(), text.end());
}

}  // namespace

ANONIFY_PROTOCOL_METHOD(state_submit)(Enclave& enclave, const Params& params) {
  const EpochKeys* current_keys = nullptr;
  StateComponent& s = state(enclave, current_keys);
  const Domain domain = domain_param(params);
  const SecretBytes plain = open_user_message(enclave, params, runtime::kCommandInfo, ErrorCode::kMalformedCommand);
  std::optional<runtime::Json> object = runtime::detail::parse_object(plain);
  if (!object) throw Error(ErrorCode::kMalformedCommand, "command: not a JSON object");
  const runtime::SignedCommand command = runtime::SignedCommand::parse(*object);
  require_log_domain(s, domain);
  if (!command.signed_by_sender(domain)) {
    throw Error(ErrorCode::kBadUserSignature, "the signature is not by " + runtime::format_address(command.sender));
  }
  const uint64_t expected = s.ledger().next_nonce(command.sender);
  if (command.nonce != expected) {
    throw Error(ErrorCode::kNonceMismatch,
                "expected nonce " + std::to_string(expected) + ", got " + std::to_string(command.nonce));
  }
  const EpochKeys& keys = require_member(current_keys);
  require_no_pending_self_update(enclave, "state_submit");
  const uint64_t epoch = keys.chain_epoch();
  const runtime::Address self = self_address(enclave);
  const runtime::EntryPosition position{self, producer_sequence(s, params, self, epoch)};  // invalid_params first
  // A dry run against the applied state: what the runtime would reject is refused here, before
  // anything is sealed, signed or recorded, so it is never posted and the sender's nonce stays
  // unused. Advisory only: the runtime at the command's place in the log decides.
  const runtime::Transition verdict = s.ledger().runtime().check(command.sender, command.payload);
  if (!verdict.applied) throw Error(ErrorCode::kCommandRefused, verdict.reason);
  const Bytes entry = runtime::seal_entry(keys.entry_key, scope_of(keys), position, runtime::entry_plaintext(command, domain));
  Bytes entry_hash = crypto::keccak256(entry);
  // The post number the contract takes once (audit F-5) is the entry's producer sequence.
  const Bytes signature = sign_typed(enclave, domain, eip712::ciphertext_struct_hash(epoch, position.sequence, entry_hash));
  s.produced().record(epoch, std::move(entry_hash));
  s.produced_sequence(epoch, position.sequence);
  // Written as text (json_writer.h), the members in dump()'s order.
  JsonWriter out;
  out.begin_object()
      .key("commandId").hex(command.command_id())
      .key("entry").hex(entry)
      .key("epoch").decimal(epoch)
      .key("nonce").decimal(command.nonce)
      .key("producer").hex(position.producer)
      .key("producerSequence").decimal(position.sequence)
      .key("sender").hex(command.sender)
      .key("signature").hex(signature)
      .end_object();
  return protocol::MethodResult::encoded(out.take());
}

// Signs CiphertextBatch(epoch, firstSequence, payloadsHash) over entries this enclave's state_submit
// produced in the current epoch, in the order of their producer sequences without a gap (the
// contract takes the batch as that range of this enclave's post numbers), so the host can post them
// with one postCiphertextBatch. Read-only: a refusal and a success change nothing.
ANONIFY_PROTOCOL_METHOD(state_sign_batch)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const Domain domain = domain_param(params);
  const uint64_t epoch = params.u64("epoch");
  const Json& list = params.raw("entries");
  if (!list.is_array() || list.empty() || list.size() > runtime::detail::kMaxBatchEntries) {
    throw Error(ErrorCode::kInvalidParams, "params.entries: expected an array of 1.." +
                                               std::to_string(runtime::detail::kMaxBatchEntries) + " hex entries");
  }
  std::vector<Bytes> entries;
  entries.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string name = "entries[" + std::to_string(i) + "]";
    entries.push_back(Params(Json{{name, list[i]}}).bytes(name.c_str()));
  }
  require_log_domain(s, domain);
  const EpochKeys keys = require_member(enclave, s);
  if (epoch != keys.chain_epoch()) {
    throw Error(ErrorCode::kEpochMismatch, "batch of epoch " + std::to_string(epoch) + " but the group is at epoch " +
                                               std::to_string(keys.chain_epoch()));
  }
  uint64_t first_sequence = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Bytes hash = crypto::keccak256(entries[i]);
    if (!s.produced().contains(epoch, hash)) {
      throw Error(ErrorCode::kUnknownEntry, "entries[" + std::to_string(i) + "] was not produced by this enclave's state_submit in epoch " +
                                                std::to_string(epoch));
    }
    // Produced here, so it is a command entry of ours; consecutive numbers also refuse an entry twice.
    const uint64_t sequence = runtime::entry_position(entries[i])->sequence;
    if (i == 0) first_sequence = sequence;
    if (sequence != first_sequence + i) {
      throw Error(ErrorCode::kInvalidParams, "params.entries[" + std::to_string(i) + "] has producer sequence " + std::to_string(sequence) +
                                                 ", but a batch takes consecutive numbers: expected " + std::to_string(first_sequence + i));
    }
  }
  const Bytes payloads_hash = eip712::batch_payloads_hash(entries);
  const Bytes signature = sign_typed(enclave, domain, eip712::ciphertext_batch_struct_hash(epoch, first_sequence, payloads_hash));
  return Json{{"signature", hex_param(signature)},
              {"payloadsHash", hex_param(payloads_hash)},
              {"firstSequence", std::to_string(first_sequence)}};
}

ANONIFY_PROTOCOL_METHOD(state_apply)(Enclave& enclave, const Params& params) {
  const EpochKeys* current_keys = nullptr;
  StateComponent& s = state(enclave, current_keys);
  const uint64_t counter = params.u64("stateCounter");
  const uint64_t epoch = params.u64("epoch");
  const Bytes entry = params.bytes("entry");
  const uint64_t block_time = params.u64("blockTimestamp");
  const uint64_t last = s.ledger().last_applied();
  if (counter <= last) return Json{{"stateCounter", std::to_string(counter)}, {"duplicate", true}};
  // Only a snapshot entry may close a gap (Ledger::apply_entry decides); anything else is refused
  // before the group is consulted.
  const bool snapshot = !entry.empty() && entry[0] == runtime::kSnapshotEntryVersion;
  if (counter != last + 1 && !snapshot) {
    throw Error(ErrorCode::kCounterGap,
                "stateCounter " + std::to_string(counter) + " but the next entry is " + std::to_string(last + 1));
  }
  const EpochKeys& keys = require_member(current_keys);
  if (epoch != keys.chain_epoch()) {
    throw Error(ErrorCode::kEpochMismatch, "entry of epoch " + std::to_string(epoch) + " but the group is at epoch " +
                                               std::to_string(keys.chain_epoch()));
  }
  runtime::Ledger next = s.ledger();
  const runtime::EntryOutcome outcome = next.apply_entry(counter, scope_of(keys), entry, keys.entry_key);
  const SecretBytes next_encoding(next.serialize());  // hashed and sealed: serialized once
  Bytes hash = runtime::Ledger::state_hash_of(keys.hash_key, next_encoding);

  // Notifications are built before anything is committed and can never fail the apply: a seal that
  // fails (subscribe refuses unusable keys, so it should not) drops that one notification. Every
  // notification has the same padded size, changed or not.
  JsonWriter notifications;
  notifications.begin_array();
  for (const auto& [id, sub] : s.subscriptions()) {
    const bool changed = outcome.adopted || outcome.changed.count(sub.account) != 0;
    JsonWriter note;
    note.begin_object().key("changed").boolean(changed).key("stateCounter").decimal(counter).end_object();
    try {
      const SecretBytes padded(runtime::pad_to_size(ByteView::from_string(note.take()), runtime::kNotificationSize));
      const Bytes payload = runtime::seal_to(sub.reply_key, runtime::kNotifyInfo, padded);
      notifications.begin_object().key("payload").hex(payload).key("subscriptionId").string(id).end_object();
    } catch (const Error&) {
      continue;
    }
  }
  notifications.end_array();
  // The clock first (sealed as it moves; it only ever makes freshness checks stricter), then the
  // state: lastApplied moves only together with the state it belongs to. One manifest write
  // records both (on a chain, most entries arrive at a new block time).
  enclave::SealedStore::ManifestBatch batch(enclave.sealed_store());
  enclave.component<ChainClock>().observe(block_time);
  s.commit(std::move(next), hash, next_encoding);
  batch.commit();
  if (outcome.reason == runtime::ledger_reason::kOutOfSequence && outcome.position &&
      outcome.position->producer == self_address(enclave)) {
    s.resync_sequence(epoch, outcome.expected_sequence);  // one of ours was never posted
  }

  // Written as text (json_writer.h), the members in dump()'s order.
  JsonWriter out;
  out.begin_object();
  if (outcome.command_id) out.key("commandId").hex(*outcome.command_id);
  if (outcome.position && outcome.reason == runtime::ledger_reason::kOutOfSequence) {
    out.key("expectedSequence").decimal(outcome.expected_sequence);
  }
  out.key("notifications").raw_value(notifications.take());
  out.key("outcome").string(outcome.applied ? "applied" : "rejected");
  if (outcome.position) {
    out.key("producer").hex(outcome.position->producer);
    out.key("producerSequence").decimal(outcome.position->sequence);
  }
  if (!outcome.applied) out.key("reason").string(outcome.reason);
  if (outcome.sender) out.key("sender").hex(*outcome.sender);
  if (outcome.snapshot) out.key("snapshot").string(outcome.adopted ? "adopted" : "checked");
  out.key("stateCounter").decimal(counter);
  out.key("stateHash").hex(hash);
  out.end_object();
  return protocol::MethodResult::encoded(out.take());
}

ANONIFY_PROTOCOL_METHOD(state_snapshot)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const Domain domain = domain_param(params);
  require_log_domain(s, domain);
  const EpochKeys keys = require_member(enclave, s);
  require_no_pending_self_update(enclave, "state_snapshot");
  const uint64_t epoch = keys.chain_epoch();
  const Bytes entry = runtime::seal_snapshot(keys.entry_key, scope_of(keys), s.ledger());
  // Signed for the one position it can hold: the entry after the last applied one.
  const uint64_t position = s.ledger().last_applied() + 1;
  const Bytes signature = sign_typed(enclave, domain, eip712::snapshot_struct_hash(epoch, position, crypto::keccak256(entry)));
  return Json{{"entry", hex_param(entry)},
              {"epoch", std::to_string(epoch)},
              {"signature", hex_param(signature)},
              {"stateCounter", std::to_string(s.ledger().last_applied())}};
}

ANONIFY_PROTOCOL_METHOD(state_read)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const SecretBytes plain = open_user_message(enclave, params, runtime::kReadInfo, ErrorCode::kMalformedRead);
  const runtime::ReadRequest request = runtime::ReadRequest::parse(plain);
  const Domain domain = resolve_domain(s, params);
  if (!request.signed_by_sender(domain)) {
    throw Error(ErrorCode::kBadUserSignature, "the signature is not by " + runtime::format_address(request.sender));
  }
  check_reply_key(enclave, params, request.reply_key, request.issued_at);
  runtime::QueryAnswer answer;
  if (std::optional<runtime::Json> query = runtime::detail::parse_object(request.query)) {
    answer = s.ledger().query(request.sender, *query);
  } else {
    answer = runtime::QueryAnswer::failure("malformed_query", "the query is not a JSON object");
  }
  Json reply = answer.ok ? Json{{"ok", true}, {"result", answer.result}, {"stateCounter", std::to_string(s.ledger().last_applied())}}
                         : Json{{"ok", false}, {"error", {{"code", answer.error_code}, {"message", answer.message}}}};
  // Sealed with the answer, so the host cannot alter it: the client compares it with the runtime its
  // group contract names, and trusts no answer of an enclave running another application.
  reply["runtime"] = s.runtime_bound() ? Json(std::string(s.ledger().runtime().name())) : Json(nullptr);
  const SecretBytes reply_bytes(runtime::pad_to_bucket(SecretBytes(json_bytes(reply)), runtime::kReplyBuckets));
  const Bytes sealed = runtime::seal_to(request.reply_key, runtime::kReadReplyInfo, reply_bytes);
  record_reply_key(enclave, request.reply_key, request.issued_at);  // sealed before the reply leaves
  return Json{{"reply", hex_param(sealed)}};
}

ANONIFY_PROTOCOL_METHOD(state_subscribe)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const SecretBytes plain = open_user_message(enclave, params, runtime::kSubscribeInfo, ErrorCode::kMalformedSubscription);
  runtime::Subscription subscription = runtime::Subscription::parse(plain);
  const Domain domain = resolve_domain(s, params);
  if (!subscription.signed_by_account(domain)) {
    throw Error(ErrorCode::kBadUserSignature, "the signature is not by " + runtime::format_address(subscription.account));
  }
  check_reply_key(enclave, params, subscription.reply_key, subscription.issued_at);
  const Bytes reply_key = subscription.reply_key;
  const uint64_t issued_at = subscription.issued_at;
  const std::string id = s.subscribe(std::move(subscription));
  try {
    record_reply_key(enclave, reply_key, issued_at);
  } catch (const Error&) {
    s.unsubscribe(id);  // a failed request changes nothing
    throw;
  }
  return Json{{"subscriptionId", id}};
}

ANONIFY_PROTOCOL_METHOD(state_unsubscribe)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const std::string id = params.string("subscriptionId");
  if (!s.unsubscribe(id)) throw Error(ErrorCode::kNotFound, "no subscription " + runtime::detail::utf8_excerpt(id, 64));
  return Json{{"subscriptionId", id}, {"removed", true}};
}

ANONIFY_PROTOCOL_METHOD(state_status)(Enclave& enclave, const Params&) {
  StateComponent& s = state(enclave);
  const std::optional<EpochKeys> keys = s.group_keys().current(enclave);
  const auto& domain = s.ledger().domain();
  return Json{{"lastApplied", std::to_string(s.ledger().last_applied())},
              {"stateHash", hash_or_null(s.state_hash())},
              {"initialized", s.ledger().runtime().initialized()},
              {"runtime", s.runtime_bound() ? Json(std::string(s.ledger().runtime().name())) : Json(nullptr)},
              {"member", keys.has_value()},
              {"epoch", keys ? Json(std::to_string(keys->chain_epoch())) : Json(nullptr)},
              {"selfUpdateRequired", mls_self_update_required(enclave)},
              {"domain", domain ? runtime::domain_to_json(*domain) : Json(nullptr)},
              {"subscriptions", s.subscriptions().size()},
              {"chainTime", std::to_string(enclave.component<ChainClock>().newest())}};
}

ANONIFY_PROTOCOL_METHOD(state_checkpoint)(Enclave& enclave, const Params& params) {
  StateComponent& s = state(enclave);
  const Domain domain = domain_param(params);
  require_log_domain(s, domain);
  if (s.ledger().last_applied() == 0) throw Error(ErrorCode::kInvalidState, "no log entry applied yet");
  const uint64_t counter = s.ledger().last_applied();
  // The log hash is what this enclave computed over the entries it applied: the contract accepts the
  // checkpoint only if that is the log on chain (audit F-8).
  const Bytes log_hash(s.ledger().log_hash().begin(), s.ledger().log_hash().end());
  const Bytes signature = sign_typed(enclave, domain, eip712::checkpoint_struct_hash(counter, s.state_hash(), log_hash));
  return Json{{"stateCounter", std::to_string(counter)},
              {"stateHash", hex_param(s.state_hash())},
              {"logHash", hex_param(log_hash)},
              {"signature", hex_param(signature)}};
}

}  // namespace anonify::enclave
