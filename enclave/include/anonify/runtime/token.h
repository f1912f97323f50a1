// The confidential token: ERC-20 semantics on the group's encrypted log.
//
// Commands (UTF-8 JSON, amounts as decimal strings capped at 2^128 - 1):
//   {"op":"init","name":…,"symbol":…,"initialSupply":…}   once; the sender becomes the owner
//   {"op":"transfer","to":…,"amount":…}
//   {"op":"approve","spender":…,"amount":…}                  sets the allowance
//   {"op":"transferFrom","from":…,"to":…,"amount":…}         spends the sender's allowance
//   {"op":"mint","to":…,"amount":…}                           owner only
//   {"op":"burn","amount":…}
// Queries: balanceOf (the account itself), allowance (owner or spender), totalSupply and tokenInfo
// (anyone who signs).
#pragma once

#include <utility>

#include "anonify/flat_map.h"
#include "anonify/runtime/amount.h"
#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

constexpr const char* kTokenRuntimeName = "anonify-token/v1";
constexpr size_t kMaxTokenNameSize = 64;
constexpr size_t kMaxTokenSymbolSize = 16;

/// Rejection reasons (stable strings, shown to users and compared across enclaves).
namespace token_reason {
constexpr const char* kNotInitialized = "not initialized";
constexpr const char* kAlreadyInitialized = "already initialized";
constexpr const char* kInsufficientBalance = "insufficient balance";
constexpr const char* kInsufficientAllowance = "insufficient allowance";
constexpr const char* kNotOwner = "not owner";
constexpr const char* kSupplyOverflow = "total supply overflow";
constexpr const char* kAmountTooLarge = "amount too large";
constexpr const char* kZeroAddress = "zero address";
}  // namespace token_reason

class TokenRuntime final : public Runtime {
 public:
  std::string_view name() const override { return kTokenRuntimeName; }
  Transition apply(const Address& sender, ByteView payload) override;
  /// The rules of apply (one code path: plan()), without writing and without copying the state.
  Transition check(const Address& sender, ByteView payload) const override;
  QueryAnswer query(const Address& sender, const Json& query) const override;
  void encode(mls::TlsWriter& out) const override;
  void decode(mls::TlsReader& in) override;
  std::unique_ptr<Runtime> clone() const override { return std::make_unique<TokenRuntime>(*this); }

  bool initialized() const override { return initialized_; }
  Amount balance_of(const Address& account) const;
  Amount allowance(const Address& owner, const Address& spender) const;
  Amount total_supply() const noexcept { return total_supply_; }
  const Address& owner() const noexcept { return owner_; }

 private:
  // A command that passed every rule against the current state: what execute() writes. plan() and
  // the plan_* steps hold all the rules (parsing and state checks) and throw a rejection; check()
  // stops after plan(), apply() executes the plan. So the pre-check and the apply share one copy of
  // the rules.
  struct Plan;
  Plan plan(const Address& sender, ByteView payload) const;
  Plan plan_init(const Address& sender, const Json& command) const;
  Plan plan_transfer(const Address& sender, const Json& command) const;
  Plan plan_approve(const Address& sender, const Json& command) const;
  Plan plan_transfer_from(const Address& sender, const Json& command) const;
  Plan plan_mint(const Address& sender, const Json& command) const;
  Plan plan_burn(const Address& sender, const Json& command) const;
  Transition execute(const Address& sender, const Plan& plan);
  // Moves `amount` (already checked against the balance of `from`).
  std::set<Address> move(const Address& from, const Address& to, Amount amount);
  void set_balance(const Address& account, Amount value);
  void set_allowance(const Address& owner, const Address& spender, Amount value);

  bool initialized_ = false;
  std::string name_;
  std::string symbol_;
  Address owner_{};
  Amount total_supply_ = 0;
  // Zero entries are never stored, so equal states have equal maps.
  FlatMap<Address, Amount> balances_;
  FlatMap<std::pair<Address, Address>, Amount> allowances_;
};

}  // namespace anonify::runtime
