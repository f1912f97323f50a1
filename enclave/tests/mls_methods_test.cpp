// The MLS host protocol methods, driven through the enclave's dispatcher like the host drives them.
#include <algorithm>

#include "mls_protocol_node.h"

namespace anonify::enclave {
namespace {

using testing_mls::Node;

TEST(MlsMethods, CreateFollowJoinCommitAndResumeAfterRestart) {
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  Node a(dir_a.path());
  Node b(dir_b.path());
  const Json domain = testing_mls::test_domain();

  const Json genesis = a.create_group(domain);
  EXPECT_EQ(genesis["chainEpoch"], 0);
  EXPECT_EQ(genesis["signature"].get<std::string>().size(), 2U + 2 * 65);
  EXPECT_EQ(a.error_code("mls_create_group", Json{{"groupId", "0x01"}}), "invalid_state");

  // b rebuilds the public state from the log and joins from it alone.
  EXPECT_EQ(b.error_code("mls_join_external"), "invalid_params");
  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  testing_mls::admit_all({&a, &b});
  const Json join = b.call("mls_join_external", Json{{"domain", domain}});
  EXPECT_EQ(join["chainEpoch"], 1);
  const Json a_seen = a.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  EXPECT_EQ(a_seen["outcome"], "external_join");
  const Json b_seen = b.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  EXPECT_EQ(b_seen["outcome"], "own_commit");
  EXPECT_EQ(a_seen["status"]["epochAuthenticator"], b_seen["status"]["epochAuthenticator"]);
  EXPECT_EQ(a_seen["status"]["memberCount"], 2);

  // Replays and garbage are refused with a reason.
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", join["handshake"]}}), "wrong_epoch");
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", "0x0102"}}), "decode_error");

  // Exporter values agree; the reserved namespace stays inside.
  const Json export_params{{"label", "interop"}, {"context", "0x01"}, {"length", 32}};
  EXPECT_EQ(a.call("mls_export_secret", export_params)["secret"], b.call("mls_export_secret", export_params)["secret"]);
  EXPECT_EQ(a.error_code("mls_export_secret", Json{{"label", "anonify state"}, {"length", 32}}), "invalid_params");

  // Host-wrapped application messages round-trip; a replay is refused.
  const Json wrapped = a.call("mls_protect", Json{{"data", "0xc0ffee"}});
  EXPECT_EQ(b.call("mls_unprotect", Json{{"message", wrapped["message"]}})["data"], "0xc0ffee");
  EXPECT_EQ(b.error_code("mls_unprotect", Json{{"message", wrapped["message"]}}), "invalid_message");

  // b commits an update; a restarts in between and resumes from its sealed state.
  const Json update = b.call("mls_commit_update", Json{{"domain", domain}});
  EXPECT_EQ(update["chainEpoch"], 2);
  a.restart();
  EXPECT_EQ(a.call("mls_status")["group"]["epoch"], 1);
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(a.call("mls_status")["group"]["epochAuthenticator"], b.call("mls_status")["group"]["epochAuthenticator"]);

  // Restarted from sealed state, a retires its leaf secrets before anything else: a self-update.
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], true);
  EXPECT_EQ(a.error_code("mls_commit_remove", Json{{"leaves", Json::array({1})}}), "self_update_required");
  const Json self_update = a.call("mls_commit_update", Json{{"domain", domain}});
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], true);  // until it is applied from the log
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", self_update["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", self_update["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], false);
  EXPECT_EQ(b.call("mls_status")["selfUpdateRequired"], false);

  // a removes b.
  EXPECT_EQ(a.error_code("mls_commit_remove", Json{{"leaves", Json::array()}}), "invalid_params");
  const Json remove = a.call("mls_commit_remove", Json{{"leaves", Json::array({1})}});
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", remove["handshake"]}})["outcome"], "removed");
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", remove["handshake"]}})["status"]["memberCount"], 1);
  EXPECT_EQ(b.error_code("mls_commit_update"), "invalid_state");
}

TEST(MlsMethods, AreRegisteredAndNeedInit) {
  const std::vector<std::string> names = registered_methods();
  for (const char* m : {"mls_create_group", "mls_follow", "mls_public_state", "mls_join_external", "mls_commit_update",
                        "mls_commit_remove", "mls_process_handshake", "mls_status", "mls_protect", "mls_unprotect",
                        "mls_export_secret", "mls_admit_evidence"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), m), names.end()) << m;
  }
  Enclave enclave(make_simulation_platform(), std::nullopt);
  EnclaveDispatcher d = make_dispatcher();
  const std::string body = R"({"id":1,"method":"mls_status"})";
  const Bytes out = d.handle(enclave, ByteView::from_string(body));
  EXPECT_EQ(Json::parse(out.begin(), out.end())["error"]["code"], "invalid_state");
}

}  // namespace
}  // namespace anonify::enclave
