// libFuzzer harness for the state runtime's decoding of everything users, the log and the disk
// hand it:
//   0  a command envelope after HPKE open ({"sender","nonce","payload","signature"}, state_submit)
//   1  a read request after HPKE open (state_read)      2  a subscription after HPKE open (state_subscribe)
//   3  a log entry plaintext, a binary EntryCommand (sealed here under the epoch key, then applied by
//      the ledger)
//   4  a command payload as the token runtime applies it (signature checks skipped: direct call)
//   5  a snapshot entry's ledger encoding (sealed here, applied in order and across a gap)
//   6  a ledger encoding (Ledger::deserialize)          7  the sealed "runtime-state" blob contents
//   8  a sealed-file container (unseal_blob)           9  a query object (ledger, then token runtime)
//   10 an HPKE envelope as the enclave opens it (open_sealed, then the command parser)
//   11 state_apply through the protocol dispatcher, on a fresh enclave (a copy of a template data
//      directory: group created) with two live subscriptions; the input's first byte picks the
//      entry's producer sequence (bit 7: hand the rest over as the raw entry), the rest is the
//      entry plaintext sealed under the epoch key
//   12 the sealed store manifest's plaintext (decode_seal_manifest: generations, inline blobs)
//
// Input: byte 0 picks the decoder, the rest is its input. Every input starts from the same state:
// decoders 0..10 work on copies of a fixture built once, decoder 11 on a fresh enclave.
//
// Invariants: no crash/UB; refusals are anonify::Error or a rejected outcome with a reason; a
// rejected entry changes nothing but the counter (and an out-of-sequence one not even the
// producer's sequence); accepted encodings (entry plaintext, ledger, state blob, version 2 store
// manifest) re-encode to the same bytes, a version 1 manifest to one with the same generations; a
// parsed command re-parses to the same fields from its own JSON; state_apply answers well-formed,
// notifies both subscriptions with payloads of one length, and moves lastApplied exactly when it
// answers a result.
// First: it allows the deprecated RAND_set_rand_method before any OpenSSL header is read.
#include "fuzz_util.h"

#include <functional>

#include "anonify/crypto/secp256k1.h"
#include "anonify/crypto/x25519.h"
#include "anonify/crypto/aead.h"
#include "anonify/crypto/eip712.h"
#include "anonify/enclave/enclave.h"
#include "anonify/enclave/methods.h"
#include "anonify/enclave/platform.h"
#include "anonify/enclave/sealing.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/ledger.h"
#include "anonify/runtime/token.h"
#include "evidence_test_util.h"
#include "runtime/group_keys.h"
#include "anonify/runtime/json_input.h"
#include "runtime/state_component.h"

using namespace anonify;
using runtime::Ledger;

namespace {

constexpr uint64_t kEpoch = 3;
const char* const kSealName = "runtime-state";
const runtime::EntryScope kScope{Bytes{0x66, 0x75, 0x7a, 0x7a}, kEpoch};

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

struct User {
  Bytes key;
  runtime::Address address;
};

struct RuntimeFixture {
  runtime::Domain domain;
  Bytes entry_key_bytes = Bytes(runtime::kEntryKeySize, 0x42);
  runtime::EntryKey entry_key = runtime::make_entry_key(entry_key_bytes);
  Bytes root_key = Bytes(32, 0x17);
  Bytes mrenclave = Bytes(32, 0xab);
  runtime::Address producer{};  // the enclave that sealed the fixture's entries
  crypto::X25519KeyPair hpke;
  crypto::X25519PrivateKey hpke_key;  // the enclave's prepared key, as the identity holds it
  User alice;
  User bob;
  Ledger ledger{std::make_unique<runtime::TokenRuntime>()};  // after alice's init and a transfer to bob
  std::vector<Bytes> entry_plaintexts;                       // of the commands applied, and more
  std::vector<Bytes> payloads;

  static RuntimeFixture& get() {
    static RuntimeFixture f;
    return f;
  }

  runtime::SignedCommand command(const User& user, uint64_t nonce, const std::string& payload) const {
    runtime::SignedCommand c;
    c.sender = user.address;
    c.nonce = nonce;
    c.payload = text_bytes(payload);
    c.signature = crypto::eth_sign_digest(user.key, c.digest(domain));
    return c;
  }

 private:
  static User user(uint8_t fill) {
    User u{Bytes(32, fill), {}};
    u.address = runtime::address_from_bytes(crypto::eth_address(u.key));
    return u;
  }

  RuntimeFixture()
      : hpke((fuzz::DeterministicRandom::install(), crypto::x25519_generate())),
        hpke_key(hpke.private_key),
        alice(user(1)),
        bob(user(2)) {
    domain.chain_id = 31337;
    domain.verifying_contract = Bytes(20, 0x11);
    producer.fill(0x77);
    const std::string to_bob = "\"" + runtime::format_address(bob.address) + "\"";
    const std::string to_alice = "\"" + runtime::format_address(alice.address) + "\"";
    payloads = {
        text_bytes(R"({"op":"init","name":"Fuzz","symbol":"FZ","initialSupply":"1000"})"),
        text_bytes(R"({"op":"transfer","to":)" + to_bob + R"(,"amount":"10"})"),
        text_bytes(R"({"op":"approve","spender":)" + to_bob + R"(,"amount":"5"})"),
        text_bytes(R"({"op":"transferFrom","from":)" + to_alice + R"(,"to":)" + to_bob + R"(,"amount":"1"})"),
        text_bytes(R"({"op":"mint","to":)" + to_bob + R"(,"amount":"7"})"),
        text_bytes(R"({"op":"burn","amount":"2"})"),
    };
    for (size_t i = 0; i < payloads.size(); ++i) {
      const std::string payload(payloads[i].begin(), payloads[i].end());
      entry_plaintexts.push_back(runtime::entry_plaintext(command(alice, i, payload), domain));
    }
    for (uint64_t counter = 1; counter <= 2; ++counter) {
      const Bytes entry =
          runtime::seal_entry(entry_key, kScope, runtime::EntryPosition{producer, counter - 1}, entry_plaintexts[counter - 1]);
      const runtime::EntryOutcome out = ledger.apply_entry(counter, kScope, entry, entry_key);
      if (!out.applied) fuzz::fail("fixture", "command " + std::to_string(counter) + " rejected: " + out.reason);
    }
  }
};

std::string hex_string_of(ByteView bytes) { return "0x" + to_hex(bytes); }
std::string hex_string(ByteView bytes) { return hex_string_of(bytes); }

void refused_or_done(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

// Applies an entry to a copy of the fixture's ledger; a rejection must leave it unchanged.
void apply_to_copy(uint64_t counter, ByteView entry) {
  RuntimeFixture& f = RuntimeFixture::get();
  Ledger copy = f.ledger;
  runtime::EntryOutcome out;
  try {
    out = copy.apply_entry(counter, kScope, entry, f.entry_key);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCounterGap) throw;
    if (copy.serialize() != f.ledger.serialize()) fuzz::fail("ledger", "a counter gap changed the ledger");
    return;
  }
  if (!out.applied && !out.duplicate) {
    if (out.reason.empty()) fuzz::fail("ledger", "a rejected entry without a reason");
    Ledger expected = f.ledger;
    // Only the counter (and, for a runtime rejection, the sender's nonce) may move.
    if (out.reason == runtime::ledger_reason::kOutOfSequence) {
      Ledger counted = f.ledger;
      counted.apply_entry(counter, kScope, Bytes{}, f.entry_key);  // an undecryptable entry: the counter only
      if (copy.serialize() != counted.serialize()) fuzz::fail("ledger", "an out-of-sequence entry changed more than the counter");
    }
    if (out.reason == runtime::ledger_reason::kUndecryptable || out.reason == runtime::ledger_reason::kMalformedEntry ||
        out.reason == runtime::ledger_reason::kBadUserSignature || out.reason == runtime::ledger_reason::kDomainMismatch) {
      if (copy.runtime().initialized() != expected.runtime().initialized() ||
          copy.next_nonce(f.alice.address) != expected.next_nonce(f.alice.address) ||
          copy.next_nonce(f.bob.address) != expected.next_nonce(f.bob.address)) {
        fuzz::fail("ledger", "rejected entry (" + out.reason + ") changed the state");
      }
    }
  }
}

void command_envelope(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  std::optional<runtime::Json> object = runtime::detail::parse_object(in);
  if (!object) return;
  const runtime::SignedCommand c = runtime::SignedCommand::parse(*object);
  const runtime::SignedCommand again = runtime::SignedCommand::parse(c.to_json());
  if (again.sender != c.sender || again.nonce != c.nonce || again.payload != c.payload || again.signature != c.signature) {
    fuzz::fail("command", "to_json does not re-parse to the same command");
  }
  c.signed_by_sender(f.domain);
  c.command_id();
}

void entry_plaintext(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  // One encoding per command: what decodes re-encodes to exactly its bytes.
  if (const std::optional<runtime::EntryCommand> decoded = runtime::EntryCommand::decode(in)) {
    if (decoded->encode() != in) fuzz::fail("entry", "an entry plaintext decodes but does not re-encode to its bytes");
  }
  const runtime::EntryPosition position{f.producer, f.ledger.next_sequence(f.producer, kEpoch)};
  apply_to_copy(f.ledger.last_applied() + 1, runtime::seal_entry(f.entry_key, kScope, position, in));
}

void token_payload(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  std::unique_ptr<runtime::Runtime> token = f.ledger.runtime().clone();
  mls::TlsWriter before;
  token->encode(before);
  // state_submit's dry run must change nothing and agree with apply, reason for reason.
  const runtime::Transition dry = token->check(f.alice.address, in);
  mls::TlsWriter checked;
  token->encode(checked);
  if (checked.bytes() != before.bytes()) fuzz::fail("token", "check changed the state");
  const runtime::Transition t = token->apply(f.alice.address, in);
  if (dry.applied != t.applied || dry.reason != t.reason) {
    fuzz::fail("token", "check and apply disagree: \"" + dry.reason + "\" vs \"" + t.reason + "\"");
  }
  mls::TlsWriter after;
  token->encode(after);
  if (!t.applied && (t.reason.empty() || before.bytes() != after.bytes())) {
    fuzz::fail("token", "a rejected command changed the state or gave no reason: " + t.reason);
  }
}

Bytes seal_snapshot_bytes(ByteView ledger_encoding) {
  RuntimeFixture& f = RuntimeFixture::get();
  const Bytes nonce(crypto::kAeadNonceSize, 0x05);
  mls::TlsWriter w;
  w.raw(text_bytes(runtime::kSnapshotAadLabel));
  w.opaque(kScope.group_id);
  w.u64(kScope.chain_epoch);
  const Bytes aad = w.take();
  Bytes entry{runtime::kSnapshotEntryVersion};
  append(entry, nonce);
  append(entry, crypto::aead_seal(crypto::AeadAlgorithm::kAes128Gcm, f.entry_key_bytes, nonce, aad, ledger_encoding));
  return entry;
}

void snapshot_entry(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  const Bytes entry = seal_snapshot_bytes(in);
  apply_to_copy(f.ledger.last_applied() + 1, entry);  // checked against the state
  apply_to_copy(f.ledger.last_applied() + 5, entry);  // adopted across a gap, if it is the state at +4
}

void ledger_encoding(const Bytes& in) {
  const Ledger ledger = Ledger::deserialize(in, std::make_unique<runtime::TokenRuntime>());
  fuzz::require_roundtrip("ledger", in, ledger.serialize());
}

void state_blob(const Bytes& in) {
  const runtime::detail::StateBlob blob = runtime::detail::decode_state_blob(in);
  fuzz::require_roundtrip("runtime-state blob", in, runtime::detail::encode_state_blob(blob.ledger, blob.state_hash));
}

const Bytes kFuzzInstance(enclave::kSealInstanceIdSize, 0x1f);

void sealed_container(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  const enclave::Unsealed opened = enclave::unseal_blob(enclave::Mode::kSimulation, f.mrenclave, f.root_key, kSealName, in,
                                                        ByteView(kFuzzInstance));
  state_blob(opened.plaintext.reveal());
}

void query(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  std::optional<runtime::Json> object = runtime::detail::parse_object(in);
  if (!object) return;
  const runtime::QueryAnswer answer = f.ledger.query(f.alice.address, *object);
  if (!answer.ok && answer.error_code != "malformed_query" && answer.error_code != "not_authorized") {
    fuzz::fail("query", "unknown error code " + answer.error_code);
  }
}

void hpke_envelope(const Bytes& in) {
  RuntimeFixture& f = RuntimeFixture::get();
  std::optional<SecretBytes> plain = runtime::open_sealed(in, f.hpke_key, runtime::kCommandInfo);
  if (plain) command_envelope(plain->reveal());
}

// --- 11: state_apply through the dispatcher ---------------------------------------------------

runtime::Json domain_json() {
  return runtime::Json{{"chainId", "31337"}, {"verifyingContract", "0x" + to_hex(Bytes(20, 0x11))}};
}

runtime::Json call(enclave::EnclaveDispatcher& d, enclave::Enclave& e, const std::string& method, const runtime::Json& params) {
  const std::string body = runtime::Json{{"id", 1}, {"method", method}, {"params", params}}.dump();
  const Bytes out = d.handle(e, ByteView::from_string(body));
  runtime::Json doc = runtime::Json::parse(out.begin(), out.end());
  const bool ok = doc.is_object() && (doc.contains("result") != doc.contains("error")) &&
                  (!doc.contains("error") || (doc["error"]["code"].is_string() && doc["error"]["message"].is_string()));
  if (!ok) fuzz::fail(method.c_str(), "malformed response: " + doc.dump());
  return doc;
}

runtime::Json result_of(enclave::EnclaveDispatcher& d, enclave::Enclave& e, const std::string& method, const runtime::Json& params) {
  runtime::Json doc = call(d, e, method, params);
  if (!doc.contains("result")) fuzz::fail(method.c_str(), "refused in the harness set-up: " + doc.dump());
  return doc["result"];
}

// A data directory with a group created (identity and group sealed), built once; every input
// starts from a copy of it.
struct ApplyTemplate {
  fuzz::TempDir dir;
  enclave::EnclaveDispatcher dispatcher = enclave::make_dispatcher();
  Bytes hpke_public;
  runtime::Address self{};
  std::optional<runtime::detail::EpochKeys> keys;

  static ApplyTemplate& get() {
    static ApplyTemplate t;
    return t;
  }

 private:
  ApplyTemplate() {
    RuntimeFixture::get();  // installs the deterministic random source first
    enclave::Enclave e(enclave::make_simulation_platform(), std::nullopt);
    result_of(dispatcher, e, "init", runtime::Json{{"dataDir", dir.path()}});
    const runtime::Json evidence = result_of(dispatcher, e, "evidence", runtime::Json::object());
    // The membership rule: the creator's own evidence (signed by the development IAS) is admitted
    // first, and the group is created under the test policy, bound to the harness's domain.
    result_of(dispatcher, e, "mls_admit_evidence", ::anonify::testing::dev_ias::admit_params_of(evidence));
    result_of(dispatcher, e, "mls_create_group",
              runtime::Json{{"domain", domain_json()}, {"policy", ::anonify::testing::dev_ias::test_policy()}});
    hpke_public = from_hex(evidence["hpkePublicKey"].get<std::string>());
    self = runtime::address_from_bytes(from_hex(evidence["address"].get<std::string>()));
    runtime::detail::GroupKeys group_keys;
    keys = group_keys.current(e);
    if (!keys) fuzz::fail("template", "the enclave is not a member of its own group");
  }
};

runtime::Json subscription_params(const ApplyTemplate& t, const User& user, const Bytes& reply_key) {
  const runtime::Domain& domain = RuntimeFixture::get().domain;
  const Bytes hash = crypto::eip712::subscribe_struct_hash(user.address, reply_key, 1700000000);
  const Bytes signature =
      crypto::eth_sign_digest(user.key, crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(domain), hash));
  const runtime::Json s{{"account", runtime::format_address(user.address)},
                        {"replyKey", hex_string_of(reply_key)},
                        {"issuedAt", "1700000000"},
                        {"signature", hex_string_of(signature)}};
  const std::string text = s.dump();
  const Bytes padded = runtime::pad_to_bucket(ByteView::from_string(text), runtime::kEnvelopeBuckets);
  return runtime::Json{{"payload", hex_string_of(runtime::seal_to(t.hpke_public, runtime::kSubscribeInfo, padded))},
                       {"domain", domain_json()}};
}

void apply_through_dispatcher(const Bytes& in) {
  if (in.empty()) return;
  ApplyTemplate& t = ApplyTemplate::get();
  RuntimeFixture& f = RuntimeFixture::get();
  fuzz::TempDir dir;  // fresh state for every input
  dir.copy_files_from(t.dir.path());
  enclave::Enclave e(enclave::make_simulation_platform(), std::nullopt);
  result_of(t.dispatcher, e, "init", runtime::Json{{"dataDir", dir.path()}});
  const crypto::X25519KeyPair alice_key = crypto::x25519_generate();
  const crypto::X25519KeyPair bob_key = crypto::x25519_generate();
  result_of(t.dispatcher, e, "state_subscribe", subscription_params(t, f.alice, alice_key.public_key));
  result_of(t.dispatcher, e, "state_subscribe", subscription_params(t, f.bob, bob_key.public_key));

  const ByteView body(in.data() + 1, in.size() - 1);
  const Bytes entry = (in[0] & 0x80) != 0
                          ? body.to_bytes()
                          : runtime::seal_entry(t.keys->entry_key, runtime::EntryScope{t.keys->group_id, t.keys->chain_epoch()},
                                                runtime::EntryPosition{t.self, static_cast<uint64_t>(in[0] & 0x03)}, body);
  const runtime::Json applied = call(t.dispatcher, e, "state_apply",
                                     runtime::Json{{"stateCounter", "1"},
                                                   {"epoch", std::to_string(t.keys->chain_epoch())},
                                                   {"entry", hex_string_of(entry)},
                                                   {"blockTimestamp", "1700000100"}});
  const runtime::Json status = result_of(t.dispatcher, e, "state_status", runtime::Json::object());
  if (!applied.contains("result")) {
    if (status["lastApplied"] != "0") fuzz::fail("state_apply", "a refused apply moved lastApplied");
    return;
  }
  const runtime::Json& r = applied["result"];
  if (status["lastApplied"] != "1" || status["stateHash"] != r["stateHash"]) {
    fuzz::fail("state_apply", "lastApplied / state hash do not match the answer: " + status.dump());
  }
  if (r["outcome"] == "rejected" && (!r.contains("reason") || r["reason"].get<std::string>().empty())) {
    fuzz::fail("state_apply", "a rejected entry without a reason");
  }
  const runtime::Json& notes = r["notifications"];
  if (!notes.is_array() || notes.size() != 2 || notes[0]["payload"].get<std::string>().size() != notes[1]["payload"].get<std::string>().size()) {
    fuzz::fail("state_apply", "not one notification of one length per subscription: " + notes.dump());
  }
}

void store_manifest(const Bytes& in) {
  const enclave::SealManifest manifest = enclave::decode_seal_manifest(in);
  const SecretBytes encoded = enclave::encode_seal_manifest(manifest);
  if (in[0] != 1) {
    fuzz::require_roundtrip("store manifest", in, encoded);
    return;
  }
  // Version 1 (every blob a file) is read, never written: it re-encodes as version 2.
  const enclave::SealManifest again = enclave::decode_seal_manifest(encoded);
  if (again.generations != manifest.generations || !again.inline_blobs.empty()) {
    fuzz::fail("store manifest", "a version 1 manifest did not re-encode to the same generations");
  }
}

const std::function<void(const Bytes&)> kDecoders[] = {
    command_envelope,
    [](const Bytes& in) { runtime::ReadRequest::parse(in).signed_by_sender(RuntimeFixture::get().domain); },
    [](const Bytes& in) { runtime::Subscription::parse(in).signed_by_account(RuntimeFixture::get().domain); },
    entry_plaintext,
    token_payload,
    snapshot_entry,
    ledger_encoding,
    state_blob,
    sealed_container,
    query,
    hpke_envelope,
    apply_through_dispatcher,
    store_manifest,
};
constexpr size_t kDecoderCount = sizeof kDecoders / sizeof kDecoders[0];

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  RuntimeFixture& f = RuntimeFixture::get();
  std::vector<std::pair<std::string, Bytes>> seeds;
  const runtime::SignedCommand transfer = f.command(f.alice, 2, std::string(f.payloads[1].begin(), f.payloads[1].end()));
  const std::string command_json = transfer.to_json().dump();
  seeds.emplace_back("command", fuzz::seed({0}, text_bytes(command_json)));
  const Bytes query = text_bytes(R"({"op":"balanceOf","account":")" + runtime::format_address(f.alice.address) + "\"}");
  const Bytes reply_key(runtime::kReplyKeySize, 0x33);
  const runtime::Json read{{"sender", runtime::format_address(f.alice.address)},
                           {"query", hex_string(query)},
                           {"replyKey", hex_string(reply_key)},
                           {"issuedAt", "1700000000"},
                           {"signature", hex_string(transfer.signature)}};
  seeds.emplace_back("read", fuzz::seed({1}, text_bytes(read.dump())));
  const runtime::Json subscription{{"account", runtime::format_address(f.alice.address)},
                                   {"replyKey", hex_string(reply_key)},
                                   {"issuedAt", "1700000000"},
                                   {"signature", hex_string(transfer.signature)}};
  seeds.emplace_back("subscription", fuzz::seed({2}, text_bytes(subscription.dump())));
  for (size_t i = 0; i < f.entry_plaintexts.size(); ++i) {
    seeds.emplace_back("entry-" + std::to_string(i), fuzz::seed({3}, f.entry_plaintexts[i]));
    seeds.emplace_back("payload-" + std::to_string(i), fuzz::seed({4}, f.payloads[i]));
  }
  const Bytes ledger = f.ledger.serialize();
  seeds.emplace_back("snapshot", fuzz::seed({5}, ledger));
  seeds.emplace_back("ledger", fuzz::seed({6}, ledger));
  const Bytes blob = runtime::detail::encode_state_blob(f.ledger, f.ledger.state_hash(Bytes(32, 1)));
  seeds.emplace_back("state-blob", fuzz::seed({7}, blob));
  seeds.emplace_back("sealed-file", fuzz::seed({8}, enclave::seal_blob(enclave::Mode::kSimulation, f.mrenclave,
                                                                      f.root_key, kSealName,
                                                                      enclave::SealBinding{kFuzzInstance, 1}, blob)));
  seeds.emplace_back("query", fuzz::seed({9}, query));
  seeds.emplace_back("query-nonce", fuzz::seed({9}, text_bytes(R"({"op":"nonce","account":")" +
                                                               runtime::format_address(f.alice.address) + "\"}")));
  seeds.emplace_back("hpke-command", fuzz::seed({10}, runtime::seal_to(f.hpke.public_key, runtime::kCommandInfo,
                                                                       text_bytes(command_json))));
  for (size_t i = 0; i < 2; ++i) {
    seeds.emplace_back("apply-" + std::to_string(i), fuzz::seed({11, static_cast<uint8_t>(i)}, f.entry_plaintexts[i]));
  }
  enclave::SealManifest manifest;
  manifest.generations = {{"chain-clock", 9}, {"membership-evidence", 4}, {"mls-group", 7}, {"runtime-state", 9}};
  manifest.inline_blobs.emplace("chain-clock", SecretBytes(Bytes(8, 0x01)));
  manifest.inline_blobs.emplace("runtime-state", SecretBytes(blob));
  seeds.emplace_back("store-manifest", fuzz::seed({12}, enclave::encode_seal_manifest(manifest).reveal()));
  seeds.emplace_back("store-manifest-v1", fuzz::seed({12}, Bytes{1, 0, 1, 9, 'm', 'l', 's', '-', 'g', 'r', 'o', 'u', 'p',
                                                                 0, 0, 0, 0, 0, 0, 0, 3}));
  fuzz::write_seeds_if_asked(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Bytes body(data + 1, data + size);
  refused_or_done([&] { kDecoders[data[0] % kDecoderCount](body); });
  return 0;
}
