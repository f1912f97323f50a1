#include "anonify/runtime/records.h"

#include <algorithm>
#include <limits>
#include <set>

#include "anonify/crypto/hash.h"
#include "anonify/error.h"
#include "anonify/runtime/registry.h"
#include "anonify/json_depth.h"
#include "anonify/protocol/frame.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/json_input.h"
#include "anonify/runtime/planned.h"

namespace anonify::runtime {

static_assert(kMaxRecordsCommandSize == kMaxPayloadSize, "a records command is one envelope payload");
// A snapshot carries the state (with the ledger's nonces around it) as hex in one frame: leave a fifth of
// the frame for the rest.
static_assert(2 * kMaxRecordsStateSize < protocol::kMaxFrameSize / 5 * 4, "the largest state must fit a snapshot frame");

namespace {

using detail::check_string_members;
using Access = RecordsRuntime::Access;
using Action = RecordsRuntime::Action;
using Event = RecordsRuntime::Event;
using Record = RecordsRuntime::Record;

constexpr uint64_t kMaxCounter = std::numeric_limits<uint64_t>::max();
const char* const kIdRule = "\"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -";

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. The JSON parser
// already refuses anything else in a command; decode() applies it to stored content.
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      code = (code << 6) | (d & 0x3F);
    }
    if (length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return false;
    if (length == 4 && (code < 0x10000 || code > 0x10FFFF)) return false;
    i += length;
  }
  return true;
}

bool valid_record_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRecordIdSize) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The command object. Unlike detail::parse_object it also refuses a repeated member: the parser
// would keep the last value silently, while a client displaying the signed bytes might show the first.
Json parse_command(ByteView payload) {
  if (payload.size() > kMaxRecordsCommandSize) reject_malformed("larger than 4096 bytes");
  if (json_depth_exceeded_at(payload, detail::kMaxInputDepth)) reject_malformed("not a JSON object");
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t watch = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty() && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json doc = Json::parse(payload.begin(), payload.end(), watch, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) reject_malformed("not a JSON object");
  if (!duplicate.empty()) reject_malformed("duplicate member \"" + detail::utf8_excerpt(duplicate, 32) + "\"");
  return doc;
}

std::string id_field(const Json& command) {
  std::string id = command.at("id").get<std::string>();
  if (!valid_record_id(id)) reject_malformed(kIdRule);
  return id;
}

Address address_field(const Json& command, const char* field) {
  std::optional<Address> address = parse_address(command.at(field).get_ref<const std::string&>());
  if (!address) reject_malformed(std::string("\"") + field + "\" is not an address");
  return *address;
}

const char* access_name(Access access) {
  switch (access) {
    case Access::kRead:
      return "read";
    case Access::kWrite:
      return "write";
    case Access::kNone:
      break;
  }
  return "none";
}

const char* action_name(Action action) {
  switch (action) {
    case Action::kPut:
      return "put";
    case Action::kGrant:
      return "grant";
    case Action::kRevoke:
      return "revoke";
    case Action::kDelete:
      return "delete";
    case Action::kTransfer:
      return "transfer";
  }
  return "unknown";
}

// A sender's standing on a record, ordered: each role can do what the ones below it can.
enum class Role { kNone, kRead, kWrite, kOwner };

Role role_of(const Record& record, const Address& account) {
  if (account == record.owner) return Role::kOwner;
  auto it = record.grants.find(account);
  if (it == record.grants.end()) return Role::kNone;
  return it->second == Access::kWrite ? Role::kWrite : Role::kRead;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::kOwner:
      return "owner";
    case Role::kWrite:
      return "write";
    case Role::kRead:
      return "read";
    case Role::kNone:
      break;
  }
  return "none";
}

std::string hex_bytes(ByteView bytes) { return "0x" + to_hex(bytes); }

Json event_json(const Event& e) {
  Json j{{"version", std::to_string(e.version)}, {"author", format_address(e.author)}, {"action", action_name(e.action)}};
  switch (e.action) {
    case Action::kPut:
      j["contentHash"] = hex_bytes(e.content_hash);
      break;
    case Action::kGrant:
      j["account"] = format_address(e.account);
      j["access"] = access_name(e.access);
      break;
    case Action::kRevoke:
    case Action::kTransfer:
      j["account"] = format_address(e.account);
      break;
    case Action::kDelete:
      break;
  }
  return j;
}

// The record `id` names in a query, or the query's problem.
std::optional<std::string> query_id(const Json& query, std::string* problem) {
  *problem = check_string_members(query, {"op", "id"});
  if (!problem->empty()) return std::nullopt;
  std::string id = query.at("id").get<std::string>();
  if (!valid_record_id(id)) {
    *problem = kIdRule;
    return std::nullopt;
  }
  return id;
}

// Appends a record event (it makes the next version) and drops the oldest beyond the limit.
void add_record_event(Record& record, Event event) {
  event.version = ++record.version;
  record.events.push_back(std::move(event));
  if (record.events.size() > kMaxRecordHistory) record.events.erase(record.events.begin());
}

// Appends an access event under the version in force and drops the oldest beyond the limit.
void add_access_event(Record& record, Event event) {
  event.version = record.version;
  ++record.access_count;
  record.access_events.push_back(std::move(event));
  if (record.access_events.size() > kMaxAccessHistory) record.access_events.erase(record.access_events.begin());
}

std::set<Address> owner_and_grantees(const Record& record) {
  std::set<Address> out{record.owner};
  for (const auto& [account, access] : record.grants) out.insert(account);
  return out;
}

// ---- canonical encoding ----
[[noreturn]] void corrupt(const std::string& what) { throw Error(ErrorCode::kDecodeError, "records state: " + what); }

void encode_event(mls::TlsWriter& out, const Event& e) {
  out.u64(e.version);
  encode_address(out, e.author);
  out.u8(static_cast<uint8_t>(e.action));
  encode_address(out, e.account);
  out.u8(static_cast<uint8_t>(e.access));
  out.opaque(e.content_hash);
}

// One event, with the fields its action does not use zero/empty (one event has one encoding).
Event decode_event(mls::TlsReader& in) {
  Event e;
  e.version = in.u64();
  e.author = decode_address(in);
  const uint8_t action = in.u8();
  if (action < static_cast<uint8_t>(Action::kPut) || action > static_cast<uint8_t>(Action::kTransfer)) corrupt("unknown action");
  e.action = static_cast<Action>(action);
  e.account = decode_address(in);
  const uint8_t access = in.u8();
  if (access > static_cast<uint8_t>(Access::kWrite)) corrupt("unknown access");
  e.access = static_cast<Access>(access);
  e.content_hash = in.opaque();
  const bool has_account = e.action == Action::kGrant || e.action == Action::kRevoke || e.action == Action::kTransfer;
  const bool has_access = e.action == Action::kGrant;
  const bool has_hash = e.action == Action::kPut;
  if (has_account != (e.account != Address{})) corrupt("event account does not fit its action");
  if (has_access != (e.access != Access::kNone)) corrupt("event access does not fit its action");
  if (has_hash ? e.content_hash.size() != crypto::kSha256Size : !e.content_hash.empty()) {
    corrupt("event content hash does not fit its action");
  }
  return e;
}

void encode_record(mls::TlsWriter& out, const std::string& id, const Record& r) {
  out.opaque(id);
  encode_address(out, r.owner);
  out.opaque(r.content);
  out.u64(r.version);
  out.u64(r.access_count);
  out.vector([&](mls::TlsWriter& w) {
    for (const auto& [account, access] : r.grants) {
      encode_address(w, account);
      w.u8(static_cast<uint8_t>(access));
    }
  });
  out.vector([&](mls::TlsWriter& w) {
    for (const Event& e : r.events) encode_event(w, e);
  });
  out.vector([&](mls::TlsWriter& w) {
    for (const Event& e : r.access_events) encode_event(w, e);
  });
}

// A record's fields after its id, checked against every invariant apply keeps.
Record decode_record(mls::TlsReader& in) {
  Record r;
  r.owner = decode_address(in);
  r.content = decode_text(in);
  if (r.content.size() > kMaxRecordContentSize) corrupt("content over the limit");
  if (!valid_utf8(r.content)) corrupt("content is not UTF-8");
  r.version = in.u64();
  r.access_count = in.u64();
  if (r.version == 0) corrupt("version 0");

  mls::TlsReader grants = in.vector();
  while (!grants.empty()) {
    const Address account = decode_address(grants);
    const uint8_t access = grants.u8();
    if (access != static_cast<uint8_t>(Access::kRead) && access != static_cast<uint8_t>(Access::kWrite)) {
      corrupt("bad grant access");
    }
    if (account == Address{} || account == r.owner) corrupt("grant to the zero address or the owner");
    if (!r.grants.empty() && !(r.grants.rbegin()->first < account)) corrupt("repeated or unordered grant");
    if (r.grants.size() == kMaxGrantsPerRecord) corrupt("too many grants");
    r.grants.emplace_hint(r.grants.end(), account, static_cast<Access>(access));
  }

  mls::TlsReader events = in.vector();
  while (!events.empty()) {
    if (r.events.size() == kMaxRecordHistory) corrupt("too many record events");
    r.events.push_back(decode_event(events));
  }
  // The newest min(version, limit) events, versions consecutive up to the record's version.
  const uint64_t kept = std::min<uint64_t>(r.version, kMaxRecordHistory);
  if (r.events.size() != kept) corrupt("record events do not match the version");
  for (size_t i = 0; i < r.events.size(); ++i) {
    const Event& e = r.events[i];
    if (e.version != r.version - (r.events.size() - 1 - i)) corrupt("record event versions are not consecutive");
    if (e.action == Action::kGrant || e.action == Action::kRevoke) corrupt("access event among the record events");
    if (e.action == Action::kDelete && i + 1 != r.events.size()) corrupt("event after a delete");
    if (e.version == 1 && e.action != Action::kPut) corrupt("the first event is not a put");
  }
  if (r.deleted() && !r.content.empty()) corrupt("content of a deleted record");
  // The newest put (if still kept) hashes the content; the newest transfer (if kept) names the owner.
  for (auto it = r.events.rbegin(); it != r.events.rend(); ++it) {
    if (it->action != Action::kPut) continue;
    if (!r.deleted() && it->content_hash != crypto::sha256(ByteView::from_string(r.content))) {
      corrupt("content does not match its hash");
    }
    break;
  }
  bool transferred = false;
  for (auto it = r.events.rbegin(); it != r.events.rend(); ++it) {
    if (it->action != Action::kTransfer) continue;
    if (it->account != r.owner) corrupt("owner is not the last transfer's recipient");
    transferred = true;
    break;
  }
  if (!transferred && r.events.front().version == 1 && r.events.front().author != r.owner) {
    corrupt("owner is not the creator");
  }

  mls::TlsReader access_events = in.vector();
  while (!access_events.empty()) {
    if (r.access_events.size() == kMaxAccessHistory) corrupt("too many access events");
    const Event e = decode_event(access_events);
    if (e.action != Action::kGrant && e.action != Action::kRevoke) corrupt("record event among the access events");
    if (e.version == 0 || e.version > r.version) corrupt("access event version out of range");
    if (!r.access_events.empty() && e.version < r.access_events.back().version) corrupt("access events out of order");
    r.access_events.push_back(e);
  }
  if (r.access_events.size() != std::min<uint64_t>(r.access_count, kMaxAccessHistory)) {
    corrupt("access events do not match their count");
  }
  return r;
}

}  // namespace

struct RecordsRuntime::Plan {
  enum class Op { kCreate, kPut, kGrant, kRevoke, kTransfer, kDelete };
  Op op = Op::kCreate;
  std::string id;
  std::string content;          // create, put
  Address account{};            // grant, revoke: the grantee; transfer: the new owner
  Access access = Access::kNone;  // grant
};

Transition RecordsRuntime::apply(const Address& sender, ByteView payload) {
  return plan_then_execute([&] { return plan(sender, payload); }, [&](const Plan& p) { return execute(sender, p); });
}

Transition RecordsRuntime::check(const Address& sender, ByteView payload) const {
  return plan_only([&] { return plan(sender, payload); });
}

RecordsRuntime::Plan RecordsRuntime::plan(const Address& sender, ByteView payload) const {
  const Json command = parse_command(payload);
  auto op_it = command.find("op");
  if (op_it == command.end() || !op_it->is_string()) reject_malformed("missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  if (op == "put") return plan_put(sender, command);
  if (op == "grant") return plan_grant(sender, command);
  if (op == "revoke") return plan_revoke(sender, command);
  if (op == "transfer") return plan_transfer(sender, command);
  if (op == "delete") return plan_delete(sender, command);
  reject_malformed("unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

const RecordsRuntime::Record& RecordsRuntime::owned_record(const Address& sender, const std::string& id) const {
  auto it = records_.find(id);
  if (it == records_.end() || it->second.owner != sender) reject(records_reason::kNotAuthorized);
  return it->second;
}

RecordsRuntime::Plan RecordsRuntime::plan_put(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id", "content"});
  Plan p;
  p.id = id_field(command);
  p.content = command.at("content").get<std::string>();  // UTF-8: the parser refuses anything else
  if (p.content.size() > kMaxRecordContentSize) reject_malformed("\"content\" must be at most 2048 bytes");
  auto it = records_.find(p.id);
  if (it == records_.end()) {
    if (records_.size() >= kMaxRecords) reject(records_reason::kTooManyRecords);
    p.op = Plan::Op::kCreate;
    return p;
  }
  const Record& record = it->second;
  if (role_of(record, sender) < Role::kWrite) reject(records_reason::kNotAuthorized);
  if (record.deleted()) reject(records_reason::kRecordDeleted);
  if (record.version == kMaxCounter) reject(records_reason::kCounterOverflow);
  p.op = Plan::Op::kPut;
  return p;
}

RecordsRuntime::Plan RecordsRuntime::plan_grant(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id", "account", "access"});
  Plan p;
  p.op = Plan::Op::kGrant;
  p.id = id_field(command);
  p.account = address_field(command, "account");
  const std::string& access = command.at("access").get_ref<const std::string&>();
  if (access == "read") p.access = Access::kRead;
  else if (access == "write") p.access = Access::kWrite;
  else reject_malformed("\"access\" must be \"read\" or \"write\"");
  if (p.account == Address{}) reject(records_reason::kZeroAddress);
  const Record& record = owned_record(sender, p.id);
  if (record.deleted()) reject(records_reason::kRecordDeleted);
  if (p.account == record.owner) reject(records_reason::kGrantToOwner);
  auto held = record.grants.find(p.account);
  if (held != record.grants.end() && held->second == p.access) reject(records_reason::kAlreadyGranted);
  if (held == record.grants.end() && record.grants.size() >= kMaxGrantsPerRecord) reject(records_reason::kTooManyGrants);
  if (record.access_count == kMaxCounter) reject(records_reason::kCounterOverflow);
  return p;
}

RecordsRuntime::Plan RecordsRuntime::plan_revoke(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id", "account"});
  Plan p;
  p.op = Plan::Op::kRevoke;
  p.id = id_field(command);
  p.account = address_field(command, "account");
  const Record& record = owned_record(sender, p.id);
  if (record.grants.count(p.account) == 0) reject(records_reason::kNotGranted);
  if (record.access_count == kMaxCounter) reject(records_reason::kCounterOverflow);
  return p;
}

RecordsRuntime::Plan RecordsRuntime::plan_transfer(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id", "to"});
  Plan p;
  p.op = Plan::Op::kTransfer;
  p.id = id_field(command);
  p.account = address_field(command, "to");
  if (p.account == Address{}) reject(records_reason::kZeroAddress);
  const Record& record = owned_record(sender, p.id);
  if (record.deleted()) reject(records_reason::kRecordDeleted);
  if (p.account == record.owner) reject(records_reason::kAlreadyOwner);
  if (record.version == kMaxCounter) reject(records_reason::kCounterOverflow);
  return p;
}

RecordsRuntime::Plan RecordsRuntime::plan_delete(const Address& sender, const Json& command) const {
  require_string_members(command, {"op", "id"});
  Plan p;
  p.op = Plan::Op::kDelete;
  p.id = id_field(command);
  const Record& record = owned_record(sender, p.id);
  if (record.deleted()) reject(records_reason::kRecordDeleted);
  if (record.version == kMaxCounter) reject(records_reason::kCounterOverflow);
  return p;
}

// Writes a plan; every rule was checked by plan(), so nothing here can reject.
Transition RecordsRuntime::execute(const Address& sender, const Plan& p) {
  if (p.op == Plan::Op::kCreate) {
    Record record;
    record.owner = sender;
    record.content = p.content;
    Event put;
    put.author = sender;
    put.action = Action::kPut;
    put.content_hash = crypto::sha256(ByteView::from_string(p.content));
    add_record_event(record, std::move(put));
    records_.emplace(p.id, std::move(record));
    return Transition::accept({sender});
  }
  Record& record = records_.at(p.id);
  Event event;
  event.author = sender;
  switch (p.op) {
    case Plan::Op::kCreate:
      break;  // handled above
    case Plan::Op::kPut: {
      record.content = p.content;
      event.action = Action::kPut;
      event.content_hash = crypto::sha256(ByteView::from_string(p.content));
      add_record_event(record, std::move(event));
      std::set<Address> affected = owner_and_grantees(record);
      affected.insert(sender);  // the owner or a writer: already in the set
      return Transition::accept(std::move(affected));
    }
    case Plan::Op::kGrant:
      record.grants[p.account] = p.access;
      event.action = Action::kGrant;
      event.account = p.account;
      event.access = p.access;
      add_access_event(record, std::move(event));
      return Transition::accept({record.owner, p.account});
    case Plan::Op::kRevoke:
      record.grants.erase(p.account);
      event.action = Action::kRevoke;
      event.account = p.account;
      add_access_event(record, std::move(event));
      return Transition::accept({record.owner, p.account});
    case Plan::Op::kTransfer: {
      const Address previous = record.owner;
      record.grants.erase(p.account);  // the new owner needs no grant
      record.owner = p.account;
      event.action = Action::kTransfer;
      event.account = p.account;
      add_record_event(record, std::move(event));
      std::set<Address> affected = owner_and_grantees(record);
      affected.insert(previous);
      return Transition::accept(std::move(affected));
    }
    case Plan::Op::kDelete:
      record.content.clear();
      record.content.shrink_to_fit();
      event.action = Action::kDelete;
      add_record_event(record, std::move(event));
      return Transition::accept(owner_and_grantees(record));
  }
  throw Error(ErrorCode::kInternal, "records: unknown planned op");
}

// ---- queries ----

QueryAnswer RecordsRuntime::query(const Address& sender, const Json& query) const {
  auto op_it = query.find("op");
  if (op_it == query.end() || !op_it->is_string()) return QueryAnswer::malformed("missing \"op\"");
  const std::string& op = op_it->get_ref<const std::string&>();
  if (op == "get") return query_get(sender, query);
  if (op == "history") return query_history(sender, query);
  if (op == "list") return query_list(sender, query);
  if (op == "grants") return query_grants(sender, query);
  return QueryAnswer::malformed("unknown op \"" + detail::utf8_excerpt(op, 32) + "\"");
}

QueryAnswer RecordsRuntime::query_get(const Address& sender, const Json& query) const {
  std::string problem;
  const std::optional<std::string> id = query_id(query, &problem);
  if (!id) return QueryAnswer::malformed(problem);
  auto it = records_.find(*id);
  const Role role = it == records_.end() ? Role::kNone : role_of(it->second, sender);
  if (role == Role::kNone) return QueryAnswer::failure("not_authorized", records_message::kReadNotAuthorized);
  const Record& r = it->second;
  return QueryAnswer::success(Json{{"id", *id},
                                   {"owner", format_address(r.owner)},
                                   {"access", role_name(role)},
                                   {"version", std::to_string(r.version)},
                                   {"deleted", r.deleted()},
                                   {"content", r.content}});
}

QueryAnswer RecordsRuntime::query_history(const Address& sender, const Json& query) const {
  std::string problem;
  const std::optional<std::string> id = query_id(query, &problem);
  if (!id) return QueryAnswer::malformed(problem);
  auto it = records_.find(*id);
  const Role role = it == records_.end() ? Role::kNone : role_of(it->second, sender);
  if (role == Role::kNone) return QueryAnswer::failure("not_authorized", records_message::kReadNotAuthorized);
  const Record& r = it->second;
  Json entries = Json::array();
  bool truncated = r.events.size() < r.version;
  if (role == Role::kOwner) {
    truncated = truncated || r.access_events.size() < r.access_count;
    // Merged by version: a version's record event first, then the access events made under it.
    size_t a = 0;
    size_t b = 0;
    while (a < r.events.size() || b < r.access_events.size()) {
      const bool record_next =
          b == r.access_events.size() || (a < r.events.size() && r.events[a].version <= r.access_events[b].version);
      entries.push_back(event_json(record_next ? r.events[a++] : r.access_events[b++]));
    }
  } else {
    for (const Event& e : r.events) entries.push_back(event_json(e));
  }
  return QueryAnswer::success(
      Json{{"id", *id}, {"version", std::to_string(r.version)}, {"truncated", truncated}, {"entries", std::move(entries)}});
}

QueryAnswer RecordsRuntime::query_list(const Address& sender, const Json& query) const {
  if (std::string p = check_string_members(query, {"op"}); !p.empty()) return QueryAnswer::malformed(p);
  Json list = Json::array();
  for (const auto& [id, record] : records_) {
    const Role role = role_of(record, sender);
    if (role == Role::kNone) continue;
    list.push_back(Json{{"id", id},
                        {"access", role_name(role)},
                        {"version", std::to_string(record.version)},
                        {"deleted", record.deleted()}});
  }
  return QueryAnswer::success(Json{{"records", std::move(list)}});
}

QueryAnswer RecordsRuntime::query_grants(const Address& sender, const Json& query) const {
  std::string problem;
  const std::optional<std::string> id = query_id(query, &problem);
  if (!id) return QueryAnswer::malformed(problem);
  auto it = records_.find(*id);
  if (it == records_.end() || it->second.owner != sender) {
    return QueryAnswer::failure("not_authorized", records_message::kGrantsNotAuthorized);
  }
  Json grants = Json::array();
  for (const auto& [account, access] : it->second.grants) {
    grants.push_back(Json{{"account", format_address(account)}, {"access", access_name(access)}});
  }
  return QueryAnswer::success(Json{{"id", *id}, {"grants", std::move(grants)}});
}

// ---- state encoding ----

void RecordsRuntime::encode(mls::TlsWriter& out) const {
  out.vector([&](mls::TlsWriter& w) {
    // Not a structured binding: the lambda captures the entry (clang 14 cannot capture bindings).
    for (const auto& entry : records_) {
      w.vector([&](mls::TlsWriter& item) { encode_record(item, entry.first, entry.second); });
    }
  });
}

void RecordsRuntime::decode(mls::TlsReader& in) {
  RecordsRuntime state;
  mls::TlsReader records = in.vector();
  while (!records.empty()) {
    mls::TlsReader item = records.vector();
    const std::string id = decode_text(item);
    if (!valid_record_id(id)) corrupt("bad record id");
    if (!state.records_.empty() && !(state.records_.rbegin()->first < id)) corrupt("repeated or unordered record id");
    if (state.records_.size() == kMaxRecords) corrupt("too many records");
    Record record = decode_record(item);
    item.finish("records state: record");
    state.records_.emplace_hint(state.records_.end(), id, std::move(record));
  }
  *this = std::move(state);
}

ANONIFY_RUNTIME(RecordsRuntime, kRecordsRuntimeName);

}  // namespace anonify::runtime
