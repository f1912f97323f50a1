// AuctionRuntime's state: the canonical encoding (round trip, one encoding per state, every decode
// refusal), and check() == apply() over a sweep of (state, sender, command).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "anonify/error.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/ledger.h"
#include "runtime_auction_test_util.h"

namespace anonify::runtime {
namespace {

using namespace auction_test;

const Address kSeller = account(1), kAlice = account(2), kBob = account(3), kCarol = account(4), kStranger = account(5);
const std::string kTooLarge = "340282366920938463463374607431768211456";

// --- a hand-written encoder, so tests can build states the rules never produce ------------------

struct BidSpec {
  Address bidder;
  Amount amount;
  uint64_t sequence;
};

struct AuctionSpec {
  std::string id = "lot";
  Address seller = kSeller;
  std::string item = "item";
  Amount reserve = 10;
  uint8_t status = 0;          // 0 open, 1 closed, anything else is corrupt
  uint64_t next_sequence = 5;  // open
  std::vector<BidSpec> bids;   // open
  uint8_t sale_presence = 0;   // closed: 0 none, 1 winner + price follow
  Address winner = kAlice;
  Amount price = 10;
};

void put_amount(mls::TlsWriter& w, Amount v) {
  w.u64(static_cast<uint64_t>(v >> 64));
  w.u64(static_cast<uint64_t>(v));
}

Bytes state_of(const std::vector<AuctionSpec>& auctions) {
  mls::TlsWriter w;
  w.vector([&](mls::TlsWriter& a) {
    for (const AuctionSpec& s : auctions) {
      a.opaque(s.id);
      a.raw(s.seller.data(), s.seller.size());
      a.opaque(s.item);
      put_amount(a, s.reserve);
      a.u8(s.status);
      if (s.status == 0) {
        a.u64(s.next_sequence);
        a.vector([&](mls::TlsWriter& b) {
          for (const BidSpec& bid : s.bids) {
            b.raw(bid.bidder.data(), bid.bidder.size());
            put_amount(b, bid.amount);
            b.u64(bid.sequence);
          }
        });
      } else {
        a.u8(s.sale_presence);
        if (s.sale_presence == 1) {
          a.raw(s.winner.data(), s.winner.size());
          put_amount(a, s.price);
        }
      }
    }
  });
  return w.take();
}

AuctionSpec with_bids(std::vector<BidSpec> bids) {
  AuctionSpec s;
  s.bids = std::move(bids);
  return s;
}

AuctionSpec closed_sale(Address winner, Amount price) {
  AuctionSpec s;
  s.status = 1;
  s.sale_presence = 1;
  s.winner = winner;
  s.price = price;
  return s;
}

AuctionSpec named(std::string id, AuctionSpec s = {}) {
  s.id = std::move(id);
  return s;
}

// A decode of `bytes` must throw Error(DecodeError) and leave the runtime as it was.
void expect_refused(const Bytes& bytes, const std::string& why) {
  AuctionRuntime r;
  expect_applied(r, kSeller, open_cmd("before"));
  const Bytes before = encode(r);
  mls::TlsReader in(bytes);
  try {
    r.decode(in);
    ADD_FAILURE() << "decoded a state with " << why;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDecodeError) << why << ": " << e.what();
  }
  EXPECT_EQ(encode(r), before) << "a refused decode changed the state (" << why << ")";
}

// A state with open auctions (with and without bids) and closed ones (with and without a winner).
AuctionRuntime sample_state() {
  AuctionRuntime r;
  expect_applied(r, kSeller, open_cmd("lot-1", "Lamp", "100"));
  expect_applied(r, kAlice, open_cmd("lot-2", "Desk \u00e9", "5"));
  expect_applied(r, kSeller, open_cmd("lot-3", "Rug", "0"));
  expect_applied(r, kSeller, open_cmd("lot-4", "Chair", "7"));
  expect_applied(r, kAlice, bid_cmd("lot-1", "150"));
  expect_applied(r, kBob, bid_cmd("lot-1", "120"));
  expect_applied(r, kCarol, bid_cmd("lot-2", "6"));
  expect_applied(r, kSeller, bid_cmd("lot-2", "9"));
  expect_applied(r, kAlice, close_cmd("lot-2"));
  expect_applied(r, kSeller, close_cmd("lot-4"));
  return r;
}

TEST(RuntimeAuctionEncoding, RoundTripsAndIsCanonical) {
  const AuctionRuntime r = sample_state();
  const Bytes bytes = encode(r);
  AuctionRuntime copy;
  mls::TlsReader in(bytes);
  copy.decode(in);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(encode(copy), bytes);
  for (const Address& reader : {kSeller, kAlice, kBob, kStranger}) {
    for (const char* id : {"lot-1", "lot-2", "lot-3", "lot-4"}) {
      for (const char* op : {"auction", "myBid"}) {
        const Json q{{"op", op}, {"id", id}};
        EXPECT_EQ(copy.query(reader, q).result, r.query(reader, q).result) << q.dump();
      }
    }
  }
  // The decoded copy goes on exactly like the original (the bid sequence survived).
  AuctionRuntime original = r;
  for (AuctionRuntime* x : {&original, &copy}) {
    expect_applied(*x, kCarol, bid_cmd("lot-1", "150"));
    expect_applied(*x, kSeller, close_cmd("lot-1"));
  }
  EXPECT_EQ(encode(copy), encode(original));
  EXPECT_EQ(copy.query(kStranger, Json{{"op", "auction"}, {"id", "lot-1"}}).result["winner"], format_address(kAlice));
  // One state, one encoding: the order auctions were opened in does not show.
  AuctionRuntime ab, ba;
  expect_applied(ab, kSeller, open_cmd("a"));
  expect_applied(ab, kAlice, open_cmd("b"));
  expect_applied(ba, kAlice, open_cmd("b"));
  expect_applied(ba, kSeller, open_cmd("a"));
  EXPECT_EQ(encode(ab), encode(ba));
  // The empty state is one empty vector; decoding replaces whatever was there.
  EXPECT_EQ(encode(AuctionRuntime()), Bytes{0x00});
  EXPECT_EQ(decoded(Bytes{0x00}).auction_count(), 0u);
  const Bytes empty_state{0x00};
  mls::TlsReader empty(empty_state);
  copy.decode(empty);
  EXPECT_EQ(copy.auction_count(), 0u);
}

TEST(RuntimeAuctionEncoding, DecodeRefusesNonCanonicalOrImpossibleStates) {
  const BidSpec alice{kAlice, 20, 0}, bob{kBob, 30, 1};
  EXPECT_EQ(decoded(state_of({named("a"), named("b", with_bids({alice, bob})), named("c", closed_sale(kAlice, 10))})).auction_count(), 3u);
  expect_refused(state_of({named("b"), named("a")}), "unsorted auction ids");
  expect_refused(state_of({named("a"), named("a")}), "a repeated auction id");
  for (const std::string& id : {std::string(), std::string("a b"), std::string("a/b"), std::string(kMaxAuctionIdSize + 1, 'a')}) {
    expect_refused(state_of({named(id)}), "the id \"" + id + "\"");
  }
  for (const std::string& item : {std::string(), std::string(kMaxAuctionItemSize + 1, 'x'), std::string("\xff"), std::string("a\xe2\x82")}) {
    AuctionSpec s;
    s.item = item;
    expect_refused(state_of({s}), "the item \"" + item + "\"");
  }
  AuctionSpec bad_status;
  bad_status.status = 2;
  expect_refused(state_of({bad_status}), "status 2");
  expect_refused(state_of({with_bids({bob, alice})}), "unsorted bids");
  expect_refused(state_of({with_bids({alice, BidSpec{kAlice, 25, 1}})}), "a bidder twice");
  expect_refused(state_of({with_bids({alice, BidSpec{kSeller, 25, 1}})}), "a bid by the seller");
  expect_refused(state_of({with_bids({BidSpec{kAlice, 9, 0}})}), "a bid below the reserve");
  expect_refused(state_of({with_bids({BidSpec{kAlice, 20, 5}})}), "a sequence not below the next one");
  expect_refused(state_of({with_bids({alice, BidSpec{kBob, 30, 0}})}), "two bids with one sequence");
  AuctionSpec crowded;
  crowded.next_sequence = kMaxBiddersPerAuction + 1;
  for (uint32_t i = 0; i <= kMaxBiddersPerAuction; ++i) crowded.bids.push_back(BidSpec{account(1000 + i), 10, i});
  expect_refused(state_of({crowded}), "kMaxBiddersPerAuction + 1 bids");
  crowded.bids.pop_back();
  EXPECT_EQ(decoded(state_of({crowded})).auction_count(), 1u);  // exactly the limit is fine
  std::vector<AuctionSpec> many;
  for (uint32_t i = 0; i <= kMaxAuctions; ++i) many.push_back(named("a" + std::to_string(10000 + i)));
  expect_refused(state_of(many), "kMaxAuctions + 1 auctions");
  many.pop_back();
  EXPECT_EQ(decoded(state_of(many)).auction_count(), kMaxAuctions);
  AuctionSpec bad_presence = closed_sale(kAlice, 10);
  bad_presence.sale_presence = 2;
  expect_refused(state_of({bad_presence}), "an optional flag of 2");
  expect_refused(state_of({closed_sale(kSeller, 10)}), "the seller as the winner");
  expect_refused(state_of({closed_sale(kAlice, 9)}), "a price below the reserve");
}

TEST(RuntimeAuctionEncoding, TruncatedAndTrailingBytesAreRefused) {
  const Bytes bytes = encode(sample_state());
  for (size_t size = 0; size < bytes.size(); ++size) {
    expect_refused(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)), "truncated to " + std::to_string(size));
  }
  // A byte after the last auction, inside the auctions vector: read as the start of another auction.
  const Bytes one = state_of({named("a", with_bids({BidSpec{kAlice, 20, 0}}))});
  mls::TlsReader whole(one);
  Bytes body = whole.opaque();
  body.push_back(0);
  mls::TlsWriter longer;
  longer.opaque(body);
  expect_refused(longer.take(), "a trailing byte inside the auctions vector");
  // A byte after the runtime's state: the ledger refuses it (`finish` on the runtime-state vector),
  // as for every runtime.
  const Bytes state = encode(sample_state());
  const Ledger ledger(std::make_unique<AuctionRuntime>(sample_state()));
  const Bytes ledger_bytes = ledger.serialize();
  mls::TlsWriter tail;
  tail.opaque(state);
  const Bytes suffix = tail.take();
  ASSERT_TRUE(std::equal(suffix.begin(), suffix.end(), ledger_bytes.end() - static_cast<std::ptrdiff_t>(suffix.size())));
  EXPECT_EQ(Ledger::deserialize(ledger_bytes, std::make_unique<AuctionRuntime>()).serialize(), ledger_bytes);
  Bytes with_trailing(ledger_bytes.begin(), ledger_bytes.end() - static_cast<std::ptrdiff_t>(suffix.size()));
  Bytes padded_state = state;
  padded_state.push_back(0);
  mls::TlsWriter padded;
  padded.opaque(padded_state);
  const Bytes padded_suffix = padded.take();
  with_trailing.insert(with_trailing.end(), padded_suffix.begin(), padded_suffix.end());
  try {
    Ledger::deserialize(with_trailing, std::make_unique<AuctionRuntime>());
    ADD_FAILURE() << "a ledger whose auction state has a trailing byte was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataCorrupt) << e.what();
  }
}

// What the host (the sealed command envelope) and the chain (the log entry) see of a bid, withdraw or
// close command padded to kPaddedCommandSize: one padding bucket, whatever the id, the amount, the
// sender's nonce or the chain id. Unpadded, a bid's digit count can change the bucket.
TEST(RuntimeAuctionPadding, PaddedCommandsFillOneBucketWhateverTheirContent) {
  const auto sizes = [](const std::string& command, uint64_t nonce, uint64_t chain_id) {
    SignedCommand c;
    c.sender = kAlice;
    c.nonce = nonce;
    c.payload = text_bytes(command);
    c.signature = Bytes(65, 0x1b);
    Domain domain;
    domain.chain_id = chain_id;
    domain.verifying_contract = Bytes(20, 0xaa);
    const std::string envelope = c.to_json().dump();
    const size_t sealed = pad_to_bucket(ByteView::from_string(envelope), kEnvelopeBuckets).size();
    const size_t entry = pad_to_bucket(entry_plaintext(c, domain), kEntryBuckets).size();
    return std::make_pair(sealed, entry);
  };
  const auto padded = [](std::string command) {
    command.resize(kPaddedCommandSize, ' ');
    return command;
  };
  std::vector<std::string> commands;
  for (const std::string& id : {std::string("a"), std::string("lot-1"), std::string(40, 'i'), std::string(kMaxAuctionIdSize, 'i')}) {
    for (size_t digits = 1; digits <= 39; ++digits) commands.push_back(bid_cmd(id, std::string(digits, '9')));
    commands.push_back(withdraw_cmd(id));
    commands.push_back(close_cmd(id));
  }
  for (const std::string& command : commands) {
    ASSERT_LE(command.size(), kPaddedCommandSize) << command;
    for (uint64_t nonce : {uint64_t{0}, ~uint64_t{0}}) {
      for (uint64_t chain_id : {uint64_t{1}, uint64_t{31337}, ~uint64_t{0}}) {
        EXPECT_EQ(sizes(padded(command), nonce, chain_id), std::make_pair(size_t{1024}, size_t{512})) << command;
      }
    }
  }
  // Why: unpadded, a one-digit and a 39-digit bid on the longest id land in different entry buckets.
  const std::string id(kMaxAuctionIdSize, 'i');
  EXPECT_NE(sizes(bid_cmd(id, "1"), 0, 31337).second, sizes(bid_cmd(id, std::string(39, '9')), 0, 31337).second);
}

// check() gives apply()'s verdict and reason for every (state, sender, command) of the sweep, and
// leaves the state's bytes alone; a rejected apply changes nothing; an applied one notifies the
// sender and leaves a state that round-trips.
TEST(RuntimeAuctionCheck, AgreesWithApplyOverASweep) {
  std::vector<std::pair<std::string, AuctionRuntime>> states;
  states.emplace_back("empty", AuctionRuntime());
  states.emplace_back("sample", sample_state());
  AuctionRuntime full_bidders = sample_state();
  for (uint32_t i = 0; i < kMaxBiddersPerAuction - 2; ++i) {  // lot-1 holds two bids already
    ASSERT_TRUE(full_bidders.apply(account(1000 + i), text_bytes(bid_cmd("lot-1", "100"))).applied);
  }
  states.emplace_back("full bidders", std::move(full_bidders));
  AuctionSpec exhausted;
  exhausted.id = "lot-1";
  exhausted.reserve = 100;
  exhausted.next_sequence = ~uint64_t{0};
  exhausted.bids = {BidSpec{kAlice, 150, 3}};
  states.emplace_back("sequence exhausted", decoded(state_of({exhausted, named("lot-2", closed_sale(kCarol, 10))})));
  AuctionRuntime full = sample_state();
  for (uint32_t i = 0; full.auction_count() < kMaxAuctions; ++i) {
    ASSERT_TRUE(full.apply(kStranger, text_bytes(open_cmd("z" + std::to_string(i)))).applied);
  }
  states.emplace_back("full auctions", std::move(full));

  std::vector<std::string> commands = {"", "{}", "[]", R"({"op":"bid","id":"lot-1","amount":"150","x":"1"})",
                                       open_cmd("new", std::string(kMaxAuctionItemSize + 1, 'x')), open_cmd("bad id")};
  for (const char* id : {"lot-1", "lot-2", "lot-3", "new", "nope"}) {
    commands.push_back(open_cmd(id, "x", "100"));
    for (const std::string& amount : {std::string("0"), std::string("99"), std::string("100"), std::string("120"),
                                      std::string("150"), std::string("151"), kTooLarge, std::string("01")}) {
      commands.push_back(bid_cmd(id, amount));
    }
    commands.push_back(withdraw_cmd(id));
    commands.push_back(close_cmd(id));
  }
  const std::vector<Address> senders = {kSeller, kAlice, kBob, kCarol, kStranger, account(1000)};
  for (const auto& [name, state] : states) {
    const Bytes before = encode(state);
    size_t accepted = 0, rejected = 0;
    for (const Address& sender : senders) {
      for (const std::string& command : commands) {
        const std::string where = name + ", " + format_address(sender) + ": " + command.substr(0, 80);
        const Transition dry = state.check(sender, text_bytes(command));
        ASSERT_EQ(encode(state), before) << "check changed the state; " << where;
        EXPECT_TRUE(dry.affected.empty()) << where;
        AuctionRuntime copy = state;
        const Transition t = copy.apply(sender, text_bytes(command));
        ASSERT_EQ(dry.applied, t.applied) << where << " (" << t.reason << " / " << dry.reason << ")";
        ASSERT_EQ(dry.reason, t.reason) << where;
        if (t.applied) {
          ++accepted;
          EXPECT_EQ(t.affected.count(sender), 1u) << where;
          EXPECT_EQ(encode(decoded(encode(copy))), encode(copy)) << where;
        } else {
          ++rejected;
          EXPECT_FALSE(t.reason.empty()) << where;
          EXPECT_TRUE(t.affected.empty()) << where;
          ASSERT_EQ(encode(copy), before) << "a rejection changed the state; " << where;
        }
      }
    }
    EXPECT_GT(accepted, 0u) << name;
    EXPECT_GT(rejected, 0u) << name;
  }
}

}  // namespace
}  // namespace anonify::runtime
