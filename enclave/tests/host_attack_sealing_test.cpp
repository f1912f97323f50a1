// The host against sealed state (review 2026-12, F4): it copies, renames, rolls back and moves
// sealed blobs, while the enclave runs and across restarts. While running, memory is the
// authority (no blob is read after init); across restarts, blobs are bound to their name, their
// instance and a generation the store's manifest records; after a restart the enclave retires
// its leaf secrets with a self-update before it produces anything.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include "anonify/enclave/enclave.h"
#include "anonify/enclave/sealing.h"
#include "mls_protocol_node.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using enclave::testing_mls::Node;
using fixtures::User;
using fixtures::client_seal;
using fixtures::init_token;
using fixtures::transfer;
namespace fs = std::filesystem;

Json domain_json() {
  return Json{{"chainId", "31337"}, {"verifyingContract", "0x" + to_hex(fixtures::test_domain().verifying_contract)}};
}

Json submit_params(Node& node, const SignedCommand& c) {
  const Bytes hpke = from_hex(node.call("evidence")["hpkePublicKey"].get<std::string>());
  return Json{{"payload", "0x" + to_hex(client_seal(hpke, kCommandInfo, c.to_json().dump()))}, {"domain", domain_json()}};
}

// The block time every entry here is applied at (state_apply requires one: the chain clock).
constexpr uint64_t kBlockTime = 1'700'000'100;

Json apply_params(uint64_t counter, const Json& submitted) {
  return Json{{"stateCounter", std::to_string(counter)},
              {"epoch", submitted["epoch"]},
              {"entry", submitted["entry"]},
              {"blockTimestamp", std::to_string(kBlockTime)}};
}

// Copies a whole data directory (key file included): what a host keeps as an "old copy".
void copy_dir(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

void copy_file(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// Two enclaves in one group: a created it, b joined by external commit (MLS epoch 1).
struct TwoMembers {
  TwoMembers() { enclave::testing_mls::form_two_member_group(a, b); }
  anonify::testing::TempDir dir_a, dir_b;
  Node a{dir_a.path()};
  Node b{dir_b.path()};
};

// F4: a member (b) is removed at MLS epoch 2; the host copies a's epoch-1 group blob back in place
// without a restart. The runtime keeps the epoch-2 keys (it never reads the blob back), so b's old
// copy cannot open what is submitted after its removal. Before the fix the runtime re-read the blob
// on every call: state_status said epoch 2 and the new entry opened under b's old keys.
TEST(HostAttack, SealedBlobSwapWhileRunningHasNoEffect) {
  TwoMembers g;
  Node& a = g.a;
  Node& b = g.b;
  const std::string blob = g.dir_a.file("mls-group.sealed");
  anonify::testing::TempDir saved;
  copy_file(blob, saved.file("mls-group.sealed"));
  anonify::testing::TempDir b_old;  // b's whole directory at epoch 1, kept by the host
  copy_dir(g.dir_b.path(), b_old.path());

  const Json rm = a.call("mls_commit_remove", Json{{"leaves", Json::array({1})}});
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", rm["handshake"]}})["outcome"], "removed");
  a.call("mls_process_handshake", Json{{"handshake", rm["handshake"]}});
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 1);
  EXPECT_EQ(a.call("state_status")["epoch"], "3");

  copy_file(saved.file("mls-group.sealed"), blob);  // the host's rollback, no restart
  EXPECT_EQ(a.call("mls_status")["group"]["epoch"], 2);
  EXPECT_EQ(a.call("state_status")["epoch"], "3") << "the runtime went back to the pre-removal epoch";

  User owner;
  const Json s = a.call("state_submit", submit_params(a, owner.command(0, init_token("5"))));
  EXPECT_EQ(s["epoch"], "3");
  EXPECT_EQ(a.call("state_apply", apply_params(1, s))["outcome"], "applied");

  // b's copy from before its removal holds the epoch-1 keys: it must not read the new entry.
  Node removed(b_old.path());
  EXPECT_EQ(removed.call("mls_status")["group"]["epoch"], 1);
  EXPECT_EQ(removed.error_code("state_apply", apply_params(1, s)), "epoch_mismatch")
      << "the removed member read a command submitted after its removal";

  // The swapped blob is refused at the next start (older than the manifest's generation), and
  // left in place.
  const std::string swapped = anonify::testing::read_text_file(blob);
  const Json refused = a.restart_error();
  EXPECT_EQ(refused["code"], "sealed_data_stale") << refused.dump();
  EXPECT_EQ(anonify::testing::read_text_file(blob), swapped);
}

// A swap of the runtime's blob while running changes nothing either: reads and applies go on from
// memory, and the next write supersedes the swapped file. The runtime state lives inside the store
// manifest (one file write per apply), so the host swaps the manifest. At a restart, an older
// manifest is a rollback of the blobs it carries, like a copy of the whole directory: the enclave
// comes up at the older state, and the chain's next entry brings it back to the same state hash
// (docs/security.md "Sealed state").
TEST(HostAttack, RuntimeStateSwapWhileRunningHasNoEffect) {
  TwoMembers g;
  Node& a = g.a;
  User owner, alice;
  const Json s1 = a.call("state_submit", submit_params(a, owner.command(0, init_token("100"))));
  a.call("state_apply", apply_params(1, s1));
  // Both slots of the manifest (alternating_file.h): a start takes the newest of them.
  const std::string slot_a = g.dir_a.file(std::string(enclave::kSealManifestName) + enclave::kSealedFileSuffix);
  const std::array<std::string, 2> slots{slot_a, slot_a + enclave::kSecondSlotSuffix};
  ASSERT_FALSE(std::filesystem::exists(g.dir_a.file("runtime-state.sealed")));
  anonify::testing::TempDir saved;
  for (size_t i = 0; i < slots.size(); ++i) copy_file(slots[i], saved.file("manifest-" + std::to_string(i)));
  const Json s2 = a.call("state_submit", submit_params(a, owner.command(1, transfer(alice, "40"))));
  const Json applied = a.call("state_apply", apply_params(2, s2));
  for (size_t i = 0; i < slots.size(); ++i) copy_file(saved.file("manifest-" + std::to_string(i)), slots[i]);
  const Json status = a.call("state_status");
  EXPECT_EQ(status["lastApplied"], "2");
  EXPECT_EQ(status["stateHash"], applied["stateHash"]);
  EXPECT_EQ(a.error_code("state_submit", submit_params(a, owner.command(1, transfer(alice, "1")))), "nonce_mismatch");

  a.restart();
  EXPECT_EQ(a.call("state_status")["lastApplied"], "1");
  const Json again = a.call("state_apply", apply_params(2, s2));
  EXPECT_EQ(again["outcome"], "applied");
  EXPECT_EQ(again["stateHash"], applied["stateHash"]);
}

// Restart: an older generation of a blob (the rest of the directory current) is refused.
TEST(HostAttack, OldGenerationBlobAfterRestartIsRefused) {
  TwoMembers g;
  Node& a = g.a;
  const std::string blob = g.dir_a.file("mls-group.sealed");
  const std::string old_blob = anonify::testing::read_text_file(blob);
  const Json update = a.call("mls_commit_update");
  a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  { std::ofstream(blob, std::ios::binary | std::ios::trunc) << old_blob; }
  const Json refused = a.restart_error();
  EXPECT_EQ(refused["code"], "sealed_data_stale");
  EXPECT_NE(refused["message"].get<std::string>().find("older than"), std::string::npos) << refused.dump();
  EXPECT_EQ(anonify::testing::read_text_file(blob), old_blob);  // never replaced
  EXPECT_EQ(a.error_code("mls_status"), "invalid_state");    // nothing was loaded
}

// Restart: a blob renamed to another name, a blob listed in the manifest but removed, and a
// removed manifest are refused.
TEST(HostAttack, RenamedMissingBlobsAndMissingManifestAreRefused) {
  {
    TwoMembers g;
    copy_file(g.dir_a.file("identity.sealed"), g.dir_a.file("mls-group.sealed"));
    EXPECT_EQ(g.a.restart_error()["code"], "sealed_data_corrupt");  // the name is authenticated
  }
  {
    TwoMembers g;
    fs::remove(g.dir_a.file("mls-group.sealed"));  // "forget" the group
    const Json refused = g.a.restart_error();
    EXPECT_EQ(refused["code"], "sealed_data_stale");
    EXPECT_NE(refused["message"].get<std::string>().find("missing"), std::string::npos) << refused.dump();
  }
  {
    TwoMembers g;
    fs::remove(g.dir_a.file("store-manifest.sealed"));  // both slots of the manifest
    fs::remove(g.dir_a.file(std::string("store-manifest.sealed") + enclave::kSecondSlotSuffix));
    EXPECT_EQ(g.a.restart_error()["code"], "sealed_data_stale");
  }
}

// Restart: a blob of another instance of the same enclave (same measurement and, as on one SGX
// CPU, the same sealing key) is refused as foreign.
TEST(HostAttack, BlobFromAnotherInstanceIsRefused) {
  TwoMembers g;
  anonify::testing::TempDir other_dir;
  // The other instance shares the sealing key: its directory starts with a copy of the key file.
  copy_file(g.dir_a.file(enclave::kSimulationSealKeyFile), other_dir.file(enclave::kSimulationSealKeyFile));
  Node other(other_dir.path());
  other.create_group(enclave::testing_mls::test_domain());
  // Same name, same key, newer generation: only the instance tells it apart.
  copy_file(other_dir.file("mls-group.sealed"), g.dir_a.file("mls-group.sealed"));
  const Json refused = g.a.restart_error();
  EXPECT_EQ(refused["code"], "sealed_data_foreign");
  EXPECT_NE(refused["message"].get<std::string>().find("another instance"), std::string::npos) << refused.dump();
  // Another instance's identity copied into a directory: its other blobs (the manifest first) are
  // foreign to it.
  anonify::testing::TempDir moved;
  copy_dir(g.dir_a.path(), moved.path());
  copy_file(other_dir.file("identity.sealed"), moved.file("identity.sealed"));
  enclave::Enclave probe(enclave::make_simulation_platform(), std::nullopt);
  try {
    probe.init(moved.path());
    ADD_FAILURE() << "a directory with another instance's identity opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kSealedDataForeign) << e.what();
  }
  EXPECT_FALSE(probe.initialized());
}

// Whole-directory rollback between runs is not refused by the store, but the chain exposes it: an
// old copy of a's directory, started after a retired its leaf secrets with a self-update, cannot
// apply that update from the log (it did not stage it, and its secrets are not the new ones), so it
// stays at the old epoch and produces nothing.
TEST(HostAttack, AnOldCopyCannotFollowPastTheSelfUpdateThatRetiredItsSecrets) {
  TwoMembers g;
  anonify::testing::TempDir old_copy;
  copy_dir(g.dir_a.path(), old_copy.path());
  g.a.restart();
  const Json update = g.a.call("mls_commit_update");
  EXPECT_EQ(g.b.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(g.a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "own_commit");

  Node old(old_copy.path());
  EXPECT_EQ(old.call("mls_status")["selfUpdateRequired"], true);
  const std::string before = old.mls_fingerprint();
  const Json refused = old.error("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  EXPECT_EQ(refused["code"], "invalid_message");  // "a commit from our own leaf that we did not stage"
  EXPECT_EQ(old.mls_fingerprint(), before);
  EXPECT_EQ(old.call("mls_status")["group"]["epoch"], 1);
  EXPECT_EQ(g.a.call("mls_status")["group"]["epoch"], 2);
  User owner;
  EXPECT_EQ(old.error_code("state_submit", submit_params(old, owner.command(0, init_token("1")))), "self_update_required");
  std::printf("[old copy] the later self-update is refused: %s\n", refused.dump().c_str());
}

// After a restart from sealed state the enclave produces no state entry and no handshake but its
// own self-update until that commit is applied from the log (an older copy of the directory holds
// the same leaf secrets); applying others' entries and handshakes goes on meanwhile.
TEST(SelfUpdateAfterRestart, NothingIsProducedUntilTheEnclavesOwnUpdateIsApplied) {
  TwoMembers g;
  Node& a = g.a;
  Node& b = g.b;
  User owner, alice;
  const Json s1 = a.call("state_submit", submit_params(a, owner.command(0, init_token("100"))));
  a.call("state_apply", apply_params(1, s1));
  b.call("state_apply", apply_params(1, s1));
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], false);  // a fresh run needs none
  EXPECT_EQ(a.call("state_status")["selfUpdateRequired"], false);

  a.restart();
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], true);
  EXPECT_EQ(a.call("state_status")["selfUpdateRequired"], true);
  const std::string before = a.mls_fingerprint();
  const Json status_before = a.call("state_status");
  EXPECT_EQ(a.error_code("state_submit", submit_params(a, owner.command(1, transfer(alice, "1")))), "self_update_required");
  EXPECT_EQ(a.error_code("state_snapshot", Json{{"domain", domain_json()}}), "self_update_required");
  EXPECT_EQ(a.error_code("mls_protect", Json{{"data", "0x01"}}), "self_update_required");
  EXPECT_EQ(a.error_code("mls_commit_remove", Json{{"leaves", Json::array({1})}}), "self_update_required");
  EXPECT_EQ(a.mls_fingerprint(), before);
  EXPECT_EQ(a.call("state_status"), status_before);

  // Others' entries still apply.
  const Json s2 = b.call("state_submit", submit_params(b, owner.command(1, transfer(alice, "10"))));
  EXPECT_EQ(a.call("state_apply", apply_params(2, s2))["outcome"], "applied");
  EXPECT_EQ(b.call("state_apply", apply_params(2, s2))["outcome"], "applied");

  // a's first self-update is superseded by b's commit: the requirement stays.
  const Json first = a.call("mls_commit_update");
  const Json by_b = b.call("mls_commit_update");
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", by_b["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", by_b["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], true);
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", first["handshake"]}}), "wrong_epoch");
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], true);

  // The next one is applied: a may produce again.
  const Json second = a.call("mls_commit_update");
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", second["handshake"]}})["outcome"], "commit");
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", second["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(a.call("mls_status")["selfUpdateRequired"], false);
  const Json s3 = a.call("state_submit", submit_params(a, owner.command(2, transfer(alice, "5"))));
  EXPECT_EQ(a.call("state_apply", apply_params(3, s3))["outcome"], "applied");
  EXPECT_EQ(b.call("state_apply", apply_params(3, s3))["outcome"], "applied");

  // A restart without a group needs no self-update.
  anonify::testing::TempDir lone;
  Node n(lone.path());
  n.restart();
  EXPECT_EQ(n.call("mls_status")["selfUpdateRequired"], false);
}

}  // namespace
}  // namespace anonify::runtime
