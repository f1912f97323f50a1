// "A failed request changes nothing in the enclave" (PROTOCOL.md) for the MLS methods: every refused
// request below leaves the group, the follower, the public state and the sealed file as they were.
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "anonify/mls/handshake_entry.h"
#include "mls_protocol_node.h"

namespace anonify::enclave {
namespace {

using testing_mls::Node;
using testing_mls::test_domain;

constexpr const char* kGroupId = "0x616e6f6e";

Json with_domain(Json params, const Json& domain) {
  params["domain"] = domain;
  return params;
}

// Domains that must be refused, with the field the error has to name.
std::vector<std::pair<Json, std::string>> bad_domains() {
  Json no_chain_id = test_domain();
  no_chain_id.erase("chainId");
  Json short_contract = test_domain();
  short_contract["verifyingContract"] = "0x00000000000000000000000000000000000000";
  Json negative_chain_id = test_domain();
  negative_chain_id["chainId"] = -1;
  Json numeric_name = test_domain();
  numeric_name["name"] = 7;
  return {{no_chain_id, "params.domain.chainId"},
          {short_contract, "params.domain.verifyingContract"},
          {negative_chain_id, "params.domain.chainId"},
          {numeric_name, "params.domain.name"},
          {Json("0x01"), "params.domain"}};
}

// A log entry built from parts of other entries (hex in, hex out).
std::string entry_hex(const Json& commit_hex, const Json& group_info_hex) {
  const mls::HandshakeEntry entry{from_hex(commit_hex.get<std::string>()), from_hex(group_info_hex.get<std::string>())};
  return "0x" + to_hex(mls::tls_encode(entry));
}

TEST(MlsMethodRefusals, BadDomainCreatesStagesAndSealsNothing) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  Node a(dir_a.path());
  Node b(dir_b.path());

  for (const auto& [domain, field] : bad_domains()) {
    const std::string before = a.mls_fingerprint();
    const Json error = a.error("mls_create_group", with_domain(Json{{"groupId", kGroupId}}, domain));
    EXPECT_EQ(error["code"], "invalid_params");
    EXPECT_NE(error["message"].get<std::string>().find(field), std::string::npos) << error.dump();
    EXPECT_EQ(a.mls_fingerprint(), before) << "create with " << domain.dump();
  }
  EXPECT_TRUE(a.call("mls_status")["group"].is_null());
  const Json genesis = a.create_group(test_domain());

  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  for (const auto& [domain, field] : bad_domains()) {
    const std::string before = b.mls_fingerprint();
    EXPECT_EQ(b.error_code("mls_join_external", with_domain(Json::object(), domain)), "invalid_params");
    EXPECT_EQ(b.error_code("mls_join_external", with_domain(Json{{"groupInfo", genesis["groupInfo"]}}, domain)),
              "invalid_params");
    EXPECT_EQ(b.mls_fingerprint(), before) << "join with " << domain.dump();
  }
  EXPECT_TRUE(b.call("mls_status")["group"].is_null());
  testing_mls::admit_all({&a, &b});
  const Json join = b.call("mls_join_external", Json{{"domain", test_domain()}});
  a.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  b.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});

  for (const auto& [domain, field] : bad_domains()) {
    const std::string before = a.mls_fingerprint();
    const Json update_error = a.error("mls_commit_update", with_domain(Json::object(), domain));
    EXPECT_EQ(update_error["code"], "invalid_params");
    EXPECT_NE(update_error["message"].get<std::string>().find(field), std::string::npos) << update_error.dump();
    EXPECT_EQ(a.error_code("mls_commit_remove", with_domain(Json{{"leaves", Json::array({1})}}, domain)),
              "invalid_params");
    EXPECT_EQ(a.mls_fingerprint(), before) << "commit with " << domain.dump();
  }
  EXPECT_EQ(a.call("mls_status")["group"]["stagedCommit"], false);
}

TEST(MlsMethodRefusals, OnlyAValidEntrySupersedesAStagedJoin) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  testing::TempDir dir_c;
  testing::TempDir dir_d;
  Node a(dir_a.path());
  Node b(dir_b.path());  // joins from its follower
  Node c(dir_c.path());  // the competing joiner
  Node d(dir_d.path());  // joins from a GroupInfo it was given, with no follower
  testing_mls::admit_all({&a, &b, &c, &d});
  const Json genesis = a.create_group(test_domain());
  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  c.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  const Json b_join = b.call("mls_join_external", Json{{"domain", test_domain()}});
  const Json c_join = c.call("mls_join_external", Json{{"domain", test_domain()}});
  const Json d_join = d.call("mls_join_external", Json{{"groupInfo", genesis["groupInfo"]}, {"domain", test_domain()}});
  EXPECT_TRUE(d.call("mls_status")["followedEpoch"].is_null());

  // Entries that are not a valid commit of the joined epoch, with the code each is refused with.
  const std::vector<std::pair<std::string, std::string>> invalid_entries{
      {"0x01ff00", "decode_error"},                                                  // commit is not an MLSMessage
      {entry_hex(c_join["commit"], b_join["groupInfo"]), "invalid_message"},         // GroupInfo of another commit
      {entry_hex(c_join["commit"], genesis["groupInfo"]), "invalid_message"},        // GroupInfo of the old epoch
      {entry_hex(c_join["commit"], Json("0x0001")), "decode_error"},                       // GroupInfo does not decode
  };
  for (Node* joiner : {&b, &d}) {
    for (const auto& [entry, code] : invalid_entries) {
      const std::string before = joiner->mls_fingerprint();
      EXPECT_EQ(joiner->error_code("mls_process_handshake", Json{{"handshake", entry}}), code) << entry;
      EXPECT_EQ(joiner->mls_fingerprint(), before) << entry;
    }
    const Json status = joiner->call("mls_status")["group"];
    EXPECT_EQ(status["member"], false);
    EXPECT_EQ(status["stagedCommit"], true);
  }

  // The log carries c's join: b's and d's joins are superseded, and both follow the new epoch.
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", c_join["handshake"]}})["outcome"], "external_join");
  for (Node* joiner : {&b, &d}) {
    const Json seen = joiner->call("mls_process_handshake", Json{{"handshake", c_join["handshake"]}});
    EXPECT_EQ(seen["outcome"], "join_superseded");
    EXPECT_FALSE(seen.contains("status"));
    const Json status = joiner->call("mls_status");
    EXPECT_TRUE(status["group"].is_null());
    EXPECT_EQ(status["followedEpoch"], 1);
    EXPECT_EQ(joiner->call("mls_public_state")["groupInfo"], c_join["groupInfo"]);
  }
  // The superseded join's own entry is now a stale entry for the follower.
  EXPECT_EQ(b.error_code("mls_process_handshake", Json{{"handshake", b_join["handshake"]}}), "wrong_epoch");

  // b rejoins from the state it follows and becomes the third member.
  const Json rejoin = b.call("mls_join_external", Json{{"domain", test_domain()}});
  EXPECT_EQ(rejoin["chainEpoch"], 2);
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", rejoin["handshake"]}})["status"]["memberCount"], 3);
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", rejoin["handshake"]}})["outcome"], "own_commit");
}

TEST(MlsMethodRefusals, EntriesNeedAGroupOrAFollowedLog) {
  testing::TempDir dir_a;
  testing::TempDir dir_e;
  Node a(dir_a.path());
  Node e(dir_e.path());
  a.create_group(test_domain());
  const Json update = a.call("mls_commit_update");

  const std::string before = e.mls_fingerprint();
  const Json processed = e.error("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  const Json followed = e.error("mls_follow", Json{{"handshake", update["handshake"]}});
  EXPECT_EQ(processed["code"], "invalid_state");
  EXPECT_EQ(followed["code"], "invalid_state");
  for (const Json& error : {processed, followed}) {
    EXPECT_NE(error["message"].get<std::string>().find("genesis"), std::string::npos) << error.dump();
  }
  EXPECT_EQ(e.mls_fingerprint(), before);
}

TEST(MlsMethodRefusals, ARemovedMemberFollowsTheLogUntilRestart) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  Node a(dir_a.path());
  Node b(dir_b.path());
  testing_mls::admit_all({&a, &b});
  const Json genesis = a.create_group(test_domain());
  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  const Json join = b.call("mls_join_external", Json{{"domain", test_domain()}});
  for (Node* n : {&a, &b}) n->call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  EXPECT_TRUE(b.call("mls_status")["followedEpoch"].is_null());  // a member serves the public state itself

  const Json remove = a.call("mls_commit_remove", Json{{"leaves", Json::array({1})}});
  // A removal entry whose GroupInfo is not the commit's result is refused like any other entry.
  const std::string forged = entry_hex(remove["commit"], join["groupInfo"]);
  const std::string before = b.mls_fingerprint();
  EXPECT_EQ(b.error_code("mls_process_handshake", Json{{"handshake", forged}}), "invalid_message");
  EXPECT_EQ(b.mls_fingerprint(), before);
  EXPECT_EQ(b.call("mls_status")["group"]["member"], true);

  const Json removed = b.call("mls_process_handshake", Json{{"handshake", remove["handshake"]}});
  EXPECT_EQ(removed["outcome"], "removed");
  EXPECT_EQ(removed["committer"], 0);
  a.call("mls_process_handshake", Json{{"handshake", remove["handshake"]}});
  EXPECT_TRUE(b.call("mls_status")["group"].is_null());
  EXPECT_EQ(b.call("mls_status")["followedEpoch"], 2);
  EXPECT_EQ(b.call("mls_public_state")["groupInfo"], remove["groupInfo"]);

  // Later entries are followed; the follower refuses garbage without changing.
  const Json update = a.call("mls_commit_update");
  a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  const std::string following = b.mls_fingerprint();
  EXPECT_EQ(b.error_code("mls_process_handshake", Json{{"handshake", "0x01ff00"}}), "decode_error");
  EXPECT_EQ(b.mls_fingerprint(), following);
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "followed");
  EXPECT_EQ(b.call("mls_status")["followedEpoch"], 3);
  EXPECT_EQ(b.call("mls_public_state")["epoch"], a.call("mls_public_state")["epoch"]);

  // The follower is not sealed: after a restart the log is replayed from genesis.
  b.restart();
  const Json update2 = a.call("mls_commit_update");
  const std::string restarted = b.mls_fingerprint();
  EXPECT_EQ(b.error_code("mls_process_handshake", Json{{"handshake", update2["handshake"]}}), "invalid_state");
  EXPECT_EQ(b.mls_fingerprint(), restarted);
}

TEST(MlsMethodRefusals, RefusedMemberRequestsChangeNothing) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  Node a(dir_a.path());
  Node b(dir_b.path());
  testing_mls::admit_all({&a, &b});
  const Json genesis = a.create_group(test_domain());
  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  const Json join = b.call("mls_join_external", Json{{"domain", test_domain()}});
  for (Node* n : {&a, &b}) n->call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  const Json wrapped = b.call("mls_protect", Json{{"data", "0x01"}});
  EXPECT_EQ(a.call("mls_unprotect", Json{{"message", wrapped["message"]}})["data"], "0x01");
  a.call("mls_commit_update");  // a staged commit is part of the state too

  const std::vector<std::tuple<std::string, Json, std::string>> refused{
      {"mls_create_group", Json{{"groupId", kGroupId}}, "invalid_state"},
      {"mls_join_external", Json::object(), "invalid_state"},
      {"mls_follow", Json{{"handshake", join["handshake"]}}, "invalid_state"},
      {"mls_commit_remove", Json{{"leaves", Json::array()}}, "invalid_params"},
      {"mls_commit_remove", Json{{"leaves", Json::array({0})}}, "invalid_message"},     // own leaf
      {"mls_commit_remove", Json{{"leaves", Json::array({1, 1})}}, "invalid_message"},  // listed twice
      {"mls_commit_remove", Json{{"leaves", Json::array({7})}}, "invalid_message"},     // not in the tree
      {"mls_process_handshake", Json{{"handshake", "0x0102"}}, "decode_error"},
      {"mls_process_handshake", Json{{"handshake", join["handshake"]}}, "wrong_epoch"},  // replay
      {"mls_protect", Json::object(), "invalid_params"},
      {"mls_unprotect", Json{{"message", "0x0001"}}, "decode_error"},  // truncated MLSMessage
      {"mls_unprotect", Json{{"message", wrapped["message"]}}, "invalid_message"},  // key used up
      {"mls_export_secret", Json{{"label", "anonify state"}, {"length", 32}}, "invalid_params"},
      {"mls_export_secret", Json{{"label", "interop"}, {"length", 0}}, "invalid_params"},
  };
  for (const auto& [method, params, code] : refused) {
    const std::string before = a.mls_fingerprint();
    EXPECT_EQ(a.error_code(method, params), code) << method << " " << params.dump();
    EXPECT_EQ(a.mls_fingerprint(), before) << method << " " << params.dump();
  }
  EXPECT_EQ(a.call("mls_status")["group"]["stagedCommit"], true);
}

TEST(MlsMethodRefusals, SealIncludesTheGroupOnceAnMlsMethodRan) {
  testing::TempDir dir;
  Node n(dir.path());
  n.create_group(test_domain());
  const Json sealed = n.call("seal")["sealed"];
  EXPECT_NE(std::find(sealed.begin(), sealed.end(), "mls-group"), sealed.end()) << sealed.dump();
  n.restart();
  n.call("mls_status");
  const Json resealed = n.call("seal")["sealed"];
  EXPECT_NE(std::find(resealed.begin(), resealed.end(), "mls-group"), resealed.end()) << resealed.dump();
  EXPECT_EQ(n.call("mls_status")["group"]["epoch"], 0);
}

}  // namespace
}  // namespace anonify::enclave
