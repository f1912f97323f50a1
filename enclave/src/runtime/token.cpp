#include "anonify/runtime/token.h"

#include "anonify/error.h"
#include "json_input.h"

namespace anonify::runtime {

namespace {

using detail::check_string_members;

// A rejection raised while validating a command; apply() turns it into Transition::reject before
// anything is written.
struct Rejected {
  std::string reason;
};

[[noreturn]] void reject(std::string reason) { throw Rejected{std::move(reason)}; }

void require_members(const Json& command, std::initializer_list<const char*> names) {
  const std::string problem = check_string_members(command, names);
  if (!problem.empty()) reject("malformed command: " + problem);
}

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

Address decode_address(mls::TlsReader& in) { return address_from_bytes(in.raw(kAddressSize)); }

void encode_address(mls::TlsWriter& out, const Address& a) { out.raw(a.data(), a.size()); }

std::string decode_text(mls::TlsReader& in) {
  const Bytes b = in.opaque();
  return std::string(b.begin(), b.end());
}

QueryAnswer not_authorized(const std::string& what) {
  return QueryAnswer::failure("not_authorized", "only " + what + " may read this");
}

QueryAnswer malformed_query(const std::string& problem) { return QueryAnswer::failure("malformed_query", problem); }

}  // namespace

Transition TokenRuntime::apply(const Address& sender, ByteView payload) {
  try {
    const std::optional<Json> command = detail::parse_object(payload);
    if (!command) reject("malformed command: not a JSON object");
    auto op_it = command->find("op");
    if (op_it == command->end() || !op_it->is_string()) reject("malformed command: missing \"op\"");
    const std::string& op = op_it->get_ref<const std::string&>();
    if (op == "init") return init(sender, *command);
    if (!initialized_ && (op == "transfer" || op == "approve" || op == "transferFrom" || op == "mint" || op == "burn")) {
      reject(token_reason::kNotInitialized);
    }
    if (op == "transfer") return transfer(sender, *command);
    if (op == "approve") return approve(sender, *command);
    if (op == "transferFrom") return transfer_from(sender, *command);
    if (op == "mint") return mint(sender, *command);
    if (op == "burn") return burn(sender, *command);
    reject("malformed command: unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
  } catch (const Rejected& r) {
    return Transition::reject(r.reason);
  }
}

Transition TokenRuntime::init(const Address& sender, const Json& command) {
  require_members(command, {"op", "name", "symbol", "initialSupply"});
  if (initialized_) reject(token_reason::kAlreadyInitialized);
  const std::string& name = command.at("name").get_ref<const std::string&>();
  const std::string& symbol = command.at("symbol").get_ref<const std::string&>();
  if (name.empty() || name.size() > kMaxTokenNameSize) reject("malformed command: \"name\" must be 1..64 bytes");
  if (symbol.empty() || symbol.size() > kMaxTokenSymbolSize) reject("malformed command: \"symbol\" must be 1..16 bytes");
  const Amount supply = amount_field(command, "initialSupply");
  initialized_ = true;
  name_ = name;
  symbol_ = symbol;
  owner_ = sender;
  total_supply_ = supply;
  set_balance(sender, supply);
  return Transition::accept(supply != 0 ? std::set<Address>{sender} : std::set<Address>{});
}

Transition TokenRuntime::transfer(const Address& sender, const Json& command) {
  require_members(command, {"op", "to", "amount"});
  const Address to = nonzero_address_field(command, "to");
  const Amount amount = amount_field(command, "amount");
  if (balance_of(sender) < amount) reject(token_reason::kInsufficientBalance);
  return Transition::accept(move(sender, to, amount));
}

Transition TokenRuntime::approve(const Address& sender, const Json& command) {
  require_members(command, {"op", "spender", "amount"});
  const Address spender = nonzero_address_field(command, "spender");
  const Amount amount = amount_field(command, "amount");
  if (allowance(sender, spender) == amount) return Transition::accept({});
  set_allowance(sender, spender, amount);
  return Transition::accept({sender, spender});
}

Transition TokenRuntime::transfer_from(const Address& sender, const Json& command) {
  require_members(command, {"op", "from", "to", "amount"});
  const Address from = nonzero_address_field(command, "from");
  const Address to = nonzero_address_field(command, "to");
  const Amount amount = amount_field(command, "amount");
  const Amount allowed = allowance(from, sender);
  if (allowed < amount) reject(token_reason::kInsufficientAllowance);
  if (balance_of(from) < amount) reject(token_reason::kInsufficientBalance);
  std::set<Address> affected = move(from, to, amount);
  if (amount != 0) {
    set_allowance(from, sender, allowed - amount);
    affected.insert(from);
    affected.insert(sender);
  }
  return Transition::accept(std::move(affected));
}

Transition TokenRuntime::mint(const Address& sender, const Json& command) {
  require_members(command, {"op", "to", "amount"});
  const Address to = nonzero_address_field(command, "to");
  const Amount amount = amount_field(command, "amount");
  if (sender != owner_) reject(token_reason::kNotOwner);
  const std::optional<Amount> supply = checked_add(total_supply_, amount);
  if (!supply) reject(token_reason::kSupplyOverflow);
  if (amount == 0) return Transition::accept({});
  // balance(to) <= total supply, so this sum cannot overflow once the supply did not.
  total_supply_ = *supply;
  set_balance(to, balance_of(to) + amount);
  return Transition::accept({to});
}

Transition TokenRuntime::burn(const Address& sender, const Json& command) {
  require_members(command, {"op", "amount"});
  const Amount amount = amount_field(command, "amount");
  const Amount balance = balance_of(sender);
  if (balance < amount) reject(token_reason::kInsufficientBalance);
  if (amount == 0) return Transition::accept({});
  set_balance(sender, balance - amount);
  total_supply_ -= amount;
  return Transition::accept({sender});
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
  if (op_it == query.end() || !op_it->is_string()) return malformed_query("missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  auto fields = [&](std::initializer_list<const char*> names) { return check_string_members(query, names); };
  if (op == "balanceOf") {
    if (std::string p = fields({"op", "account"}); !p.empty()) return malformed_query(p);
    std::optional<Address> account = parse_address(query.at("account").get_ref<const std::string&>());
    if (!account) return malformed_query("\"account\" is not an address");
    if (*account != sender) return not_authorized("the account itself");
    return QueryAnswer::success(format_amount(balance_of(*account)));
  }
  if (op == "allowance") {
    if (std::string p = fields({"op", "owner", "spender"}); !p.empty()) return malformed_query(p);
    std::optional<Address> owner = parse_address(query.at("owner").get_ref<const std::string&>());
    std::optional<Address> spender = parse_address(query.at("spender").get_ref<const std::string&>());
    if (!owner || !spender) return malformed_query("\"owner\" and \"spender\" must be addresses");
    if (sender != *owner && sender != *spender) return not_authorized("the owner or the spender");
    return QueryAnswer::success(format_amount(allowance(*owner, *spender)));
  }
  if (op == "totalSupply") {
    if (std::string p = fields({"op"}); !p.empty()) return malformed_query(p);
    return QueryAnswer::success(format_amount(total_supply_));
  }
  if (op == "tokenInfo") {
    if (std::string p = fields({"op"}); !p.empty()) return malformed_query(p);
    Json info{{"initialized", initialized_}, {"name", name_}, {"symbol", symbol_}};
    info["owner"] = initialized_ ? Json(format_address(owner_)) : Json(nullptr);
    return QueryAnswer::success(std::move(info));
  }
  return malformed_query("unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
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

}  // namespace anonify::runtime
