// Confidential records: tamper-proof data sharing on the group's encrypted log. Organisations put
// records, grant and revoke read or write access per record and per account, read what they were
// granted and see who changed what; nobody else learns contents or grants. docs/runtime-records.md
// is the user-facing description of everything below.
//
// Records. A record has a global id (1..64 bytes of A-Z a-z 0-9 . _ : -), an owner, a content (a
// UTF-8 string of at most kMaxRecordContentSize bytes), grants (account → "read" | "write"; "write"
// implies read; the owner holds no grant, it has every right), and a history. Roles of a sender on a
// record: owner, writer, reader, or none. A deleted record keeps its id (it is never reused), its
// owner, its grants and its history; its content is gone.
//
// Commands (UTF-8 JSON objects with exactly these members, all strings; at most kMaxRecordsCommandSize bytes):
//   {"op":"put","id","content"}          a new id: creates the record, the sender owns it (version 1);
//                                        an existing one: owner or writer replaces the content (version + 1)
//   {"op":"grant","id","account","access"}  owner; access "read" | "write": sets the account's access
//   {"op":"revoke","id","account"}       owner; removes the account's grant (also on a deleted record)
//   {"op":"transfer","id","to"}          owner; `to` becomes the owner (version + 1). The previous owner
//                                        keeps no access; a grant `to` held is dropped (the owner needs none);
//                                        the other grants stay, and the new owner sees the access history
//   {"op":"delete","id"}                 owner; the content is removed (version + 1), the id stays taken
// Every check is made before anything is written, in this order: the shape (malformed command: …),
// "zero address" (grant's account, transfer's to), then the state. A sender who is not the owner (or,
// for put, neither owner nor writer) gets "not authorized" whether or not the id exists, so the
// reason never tells a stranger that a record exists — except that put on a free id creates it: put
// on a taken id is "not authorized", which is how anyone can learn that an id is taken (never who
// owns it or what it holds). Choose unguessable ids where even that matters.
//
// Versions and history. Each record counts its versions: put, transfer and delete each make one
// (the creating put is version 1). These "record events" are kept, newest kMaxRecordHistory of them,
// and everyone with access sees them: {version, author, action put|delete|transfer, contentHash (put:
// 0x SHA-256 of the content's UTF-8 bytes), account (transfer: the new owner)}. Grants and revokes are
// "access events": they make no version (so a reader cannot count them from version gaps), are kept
// in a log of their own (newest kMaxAccessHistory), carry the version in force when they happened,
// and only the owner sees them: {version, author, action grant|revoke, account, access (grant)}.
// A reader therefore learns the authors of versions (writers who wrote, the owner) but never who else
// was granted anything. `truncated` tells that older events were dropped: readers compare the kept
// record events with the version; the owner also learns whether access events were dropped.
//
// Queries ({"op":…}, the token's key convention; uint64 values are decimal strings, hex is 0x lower case):
//   {"op":"get","id"}       owner, writer, reader → {id, owner, access, version, deleted, content}
//   {"op":"history","id"}   owner, writer, reader → {id, version, truncated, entries}; entries oldest
//                           first: the owner gets record and access events merged (by version, a
//                           version's record event before the access events made under it), the others
//                           the record events only
//   {"op":"list"}           anyone → {records: [{id, access, version, deleted}]}: the records the sender
//                           owns or holds a grant on, sorted by id (bytewise)
//   {"op":"grants","id"}    owner → {id, grants: [{account, access}]} sorted by account
// Anyone else gets "not_authorized" with one fixed message per query op, the same whether the id
// exists or not. A malformed query (bad shape, bad id) is "malformed_query" before any lookup.
//
// Notifications (`affected`): put creating → the sender; put updating, delete → the owner and every
// grantee; grant, revoke → the owner and the account; transfer → the old and new owner and every grantee.
//
// Rejection reasons are visible to the host that runs the enclave (state_submit's refusal and
// state_apply's outcome): they are fixed strings that never carry an id, an address or content.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "anonify/runtime/runtime.h"

namespace anonify::runtime {

constexpr const char* kRecordsRuntimeName = "anonify-records/v1";
constexpr size_t kMaxRecordIdSize = 64;
constexpr size_t kMaxRecordContentSize = 2048;
/// Largest command (the signed JSON bytes); equals kMaxPayloadSize, which envelopes already enforce.
constexpr size_t kMaxRecordsCommandSize = 4096;
/// Records in the store, deleted ones included (ids are never freed). Bounded by kMaxRecordsStateSize.
constexpr size_t kMaxRecords = 512;
constexpr size_t kMaxGrantsPerRecord = 64;
/// Record events (put, delete, transfer) kept per record; older ones are dropped.
constexpr size_t kMaxRecordHistory = 64;
/// Access events (grant, revoke) kept per record; older ones are dropped.
constexpr size_t kMaxAccessHistory = 64;

/// Upper bound of the state's encoding (every limit reached; each length prefix counted at 4 bytes):
/// about 6.4 MB. A snapshot hands the whole state over hex-encoded in one protocol frame (state_snapshot's
/// result, state_apply's params), so twice this must stay well inside kMaxFrameSize (16 MiB);
/// records.cpp asserts it. That is what caps kMaxRecords at 512 (1024 would need about 25.6 MB of hex).
constexpr size_t kMaxRecordsEventSize = 8 + kAddressSize + 1 + kAddressSize + 1 + 4 + 32;  // a put: the largest
constexpr size_t kMaxRecordsAccessEventSize = 8 + kAddressSize + 1 + kAddressSize + 1 + 4;
constexpr size_t kMaxRecordsRecordSize = 4 + (4 + kMaxRecordIdSize) + kAddressSize + (4 + kMaxRecordContentSize) + 8 + 8 +
                                         (4 + kMaxGrantsPerRecord * (kAddressSize + 1)) +
                                         (4 + kMaxRecordHistory * kMaxRecordsEventSize) +
                                         (4 + kMaxAccessHistory * kMaxRecordsAccessEventSize);
constexpr size_t kMaxRecordsStateSize = 4 + kMaxRecords * kMaxRecordsRecordSize;

/// Rejection reasons (stable strings, shown to users and the host, compared across enclaves).
namespace records_reason {
/// The sender may not do this to the record, or the record does not exist (never told apart).
constexpr const char* kNotAuthorized = "not authorized";
constexpr const char* kRecordDeleted = "record deleted";
constexpr const char* kTooManyRecords = "too many records";
constexpr const char* kTooManyGrants = "too many grants";
constexpr const char* kAlreadyGranted = "already granted";
constexpr const char* kNotGranted = "not granted";
constexpr const char* kGrantToOwner = "grant to owner";
constexpr const char* kAlreadyOwner = "already owner";
constexpr const char* kZeroAddress = "zero address";
/// The record's version or access-event counter is at 2^64 - 1 (unreachable by real use; refused
/// rather than wrapped).
constexpr const char* kCounterOverflow = "counter overflow";
}  // namespace records_reason

/// The fixed not_authorized messages of the queries (the same whether the record exists or not).
namespace records_message {
constexpr const char* kReadNotAuthorized = "only the owner or an account granted access may read this record";
constexpr const char* kGrantsNotAuthorized = "only the owner may read the grants of this record";
}  // namespace records_message

class RecordsRuntime final : public Runtime {
 public:
  std::string_view name() const override { return kRecordsRuntimeName; }
  /// Always true: the store needs no setup (any signer may create records).
  bool initialized() const override { return true; }
  Transition apply(const Address& sender, ByteView payload) override;
  /// The rules of apply (one code path: plan()), without writing and without copying the state.
  Transition check(const Address& sender, ByteView payload) const override;
  QueryAnswer query(const Address& sender, const Json& query) const override;
  void encode(mls::TlsWriter& out) const override;
  /// Refuses anything encode would not write: unsorted or repeated ids and grants, bad ids, content
  /// over the limit or not UTF-8, limits exceeded, history that does not end at the version, and so on.
  void decode(mls::TlsReader& in) override;
  std::unique_ptr<Runtime> clone() const override { return std::make_unique<RecordsRuntime>(*this); }

  size_t record_count() const noexcept { return records_.size(); }

  enum class Access : uint8_t { kNone = 0, kRead = 1, kWrite = 2 };
  enum class Action : uint8_t { kPut = 1, kGrant = 2, kRevoke = 3, kDelete = 4, kTransfer = 5 };

  /// One history entry. Record events (put, delete, transfer) and access events (grant, revoke)
  /// share the shape; unused fields are zero/empty (decode insists).
  struct Event {
    uint64_t version = 0;  ///< record event: the version it made; access event: the version in force
    Address author{};
    Action action = Action::kPut;
    Address account{};  ///< grant, revoke: the grantee; transfer: the new owner
    Access access = Access::kNone;  ///< grant: the access set
    Bytes content_hash;  ///< put: SHA-256 of the content (32 bytes)
  };

  struct Record {
    Address owner{};
    std::string content;
    uint64_t version = 0;       ///< record events ever made (= the newest one's version)
    uint64_t access_count = 0;  ///< access events ever made
    std::map<Address, Access> grants;  ///< never holds the owner or kNone
    std::vector<Event> events;         ///< record events, oldest first, the newest kMaxRecordHistory
    std::vector<Event> access_events;  ///< access events, oldest first, the newest kMaxAccessHistory

    bool deleted() const { return !events.empty() && events.back().action == Action::kDelete; }
  };

 private:
  // A command that passed every rule against the current state: what execute() writes. plan() holds
  // every rule and throws a rejection; check() stops after it, apply() executes the plan.
  struct Plan;
  Plan plan(const Address& sender, ByteView payload) const;
  Plan plan_put(const Address& sender, const Json& command) const;
  Plan plan_grant(const Address& sender, const Json& command) const;
  Plan plan_revoke(const Address& sender, const Json& command) const;
  Plan plan_transfer(const Address& sender, const Json& command) const;
  Plan plan_delete(const Address& sender, const Json& command) const;
  // The record the sender owns (for owner-only commands): "not authorized" when it does not exist
  // or the sender is not its owner.
  const Record& owned_record(const Address& sender, const std::string& id) const;
  Transition execute(const Address& sender, const Plan& plan);

  QueryAnswer query_get(const Address& sender, const Json& query) const;
  QueryAnswer query_history(const Address& sender, const Json& query) const;
  QueryAnswer query_list(const Address& sender, const Json& query) const;
  QueryAnswer query_grants(const Address& sender, const Json& query) const;

  std::map<std::string, Record> records_;  // by id, bytewise order
};

}  // namespace anonify::runtime
