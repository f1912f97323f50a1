// state_sign_batch: one CiphertextBatch signature over entries this enclave's state_submit produced
// in the current epoch, recovering to the enclave address over the digest AnonifyGroup computes;
// foreign, replayed-across-epochs, repeated, empty, oversized and malformed batches are refused and
// change nothing.
#include <gtest/gtest.h>

#include "anonify/crypto/keccak.h"
#include "mls_protocol_node.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using enclave::testing_mls::Node;
using fixtures::User;
using fixtures::client_seal;
using fixtures::init_token;
using fixtures::transfer;

constexpr size_t kContractMaxBatchSize = 128;  // AnonifyGroup.MAX_BATCH_SIZE

Json domain_json() {
  return Json{{"chainId", "31337"}, {"verifyingContract", "0x" + to_hex(fixtures::test_domain().verifying_contract)}};
}

Bytes hpke_of(Node& node) { return from_hex(node.call("evidence")["hpkePublicKey"].get<std::string>()); }

class RuntimeBatchSigning : public ::testing::Test {
 protected:
  void SetUp() override {
    address_a = a.call("evidence")["address"].get<std::string>();
    enclave::testing_mls::form_two_member_group(a, b);
  }

  Json submit(Node& node, const SignedCommand& c) {
    const std::string sealed = "0x" + to_hex(client_seal(hpke_of(node), kCommandInfo, c.to_json().dump()));
    return node.call("state_submit", Json{{"payload", sealed}, {"domain", domain_json()}});
  }
  static Json batch_params(const Json& entries, const std::string& epoch) {
    return Json{{"entries", entries}, {"epoch", epoch}, {"domain", domain_json()}};
  }
  // What must not change when a batch is refused (or signed: signing is read-only).
  static Json observable(Node& node) { return node.call("state_status"); }

  anonify::testing::TempDir dir_a, dir_b;
  Node a{dir_a.path()};
  Node b{dir_b.path()};
  std::string address_a;
  User owner, alice, bob;
};

TEST_F(RuntimeBatchSigning, SignsEntriesOfSeveralUsersOverTheContractsDigest) {
  const Json init = submit(a, owner.command(0, init_token("1000")));
  // Applied first: state_submit's dry run refuses other commands to a token not yet initialized.
  const Json init_params{{"stateCounter", "1"}, {"epoch", "2"}, {"entry", init["entry"]}, {"blockTimestamp", "1700000100"}};
  ASSERT_EQ(a.call("state_apply", init_params)["outcome"], "applied");
  ASSERT_EQ(b.call("state_apply", init_params)["outcome"], "applied");
  const std::vector<Json> submitted = {init, submit(a, alice.command(0, transfer(bob, "0"))),
                                       submit(a, bob.command(0, transfer(alice, "0")))};
  Json entries = Json::array();
  std::vector<Bytes> entry_bytes;
  for (const Json& s : submitted) {
    entries.push_back(s["entry"]);
    entry_bytes.push_back(from_hex(s["entry"].get<std::string>()));
  }
  const Json before = observable(a);
  const Json signed_batch = a.call("state_sign_batch", batch_params(entries, "2"));
  EXPECT_EQ(observable(a), before);

  // payloadsHash = keccak256(keccak256(c_0) ‖ keccak256(c_1) ‖ keccak256(c_2)), as the contract computes it.
  Bytes concatenated;
  for (const Bytes& e : entry_bytes) {
    const Bytes h = crypto::keccak256(e);
    concatenated.insert(concatenated.end(), h.begin(), h.end());
  }
  const Bytes payloads_hash = crypto::keccak256(concatenated);
  EXPECT_EQ(payloads_hash, crypto::eip712::batch_payloads_hash(entry_bytes));
  EXPECT_EQ(signed_batch["payloadsHash"], "0x" + to_hex(payloads_hash));
  // The batch takes this enclave's post numbers 0..2 of the epoch (its entries' producer sequences).
  EXPECT_EQ(signed_batch["firstSequence"], "0");
  const Bytes digest = crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(fixtures::test_domain()),
                                                         crypto::eip712::ciphertext_batch_struct_hash(2, 0, payloads_hash));
  const Bytes signature = from_hex(signed_batch["signature"].get<std::string>());
  ASSERT_EQ(signature.size(), 65u);
  EXPECT_EQ("0x" + to_hex(crypto::eth_recover_address(digest, signature)), address_a);
  // A batch signature is not a single-entry signature of the same hash (distinct type).
  const Bytes single = crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(fixtures::test_domain()),
                                                         crypto::eip712::ciphertext_struct_hash(2, 0, payloads_hash));
  EXPECT_NE("0x" + to_hex(crypto::eth_recover_address(single, signature)), address_a);

  // Any run of consecutive numbers is signable (the host picks what fits in one transaction) ...
  const Json tail = a.call("state_sign_batch", batch_params(Json::array({entries[1], entries[2]}), "2"));
  EXPECT_EQ(tail["firstSequence"], "1");
  EXPECT_EQ(tail["payloadsHash"], "0x" + to_hex(crypto::eip712::batch_payloads_hash({entry_bytes[1], entry_bytes[2]})));
  // ... but not another order or a gap: the contract takes a batch as one range of post numbers.
  const Json reordered = a.error("state_sign_batch", batch_params(Json::array({entries[2], entries[0]}), "2"));
  EXPECT_EQ(reordered["code"], "invalid_params");
  EXPECT_NE(reordered["message"].get<std::string>().find("expected 3"), std::string::npos) << reordered.dump();
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array({entries[0], entries[2]}), "2")), "invalid_params");

  // The batch's entries apply in order on both enclaves as stateCounters 1..3 (the first already did).
  for (size_t i = 1; i < submitted.size(); ++i) {
    const Json params{{"stateCounter", std::to_string(i + 1)}, {"epoch", "2"}, {"entry", entries[i]}, {"blockTimestamp", "1700000100"}};
    const Json ra = a.call("state_apply", params);
    const Json rb = b.call("state_apply", params);
    EXPECT_EQ(ra["outcome"], "applied") << ra.dump();
    EXPECT_EQ(ra["stateHash"], rb["stateHash"]);
    EXPECT_EQ(ra["commandId"], submitted[i]["commandId"]);
  }
}

TEST_F(RuntimeBatchSigning, RefusesEntriesItDidNotProduce) {
  const Json mine = submit(a, owner.command(0, init_token("1000")));
  const Json theirs = submit(b, alice.command(0, init_token("1000")));
  const Json before_a = observable(a);
  const Json before_b = observable(b);

  // b's entry is valid for the group, but a did not encrypt it.
  const Json foreign = a.error("state_sign_batch", batch_params(Json::array({mine["entry"], theirs["entry"]}), "2"));
  EXPECT_EQ(foreign["code"], "unknown_entry");
  EXPECT_NE(foreign["message"].get<std::string>().find("entries[1]"), std::string::npos) << foreign.dump();
  EXPECT_EQ(b.error_code("state_sign_batch", batch_params(Json::array({mine["entry"]}), "2")), "unknown_entry");
  // A flipped byte makes another entry.
  std::string tampered = mine["entry"].get<std::string>();
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array({tampered}), "2")), "unknown_entry");
  // The same entry twice would log one command twice.
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array({mine["entry"], mine["entry"]}), "2")), "invalid_params");
  EXPECT_EQ(observable(a), before_a);
  EXPECT_EQ(observable(b), before_b);
}

TEST_F(RuntimeBatchSigning, OnlyTheCurrentEpochIsSigned) {
  const Json old = submit(a, owner.command(0, init_token("1000")));
  const Json entries = Json::array({old["entry"]});
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(entries, "1")), "epoch_mismatch");
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(entries, "3")), "epoch_mismatch");
  EXPECT_NO_THROW(a.call("state_sign_batch", batch_params(entries, "2")));

  // The group moves to chain epoch 3: the old entry can no longer be posted, so it is not signed
  // for either epoch; an entry made in the new epoch is.
  const Json update = b.call("mls_commit_update");
  a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  b.call("mls_process_handshake", Json{{"handshake", update["handshake"]}});
  ASSERT_EQ(a.call("state_status")["epoch"], "3");
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(entries, "2")), "epoch_mismatch");
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(entries, "3")), "unknown_entry");
  const Json fresh = submit(a, owner.command(0, init_token("1000")));
  EXPECT_EQ(fresh["epoch"], "3");
  EXPECT_NO_THROW(a.call("state_sign_batch", batch_params(Json::array({fresh["entry"]}), "3")));
}

TEST_F(RuntimeBatchSigning, EmptyOversizedAndMalformedBatchesAreInvalidParams) {
  const Json s = submit(a, owner.command(0, init_token("1000")));
  const Json before = observable(a);
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array(), "2")), "invalid_params");
  Json oversized = Json::array();
  for (size_t i = 0; i <= kContractMaxBatchSize; ++i) oversized.push_back(s["entry"]);
  const Json too_many = a.error("state_sign_batch", batch_params(oversized, "2"));
  EXPECT_EQ(too_many["code"], "invalid_params");
  EXPECT_NE(too_many["message"].get<std::string>().find("1..128"), std::string::npos) << too_many.dump();
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(s["entry"], "2")), "invalid_params");  // not an array
  const Json bad_hex = a.error("state_sign_batch", batch_params(Json::array({s["entry"], "0xzz"}), "2"));
  EXPECT_EQ(bad_hex["code"], "invalid_params");
  EXPECT_NE(bad_hex["message"].get<std::string>().find("entries[1]"), std::string::npos) << bad_hex.dump();
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array({42}), "2")), "invalid_params");
  EXPECT_EQ(a.error_code("state_sign_batch", batch_params(Json::array({s["entry"]}), "two")), "invalid_params");
  EXPECT_EQ(a.error_code("state_sign_batch", Json{{"entries", Json::array({s["entry"]})}, {"epoch", "2"}}), "invalid_params");
  EXPECT_EQ(a.error_code("state_sign_batch", Json{{"epoch", "2"}, {"domain", domain_json()}}), "invalid_params");
  EXPECT_EQ(observable(a), before);
}

TEST(RuntimeBatchSigningWithoutGroup, NotMemberBeforeJoining) {
  anonify::testing::TempDir dir;
  Node lone{dir.path()};
  EXPECT_EQ(lone.error_code("state_sign_batch", Json{{"entries", Json::array({"0x01"})}, {"epoch", "1"}, {"domain", domain_json()}}),
            "not_member");
}

}  // namespace
}  // namespace anonify::runtime
