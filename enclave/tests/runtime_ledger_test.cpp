// Ledger: log entries (seal/open), counter order, user-signature and nonce checks on apply,
// deterministic rejections, determinism across replicas, canonical state and its hash.
#include <gtest/gtest.h>

#include <algorithm>

#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/error.h"
#include "anonify/runtime/token.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using fixtures::User;
using fixtures::init_token;
using fixtures::test_domain;
using fixtures::transfer;

constexpr uint64_t kEpoch = 3;

EntryScope scope(uint64_t epoch = kEpoch) { return EntryScope{fixtures::text_bytes("token"), epoch}; }

// A producer of its first entry in the epoch: entries sealed with it never clash on sequence numbers
// (the tests of the producer sequence choose their positions themselves).
EntryPosition fresh_producer() { return EntryPosition{address_from_bytes(crypto::random_bytes(kAddressSize)), 0}; }

// The serialization with the log hash cut out: "only the counter moved" compares everything else
// (the log hash moves with every consumed counter, over the entry's own bytes; see
// LogHashFollowsEveryConsumedEntryAsTheContractDoes).
constexpr size_t kLogHashAt = 1 + 8;  // version, lastApplied
Bytes without_log_hash(const Ledger& ledger) {
  Bytes bytes = ledger.serialize();
  bytes.erase(bytes.begin() + kLogHashAt, bytes.begin() + kLogHashAt + kLogHashSize);
  return bytes;
}

class RuntimeLedger : public ::testing::Test {
 protected:
  Bytes entry(const SignedCommand& c, const Domain& domain = test_domain(), uint64_t epoch = kEpoch) const {
    return seal_entry(key, scope(epoch), fresh_producer(), entry_plaintext(c, domain));
  }
  // Applies at the next counter on `ledger` (default: a).
  EntryOutcome apply(const Bytes& e, Ledger* ledger = nullptr) {
    Ledger& l = ledger ? *ledger : a;
    return l.apply_entry(l.last_applied() + 1, scope(), e, key);
  }

  EntryKey key = make_entry_key(crypto::random_secret(kEntryKeySize));
  Ledger a{std::make_unique<TokenRuntime>()};
  User owner, alice, mallory;
};

TEST_F(RuntimeLedger, AppliesSignedCommandsAndCountsNonces) {
  const EntryOutcome init = apply(entry(owner.command(0, init_token("100"))));
  EXPECT_TRUE(init.applied) << init.reason;
  EXPECT_EQ(init.sender, owner.address);
  EXPECT_EQ(*init.command_id, owner.command(0, init_token("100")).command_id());
  EXPECT_EQ(a.next_nonce(owner.address), 1u);
  EXPECT_TRUE(a.domain().has_value());
  const EntryOutcome t = apply(entry(owner.command(1, transfer(alice, "30"))));
  EXPECT_TRUE(t.applied);
  EXPECT_EQ(t.changed, (std::set<Address>{owner.address, alice.address}));
  // A command the runtime rejects still uses up the nonce (and changes the sender's nonce only).
  const EntryOutcome over = apply(entry(alice.command(0, transfer(owner, "31"))));
  EXPECT_FALSE(over.applied);
  EXPECT_EQ(over.reason, token_reason::kInsufficientBalance);
  EXPECT_EQ(over.changed, (std::set<Address>{alice.address}));
  EXPECT_EQ(a.next_nonce(alice.address), 1u);
  EXPECT_EQ(a.last_applied(), 3u);
  EXPECT_EQ(a.query(alice.address, Json{{"op", "balanceOf"}, {"account", alice.hex}}).result, "30");
  EXPECT_EQ(a.query(alice.address, Json{{"op", "nonce"}, {"account", alice.hex}}).result, "1");
  EXPECT_EQ(a.query(owner.address, Json{{"op", "nonce"}, {"account", alice.hex}}).error_code, "not_authorized");
}

TEST_F(RuntimeLedger, CountersMustFollowTheLog) {
  const Bytes e = entry(owner.command(0, init_token("100")));
  EXPECT_THROW(
      {
        try {
          a.apply_entry(2, scope(), e, key);
        } catch (const Error& err) {
          EXPECT_EQ(err.code(), ErrorCode::kCounterGap);
          throw;
        }
      },
      Error);
  EXPECT_EQ(a.last_applied(), 0u);
  EXPECT_TRUE(a.apply_entry(0, scope(), e, key).duplicate);  // the log starts at 1
  EXPECT_TRUE(a.apply_entry(1, scope(), e, key).applied);
  const Bytes before = a.serialize();
  EXPECT_TRUE(a.apply_entry(1, scope(), e, key).duplicate);
  EXPECT_EQ(a.serialize(), before);
}

TEST_F(RuntimeLedger, UndecryptableEntriesConsumeTheCounterOnly) {
  ASSERT_TRUE(apply(entry(owner.command(0, init_token("100")))).applied);
  const Bytes good = entry(owner.command(1, transfer(alice, "1")));
  std::vector<Bytes> bad;
  for (size_t i : {size_t{0}, size_t{5}, good.size() / 2, good.size() - 1}) {
    Bytes t = good;
    t[i] ^= 0x01;
    bad.push_back(t);
  }
  bad.push_back(Bytes(good.begin(), good.end() - 1));
  bad.push_back(Bytes{0x01});
  bad.push_back(Bytes{});
  bad.push_back(seal_entry(make_entry_key(crypto::random_secret(kEntryKeySize)), scope(), fresh_producer(), entry_plaintext(owner.command(1, "{}"), test_domain())));
  for (const Bytes& e : bad) {
    const Bytes state = a.serialize();
    const LogHash hash_before = a.log_hash();
    const uint64_t counter = a.last_applied() + 1;
    const EntryOutcome out = apply(e);
    EXPECT_FALSE(out.applied);
    EXPECT_EQ(out.reason, ledger_reason::kUndecryptable);
    EXPECT_FALSE(out.sender.has_value());
    EXPECT_EQ(a.last_applied(), counter);
    Ledger expected = Ledger::deserialize(state, std::make_unique<TokenRuntime>());
    EXPECT_EQ(expected.apply_entry(counter, scope(), Bytes{}, key).reason, ledger_reason::kUndecryptable);
    EXPECT_EQ(without_log_hash(a), without_log_hash(expected));
    EXPECT_EQ(a.log_hash(), next_log_hash(hash_before, e));
  }
  // An entry of another epoch does not open either (the epoch is in the AAD).
  EXPECT_EQ(a.apply_entry(a.last_applied() + 1, scope(kEpoch + 1), good, key).reason, ledger_reason::kUndecryptable);
  EXPECT_EQ(a.next_nonce(owner.address), 1u);
}

TEST_F(RuntimeLedger, ReplayedResignedAndForeignCommandsAreRejected) {
  ASSERT_TRUE(apply(entry(owner.command(0, init_token("100")))).applied);
  const SignedCommand pay = owner.command(1, transfer(alice, "10"));
  ASSERT_TRUE(apply(entry(pay)).applied);
  const Bytes state = a.serialize();

  const EntryOutcome replay = apply(entry(pay));
  EXPECT_FALSE(replay.applied);
  EXPECT_EQ(replay.reason, ledger_reason::kNonceMismatch);
  // Mallory signs a command in the owner's name.
  const EntryOutcome resigned = apply(entry(owner.command(2, transfer(mallory, "10"), test_domain(), &mallory)));
  EXPECT_EQ(resigned.reason, ledger_reason::kBadUserSignature);
  EXPECT_FALSE(resigned.sender.has_value());
  // A command signed for another group's domain.
  Domain other = test_domain();
  other.verifying_contract[0] = 0xbb;
  const EntryOutcome foreign = apply(entry(owner.command(2, transfer(mallory, "10"), other), other));
  EXPECT_EQ(foreign.reason, ledger_reason::kDomainMismatch);
  // ...and one whose signature is for another domain than the entry says.
  const EntryOutcome cross = apply(entry(owner.command(2, transfer(mallory, "10"), other)));
  EXPECT_EQ(cross.reason, ledger_reason::kBadUserSignature);

  // Only the counter moved, and each entry's producer sequence (its position was valid): exactly
  // what a malformed entry at the same positions does.
  Ledger expected = Ledger::deserialize(state, std::make_unique<TokenRuntime>());
  for (const EntryOutcome* out : {&replay, &resigned, &foreign, &cross}) {
    ASSERT_TRUE(out->position.has_value());
    const std::string garbage = "not json";
    EXPECT_EQ(expected.apply_entry(expected.last_applied() + 1, scope(), seal_entry(key, scope(), *out->position, fixtures::text_bytes(garbage)), key).reason,
              ledger_reason::kMalformedEntry);
  }
  EXPECT_EQ(without_log_hash(a), without_log_hash(expected));
  EXPECT_EQ(a.query(alice.address, Json{{"op", "balanceOf"}, {"account", alice.hex}}).result, "10");
}

// The entry plaintext is binary (EntryCommand): it round-trips exactly, and anything but exactly one
// encoding is a malformed entry.
TEST_F(RuntimeLedger, EntryCommandsRoundTripExactly) {
  const SignedCommand c = owner.command(7, transfer(alice, "12"));
  const Bytes encoded = entry_plaintext(c, test_domain());
  const std::optional<EntryCommand> decoded = EntryCommand::decode(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->command.sender, c.sender);
  EXPECT_EQ(decoded->command.nonce, 7u);
  EXPECT_EQ(decoded->command.payload, c.payload);
  EXPECT_EQ(decoded->command.signature, c.signature);
  EXPECT_TRUE(same_domain(decoded->domain, test_domain()));
  EXPECT_EQ(decoded->encode(), encoded);
  // sender, nonce, signature, chain id, contract, then the three length-prefixed strings.
  EXPECT_EQ(encoded.size(), 20 + 8 + 65 + 8 + 20 + 1 + test_domain().name.size() + 1 + test_domain().version.size() + 2 + c.payload.size());
}

TEST_F(RuntimeLedger, MalformedPlaintextsAreRejectedDeterministically) {
  const SignedCommand c = owner.command(0, init_token("1"));
  const Bytes good = entry_plaintext(c, test_domain());
  std::vector<std::pair<std::string, Bytes>> malformed;
  malformed.emplace_back("text", fixtures::text_bytes("not an entry"));
  malformed.emplace_back("the JSON plaintext of entry format 1", fixtures::text_bytes(c.to_json().dump()));
  malformed.emplace_back("empty", Bytes{});
  malformed.emplace_back("truncated", Bytes(good.begin(), good.end() - 1));
  Bytes trailing = good;
  trailing.push_back(0);
  malformed.emplace_back("a trailing byte", trailing);
  SignedCommand empty_payload = c;
  empty_payload.payload.clear();
  malformed.emplace_back("an empty payload", entry_plaintext(empty_payload, test_domain()));
  SignedCommand large_payload = c;
  large_payload.payload.assign(kMaxPayloadSize + 1, ' ');
  malformed.emplace_back("a payload over the limit", entry_plaintext(large_payload, test_domain()));
  // The payload's length prefix in two bytes though it fits one (RFC 9420 varints are minimal).
  SignedCommand short_payload = c;
  short_payload.payload = fixtures::text_bytes("{}");
  Bytes non_minimal = entry_plaintext(short_payload, test_domain());
  non_minimal.insert(non_minimal.end() - 3, 0x40);  // 0x02 becomes 0x40 0x02
  malformed.emplace_back("a non-minimal length", non_minimal);
  for (const auto& [what, plain] : malformed) {
    EXPECT_FALSE(EntryCommand::decode(plain).has_value()) << what;
    const Bytes e = seal_entry(key, scope(), fresh_producer(), plain);
    EXPECT_EQ(apply(e).reason, ledger_reason::kMalformedEntry) << what;
  }
  EXPECT_EQ(a.last_applied(), malformed.size());
  EXPECT_FALSE(a.runtime().initialized());
}

TEST_F(RuntimeLedger, ReplicasFedTheSameEntriesAgreeByteForByte) {
  Ledger b{std::make_unique<TokenRuntime>()};
  const SecretBytes hash_key = crypto::random_secret(kStateHashKeySize);
  std::vector<Bytes> log = {
      entry(owner.command(0, init_token("1000"))),
      entry(owner.command(1, transfer(alice, "250"))),
      entry(alice.command(0, R"({"op":"approve","spender":")" + mallory.hex + R"(","amount":"100"})")),
      entry(mallory.command(0, R"({"op":"transferFrom","from":")" + alice.hex + R"(","to":")" + mallory.hex + R"(","amount":"60"})")),
      entry(mallory.command(1, R"({"op":"mint","to":")" + mallory.hex + R"(","amount":"1"})")),  // not owner
      Bytes{0x01, 0x02},                                                                          // garbage
      entry(owner.command(2, R"({"op":"burn","amount":"50"})")),
  };
  std::vector<std::string> outcomes_a, outcomes_b;
  for (const Bytes& e : log) {
    const EntryOutcome x = apply(e);
    const EntryOutcome y = apply(e, &b);
    EXPECT_EQ(x.applied, y.applied);
    EXPECT_EQ(x.reason, y.reason);
    EXPECT_EQ(a.state_hash(hash_key), b.state_hash(hash_key));
    outcomes_a.push_back(x.applied ? "applied" : x.reason);
  }
  EXPECT_EQ(outcomes_a, (std::vector<std::string>{"applied", "applied", "applied", "applied", "not owner", "undecryptable", "applied"}));
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_EQ(a.query(mallory.address, Json{{"op", "balanceOf"}, {"account", mallory.hex}}).result, "60");
  EXPECT_EQ(a.query(alice.address, Json{{"op", "allowance"}, {"owner", alice.hex}, {"spender", mallory.hex}}).result, "40");
  EXPECT_EQ(a.query(alice.address, Json{{"op", "totalSupply"}}).result, "950");
  // The hash is keyed: another epoch key gives another hash of the same state.
  EXPECT_NE(a.state_hash(hash_key), a.state_hash(crypto::random_secret(kStateHashKeySize)));
}

TEST_F(RuntimeLedger, SerializationRoundTripsAndRefusesCorruption) {
  ASSERT_TRUE(apply(entry(owner.command(0, init_token("1000")))).applied);
  ASSERT_TRUE(apply(entry(owner.command(1, transfer(alice, "5")))).applied);
  const Bytes bytes = a.serialize();
  Ledger copy = Ledger::deserialize(bytes, std::make_unique<TokenRuntime>());
  EXPECT_EQ(copy.serialize(), bytes);
  EXPECT_EQ(copy.last_applied(), 2u);
  EXPECT_EQ(copy.next_nonce(owner.address), 2u);
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THROW(Ledger::deserialize(ByteView(bytes.data(), cut), std::make_unique<TokenRuntime>()), Error) << cut;
  }
  Bytes trailing = bytes;
  trailing.push_back(0);
  try {
    Ledger::deserialize(trailing, std::make_unique<TokenRuntime>());
    ADD_FAILURE() << "trailing byte accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt);
  }
}

// Found by fuzz_runtime (decode/encode round trip): entries of the nonce and balance maps in
// another order decoded to the same state, so one state had many encodings (and snapshots many
// byte forms). The canonical order is now required.
TEST_F(RuntimeLedger, DeserializationRefusesEntriesOutOfOrder) {
  ASSERT_TRUE(apply(entry(owner.command(0, init_token("1000")))).applied);
  ASSERT_TRUE(apply(entry(owner.command(1, transfer(alice, "5")))).applied);
  ASSERT_TRUE(apply(entry(alice.command(0, transfer(owner, "1")))).applied);
  const Bytes bytes = a.serialize();
  const auto [low, high] = std::minmax(owner.address, alice.address);
  // Swaps two adjacent records of a map, starting at `first_at` and `second_at`.
  auto swapped = [&](size_t first_at, size_t second_at) {
    const size_t record = second_at - first_at;
    Bytes out(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(first_at));
    out.insert(out.end(), bytes.begin() + static_cast<ptrdiff_t>(second_at), bytes.begin() + static_cast<ptrdiff_t>(second_at + record));
    out.insert(out.end(), bytes.begin() + static_cast<ptrdiff_t>(first_at), bytes.begin() + static_cast<ptrdiff_t>(second_at));
    out.insert(out.end(), bytes.begin() + static_cast<ptrdiff_t>(second_at + record), bytes.end());
    return out;
  };
  auto first = [&](const Address& x) { return static_cast<size_t>(std::search(bytes.begin(), bytes.end(), x.begin(), x.end()) - bytes.begin()); };
  auto last = [&](const Address& x) { return static_cast<size_t>(std::find_end(bytes.begin(), bytes.end(), x.begin(), x.end()) - bytes.begin()); };
  // The nonce map comes first (each sender's first appearance), the token balances last.
  const Bytes nonces_swapped = swapped(first(low), first(high));
  const Bytes balances_swapped = swapped(last(low), last(high));
  for (const Bytes* b : {&nonces_swapped, &balances_swapped}) {
    ASSERT_EQ(b->size(), bytes.size());
    ASSERT_NE(*b, bytes);
    try {
      Ledger::deserialize(*b, std::make_unique<TokenRuntime>());
      ADD_FAILURE() << "entries out of order accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt);
      EXPECT_NE(std::string(e.what()).find("unordered"), std::string::npos) << e.what();
    }
  }
}

TEST_F(RuntimeLedger, SnapshotsBringALateJoinerToTheSameState) {
  ASSERT_TRUE(apply(entry(owner.command(0, init_token("1000")))).applied);
  ASSERT_TRUE(apply(entry(owner.command(1, transfer(alice, "40")))).applied);
  Ledger joiner{std::make_unique<TokenRuntime>()};
  const Bytes snap = seal_snapshot(key, scope(), a);  // state as of counter 2, to be entry 3
  // A snapshot of another counter cannot close the gap; neither can a tampered one or a plain entry.
  EXPECT_THROW(joiner.apply_entry(4, scope(), snap, key), Error);
  Bytes tampered = snap;
  tampered[tampered.size() - 1] ^= 1;
  EXPECT_THROW(joiner.apply_entry(3, scope(), tampered, key), Error);
  EXPECT_THROW(joiner.apply_entry(3, scope(), entry(alice.command(0, "{}")), key), Error);
  EXPECT_EQ(joiner.last_applied(), 0u);

  const EntryOutcome adopted = joiner.apply_entry(3, scope(), snap, key);
  EXPECT_TRUE(adopted.applied && adopted.snapshot && adopted.adopted);
  const EntryOutcome checked = a.apply_entry(3, scope(), snap, key);
  EXPECT_TRUE(checked.applied && checked.snapshot && !checked.adopted);
  EXPECT_EQ(joiner.serialize(), a.serialize());
  EXPECT_EQ(joiner.last_applied(), 3u);
  // From here both apply the log alike.
  const Bytes next = entry(alice.command(0, transfer(mallory, "15")));
  EXPECT_TRUE(apply(next).applied);
  EXPECT_TRUE(apply(next, &joiner).applied);
  EXPECT_EQ(joiner.serialize(), a.serialize());

  // A stale snapshot reaching the log later is rejected by members (counter consumed) and cannot
  // close a gap.
  const Bytes state = a.serialize();
  const EntryOutcome stale = apply(snap);
  EXPECT_FALSE(stale.applied);
  EXPECT_EQ(stale.reason, ledger_reason::kSnapshotMismatch);
  Ledger expected = Ledger::deserialize(state, std::make_unique<TokenRuntime>());
  expected.apply_entry(expected.last_applied() + 1, scope(), Bytes{0x02}, key);  // a snapshot that does not open
  ASSERT_NE(a.log_hash(), expected.log_hash());  // other bytes logged at that counter
  expected = Ledger::deserialize(state, std::make_unique<TokenRuntime>());
  expected.apply_entry(expected.last_applied() + 1, scope(), snap, key);
  EXPECT_EQ(a.serialize(), expected.serialize());
  EXPECT_EQ(apply(tampered).reason, ledger_reason::kUndecryptable);
}

// Audit F-8: the ledger hashes every entry whose counter it consumes, as AnonifyGroup does, so a
// checkpoint can name the log it was computed over.
TEST_F(RuntimeLedger, LogHashFollowsEveryConsumedEntryAsTheContractDoes) {
  const auto reference = [](const LogHash& previous, const Bytes& e) {
    Bytes preimage(previous.begin(), previous.end());
    const Bytes entry_hash = crypto::keccak256(e);
    preimage.insert(preimage.end(), entry_hash.begin(), entry_hash.end());
    const Bytes full = crypto::keccak256(preimage);
    LogHash out{};
    std::copy_n(full.begin(), kLogHashSize, out.begin());
    return out;
  };
  EXPECT_EQ(a.log_hash(), LogHash{});
  const Bytes applied = entry(owner.command(0, init_token("1000")));
  const Bytes garbage = crypto::random_bytes(80);  // rejected undecryptable: its counter is consumed
  LogHash expected = reference(LogHash{}, applied);
  ASSERT_TRUE(apply(applied).applied);
  EXPECT_EQ(a.log_hash(), expected);
  EXPECT_EQ(apply(garbage).reason, ledger_reason::kUndecryptable);
  expected = reference(expected, garbage);
  EXPECT_EQ(a.log_hash(), expected);
  const Bytes snap = seal_snapshot(key, scope(), a);
  ASSERT_TRUE(apply(snap).applied);
  expected = reference(expected, snap);
  EXPECT_EQ(a.log_hash(), expected);

  // A duplicate and a counter gap change nothing.
  EXPECT_TRUE(a.apply_entry(1, scope(), garbage, key).duplicate);
  EXPECT_THROW(a.apply_entry(9, scope(), garbage, key), Error);
  EXPECT_EQ(a.log_hash(), expected);

  // A late joiner adopting the snapshot continues the same chain; a replica fed other bytes at one
  // counter does not, even where the state is the same.
  Ledger joiner{std::make_unique<TokenRuntime>()};
  ASSERT_TRUE(joiner.apply_entry(3, scope(), snap, key).adopted);
  EXPECT_EQ(joiner.log_hash(), a.log_hash());
  Ledger other{std::make_unique<TokenRuntime>()};
  ASSERT_TRUE(apply(applied, &other).applied);
  apply(crypto::random_bytes(80), &other);
  EXPECT_NE(other.log_hash(), reference(reference(LogHash{}, applied), garbage));

  // Serialized with the state (so sealed and in snapshots), and checked against lastApplied.
  const Bytes bytes = a.serialize();
  EXPECT_EQ(Ledger::deserialize(bytes, std::make_unique<TokenRuntime>()).log_hash(), a.log_hash());
  ASSERT_TRUE(std::equal(a.log_hash().begin(), a.log_hash().end(), bytes.begin() + kLogHashAt));
  Bytes zeroed = bytes;
  std::fill_n(zeroed.begin() + kLogHashAt, kLogHashSize, 0);
  EXPECT_THROW(Ledger::deserialize(zeroed, std::make_unique<TokenRuntime>()), Error);
  const Bytes empty = Ledger{std::make_unique<TokenRuntime>()}.serialize();
  Bytes forged = empty;
  forged[kLogHashAt] = 1;
  EXPECT_THROW(Ledger::deserialize(forged, std::make_unique<TokenRuntime>()), Error);
  EXPECT_NO_THROW(Ledger::deserialize(empty, std::make_unique<TokenRuntime>()));
}

// The same chain as the contract, on the vectors of test/group/vectors/logHash.json (which the
// contract and the TypeScript reference reproduce in test/group/logHash.vectors.test.ts).
TEST(LogHash, ReproducesTheContractsVectors) {
  Bytes counting(200);
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<uint8_t>(i);
  const std::vector<Bytes> entries = {fixtures::text_bytes("entry 0"), fixtures::text_bytes("entry 1"),
                                      fixtures::text_bytes("entry 2"), Bytes{0x00}, counting,
                                      fixtures::text_bytes("entry 0")};
  const std::vector<std::string> expected = {"dca9245a7223fa5911041327ad2775f5", "eac6bca8fb5d02f29d4034d63aeefb78",
                                             "e4fe286be815578e2efdee068980ce50", "c6fe6d35e4ff4777ab38ea5ce727c02f",
                                             "baeb2c07709434a94ee72395f77d5895", "654fb8aa733d3c9d8e4946e32f197151"};
  LogHash hash{};
  for (size_t n = 0; n < entries.size(); ++n) {
    hash = next_log_hash(hash, entries[n]);
    EXPECT_EQ(to_hex(ByteView(hash)), expected[n]) << "L_" << n + 1;
  }
}

// F5 / entry AAD: an entry is bound to its group, epoch, producer and the producer's sequence
// number; each producer's entries apply only in sequence. A refusal consumes the counter only, the
// same way on every replica.
TEST_F(RuntimeLedger, EachProducersEntriesApplyOnlyInSequence) {
  const Address producer = address_from_bytes(crypto::random_bytes(kAddressSize));
  const auto at = [&](uint64_t sequence, const SignedCommand& c, uint64_t epoch = kEpoch) {
    return seal_entry(key, scope(epoch), EntryPosition{producer, sequence}, entry_plaintext(c, test_domain()));
  };
  Ledger b{std::make_unique<TokenRuntime>()};
  const auto both = [&](const Bytes& e) {
    const EntryOutcome x = apply(e);
    const EntryOutcome y = apply(e, &b);
    EXPECT_EQ(x.reason, y.reason);
    EXPECT_EQ(a.serialize(), b.serialize());
    return x;
  };
  // The owner's and mallory's init, produced in this order by one enclave, fed in reverse: the
  // second is refused, so mallory cannot become the owner; the first then applies.
  const Bytes owners = at(0, owner.command(0, init_token("1000")));
  const Bytes mallorys = at(1, mallory.command(0, init_token("1000")));
  const Bytes before = a.serialize();
  const EntryOutcome reordered = both(mallorys);
  EXPECT_FALSE(reordered.applied);
  EXPECT_EQ(reordered.reason, ledger_reason::kOutOfSequence);
  EXPECT_EQ(reordered.position->sequence, 1u);
  EXPECT_EQ(reordered.expected_sequence, 0u);
  EXPECT_FALSE(reordered.sender.has_value());
  Ledger expected = Ledger::deserialize(before, std::make_unique<TokenRuntime>());
  expected.apply_entry(1, scope(), Bytes{}, key);
  EXPECT_EQ(without_log_hash(a), without_log_hash(expected));  // only the counter (and the log hash) moved
  EXPECT_TRUE(both(owners).applied);
  EXPECT_EQ(a.next_sequence(producer, kEpoch), 1u);
  EXPECT_EQ(a.query(owner.address, Json{{"op", "tokenInfo"}}).result["owner"], owner.hex);
  // A replay of an applied entry is out of sequence (before its nonce is even looked at).
  EXPECT_EQ(both(owners).reason, ledger_reason::kOutOfSequence);
  // An omission: sequence 2 while 1 is missing.
  EXPECT_EQ(both(at(2, owner.command(1, transfer(alice, "1")))).reason, ledger_reason::kOutOfSequence);
  // A command rejected inside uses up its sequence number all the same.
  EXPECT_EQ(both(mallorys).reason, "already initialized");
  EXPECT_EQ(a.next_sequence(producer, kEpoch), 2u);
  // The position is authenticated: the header rewritten to another producer or sequence, or the
  // entry opened under another group id, does not open.
  Bytes moved = at(2, owner.command(1, transfer(alice, "1")));
  moved[1 + kAddressSize + 7] ^= 0x01;  // sequence 2 -> 3
  EXPECT_EQ(both(moved).reason, ledger_reason::kUndecryptable);
  const Bytes good = at(2, owner.command(1, transfer(alice, "1")));
  EXPECT_EQ(a.apply_entry(a.last_applied() + 1, EntryScope{fixtures::text_bytes("other"), kEpoch}, good, key).reason,
            ledger_reason::kUndecryptable);
  Ledger c = a;
  EXPECT_TRUE(apply(good, &c).applied);
  // A new epoch counts from 0 again; the old epoch's entries are then out of sequence.
  EXPECT_EQ(a.apply_entry(a.last_applied() + 1, scope(kEpoch + 1), at(1, owner.command(1, transfer(alice, "1")), kEpoch + 1), key).reason,
            ledger_reason::kOutOfSequence);
  EXPECT_TRUE(a.apply_entry(a.last_applied() + 1, scope(kEpoch + 1), at(0, owner.command(1, transfer(alice, "1")), kEpoch + 1), key).applied);
  EXPECT_EQ(a.next_sequence(producer, kEpoch + 1), 1u);
  EXPECT_EQ(a.next_sequence(producer, kEpoch), 0u);
  EXPECT_EQ(apply(at(2, owner.command(2, transfer(alice, "1")))).reason, ledger_reason::kOutOfSequence);
  // The sequences are part of the state (its hash, snapshots, the sealed blob).
  const Ledger copy = Ledger::deserialize(a.serialize(), std::make_unique<TokenRuntime>());
  EXPECT_EQ(copy.next_sequence(producer, kEpoch + 1), 1u);
  EXPECT_EQ(copy.serialize(), a.serialize());
}

// Padding: every command entry of one bucket has one length, whatever the command says.
TEST_F(RuntimeLedger, EntryPlaintextsArePaddedToBuckets) {
  const Bytes small = entry(owner.command(0, transfer(alice, "1")));
  const Bytes large = entry(owner.command(0, transfer(alice, "123456789012345678901234567890")));
  const Bytes init = entry(owner.command(0, init_token("1000")));
  EXPECT_EQ(small.size(), large.size());
  // version, producer, sequence, AEAD nonce and tag around the padded plaintext.
  constexpr size_t kOverhead = 1 + kAddressSize + 8 + 12 + 16;
  for (const Bytes* e : {&small, &init}) {
    EXPECT_NE(std::find(kEntryBuckets.begin(), kEntryBuckets.end(), e->size() - kOverhead), kEntryBuckets.end()) << e->size();
  }
  EXPECT_EQ(small.size(), kOverhead + kEntryBuckets[0]);  // a token transfer fits the first bucket
  const std::optional<SecretBytes> plain = open_entry(key, scope(), small);
  ASSERT_TRUE(plain.has_value());
  const Bytes expected = entry_plaintext(owner.command(0, transfer(alice, "1")), test_domain());
  EXPECT_EQ(plain->size(), expected.size());
}

}  // namespace
}  // namespace anonify::runtime
