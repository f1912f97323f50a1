// A hostile host against the membership rule (F1/F1b of the 2026-12 enclave review). Every test
// drives a real simulation enclave through the production method table, as the host drives it,
// and checks that what the host tries is refused with a specific error and changes nothing.
//
// The host holds everything but the enclave's keys and the development IAS's verdicts on keys it
// does not hold: it can build MLS messages with keys of its own, hand any evidence it saw on chain,
// and pick every parameter. Test members that *are* attested (evidence signed by the development
// IAS for their keys, as an honest enclave elsewhere would have) stand for other group members.
#include <gtest/gtest.h>

#include "anonify/crypto/hpke.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/random.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/membership/governance.h"
#include "anonify/membership/group_policy.h"
#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/runtime/ledger.h"
#include "evidence_test_util.h"
#include "host_attack_suite.h"
#include "mls/group_state.h"
#include "mls_protocol_node.h"
#include "runtime_test_util.h"

namespace anonify::enclave {
namespace {

using testing_mls::Node;
using testing_mls::test_domain;
namespace dev_ias = testing::dev_ias;

Bytes hex_bytes(const Json& j) { return from_hex(j.get<std::string>()); }
std::string hex(ByteView b) { return "0x" + to_hex(b); }

// A member that is not an enclave of ours: its own keys, and (when `attested`) evidence the
// development IAS signed for them, as another honest enclave would publish in its join.
struct TestMember {
  Bytes address = crypto::random_bytes(20);
  crypto::hpke::KeyPair hpke = crypto::hpke::generate_key_pair();
  mls::SignatureKeyPair keys = mls::generate_signature_key_pair();

  mls::MemberIdentity identity(const Bytes& claimed) const {
    return mls::MemberIdentity{mls::Credential::basic(claimed), mls::SignatureKeyPair{keys.private_key, keys.public_key}};
  }
  Json evidence(dev_ias::QuoteFields fields = {}) const {
    fields.report_data = dev_ias::report_data(address, hpke.public_key, keys.public_key);
    return dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(fields)), hpke.public_key, keys.public_key);
  }
};

// An external commit built by the host from the enclave's public state.
struct ExternalJoin {
  mls::Group group;
  mls::CommitOutput out;
  std::string handshake;
};
ExternalJoin external_join(Node& a, const mls::MemberIdentity& identity) {
  const Json pub = a.call("mls_public_state");
  mls::CommitOutput out;
  mls::Group g = mls::Group::join_external(hex_bytes(pub["groupInfo"]), hex_bytes(pub["ratchetTree"]),
                                           mls::MemberIdentity{identity.credential,
                                                               mls::SignatureKeyPair{identity.signature_keys.private_key,
                                                                                     identity.signature_keys.public_key}},
                                           out);
  const std::string handshake = hex(mls::tls_encode(mls::HandshakeEntry{out.commit, out.group_info}));
  return ExternalJoin{std::move(g), std::move(out), handshake};
}

// The membership key of a test member's current epoch (from its serialized state), to re-tag an
// edited commit exactly as that member would.
SecretBytes membership_key_of(const mls::Group& g) {
  const SecretBytes serialized = g.serialize();
  mls::TlsReader r(serialized.data(), serialized.size());
  r.u8();      // serialization version
  r.u8();      // full proposal mode
  r.u8();      // admission required
  r.vector();  // external PSKs
  return mls::EpochState::decode(r).secrets.membership_key;
}

// `member`'s self-update, edited by `edit` and re-signed and re-tagged by `member` itself.
std::string edited_member_commit(mls::Group& member, const SecretBytes& signature_key,
                                 const std::function<void(mls::Commit&)>& edit) {
  const mls::CommitOutput honest = member.clone().commit_update();
  const mls::MlsMessage decoded = mls::MlsMessage::from_bytes(honest.commit);
  const mls::PublicMessage& pm = std::get<mls::PublicMessage>(decoded.body);
  mls::AuthenticatedContent ac;
  ac.wire_format = mls::WireFormat::kPublicMessage;
  ac.content = pm.content;
  ac.auth.confirmation_tag = pm.auth.confirmation_tag;
  edit(std::get<mls::Commit>(ac.content.body));
  ac.sign(signature_key, &member.context());
  const Bytes commit = mls::MlsMessage{mls::protect_public(ac, membership_key_of(member), member.context())}.to_bytes();
  return hex(mls::tls_encode(mls::HandshakeEntry{commit, honest.group_info}));
}

// A member enclave `a` of the test domain's group, plus everything a host could compare.
class MembershipScene {
 protected:
  MembershipScene() {
    a.create_group(test_domain());
    authenticator = a.call("mls_status")["group"]["epochAuthenticator"];
  }

  // Adds an attested test member to a's group by external commit; returns its group.
  mls::Group add_test_member(const TestMember& m) {
    a.call("mls_admit_evidence", m.evidence());
    ExternalJoin j = external_join(a, m.identity(m.address));
    EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", j.handshake}})["outcome"], "external_join");
    j.group.process_handshake(j.out.commit, &j.out.group_info);
    EXPECT_EQ(hex(j.group.epoch_authenticator()), a.call("mls_status")["group"]["epochAuthenticator"]);
    return std::move(j.group);
  }

  testing::TempDir dir;
  Node a{dir.path()};
  Json authenticator;
};

// F1: the host's external commit with a fresh key (claiming the enclave's own address) is refused:
// the group, its public state and its sealed file stay as they were, and the host never learns
// the epoch authenticator (or any other secret) of an epoch it would be in.
ANONIFY_HOST_ATTACK_TEST(MembershipScene, InjectedExternalJoinRefused) {
  const Bytes own_address = hex_bytes(a.call("evidence")["address"]);
  TestMember mallory;  // the host's own key; no evidence for it exists
  ExternalJoin j = external_join(a, mallory.identity(own_address));
  const std::string before = a.mls_fingerprint();
  const Json error = a.error("mls_process_handshake", Json{{"handshake", j.handshake}});
  EXPECT_EQ(error["code"], "leaf_not_admitted") << error.dump();
  EXPECT_NE(error["message"].get<std::string>().find("no verified evidence"), std::string::npos) << error.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 1);
  EXPECT_EQ(a.call("mls_status")["group"]["epochAuthenticator"], authenticator);
  // The host's own view of the epoch it tried to create is not the enclave's.
  j.group.process_handshake(j.out.commit, &j.out.group_info);
  EXPECT_NE(hex(j.group.epoch_authenticator()), a.call("mls_status")["group"]["epochAuthenticator"]);

  // Handing the enclave's own (genuine) evidence for the host's keys does not help: REPORTDATA
  // binds the enclave's keys, so it is refused and nothing is cached.
  Json borrowed = dev_ias::admit_params_of(a.call("evidence"));
  borrowed["hpkePublicKey"] = hex(mallory.hpke.public_key);
  borrowed["mlsSignatureKey"] = hex(mallory.keys.public_key);
  const Json refused = a.error("mls_admit_evidence", borrowed);
  EXPECT_EQ(refused["code"], "evidence_refused");
  EXPECT_EQ(refused["message"].get<std::string>().rfind("ReportDataKeyHashMismatch(", 0), 0u) << refused.dump();
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", j.handshake}}), "leaf_not_admitted");
  EXPECT_EQ(a.mls_fingerprint(), before);
}

// F1b: a fresh enclave refuses to join a group the host made (its creator holds no evidence, and
// the group carries no policy bound to the enclave's contract); the interop path that joins
// foreign groups never yields state keys.
ANONIFY_HOST_ATTACK_TEST(MembershipScene, HostMadeGroupRefused) {
  testing::TempDir dir_b;
  Node b(dir_b.path());
  b.admit_evidence_of(b);
  // A plain MLS group with the right group id but no Anonify policy.
  Bytes contract(20, 0x00);
  contract[19] = 0xaa;  // test_domain()'s verifyingContract
  const Bytes group_id = membership::group_id_for(31337, contract);
  TestMember host;
  mls::Group plain = mls::Group::create(group_id, host.identity(host.address));
  std::string before = b.mls_fingerprint();
  Json error = b.error("mls_join_external", Json{{"groupInfo", hex(plain.group_info(true))}, {"domain", test_domain()}});
  EXPECT_EQ(error["code"], "policy_refused") << error.dump();
  EXPECT_EQ(b.mls_fingerprint(), before);

  // The same group carrying a copy of a genuine policy: the host's leaf has no evidence.
  const Json pub = a.call("mls_public_state");
  const mls::MlsMessage gi_message = mls::MlsMessage::from_bytes(hex_bytes(pub["groupInfo"]));
  const mls::ExtensionList genuine_policy = std::get<mls::GroupInfo>(gi_message.body).group_context.extensions;
  mls::Group forged = mls::Group::create(group_id, host.identity(host.address), genuine_policy);
  error = b.error("mls_join_external", Json{{"groupInfo", hex(forged.group_info(true))}, {"domain", test_domain()}});
  EXPECT_EQ(error["code"], "leaf_not_admitted") << error.dump();
  EXPECT_EQ(b.mls_fingerprint(), before);

  // ...and the host even copying a's genuine evidence cannot make a's address its own leaf's.
  b.admit_evidence_of(a);
  mls::Group impostor = mls::Group::create(group_id, host.identity(hex_bytes(a.call("evidence")["address"])), genuine_policy);
  EXPECT_EQ(b.error_code("mls_join_external", Json{{"groupInfo", hex(impostor.group_info(true))}, {"domain", test_domain()}}),
            "leaf_not_admitted");
  EXPECT_EQ(b.mls_fingerprint(), before);

  // Without a domain nothing is joined at all.
  EXPECT_EQ(b.error_code("mls_join_external", Json{{"groupInfo", hex(plain.group_info(true))}}), "invalid_params");
  EXPECT_EQ(b.mls_fingerprint(), before);

  // The interop path (simulation builds only) joins the foreign group, but the state runtime takes
  // no key from it: the host cannot make the enclave encrypt state to a group it controls.
  const Json join = b.call("mls_join_external", Json{{"groupInfo", hex(plain.group_info(true))}, {"interop", true}});
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", join["handshake"]}})["outcome"], "own_commit");
  runtime::fixtures::User owner;
  const Json submit = Json{{"payload", hex(runtime::fixtures::client_seal(hex_bytes(b.call("evidence")["hpkePublicKey"]),
                                                                          runtime::kCommandInfo,
                                                                          owner.command(0, runtime::fixtures::init_token("7"))
                                                                              .to_json()
                                                                              .dump()))},
                           {"domain", Json{{"chainId", "31337"},
                                           {"verifyingContract", "0x" + to_hex(runtime::fixtures::test_domain().verifying_contract)}}}};
  EXPECT_EQ(b.error_code("state_submit", submit), "not_member");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, AttestedMemberJoinsAndTheCacheSurvivesARestart) {
  TestMember bob;
  a.call("mls_admit_evidence", bob.evidence());
  EXPECT_EQ(a.call("mls_admit_evidence", bob.evidence())["mlsSignatureKey"], hex(bob.keys.public_key));  // idempotent
  a.restart();
  ExternalJoin j = external_join(a, bob.identity(bob.address));
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", j.handshake}, {"blockTimestamp", std::to_string(dev_ias::kReportUnixTime + 100)}})["outcome"],
            "external_join");
  j.group.process_handshake(j.out.commit, &j.out.group_info);
  EXPECT_EQ(hex(j.group.epoch_authenticator()), a.call("mls_status")["group"]["epochAuthenticator"]);
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, DepartedMembersEvidenceIsDropped) {
  TestMember bob;
  add_test_member(bob);
  const Json remove = a.call("mls_commit_remove", Json{{"leaves", Json::array({1})}});
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", remove["handshake"]}})["status"]["memberCount"], 1);
  // bob's evidence left with its leaf: rejoining needs it handed again (as its new join carries it).
  ExternalJoin again = external_join(a, bob.identity(bob.address));
  const std::string before = a.mls_fingerprint();
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", again.handshake}}), "leaf_not_admitted");
  EXPECT_EQ(a.mls_fingerprint(), before);
  a.call("mls_admit_evidence", bob.evidence());
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", again.handshake}})["outcome"], "external_join");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, EvidenceAgeIsJudgedAtTheHandshakesBlock) {
  // A group whose policy admits evidence at most an hour old (reports are stamped kReportUnixTime).
  testing::TempDir dir_b;
  Node b(dir_b.path());
  b.admit_evidence_of(b);
  Json policy = dev_ias::test_policy();
  policy["maxEvidenceAge"] = 3600;
  b.call("mls_create_group", Json{{"domain", test_domain()}, {"policy", policy}});
  TestMember bob;
  b.call("mls_admit_evidence", bob.evidence());
  ExternalJoin j = external_join(b, bob.identity(bob.address));
  const std::string late = std::to_string(dev_ias::kReportUnixTime + 7200);
  const std::string before = b.mls_fingerprint();
  const Json error = b.error("mls_process_handshake", Json{{"handshake", j.handshake}, {"blockTimestamp", late}});
  EXPECT_EQ(error["code"], "leaf_not_admitted");
  EXPECT_NE(error["message"].get<std::string>().find("ReportTooOld("), std::string::npos) << error.dump();
  EXPECT_EQ(b.mls_fingerprint(), before);
  // The refused entry did not move the chain clock: the same join in a block 60 s after the report passes.
  const std::string timely = std::to_string(dev_ias::kReportUnixTime + 60);
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", j.handshake}, {"blockTimestamp", timely}})["outcome"],
            "external_join");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, DuplicateIdentityRefused) {
  // An attested joiner whose evidence and credential both name an address already in the tree.
  TestMember twin;
  twin.address = hex_bytes(a.call("evidence")["address"]);
  a.call("mls_admit_evidence", twin.evidence());
  ExternalJoin j = external_join(a, twin.identity(twin.address));
  const std::string before = a.mls_fingerprint();
  const Json error = a.error("mls_process_handshake", Json{{"handshake", j.handshake}});
  EXPECT_EQ(error["code"], "leaf_not_admitted");
  EXPECT_NE(error["message"].get<std::string>().find("already holds leaf 0"), std::string::npos) << error.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);

  // A credential naming another address than its evidence attests is refused too.
  TestMember liar;
  a.call("mls_admit_evidence", liar.evidence());
  ExternalJoin k = external_join(a, liar.identity(crypto::random_bytes(20)));
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", k.handshake}}), "leaf_not_admitted");
  EXPECT_EQ(a.mls_fingerprint(), before);
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, EvidenceNotBindingTheLeafKeysRefused) {
  TestMember bob;
  Json evidence = bob.evidence();
  TestMember other;
  for (const char* key : {"hpkePublicKey", "mlsSignatureKey"}) {
    Json swapped = evidence;
    swapped[key] = hex(std::string(key) == "hpkePublicKey" ? other.hpke.public_key : other.keys.public_key);
    const Json error = a.error("mls_admit_evidence", swapped);
    EXPECT_EQ(error["code"], "evidence_refused");
    EXPECT_EQ(error["message"].get<std::string>().rfind("ReportDataKeyHashMismatch(", 0), 0u) << error.dump();
  }
  // REPORTDATA's reserved tail must be zero.
  dev_ias::QuoteFields fields;
  Bytes rd = dev_ias::report_data(bob.address, bob.hpke.public_key, bob.keys.public_key);
  rd[63] = 1;
  fields.report_data = rd;
  const Json tail = dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(fields)), bob.hpke.public_key, bob.keys.public_key);
  EXPECT_EQ(a.error("mls_admit_evidence", tail)["message"].get<std::string>().rfind("ReportDataReservedNotZero(", 0), 0u);
  // A tampered report no longer verifies.
  Json tampered = evidence;
  std::string report = tampered["report"].get<std::string>();
  report[report.size() - 4] = report[report.size() - 4] == '0' ? '1' : '0';
  tampered["report"] = report;
  EXPECT_EQ(a.error_code("mls_admit_evidence", tampered), "evidence_refused");
  // None of them was cached: bob's join is refused.
  ExternalJoin j = external_join(a, bob.identity(bob.address));
  const std::string before = a.mls_fingerprint();
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", j.handshake}}), "leaf_not_admitted");
  EXPECT_EQ(a.mls_fingerprint(), before);
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, EvidenceUnderTheWrongCaRefused) {
  TestMember bob;
  // A genuine Intel IAS report (Intel's signing certificate): a simulation build's compiled-in
  // anchor is the development CA, so Intel's chain is not its kind.
  const std::string dir_ias = "test/vectors/ias/";
  Json intel = bob.evidence();
  intel["report"] = hex(dev_ias::file_bytes(dev_ias::repo_path(dir_ias + "enigma_2018-06-12_v2_OK/report.json")));
  intel["signature"] = hex(dev_ias::file_bytes(dev_ias::repo_path(dir_ias + "enigma_2018-06-12_v2_OK/signature.bin")));
  intel["signingCertificate"] = hex(dev_ias::file_bytes(dev_ias::repo_path(dir_ias + "certs/intel_sgx_attestation_report_signing_leaf.der")));
  EXPECT_EQ(a.error_code("mls_admit_evidence", intel), "evidence_refused");
  // A development-IAS report for bob's keys presented with Intel's signing certificate: that chain is
  // not under the compiled-in (development) CA, whatever the report says.
  Json foreign_chain = bob.evidence();
  foreign_chain["signingCertificate"] =
      hex(dev_ias::file_bytes(dev_ias::repo_path(dir_ias + "certs/intel_sgx_attestation_report_signing_leaf.der")));
  EXPECT_EQ(a.error_code("mls_admit_evidence", foreign_chain), "evidence_refused");
  ExternalJoin j = external_join(a, bob.identity(bob.address));
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", j.handshake}}), "leaf_not_admitted");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, EvidenceOutsideTheGroupPolicyRefused) {
  // Verified evidence the group's policy refuses: a DEBUG enclave, another signer, a bad status.
  TestMember debug, foreign, outdated;
  dev_ias::QuoteFields debug_fields;
  debug_fields.debug = true;
  dev_ias::QuoteFields foreign_fields;
  foreign_fields.mrsigner = Bytes(32, 0x77);
  a.call("mls_admit_evidence", debug.evidence(debug_fields));
  a.call("mls_admit_evidence", foreign.evidence(foreign_fields));
  dev_ias::QuoteFields outdated_fields;
  outdated_fields.report_data = dev_ias::report_data(outdated.address, outdated.hpke.public_key, outdated.keys.public_key);
  a.call("mls_admit_evidence", dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(outdated_fields), "GROUP_OUT_OF_DATE"),
                                                     outdated.hpke.public_key, outdated.keys.public_key));
  const std::string before = a.mls_fingerprint();
  for (const TestMember* m : {&debug, &foreign, &outdated}) {
    ExternalJoin j = external_join(a, m->identity(m->address));
    const Json error = a.error("mls_process_handshake", Json{{"handshake", j.handshake}});
    EXPECT_EQ(error["code"], "leaf_not_admitted");
    EXPECT_NE(error["message"].get<std::string>().find("policy refuses"), std::string::npos) << error.dump();
    EXPECT_EQ(a.mls_fingerprint(), before);
  }
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, MemberCommitSwappingItsSignatureKeyRefused) {
  TestMember bob;
  mls::Group bob_group = add_test_member(bob);
  const mls::SignatureKeyPair fresh = mls::generate_signature_key_pair();
  const std::string swapped = edited_member_commit(bob_group, bob.keys.private_key, [&](mls::Commit& c) {
    c.path->leaf_node.signature_key = fresh.public_key;
    c.path->leaf_node.sign(fresh.private_key, bob_group.group_id(), bob_group.own_leaf());
  });
  const std::string before = a.mls_fingerprint();
  const Json error = a.error("mls_process_handshake", Json{{"handshake", swapped}});
  EXPECT_EQ(error["code"], "leaf_not_admitted") << error.dump();
  EXPECT_NE(error["message"].get<std::string>().find("signature key"), std::string::npos) << error.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);
  // Changing the credential (another address) is refused the same way.
  const std::string renamed = edited_member_commit(bob_group, bob.keys.private_key, [&](mls::Commit& c) {
    c.path->leaf_node.credential = mls::Credential::basic(crypto::random_bytes(20));
    c.path->leaf_node.sign(bob.keys.private_key, bob_group.group_id(), bob_group.own_leaf());
  });
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", renamed}}), "leaf_not_admitted");
  EXPECT_EQ(a.mls_fingerprint(), before);
  // The honest self-update (new HPKE key, same identity) is applied.
  const mls::CommitOutput update = bob_group.commit_update();
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", hex(mls::tls_encode(mls::HandshakeEntry{update.commit, update.group_info}))}})["outcome"],
            "commit");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, GroupIdOrDomainMismatchRefused) {
  testing::TempDir dir_b;
  Node b(dir_b.path());
  b.admit_evidence_of(b);
  // A group id other than chainId || contract of the domain.
  EXPECT_EQ(b.error_code("mls_create_group", Json{{"groupId", "0x746f6b656e"}, {"domain", test_domain()},
                                                  {"policy", dev_ias::test_policy()}}),
            "domain_mismatch");
  EXPECT_TRUE(b.call("mls_status")["group"].is_null());
  // Joining a's group while serving another contract (or chain).
  testing_mls::admit_all({&a, &b});
  Json other_contract = test_domain();
  other_contract["verifyingContract"] = "0x00000000000000000000000000000000000000bb";
  Json other_chain = test_domain();
  other_chain["chainId"] = 1;
  const std::string before = b.mls_fingerprint();
  for (const Json& domain : {other_contract, other_chain}) {
    const Json error = b.error("mls_join_external", Json{{"groupInfo", a.call("mls_public_state")["groupInfo"]},
                                                         {"ratchetTree", a.call("mls_public_state")["ratchetTree"]},
                                                         {"domain", domain}});
    EXPECT_EQ(error["code"], "domain_mismatch") << error.dump();
    EXPECT_EQ(b.mls_fingerprint(), before);
  }
  // The matching domain joins.
  const Json join = b.call("mls_join_external", Json{{"groupInfo", a.call("mls_public_state")["groupInfo"]},
                                                     {"ratchetTree", a.call("mls_public_state")["ratchetTree"]},
                                                     {"domain", test_domain()}});
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", join["handshake"]}})["outcome"], "external_join");
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, PolicyWideningCommitRefused) {
  // A member (attested, but compromised or driven by its host) commits a GroupContextExtensions
  // proposal that widens the policy to any signer. No governance signature accompanies it: refused.
  TestMember bob;
  mls::Group bob_group = add_test_member(bob);
  membership::GroupPolicy wide = membership::group_policy_of(bob_group.context());
  wide.measurement.signer->mrsigner = Bytes(32, 0x77);
  wide.measurement.allow_debug = true;
  const std::string widened = edited_member_commit(bob_group, bob.keys.private_key, [&](mls::Commit& c) {
    c.proposals.push_back(mls::ProposalOrRef{mls::Proposal{mls::GroupContextExtensionsProposal{
        mls::ExtensionList{mls::Extension{membership::kGroupPolicyExtensionType, wide.encode()}}}}});
  });
  const std::string before = a.mls_fingerprint();
  EXPECT_FALSE(a.error_code("mls_process_handshake", Json{{"handshake", widened}}).empty());
  EXPECT_EQ(a.mls_fingerprint(), before);
  EXPECT_EQ(membership::group_policy_of(bob_group.context()).measurement.signer->mrsigner, enclave::simulation_mrsigner());
}

ANONIFY_HOST_ATTACK_TEST(MembershipScene, PolicyThatDoesNotAdmitTheCreatorRefused) {
  testing::TempDir dir_b;
  Node b(dir_b.path());
  Json params{{"domain", test_domain()}, {"policy", dev_ias::test_policy()}};
  // Without its own evidence in the cache.
  EXPECT_EQ(b.error_code("mls_create_group", params), "leaf_not_admitted");
  b.admit_evidence_of(b);
  // An allowlist without its MRENCLAVE, another signer, or a policy admitting any measurement.
  Json allowlist = params;
  allowlist["policy"].erase("signer");
  allowlist["policy"]["mrenclaves"] = Json::array({hex(Bytes(32, 0x01))});
  EXPECT_EQ(b.error_code("mls_create_group", allowlist), "leaf_not_admitted");
  Json signer = params;
  signer["policy"]["signer"]["minIsvSvn"] = 1;
  EXPECT_EQ(b.error_code("mls_create_group", signer), "leaf_not_admitted");
  Json open = params;
  open["policy"].erase("signer");
  EXPECT_EQ(b.error_code("mls_create_group", open), "policy_refused");
  Json bad_governance = params;
  bad_governance["policy"]["governance"] = Json{{"threshold", 2}, {"keys", Json::array({hex(Bytes(20, 1))})}};
  EXPECT_EQ(b.error_code("mls_create_group", bad_governance), "policy_refused");
  EXPECT_EQ(b.error_code("mls_create_group", Json{{"policy", dev_ias::test_policy()}}), "invalid_params");  // no domain
  EXPECT_TRUE(b.call("mls_status")["group"].is_null());
  // Its own MRENCLAVE in the allowlist is admitted.
  allowlist["policy"]["mrenclaves"] = Json::array({b.call("evidence")["mrenclave"]});
  EXPECT_EQ(b.call("mls_create_group", allowlist)["status"]["memberCount"], 1);
}


// ---- Governance: the policy changes only with k-of-n approvals (issue 12, item 2) ----

// The method parameters of a policy (mls_create_group / mls_commit_policy_change format).
Json policy_params(const membership::GroupPolicy& p) {
  Json out{{"allowedStatuses", p.measurement.allowed_statuses},
           {"allowDebug", p.measurement.allow_debug},
           {"maxEvidenceAge", p.measurement.max_age_seconds},
           {"collateralGrace", p.measurement.collateral_grace_seconds},
           {"minTcbEvaluationDataNumber", p.measurement.min_tcb_evaluation_data_number}};
  if (p.measurement.allowed_mrenclaves) {
    Json list = Json::array();
    for (const Bytes& m : *p.measurement.allowed_mrenclaves) list.push_back(hex(m));
    out["mrenclaves"] = list;
  }
  if (p.measurement.signer) {
    out["signer"] = Json{{"mrsigner", hex(p.measurement.signer->mrsigner)},
                         {"isvProdId", p.measurement.signer->isv_prod_id},
                         {"minIsvSvn", p.measurement.signer->min_isv_svn}};
  }
  Json keys = Json::array();
  for (const Bytes& k : p.governance.keys) keys.push_back(hex(k));
  out["governance"] = Json{{"threshold", p.governance.threshold}, {"keys", keys}};
  return out;
}

// The policy a node's group (or followed log) carries now, from its public state.
membership::GroupPolicy policy_of(Node& n) {
  const mls::MlsMessage gi = mls::MlsMessage::from_bytes(hex_bytes(n.call("mls_public_state")["groupInfo"]));
  return membership::group_policy_of(std::get<mls::GroupInfo>(gi.body).group_context);
}

// a's group under a policy admitting the simulation signer's enclaves with MRENCLAVE a's own or
// kOldMrenclave (test members' default), changed only by 2 of the 3 governance keys.
class GovernanceScene {
 protected:
  static inline const Bytes kOldMrenclave = Bytes(32, 0x5a);  // dev_ias::QuoteFields' default
  static inline const Bytes kNewMrenclave = Bytes(32, 0x6b);

  GovernanceScene() {
    for (SecretBytes& k : keys) k = crypto::secp256k1_generate_private_key();
    a.admit_evidence_of(a);
    own_mrenclave = hex_bytes(a.call("evidence")["mrenclave"]);
    Json policy = dev_ias::test_policy();
    policy["mrenclaves"] = Json::array({hex(own_mrenclave), hex(kOldMrenclave)});
    policy["governance"] = Json{{"threshold", 2}, {"keys", Json::array({hex(address(0)), hex(address(1)), hex(address(2))})}};
    log.push_back(a.call("mls_create_group", Json{{"domain", test_domain()}, {"policy", policy}})["handshake"]);
  }

  Bytes address(size_t i) const { return crypto::eth_address(keys[i]); }

  // Governance key i's approval of `next` for the commit of `epoch` in the group of `current`.
  std::string approval(size_t i, const membership::GroupPolicy& current, uint64_t epoch, const Bytes& next) const {
    return hex(crypto::eth_sign_digest(keys[i], membership::policy_change_digest(current, epoch, next)));
  }

  // Applies a handshake at a node (and records it in the log).
  Json post(const Json& handshake, std::initializer_list<Node*> nodes) {
    Json last;
    for (Node* n : nodes) last = n->call("mls_process_handshake", Json{{"handshake", handshake}});
    log.push_back(handshake);
    return last;
  }

  // An attested test member joining a's group (and b's, when given): its group, test-side.
  mls::Group add_test_member(const TestMember& m, std::initializer_list<Node*> nodes) {
    for (Node* n : nodes) n->call("mls_admit_evidence", m.evidence());
    ExternalJoin j = external_join(a, m.identity(m.address));
    for (Node* n : nodes) {
      EXPECT_EQ(n->call("mls_process_handshake", Json{{"handshake", j.handshake}})["outcome"], "external_join");
    }
    log.push_back(j.handshake);
    j.group.process_handshake(j.out.commit, &j.out.group_info);
    return std::move(j.group);
  }

  testing::TempDir dir;
  Node a{dir.path()};
  SecretBytes keys[3];
  Bytes own_mrenclave;
  std::vector<Json> log;  // every entry applied, from the genesis entry on
};

// A policy-change commit of a test member (attested, so a member of the group, but driven by a
// hostile host), carrying `authenticated_data` as its approvals: well formed in every other way.
std::string policy_commit(const mls::Group& member, const mls::ExtensionList& extensions, const Bytes& authenticated_data) {
  const mls::CommitOutput out = member.clone().commit_context_extensions(extensions, authenticated_data);
  return hex(mls::tls_encode(mls::HandshakeEntry{out.commit, out.group_info}));
}

mls::ExtensionList with_policy(const membership::GroupPolicy& p) {
  return mls::ExtensionList{mls::Extension{membership::kGroupPolicyExtensionType, p.encode()}};
}

Bytes approvals(const std::vector<std::string>& signatures) {
  membership::PolicyApprovals a;
  for (const std::string& s : signatures) a.signatures.push_back(from_hex(s));
  return a.encode();
}

ANONIFY_HOST_ATTACK_TEST(GovernanceScene, PolicyWidenedByHostRefused) {
  TestMember bob;
  const mls::Group bob_group = add_test_member(bob, {&a});
  const membership::GroupPolicy current = policy_of(a);
  const uint64_t epoch = bob_group.epoch();
  // The host widens the allowlist to an MRENCLAVE of its choice.
  membership::GroupPolicy wide = current;
  wide.measurement.allowed_mrenclaves->push_back(Bytes(32, 0x77));
  const Bytes wide_encoded = wide.encode();
  membership::GroupPolicy other = current;
  other.measurement.allowed_mrenclaves->push_back(Bytes(32, 0x78));
  SecretBytes outsider = crypto::secp256k1_generate_private_key();
  const std::string outsider_approval =
      hex(crypto::eth_sign_digest(outsider, membership::policy_change_digest(current, epoch, wide_encoded)));
  std::string forged = approval(0, current, epoch, wide_encoded);
  forged[40] = forged[40] == '1' ? '2' : '1';  // a byte of r

  struct Case {
    const char* name;
    std::string handshake;
    const char* message;
  };
  membership::GroupPolicy rebound = wide;
  rebound.chain_id = 1;
  membership::GroupPolicy recontracted = wide;
  recontracted.group_contract = Bytes(20, 0xbb);
  mls::ExtensionList extra = with_policy(wide);
  extra.push_back(mls::Extension{0xF0AA, Bytes{1, 2, 3}});
  const std::vector<Case> cases = {
      {"no approvals", policy_commit(bob_group, with_policy(wide), {}), "no governance approvals"},
      {"malformed approvals", policy_commit(bob_group, with_policy(wide), Bytes{0x05, 1, 2}), "malformed approvals"},
      {"forged approval", policy_commit(bob_group, with_policy(wide), approvals({forged, approval(1, current, epoch, wide_encoded)})),
       "approval 0 "},
      {"k-1 approvals", policy_commit(bob_group, with_policy(wide), approvals({approval(1, current, epoch, wide_encoded)})),
       "1 distinct governance approvals, the policy needs 2"},
      {"non-governance key", policy_commit(bob_group, with_policy(wide), approvals({approval(0, current, epoch, wide_encoded), outsider_approval})),
       "not a governance key"},
      {"duplicate signer", policy_commit(bob_group, with_policy(wide), approvals({approval(2, current, epoch, wide_encoded), approval(2, current, epoch, wide_encoded)})),
       "1 distinct governance approvals, the policy needs 2"},
      {"another epoch", policy_commit(bob_group, with_policy(wide), approvals({approval(0, current, epoch + 1, wide_encoded), approval(1, current, epoch + 1, wide_encoded)})),
       "not a governance key"},
      {"another policy", policy_commit(bob_group, with_policy(wide), approvals({approval(0, current, epoch, other.encode()), approval(1, current, epoch, other.encode())})),
       "not a governance key"},
      {"another chain", policy_commit(bob_group, with_policy(rebound), approvals({approval(0, current, epoch, rebound.encode()), approval(1, current, epoch, rebound.encode())})),
       "changes the binding"},
      {"another contract", policy_commit(bob_group, with_policy(recontracted), approvals({approval(0, current, epoch, recontracted.encode()), approval(1, current, epoch, recontracted.encode())})),
       "changes the binding"},
      {"another extension", policy_commit(bob_group, extra, approvals({approval(0, current, epoch, wide_encoded), approval(1, current, epoch, wide_encoded)})),
       "adds or drops"},
  };
  const std::string before = a.mls_fingerprint();
  for (const Case& c : cases) {
    const Json error = a.error("mls_process_handshake", Json{{"handshake", c.handshake}});
    EXPECT_EQ(error["code"], "policy_refused") << c.name << ": " << error.dump();
    EXPECT_NE(error["message"].get<std::string>().find(c.message), std::string::npos) << c.name << ": " << error.dump();
    EXPECT_EQ(a.mls_fingerprint(), before) << c.name;
  }
  EXPECT_EQ(policy_of(a), current);

  // The host cannot make the enclave itself commit the change without the approvals either.
  const Json domain = test_domain();
  for (const Json& sigs : {Json::array(), Json::array({approval(0, current, epoch, wide_encoded)}),
                           Json::array({approval(0, current, epoch, wide_encoded), outsider_approval})}) {
    const Json error = a.error("mls_commit_policy_change", Json{{"domain", domain}, {"policy", policy_params(wide)}, {"approvals", sigs}});
    EXPECT_EQ(error["code"], "policy_refused") << error.dump();
    EXPECT_EQ(a.mls_fingerprint(), before);
  }
  EXPECT_EQ(a.error_code("mls_commit_policy_change", Json{{"domain", domain}, {"policy", policy_params(wide)},
                                                          {"approvals", Json::array({"0x1234"})}}),
            "invalid_params");
  Json other_domain = domain;
  other_domain["chainId"] = 1;
  EXPECT_EQ(a.error_code("mls_commit_policy_change", Json{{"domain", other_domain}, {"policy", policy_params(wide)},
                                                          {"approvals", Json::array()}}),
            "domain_mismatch");
  EXPECT_EQ(a.mls_fingerprint(), before);

  // The same change with k approvals by governance keys is applied: the checks refuse only what
  // they name.
  const std::string approved = policy_commit(bob_group, with_policy(wide),
                                             approvals({approval(0, current, epoch, wide_encoded), approval(2, current, epoch, wide_encoded)}));
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", approved}})["outcome"], "commit");
  EXPECT_EQ(policy_of(a), wide);
}

ANONIFY_HOST_ATTACK_TEST(GovernanceScene, PolicyChangeWithApprovalsApplied) {
  testing::TempDir dir_b, dir_c;
  Node b(dir_b.path());
  testing_mls::admit_all({&a, &b});
  const Json pub = a.call("mls_public_state");
  const Json join = b.call("mls_join_external", Json{{"groupInfo", pub["groupInfo"]}, {"ratchetTree", pub["ratchetTree"]},
                                                     {"domain", test_domain()}});
  post(join["handshake"], {&a, &b});
  TestMember old_member;  // MRENCLAVE kOldMrenclave: admitted today, not after the upgrade
  add_test_member(old_member, {&a, &b});
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 3);

  // The upgrade: MRENCLAVE kOldMrenclave leaves the allowlist, kNewMrenclave enters it.
  const membership::GroupPolicy current = policy_of(a);
  membership::GroupPolicy upgraded = current;
  upgraded.measurement.allowed_mrenclaves = std::vector<Bytes>{own_mrenclave, kNewMrenclave};
  const Bytes encoded = upgraded.encode();
  const uint64_t epoch = a.call("mls_status")["group"]["epoch"];
  const Json sigs = Json::array({approval(0, current, epoch, encoded), approval(2, current, epoch, encoded)});
  const Json change = a.call("mls_commit_policy_change", Json{{"domain", test_domain()}, {"policy", policy_params(upgraded)},
                                                              {"approvals", sigs}});
  EXPECT_EQ(change["policyHash"], hex(crypto::keccak256(encoded)));
  EXPECT_EQ(change["removed"], Json::array({2}));  // the old enclave's leaf leaves with the change
  EXPECT_EQ(a.call("mls_process_handshake", Json{{"handshake", change["handshake"]}})["outcome"], "own_commit");
  EXPECT_EQ(b.call("mls_process_handshake", Json{{"handshake", change["handshake"]}})["outcome"], "commit");
  log.push_back(change["handshake"]);
  for (Node* n : {&a, &b}) {
    EXPECT_EQ(policy_of(*n), upgraded);
    EXPECT_EQ(n->call("mls_status")["group"]["memberCount"], 2);
    EXPECT_EQ(n->call("mls_status")["group"]["epoch"], epoch + 1);
  }
  EXPECT_EQ(a.call("mls_status")["group"]["epochAuthenticator"], b.call("mls_status")["group"]["epochAuthenticator"]);

  // A log follower (no group, no evidence) checks the approvals too and reaches the same state.
  Node c(dir_c.path());
  for (const Json& entry : log) c.call("mls_process_handshake", Json{{"handshake", entry}});
  EXPECT_EQ(c.call("mls_status")["followedEpoch"], epoch + 1);
  EXPECT_EQ(policy_of(c), upgraded);

  // The same approvals cannot be replayed in a later epoch.
  const std::string before = a.mls_fingerprint();
  const Json replay = a.error("mls_commit_policy_change", Json{{"domain", test_domain()}, {"policy", policy_params(upgraded)},
                                                               {"approvals", sigs}});
  EXPECT_EQ(replay["code"], "policy_refused") << replay.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);

  // An enclave of the newly allowed MRENCLAVE joins; one of the old MRENCLAVE is refused.
  TestMember upgraded_member;
  dev_ias::QuoteFields new_fields;
  new_fields.mrenclave = kNewMrenclave;
  TestMember stale_member;
  for (Node* n : {&a, &b}) {
    n->call("mls_admit_evidence", upgraded_member.evidence(new_fields));
    n->call("mls_admit_evidence", stale_member.evidence());
  }
  ExternalJoin stale = external_join(a, stale_member.identity(stale_member.address));
  for (Node* n : {&a, &b}) {
    const std::string unchanged = n->mls_fingerprint();
    const Json error = n->error("mls_process_handshake", Json{{"handshake", stale.handshake}});
    EXPECT_EQ(error["code"], "leaf_not_admitted") << error.dump();
    EXPECT_NE(error["message"].get<std::string>().find("MrenclaveNotAllowed("), std::string::npos) << error.dump();
    EXPECT_EQ(n->mls_fingerprint(), unchanged);
  }
  ExternalJoin fresh = external_join(a, upgraded_member.identity(upgraded_member.address));
  for (Node* n : {&a, &b}) {
    EXPECT_EQ(n->call("mls_process_handshake", Json{{"handshake", fresh.handshake}})["outcome"], "external_join");
  }
  fresh.group.process_handshake(fresh.out.commit, &fresh.out.group_info);
  EXPECT_EQ(hex(fresh.group.epoch_authenticator()), b.call("mls_status")["group"]["epochAuthenticator"]);
}

ANONIFY_HOST_ATTACK_TEST(GovernanceScene, PolicyWithoutGovernanceNeverChanges) {
  // The test policy names no governance keys (k = n = 0): no approvals can ever change it.
  testing::TempDir dir_b;
  Node b(dir_b.path());
  b.create_group(test_domain());
  membership::GroupPolicy current = policy_of(b);
  membership::GroupPolicy wide = current;
  wide.measurement.allow_debug = true;
  const std::string before = b.mls_fingerprint();
  const Json error = b.error("mls_commit_policy_change", Json{{"domain", test_domain()}, {"policy", policy_params(wide)},
                                                              {"approvals", Json::array({approval(0, current, 0, wide.encode())})}});
  EXPECT_EQ(error["code"], "policy_refused");
  EXPECT_NE(error["message"].get<std::string>().find("never changes"), std::string::npos) << error.dump();
  EXPECT_EQ(b.mls_fingerprint(), before);
}

// ---- The group's runtime (issue 14, item 5): an enclave creates or joins only a group whose
// runtime it carries, and no policy change can switch it ----

ANONIFY_HOST_ATTACK_TEST(MembershipScene, GroupOfAnUncarriedRuntimeRefused) {
  testing::TempDir dir_b;
  Node b(dir_b.path());
  b.admit_evidence_of(b);
  const std::string before = b.mls_fingerprint();
  // Creating: the host must name the runtime, a valid name, and one this binary carries.
  Json params{{"domain", test_domain()}, {"policy", dev_ias::test_policy()}};
  params["policy"]["runtime"] = "absent-app/v1";
  const Json uncarried = b.error("mls_create_group", params);
  EXPECT_EQ(uncarried["code"], "runtime_unavailable") << uncarried.dump();
  EXPECT_NE(uncarried["message"].get<std::string>().find("\"absent-app/v1\""), std::string::npos) << uncarried.dump();
  for (const Json& bad : {Json("Token"), Json(""), Json(std::string(65, 'a')), Json(7), Json("tok\xc3\xa9n")}) {
    params["policy"]["runtime"] = bad;
    EXPECT_EQ(b.error_code("mls_create_group", params), "invalid_params") << bad.dump();
  }
  params["policy"].erase("runtime");
  EXPECT_EQ(b.error_code("mls_create_group", params), "invalid_params");
  EXPECT_EQ(b.mls_fingerprint(), before);

  // Joining: a group made by an attested member (an enclave of another build) whose policy names a
  // runtime b does not carry. Admission alone would let b in; the runtime rule refuses it.
  TestMember other_build;
  b.call("mls_admit_evidence", other_build.evidence());
  membership::GroupPolicy policy = policy_of(a);
  policy.runtime = "absent-app/v1";
  const mls::ExtensionList extensions{mls::Extension{membership::kGroupPolicyExtensionType, policy.encode()}};
  const mls::Group foreign = mls::Group::create(policy.group_id(), other_build.identity(other_build.address), extensions);
  const std::string joinable = b.mls_fingerprint();
  const Json error = b.error("mls_join_external", Json{{"groupInfo", hex(foreign.group_info(true))}, {"domain", test_domain()}});
  EXPECT_EQ(error["code"], "runtime_unavailable") << error.dump();
  EXPECT_EQ(b.mls_fingerprint(), joinable);
  // The same group running the token is joined.
  policy.runtime = "anonify-token/v1";
  const mls::Group token_group = mls::Group::create(
      policy.group_id(), other_build.identity(other_build.address),
      mls::ExtensionList{mls::Extension{membership::kGroupPolicyExtensionType, policy.encode()}});
  EXPECT_TRUE(b.call("mls_join_external", Json{{"groupInfo", hex(token_group.group_info(true))}, {"domain", test_domain()}}).contains("handshake"));
}

ANONIFY_HOST_ATTACK_TEST(GovernanceScene, PolicyChangeCannotSwitchTheRuntime) {
  TestMember bob;
  const mls::Group bob_group = add_test_member(bob, {&a});
  const membership::GroupPolicy current = policy_of(a);
  membership::GroupPolicy switched = current;
  switched.runtime = "anonify-records/v9";
  const uint64_t epoch = a.call("mls_status")["group"]["epoch"].get<uint64_t>();
  const Bytes encoded = switched.encode();
  // Fully approved by k governance keys, and still refused: by the committing enclave...
  std::vector<std::string> signatures;
  for (size_t i = 0; i < 2; ++i) signatures.push_back(approval(i, current, epoch, encoded));
  Json params = policy_params(switched);
  params["runtime"] = switched.runtime;
  const std::string before = a.mls_fingerprint();
  const Json error = a.error("mls_commit_policy_change", Json{{"domain", test_domain()}, {"policy", params}, {"approvals", signatures}});
  EXPECT_EQ(error["code"], "policy_refused") << error.dump();
  EXPECT_NE(error["message"].get<std::string>().find("runtime"), std::string::npos) << error.dump();
  // ...and by a member processing another member's commit of it.
  const std::string commit = policy_commit(bob_group, with_policy(switched), approvals(signatures));
  EXPECT_EQ(a.error_code("mls_process_handshake", Json{{"handshake", commit}}), "policy_refused");
  EXPECT_EQ(a.mls_fingerprint(), before);
  // A change that omits the runtime keeps the group's.
  params.erase("runtime");
  membership::GroupPolicy wider = current;
  wider.measurement.max_age_seconds = 3600;
  std::vector<std::string> wider_signatures;
  for (size_t i = 0; i < 2; ++i) wider_signatures.push_back(approval(i, current, epoch, wider.encode()));
  a.call("mls_commit_policy_change", Json{{"domain", test_domain()}, {"policy", policy_params(wider)}, {"approvals", wider_signatures}});
}

}  // namespace
}  // namespace anonify::enclave
