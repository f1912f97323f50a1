#include "anonify/runtime/token.h"

#include "anonify/error.h"
#include "anonify/runtime/registry.h"
#include "anonify/runtime/json_input.h"
#include "anonify/runtime/planned.h"

namespace anonify::runtime {

namespace {

using detail::check_string_members;

Amount amount_field(const Json& command, const char* field) {
  const ParsedAmount parsed = parse_amount(command.at(field).get_ref<const std::string&>());
  if (parsed.status == AmountParse::kTooLarge) reject(token_reason::kAmountTooLarge);
  if (parsed.status != AmountParse::kOk) reject(std::string("malformed command: \"") + field + "\" is not a decimal amount");
  return parsed.value;
}

Address address_field(const Json& object, const char* field) {
  std::optional<Address> address = parse_address(object.at(field).get_ref<const std::string&>());
  if (!address) reject(std::string("malformed command: \"") + field + "\" is not an address");
  return *address;
}

Address nonzero_address_field(const Json& command, const char* field) {
  const Address address = address_field(command, field);
  if (address == Address{}) reject(token_reason::kZeroAddress);
  return address;
}

void encode_amount(mls::TlsWriter& out, Amount value) {
  out.u64(static_cast<uint64_t>(value >> 64));
  out.u64(static_cast<uint64_t>(value));
}

Amount decode_amount(mls::TlsReader& in) {
  const Amount high = in.u64();
  return (high << 64) | in.u64();
}

QueryAnswer not_authorized(const std::string& what) {
  return QueryAnswer::failure("not_authorized", "only " + what + " may read this");
}

}  // namespace

struct TokenRuntime::Plan {
  enum class Op { kInit, kTransfer, kApprove, kTransferFrom, kMint, kBurn };
  Op op = Op::kInit;
  std::string name;    // init
  std::string symbol;  // init
  Address from{};      // transferFrom: the account debited
  Address to{};        // transfer, transferFrom, mint: the account credited; approve: the spender
  Amount amount = 0;   // init: the initial supply
};

Transition TokenRuntime::apply(const Address& sender, ByteView payload) {
  return plan_then_execute([&] { return plan(sender, payload); }, [&](const Plan& p) { return execute(sender, p); });
}

Transition TokenRuntime::check(const Address& sender, ByteView payload) const {
  return plan_only([&] { return plan(sender, payload); });
}

TokenRuntime::Plan TokenRuntime::plan(const Address& sender, ByteView payload) const {
  const std::optional<Json> command = detail::parse_object(payload);
  if (!command) reject("malformed command: not a JSON object");
  auto op_it = command->find("op");
  if (op_it == command->end() || !op_it->is_string()) reject("malformed command: missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  if (op == "init") return plan_init(sender, *command);
  if (!initialized_ && (op == "transfer" || op == "approve" || op == "transferFrom" || op == "mint" || op == "burn")) {
    reject(token_reason::kNotInitialized);
  }
  if (op == "transfer") return plan_transfer(sender, *command);
  if (op == "approve") return plan_approve(sender, *command);
  if (op == "transferFrom") return plan_transfer_from(sender, *command);
  if (op == "mint") return plan_mint(sender, *command);
  if (op == "burn") return plan_burn(sender, *command);
  reject("malformed command: unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

TokenRuntime::Plan TokenRuntime::plan_init(const Address& /*sender*/, const Json& command) const {
  require_string_members(command, {"op", "name", "symbol", "initialSupply"});
  if (initialized_) reject(token_reason::kAlreadyInitialized);
  Plan p;
  p.op = Plan::Op::kInit;
  p.name = command.at("name").get<std::string>();
  p.symbol = command.at("symbol").get<std::string>();
  if (p.name.empty() || p.name.size() > kMaxTokenNameSize) reject("malformed command: \"name\" must be 1..64 bytes");
  if (p.symbol.empty() || p.symbol.size() > kMaxTokenSymbolSize) reject("malformed command: \"symbol\" must be 1..16 bytes");
  p.amount = amount_field(command, "initialSupply");
  return p;
}

TokenRuntime::Plan TokenRuntime::plan_transfer(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "to", "amount"});
  Plan p;
  p.op = Plan::Op::kTransfer;
  p.to = nonzero_address_field(command, "to");
  p.amount = amount_field(command, "amount");
  if (balance_of(sender) < p.amount) reject(token_reason::kInsufficientBalance);
  return p;
}

TokenRuntime::Plan TokenRuntime::plan_approve(const Address& /*sender*/, const Json& command) const {
  require_string_members(command, {"op", "spender", "amount"});
  Plan p;
  p.op = Plan::Op::kApprove;
  p.to = nonzero_address_field(command, "spender");
  p.amount = amount_field(command, "amount");
  return p;
}

TokenRuntime::Plan TokenRuntime::plan_transfer_from(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "from", "to", "amount"});
  Plan p;
  p.op = Plan::Op::kTransferFrom;
  p.from = nonzero_address_field(command, "from");
  p.to = nonzero_address_field(command, "to");
  p.amount = amount_field(command, "amount");
  if (allowance(p.from, sender) < p.amount) reject(token_reason::kInsufficientAllowance);
  if (balance_of(p.from) < p.amount) reject(token_reason::kInsufficientBalance);
  return p;
}

TokenRuntime::Plan TokenRuntime::plan_mint(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "to", "amount"});
  Plan p;
  p.op = Plan::Op::kMint;
  p.to = nonzero_address_field(command, "to");
  p.amount = amount_field(command, "amount");
  if (sender != owner_) reject(token_reason::kNotOwner);
  if (!checked_add(total_supply_, p.amount)) reject(token_reason::kSupplyOverflow);
  return p;
}

TokenRuntime::Plan TokenRuntime::plan_burn(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "amount"});
  Plan p;
  p.op = Plan::Op::kBurn;
  p.amount = amount_field(command, "amount");
  if (balance_of(sender) < p.amount) reject(token_reason::kInsufficientBalance);
  return p;
}

// Writes a plan; every rule was checked by plan(), so nothing here can reject.
Transition TokenRuntime::execute(const Address& sender, const Plan& p) {
  switch (p.op) {
    case Plan::Op::kInit:
      initialized_ = true;
      name_ = p.name;
      symbol_ = p.symbol;
      owner_ = sender;
      total_supply_ = p.amount;
      set_balance(sender, p.amount);
      return Transition::accept(p.amount != 0 ? std::set<Address>{sender} : std::set<Address>{});
    case Plan::Op::kTransfer:
      return Transition::accept(move(sender, p.to, p.amount));
    case Plan::Op::kApprove:
      if (allowance(sender, p.to) == p.amount) return Transition::accept({});
      set_allowance(sender, p.to, p.amount);
      return Transition::accept({sender, p.to});
    case Plan::Op::kTransferFrom: {
      const Amount allowed = allowance(p.from, sender);
      std::set<Address> affected = move(p.from, p.to, p.amount);
      if (p.amount != 0) {
        set_allowance(p.from, sender, allowed - p.amount);
        affected.insert(p.from);
        affected.insert(sender);
      }
      return Transition::accept(std::move(affected));
    }
    case Plan::Op::kMint:
      if (p.amount == 0) return Transition::accept({});
      // plan_mint checked the supply; balance(to) <= total supply, so this sum cannot overflow either.
      total_supply_ += p.amount;
      set_balance(p.to, balance_of(p.to) + p.amount);
      return Transition::accept({p.to});
    case Plan::Op::kBurn:
      if (p.amount == 0) return Transition::accept({});
      set_balance(sender, balance_of(sender) - p.amount);
      total_supply_ -= p.amount;
      return Transition::accept({sender});
  }
  throw Error(ErrorCode::kInternal, "token: unknown planned op");
}

std::set<Address> TokenRuntime::move(const Address& from, const Address& to, Amount amount) {
  if (amount == 0 || from == to) return {};
  set_balance(from, balance_of(from) - amount);
  set_balance(to, balance_of(to) + amount);  // <= total supply: no overflow
  return {from, to};
}

Amount TokenRuntime::balance_of(const Address& account) const {
  auto it = balances_.find(account);
  return it == balances_.end() ? 0 : it->second;
}

Amount TokenRuntime::allowance(const Address& owner, const Address& spender) const {
  auto it = allowances_.find({owner, spender});
  return it == allowances_.end() ? 0 : it->second;
}

void TokenRuntime::set_balance(const Address& account, Amount value) {
  if (value == 0) balances_.erase(account);
  else balances_[account] = value;
}

void TokenRuntime::set_allowance(const Address& owner, const Address& spender, Amount value) {
  if (value == 0) allowances_.erase({owner, spender});
  else allowances_[{owner, spender}] = value;
}

QueryAnswer TokenRuntime::query(const Address& sender, const Json& query) const {
  auto op_it = query.find("op");
  if (op_it == query.end() || !op_it->is_string()) return QueryAnswer::malformed("missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  auto fields = [&](std::initializer_list<const char*> names) { return check_string_members(query, names); };
  if (op == "balanceOf") {
    if (std::string p = fields({"op", "account"}); !p.empty()) return QueryAnswer::malformed(p);
    std::optional<Address> account = parse_address(query.at("account").get_ref<const std::string&>());
    if (!account) return QueryAnswer::malformed("\"account\" is not an address");
    if (*account != sender) return not_authorized("the account itself");
    return QueryAnswer::success(format_amount(balance_of(*account)));
  }
  if (op == "allowance") {
    if (std::string p = fields({"op", "owner", "spender"}); !p.empty()) return QueryAnswer::malformed(p);
    std::optional<Address> owner = parse_address(query.at("owner").get_ref<const std::string&>());
    std::optional<Address> spender = parse_address(query.at("spender").get_ref<const std::string&>());
    if (!owner || !spender) return QueryAnswer::malformed("\"owner\" and \"spender\" must be addresses");
    if (sender != *owner && sender != *spender) return not_authorized("the owner or the spender");
    return QueryAnswer::success(format_amount(allowance(*owner, *spender)));
  }
  if (op == "totalSupply") {
    if (std::string p = fields({"op"}); !p.empty()) return QueryAnswer::malformed(p);
    return QueryAnswer::success(format_amount(total_supply_));
  }
  if (op == "tokenInfo") {
    if (std::string p = fields({"op"}); !p.empty()) return QueryAnswer::malformed(p);
    Json info{{"initialized", initialized_}, {"name", name_}, {"symbol", symbol_}};
    info["owner"] = initialized_ ? Json(format_address(owner_)) : Json(nullptr);
    return QueryAnswer::success(std::move(info));
  }
  return QueryAnswer::malformed("unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

void TokenRuntime::encode(mls::TlsWriter& out) const {
  out.u8(initialized_ ? 1 : 0);
  out.opaque(name_);
  out.opaque(symbol_);
  encode_address(out, owner_);
  encode_amount(out, total_supply_);
  out.vector([&](mls::TlsWriter& w) {
    for (const auto& [account, value] : balances_) {
      encode_address(w, account);
      encode_amount(w, value);
    }
  });
  out.vector([&](mls::TlsWriter& w) {
    for (const auto& [key, value] : allowances_) {
      encode_address(w, key.first);
      encode_address(w, key.second);
      encode_amount(w, value);
    }
  });
}

void TokenRuntime::decode(mls::TlsReader& in) {
  TokenRuntime state;
  const uint8_t initialized = in.u8();
  if (initialized > 1) throw Error(ErrorCode::kDecodeError, "token state: bad initialized flag");
  state.initialized_ = initialized == 1;
  state.name_ = decode_text(in);
  state.symbol_ = decode_text(in);
  state.owner_ = decode_address(in);
  state.total_supply_ = decode_amount(in);
  // Canonical: entries in strictly increasing key order (as encode writes them), so one state has
  // exactly one encoding and a repeated key cannot hide a second value.
  mls::TlsReader balances = in.vector();
  Amount held = 0;  // Σ balances, checked as it grows: move/mint rely on it never exceeding the supply
  while (!balances.empty()) {
    const Address account = decode_address(balances);
    const Amount value = decode_amount(balances);
    if (value == 0 || (!state.balances_.empty() && !(state.balances_.rbegin()->first < account))) {
      throw Error(ErrorCode::kDecodeError, "token state: zero, repeated or unordered balance");
    }
    const std::optional<Amount> sum = checked_add(held, value);
    if (!sum || *sum > state.total_supply_) {
      throw Error(ErrorCode::kDecodeError, "token state: balances exceed the total supply");
    }
    held = *sum;
    state.balances_.emplace_hint(state.balances_.end(), account, value);
  }
  if (held != state.total_supply_) {
    throw Error(ErrorCode::kDecodeError, "token state: balances do not sum to the total supply");
  }
  mls::TlsReader allowances = in.vector();
  while (!allowances.empty()) {
    const Address owner = decode_address(allowances);
    const Address spender = decode_address(allowances);
    const Amount value = decode_amount(allowances);
    const auto key = std::make_pair(owner, spender);
    if (value == 0 || (!state.allowances_.empty() && !(state.allowances_.rbegin()->first < key))) {
      throw Error(ErrorCode::kDecodeError, "token state: zero, repeated or unordered allowance");
    }
    state.allowances_.emplace_hint(state.allowances_.end(), key, value);
  }
  *this = std::move(state);
}

ANONIFY_RUNTIME(TokenRuntime, kTokenRuntimeName);

}  // namespace anonify::runtime
