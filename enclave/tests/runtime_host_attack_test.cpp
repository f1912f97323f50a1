// A hostile host against the state runtime, through the dispatcher (the review's F2, F3 and F5
// scenarios, 2026-12 enclave review): unusable reply keys, replayed and stale read/subscription
// envelopes, lengths that would tell who a command touched or how large a balance is, and entries
// of one producer fed out of their order.
#include <gtest/gtest.h>

#include "anonify/crypto/hpke.h"
#include "host_attack_suite.h"
#include "mls_protocol_node.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using enclave::testing_mls::Node;
using fixtures::User;
using fixtures::client_open;
using fixtures::client_open_padded;
using fixtures::client_seal;
using fixtures::init_token;
using fixtures::transfer;

constexpr uint64_t kBlockTime = 1'700'000'100;
constexpr uint64_t kIssuedAt = 1'700'000'000;

Json domain_json() {
  return Json{{"chainId", "31337"}, {"verifyingContract", "0x" + to_hex(fixtures::test_domain().verifying_contract)}};
}
Bytes hex_bytes(const Json& j) { return from_hex(j.get<std::string>()); }

// X25519 points of small order (and non-canonical encodings of them): each gives the all-zero
// shared secret with every private key.
const std::vector<std::string>& low_order_points() {
  static const std::vector<std::string> points = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  return points;
}

struct SealedRequest {
  Json params;
  crypto::hpke::KeyPair reply;
};

class RuntimeScene {
 protected:
  RuntimeScene() {
    a.create_group(enclave::testing_mls::test_domain());
    hpke = hex_bytes(a.call("evidence")["hpkePublicKey"]);
  }

  Json submit(const SignedCommand& c) {
    return a.call("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke, kCommandInfo, c.to_json().dump()))},
                                       {"domain", domain_json()}});
  }
  static Json apply_params(uint64_t counter, const Json& submitted, uint64_t block_time = kBlockTime) {
    return Json{{"stateCounter", std::to_string(counter)},
                {"epoch", submitted["epoch"]},
                {"entry", submitted["entry"]},
                {"blockTimestamp", std::to_string(block_time)}};
  }
  SealedRequest read_request(const User& user, const std::string& query, uint64_t issued_at = kIssuedAt,
                             std::optional<Bytes> reply_key = std::nullopt) {
    SealedRequest r{Json(), crypto::hpke::generate_key_pair()};
    const Bytes key = reply_key ? *reply_key : r.reply.public_key;
    const Bytes q = fixtures::text_bytes(query);
    const Bytes hash = crypto::eip712::read_struct_hash(user.address, crypto::keccak256(q), key, issued_at);
    const Json request{{"sender", user.hex},
                       {"query", "0x" + to_hex(q)},
                       {"replyKey", "0x" + to_hex(key)},
                       {"issuedAt", std::to_string(issued_at)},
                       {"signature", "0x" + to_hex(fixtures::sign(user.key, fixtures::test_domain(), hash))}};
    r.params = Json{{"payload", "0x" + to_hex(client_seal(hpke, kReadInfo, request.dump()))}, {"domain", domain_json()}};
    return r;
  }
  SealedRequest subscription(const User& user, uint64_t issued_at = kIssuedAt, std::optional<Bytes> reply_key = std::nullopt) {
    SealedRequest r{Json(), crypto::hpke::generate_key_pair()};
    const Bytes key = reply_key ? *reply_key : r.reply.public_key;
    const Bytes hash = crypto::eip712::subscribe_struct_hash(user.address, key, issued_at);
    const Json s{{"account", user.hex},
                 {"replyKey", "0x" + to_hex(key)},
                 {"issuedAt", std::to_string(issued_at)},
                 {"signature", "0x" + to_hex(fixtures::sign(user.key, fixtures::test_domain(), hash))}};
    r.params = Json{{"payload", "0x" + to_hex(client_seal(hpke, kSubscribeInfo, s.dump()))}, {"domain", domain_json()}};
    return r;
  }
  std::string balance_query(const User& user) const { return R"({"op":"balanceOf","account":")" + user.hex + "\"}"; }
  Json open_reply(const SealedRequest& r, const Json& result) const {
    return Json::parse(client_open(hex_bytes(result["reply"]), r.reply.private_key, kReadReplyInfo));
  }

  anonify::testing::TempDir dir;
  Node a{dir.path()};
  Bytes hpke;
  User owner, alice, bob, mallory;
};

// F3: a low-order or all-zero reply key is refused when the read or subscription arrives, with a
// specific error and no effect; every later apply succeeds and notifies the other subscribers.
ANONIFY_HOST_ATTACK_TEST(RuntimeScene, LowOrderReplyKeyRefusedAndApplyUnaffected) {
  const SealedRequest alice_sub = subscription(alice);
  const std::string alice_id = a.call("state_subscribe", alice_sub.params)["subscriptionId"];
  for (const std::string& point : low_order_points()) {
    const Bytes key = from_hex(point);
    const Json before = a.call("state_status");
    EXPECT_EQ(a.error_code("state_subscribe", subscription(mallory, kIssuedAt, key).params), "invalid_reply_key") << point;
    EXPECT_EQ(a.error_code("state_read", read_request(mallory, balance_query(mallory), kIssuedAt, key).params), "invalid_reply_key")
        << point;
    EXPECT_EQ(a.call("state_status"), before) << point;
  }
  EXPECT_EQ(a.call("state_status")["subscriptions"], 1);

  const Json s1 = submit(owner.command(0, init_token("1000")));
  const Json r1 = a.call("state_apply", apply_params(1, s1));
  EXPECT_EQ(r1["outcome"], "applied");
  ASSERT_EQ(r1["notifications"].size(), 1u);
  EXPECT_EQ(r1["notifications"][0]["subscriptionId"], alice_id);
  const Json s2 = submit(owner.command(1, transfer(alice, "5")));
  const Json r2 = a.call("state_apply", apply_params(2, s2));
  EXPECT_EQ(r2["outcome"], "applied");
  EXPECT_EQ(Json::parse(client_open(hex_bytes(r2["notifications"][0]["payload"]), alice_sub.reply.private_key, kNotifyInfo)),
            (Json{{"stateCounter", "2"}, {"changed", true}}));
  EXPECT_EQ(a.call("state_status")["lastApplied"], "2");

  // lastApplied moves only with the state it belongs to: a refused apply leaves both as they were.
  const Json s3 = submit(owner.command(2, transfer(alice, "5")));
  const Json before = a.call("state_status");
  EXPECT_EQ(a.error_code("state_apply", Json{{"stateCounter", "3"}, {"epoch", "7"}, {"entry", s3["entry"]}, {"blockTimestamp", "1"}}),
            "epoch_mismatch");
  EXPECT_EQ(a.error_code("state_apply", Json{{"stateCounter", "3"}, {"epoch", s3["epoch"]}, {"entry", s3["entry"]}}), "invalid_params");
  EXPECT_EQ(a.call("state_status"), before);
  EXPECT_EQ(a.call("state_apply", apply_params(3, s3))["outcome"], "applied");
}

// F2: read and subscription envelopes are single-use and must be fresh against the chain clock;
// notifications have one length, replies a length independent of the balance.
ANONIFY_HOST_ATTACK_TEST(RuntimeScene, ReplayedReadRefused) {
  const Json s1 = submit(owner.command(0, init_token("1000000000000000000000")));
  ASSERT_EQ(a.call("state_apply", apply_params(1, s1))["outcome"], "applied");
  EXPECT_EQ(a.call("state_status")["chainTime"], std::to_string(kBlockTime));

  // A captured read answers once; played again it is refused (also after a restart).
  const SealedRequest read = read_request(alice, balance_query(alice));
  const Json first = a.call("state_read", read.params);
  EXPECT_EQ(open_reply(read, first)["result"], "0");
  EXPECT_EQ(a.error_code("state_read", read.params), "replayed_request");
  a.restart();
  EXPECT_EQ(a.error_code("state_read", read.params), "replayed_request");
  // Restarted from sealed state, a retires its leaf secrets before it produces entries again.
  const Json update = a.call("mls_commit_update");
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", update["handshake"]}})["outcome"], "own_commit");
  // The same for a subscription: registered once only.
  const SealedRequest sub = subscription(bob);
  const std::string bob_id = a.call("state_subscribe", sub.params)["subscriptionId"];
  EXPECT_EQ(a.error_code("state_subscribe", sub.params), "replayed_request");
  EXPECT_EQ(a.call("state_status")["subscriptions"], 1);
  const SealedRequest alice_sub = subscription(alice);
  const std::string alice_id = a.call("state_subscribe", alice_sub.params)["subscriptionId"];

  // Stale: issuedAt more than the window (600 s by default, or the host's choice within bounds)
  // before the newest block applied.
  EXPECT_EQ(a.error_code("state_read", read_request(alice, balance_query(alice), kBlockTime - 601).params), "stale_request");
  EXPECT_EQ(a.error_code("state_subscribe", subscription(alice, kBlockTime - 601).params), "stale_request");
  EXPECT_EQ(a.call("state_read", read_request(alice, balance_query(alice), kBlockTime - 600).params).contains("reply"), true);
  SealedRequest wider = read_request(alice, balance_query(alice), kBlockTime - 1000);
  wider.params["issuedAtWindow"] = "1200";
  EXPECT_TRUE(a.call("state_read", wider.params).contains("reply"));
  for (const char* bad : {"59", "3601", "-1"}) {
    SealedRequest r = read_request(alice, balance_query(alice));
    r.params["issuedAtWindow"] = bad;
    EXPECT_EQ(a.error_code("state_read", r.params), "invalid_params") << bad;
  }
  // A newer block moves the clock: what was fresh is stale now.
  const SealedRequest kept = read_request(alice, balance_query(alice));
  const Json s2 = submit(owner.command(1, transfer(alice, "250")));
  const Json applied = a.call("state_apply", apply_params(2, s2, kBlockTime + 700));
  EXPECT_EQ(a.error_code("state_read", kept.params), "stale_request");
  // ...an older block time never moves it back.
  EXPECT_EQ(a.call("state_apply", apply_params(3, submit(owner.command(2, transfer(bob, "1"))), 1))["outcome"], "applied");
  EXPECT_EQ(a.call("state_status")["chainTime"], std::to_string(kBlockTime + 700));

  // The recipient's and the bystander's notifications of the transfer have the same length.
  Bytes to_alice, to_bob;
  for (const Json& n : applied["notifications"]) (n["subscriptionId"] == alice_id ? to_alice : to_bob) = hex_bytes(n["payload"]);
  ASSERT_FALSE(to_alice.empty());
  ASSERT_FALSE(to_bob.empty());
  EXPECT_EQ(to_alice.size(), to_bob.size());
  EXPECT_EQ(Json::parse(client_open(to_alice, alice_sub.reply.private_key, kNotifyInfo))["changed"], true);
  EXPECT_EQ(Json::parse(client_open(to_bob, sub.reply.private_key, kNotifyInfo))["changed"], false);
  EXPECT_EQ(client_open_padded(to_bob, sub.reply.private_key, kNotifyInfo).size(), kNotificationSize);
  (void)bob_id;

  // Replies: balances of 0, 250 and 22 digits give replies of one length.
  std::vector<size_t> lengths;
  std::vector<std::string> balances;
  for (const User* user : {&mallory, &alice, &owner}) {
    const SealedRequest r = read_request(*user, balance_query(*user), kBlockTime + 700);
    const Json result = a.call("state_read", r.params);
    lengths.push_back(hex_bytes(result["reply"]).size());
    balances.push_back(open_reply(r, result)["result"]);
    EXPECT_EQ(client_open_padded(hex_bytes(result["reply"]), r.reply.private_key, kReadReplyInfo).size(), kReplyBuckets[0]);
  }
  EXPECT_EQ(balances, (std::vector<std::string>{"0", "250", "999999999999999999749"}));
  EXPECT_EQ(lengths[0], lengths[1]);
  EXPECT_EQ(lengths[1], lengths[2]);
}

// F5: two entries one enclave produced, fed by the host in the reverse of their chain order. The
// entry AAD binds producer and sequence, so the later one is refused "out of sequence" (its
// counter consumed, nothing else changed) and the earlier one then applies: the host cannot make
// the second init win.
ANONIFY_HOST_ATTACK_TEST(RuntimeScene, ProducerReorderRefused) {
  const std::string self = a.call("evidence")["address"];
  const Json s1 = submit(owner.command(0, init_token("1000")));    // chain counter 1
  const Json s2 = submit(mallory.command(0, init_token("1000")));  // chain counter 2
  EXPECT_EQ(s1["producer"], self);
  EXPECT_EQ(s1["producerSequence"], "0");
  EXPECT_EQ(s2["producerSequence"], "1");
  const Json reversed = a.call("state_apply", apply_params(1, s2));
  EXPECT_EQ(reversed["outcome"], "rejected");
  EXPECT_EQ(reversed["reason"], "out of sequence");
  EXPECT_EQ(reversed["producer"], self);
  EXPECT_EQ(reversed["producerSequence"], "1");
  EXPECT_EQ(reversed["expectedSequence"], "0");
  EXPECT_FALSE(reversed.contains("sender"));
  EXPECT_EQ(a.call("state_status")["initialized"], false);
  const Json first = a.call("state_apply", apply_params(2, s1));
  EXPECT_EQ(first["outcome"], "applied");
  EXPECT_EQ(first["producerSequence"], "0");
  const SealedRequest info = read_request(alice, R"({"op":"tokenInfo"})");
  EXPECT_EQ(open_reply(info, a.call("state_read", info.params))["result"]["owner"], owner.hex);
  // A replay of an applied entry, and an omission (an entry whose predecessor never came), are
  // refused the same way. The producer then resumes at the number the log waits for.
  EXPECT_EQ(a.call("state_apply", apply_params(3, s1))["reason"], "out of sequence");
  const Json s3 = submit(owner.command(1, transfer(alice, "1")));
  const Json s4 = submit(owner.command(1, transfer(bob, "2")));
  EXPECT_EQ(s3["producerSequence"], "1");
  EXPECT_EQ(s4["producerSequence"], "2");
  const Json omitted = a.call("state_apply", apply_params(4, s4));  // s3 never posted
  EXPECT_EQ(omitted["reason"], "out of sequence");
  EXPECT_EQ(omitted["expectedSequence"], "1");
  const Json s5 = submit(owner.command(1, transfer(alice, "3")));
  EXPECT_EQ(s5["producerSequence"], "1");
  EXPECT_EQ(a.call("state_apply", apply_params(5, s5))["outcome"], "applied");
  EXPECT_EQ(a.call("state_status")["lastApplied"], "5");
  EXPECT_EQ(a.call("state_apply", apply_params(6, s3))["reason"], "out of sequence");  // s3's number is taken
}

// The host's account of its enclave's entries still waiting to be applied (state_submit's
// `pending`) only picks the number of the next entry: an entry that was never posted does not hold
// the producer up, and a host that lies only gets its own entries refused.
ANONIFY_HOST_ATTACK_TEST(RuntimeScene, PendingHintPicksTheNumberButNeverTheOrder) {
  const auto submit_with = [&](const SignedCommand& c, const Json& pending) {
    return a.call("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke, kCommandInfo, c.to_json().dump()))},
                                       {"domain", domain_json()},
                                       {"pending", pending}});
  };
  const Json lost = submit(owner.command(0, init_token("1000")));  // never posted (a failed transaction)
  EXPECT_EQ(lost["producerSequence"], "0");
  const std::string epoch = lost["epoch"];
  const Json none{{"epoch", epoch}};  // nothing pending in this epoch
  const Json again = submit_with(owner.command(0, init_token("1000")), none);
  EXPECT_EQ(again["producerSequence"], "0");
  EXPECT_EQ(a.call("state_apply", apply_params(1, again))["outcome"], "applied");
  EXPECT_EQ(submit_with(owner.command(1, transfer(alice, "1")), none)["producerSequence"], "1");
  EXPECT_EQ(submit_with(owner.command(1, transfer(alice, "1")), Json{{"epoch", epoch}, {"highestSequence", "4"}})["producerSequence"], "5");
  EXPECT_EQ(submit_with(owner.command(1, transfer(alice, "1")), Json{{"epoch", "99"}, {"highestSequence", "4"}})["producerSequence"], "1");
  EXPECT_EQ(submit_with(owner.command(1, transfer(alice, "1")), Json{{"epoch", epoch}, {"highestSequence", "0"}})["producerSequence"], "1");
  // A lie (a number past the log's) gives an entry every applier refuses.
  const Json ahead = submit_with(owner.command(1, transfer(alice, "1")), Json{{"epoch", epoch}, {"highestSequence", "7"}});
  EXPECT_EQ(a.call("state_apply", apply_params(2, ahead))["reason"], "out of sequence");
  for (const Json& bad : {Json{{"epoch", epoch}, {"highestSequence", "18446744073709551615"}}, Json{{"highestSequence", "1"}}, Json("x")}) {
    EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke, kCommandInfo, owner.command(1, "{}").to_json().dump()))},
                                                {"domain", domain_json()},
                                                {"pending", bad}}),
              "invalid_params")
        << bad.dump();
  }
}

}  // namespace
}  // namespace anonify::runtime
