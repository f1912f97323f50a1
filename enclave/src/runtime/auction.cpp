#include "anonify/runtime/auction.h"

#include <limits>
#include <set>

#include "anonify/error.h"
#include "anonify/runtime/registry.h"
#include "anonify/runtime/json_input.h"
#include "anonify/runtime/planned.h"

namespace anonify::runtime {

namespace {

using detail::check_string_members;

constexpr const char* kBadId = "\"id\" must be 1..64 bytes of [A-Za-z0-9._:-]";

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxAuctionIdSize) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Whether the reply serializer (nlohmann's strict dump) takes `text`: a decoded item must, or every
// read of its auction would fail. Parsed commands already hold valid UTF-8 only.
bool valid_utf8(const std::string& text) {
  try {
    (void)Json(text).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

bool valid_item(const std::string& item) {
  return !item.empty() && item.size() <= kMaxAuctionItemSize && valid_utf8(item);
}

std::string id_field(const Json& command) {
  const std::string& id = command.at("id").get_ref<const std::string&>();
  if (!valid_id(id)) reject(std::string("malformed command: ") + kBadId);
  return id;
}

Amount amount_field(const Json& command, const char* field) {
  const ParsedAmount parsed = parse_amount(command.at(field).get_ref<const std::string&>());
  if (parsed.status == AmountParse::kTooLarge) reject(auction_reason::kAmountTooLarge);
  if (parsed.status != AmountParse::kOk) reject(std::string("malformed command: \"") + field + "\" is not a decimal amount");
  return parsed.value;
}

void encode_amount(mls::TlsWriter& out, Amount value) {
  out.u64(static_cast<uint64_t>(value >> 64));
  out.u64(static_cast<uint64_t>(value));
}

Amount decode_amount(mls::TlsReader& in) {
  const Amount high = in.u64();
  return (high << 64) | in.u64();
}

[[noreturn]] void corrupt(const std::string& what) { throw Error(ErrorCode::kDecodeError, "auction state: " + what); }

}  // namespace

struct AuctionRuntime::Plan {
  enum class Op { kOpen, kBid, kWithdraw, kClose };
  Op op = Op::kOpen;
  std::string id;
  std::string item;          // open
  Amount amount = 0;         // open: the reserve price; bid: the bid
  std::optional<Sale> sale;  // close: the winning bid, if any
};

Transition AuctionRuntime::apply(const Address& sender, ByteView payload) {
  return plan_then_execute([&] { return plan(sender, payload); }, [&](const Plan& p) { return execute(sender, p); });
}

Transition AuctionRuntime::check(const Address& sender, ByteView payload) const {
  return plan_only([&] { return plan(sender, payload); });
}

AuctionRuntime::Plan AuctionRuntime::plan(const Address& sender, ByteView payload) const {
  const std::optional<Json> command = detail::parse_object(payload);
  if (!command) reject("malformed command: not a JSON object");
  auto op_it = command->find("op");
  if (op_it == command->end() || !op_it->is_string()) reject("malformed command: missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  if (op == "open") return plan_open(*command);
  if (op == "bid") return plan_bid(sender, *command);
  if (op == "withdraw") return plan_withdraw(sender, *command);
  if (op == "close") return plan_close(sender, *command);
  reject("malformed command: unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

const AuctionRuntime::Auction& AuctionRuntime::open_auction(const std::string& id) const {
  auto it = auctions_.find(id);
  if (it == auctions_.end()) reject(auction_reason::kUnknownAuction);
  if (!it->second.open) reject(auction_reason::kAuctionClosed);
  return it->second;
}

AuctionRuntime::Plan AuctionRuntime::plan_open(const Json& command) const {
  require_string_members(command, {"op", "id", "item", "reservePrice"});
  Plan p;
  p.op = Plan::Op::kOpen;
  p.id = id_field(command);
  p.item = command.at("item").get<std::string>();
  if (p.item.empty() || p.item.size() > kMaxAuctionItemSize) reject("malformed command: \"item\" must be 1..256 bytes");
  p.amount = amount_field(command, "reservePrice");
  if (auctions_.count(p.id) != 0) reject(auction_reason::kAuctionExists);
  if (auctions_.size() >= kMaxAuctions) reject(auction_reason::kTooManyAuctions);
  return p;
}

// No rule here looks at another bidder's bid: a rejection tells the bidder only what they knew.
AuctionRuntime::Plan AuctionRuntime::plan_bid(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id", "amount"});
  Plan p;
  p.op = Plan::Op::kBid;
  p.id = id_field(command);
  p.amount = amount_field(command, "amount");
  const Auction& auction = open_auction(p.id);
  if (sender == auction.seller) reject(auction_reason::kSellerCannotBid);
  if (p.amount < auction.reserve_price) reject(auction_reason::kBelowReservePrice);
  auto own = auction.bids.find(sender);
  if (own != auction.bids.end()) {
    if (p.amount <= own->second.amount) reject(auction_reason::kBidNotHigher);
  } else if (auction.bids.size() >= kMaxBiddersPerAuction) {
    reject(auction_reason::kTooManyBidders);
  }
  if (auction.next_sequence == std::numeric_limits<uint64_t>::max()) reject(auction_reason::kBidSequenceExhausted);
  return p;
}

AuctionRuntime::Plan AuctionRuntime::plan_withdraw(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id"});
  Plan p;
  p.op = Plan::Op::kWithdraw;
  p.id = id_field(command);
  if (open_auction(p.id).bids.count(sender) == 0) reject(auction_reason::kNoBid);
  return p;
}

AuctionRuntime::Plan AuctionRuntime::plan_close(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id"});
  Plan p;
  p.op = Plan::Op::kClose;
  p.id = id_field(command);
  const Auction& auction = open_auction(p.id);
  if (sender != auction.seller) reject(auction_reason::kNotSeller);
  p.sale = winning_bid(auction);
  return p;
}

// The highest bid, the earliest (lowest sequence) of equal ones. Every stored bid met the reserve
// price when it was placed, and the reserve never changes.
std::optional<AuctionRuntime::Sale> AuctionRuntime::winning_bid(const Auction& auction) {
  const std::pair<const Address, Bid>* best = nullptr;
  for (const auto& entry : auction.bids) {
    const Bid& bid = entry.second;
    if (best == nullptr || bid.amount > best->second.amount ||
        (bid.amount == best->second.amount && bid.sequence < best->second.sequence)) {
      best = &entry;
    }
  }
  if (best == nullptr) return std::nullopt;
  return Sale{best->first, best->second.amount};
}

// Writes a plan; every rule was checked by plan(), so nothing here can reject.
Transition AuctionRuntime::execute(const Address& sender, const Plan& p) {
  switch (p.op) {
    case Plan::Op::kOpen: {
      Auction auction;
      auction.seller = sender;
      auction.item = p.item;
      auction.reserve_price = p.amount;
      auctions_.emplace(p.id, std::move(auction));
      return Transition::accept({sender});
    }
    case Plan::Op::kBid: {
      Auction& auction = auctions_.at(p.id);
      auction.bids[sender] = Bid{p.amount, auction.next_sequence++};
      return Transition::accept({sender});
    }
    case Plan::Op::kWithdraw:
      auctions_.at(p.id).bids.erase(sender);
      return Transition::accept({sender});
    case Plan::Op::kClose: {
      Auction& auction = auctions_.at(p.id);
      std::set<Address> affected{auction.seller};
      for (const auto& entry : auction.bids) affected.insert(entry.first);
      auction.open = false;
      auction.sale = p.sale;
      // The losing bids (and how many bids there were) are not needed any more: deleted now.
      auction.bids.clear();
      auction.next_sequence = 0;
      return Transition::accept(std::move(affected));
    }
  }
  throw Error(ErrorCode::kInternal, "auction: unknown planned op");
}

Json AuctionRuntime::describe(const std::string& id, const Auction& auction) {
  Json info{{"id", id},
            {"seller", format_address(auction.seller)},
            {"item", auction.item},
            {"reservePrice", format_amount(auction.reserve_price)},
            {"status", auction.open ? "open" : "closed"}};
  if (!auction.open) {
    info["winner"] = auction.sale ? Json(format_address(auction.sale->winner)) : Json(nullptr);
    info["price"] = auction.sale ? Json(format_amount(auction.sale->price)) : Json(nullptr);
  }
  return info;
}

QueryAnswer AuctionRuntime::query(const Address& sender, const Json& query) const {
  auto op_it = query.find("op");
  if (op_it == query.end() || !op_it->is_string()) return QueryAnswer::malformed("missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  auto fields = [&](std::initializer_list<const char*> names) { return check_string_members(query, names); };
  if (op == "auction" || op == "myBid") {
    if (std::string p = fields({"op", "id"}); !p.empty()) return QueryAnswer::malformed(p);
    const std::string& id = query.at("id").get_ref<const std::string&>();
    if (!valid_id(id)) return QueryAnswer::malformed(kBadId);
    auto it = auctions_.find(id);
    if (it == auctions_.end()) return QueryAnswer::success(nullptr);
    if (op == "auction") return QueryAnswer::success(describe(id, it->second));
    // Only the sender's own bid: the one read of a bid amount there is.
    auto own = it->second.bids.find(sender);
    return QueryAnswer::success(own == it->second.bids.end() ? Json(nullptr) : Json(format_amount(own->second.amount)));
  }
  if (op == "list") {
    if (std::string p = fields({"op"}); !p.empty()) return QueryAnswer::malformed(p);
    Json list = Json::array();
    for (const auto& [id, auction] : auctions_) list.push_back(Json{{"id", id}, {"status", auction.open ? "open" : "closed"}});
    return QueryAnswer::success(std::move(list));
  }
  return QueryAnswer::malformed("unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

// auctions<V>: per auction, in increasing id order:
//   id<V> seller(20) item<V> reservePrice(16) status(u8: 0 open, 1 closed)
//   open:   nextSequence(u64) bids<V>: per bid, in increasing bidder order: bidder(20) amount(16) sequence(u64)
//   closed: optional<winner(20) price(16)>
void AuctionRuntime::encode(mls::TlsWriter& out) const {
  out.vector([&](mls::TlsWriter& w) {
    // Named references, not a structured binding: the lambdas below capture `auction` (clang 14 cannot).
    for (const auto& entry : auctions_) {
      const std::string& id = entry.first;
      const Auction& auction = entry.second;
      w.opaque(id);
      encode_address(w, auction.seller);
      w.opaque(auction.item);
      encode_amount(w, auction.reserve_price);
      w.u8(auction.open ? 0 : 1);
      if (auction.open) {
        w.u64(auction.next_sequence);
        w.vector([&](mls::TlsWriter& b) {
          for (const auto& [bidder, bid] : auction.bids) {
            encode_address(b, bidder);
            encode_amount(b, bid.amount);
            b.u64(bid.sequence);
          }
        });
      } else {
        w.optional(auction.sale, [](mls::TlsWriter& s, const Sale& sale) {
          encode_address(s, sale.winner);
          encode_amount(s, sale.price);
        });
      }
    }
  });
}

// Canonical: one state has exactly one encoding (keys strictly increasing, so no repeated key can
// hide a second value), and everything the rules guarantee holds (limits, ids, items, bids meeting
// the reserve, distinct sequences below the next one, no seller bidding or winning).
void AuctionRuntime::decode(mls::TlsReader& in) {
  AuctionRuntime state;
  mls::TlsReader auctions = in.vector();
  while (!auctions.empty()) {
    if (state.auctions_.size() >= kMaxAuctions) corrupt("more than kMaxAuctions auctions");
    const std::string id = decode_text(auctions);
    if (!valid_id(id)) corrupt("bad auction id");
    if (!state.auctions_.empty() && !(state.auctions_.rbegin()->first < id)) corrupt("repeated or unordered auction");
    Auction auction;
    auction.seller = decode_address(auctions);
    auction.item = decode_text(auctions);
    if (!valid_item(auction.item)) corrupt("bad item");
    auction.reserve_price = decode_amount(auctions);
    const uint8_t status = auctions.u8();
    if (status > 1) corrupt("bad status");
    auction.open = status == 0;
    if (auction.open) {
      auction.next_sequence = auctions.u64();
      mls::TlsReader bids = auctions.vector();
      std::set<uint64_t> sequences;
      while (!bids.empty()) {
        if (auction.bids.size() >= kMaxBiddersPerAuction) corrupt("more than kMaxBiddersPerAuction bids");
        const Address bidder = decode_address(bids);
        Bid bid;
        bid.amount = decode_amount(bids);
        bid.sequence = bids.u64();
        if (!auction.bids.empty() && !(auction.bids.rbegin()->first < bidder)) corrupt("repeated or unordered bid");
        if (bidder == auction.seller) corrupt("a bid by the seller");
        if (bid.amount < auction.reserve_price) corrupt("a bid below the reserve price");
        if (bid.sequence >= auction.next_sequence || !sequences.insert(bid.sequence).second) {
          corrupt("a repeated or future bid sequence");
        }
        auction.bids.emplace_hint(auction.bids.end(), bidder, bid);
      }
    } else if (auctions.present()) {
      Sale sale;
      sale.winner = decode_address(auctions);
      sale.price = decode_amount(auctions);
      if (sale.winner == auction.seller) corrupt("the seller won");
      if (sale.price < auction.reserve_price) corrupt("a price below the reserve price");
      auction.sale = sale;
    }
    state.auctions_.emplace_hint(state.auctions_.end(), id, std::move(auction));
  }
  *this = std::move(state);
}

ANONIFY_RUNTIME(AuctionRuntime, kAuctionRuntimeName);

}  // namespace anonify::runtime
