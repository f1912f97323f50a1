// TokenRuntime: ERC-20 semantics, every rejection reason, read authorization, canonical encoding.
#include <gtest/gtest.h>

#include "anonify/error.h"
#include "anonify/runtime/token.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using fixtures::User;
using fixtures::init_token;
using fixtures::text_bytes;
using fixtures::transfer;

Bytes encode(const TokenRuntime& t) {
  mls::TlsWriter w;
  t.encode(w);
  return w.take();
}

// Applies a command. Every command first goes through check() (state_submit's dry run): it must
// change nothing and give apply's verdict and exact reason.
Transition run(TokenRuntime& t, const User& sender, const std::string& payload) {
  const Bytes before = encode(t);
  const Transition dry = t.check(sender.address, text_bytes(payload));
  EXPECT_EQ(encode(t), before) << "check changed the state: " << payload;
  EXPECT_TRUE(dry.affected.empty());
  const Transition r = t.apply(sender.address, text_bytes(payload));
  EXPECT_EQ(dry.applied, r.applied) << payload;
  EXPECT_EQ(dry.reason, r.reason) << payload;
  return r;
}

// Applies a command that must be rejected with `reason` (check() refuses it with the same reason)
// and checks that nothing changed.
void expect_rejected(TokenRuntime& t, const User& sender, const std::string& payload, const std::string& reason) {
  const Bytes before = encode(t);
  const Transition r = run(t, sender, payload);
  EXPECT_FALSE(r.applied) << payload;
  EXPECT_EQ(r.reason, reason) << payload;
  EXPECT_TRUE(r.affected.empty());
  EXPECT_EQ(encode(t), before) << payload;
}

class RuntimeTokenOps : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(run(token, owner, init_token("1000")).applied); }

  TokenRuntime token;
  User owner, alice, bob;
};

TEST(RuntimeAmount, ParsesAndFormatsTheWholeRange) {
  EXPECT_EQ(parse_amount("0").status, AmountParse::kOk);
  const std::string max = "340282366920938463463374607431768211455";
  ParsedAmount p = parse_amount(max);
  ASSERT_EQ(p.status, AmountParse::kOk);
  EXPECT_EQ(p.value, kMaxAmount);
  EXPECT_EQ(format_amount(p.value), max);
  EXPECT_EQ(parse_amount("340282366920938463463374607431768211456").status, AmountParse::kTooLarge);
  EXPECT_EQ(parse_amount(std::string(78, '9')).status, AmountParse::kTooLarge);
  for (const char* bad : {"", "01", "-1", "+1", "1.0", "1e3", " 1", "0x10", "١"}) {
    EXPECT_EQ(parse_amount(bad).status, AmountParse::kMalformed) << bad;
  }
  EXPECT_EQ(parse_amount(std::string(79, '9')).status, AmountParse::kMalformed);
  EXPECT_FALSE(checked_add(kMaxAmount, 1).has_value());
  EXPECT_EQ(*checked_add(kMaxAmount - 1, 1), kMaxAmount);
}

TEST(RuntimeToken, EverythingButInitIsRejectedBeforeInit) {
  TokenRuntime t;
  User a, b;
  for (const std::string& cmd : {transfer(b, "1"), std::string(R"({"op":"approve","spender":")") + b.hex + R"(","amount":"1"})",
                                 std::string(R"({"op":"mint","to":")") + b.hex + R"(","amount":"1"})",
                                 std::string(R"({"op":"burn","amount":"1"})")}) {
    expect_rejected(t, a, cmd, token_reason::kNotInitialized);
  }
  EXPECT_FALSE(t.initialized());
  const QueryAnswer info = t.query(a.address, Json{{"op", "tokenInfo"}});
  ASSERT_TRUE(info.ok);
  EXPECT_EQ(info.result["initialized"], false);
  EXPECT_TRUE(info.result["owner"].is_null());
}

TEST_F(RuntimeTokenOps, InitOnceMakesTheSenderOwnerOfTheSupply) {
  EXPECT_TRUE(token.initialized());
  EXPECT_EQ(token.owner(), owner.address);
  EXPECT_EQ(token.balance_of(owner.address), 1000u);
  EXPECT_EQ(token.total_supply(), 1000u);
  expect_rejected(token, alice, init_token("5"), token_reason::kAlreadyInitialized);
  expect_rejected(token, owner, init_token("5"), token_reason::kAlreadyInitialized);
}

TEST(RuntimeToken, InitValidatesItsFields) {
  TokenRuntime t;
  User a;
  expect_rejected(t, a, R"({"op":"init","name":"","symbol":"A","initialSupply":"1"})",
                  "malformed command: \"name\" must be 1..64 bytes");
  expect_rejected(t, a, R"({"op":"init","name":"N","symbol":"TOOLONGSYMBOL1234","initialSupply":"1"})",
                  "malformed command: \"symbol\" must be 1..16 bytes");
  expect_rejected(t, a, R"({"op":"init","name":"N","symbol":"S","initialSupply":"340282366920938463463374607431768211456"})",
                  token_reason::kAmountTooLarge);
  expect_rejected(t, a, R"({"op":"init","name":"N","symbol":"S"})", "malformed command: missing \"initialSupply\"");
  EXPECT_FALSE(t.initialized());
}

TEST_F(RuntimeTokenOps, TransferMovesBalancesAndRejectsOverdrafts) {
  const Transition r = run(token, owner, transfer(alice, "300"));
  ASSERT_TRUE(r.applied);
  EXPECT_EQ(r.affected, (std::set<Address>{owner.address, alice.address}));
  EXPECT_EQ(token.balance_of(owner.address), 700u);
  EXPECT_EQ(token.balance_of(alice.address), 300u);
  expect_rejected(token, alice, transfer(bob, "301"), token_reason::kInsufficientBalance);
  expect_rejected(token, bob, transfer(alice, "1"), token_reason::kInsufficientBalance);
  // Zero amounts and self transfers are valid but change nothing.
  EXPECT_TRUE(run(token, bob, transfer(alice, "0")).affected.empty());
  EXPECT_TRUE(run(token, alice, transfer(alice, "300")).affected.empty());
  EXPECT_EQ(token.balance_of(alice.address), 300u);
  EXPECT_EQ(token.total_supply(), 1000u);
}

TEST_F(RuntimeTokenOps, ApproveAndTransferFromSpendTheAllowance) {
  const std::string approve = R"({"op":"approve","spender":")" + alice.hex + R"(","amount":"50"})";
  const Transition a = run(token, owner, approve);
  ASSERT_TRUE(a.applied);
  EXPECT_EQ(a.affected, (std::set<Address>{owner.address, alice.address}));
  EXPECT_EQ(token.allowance(owner.address, alice.address), 50u);
  const std::string spend = R"({"op":"transferFrom","from":")" + owner.hex + R"(","to":")" + bob.hex + R"(","amount":"20"})";
  const Transition s = run(token, alice, spend);
  ASSERT_TRUE(s.applied);
  EXPECT_EQ(s.affected, (std::set<Address>{owner.address, alice.address, bob.address}));
  EXPECT_EQ(token.allowance(owner.address, alice.address), 30u);
  EXPECT_EQ(token.balance_of(bob.address), 20u);
  EXPECT_EQ(token.balance_of(owner.address), 980u);
  const std::string too_much = R"({"op":"transferFrom","from":")" + owner.hex + R"(","to":")" + bob.hex + R"(","amount":"31"})";
  expect_rejected(token, alice, too_much, token_reason::kInsufficientAllowance);
  // Bob has no allowance at all.
  expect_rejected(token, bob, spend, token_reason::kInsufficientAllowance);
  // An allowance larger than the balance: the balance check still holds.
  ASSERT_TRUE(run(token, bob, R"({"op":"approve","spender":")" + alice.hex + R"(","amount":"100"})").applied);
  expect_rejected(token, alice, R"({"op":"transferFrom","from":")" + bob.hex + R"(","to":")" + alice.hex + R"(","amount":"21"})",
                  token_reason::kInsufficientBalance);
  // Approve sets (not adds); approving 0 removes the allowance.
  ASSERT_TRUE(run(token, owner, R"({"op":"approve","spender":")" + alice.hex + R"(","amount":"0"})").applied);
  EXPECT_EQ(token.allowance(owner.address, alice.address), 0u);
}

TEST_F(RuntimeTokenOps, MintIsOwnerOnlyAndCannotOverflowTheSupply) {
  const std::string mint = R"({"op":"mint","to":")" + alice.hex + R"(","amount":"5"})";
  expect_rejected(token, alice, mint, token_reason::kNotOwner);
  ASSERT_TRUE(run(token, owner, mint).applied);
  EXPECT_EQ(token.balance_of(alice.address), 5u);
  EXPECT_EQ(token.total_supply(), 1005u);
  // 2^128 - 1 - 1005 + 1 overflows the supply by one.
  const std::string overflow = R"({"op":"mint","to":")" + bob.hex + R"(","amount":")" + format_amount(kMaxAmount - 1004) + "\"}";
  expect_rejected(token, owner, overflow, token_reason::kSupplyOverflow);
  const std::string fill = R"({"op":"mint","to":")" + bob.hex + R"(","amount":")" + format_amount(kMaxAmount - 1005) + "\"}";
  ASSERT_TRUE(run(token, owner, fill).applied);
  EXPECT_EQ(token.total_supply(), kMaxAmount);
  expect_rejected(token, owner, R"({"op":"mint","to":")" + bob.hex + R"(","amount":"1"})", token_reason::kSupplyOverflow);
}

TEST_F(RuntimeTokenOps, BurnReducesBalanceAndSupply) {
  expect_rejected(token, alice, R"({"op":"burn","amount":"1"})", token_reason::kInsufficientBalance);
  ASSERT_TRUE(run(token, owner, R"({"op":"burn","amount":"400"})").applied);
  EXPECT_EQ(token.balance_of(owner.address), 600u);
  EXPECT_EQ(token.total_supply(), 600u);
  expect_rejected(token, owner, R"({"op":"burn","amount":"601"})", token_reason::kInsufficientBalance);
}

TEST_F(RuntimeTokenOps, MalformedCommandsAreRejectedWithAReason) {
  const std::string z = "0x0000000000000000000000000000000000000000";
  const struct {
    std::string payload;
    std::string reason;
  } cases[] = {
      {"not json", "malformed command: not a JSON object"},
      {"[1,2]", "malformed command: not a JSON object"},
      {R"({"to":"x"})", "malformed command: missing \"op\""},
      {R"({"op":7})", "malformed command: missing \"op\""},
      {R"({"op":"steal"})", "malformed command: unknown op \"steal\""},
      // quoted up to 32 bytes, never through a multi-byte character ("é" straddles byte 32)
      {R"({"op":")" + std::string(31, 'x') + "\u00e9\"}", "malformed command: unknown op \"" + std::string(31, 'x') + "\""},
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"1","memo":"x"})", "malformed command: unexpected member \"memo\""},
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":1})", "malformed command: \"amount\" must be a string"},
      {R"({"op":"transfer","to":"0x1234","amount":"1"})", "malformed command: \"to\" is not an address"},
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"007"})", "malformed command: \"amount\" is not a decimal amount"},
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"-1"})", "malformed command: \"amount\" is not a decimal amount"},
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"340282366920938463463374607431768211456"})", token_reason::kAmountTooLarge},
      {R"({"op":"transfer","to":")" + z + R"(","amount":"1"})", token_reason::kZeroAddress},
      {R"({"op":"approve","spender":")" + z + R"(","amount":"1"})", token_reason::kZeroAddress},
      {R"({"op":"burn"})", "malformed command: missing \"amount\""},
      {R"({"op":"transfer","to":{"a":{"b":{"c":{"d":1}}}},"amount":"1"})", "malformed command: not a JSON object"},
      // a repeated member: which amount did the user sign? (runtime/json_input.h)
      {R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"1","amount":"1000"})", "malformed command: not a JSON object"},
  };
  for (const auto& c : cases) expect_rejected(token, owner, c.payload, c.reason);
}

TEST_F(RuntimeTokenOps, ReadsAreAuthorized) {
  ASSERT_TRUE(run(token, owner, transfer(alice, "10")).applied);
  ASSERT_TRUE(run(token, alice, R"({"op":"approve","spender":")" + bob.hex + R"(","amount":"4"})").applied);
  const Json balance{{"op", "balanceOf"}, {"account", alice.hex}};
  EXPECT_EQ(token.query(alice.address, balance).result, "10");
  const QueryAnswer denied = token.query(bob.address, balance);
  EXPECT_FALSE(denied.ok);
  EXPECT_EQ(denied.error_code, "not_authorized");
  const Json allowance{{"op", "allowance"}, {"owner", alice.hex}, {"spender", bob.hex}};
  EXPECT_EQ(token.query(alice.address, allowance).result, "4");
  EXPECT_EQ(token.query(bob.address, allowance).result, "4");
  EXPECT_EQ(token.query(owner.address, allowance).error_code, "not_authorized");
  EXPECT_EQ(token.query(bob.address, Json{{"op", "totalSupply"}}).result, "1000");
  const QueryAnswer info = token.query(bob.address, Json{{"op", "tokenInfo"}});
  EXPECT_EQ(info.result, (Json{{"initialized", true}, {"name", "Anonify Token"}, {"symbol", "ANT"}, {"owner", owner.hex}}));
  EXPECT_EQ(token.query(bob.address, Json{{"op", "balanceOf"}}).error_code, "malformed_query");
  EXPECT_EQ(token.query(bob.address, Json{{"op", "balanceOf"}, {"account", "0x12"}}).error_code, "malformed_query");
  EXPECT_EQ(token.query(bob.address, Json{{"op", "secrets"}}).error_code, "malformed_query");
}

TEST_F(RuntimeTokenOps, EncodingRoundTripsAndIsCanonical) {
  ASSERT_TRUE(run(token, owner, transfer(alice, "10")).applied);
  ASSERT_TRUE(run(token, alice, R"({"op":"approve","spender":")" + bob.hex + R"(","amount":"4"})").applied);
  const Bytes bytes = encode(token);
  TokenRuntime copy;
  mls::TlsReader r(bytes);
  copy.decode(r);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(encode(copy), bytes);
  EXPECT_EQ(copy.balance_of(alice.address), 10u);
  // Moving everything back and revoking gives the same bytes as never having moved: zero entries
  // are not kept.
  TokenRuntime fresh;
  ASSERT_TRUE(run(fresh, owner, init_token("1000")).applied);
  ASSERT_TRUE(run(token, alice, transfer(owner, "10")).applied);
  ASSERT_TRUE(run(token, alice, R"({"op":"approve","spender":")" + bob.hex + R"(","amount":"0"})").applied);
  EXPECT_EQ(encode(token), encode(fresh));
  // A corrupt encoding is refused.
  Bytes bad = bytes;
  bad[0] = 2;
  mls::TlsReader rb(bad);
  EXPECT_THROW(copy.decode(rb), Error);
}

// A state (from a forged snapshot or a faulty member) whose balances do not add up to the total
// supply is refused on decode: move/mint would otherwise wrap around.
TEST(RuntimeTokenDecode, BalancesMustSumToTheTotalSupplyWithoutOverflow) {
  const fixtures::User a, b;
  const Address& first = a.address < b.address ? a.address : b.address;
  const Address& second = a.address < b.address ? b.address : a.address;
  const auto amount = [](mls::TlsWriter& w, Amount v) {
    w.u64(static_cast<uint64_t>(v >> 64));
    w.u64(static_cast<uint64_t>(v));
  };
  // initialized, name, symbol, owner, totalSupply, balances (ordered), no allowances.
  const auto state = [&](Amount supply, Amount x, Amount y) {
    mls::TlsWriter w;
    w.u8(1);
    w.opaque(std::string("T"));
    w.opaque(std::string("T"));
    w.raw(first.data(), first.size());
    amount(w, supply);
    w.vector([&](mls::TlsWriter& v) {
      v.raw(first.data(), first.size());
      amount(v, x);
      v.raw(second.data(), second.size());
      amount(v, y);
    });
    w.vector([](mls::TlsWriter&) {});
    return w.take();
  };
  const auto decodes = [](const Bytes& bytes) {
    TokenRuntime t;
    mls::TlsReader r(bytes);
    t.decode(r);
    return t;
  };
  const auto refused = [&](const Bytes& bytes, const std::string& why) {
    TokenRuntime t;
    ASSERT_TRUE(run(t, a, init_token("5")).applied);
    const Bytes before = encode(t);
    mls::TlsReader r(bytes);
    try {
      t.decode(r);
      FAIL() << "decoded a state whose " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kDecodeError) << why;
    }
    EXPECT_EQ(encode(t), before) << "a refused decode changed the state";
  };
  EXPECT_EQ(decodes(state(100, 60, 40)).balance_of(second), 40u);
  refused(state(100, 60, 50), "balances exceed the supply");
  refused(state(100, 60, 30), "balances fall short of the supply");
  refused(state(kMaxAmount, kMaxAmount, 1), "balances overflow");
  refused(state(kMaxAmount, kMaxAmount - 1, 2), "balances wrap to below the supply");
}

// A runtime that does not override check(): the default dry run applies to a clone, so it gives
// apply's verdict and leaves the state alone.
class CounterRuntime final : public Runtime {
 public:
  std::string_view name() const override { return "test-counter/v1"; }
  bool initialized() const override { return true; }
  Transition apply(const Address& sender, ByteView payload) override {
    if (std::string(payload.begin(), payload.end()) != "inc") return Transition::reject("unknown command");
    ++count_;
    return Transition::accept({sender});
  }
  QueryAnswer query(const Address&, const Json&) const override { return QueryAnswer::success(count_); }
  void encode(mls::TlsWriter& out) const override { out.u64(count_); }
  void decode(mls::TlsReader& in) override { count_ = in.u64(); }
  std::unique_ptr<Runtime> clone() const override { return std::make_unique<CounterRuntime>(*this); }

 private:
  uint64_t count_ = 0;
};

TEST(RuntimeCheck, TheDefaultCheckIsApplyOnACopy) {
  CounterRuntime counter;
  const User user;
  const Runtime& as_runtime = counter;
  EXPECT_TRUE(as_runtime.check(user.address, text_bytes("inc")).applied);
  const Transition refused = as_runtime.check(user.address, text_bytes("dec"));
  EXPECT_FALSE(refused.applied);
  EXPECT_EQ(refused.reason, "unknown command");
  EXPECT_EQ(counter.query(user.address, Json::object()).result, 0);  // the checks changed nothing
  ASSERT_TRUE(counter.apply(user.address, text_bytes("inc")).applied);
  EXPECT_EQ(counter.query(user.address, Json::object()).result, 1);
}

}  // namespace
}  // namespace anonify::runtime
