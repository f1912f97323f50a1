// RecordsRuntime (records.h): semantics of every command, every rejection reason with the state
// unchanged, check() agreeing with apply() over a sweep, authorization of every query without
// existence leaks, malformed input, limits, canonical encoding and its refusals, determinism.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "anonify/crypto/hash.h"
#include "anonify/crypto/random.h"
#include "anonify/error.h"
#include "anonify/runtime/records.h"
#include "anonify/runtime/token.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using fixtures::User;
using fixtures::text_bytes;
namespace reason = records_reason;
using Access = RecordsRuntime::Access;
using Action = RecordsRuntime::Action;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

Bytes encode(const Runtime& t) {
  mls::TlsWriter w;
  t.encode(w);
  return w.take();
}

// Decodes a whole state as the ledger does: the runtime's decode, then no byte may be left.
RecordsRuntime decode_all(const Bytes& bytes) {
  RecordsRuntime r;
  mls::TlsReader in(bytes);
  r.decode(in);
  in.finish("records state");
  return r;
}

// ---- commands and queries ----

std::string put(const std::string& id, const std::string& content) {
  return Json{{"op", "put"}, {"id", id}, {"content", content}}.dump();
}
std::string grant(const std::string& id, const std::string& account, const std::string& access) {
  return Json{{"op", "grant"}, {"id", id}, {"account", account}, {"access", access}}.dump();
}
std::string grant(const std::string& id, const User& u, const std::string& access) { return grant(id, u.hex, access); }
std::string revoke(const std::string& id, const std::string& account) {
  return Json{{"op", "revoke"}, {"id", id}, {"account", account}}.dump();
}
std::string revoke(const std::string& id, const User& u) { return revoke(id, u.hex); }
std::string transfer(const std::string& id, const std::string& to) { return Json{{"op", "transfer"}, {"id", id}, {"to", to}}.dump(); }
std::string transfer(const std::string& id, const User& u) { return transfer(id, u.hex); }
std::string remove(const std::string& id) { return Json{{"op", "delete"}, {"id", id}}.dump(); }

Json q_get(const std::string& id) { return Json{{"op", "get"}, {"id", id}}; }
Json q_history(const std::string& id) { return Json{{"op", "history"}, {"id", id}}; }
Json q_grants(const std::string& id) { return Json{{"op", "grants"}, {"id", id}}; }
Json q_list() { return Json{{"op", "list"}}; }

const std::string kZero = "0x0000000000000000000000000000000000000000";

std::string sha_hex(const std::string& content) { return "0x" + to_hex(crypto::sha256(ByteView::from_string(content))); }

std::string random_account() { return format_address(address_from_bytes(crypto::random_bytes(kAddressSize))); }

// Applies a command. Every command first goes through check() (state_submit's dry run): it must
// change nothing and give apply's verdict and exact reason.
Transition run(RecordsRuntime& t, const Address& sender, ByteView payload, const std::string& what) {
  const Bytes before = encode(t);
  const Transition dry = t.check(sender, payload);
  EXPECT_EQ(encode(t), before) << "check changed the state: " << what;
  EXPECT_TRUE(dry.affected.empty());
  const Transition r = t.apply(sender, payload);
  EXPECT_EQ(dry.applied, r.applied) << what;
  EXPECT_EQ(dry.reason, r.reason) << what;
  if (!r.applied) {
    EXPECT_TRUE(r.affected.empty()) << what;
    EXPECT_EQ(encode(t), before) << "a rejection changed the state: " << what;
  }
  return r;
}

Transition run(RecordsRuntime& t, const User& sender, const std::string& payload) {
  return run(t, sender.address, text_bytes(payload), payload);
}

void expect_rejected(RecordsRuntime& t, const User& sender, const std::string& payload, const std::string& why) {
  const Bytes before = encode(t);
  const Transition r = run(t, sender, payload);
  EXPECT_FALSE(r.applied) << payload;
  EXPECT_EQ(r.reason, why) << payload;
  EXPECT_EQ(encode(t), before) << payload;
}

std::set<Address> accept(RecordsRuntime& t, const User& sender, const std::string& payload) {
  const Transition r = run(t, sender, payload);
  EXPECT_TRUE(r.applied) << payload << ": " << r.reason;
  return r.affected;
}

void expect_not_authorized(const QueryAnswer& a, const char* message) {
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.error_code, "not_authorized");
  EXPECT_EQ(a.message, message);
  EXPECT_TRUE(a.result.is_null());
}

// "doc-1" owned by `owner`; writer holds write, reader read; `revoked` held read and lost it.
class RuntimeRecordsOps : public ::testing::Test {
 protected:
  void SetUp() override {
    EXPECT_EQ(accept(rt, owner, put("doc-1", "v1")), (std::set<Address>{owner.address}));
    accept(rt, owner, grant("doc-1", writer, "write"));
    accept(rt, owner, grant("doc-1", reader, "read"));
    accept(rt, owner, grant("doc-1", revoked, "read"));
    accept(rt, owner, revoke("doc-1", revoked));
  }
  QueryAnswer ask(const User& u, const Json& q) const { return rt.query(u.address, q); }
  std::set<Address> owner_writer_reader() const { return {owner.address, writer.address, reader.address}; }

  RecordsRuntime rt;
  User owner, writer, reader, revoked, stranger;
};

// ---- semantics ----

TEST_F(RuntimeRecordsOps, PutCreatesThenOwnerOrWriterReplacesTheContent) {
  QueryAnswer a = ask(owner, q_get("doc-1"));
  ASSERT_TRUE(a.ok) << a.message;
  EXPECT_EQ(a.result, (Json{{"id", "doc-1"}, {"owner", owner.hex}, {"access", "owner"}, {"version", "1"},
                            {"deleted", false}, {"content", "v1"}}));
  // Grants made no version.
  EXPECT_EQ(ask(reader, q_get("doc-1")).result["version"], "1");
  EXPECT_EQ(ask(reader, q_get("doc-1")).result["access"], "read");
  EXPECT_EQ(ask(writer, q_get("doc-1")).result["access"], "write");

  EXPECT_EQ(accept(rt, writer, put("doc-1", "v2")), owner_writer_reader());
  EXPECT_EQ(ask(reader, q_get("doc-1")).result["content"], "v2");
  EXPECT_EQ(ask(reader, q_get("doc-1")).result["version"], "2");
  EXPECT_EQ(accept(rt, owner, put("doc-1", "v2")), owner_writer_reader());  // same content: still a version
  EXPECT_EQ(ask(owner, q_get("doc-1")).result["version"], "3");

  for (const User* u : {&reader, &revoked, &stranger}) {
    expect_rejected(rt, *u, put("doc-1", "mine"), reason::kNotAuthorized);
  }
  // Empty content and any UTF-8 are fine; a stranger creates its own record.
  EXPECT_EQ(accept(rt, stranger, put("doc-2", "")), (std::set<Address>{stranger.address}));
  EXPECT_EQ(accept(rt, stranger, put("doc-2", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92")), (std::set<Address>{stranger.address}));
  EXPECT_EQ(ask(stranger, q_get("doc-2")).result["content"], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
  EXPECT_EQ(ask(stranger, q_get("doc-2")).result["owner"], stranger.hex);
  EXPECT_EQ(rt.record_count(), 2u);
}

TEST_F(RuntimeRecordsOps, GrantSetsTheAccessAndRevokeRemovesIt) {
  // Upgrade, then downgrade: write implies read, read alone cannot write.
  EXPECT_EQ(accept(rt, owner, grant("doc-1", reader, "write")), (std::set<Address>{owner.address, reader.address}));
  accept(rt, reader, put("doc-1", "by the reader"));
  EXPECT_EQ(accept(rt, owner, grant("doc-1", reader, "read")), (std::set<Address>{owner.address, reader.address}));
  expect_rejected(rt, reader, put("doc-1", "again"), reason::kNotAuthorized);
  expect_rejected(rt, owner, grant("doc-1", reader, "read"), reason::kAlreadyGranted);
  expect_rejected(rt, owner, grant("doc-1", writer, "write"), reason::kAlreadyGranted);
  expect_rejected(rt, owner, grant("doc-1", owner, "read"), reason::kGrantToOwner);
  expect_rejected(rt, owner, grant("doc-1", kZero, "read"), reason::kZeroAddress);
  expect_rejected(rt, owner, revoke("doc-1", stranger), reason::kNotGranted);
  expect_rejected(rt, owner, revoke("doc-1", revoked), reason::kNotGranted);
  expect_rejected(rt, owner, revoke("doc-1", owner), reason::kNotGranted);
  expect_rejected(rt, owner, revoke("doc-1", kZero), reason::kNotGranted);

  EXPECT_EQ(accept(rt, owner, revoke("doc-1", reader)), (std::set<Address>{owner.address, reader.address}));
  expect_not_authorized(ask(reader, q_get("doc-1")), records_message::kReadNotAuthorized);
  accept(rt, owner, grant("doc-1", revoked, "read"));  // a revoked account can be granted again
  EXPECT_TRUE(ask(revoked, q_get("doc-1")).ok);

  // Only the owner grants or revokes; for anyone else the record might as well not exist.
  for (const User* u : {&writer, &revoked, &stranger}) {
    expect_rejected(rt, *u, grant("doc-1", stranger, "read"), reason::kNotAuthorized);
    expect_rejected(rt, *u, revoke("doc-1", revoked), reason::kNotAuthorized);
    expect_rejected(rt, *u, grant("no-such", stranger, "read"), reason::kNotAuthorized);
  }
  expect_rejected(rt, owner, grant("no-such", stranger, "read"), reason::kNotAuthorized);
  expect_rejected(rt, owner, revoke("no-such", stranger), reason::kNotAuthorized);
}

TEST_F(RuntimeRecordsOps, TransferHandsTheRecordOver) {
  EXPECT_EQ(accept(rt, owner, transfer("doc-1", writer)), owner_writer_reader());
  QueryAnswer a = ask(writer, q_get("doc-1"));
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.result["owner"], writer.hex);
  EXPECT_EQ(a.result["access"], "owner");
  EXPECT_EQ(a.result["version"], "2");
  // The previous owner keeps nothing; the new owner's old grant is gone, the others stay.
  expect_not_authorized(ask(owner, q_get("doc-1")), records_message::kReadNotAuthorized);
  expect_rejected(rt, owner, put("doc-1", "x"), reason::kNotAuthorized);
  expect_rejected(rt, owner, transfer("doc-1", owner), reason::kNotAuthorized);
  EXPECT_EQ(ask(writer, q_grants("doc-1")).result,
            (Json{{"id", "doc-1"}, {"grants", Json::array({Json{{"account", reader.hex}, {"access", "read"}}})}}));
  EXPECT_EQ(ask(reader, q_get("doc-1")).result["owner"], writer.hex);
  // The new owner sees the whole history, access events of the previous owner included.
  const Json entries = ask(writer, q_history("doc-1")).result["entries"];
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[5], (Json{{"version", "2"}, {"author", owner.hex}, {"action", "transfer"}, {"account", writer.hex}}));
  EXPECT_EQ(entries[1]["action"], "grant");

  expect_rejected(rt, writer, transfer("doc-1", writer), reason::kAlreadyOwner);
  expect_rejected(rt, writer, transfer("doc-1", kZero), reason::kZeroAddress);
  expect_rejected(rt, reader, transfer("doc-1", reader), reason::kNotAuthorized);
  expect_rejected(rt, writer, transfer("no-such", reader), reason::kNotAuthorized);
  // Handing it back: the previous owner gets it with no grant to drop.
  EXPECT_EQ(accept(rt, writer, transfer("doc-1", owner)), owner_writer_reader());
  EXPECT_EQ(ask(owner, q_get("doc-1")).result["version"], "3");
  expect_not_authorized(ask(writer, q_get("doc-1")), records_message::kReadNotAuthorized);
}

TEST_F(RuntimeRecordsOps, DeleteKeepsATombstoneAndTheId) {
  expect_rejected(rt, writer, remove("doc-1"), reason::kNotAuthorized);
  expect_rejected(rt, reader, remove("doc-1"), reason::kNotAuthorized);
  expect_rejected(rt, owner, remove("no-such"), reason::kNotAuthorized);
  EXPECT_EQ(accept(rt, owner, remove("doc-1")), owner_writer_reader());
  for (const User* u : {&owner, &writer, &reader}) {
    const QueryAnswer a = ask(*u, q_get("doc-1"));
    ASSERT_TRUE(a.ok);
    EXPECT_EQ(a.result["deleted"], true);
    EXPECT_EQ(a.result["content"], "");
    EXPECT_EQ(a.result["version"], "2");
  }
  const Json last = ask(reader, q_history("doc-1")).result["entries"].back();
  EXPECT_EQ(last, (Json{{"version", "2"}, {"author", owner.hex}, {"action", "delete"}}));
  // Nothing but revoke works on a deleted record; the id stays taken.
  expect_rejected(rt, owner, put("doc-1", "back"), reason::kRecordDeleted);
  expect_rejected(rt, writer, put("doc-1", "back"), reason::kRecordDeleted);
  expect_rejected(rt, stranger, put("doc-1", "mine"), reason::kNotAuthorized);
  expect_rejected(rt, reader, put("doc-1", "x"), reason::kNotAuthorized);
  expect_rejected(rt, owner, grant("doc-1", stranger, "read"), reason::kRecordDeleted);
  expect_rejected(rt, owner, transfer("doc-1", stranger), reason::kRecordDeleted);
  expect_rejected(rt, owner, remove("doc-1"), reason::kRecordDeleted);
  expect_rejected(rt, stranger, remove("doc-1"), reason::kNotAuthorized);
  EXPECT_EQ(accept(rt, owner, revoke("doc-1", reader)), (std::set<Address>{owner.address, reader.address}));
  expect_not_authorized(ask(reader, q_get("doc-1")), records_message::kReadNotAuthorized);
  EXPECT_EQ(rt.record_count(), 1u);
  EXPECT_EQ(ask(writer, q_list()).result,
            (Json{{"records", Json::array({Json{{"id", "doc-1"}, {"access", "write"}, {"version", "2"}, {"deleted", true}}})}}));
}

TEST_F(RuntimeRecordsOps, HistoryShowsGrantsToTheOwnerOnly) {
  accept(rt, writer, put("doc-1", "v2"));
  accept(rt, owner, grant("doc-1", stranger, "read"));
  const Json put1{{"version", "1"}, {"author", owner.hex}, {"action", "put"}, {"contentHash", sha_hex("v1")}};
  const Json put2{{"version", "2"}, {"author", writer.hex}, {"action", "put"}, {"contentHash", sha_hex("v2")}};
  const Json as_reader{{"id", "doc-1"}, {"version", "2"}, {"truncated", false}, {"entries", Json::array({put1, put2})}};
  for (const User* u : {&writer, &reader, &stranger}) EXPECT_EQ(ask(*u, q_history("doc-1")).result, as_reader);
  const auto access_event = [&](const char* version, const char* action, const User& who, const char* access) {
    Json e{{"version", version}, {"author", owner.hex}, {"action", action}, {"account", who.hex}};
    if (access) e["access"] = access;
    return e;
  };
  const Json as_owner{{"id", "doc-1"},
                      {"version", "2"},
                      {"truncated", false},
                      {"entries", Json::array({put1, access_event("1", "grant", writer, "write"),
                                               access_event("1", "grant", reader, "read"),
                                               access_event("1", "grant", revoked, "read"),
                                               access_event("1", "revoke", revoked, nullptr), put2,
                                               access_event("2", "grant", stranger, "read")})}};
  EXPECT_EQ(ask(owner, q_history("doc-1")).result, as_owner);
  EXPECT_EQ(sha_hex("v1"), "0x" + to_hex(crypto::sha256(text_bytes("v1"))));
  EXPECT_EQ(sha_hex("v1").size(), 66u);
}

// ---- queries ----

TEST_F(RuntimeRecordsOps, EveryQueryIsAuthorizedWithoutRevealingExistence) {
  accept(rt, owner, put("doc-2", "other"));
  accept(rt, owner, remove("doc-2"));
  // Strangers and revoked readers: one answer whether the id exists, was deleted, or never was.
  for (const User* u : {&stranger, &revoked}) {
    for (const char* id : {"doc-1", "doc-2", "no-such"}) {
      expect_not_authorized(ask(*u, q_get(id)), records_message::kReadNotAuthorized);
      expect_not_authorized(ask(*u, q_history(id)), records_message::kReadNotAuthorized);
      expect_not_authorized(ask(*u, q_grants(id)), records_message::kGrantsNotAuthorized);
    }
    EXPECT_EQ(ask(*u, q_list()).result, (Json{{"records", Json::array()}}));
  }
  // Readers and writers read content and history, never the grants.
  for (const User* u : {&reader, &writer}) {
    EXPECT_TRUE(ask(*u, q_get("doc-1")).ok);
    EXPECT_TRUE(ask(*u, q_history("doc-1")).ok);
    expect_not_authorized(ask(*u, q_grants("doc-1")), records_message::kGrantsNotAuthorized);
    expect_not_authorized(ask(*u, q_get("doc-2")), records_message::kReadNotAuthorized);
  }
  EXPECT_EQ(ask(reader, q_list()).result,
            (Json{{"records", Json::array({Json{{"id", "doc-1"}, {"access", "read"}, {"version", "1"}, {"deleted", false}}})}}));
  // The owner reads everything of its records, deleted ones included.
  EXPECT_TRUE(ask(owner, q_get("doc-2")).ok);
  Json expected_grants = Json::array({Json{{"account", writer.hex}, {"access", "write"}},
                                      Json{{"account", reader.hex}, {"access", "read"}}});
  if (reader.address < writer.address) std::swap(expected_grants[0], expected_grants[1]);  // sorted by account
  EXPECT_EQ(ask(owner, q_grants("doc-1")).result, (Json{{"id", "doc-1"}, {"grants", expected_grants}}));
  EXPECT_EQ(ask(owner, q_grants("doc-2")).result, (Json{{"id", "doc-2"}, {"grants", Json::array()}}));
  expect_not_authorized(ask(owner, q_get("no-such")), records_message::kReadNotAuthorized);
  EXPECT_EQ(ask(owner, q_list()).result,
            (Json{{"records", Json::array({Json{{"id", "doc-1"}, {"access", "owner"}, {"version", "1"}, {"deleted", false}},
                                           Json{{"id", "doc-2"}, {"access", "owner"}, {"version", "2"}, {"deleted", true}}})}}));
  // No query changes anything.
  const Bytes before = encode(rt);
  for (const User* u : {&owner, &writer, &reader, &revoked, &stranger}) {
    for (const Json& q : {q_get("doc-1"), q_history("doc-1"), q_grants("doc-1"), q_list()}) ask(*u, q);
  }
  EXPECT_EQ(encode(rt), before);
}

TEST_F(RuntimeRecordsOps, ListIsSortedAndShowsTheSendersAccess) {
  accept(rt, stranger, put("b", "x"));
  accept(rt, stranger, put("a", "x"));
  accept(rt, stranger, put("C", "x"));
  accept(rt, stranger, grant("a", reader, "write"));
  accept(rt, stranger, grant("C", reader, "read"));
  std::vector<std::pair<std::string, std::string>> seen;
  const QueryAnswer list = ask(reader, q_list());
  for (const Json& item : list.result["records"]) {
    seen.emplace_back(item["id"].get<std::string>(), item["access"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"C", "read"}, {"a", "write"}, {"doc-1", "read"}}));
}

TEST_F(RuntimeRecordsOps, MalformedQueriesAreRefusedBeforeAnyLookup) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json::object(), "missing \"op\""},
      {Json{{"op", 1}}, "missing \"op\""},
      {Json{{"op", "nonce"}}, "unknown op \"nonce\""},  // the ledger answers nonce before the runtime
      {Json{{"op", "GET"}, {"id", "doc-1"}}, "unknown op \"GET\""},
      {Json{{"op", "get"}}, "missing \"id\""},
      {Json{{"op", "get"}, {"id", 1}}, "\"id\" must be a string"},
      {Json{{"op", "get"}, {"id", nullptr}}, "\"id\" must be a string"},
      {Json{{"op", "get"}, {"id", "doc-1"}, {"x", "y"}}, "unexpected member \"x\""},
      {Json{{"op", "get"}, {"id", "doc 1"}}, "\"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -"},
      {Json{{"op", "get"}, {"id", ""}}, "\"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -"},
      {Json{{"op", "get"}, {"id", std::string(65, 'a')}}, "\"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -"},
      {Json{{"op", "history"}}, "missing \"id\""},
      {Json{{"op", "history"}, {"id", Json::array()}}, "\"id\" must be a string"},
      {Json{{"op", "history"}, {"id", "doc/1"}}, "\"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -"},
      {Json{{"op", "grants"}, {"id", "doc-1"}, {"account", owner.hex}}, "unexpected member \"account\""},
      {Json{{"op", "grants"}, {"id", true}}, "\"id\" must be a string"},
      {Json{{"op", "list"}, {"id", "doc-1"}}, "unexpected member \"id\""},
      {Json{{"op", "list"}, {"all", true}}, "unexpected member \"all\""},
  };
  for (const auto& [query, problem] : cases) {
    for (const User* u : {&owner, &stranger}) {
      const QueryAnswer a = ask(*u, query);
      EXPECT_FALSE(a.ok) << query.dump();
      EXPECT_EQ(a.error_code, "malformed_query") << query.dump();
      EXPECT_EQ(a.message, problem) << query.dump();
    }
  }
}

// ---- rejections ----

TEST_F(RuntimeRecordsOps, EveryRejectionReasonLeavesTheStateUnchanged) {
  // expect_rejected checks the state for each; this lists one case per reason (the other tests
  // cover the remaining paths).
  accept(rt, owner, put("gone", "x"));
  accept(rt, owner, remove("gone"));
  expect_rejected(rt, stranger, put("doc-1", "x"), reason::kNotAuthorized);
  expect_rejected(rt, owner, put("gone", "x"), reason::kRecordDeleted);
  expect_rejected(rt, owner, grant("doc-1", reader, "read"), reason::kAlreadyGranted);
  expect_rejected(rt, owner, revoke("doc-1", stranger), reason::kNotGranted);
  expect_rejected(rt, owner, grant("doc-1", owner, "write"), reason::kGrantToOwner);
  expect_rejected(rt, owner, transfer("doc-1", owner), reason::kAlreadyOwner);
  expect_rejected(rt, owner, transfer("doc-1", kZero), reason::kZeroAddress);
  // Zero address is a property of the command: refused before the record is looked at.
  expect_rejected(rt, stranger, grant("no-such", kZero, "read"), reason::kZeroAddress);
  expect_rejected(rt, stranger, transfer("no-such", kZero), reason::kZeroAddress);
  // Shape errors come before any state rule.
  expect_rejected(rt, stranger, put("doc 1", "x"), "malformed command: \"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -");
  expect_rejected(rt, owner, grant("gone", reader, "admin"), "malformed command: \"access\" must be \"read\" or \"write\"");
}

TEST(RuntimeRecords, StrangersGetOneReasonWhetherOrNotTheRecordExists) {
  RecordsRuntime rt;
  User owner, stranger;
  ASSERT_TRUE(run(rt, owner, put("exists", "x")).applied);
  ASSERT_TRUE(run(rt, owner, put("deleted", "x")).applied);
  ASSERT_TRUE(run(rt, owner, remove("deleted")).applied);
  for (const char* id : {"exists", "deleted", "never"}) {
    expect_rejected(rt, stranger, grant(id, stranger, "read"), reason::kNotAuthorized);
    expect_rejected(rt, stranger, grant(id, owner, "read"), reason::kNotAuthorized);
    expect_rejected(rt, stranger, revoke(id, stranger), reason::kNotAuthorized);
    expect_rejected(rt, stranger, transfer(id, stranger), reason::kNotAuthorized);
    expect_rejected(rt, stranger, remove(id), reason::kNotAuthorized);
  }
  // put is the one command that tells: it creates a free id (documented in records.h).
  expect_rejected(rt, stranger, put("exists", "x"), reason::kNotAuthorized);
  expect_rejected(rt, stranger, put("deleted", "x"), reason::kNotAuthorized);
  EXPECT_TRUE(run(rt, stranger, put("never", "x")).applied);
}

TEST(RuntimeRecords, MalformedCommandsAreRejectedWithTheirProblem) {
  RecordsRuntime rt;
  User owner;
  ASSERT_TRUE(run(rt, owner, put("doc-1", "v1")).applied);
  const std::string id_rule = "malformed command: \"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed command: not a JSON object"},
      {"nul", "malformed command: not a JSON object"},
      {"[]", "malformed command: not a JSON object"},
      {"\"put\"", "malformed command: not a JSON object"},
      {R"({"op":"put","id":"a","content":"x")", "malformed command: not a JSON object"},
      {R"({"op":"put","id":"a","content":"x"} {})", "malformed command: not a JSON object"},
      {R"({"op":"put","id":"a","content":"x","deep":[[[[[1]]]]]})", "malformed command: not a JSON object"},
      {"{}", "malformed command: missing \"op\""},
      {R"({"op":1})", "malformed command: missing \"op\""},
      {R"({"op":null,"id":"a"})", "malformed command: missing \"op\""},
      {R"({"op":"erase","id":"a"})", "malformed command: unknown op \"erase\""},
      {R"({"op":"Put","id":"a","content":"x"})", "malformed command: unknown op \"Put\""},
      {R"({"op":"put","id":"a","id":"b","content":"x"})", "malformed command: duplicate member \"id\""},
      {R"({"op":"put","op":"put","id":"a","content":"x"})", "malformed command: duplicate member \"op\""},
      {R"({"op":"put","id":"a b","content":"x"})", id_rule},
      {R"({"op":"put","id":"a/b","content":"x"})", id_rule},
      {R"({"op":"put","id":"","content":"x"})", id_rule},
      {R"({"op":"put","id":"caf\u00e9","content":"x"})", id_rule},
      {R"({"op":"put","id":"a\u0000","content":"x"})", id_rule},
      {R"({"op":"put","id":")" + std::string(65, 'a') + R"(","content":"x"})", id_rule},
      {R"({"op":"grant","id":"doc-1","account":"0x1234","access":"read"})", "malformed command: \"account\" is not an address"},
      {R"({"op":"grant","id":"doc-1","account":"alice","access":"read"})", "malformed command: \"account\" is not an address"},
      {R"({"op":"revoke","id":"doc-1","account":"0xZZ00000000000000000000000000000000000000"})", "malformed command: \"account\" is not an address"},
      {R"({"op":"transfer","id":"doc-1","to":"")", "malformed command: not a JSON object"},
      {R"({"op":"transfer","id":"doc-1","to":""})", "malformed command: \"to\" is not an address"},
      {R"({"op":"grant","id":"doc-1","account":")" + owner.hex + R"(","access":"admin"})", "malformed command: \"access\" must be \"read\" or \"write\""},
      {R"({"op":"grant","id":"doc-1","account":")" + owner.hex + R"(","access":"READ"})", "malformed command: \"access\" must be \"read\" or \"write\""},
      {R"({"op":"grant","id":"doc-1","account":")" + owner.hex + R"(","access":""})", "malformed command: \"access\" must be \"read\" or \"write\""},
      // Invalid UTF-8 inside strings (raw bytes) and lone surrogate escapes never parse.
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"\xff\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"\xc0\x80\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"\xed\xa0\x80\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"\xe2\x82\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"\xf4\x90\x80\x80\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"\xc3\",\"content\":\"x\"}", "malformed command: not a JSON object"},
      {"{\"op\":\"put\",\"id\":\"a\",\"content\":\"x\",\"\xff\":\"x\"}", "malformed command: not a JSON object"},
      {R"({"op":"put","id":"a","content":"\ud800"})", "malformed command: not a JSON object"},
  };
  // Each member of each command: missing, of every wrong type, and one member too many.
  const std::vector<std::pair<std::string, Json>> commands = {
      {"put", Json{{"op", "put"}, {"id", "doc-1"}, {"content", "x"}}},
      {"grant", Json{{"op", "grant"}, {"id", "doc-1"}, {"account", owner.hex}, {"access", "read"}}},
      {"revoke", Json{{"op", "revoke"}, {"id", "doc-1"}, {"account", owner.hex}}},
      {"transfer", Json{{"op", "transfer"}, {"id", "doc-1"}, {"to", owner.hex}}},
      {"delete", Json{{"op", "delete"}, {"id", "doc-1"}}},
  };
  for (const auto& [op, command] : commands) {
    for (const auto& member : command.items()) {
      if (member.key() == "op") continue;
      Json missing = command;
      missing.erase(member.key());
      cases.emplace_back(missing.dump(), "malformed command: missing \"" + member.key() + "\"");
      for (const Json& wrong : {Json(1), Json(nullptr), Json(true), Json::array(), Json::object(), Json(1.5)}) {
        Json typed = command;
        typed[member.key()] = wrong;
        cases.emplace_back(typed.dump(), "malformed command: \"" + member.key() + "\" must be a string");
      }
    }
    for (const Json& extra : {Json("x"), Json(1), Json(nullptr)}) {
      Json more = command;
      more["zzz"] = extra;
      cases.emplace_back(more.dump(), "malformed command: unexpected member \"zzz\"");
    }
  }
  for (const auto& [payload, why] : cases) {
    const Bytes before = encode(rt);
    const Transition r = run(rt, owner.address, text_bytes(payload), payload);
    EXPECT_FALSE(r.applied) << payload;
    EXPECT_EQ(r.reason, why) << payload;
    EXPECT_EQ(encode(rt), before) << payload;
  }
}

// ---- limits ----

TEST(RuntimeRecords, IdContentAndCommandSizesAreBounded) {
  RecordsRuntime rt;
  User owner;
  const std::string id_rule = "malformed command: \"id\" must be 1..64 bytes of A-Z a-z 0-9 . _ : -";
  EXPECT_TRUE(run(rt, owner, put(std::string(kMaxRecordIdSize, 'a'), "x")).applied);
  EXPECT_TRUE(run(rt, owner, put("AZaz09._:-", "x")).applied);
  expect_rejected(rt, owner, put(std::string(kMaxRecordIdSize + 1, 'a'), "x"), id_rule);
  EXPECT_TRUE(run(rt, owner, put("ascii", std::string(kMaxRecordContentSize, 'c'))).applied);
  expect_rejected(rt, owner, put("ascii", std::string(kMaxRecordContentSize + 1, 'c')),
                  "malformed command: \"content\" must be at most 2048 bytes");
  // The limit counts UTF-8 bytes, not characters: 1024 two-byte characters fit, 683 three-byte ones do not.
  std::string two, three;
  for (int i = 0; i < 1024; ++i) two += "\xc3\xa9";
  for (int i = 0; i < 683; ++i) three += "\xe2\x82\xac";
  EXPECT_TRUE(run(rt, owner, put("utf8", two)).applied);
  expect_rejected(rt, owner, put("utf8", three), "malformed command: \"content\" must be at most 2048 bytes");
  // The whole command: exactly 4096 bytes (escapes make the wire longer than the content) is fine,
  // one byte more is refused before parsing.
  const std::string head = R"({"op":"put","id":"x","content":")";
  const std::string tail = "\"}";
  const size_t wire = kMaxRecordsCommandSize - head.size() - tail.size();
  const size_t escapes = wire - kMaxRecordContentSize;
  std::string body;
  for (size_t i = 0; i < escapes; ++i) body += "\\n";
  body += std::string(wire - 2 * escapes, 'a');
  const std::string exact = head + body + tail;
  ASSERT_EQ(exact.size(), kMaxRecordsCommandSize);
  EXPECT_TRUE(run(rt, owner, exact).applied);
  const std::string over = head + body + "a" + tail;
  expect_rejected(rt, owner, over, "malformed command: larger than 4096 bytes");
  std::string escaped;  // 2048 content bytes written as \u0001: 12 KB of JSON
  for (size_t i = 0; i < kMaxRecordContentSize; ++i) escaped += "\\u0001";
  expect_rejected(rt, owner, head + escaped + tail, "malformed command: larger than 4096 bytes");
}

TEST(RuntimeRecords, TheStoreHoldsAtMostMaxRecordsDeletedOnesIncluded) {
  RecordsRuntime rt;
  User owner, other;
  for (size_t i = 0; i < kMaxRecords; ++i) {
    const Transition r = rt.apply(owner.address, text_bytes(put("r" + std::to_string(i), "x")));
    ASSERT_TRUE(r.applied) << i << ": " << r.reason;
  }
  EXPECT_EQ(rt.record_count(), kMaxRecords);
  expect_rejected(rt, other, put("one-more", "x"), reason::kTooManyRecords);
  EXPECT_TRUE(run(rt, owner, remove("r0")).applied);
  expect_rejected(rt, owner, put("one-more", "x"), reason::kTooManyRecords);  // the deleted id is not freed
  expect_rejected(rt, other, put("r1", "x"), reason::kNotAuthorized);
  EXPECT_TRUE(run(rt, owner, put("r1", "still updatable")).applied);
  EXPECT_EQ(rt.query(owner.address, q_list()).result["records"].size(), kMaxRecords);
  const RecordsRuntime copy = decode_all(encode(rt));
  EXPECT_EQ(encode(copy), encode(rt));
}

TEST(RuntimeRecords, ARecordHoldsAtMostMaxGrants) {
  RecordsRuntime rt;
  User owner;
  ASSERT_TRUE(run(rt, owner, put("doc", "x")).applied);
  std::vector<std::string> accounts;
  for (size_t i = 0; i < kMaxGrantsPerRecord; ++i) {
    accounts.push_back(random_account());
    ASSERT_TRUE(run(rt, owner, grant("doc", accounts.back(), i % 2 ? "read" : "write")).applied);
  }
  EXPECT_EQ(rt.query(owner.address, q_grants("doc")).result["grants"].size(), kMaxGrantsPerRecord);
  const std::string extra = random_account();
  expect_rejected(rt, owner, grant("doc", extra, "read"), reason::kTooManyGrants);
  // Changing the access of a grantee is not a new grant.
  EXPECT_TRUE(run(rt, owner, grant("doc", accounts[0], "read")).applied);
  EXPECT_TRUE(run(rt, owner, revoke("doc", accounts[1])).applied);
  EXPECT_TRUE(run(rt, owner, grant("doc", extra, "read")).applied);
  expect_rejected(rt, owner, grant("doc", accounts[1], "read"), reason::kTooManyGrants);
}

TEST(RuntimeRecords, HistoryKeepsTheNewestEventsAndSaysWhenItDroppedSome) {
  RecordsRuntime rt;
  User owner, reader, churn;
  const size_t puts = kMaxRecordHistory + 6;
  ASSERT_TRUE(run(rt, owner, put("doc", "0")).applied);
  ASSERT_TRUE(run(rt, owner, grant("doc", reader, "read")).applied);
  for (size_t i = 1; i < puts; ++i) ASSERT_TRUE(run(rt, owner, put("doc", std::to_string(i))).applied);
  Json h = rt.query(reader.address, q_history("doc")).result;
  EXPECT_EQ(h["version"], std::to_string(puts));
  EXPECT_EQ(h["truncated"], true);
  ASSERT_EQ(h["entries"].size(), kMaxRecordHistory);
  EXPECT_EQ(h["entries"].front()["version"], std::to_string(puts - kMaxRecordHistory + 1));
  EXPECT_EQ(h["entries"].back()["contentHash"], sha_hex(std::to_string(puts - 1)));

  // Access events fill a log of their own: the reader's view neither shrinks nor says truncated.
  RecordsRuntime fresh;
  ASSERT_TRUE(run(fresh, owner, put("doc", "x")).applied);
  ASSERT_TRUE(run(fresh, owner, grant("doc", reader, "read")).applied);
  for (size_t i = 0; i < kMaxAccessHistory; ++i) {
    ASSERT_TRUE(run(fresh, owner, i % 2 ? revoke("doc", churn) : grant("doc", churn, "write")).applied);
  }
  ASSERT_TRUE(run(fresh, owner, put("doc", "y")).applied);
  h = fresh.query(reader.address, q_history("doc")).result;
  EXPECT_EQ(h["truncated"], false);
  EXPECT_EQ(h["entries"].size(), 2u);
  h = fresh.query(owner.address, q_history("doc")).result;
  EXPECT_EQ(h["truncated"], true);  // the grant to the reader was dropped
  ASSERT_EQ(h["entries"].size(), 2 + kMaxAccessHistory);
  EXPECT_EQ(h["entries"][0]["action"], "put");
  EXPECT_EQ(h["entries"][1]["account"], churn.hex);
  EXPECT_EQ(h["entries"].back()["version"], "2");
  EXPECT_EQ(h["entries"].back()["action"], "put");
}

// ---- check() against apply() ----

struct Cast {
  User owner, writer, reader, revoked, stranger;
  std::vector<const User*> all() const { return {&owner, &writer, &reader, &revoked, &stranger}; }
};

// A few states: empty; a shared record; plus a deleted and a fully granted record; plus a full store.
std::vector<RecordsRuntime> sweep_states(const Cast& c) {
  std::vector<RecordsRuntime> states(1);
  RecordsRuntime s;
  const auto must = [&](const User& u, const std::string& cmd) {
    const Transition r = s.apply(u.address, text_bytes(cmd));
    if (!r.applied) throw std::runtime_error(cmd + ": " + r.reason);
  };
  must(c.owner, put("doc-1", "v1"));
  must(c.owner, grant("doc-1", c.writer, "write"));
  must(c.owner, grant("doc-1", c.reader, "read"));
  must(c.owner, grant("doc-1", c.revoked, "read"));
  must(c.owner, revoke("doc-1", c.revoked));
  states.push_back(s);
  must(c.owner, put("doc-2", "v1"));
  must(c.owner, grant("doc-2", c.reader, "write"));
  must(c.owner, remove("doc-2"));
  must(c.writer, put("doc-3", "w"));
  must(c.writer, grant("doc-3", c.owner, "read"));
  for (size_t i = 1; i < kMaxGrantsPerRecord; ++i) must(c.writer, grant("doc-3", random_account(), "read"));
  states.push_back(s);
  for (size_t i = s.record_count(); i < kMaxRecords; ++i) must(c.stranger, put("z" + std::to_string(i), ""));
  states.push_back(s);
  return states;
}

std::vector<std::string> sweep_commands(const Cast& c) {
  std::vector<std::string> out;
  std::vector<std::string> accounts = {kZero};
  for (const User* u : c.all()) accounts.push_back(u->hex);
  for (const char* id : {"doc-1", "doc-2", "doc-3", "new-id", "z500"}) {
    out.push_back(put(id, "content"));
    out.push_back(put(id, std::string(kMaxRecordContentSize + 1, 'x')));
    out.push_back(remove(id));
    for (const std::string& a : accounts) {
      out.push_back(grant(id, a, "read"));
      out.push_back(grant(id, a, "write"));
      out.push_back(grant(id, a, "none"));
      out.push_back(revoke(id, a));
      out.push_back(transfer(id, a));
    }
  }
  out.push_back(put("bad id", "x"));
  out.push_back(R"({"op":"put","id":"doc-1"})");
  out.push_back(R"({"op":"put","id":"doc-1","content":"x","content":"y"})");
  out.push_back("{\"op\":\"put\",\"id\":\"doc-1\",\"content\":\"\xfe\"}");
  out.push_back(R"({"op":"nope"})");
  return out;
}

TEST(RuntimeRecords, CheckGivesApplysVerdictAndReasonEverywhere) {
  const Cast c;
  const std::vector<RecordsRuntime> states = sweep_states(c);
  const std::vector<std::string> commands = sweep_commands(c);
  std::map<std::string, int> reasons;
  size_t pairs = 0;
  for (const RecordsRuntime& state : states) {
    const Bytes before = encode(state);
    for (const User* sender : c.all()) {
      for (const std::string& cmd : commands) {
        const Transition dry = state.check(sender->address, text_bytes(cmd));
        RecordsRuntime copy = state;
        const Transition real = copy.apply(sender->address, text_bytes(cmd));
        ASSERT_EQ(dry.applied, real.applied) << cmd;
        ASSERT_EQ(dry.reason, real.reason) << cmd;
        ASSERT_TRUE(dry.affected.empty());
        if (real.applied) {
          EXPECT_NE(encode(copy), before) << cmd;
          EXPECT_TRUE(real.affected.count(sender->address)) << "the sender's view changed: " << cmd;
        } else {
          EXPECT_EQ(encode(copy), before) << cmd;
        }
        ++reasons[real.applied ? "applied" : real.reason];
        ++pairs;
      }
    }
    EXPECT_EQ(encode(state), before) << "check changed the state";
  }
  EXPECT_GT(pairs, 3000u);
  // The sweep reaches every reason.
  for (const char* r : {"applied", reason::kNotAuthorized, reason::kRecordDeleted, reason::kTooManyRecords,
                        reason::kTooManyGrants, reason::kAlreadyGranted, reason::kNotGranted, reason::kGrantToOwner,
                        reason::kAlreadyOwner, reason::kZeroAddress}) {
    EXPECT_GT(reasons[r], 0) << r;
  }
}

// ---- canonical encoding ----

// The state format written independently of records.cpp (a second statement of the format), with
// room for what encode never writes.
struct RawEvent {
  uint64_t version = 1;
  Address author{};
  uint8_t action = static_cast<uint8_t>(Action::kPut);
  Address account{};
  uint8_t access = 0;
  Bytes hash;
};
struct RawRecord {
  std::string id;
  Address owner{};
  std::string content;
  uint64_t version = 1;
  uint64_t access_count = 0;
  std::vector<std::pair<Address, uint8_t>> grants;
  std::vector<RawEvent> events;
  std::vector<RawEvent> access_events;
  Bytes trailing;  // written inside the record's vector, after its fields
};

Address account_n(uint8_t n) {
  Address a{};
  a[19] = n;
  a[0] = 0x10;
  return a;
}

Bytes sha(const std::string& s) { return crypto::sha256(ByteView::from_string(s)); }

RawEvent put_event(uint64_t version, const Address& author, const std::string& content) {
  return RawEvent{version, author, static_cast<uint8_t>(Action::kPut), Address{}, 0, sha(content)};
}

RawEvent access_event(uint64_t version, const Address& author, Action action, const Address& account, Access access) {
  return RawEvent{version, author, static_cast<uint8_t>(action), account, static_cast<uint8_t>(access), {}};
}

RawRecord simple_record(const std::string& id, const Address& owner, const std::string& content = "hello") {
  RawRecord r;
  r.id = id;
  r.owner = owner;
  r.content = content;
  r.events = {put_event(1, owner, content)};
  return r;
}

void write_event(mls::TlsWriter& w, const RawEvent& e) {
  w.u64(e.version);
  w.raw(e.author.data(), e.author.size());
  w.u8(e.action);
  w.raw(e.account.data(), e.account.size());
  w.u8(e.access);
  w.opaque(e.hash);
}

Bytes build(const std::vector<RawRecord>& records) {
  mls::TlsWriter out;
  out.vector([&](mls::TlsWriter& all) {
    for (const RawRecord& r : records) {
      all.vector([&](mls::TlsWriter& w) {
        w.opaque(r.id);
        w.raw(r.owner.data(), r.owner.size());
        w.opaque(r.content);
        w.u64(r.version);
        w.u64(r.access_count);
        w.vector([&](mls::TlsWriter& g) {
          for (const auto& [account, access] : r.grants) {
            g.raw(account.data(), account.size());
            g.u8(access);
          }
        });
        w.vector([&](mls::TlsWriter& v) {
          for (const RawEvent& e : r.events) write_event(v, e);
        });
        w.vector([&](mls::TlsWriter& v) {
          for (const RawEvent& e : r.access_events) write_event(v, e);
        });
        w.raw(r.trailing);
      });
    }
  });
  return out.take();
}

void expect_refused(const Bytes& bytes, const std::string& what) {
  RecordsRuntime target;
  User u;
  ASSERT_TRUE(target.apply(u.address, text_bytes(put("keep", "me"))).applied);
  const Bytes before = encode(target);
  mls::TlsReader in(bytes);
  try {
    target.decode(in);
  } catch (const Error&) {
    EXPECT_EQ(encode(target), before) << "a refused decode changed the state: " << what;
    return;
  }
  // Only bytes after a whole state get past decode; the ledger's finish refuses them.
  EXPECT_THROW(in.finish("records state"), Error) << what;
}

TEST(RuntimeRecords, EncodingIsTheDocumentedFormatAndRoundTrips) {
  RecordsRuntime empty;
  EXPECT_EQ(encode(empty), Bytes{0x00});
  EXPECT_EQ(encode(decode_all(Bytes{0x00})), Bytes{0x00});

  User owner, reader;
  RecordsRuntime rt;
  ASSERT_TRUE(rt.apply(owner.address, text_bytes(put("b", "hello"))).applied);
  ASSERT_TRUE(rt.apply(owner.address, text_bytes(put("a", "hello"))).applied);
  ASSERT_TRUE(rt.apply(owner.address, text_bytes(grant("a", reader, "write"))).applied);
  RawRecord a = simple_record("a", owner.address);
  a.access_count = 1;
  a.grants = {{reader.address, 2}};
  a.access_events = {access_event(1, owner.address, Action::kGrant, reader.address, Access::kWrite)};
  EXPECT_EQ(encode(rt), build({a, simple_record("b", owner.address)}));

  // A state with every kind of event round-trips byte for byte and answers the same queries.
  ASSERT_TRUE(rt.apply(reader.address, text_bytes(put("a", "by reader"))).applied);
  ASSERT_TRUE(rt.apply(owner.address, text_bytes(revoke("a", reader))).applied);
  ASSERT_TRUE(rt.apply(owner.address, text_bytes(transfer("a", reader))).applied);
  ASSERT_TRUE(rt.apply(reader.address, text_bytes(remove("a"))).applied);
  const RecordsRuntime copy = decode_all(encode(rt));
  EXPECT_EQ(encode(copy), encode(rt));
  for (const User* u : {&owner, &reader}) {
    for (const Json& q : {q_get("a"), q_history("a"), q_grants("a"), q_get("b"), q_list()}) {
      EXPECT_EQ(copy.query(u->address, q).result, rt.query(u->address, q).result) << q.dump();
    }
  }
}

TEST(RuntimeRecords, DecodeRefusesWhatEncodeNeverWrites) {
  const Address owner = account_n(1);
  const Address other = account_n(2);
  const Address third = account_n(3);
  const RawRecord base = simple_record("a", owner);
  ASSERT_NO_THROW(decode_all(build({base, simple_record("b", owner)})));

  // Record ids: order, repetition, shape.
  expect_refused(build({simple_record("b", owner), simple_record("a", owner)}), "unsorted ids");
  expect_refused(build({base, base}), "repeated id");
  expect_refused(build({simple_record("a b", owner)}), "bad id character");
  expect_refused(build({simple_record("", owner)}), "empty id");
  expect_refused(build({simple_record(std::string(kMaxRecordIdSize + 1, 'a'), owner)}), "long id");
  ASSERT_NO_THROW(decode_all(build({simple_record(std::string(kMaxRecordIdSize, 'a'), owner)})));

  // Content: limit, UTF-8, hash, deletion.
  ASSERT_NO_THROW(decode_all(build({simple_record("a", owner, std::string(kMaxRecordContentSize, 'x'))})));
  expect_refused(build({simple_record("a", owner, std::string(kMaxRecordContentSize + 1, 'x'))}), "content over the limit");
  expect_refused(build({simple_record("a", owner, "\xff")}), "content not UTF-8");
  expect_refused(build({simple_record("a", owner, "\xed\xa0\x80")}), "content holds a surrogate");
  RawRecord r = base;
  r.content = "changed";
  expect_refused(build({r}), "content does not match the newest put");

  // Grants: order, repetition, access, the owner, the zero address, the limit.
  const auto with_grants = [&](std::vector<std::pair<Address, uint8_t>> grants) {
    RawRecord g = base;
    g.grants = std::move(grants);
    return build({g});
  };
  ASSERT_NO_THROW(decode_all(with_grants({{other, 1}, {third, 2}})));
  expect_refused(with_grants({{third, 1}, {other, 1}}), "unsorted grants");
  expect_refused(with_grants({{other, 1}, {other, 2}}), "repeated grant");
  expect_refused(with_grants({{other, 0}}), "grant of nothing");
  expect_refused(with_grants({{other, 3}}), "unknown access");
  expect_refused(with_grants({{owner, 1}}), "grant to the owner");
  expect_refused(with_grants({{Address{}, 1}}), "grant to the zero address");
  std::vector<std::pair<Address, uint8_t>> many;
  for (size_t i = 0; i <= kMaxGrantsPerRecord; ++i) many.emplace_back(account_n(static_cast<uint8_t>(10 + i)), 1);
  expect_refused(with_grants(many), "too many grants");
  many.pop_back();
  ASSERT_NO_THROW(decode_all(with_grants(many)));

  // Record events: count, versions, kinds, fields.
  r = base;
  r.version = 0;
  expect_refused(build({r}), "version 0");
  r = base;
  r.version = 2;
  expect_refused(build({r}), "fewer events than versions");
  r = base;
  r.events.push_back(put_event(2, owner, "hello"));
  expect_refused(build({r}), "more events than versions");
  r.version = 2;
  ASSERT_NO_THROW(decode_all(build({r})));
  r.events[1].version = 3;
  expect_refused(build({r}), "non-consecutive versions");
  r = base;
  r.events[0].action = static_cast<uint8_t>(Action::kTransfer);
  r.events[0].account = owner;
  r.events[0].hash.clear();
  expect_refused(build({r}), "the first event is not a put");
  r = base;
  r.version = 3;
  r.content.clear();
  r.events = {put_event(1, owner, "hello"), access_event(2, owner, Action::kDelete, Address{}, Access::kNone),
              put_event(3, owner, "")};
  expect_refused(build({r}), "an event after a delete");
  r.version = 2;
  r.events.pop_back();
  ASSERT_NO_THROW(decode_all(build({r})));
  r.content = "hello";
  expect_refused(build({r}), "content of a deleted record");
  r = base;
  r.version = 2;
  r.events.push_back(access_event(2, owner, Action::kGrant, other, Access::kRead));
  expect_refused(build({r}), "a grant among the record events");
  for (uint8_t action : {uint8_t{0}, uint8_t{6}, uint8_t{255}}) {
    r = base;
    r.events[0].action = action;
    expect_refused(build({r}), "unknown action");
  }
  r = base;
  r.events[0].hash.pop_back();
  expect_refused(build({r}), "short content hash");
  r = base;
  r.events[0].account = other;
  expect_refused(build({r}), "a put with an account");
  r = base;
  r.events[0].access = 1;
  expect_refused(build({r}), "a put with an access");
  r = base;
  r.events[0].author = other;
  expect_refused(build({r}), "the creator is not the owner and nothing was transferred");
  r = base;
  r.version = 2;
  r.events.push_back(access_event(2, owner, Action::kTransfer, other, Access::kNone));
  expect_refused(build({r}), "owner is not the transfer's recipient");
  r.owner = other;
  ASSERT_NO_THROW(decode_all(build({r})));
  r.events[1].account = Address{};
  expect_refused(build({r}), "a transfer to nobody");

  // A full history: exactly the newest kMaxRecordHistory events.
  r = base;
  r.version = kMaxRecordHistory + 1;
  r.events.clear();
  for (uint64_t v = 2; v <= r.version; ++v) r.events.push_back(put_event(v, owner, "hello"));
  ASSERT_NO_THROW(decode_all(build({r})));
  r.events.insert(r.events.begin(), put_event(1, owner, "hello"));
  expect_refused(build({r}), "more events kept than the limit");

  // Access events: count, versions, kinds.
  r = base;
  r.access_count = 1;
  r.access_events = {access_event(1, owner, Action::kGrant, other, Access::kRead)};
  ASSERT_NO_THROW(decode_all(build({r})));
  r.access_count = 2;
  expect_refused(build({r}), "fewer access events than counted");
  r.access_count = 0;
  expect_refused(build({r}), "more access events than counted");
  r.access_count = 1;
  r.access_events[0].version = 2;
  expect_refused(build({r}), "an access event from the future");
  r.access_events[0].version = 0;
  expect_refused(build({r}), "an access event at version 0");
  r.access_events[0] = put_event(1, owner, "hello");
  expect_refused(build({r}), "a put among the access events");
  r.access_events[0] = access_event(1, owner, Action::kGrant, other, Access::kNone);
  expect_refused(build({r}), "a grant of nothing");
  r.access_events[0] = access_event(1, owner, Action::kRevoke, other, Access::kRead);
  expect_refused(build({r}), "a revoke with an access");
  r.access_events[0] = access_event(1, owner, Action::kRevoke, Address{}, Access::kNone);
  expect_refused(build({r}), "a revoke of nobody");
  r = base;
  r.version = 2;
  r.events.push_back(put_event(2, owner, "hello"));
  r.access_count = 2;
  r.access_events = {access_event(2, owner, Action::kGrant, other, Access::kRead),
                     access_event(1, owner, Action::kRevoke, other, Access::kNone)};
  expect_refused(build({r}), "access events out of order");
  r.access_count = kMaxAccessHistory + 1;
  r.access_events.clear();
  for (size_t i = 0; i < kMaxAccessHistory; ++i) r.access_events.push_back(access_event(2, owner, Action::kGrant, other, Access::kRead));
  ASSERT_NO_THROW(decode_all(build({r})));
  r.access_events.push_back(access_event(2, owner, Action::kGrant, other, Access::kRead));
  expect_refused(build({r}), "more access events kept than the limit");

  // The store: at most kMaxRecords.
  std::vector<RawRecord> full;
  for (size_t i = 0; i < kMaxRecords; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "r%05zu", i);
    full.push_back(simple_record(id, owner));
  }
  ASSERT_NO_THROW(decode_all(build(full)));
  full.push_back(simple_record("z", owner));
  expect_refused(build(full), "too many records");

  // Truncated anywhere, or followed by anything.
  r = base;
  r.grants = {{other, 1}};
  r.access_count = 1;
  r.access_events = {access_event(1, owner, Action::kGrant, other, Access::kRead)};
  const Bytes good = build({r, simple_record("b", other)});
  ASSERT_NO_THROW(decode_all(good));
  for (size_t cut = 0; cut < good.size(); ++cut) {
    expect_refused(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)), "truncated at " + std::to_string(cut));
  }
  Bytes trailing = good;
  trailing.push_back(0);
  expect_refused(trailing, "a byte after the state");
  r.trailing = {0};
  expect_refused(build({r}), "a byte inside a record after its fields");
  // A vector length that runs past the end.
  Bytes overlong = good;
  overlong[0] = static_cast<uint8_t>(overlong[0] + 1);
  expect_refused(overlong, "outer length past the end");
}

TEST(RuntimeRecords, TheLargestStateStaysWithinItsDocumentedBound) {
  // Every limit reached at once: kMaxRecords records, each with a 64-byte id, full content, full
  // grants and both histories full.
  const User owner;
  const std::string content(kMaxRecordContentSize, 'c');
  std::vector<RawRecord> records;
  for (size_t i = 0; i < kMaxRecords; ++i) {
    RawRecord r;
    const std::string n = std::to_string(1000 + i);
    r.id = std::string(kMaxRecordIdSize - n.size(), 'r') + n;
    r.owner = owner.address;
    r.content = content;
    r.version = 1000;
    for (uint64_t v = r.version - kMaxRecordHistory + 1; v <= r.version; ++v) r.events.push_back(put_event(v, owner.address, content));
    for (size_t g = 0; g < kMaxGrantsPerRecord; ++g) r.grants.emplace_back(account_n(static_cast<uint8_t>(10 + g)), 2);
    r.access_count = 1000;
    for (size_t g = 0; g < kMaxAccessHistory; ++g) {
      r.access_events.push_back(access_event(r.version, owner.address, Action::kGrant, account_n(static_cast<uint8_t>(10 + g)), Access::kWrite));
    }
    records.push_back(std::move(r));
  }
  const Bytes state = build(records);
  EXPECT_LE(state.size(), kMaxRecordsStateSize);
  EXPECT_GT(state.size(), kMaxRecordsStateSize / 100 * 95) << "the bound should be close";
  RecordsRuntime rt = decode_all(state);
  EXPECT_EQ(encode(rt), state);
  EXPECT_EQ(rt.query(owner.address, q_list()).result["records"].size(), kMaxRecords);
  // The full store still takes updates: the oldest events drop, the size stays.
  ASSERT_TRUE(run(rt, owner, put(records[0].id, content)).applied);
  ASSERT_TRUE(run(rt, owner, grant(records[0].id, format_address(account_n(10)), "read")).applied);
  EXPECT_EQ(encode(rt).size(), state.size());
  expect_rejected(rt, owner, put("one-more", "x"), reason::kTooManyRecords);
}

TEST(RuntimeRecords, CountersAtTheirMaximumRefuseToWrap) {
  User owner, reader;
  RawRecord r;
  r.id = "doc";
  r.owner = owner.address;
  r.content = "x";
  r.version = kMaxU64;
  for (uint64_t i = 0; i < kMaxRecordHistory; ++i) r.events.push_back(put_event(kMaxU64 - (kMaxRecordHistory - 1) + i, owner.address, "x"));
  r.grants = {{reader.address, 1}};
  r.access_count = kMaxU64;
  for (size_t i = 0; i < kMaxAccessHistory; ++i) {
    r.access_events.push_back(access_event(kMaxU64, owner.address, Action::kGrant, reader.address, Access::kRead));
  }
  RecordsRuntime rt = decode_all(build({r}));
  expect_rejected(rt, owner, put("doc", "y"), reason::kCounterOverflow);
  expect_rejected(rt, owner, remove("doc"), reason::kCounterOverflow);
  expect_rejected(rt, owner, transfer("doc", reader), reason::kCounterOverflow);
  expect_rejected(rt, owner, grant("doc", reader, "write"), reason::kCounterOverflow);
  expect_rejected(rt, owner, revoke("doc", reader), reason::kCounterOverflow);
  EXPECT_EQ(rt.query(reader.address, q_get("doc")).result["version"], "18446744073709551615");
}

// ---- determinism ----

TEST(RuntimeRecords, TwoInstancesFedTheSameCommandsStayByteIdentical) {
  const Cast c;
  std::vector<const User*> users = c.all();
  const std::vector<std::string> ids = {"doc-1", "doc-2", "shared:a", "x", "y.z", "Q-9", "r_1", "s"};
  std::mt19937 rng(14);  // fixed seed: the same sequence on every run
  const auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  RecordsRuntime a, b;
  std::map<std::string, int> outcomes;
  for (int step = 0; step < 600; ++step) {
    const std::string& id = ids[pick(ids.size())];
    // Mostly the record's owner (when it has one), so that most commands get past authorization.
    const User* sender = users[pick(users.size())];
    if (pick(3) != 0) {
      for (const User* u : users) {
        const QueryAnswer got = a.query(u->address, q_get(id));
        if (got.ok && got.result["access"] == "owner") sender = u;
      }
    }
    const User& other = *users[pick(users.size())];
    std::string cmd;
    const size_t kind = pick(100);
    if (kind < 40) cmd = put(id, "content " + std::to_string(step));
    else if (kind < 65) cmd = grant(id, other, pick(2) ? "read" : "write");
    else if (kind < 83) cmd = revoke(id, other);
    else if (kind < 95 || step < 500) cmd = transfer(id, other);  // deletes late: a deleted record takes little else
    else cmd = remove(id);
    const User& from = *sender;
    const Transition x = a.apply(from.address, text_bytes(cmd));
    const Transition y = b.apply(from.address, text_bytes(cmd));
    ASSERT_EQ(x.applied, y.applied) << step << " " << cmd;
    ASSERT_EQ(x.reason, y.reason) << step << " " << cmd;
    ASSERT_EQ(x.affected, y.affected) << step << " " << cmd;
    ASSERT_EQ(encode(a), encode(b)) << step << " " << cmd;
    ++outcomes[x.applied ? "applied" : x.reason];
    if (step % 50 == 0) {
      const std::unique_ptr<Runtime> cloned = a.clone();
      ASSERT_EQ(encode(*cloned), encode(a));
      ASSERT_EQ(encode(decode_all(encode(a))), encode(a)) << step;
    }
  }
  // The sequence exercises acceptance and most rejections.
  EXPECT_GT(outcomes["applied"], 250);
  EXPECT_GE(outcomes.size(), 7u);
  for (const User* u : users) {
    for (const Json& q : {q_list(), q_get("doc-1"), q_history("doc-1"), q_grants("doc-1")}) {
      const QueryAnswer x = a.query(u->address, q);
      const QueryAnswer y = b.query(u->address, q);
      EXPECT_EQ(x.ok, y.ok);
      EXPECT_EQ(x.result, y.result);
      EXPECT_EQ(x.message, y.message);
    }
  }
}

TEST(RuntimeRecords, LedgerReplicasAgreeAndTheStateIsTheRecordsRuntimes) {
  const EntryKey key = make_entry_key(crypto::random_secret(kEntryKeySize));
  const EntryScope scope{text_bytes("records"), 1};
  User owner, reader;
  const Address producer = address_from_bytes(crypto::random_bytes(kAddressSize));
  std::vector<Bytes> log;
  const std::vector<std::pair<const User*, std::string>> commands = {
      {&owner, put("doc", "v1")},         {&owner, grant("doc", reader, "read")},
      {&reader, put("doc", "mine")},      {&owner, put("doc", "v2")},
      {&owner, revoke("doc", reader)},    {&reader, remove("doc")},
  };
  std::map<const User*, uint64_t> nonces;
  for (const auto& [user, cmd] : commands) {
    log.push_back(seal_entry(key, scope, EntryPosition{producer, log.size()},
                             entry_plaintext(user->command(nonces[user]++, cmd), fixtures::test_domain())));
  }
  Ledger a{std::make_unique<RecordsRuntime>()};
  Ledger b{std::make_unique<RecordsRuntime>()};
  const SecretBytes hash_key = crypto::random_secret(kStateHashKeySize);
  std::vector<std::string> outcomes;
  for (const Bytes& e : log) {
    const EntryOutcome x = a.apply_entry(a.last_applied() + 1, scope, e, key);
    const EntryOutcome y = b.apply_entry(b.last_applied() + 1, scope, e, key);
    EXPECT_EQ(x.applied, y.applied);
    EXPECT_EQ(x.reason, y.reason);
    EXPECT_EQ(x.changed, y.changed);
    EXPECT_EQ(a.state_hash(hash_key), b.state_hash(hash_key));
    outcomes.push_back(x.applied ? "applied" : x.reason);
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"applied", "applied", reason::kNotAuthorized, "applied", "applied",
                                                reason::kNotAuthorized}));
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_EQ(a.query(owner.address, q_get("doc")).result["content"], "v2");
  expect_not_authorized(a.query(reader.address, q_get("doc")), records_message::kReadNotAuthorized);
  // The sealed state names the runtime: it restores as records, never as another runtime.
  const Ledger restored = Ledger::deserialize(a.serialize(), std::make_unique<RecordsRuntime>());
  EXPECT_EQ(restored.serialize(), a.serialize());
  EXPECT_THROW(Ledger::deserialize(a.serialize(), std::make_unique<TokenRuntime>()), Error);
}

}  // namespace
}  // namespace anonify::runtime
