// The state_* protocol methods, driven through the dispatcher as the host drives them: two
// enclaves in one MLS group, commands sealed and signed like a client does, entries applied by
// both, reads and notifications, every pre-check error, sealing and restart.
#include <gtest/gtest.h>

#include "anonify/crypto/hpke.h"
#include "anonify/enclave/sealing.h"
#include "anonify/runtime/token.h"
#include "mls_protocol_node.h"
#include "runtime_test_util.h"

namespace anonify::runtime {
namespace {

using enclave::testing_mls::Node;
using fixtures::User;
using fixtures::client_open;
using fixtures::client_seal;
using fixtures::init_token;
using fixtures::transfer;

Json domain_json() {
  return Json{{"chainId", "31337"}, {"verifyingContract", "0x" + to_hex(fixtures::test_domain().verifying_contract)}};
}

Bytes hpke_of(Node& node) { return from_hex(node.call("evidence")["hpkePublicKey"].get<std::string>()); }

std::string sealed_command(const Node& /*unused*/, const Bytes& hpke_key, const SignedCommand& c) {
  return "0x" + to_hex(client_seal(hpke_key, kCommandInfo, c.to_json().dump()));
}

class RuntimeStateMethods : public ::testing::Test {
 protected:
  void SetUp() override {
    hpke_a = hpke_of(a);
    address_a = a.call("evidence")["address"].get<std::string>();
    enclave::testing_mls::form_two_member_group(a, b);
  }

  Json submit(const SignedCommand& c) {
    return a.call("state_submit", Json{{"payload", sealed_command(a, hpke_a, c)}, {"domain", domain_json()}});
  }
  std::string submit_error(const SignedCommand& c) {
    return a.error_code("state_submit", Json{{"payload", sealed_command(a, hpke_a, c)}, {"domain", domain_json()}});
  }
  // Applies on both enclaves; checks they agree; returns a's result.
  Json apply_both(uint64_t counter, const Json& submitted) {
    const Json params{{"stateCounter", std::to_string(counter)}, {"epoch", submitted["epoch"]}, {"entry", submitted["entry"]}, {"blockTimestamp", "1700000100"}};
    const Json ra = a.call("state_apply", params);
    const Json rb = b.call("state_apply", params);
    EXPECT_EQ(ra["stateHash"], rb["stateHash"]);
    EXPECT_EQ(ra["outcome"], rb["outcome"]);
    EXPECT_EQ(ra.value("reason", ""), rb.value("reason", ""));
    return ra;
  }
  // Seals a read request from `user` for `query` and returns the decrypted reply.
  Json read(Node& node, const User& user, const std::string& query, const Json& extra = Json::object()) {
    const crypto::hpke::KeyPair reply = crypto::hpke::generate_key_pair();
    const Bytes query_bytes = fixtures::text_bytes(query);
    const Bytes hash = crypto::eip712::read_struct_hash(user.address, crypto::keccak256(query_bytes), reply.public_key, 1700000000);
    const Json request{{"sender", user.hex},
                       {"query", "0x" + to_hex(query_bytes)},
                       {"replyKey", "0x" + to_hex(reply.public_key)},
                       {"issuedAt", "1700000000"},
                       {"signature", "0x" + to_hex(fixtures::sign(user.key, fixtures::test_domain(), hash))}};
    Json params{{"payload", "0x" + to_hex(client_seal(hpke_of(node), kReadInfo, request.dump()))}};
    params.update(extra);
    const Json result = node.call("state_read", params);
    return Json::parse(client_open(from_hex(result["reply"].get<std::string>()), reply.private_key, kReadReplyInfo));
  }

  anonify::testing::TempDir dir_a, dir_b;
  Node a{dir_a.path()};
  Node b{dir_b.path()};
  Bytes hpke_a;
  std::string address_a;
  User owner, alice, mallory;
};

TEST_F(RuntimeStateMethods, SubmitApplyReadOnTwoEnclaves) {
  EXPECT_EQ(a.call("state_status")["lastApplied"], "0");
  EXPECT_EQ(a.call("state_status")["epoch"], "2");  // MLS epoch 1 after the join; the contract's head is 2

  const Json s1 = submit(owner.command(0, init_token("1000")));
  EXPECT_EQ(s1["epoch"], "2");
  EXPECT_EQ(s1["sender"], owner.hex);
  EXPECT_EQ(s1["nonce"], "0");
  EXPECT_EQ(s1["commandId"], "0x" + to_hex(owner.command(0, init_token("1000")).command_id()));
  // The enclave signed Ciphertext(epoch, sequence, keccak256(entry)) for the contract; the post number
  // is the entry's producer sequence, its first of the epoch.
  EXPECT_EQ(s1["producerSequence"], "0");
  const Bytes entry = from_hex(s1["entry"].get<std::string>());
  const Bytes digest = crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(fixtures::test_domain()),
                                                         crypto::eip712::ciphertext_struct_hash(2, 0, crypto::keccak256(entry)));
  EXPECT_EQ("0x" + to_hex(crypto::eth_recover_address(digest, from_hex(s1["signature"].get<std::string>()))), address_a);
  // The entry holds no plaintext.
  const std::string entry_text(entry.begin(), entry.end());
  EXPECT_EQ(entry_text.find("transfer"), std::string::npos);
  EXPECT_EQ(entry_text.find("Anonify Token"), std::string::npos);

  const Json r1 = apply_both(1, s1);
  EXPECT_EQ(r1["outcome"], "applied");
  EXPECT_EQ(r1["sender"], owner.hex);
  // The nonce is checked against applied state: the next command needs nonce 1.
  EXPECT_EQ(submit_error(owner.command(0, transfer(alice, "1"))), "nonce_mismatch");
  const Json s2 = submit(owner.command(1, transfer(alice, "250")));
  EXPECT_EQ(apply_both(2, s2)["outcome"], "applied");

  EXPECT_EQ(read(a, alice, R"({"op":"balanceOf","account":")" + alice.hex + "\"}"),
            (Json{{"ok", true}, {"result", "250"}, {"stateCounter", "2"}, {"runtime", "anonify-token/v1"}}));
  EXPECT_EQ(read(b, owner, R"({"op":"balanceOf","account":")" + owner.hex + "\"}")["result"], "750");
  const Json denied = read(a, mallory, R"({"op":"balanceOf","account":")" + alice.hex + "\"}");
  EXPECT_EQ(denied["ok"], false);
  EXPECT_EQ(denied["error"]["code"], "not_authorized");
  EXPECT_EQ(read(a, mallory, R"({"op":"tokenInfo"})")["result"]["owner"], owner.hex);
  EXPECT_EQ(read(a, mallory, "nope")["error"]["code"], "malformed_query");
  // An unknown op is quoted in the refusal, cut to 32 bytes at a character boundary: a cut through
  // the two-byte "é" would make the reply invalid UTF-8, which the strict serializer refuses (the
  // read then failed as an internal error instead of malformed_query).
  const std::string op31 = std::string(31, 'x');
  const Json unknown_op = read(a, mallory, R"({"op":")" + op31 + "\u00e9\"}");
  EXPECT_EQ(unknown_op["error"]["code"], "malformed_query");
  EXPECT_EQ(unknown_op["error"]["message"], "unknown op \"" + op31 + "\"");

  // The checkpoint is the Checkpoint typed data over the last applied state hash and the log hash
  // of the two entries applied: L_2 = bytes16(keccak256(L_1 ‖ keccak256(entry_2))), L_0 = 0.
  const Json cp = a.call("state_checkpoint", Json{{"domain", domain_json()}});
  EXPECT_EQ(cp["stateCounter"], "2");
  EXPECT_EQ(cp["stateHash"], b.call("state_status")["stateHash"]);
  const auto fold = [](const Bytes& previous, const Json& submitted) {
    Bytes preimage = previous;
    const Bytes entry_hash = crypto::keccak256(from_hex(submitted["entry"].get<std::string>()));
    preimage.insert(preimage.end(), entry_hash.begin(), entry_hash.end());
    const Bytes full = crypto::keccak256(preimage);
    return Bytes(full.begin(), full.begin() + 16);
  };
  const Bytes log_hash = fold(fold(Bytes(16, 0), s1), s2);
  EXPECT_EQ(cp["logHash"], "0x" + to_hex(log_hash));
  EXPECT_EQ(b.call("state_checkpoint", Json{{"domain", domain_json()}})["logHash"], cp["logHash"]);
  const Bytes cp_digest = crypto::eip712::typed_data_digest(
      crypto::eip712::domain_separator(fixtures::test_domain()),
      crypto::eip712::checkpoint_struct_hash(2, from_hex(cp["stateHash"].get<std::string>()), log_hash));
  EXPECT_EQ("0x" + to_hex(crypto::eth_recover_address(cp_digest, from_hex(cp["signature"].get<std::string>()))), address_a);
}

TEST_F(RuntimeStateMethods, ReplayedResignedAndTamperedEntriesAreRejectedIdentically) {
  const Json init = submit(owner.command(0, init_token("1000")));
  apply_both(1, init);
  const Json pay = submit(owner.command(1, transfer(alice, "5")));
  const Json pay_again = submit(owner.command(1, transfer(alice, "5")));
  // The same command twice in the log (both passed submit before either was applied): the second
  // entry is in sequence, its command's nonce is used.
  apply_both(2, pay);
  const Json twice = apply_both(3, pay_again);
  EXPECT_EQ(twice["outcome"], "rejected");
  EXPECT_EQ(twice["reason"], "nonce mismatch");
  // The same entry replayed: refused by its producer sequence before its nonce is looked at.
  const Json replay = apply_both(4, pay);
  EXPECT_EQ(replay["outcome"], "rejected");
  EXPECT_EQ(replay["reason"], "out of sequence");
  // Tampered entry.
  Json tampered = pay;
  std::string hex = pay["entry"].get<std::string>();
  hex[hex.size() - 1] = hex.back() == '0' ? '1' : '0';
  tampered["entry"] = hex;
  const Json t = apply_both(5, tampered);
  EXPECT_EQ(t["outcome"], "rejected");
  EXPECT_EQ(t["reason"], "undecryptable");
  EXPECT_FALSE(t.contains("sender"));
  // Re-signed by another key: refused at submit.
  EXPECT_EQ(submit_error(owner.command(2, transfer(mallory, "5"), fixtures::test_domain(), &mallory)), "bad_user_signature");
  EXPECT_EQ(read(a, alice, R"({"op":"balanceOf","account":")" + alice.hex + "\"}")["result"], "5");
  EXPECT_EQ(a.call("state_status")["lastApplied"], "5");
}

TEST_F(RuntimeStateMethods, PreChecksAndOrderingErrorsChangeNothing) {
  const Json init = submit(owner.command(0, init_token("1000")));
  const Json d = domain_json();
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(Bytes(80, 7))}, {"domain", d}}), "hpke_open_failed");
  // Sealed with another purpose's info string.
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke_a, kReadInfo, "{}"))}, {"domain", d}}),
            "hpke_open_failed");
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke_a, kCommandInfo, "[]"))}, {"domain", d}}),
            "malformed_command");
  Json missing = owner.command(0, "{}").to_json();
  missing.erase("nonce");
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke_a, kCommandInfo, missing.dump()))}, {"domain", d}}),
            "malformed_command");
  // A member given twice (parse_object refuses it): the enclave never picks one of two nonces.
  const Json envelope = owner.command(0, "{}").to_json();
  const std::string repeated = "{\"nonce\":" + envelope["nonce"].dump() + "," + envelope.dump().substr(1);
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", "0x" + to_hex(client_seal(hpke_a, kCommandInfo, repeated))}, {"domain", d}}),
            "malformed_command");
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", sealed_command(a, hpke_a, owner.command(0, "{}"))}}), "invalid_params");
  // A command signed under another domain than the one given.
  Domain other = fixtures::test_domain();
  other.chain_id = 1;
  EXPECT_EQ(submit_error(owner.command(0, "{}", other)), "bad_user_signature");

  const Json params{{"stateCounter", "1"}, {"epoch", init["epoch"]}, {"entry", init["entry"]}, {"blockTimestamp", "1700000100"}};
  EXPECT_EQ(a.error_code("state_apply", Json{{"stateCounter", "2"}, {"epoch", init["epoch"]}, {"entry", init["entry"]}, {"blockTimestamp", "1700000100"}}), "counter_gap");
  EXPECT_EQ(a.error_code("state_apply", Json{{"stateCounter", "1"}, {"epoch", "1"}, {"entry", init["entry"]}, {"blockTimestamp", "1700000100"}}), "epoch_mismatch");
  EXPECT_EQ(a.call("state_status")["lastApplied"], "0");
  EXPECT_EQ(a.call("state_apply", params)["outcome"], "applied");
  EXPECT_EQ(a.call("state_apply", params), (Json{{"stateCounter", "1"}, {"duplicate", true}}));
  // Once the log has a domain, another one is refused.
  Json foreign_domain = d;
  foreign_domain["chainId"] = "5";
  EXPECT_EQ(a.error_code("state_checkpoint", Json{{"domain", foreign_domain}}), "domain_mismatch");
  EXPECT_EQ(a.error_code("state_submit", Json{{"payload", sealed_command(a, hpke_a, owner.command(1, "{}", other))}, {"domain", foreign_domain}}),
            "domain_mismatch");
  EXPECT_EQ(a.error_code("state_unsubscribe", Json{{"subscriptionId", "0x00"}}), "not_found");
}

// state_submit's dry run: a command the token would reject is refused (command_refused, with the
// reason the applier records) before anything is sealed; nothing changes, and the same nonce then
// carries a corrected command.
TEST_F(RuntimeStateMethods, SubmitRefusesWhatTheRuntimeWouldRejectAndChangesNothing) {
  const std::string before_init = R"({"op":"transfer","to":")" + alice.hex + R"(","amount":"1"})";
  const Json not_initialized = a.error("state_submit", Json{{"payload", sealed_command(a, hpke_a, owner.command(0, before_init))}, {"domain", domain_json()}});
  EXPECT_EQ(not_initialized, (Json{{"code", "command_refused"}, {"message", token_reason::kNotInitialized}}));
  apply_both(1, submit(owner.command(0, init_token("1000"))));

  const auto nonce_of = [&](const User& user) {
    return read(a, user, R"({"op":"nonce","account":")" + user.hex + "\"}")["result"].get<std::string>();
  };
  const Json status_before = a.call("state_status");
  const std::string zero = "0x0000000000000000000000000000000000000000";
  const struct {
    const User* sender;
    std::string payload;
    std::string reason;
  } cases[] = {
      {&owner, R"({"op":"transfer","to":")" + zero + R"(","amount":"1"})", token_reason::kZeroAddress},
      {&owner, transfer(alice, "1001"), token_reason::kInsufficientBalance},
      {&alice, R"({"op":"mint","to":")" + alice.hex + R"(","amount":"5"})", token_reason::kNotOwner},
      {&owner, transfer(alice, "340282366920938463463374607431768211456"), token_reason::kAmountTooLarge},  // 2^128
      {&owner, R"({"op":"burn","amount":"1001"})", token_reason::kInsufficientBalance},
      {&alice, R"({"op":"transferFrom","from":")" + owner.hex + R"(","to":")" + alice.hex + R"(","amount":"1"})", token_reason::kInsufficientAllowance},
      {&owner, R"({"op":"mint","to":")" + alice.hex + R"(","amount":"340282366920938463463374607431768210456"})", token_reason::kSupplyOverflow},
      {&owner, init_token("5"), token_reason::kAlreadyInitialized},
      {&owner, R"({"op":"approve","spender":")" + zero + R"(","amount":"1"})", token_reason::kZeroAddress},
      {&owner, R"({"op":"steal"})", "malformed command: unknown op \"steal\""},
  };
  for (const auto& c : cases) {
    const uint64_t nonce = c.sender == &owner ? 1 : 0;
    const Json refused = a.error("state_submit", Json{{"payload", sealed_command(a, hpke_a, c.sender->command(nonce, c.payload))}, {"domain", domain_json()}});
    EXPECT_EQ(refused, (Json{{"code", "command_refused"}, {"message", c.reason}})) << c.payload;
  }
  // Nothing moved: state, nonces, and the producer sequence (the next entry takes number 1).
  EXPECT_EQ(a.call("state_status"), status_before);
  EXPECT_EQ(nonce_of(owner), "1");
  EXPECT_EQ(nonce_of(alice), "0");
  const Json fixed = submit(owner.command(1, transfer(alice, "100")));
  EXPECT_EQ(fixed["producerSequence"], "1");
  EXPECT_EQ(apply_both(2, fixed)["outcome"], "applied");
  const Json back = submit(alice.command(0, transfer(owner, "100")));
  EXPECT_EQ(back["producerSequence"], "2");
  EXPECT_EQ(apply_both(3, back)["outcome"], "applied");

  // The check is against the applied state; the log stays authoritative. Both commands pass it, the
  // spender's loses at apply, and submitting it again is refused with the reason the log recorded.
  ASSERT_EQ(apply_both(4, submit(owner.command(2, R"({"op":"approve","spender":")" + mallory.hex + R"(","amount":"900"})")))["outcome"], "applied");
  const Json owner_spends = submit(owner.command(3, transfer(alice, "900")));
  const std::string spend = R"({"op":"transferFrom","from":")" + owner.hex + R"(","to":")" + mallory.hex + R"(","amount":"900"})";
  const Json spender_spends = submit(mallory.command(0, spend));
  EXPECT_EQ(apply_both(5, owner_spends)["outcome"], "applied");
  const Json lost = apply_both(6, spender_spends);
  ASSERT_EQ(lost["outcome"], "rejected");
  const Json again = a.error("state_submit", Json{{"payload", sealed_command(a, hpke_a, mallory.command(1, spend))}, {"domain", domain_json()}});
  EXPECT_EQ(again, (Json{{"code", "command_refused"}, {"message", lost["reason"]}}));
  EXPECT_EQ(lost["reason"], token_reason::kInsufficientBalance);
}

TEST_F(RuntimeStateMethods, BadReadAndSubscriptionEnvelopesGetSpecificErrors) {
  auto sealed = [&](const char* info, const Json& body) { return "0x" + to_hex(client_seal(hpke_a, info, body.dump())); };
  const Json d = domain_json();
  const Json good_read{{"sender", alice.hex},
                       {"query", "0x7b7d"},
                       {"replyKey", "0x" + to_hex(Bytes(32, 9))},
                       {"issuedAt", "1"},
                       {"signature", "0x" + to_hex(Bytes(65, 1))}};
  EXPECT_EQ(a.error_code("state_read", Json{{"payload", "0x00"}, {"domain", d}}), "hpke_open_failed");
  for (const auto& [member, value] : std::vector<std::pair<std::string, Json>>{
           {"sender", "0x12"}, {"query", "0x"}, {"replyKey", "0x00"}, {"issuedAt", "01"}, {"issuedAt", 1}, {"signature", "0x00"}, {"extra", "x"}}) {
    Json bad = good_read;
    bad[member] = value;
    EXPECT_EQ(a.error_code("state_read", Json{{"payload", sealed(kReadInfo, bad)}, {"domain", d}}), "malformed_read") << member;
  }
  // A well-formed request needs a domain until the log has one, and a signature by its sender.
  EXPECT_EQ(a.error_code("state_read", Json{{"payload", sealed(kReadInfo, good_read)}}), "invalid_params");
  const Json bad_sig = a.error("state_read", Json{{"payload", sealed(kReadInfo, good_read)}, {"domain", d}});
  EXPECT_EQ(bad_sig["code"], "bad_user_signature");

  const Json good_sub{{"account", alice.hex}, {"replyKey", "0x" + to_hex(Bytes(32, 9))}, {"issuedAt", "1"}, {"signature", "0x" + to_hex(Bytes(65, 1))}};
  Json bad_sub = good_sub;
  bad_sub.erase("issuedAt");
  EXPECT_EQ(a.error_code("state_subscribe", Json{{"payload", sealed(kSubscribeInfo, bad_sub)}, {"domain", d}}), "malformed_subscription");
  EXPECT_EQ(a.error_code("state_subscribe", Json{{"payload", sealed(kSubscribeInfo, good_sub)}, {"domain", d}}), "bad_user_signature");
  EXPECT_EQ(a.call("state_status")["subscriptions"], 0);

  // Oversized command payloads are refused before any signature work.
  SignedCommand big = owner.command(0, std::string(kMaxPayloadSize + 1, ' '));
  EXPECT_EQ(submit_error(big), "malformed_command");

  // Once the log has a domain, reads use it; another one is refused.
  apply_both(1, submit(owner.command(0, init_token("5"))));
  EXPECT_EQ(read(a, owner, R"({"op":"totalSupply"})")["result"], "5");
  Json other = d;
  other["verifyingContract"] = "0x00000000000000000000000000000000000000bb";
  EXPECT_EQ(a.error_code("state_read", Json{{"payload", sealed(kReadInfo, good_read)}, {"domain", other}}), "domain_mismatch");
  EXPECT_EQ(a.error_code("state_snapshot", Json{{"domain", other}}), "domain_mismatch");
}

TEST_F(RuntimeStateMethods, NotMemberBeforeJoiningAndNothingBeforeInit) {
  anonify::testing::TempDir dir_c;
  Node c(dir_c.path());
  const Bytes hpke_c = from_hex(c.call("evidence")["hpkePublicKey"].get<std::string>());
  EXPECT_EQ(c.error_code("state_submit", Json{{"payload", sealed_command(c, hpke_c, owner.command(0, init_token("1")))}, {"domain", domain_json()}}),
            "not_member");
  EXPECT_EQ(c.error_code("state_apply", Json{{"stateCounter", "1"}, {"epoch", "1"}, {"entry", "0x01"}, {"blockTimestamp", "1700000100"}}), "not_member");
  EXPECT_EQ(c.call("state_status")["member"], false);
  EXPECT_EQ(c.error_code("state_checkpoint", Json{{"domain", domain_json()}}), "invalid_state");

  enclave::Enclave fresh(enclave::make_simulation_platform(), std::nullopt);
  const Bytes out = enclave::make_dispatcher().handle(fresh, ByteView::from_string(R"({"id":1,"method":"state_status"})"));
  EXPECT_EQ(Json::parse(out.begin(), out.end())["error"]["code"], "invalid_state");
}

TEST_F(RuntimeStateMethods, NotificationsGoToEverySubscriptionForEveryEntry) {
  const crypto::hpke::KeyPair alice_key = crypto::hpke::generate_key_pair();
  const crypto::hpke::KeyPair owner_key = crypto::hpke::generate_key_pair();
  auto subscribe = [&](const User& user, const crypto::hpke::KeyPair& k) {
    const Bytes hash = crypto::eip712::subscribe_struct_hash(user.address, k.public_key, 1700000000);
    const Json sub{{"account", user.hex},
                   {"replyKey", "0x" + to_hex(k.public_key)},
                   {"issuedAt", "1700000000"},
                   {"signature", "0x" + to_hex(fixtures::sign(user.key, fixtures::test_domain(), hash))}};
    return b.call("state_subscribe", Json{{"payload", "0x" + to_hex(client_seal(hpke_of(b), kSubscribeInfo, sub.dump()))},
                                          {"domain", domain_json()}})["subscriptionId"]
        .get<std::string>();
  };
  // b's HPKE key differs from a's: a subscription sealed to a does not open at b.
  const Json sub_err = b.error("state_subscribe", Json{{"payload", "0x" + to_hex(client_seal(hpke_a, kSubscribeInfo, "{}"))}});
  EXPECT_EQ(sub_err["code"], "hpke_open_failed");
  const std::string alice_sub = subscribe(alice, alice_key);
  const std::string owner_sub = subscribe(owner, owner_key);
  EXPECT_EQ(b.call("state_status")["subscriptions"], 2);

  auto changed = [&](const Json& result, const std::string& id, const crypto::hpke::KeyPair& k) {
    for (const Json& n : result["notifications"]) {
      if (n["subscriptionId"] == id) {
        return Json::parse(client_open(from_hex(n["payload"].get<std::string>()), k.private_key, kNotifyInfo));
      }
    }
    ADD_FAILURE() << "no notification for " << id;
    return Json();
  };
  const Json init = submit(owner.command(0, init_token("10")));
  const Json params1{{"stateCounter", "1"}, {"epoch", init["epoch"]}, {"entry", init["entry"]}, {"blockTimestamp", "1700000100"}};
  a.call("state_apply", params1);
  const Json r1 = b.call("state_apply", params1);
  EXPECT_EQ(r1["notifications"].size(), 2U);
  EXPECT_EQ(changed(r1, owner_sub, owner_key), (Json{{"stateCounter", "1"}, {"changed", true}}));
  EXPECT_EQ(changed(r1, alice_sub, alice_key), (Json{{"stateCounter", "1"}, {"changed", false}}));
  const Json pay = submit(owner.command(1, transfer(alice, "3")));
  const Json params2{{"stateCounter", "2"}, {"epoch", pay["epoch"]}, {"entry", pay["entry"]}, {"blockTimestamp", "1700000100"}};
  const Json r2 = b.call("state_apply", params2);
  EXPECT_EQ(changed(r2, alice_sub, alice_key)["changed"], true);
  EXPECT_EQ(b.call("state_unsubscribe", Json{{"subscriptionId", alice_sub}})["removed"], true);
  // Even a rejected (garbage) entry notifies every remaining subscription.
  const Json r3 = b.call("state_apply", Json{{"stateCounter", "3"}, {"epoch", pay["epoch"]}, {"entry", "0x00"}, {"blockTimestamp", "1700000100"}});
  EXPECT_EQ(r3["outcome"], "rejected");
  ASSERT_EQ(r3["notifications"].size(), 1U);
  EXPECT_EQ(changed(r3, owner_sub, owner_key)["changed"], false);
}

TEST_F(RuntimeStateMethods, StateIsSealedAfterEachApplyAndResumesAfterRestart) {
  const Json init = submit(owner.command(0, init_token("1000")));
  apply_both(1, init);
  const Json pay = submit(owner.command(1, transfer(alice, "7")));
  apply_both(2, pay);
  const Json before = a.call("state_status");
  a.restart();
  const Json after = a.call("state_status");
  EXPECT_EQ(after["lastApplied"], "2");
  EXPECT_EQ(after["stateHash"], before["stateHash"]);
  EXPECT_EQ(after["initialized"], true);
  EXPECT_EQ(a.call("state_apply", Json{{"stateCounter", "2"}, {"epoch", pay["epoch"]}, {"entry", pay["entry"]}, {"blockTimestamp", "1700000100"}})["duplicate"], true);
  EXPECT_EQ(read(a, alice, R"({"op":"balanceOf","account":")" + alice.hex + "\"}")["result"], "7");
  EXPECT_EQ(submit_error(owner.command(1, transfer(alice, "1"))), "nonce_mismatch");

  // A tampered sealed state is refused, never replaced. It lives inside the store manifest, whose two
  // slots are both tampered with here (with one, a start takes the other, older slot: sealing_test.cpp).
  const std::string slot_a = dir_a.path() + "/" + enclave::kSealManifestName + enclave::kSealedFileSuffix;
  std::vector<std::pair<std::string, std::string>> tampered;
  for (const std::string& path : {slot_a, slot_a + enclave::kSecondSlotSuffix}) {
    std::string blob = anonify::testing::read_text_file(path);
    blob[blob.size() - 3] ^= 0x40;
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << blob; }
    tampered.emplace_back(path, blob);
  }
  // The sealed state is read at init (never later), so the restart itself is refused.
  EXPECT_EQ(a.restart_error()["code"], "sealed_data_corrupt");
  EXPECT_EQ(a.error_code("state_status"), "invalid_state");
  for (const auto& [path, blob] : tampered) EXPECT_EQ(anonify::testing::read_text_file(path), blob) << path;
}

TEST_F(RuntimeStateMethods, ALateJoinerCatchesUpFromASnapshot) {
  apply_both(1, submit(owner.command(0, init_token("1000"))));
  apply_both(2, submit(owner.command(1, transfer(alice, "9"))));
  // c joins after two entries of epoch 2 it can never decrypt.
  anonify::testing::TempDir dir_c;
  Node c(dir_c.path());
  enclave::testing_mls::admit_all({&a, &b, &c});
  const Json domain = enclave::testing_mls::test_domain();
  const Json join = c.call("mls_join_external", Json{{"groupInfo", a.call("mls_public_state")["groupInfo"]},
                                                     {"ratchetTree", a.call("mls_public_state")["ratchetTree"]},
                                                     {"domain", domain}});
  for (Node* n : {&a, &b, &c}) n->call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  EXPECT_EQ(c.call("state_status")["epoch"], "3");
  EXPECT_EQ(c.error_code("state_apply", Json{{"stateCounter", "2"}, {"epoch", "2"}, {"entry", "0x01"}, {"blockTimestamp", "1700000100"}}), "counter_gap");

  const Json snap = a.call("state_snapshot", Json{{"domain", domain_json()}});
  EXPECT_EQ(snap["stateCounter"], "2");
  EXPECT_EQ(snap["epoch"], "3");
  // Signed Snapshot(epoch, position, keccak256(entry)) for the one position it can take: entry 3.
  const Bytes snapshot_entry = from_hex(snap["entry"].get<std::string>());
  const Bytes snapshot_digest = crypto::eip712::typed_data_digest(
      crypto::eip712::domain_separator(fixtures::test_domain()), crypto::eip712::snapshot_struct_hash(3, 3, crypto::keccak256(snapshot_entry)));
  EXPECT_EQ("0x" + to_hex(crypto::eth_recover_address(snapshot_digest, from_hex(snap["signature"].get<std::string>()))), address_a);
  const Json params{{"stateCounter", "3"}, {"epoch", snap["epoch"]}, {"entry", snap["entry"]}, {"blockTimestamp", "1700000100"}};
  const Json ra = a.call("state_apply", params);
  const Json rb = b.call("state_apply", params);
  const Json rc = c.call("state_apply", params);
  EXPECT_EQ(ra["snapshot"], "checked");
  EXPECT_EQ(rc["snapshot"], "adopted");
  EXPECT_EQ(ra["outcome"], "applied");
  EXPECT_EQ(rc["outcome"], "applied");
  EXPECT_EQ(ra["stateHash"], rb["stateHash"]);
  EXPECT_EQ(ra["stateHash"], rc["stateHash"]);
  EXPECT_EQ(read(c, alice, R"({"op":"balanceOf","account":")" + alice.hex + "\"}")["result"], "9");
  // All three go on together.
  const Json pay = submit(alice.command(0, transfer(owner, "4")));
  const Json p4{{"stateCounter", "4"}, {"epoch", pay["epoch"]}, {"entry", pay["entry"]}, {"blockTimestamp", "1700000100"}};
  EXPECT_EQ(a.call("state_apply", p4)["stateHash"], c.call("state_apply", p4)["stateHash"]);
  EXPECT_EQ(b.call("state_apply", p4)["stateHash"], c.call("state_status")["stateHash"]);
}

}  // namespace
}  // namespace anonify::runtime
