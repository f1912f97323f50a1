// The sealed-bid auction: sellers open auctions, bidders place hidden bids, the seller closes, and
// everyone learns the winner and the price. A losing bid is never revealed to anyone but the bidder
// who placed it (not even to the seller), and it is deleted from the state at close.
//
// Rule: first price. The winner pays their own bid; a second-price rule would publish the runner-up's
// (losing) bid. Ties go to the earliest bid: every accepted bid or raise takes the auction's next
// sequence number (the log order, identical on every enclave), and of the bids with the highest amount
// the one with the lowest sequence wins. A raise is a new bid, so it takes a new sequence.
//
// Commands (UTF-8 JSON, every member a string, no others; amounts as decimal strings capped at
// 2^128 - 1; ids 1..64 bytes of [A-Za-z0-9._:-]; an item 1..256 bytes of UTF-8):
//   {"op":"open","id":…,"item":…,"reservePrice":…}   the sender becomes the seller; the id must be new
//   {"op":"bid","id":…,"amount":…}      while open, not by the seller, amount >= reservePrice; a second
//                                       bid by the same bidder replaces the first and must be higher
//   {"op":"withdraw","id":…}            while open: removes the sender's own bid
//   {"op":"close","id":…}               while open, seller only: the highest bid wins (earliest on ties);
//                                       no bid, no winner. Every bid is deleted.
// Queries ({"op":…} like the token's):
//   {"op":"auction","id":…}  any signer: {id, seller, item, reservePrice, status "open"|"closed"} and,
//                            once closed, winner (address or null) and price (decimal or null); null
//                            for an unknown id. The number of bids is never shown (while open it
//                            tells bidders and the seller how much competition there is).
//   {"op":"myBid","id":…}    the sender's own current bid (decimal), or null: no bid, the auction is
//                            closed (bids are deleted at close) or unknown.
//   {"op":"list"}            any signer: [{id, status}] for every auction, sorted by id.
// Notifications (`affected`): open → the seller; bid and withdraw → the bidder only (the seller does
// not learn that a bid arrived); close → the seller and every bidder with a bid at close.
//
// What still leaks, outside the runtime: the host sees each entry's sender, size class, time and
// outcome with its rejection reason (no reason quotes an amount or depends on another bidder's bid,
// except "too many bidders", which says an auction holds kMaxBiddersPerAuction bids). A command's
// length can move its envelope and its log entry into a larger padding bucket, so an unpadded bid
// would show the chain and the host its digit count: clients pad bid, withdraw and close commands
// with JSON whitespace to kPaddedCommandSize bytes (the runtime accepts the whitespace like any
// JSON). docs/runtime-auction.md has the full account.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "anonify/runtime/amount.h"
#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

constexpr const char* kAuctionRuntimeName = "anonify-auction/v1";
constexpr size_t kMaxAuctionIdSize = 64;
constexpr size_t kMaxAuctionItemSize = 256;
/// Auctions the state holds, open and closed together (closed ones stay: their outcome is public).
constexpr size_t kMaxAuctions = 1024;
/// Bids one open auction holds at a time (a raise replaces the bidder's bid; a withdrawal frees it).
constexpr size_t kMaxBiddersPerAuction = 256;
/// The length clients pad bid, withdraw and close commands to (trailing spaces): the longest bid
/// (64-byte id, 39-digit amount) is 135 bytes, and at 160 bytes every such command's envelope and
/// log entry fall in the same padding bucket (1024 bytes) whatever its id, amount, nonce or chain id.
constexpr size_t kPaddedCommandSize = 160;

/// Rejection reasons (stable strings, shown to users and the host, compared across enclaves). None
/// carries an amount.
namespace auction_reason {
constexpr const char* kUnknownAuction = "unknown auction";
constexpr const char* kAuctionExists = "auction exists";
constexpr const char* kAuctionClosed = "auction closed";
constexpr const char* kNotSeller = "not seller";
constexpr const char* kSellerCannotBid = "seller cannot bid";
constexpr const char* kBelowReservePrice = "below reserve price";
constexpr const char* kBidNotHigher = "bid not higher";
constexpr const char* kNoBid = "no bid";
constexpr const char* kTooManyAuctions = "too many auctions";
constexpr const char* kTooManyBidders = "too many bidders";
constexpr const char* kAmountTooLarge = "amount too large";
/// 2^64 - 1 bids placed in one auction: unreachable through a real log (each bid is an entry), kept
/// so a forged state cannot make two bids share a sequence.
constexpr const char* kBidSequenceExhausted = "bid sequence exhausted";
}  // namespace auction_reason

class AuctionRuntime final : public Runtime {
 public:
  std::string_view name() const override { return kAuctionRuntimeName; }
  /// Nothing to set up: auctions can be opened from the first entry on.
  bool initialized() const override { return true; }
  Transition apply(const Address& sender, ByteView payload) override;
  /// The rules of apply (one code path: plan()), without writing and without copying the state.
  Transition check(const Address& sender, ByteView payload) const override;
  QueryAnswer query(const Address& sender, const Json& query) const override;
  void encode(mls::TlsWriter& out) const override;
  void decode(mls::TlsReader& in) override;
  std::unique_ptr<Runtime> clone() const override { return std::make_unique<AuctionRuntime>(*this); }

  size_t auction_count() const noexcept { return auctions_.size(); }

 private:
  struct Bid {
    Amount amount = 0;
    uint64_t sequence = 0;  // the auction's count of bids when this one was placed: earlier wins ties
  };
  struct Sale {
    Address winner{};
    Amount price = 0;
  };
  struct Auction {
    Address seller{};
    std::string item;
    Amount reserve_price = 0;
    bool open = true;
    // While open: the sequence the next bid takes and the current bid of each bidder.
    uint64_t next_sequence = 0;
    std::map<Address, Bid> bids;
    // Once closed: the winning bid, or none. Nothing else of the bids is kept.
    std::optional<Sale> sale;
  };

  // A command that passed every rule against the current state: what execute() writes. As in
  // TokenRuntime, plan() holds every rule and throws a rejection; check() stops after it.
  struct Plan;
  Plan plan(const Address& sender, ByteView payload) const;
  Plan plan_open(const Json& command) const;
  Plan plan_bid(const Address& sender, const Json& command) const;
  Plan plan_withdraw(const Address& sender, const Json& command) const;
  Plan plan_close(const Address& sender, const Json& command) const;
  // The auction a command names, open (rejects unknown and closed ones).
  const Auction& open_auction(const std::string& id) const;
  Transition execute(const Address& sender, const Plan& plan);
  static std::optional<Sale> winning_bid(const Auction& auction);
  static Json describe(const std::string& id, const Auction& auction);

  // Keyed by id; ordered, so equal states encode alike and `list` comes out sorted.
  std::map<std::string, Auction> auctions_;
};

}  // namespace anonify::runtime
