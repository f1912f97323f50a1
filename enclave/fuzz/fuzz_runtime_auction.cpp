// libFuzzer harness for the sealed-bid auction runtime (AuctionRuntime, runtime/auction.h):
//   0  a sequence of commands, each: sender (1 byte, one of 8 accounts; account 1 is the fixture's
//      seller), length (1 byte), that many payload bytes; applied in order to the fixture state
//   1  a state encoding (AuctionRuntime::decode)
//   2  a query: sender (1 byte), then the query bytes as state_read parses them
//
// Input: byte 0 picks the decoder, the rest is its input. Every input starts from the same fixture:
// open auctions (with and without bids) and closed ones (with and without a winner).
//
// Invariants: no crash/UB; decode refusals are anonify::Error; check() gives apply()'s verdict and
// reason and leaves the state's bytes alone; a rejection has a reason and changes nothing; an
// accepted command notifies its sender; every reached state round-trips through its encoding; an
// accepted encoding re-encodes to the same bytes; a query answers a JSON-serializable result or
// malformed_query, and myBid never answers an amount to an account without a bid.
// First: it allows the deprecated RAND_set_rand_method before any OpenSSL header is read.
#include "fuzz_util.h"

#include <algorithm>
#include <functional>

#include "anonify/error.h"
#include "anonify/runtime/auction.h"
#include "anonify/runtime/json_input.h"

using namespace anonify;
using runtime::Address;
using runtime::AuctionRuntime;

namespace {

Address account(uint8_t index) {
  Address a{};
  a[0] = 0xa0;
  a[19] = static_cast<uint8_t>(index % 8);
  return a;
}

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

Bytes encode(const AuctionRuntime& r) {
  mls::TlsWriter w;
  r.encode(w);
  return w.take();
}

std::string bid(const std::string& id, const std::string& amount) {
  return R"({"op":"bid","id":")" + id + R"(","amount":")" + amount + "\"}";
}

// Commands that build the fixture, and seeds for decoder 0.
const std::vector<std::pair<uint8_t, std::string>>& fixture_commands() {
  static const std::vector<std::pair<uint8_t, std::string>> commands = {
      {1, R"({"op":"open","id":"lot-1","item":"Lamp","reservePrice":"100"})"},
      {1, R"({"op":"open","id":"lot-2","item":"Desk","reservePrice":"5"})"},
      {2, R"({"op":"open","id":"lot-3","item":"Rug","reservePrice":"0"})"},
      {3, bid("lot-1", "150")},
      {4, bid("lot-1", "150")},
      {3, bid("lot-2", "7")},
      {1, R"({"op":"close","id":"lot-2"})"},
  };
  return commands;
}

const AuctionRuntime& fixture() {
  static const AuctionRuntime state = [] {
    AuctionRuntime r;
    for (const auto& [sender, command] : fixture_commands()) {
      if (!r.apply(account(sender), text_bytes(command)).applied) fuzz::fail("fixture", "rejected " + command);
    }
    return r;
  }();
  return state;
}

void require_same(const char* what, const Bytes& a, const Bytes& b) {
  if (a != b) fuzz::fail(what, "state bytes differ");
}

void commands(const Bytes& in) {
  AuctionRuntime r = fixture();
  size_t pos = 0;
  while (pos + 2 <= in.size()) {
    const Address sender = account(in[pos]);
    const size_t length = std::min<size_t>(in[pos + 1], in.size() - pos - 2);
    const ByteView payload(in.data() + pos + 2, length);
    pos += 2 + length;
    const Bytes before = encode(r);
    const runtime::Transition dry = r.check(sender, payload);
    require_same("check changed the state", before, encode(r));
    const runtime::Transition t = r.apply(sender, payload);
    if (dry.applied != t.applied || dry.reason != t.reason) {
      fuzz::fail("check != apply", "check: " + dry.reason + ", apply: " + t.reason);
    }
    const Bytes after = encode(r);
    if (!t.applied) {
      if (t.reason.empty() || !t.affected.empty()) fuzz::fail("rejection", "without a reason or with notifications");
      require_same("a rejection changed the state", before, after);
      continue;
    }
    if (t.affected.count(sender) == 0) fuzz::fail("applied", "the sender is not notified");
    AuctionRuntime copy;
    mls::TlsReader reader(after);
    copy.decode(reader);  // a reached state must decode: an Error here escapes refused_or_done's scope
    if (!reader.empty()) fuzz::fail("round trip", "trailing bytes after the state");
    fuzz::require_roundtrip("reached state", after, encode(copy));
  }
}

void state_encoding(const Bytes& in) {
  AuctionRuntime r;
  mls::TlsReader reader(in);
  r.decode(reader);
  const size_t used = reader.position();
  fuzz::require_roundtrip("state", ByteView(in.data(), used), encode(r));
}

void query(const Bytes& in) {
  if (in.empty()) return;
  const Address sender = account(in[0]);
  const std::optional<runtime::Json> object = runtime::detail::parse_object(ByteView(in.data() + 1, in.size() - 1));
  if (!object) return;
  const runtime::QueryAnswer answer = fixture().query(sender, *object);
  if (!answer.ok) {
    if (answer.error_code != "malformed_query") fuzz::fail("query", "unknown error code " + answer.error_code);
    (void)runtime::Json(answer.message).dump();
    return;
  }
  (void)answer.result.dump();  // throws (and the harness reports it) on invalid UTF-8
  // Only accounts 3 (lot-1) and 4 (lot-1) hold bids in the fixture.
  const bool bidder = sender == account(3) || sender == account(4);
  if (object->at("op") == "myBid" && !answer.result.is_null() && !bidder) fuzz::fail("myBid", "an amount for a non-bidder");
}

const std::function<void(const Bytes&)> kDecoders[] = {commands, state_encoding, query};
constexpr size_t kDecoderCount = sizeof kDecoders / sizeof kDecoders[0];

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<std::pair<std::string, Bytes>> seeds;
  Bytes sequence;
  for (const auto& [sender, command] : fixture_commands()) {
    const Bytes one = fuzz::seed({sender, static_cast<uint8_t>(command.size())}, text_bytes(command));
    seeds.emplace_back("command-" + std::to_string(seeds.size()), fuzz::seed({0}, one));
  }
  const std::vector<std::pair<uint8_t, std::string>> session = {
      {5, bid("lot-1", "200")}, {3, bid("lot-1", "120")}, {4, R"({"op":"withdraw","id":"lot-1"})"},
      {2, R"({"op":"close","id":"lot-1"})"}, {1, R"({"op":"close","id":"lot-1"})"}, {6, bid("lot-3", "0")}};
  for (const auto& [sender, command] : session) {
    append(sequence, fuzz::seed({sender, static_cast<uint8_t>(command.size())}, text_bytes(command)));
  }
  seeds.emplace_back("session", fuzz::seed({0}, sequence));
  seeds.emplace_back("state", fuzz::seed({1}, encode(fixture())));
  seeds.emplace_back("query-auction", fuzz::seed({2, 3}, text_bytes(R"({"op":"auction","id":"lot-2"})")));
  seeds.emplace_back("query-mybid", fuzz::seed({2, 3}, text_bytes(R"({"op":"myBid","id":"lot-1"})")));
  seeds.emplace_back("query-list", fuzz::seed({2, 0}, text_bytes(R"({"op":"list"})")));
  fuzz::write_seeds_if_asked(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Bytes body(data + 1, data + size);
  try {
    kDecoders[data[0] % kDecoderCount](body);
  } catch (const Error&) {
    // decode refusals (decoder 1) are expected; a reached state that fails to decode is not
    if (data[0] % kDecoderCount == 0) fuzz::fail("round trip", "a reached state does not decode");
  }
  return 0;
}
