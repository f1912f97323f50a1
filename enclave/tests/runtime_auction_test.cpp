// AuctionRuntime: first-price sealed bids, the tie-break, the reserve, every rejection reason with the
// state unchanged, check() == apply(), determinism, strict commands and queries, the limits, and
// secrecy (no answer to anyone shows a losing bid). Encoding tests: runtime_auction_encoding_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "anonify/runtime/json_input.h"
#include "runtime_auction_test_util.h"

namespace anonify::runtime {
namespace {

using namespace auction_test;

const Address kSeller = account(1), kAlice = account(2), kBob = account(3), kCarol = account(4), kStranger = account(5);

QueryAnswer ask(const AuctionRuntime& r, const Address& sender, const Json& query) { return r.query(sender, query); }
Json auction_of(const AuctionRuntime& r, const std::string& id, const Address& reader = kStranger) {
  const QueryAnswer a = ask(r, reader, Json{{"op", "auction"}, {"id", id}});
  EXPECT_TRUE(a.ok) << a.message;
  return a.result;
}
Json my_bid(const AuctionRuntime& r, const std::string& id, const Address& reader) {
  const QueryAnswer a = ask(r, reader, Json{{"op", "myBid"}, {"id", id}});
  EXPECT_TRUE(a.ok) << a.message;
  return a.result;
}

class RuntimeAuctionOpen : public ::testing::Test {
 protected:
  void SetUp() override { expect_applied(auction, kSeller, open_cmd("lot-1", "A painting", "100")); }
  AuctionRuntime auction;
};

TEST_F(RuntimeAuctionOpen, TheHighestBidWinsAndPaysItsOwnBid) {
  const Json open{{"id", "lot-1"}, {"seller", format_address(kSeller)}, {"item", "A painting"}, {"reservePrice", "100"}, {"status", "open"}};
  EXPECT_EQ(auction_of(auction, "lot-1"), open);  // no winner, no price, no bid count while open
  const Transition a = run(auction, kAlice, bid_cmd("lot-1", "120"));
  ASSERT_TRUE(a.applied);
  EXPECT_EQ(a.affected, std::set<Address>{kAlice});  // the seller is not told that a bid arrived
  expect_applied(auction, kBob, bid_cmd("lot-1", "150"));
  expect_applied(auction, kCarol, bid_cmd("lot-1", "130"));
  EXPECT_EQ(auction_of(auction, "lot-1"), open);
  EXPECT_EQ(my_bid(auction, "lot-1", kAlice), "120");
  EXPECT_EQ(my_bid(auction, "lot-1", kBob), "150");
  EXPECT_EQ(my_bid(auction, "lot-1", kSeller), nullptr);
  const Transition closed = run(auction, kSeller, close_cmd("lot-1"));
  ASSERT_TRUE(closed.applied);
  EXPECT_EQ(closed.affected, (std::set<Address>{kSeller, kAlice, kBob, kCarol}));
  Json outcome = open;
  outcome["status"] = "closed";
  outcome["winner"] = format_address(kBob);
  outcome["price"] = "150";
  for (const Address& reader : {kSeller, kAlice, kBob, kStranger}) EXPECT_EQ(auction_of(auction, "lot-1", reader), outcome);
  // Bids are deleted at close, the winner's too (its amount is the published price).
  for (const Address& reader : {kAlice, kBob, kCarol}) EXPECT_EQ(my_bid(auction, "lot-1", reader), nullptr);
}

TEST_F(RuntimeAuctionOpen, ABidderRaisesOrWithdrawsTheirOwnBid) {
  expect_applied(auction, kAlice, bid_cmd("lot-1", "120"));
  expect_rejected(auction, kAlice, bid_cmd("lot-1", "120"), auction_reason::kBidNotHigher);
  expect_rejected(auction, kAlice, bid_cmd("lot-1", "110"), auction_reason::kBidNotHigher);
  expect_applied(auction, kAlice, bid_cmd("lot-1", "121"));
  EXPECT_EQ(my_bid(auction, "lot-1", kAlice), "121");
  const Transition w = run(auction, kAlice, withdraw_cmd("lot-1"));
  ASSERT_TRUE(w.applied);
  EXPECT_EQ(w.affected, std::set<Address>{kAlice});
  EXPECT_EQ(my_bid(auction, "lot-1", kAlice), nullptr);
  expect_rejected(auction, kAlice, withdraw_cmd("lot-1"), auction_reason::kNoBid);
  // After a withdrawal any amount from the reserve up is a new bid.
  expect_applied(auction, kAlice, bid_cmd("lot-1", "100"));
  ASSERT_TRUE(run(auction, kSeller, close_cmd("lot-1")).applied);
  EXPECT_EQ(auction_of(auction, "lot-1")["price"], "100");
}

TEST_F(RuntimeAuctionOpen, EqualBidsGoToTheEarliest) {
  expect_applied(auction, kAlice, bid_cmd("lot-1", "200"));
  expect_applied(auction, kBob, bid_cmd("lot-1", "200"));
  expect_applied(auction, kCarol, bid_cmd("lot-1", "199"));
  // A raise is a new bid: Carol reaching 200 now is later than Alice and Bob.
  expect_applied(auction, kCarol, bid_cmd("lot-1", "200"));
  // So is a bid placed again after a withdrawal.
  expect_applied(auction, kSeller, open_cmd("lot-2"));
  expect_applied(auction, kAlice, bid_cmd("lot-2", "300"));
  expect_applied(auction, kBob, bid_cmd("lot-2", "300"));
  expect_applied(auction, kAlice, withdraw_cmd("lot-2"));
  expect_applied(auction, kAlice, bid_cmd("lot-2", "300"));
  for (const char* id : {"lot-1", "lot-2"}) ASSERT_TRUE(run(auction, kSeller, close_cmd(id)).applied);
  EXPECT_EQ(auction_of(auction, "lot-1")["winner"], format_address(kAlice));
  EXPECT_EQ(auction_of(auction, "lot-2")["winner"], format_address(kBob));
  EXPECT_EQ(auction_of(auction, "lot-2")["price"], "300");
}

TEST_F(RuntimeAuctionOpen, BidsBelowTheReserveAreRejectedSoNoWinnerWithoutOneThatMeetsIt) {
  expect_rejected(auction, kAlice, bid_cmd("lot-1", "99"), auction_reason::kBelowReservePrice);
  expect_rejected(auction, kBob, bid_cmd("lot-1", "0"), auction_reason::kBelowReservePrice);
  ASSERT_TRUE(run(auction, kSeller, close_cmd("lot-1")).applied);
  EXPECT_EQ(auction_of(auction, "lot-1")["winner"], nullptr);
  EXPECT_EQ(auction_of(auction, "lot-1")["price"], nullptr);
  // Exactly the reserve meets it.
  expect_applied(auction, kSeller, open_cmd("lot-2", "Vase", "500"));
  expect_applied(auction, kBob, bid_cmd("lot-2", "500"));
  ASSERT_TRUE(run(auction, kSeller, close_cmd("lot-2")).applied);
  EXPECT_EQ(auction_of(auction, "lot-2")["price"], "500");
}

// Clients pad bid, withdraw and close commands to one length so that the padding buckets do not show
// a bid's digit count: the whitespace is plain JSON, and the padded command does what the bare one does.
TEST_F(RuntimeAuctionOpen, WhitespacePaddedCommandsDoWhatTheBareOnesDo) {
  const auto padded = [](std::string command) {
    EXPECT_LE(command.size(), kPaddedCommandSize);
    command.resize(kPaddedCommandSize, ' ');
    return command;
  };
  const std::string longest_bid = bid_cmd(std::string(kMaxAuctionIdSize, 'i'), std::string(39, '9'));
  EXPECT_EQ(longest_bid.size(), 135u);
  EXPECT_LE(longest_bid.size(), kPaddedCommandSize);
  AuctionRuntime bare = auction;
  for (const auto& [sender, command] : std::vector<std::pair<Address, std::string>>{
           {kAlice, bid_cmd("lot-1", "150")}, {kBob, bid_cmd("lot-1", "100")}, {kBob, withdraw_cmd("lot-1")},
           {kSeller, close_cmd("lot-1")}}) {
    const Transition t = run(auction, sender, padded(command));
    const Transition u = run(bare, sender, command);
    EXPECT_TRUE(t.applied) << t.reason;
    EXPECT_EQ(t.affected, u.affected);
    EXPECT_EQ(encode(auction), encode(bare)) << command;
  }
  expect_applied(auction, kSeller, "\n\t " + open_cmd("lot-2") + "\r\n");
  expect_rejected(auction, kAlice, padded(bid_cmd("lot-2", "1")), auction_reason::kBelowReservePrice);
}

TEST_F(RuntimeAuctionOpen, ClosingWithoutBidsHasNoWinner) {
  const Transition t = run(auction, kSeller, close_cmd("lot-1"));
  ASSERT_TRUE(t.applied);
  EXPECT_EQ(t.affected, std::set<Address>{kSeller});
  const Json info = auction_of(auction, "lot-1");
  EXPECT_EQ(info["status"], "closed");
  EXPECT_TRUE(info["winner"].is_null());
  EXPECT_TRUE(info["price"].is_null());
  // A zero reserve: a bid of 0 is valid and wins at 0.
  expect_applied(auction, kSeller, open_cmd("free", "Flyer", "0"));
  expect_applied(auction, kAlice, bid_cmd("free", "0"));
  ASSERT_TRUE(run(auction, kSeller, close_cmd("free")).applied);
  EXPECT_EQ(auction_of(auction, "free")["price"], "0");
}

TEST_F(RuntimeAuctionOpen, EveryRejectionHasItsReasonAndChangesNothing) {
  expect_applied(auction, kAlice, bid_cmd("lot-1", "150"));
  const std::string too_large = "340282366920938463463374607431768211456";
  expect_rejected(auction, kAlice, open_cmd("lot-1"), auction_reason::kAuctionExists);
  expect_rejected(auction, kSeller, open_cmd("lot-1", "Other", "1"), auction_reason::kAuctionExists);
  expect_rejected(auction, kAlice, open_cmd("lot-9", "X", too_large), auction_reason::kAmountTooLarge);
  expect_rejected(auction, kAlice, bid_cmd("nope", "150"), auction_reason::kUnknownAuction);
  expect_rejected(auction, kAlice, withdraw_cmd("nope"), auction_reason::kUnknownAuction);
  expect_rejected(auction, kSeller, close_cmd("nope"), auction_reason::kUnknownAuction);
  expect_rejected(auction, kSeller, bid_cmd("lot-1", "1000"), auction_reason::kSellerCannotBid);
  expect_rejected(auction, kSeller, withdraw_cmd("lot-1"), auction_reason::kNoBid);
  expect_rejected(auction, kBob, withdraw_cmd("lot-1"), auction_reason::kNoBid);
  expect_rejected(auction, kBob, bid_cmd("lot-1", "99"), auction_reason::kBelowReservePrice);
  expect_rejected(auction, kBob, bid_cmd("lot-1", too_large), auction_reason::kAmountTooLarge);
  expect_rejected(auction, kAlice, bid_cmd("lot-1", "149"), auction_reason::kBidNotHigher);
  expect_rejected(auction, kAlice, close_cmd("lot-1"), auction_reason::kNotSeller);
  expect_rejected(auction, kStranger, close_cmd("lot-1"), auction_reason::kNotSeller);
  ASSERT_TRUE(run(auction, kSeller, close_cmd("lot-1")).applied);
  expect_rejected(auction, kSeller, close_cmd("lot-1"), auction_reason::kAuctionClosed);
  expect_rejected(auction, kStranger, close_cmd("lot-1"), auction_reason::kAuctionClosed);
  expect_rejected(auction, kBob, bid_cmd("lot-1", "500"), auction_reason::kAuctionClosed);
  expect_rejected(auction, kAlice, withdraw_cmd("lot-1"), auction_reason::kAuctionClosed);
  expect_rejected(auction, kSeller, open_cmd("lot-1"), auction_reason::kAuctionExists);
}

TEST(RuntimeAuction, TheLimitsAreRejectionsAtTheirConstants) {
  AuctionRuntime r;
  const std::string long_id(kMaxAuctionIdSize, 'i');
  const std::string long_item(kMaxAuctionItemSize, 'x');
  expect_applied(r, kSeller, open_cmd(long_id, long_item, "1"));
  for (uint32_t i = 1; i < kMaxAuctions; ++i) {  // apply alone: run() re-encodes the growing state twice per step
    ASSERT_TRUE(r.apply(kSeller, text_bytes(open_cmd("a" + std::to_string(i)))).applied);
  }
  EXPECT_EQ(r.auction_count(), kMaxAuctions);
  expect_rejected(r, kAlice, open_cmd("one-more"), auction_reason::kTooManyAuctions);
  expect_rejected(r, kAlice, open_cmd("a1"), auction_reason::kAuctionExists);  // checked first
  // Bidders: the limit counts bids held, not bids placed.
  for (uint32_t i = 0; i < kMaxBiddersPerAuction; ++i) {
    ASSERT_TRUE(r.apply(account(1000 + i), text_bytes(bid_cmd("a1", "100"))).applied);
  }
  const Address newcomer = account(5000);
  expect_rejected(r, newcomer, bid_cmd("a1", "1000"), auction_reason::kTooManyBidders);
  expect_applied(r, account(1000), bid_cmd("a1", "101"));  // a raise needs no new place
  expect_applied(r, account(1001), withdraw_cmd("a1"));
  expect_applied(r, newcomer, bid_cmd("a1", "1000"));
  expect_rejected(r, account(1001), bid_cmd("a1", "1000"), auction_reason::kTooManyBidders);
  const Transition closed = run(r, kSeller, close_cmd("a1"));
  ASSERT_TRUE(closed.applied);
  EXPECT_EQ(closed.affected.size(), kMaxBiddersPerAuction + 1);  // every bidder holding a bid, and the seller
  EXPECT_EQ(auction_of(r, "a1")["winner"], format_address(newcomer));
}

TEST(RuntimeAuction, AnExhaustedBidSequenceIsARejection) {
  // Only a decoded state can get there: one open auction whose next sequence is 2^64 - 1.
  mls::TlsWriter w;
  w.vector([](mls::TlsWriter& a) {
    a.opaque(std::string("lot"));
    a.raw(kSeller.data(), kSeller.size());
    a.opaque(std::string("item"));
    a.u64(0);
    a.u64(1);  // reserve 1
    a.u8(0);
    a.u64(~uint64_t{0});
    a.vector([](mls::TlsWriter&) {});
  });
  AuctionRuntime r = decoded(w.take());
  expect_rejected(r, kAlice, bid_cmd("lot", "5"), auction_reason::kBidSequenceExhausted);
}

// Every member of every op missing, of another type, or joined by an unknown one; ids, items and
// amounts out of shape; input that is not a JSON object (invalid UTF-8, too deep, not an object).
TEST_F(RuntimeAuctionOpen, MalformedCommandsAreRejectedWithAReason) {
  const std::vector<Json> valid = {
      Json{{"op", "open"}, {"id", "new"}, {"item", "x"}, {"reservePrice", "1"}},
      Json{{"op", "bid"}, {"id", "lot-1"}, {"amount", "100"}},
      Json{{"op", "withdraw"}, {"id", "lot-1"}},
      Json{{"op", "close"}, {"id", "lot-1"}},
  };
  const std::vector<Json> wrong_types = {7, nullptr, true, Json::array({"x"}), Json::object({{"a", "b"}})};
  for (const Json& command : valid) {
    for (const auto& member : command.items()) {
      const std::string name = member.key();
      const std::string missing_reason = name == "op" ? "malformed command: missing \"op\"" : "malformed command: missing \"" + name + "\"";
      Json missing = command;
      missing.erase(name);
      expect_rejected(auction, kAlice, missing.dump(), missing_reason);
      for (const Json& value : wrong_types) {
        Json wrong = command;
        wrong[name] = value;
        const std::string reason = name == "op" ? "malformed command: missing \"op\"" : "malformed command: \"" + name + "\" must be a string";
        expect_rejected(auction, kAlice, wrong.dump(), reason);
      }
    }
    Json extra = command;
    extra["memo"] = "x";
    expect_rejected(auction, kAlice, extra.dump(), "malformed command: unexpected member \"memo\"");
  }
  const std::string bad_id = "malformed command: \"id\" must be 1..64 bytes of [A-Za-z0-9._:-]";
  for (const std::string& id : {std::string(), std::string(kMaxAuctionIdSize + 1, 'a'), std::string("a b"), std::string("a/b"),
                                std::string("lot#1"), std::string("caf\u00e9"), std::string("a\\u0000b")}) {
    expect_rejected(auction, kSeller, open_cmd(id), bad_id);
    expect_rejected(auction, kAlice, bid_cmd(id, "100"), bad_id);
    expect_rejected(auction, kAlice, withdraw_cmd(id), bad_id);
    expect_rejected(auction, kSeller, close_cmd(id), bad_id);
  }
  const std::string bad_item = "malformed command: \"item\" must be 1..256 bytes";
  expect_rejected(auction, kSeller, open_cmd("x", ""), bad_item);
  expect_rejected(auction, kSeller, open_cmd("x", std::string(kMaxAuctionItemSize + 1, 'x')), bad_item);
  // 128 two-byte characters are 256 bytes: accepted; one more is not.
  std::string two_byte;
  for (size_t i = 0; i < kMaxAuctionItemSize / 2; ++i) two_byte += "\u00e9";
  expect_applied(auction, kSeller, open_cmd("utf8", two_byte));
  expect_rejected(auction, kSeller, open_cmd("utf8-2", two_byte + "\u00e9"), bad_item);
  for (const char* amount : {"", "01", "-1", "+1", "1.5", "1e3", " 1", "0x10", "abc"}) {
    expect_rejected(auction, kAlice, bid_cmd("lot-1", amount), "malformed command: \"amount\" is not a decimal amount");
    expect_rejected(auction, kSeller, open_cmd("y", "x", amount), "malformed command: \"reservePrice\" is not a decimal amount");
  }
  const struct {
    std::string payload;
    std::string reason;
  } cases[] = {
      {"", "malformed command: not a JSON object"},
      {"not json", "malformed command: not a JSON object"},
      {"[\"op\",\"bid\"]", "malformed command: not a JSON object"},
      {"\"bid\"", "malformed command: not a JSON object"},
      {R"({"op":"bid","id":"lot-1","amount":"100"} x)", "malformed command: not a JSON object"},
      {R"({"op":"bid","id":"lot-1","amount":{"a":{"b":{"c":{"d":"1"}}}}})", "malformed command: not a JSON object"},
      // invalid UTF-8 in each kind of member: a lone continuation byte, a truncated sequence, an overlong form
      {"{\"op\":\"open\",\"id\":\"x\",\"item\":\"\x80\",\"reservePrice\":\"1\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"open\",\"id\":\"x\",\"item\":\"ab\xe2\x82\",\"reservePrice\":\"1\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"bid\",\"id\":\"\xc0\xaf\",\"amount\":\"1\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"b\xffid\",\"id\":\"lot-1\",\"amount\":\"1\"}", "malformed command: not a JSON object"},
      {R"({"id":"lot-1"})", "malformed command: missing \"op\""},
      {R"({"op":"transfer","to":"x","amount":"1"})", "malformed command: unknown op \"transfer\""},
      {R"({"op":"Bid","id":"lot-1","amount":"1"})", "malformed command: unknown op \"Bid\""},
      {R"({"op":")" + std::string(31, 'x') + "\u00e9\"}", "malformed command: unknown op \"" + std::string(31, 'x') + "\""},
  };
  for (const auto& c : cases) expect_rejected(auction, kAlice, c.payload, c.reason);
}

TEST_F(RuntimeAuctionOpen, MalformedQueriesAreRefused) {
  const auto refused = [&](const Json& query, const std::string& message) {
    const QueryAnswer a = ask(auction, kAlice, query);
    EXPECT_FALSE(a.ok) << query.dump();
    EXPECT_EQ(a.error_code, "malformed_query") << query.dump();
    EXPECT_EQ(a.message, message) << query.dump();
  };
  refused(Json::object(), "missing \"op\"");
  refused(Json{{"op", 1}}, "missing \"op\"");
  refused(Json{{"op", "balanceOf"}}, "unknown op \"balanceOf\"");
  for (const char* op : {"auction", "myBid"}) {
    refused(Json{{"op", op}}, "missing \"id\"");
    for (const Json& value : {Json(7), Json(nullptr), Json::array(), Json::object()}) {
      refused(Json{{"op", op}, {"id", value}}, "\"id\" must be a string");
    }
    refused(Json{{"op", op}, {"id", "lot-1"}, {"account", format_address(kBob)}}, "unexpected member \"account\"");
    for (const char* id : {"", "a b", "lot/1"}) refused(Json{{"op", op}, {"id", id}}, "\"id\" must be 1..64 bytes of [A-Za-z0-9._:-]");
    refused(Json{{"op", op}, {"id", std::string(kMaxAuctionIdSize + 1, 'a')}}, "\"id\" must be 1..64 bytes of [A-Za-z0-9._:-]");
  }
  refused(Json{{"op", "list"}, {"id", "lot-1"}}, "unexpected member \"id\"");
  // A query arrives as bytes; state_read answers malformed_query to what does not parse as an object,
  // invalid UTF-8 included.
  for (const char* raw : {"{\"op\":\"auction\",\"id\":\"lot\x80\"}", "{\"op\":\"my\xc3\",\"id\":\"lot-1\"}", "[]", "{\"op\":\"list\"} {}"}) {
    EXPECT_FALSE(detail::parse_object(ByteView::from_string(raw)).has_value()) << raw;
  }
  // Unknown ids are not an error: there is just nothing there.
  EXPECT_EQ(auction_of(auction, "nope"), nullptr);
  EXPECT_EQ(my_bid(auction, "nope", kAlice), nullptr);
}

TEST_F(RuntimeAuctionOpen, ListShowsEveryAuctionSortedById) {
  expect_applied(auction, kAlice, open_cmd("Zeta"));
  expect_applied(auction, kBob, open_cmd("alpha"));
  expect_applied(auction, kBob, open_cmd("lot-0"));
  ASSERT_TRUE(run(auction, kBob, close_cmd("lot-0")).applied);
  const QueryAnswer a = ask(auction, kStranger, Json{{"op", "list"}});
  ASSERT_TRUE(a.ok);
  const Json expected = Json::array({Json{{"id", "Zeta"}, {"status", "open"}}, Json{{"id", "alpha"}, {"status", "open"}},
                                     Json{{"id", "lot-0"}, {"status", "closed"}}, Json{{"id", "lot-1"}, {"status", "open"}}});
  EXPECT_EQ(a.result, expected);
  EXPECT_EQ(ask(AuctionRuntime(), kStranger, Json{{"op", "list"}}).result, Json::array());
}

// Every answer any account can get, serialized, at each stage of an auction: a losing bid's decimal
// string appears in none of them, except in the bidder's own myBid while the auction is open (and
// after close in no answer at all). The rejections other accounts can provoke quote no amount either.
TEST(RuntimeAuctionSecrecy, NoAnswerToAnyoneShowsALosingBid) {
  AuctionRuntime r;
  const std::vector<Address> everyone = {kSeller, kAlice, kBob, kCarol, kStranger};
  // Amounts no address, id, item or other amount contains.
  const std::string alice_bid = "314159265358", carol_first = "271828182845", carol_raise = "302775637731",
                    bob_bid = "577215664901";
  const std::vector<std::pair<Address, std::string>> losing = {{kAlice, alice_bid}, {kCarol, carol_first}, {kCarol, carol_raise}};
  std::vector<Json> queries = {Json{{"op", "list"}}, Json{{"op", "list"}, {"x", "1"}}, Json{{"op", "secrets"}}};
  for (const char* id : {"lot-1", "lot-2", "nope"}) {
    queries.push_back(Json{{"op", "auction"}, {"id", id}});
    queries.push_back(Json{{"op", "myBid"}, {"id", id}});
  }
  const auto text_of = [](const QueryAnswer& a) { return a.result.dump() + "|" + a.error_code + "|" + a.message; };
  bool closed = false;
  const auto check_answers = [&](const std::string& stage) {
    for (const Address& reader : everyone) {
      for (const Json& q : queries) {
        const std::string answer = text_of(r.query(reader, q));
        for (const auto& [bidder, amount] : losing) {
          const bool own_open_bid = !closed && reader == bidder && q["op"] == "myBid";
          if (own_open_bid) continue;
          EXPECT_EQ(answer.find(amount), std::string::npos)
              << stage << ": " << format_address(reader) << " read " << amount << " in " << answer << " (" << q.dump() << ")";
        }
      }
    }
  };
  expect_applied(r, kSeller, open_cmd("lot-1", "Lamp", "1000"));
  expect_applied(r, kSeller, open_cmd("lot-2", "Desk", "1000"));
  expect_applied(r, kAlice, bid_cmd("lot-2", "5000"));
  check_answers("opened");
  expect_applied(r, kAlice, bid_cmd("lot-1", alice_bid));
  expect_applied(r, kCarol, bid_cmd("lot-1", carol_first));
  expect_applied(r, kBob, bid_cmd("lot-1", bob_bid));
  check_answers("bids placed");
  expect_applied(r, kCarol, bid_cmd("lot-1", carol_raise));
  EXPECT_EQ(my_bid(r, "lot-1", kCarol), carol_raise);  // the search does find an amount where one is shown
  check_answers("raised");
  // What the others can try against lot-1 says nothing about the amounts either.
  for (const Address& sender : everyone) {
    for (const std::string& cmd : {bid_cmd("lot-1", "1000"), bid_cmd("lot-1", "1"), withdraw_cmd("lot-1"), close_cmd("lot-2")}) {
      const Transition t = r.check(sender, text_bytes(cmd));
      for (const auto& [bidder, amount] : losing) EXPECT_EQ(t.reason.find(amount), std::string::npos) << t.reason;
    }
  }
  expect_applied(r, kSeller, close_cmd("lot-1"));
  closed = true;
  check_answers("closed");
  EXPECT_EQ(auction_of(r, "lot-1")["price"], bob_bid);
  // The losing amounts are gone from the state itself (16-byte big-endian as encoded, and decimal).
  const Bytes state = encode(r);
  for (const auto& [bidder, amount] : losing) {
    mls::TlsWriter w;
    const Amount value = parse_amount(amount).value;
    w.u64(static_cast<uint64_t>(value >> 64));
    w.u64(static_cast<uint64_t>(value));
    const Bytes needle = w.take();
    EXPECT_EQ(std::search(state.begin(), state.end(), needle.begin(), needle.end()), state.end()) << amount;
  }
}

// Two replicas fed the same commands (accepted and rejected, from several senders) give the same
// transitions and byte-identical states after every step.
TEST(RuntimeAuction, TwoReplicasStayByteIdentical) {
  AuctionRuntime a, b;
  const std::vector<std::pair<Address, std::string>> log = {
      {kSeller, open_cmd("lot-1")},  {kAlice, bid_cmd("lot-1", "150")},  {kBob, bid_cmd("lot-1", "150")},
      {kSeller, bid_cmd("lot-1", "500")}, {kAlice, bid_cmd("lot-1", "140")}, {kCarol, open_cmd("lot-2", "Chair", "5")},
      {kSeller, bid_cmd("lot-2", "6")}, {kBob, withdraw_cmd("lot-1")}, {kBob, bid_cmd("lot-1", "151")},
      {kAlice, close_cmd("lot-1")},  {kSeller, close_cmd("lot-1")},     {kAlice, bid_cmd("lot-1", "999")},
      {kStranger, "garbage"},        {kCarol, close_cmd("lot-2")},      {kAlice, open_cmd("lot-3", "Rug", "0")},
  };
  for (const auto& [sender, payload] : log) {
    const Transition ta = run(a, sender, payload);
    const Transition tb = run(b, sender, payload);
    EXPECT_EQ(ta.applied, tb.applied) << payload;
    EXPECT_EQ(ta.reason, tb.reason) << payload;
    EXPECT_EQ(ta.affected, tb.affected) << payload;
    ASSERT_EQ(encode(a), encode(b)) << "after " << payload;
    EXPECT_EQ(encode(decoded(encode(a))), encode(a)) << "after " << payload;
  }
  EXPECT_EQ(auction_of(a, "lot-1")["winner"], format_address(kBob));
  EXPECT_EQ(auction_of(a, "lot-2")["winner"], format_address(kSeller));
}

}  // namespace
}  // namespace anonify::runtime
