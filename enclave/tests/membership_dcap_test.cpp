// DCAP evidence in the membership rule (issue 13): a simulation enclave, driven through the
// production method table as the host drives it, admits a member whose DCAP quote comes from the
// development PCS (test/vectors/dcap-dev, re-signed for the member's keys by the development QE),
// and refuses, each with its specific error and changing nothing: Intel's real quote (not under
// the compiled-in development root), a REPORTDATA that binds other keys, a TCB status, DEBUG or
// MRENCLAVE the group's policy refuses, collateral that expired between registration and the
// handshake, withheld CRLs, and malformed frames. The sealed cache keeps DCAP entries across a
// restart, and a cache sealed before DCAP (format 1, IAS only) still loads. The group's collateral
// grace and minimum tcbEvaluationDataNumber (its policy's mirror of DcapVerifier.policy()) apply at
// registration (the grace) and at admission (both).
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anonify/attestation/dcap.h"
#include "anonify/attestation/evidence.h"
#include "anonify/crypto/hpke.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/platform.h"
#include "anonify/membership/admission.h"
#include "anonify/membership/evidence_cache.h"
#include "anonify/membership/group_policy.h"
#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/mls/tls_codec.h"
#include "dcap_dev_test_util.h"
#include "mls_protocol_node.h"

namespace anonify::enclave {
namespace {

using testing_mls::Node;
using testing_mls::test_domain;
namespace dev_ias = testing::dev_ias;
namespace dev_dcap = testing::dev_dcap;

using dev_dcap::hex;

Bytes hex_bytes(const Json& j) { return from_hex(j.get<std::string>()); }

// A member that is not an enclave of ours: its own keys and DCAP evidence the development QE
// signed for them, as another honest enclave's node would hand over.
struct DcapMember {
  Bytes address = crypto::random_bytes(20);
  crypto::hpke::KeyPair hpke = crypto::hpke::generate_key_pair();
  mls::SignatureKeyPair keys = mls::generate_signature_key_pair();

  mls::MemberIdentity identity() const {
    return mls::MemberIdentity{mls::Credential::basic(address), mls::SignatureKeyPair{keys.private_key, keys.public_key}};
  }
  // The test policy's signer (the SIMULATION MRSIGNER, product 0) unless a test changes it.
  dev_dcap::QuoteFields fields() const {
    dev_dcap::QuoteFields f;
    f.mrenclave = Bytes(32, 0x6b);
    f.mrsigner = simulation_mrsigner();
    f.isv_prod_id = 0;
    f.isv_svn = 0;
    f.report_data = dev_ias::report_data(address, hpke.public_key, keys.public_key);
    return f;
  }
  Json evidence(const dev_dcap::QuoteFields& f, uint64_t at = dev_dcap::kRegistrationTime) const {
    return dev_dcap::admit_params(dev_dcap::quote(f), hpke.public_key, keys.public_key, at);
  }
  Json evidence() const { return evidence(fields()); }
};

// The test policy with the development platform's TCB status beside IAS's "OK".
Json dcap_policy() {
  Json p = dev_ias::test_policy();
  p["allowedStatuses"] = Json::array({"OK", dev_dcap::kPlatformTcbStatus});
  return p;
}

void create_group(Node& a, const Json& policy = dcap_policy()) {
  a.admit_evidence_of(a);
  a.call("mls_create_group", Json{{"domain", test_domain()}, {"policy", policy}});
}

// `m`'s external commit into a's group, built from a's public state (what the host relays).
std::string external_join(Node& a, const DcapMember& m) {
  const Json pub = a.call("mls_public_state");
  mls::CommitOutput out;
  mls::Group::join_external(hex_bytes(pub["groupInfo"]), hex_bytes(pub["ratchetTree"]), m.identity(), out);
  return hex(mls::tls_encode(mls::HandshakeEntry{out.commit, out.group_info}));
}

Json handshake_at(const std::string& handshake, uint64_t block_time) {
  return Json{{"handshake", handshake}, {"blockTimestamp", std::to_string(block_time)}};
}

// The join of `m` is refused with leaf_not_admitted naming `expected`; the group is unchanged.
void expect_join_refused(Node& a, const DcapMember& m, const std::string& expected,
                         uint64_t at = dev_dcap::kRegistrationTime + 60) {
  const std::string handshake = external_join(a, m);
  const std::string before = a.mls_fingerprint();
  const Json error = a.error("mls_process_handshake", handshake_at(handshake, at));
  EXPECT_EQ(error["code"], "leaf_not_admitted") << error.dump();
  EXPECT_NE(error["message"].get<std::string>().find(expected), std::string::npos) << error.dump();
  EXPECT_EQ(a.mls_fingerprint(), before);
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 1);
}

void expect_join_admitted(Node& a, const DcapMember& m, uint64_t at = dev_dcap::kRegistrationTime + 60) {
  const Json applied = a.call("mls_process_handshake", handshake_at(external_join(a, m), at));
  EXPECT_EQ(applied["outcome"], "external_join") << applied.dump();
  EXPECT_EQ(a.call("mls_status")["group"]["memberCount"], 2);
}

// mls_admit_evidence refused with `code` whose message starts with `prefix`; nothing cached.
void expect_evidence_refused(Node& a, const Json& params, const std::string& code, const std::string& prefix) {
  const Json error = a.error("mls_admit_evidence", params);
  EXPECT_EQ(error["code"], code) << error.dump();
  EXPECT_EQ(error["message"].get<std::string>().rfind(prefix, 0), 0u) << error.dump();
}

TEST(DcapMembership, TheSimulationBuildPinsTheDevelopmentDcapRoot) {
  const attestation::TrustAnchors& anchors = attestation::trust_anchors();
  EXPECT_TRUE(anchors.simulation);
  EXPECT_EQ(anchors.dcap_root_ca, dev_dcap::dev_pki(dev_dcap::kRootCaDer));
  EXPECT_NE(anchors.dcap_root_ca, dev_ias::file_bytes(dev_ias::repo_path("src/attestation/certs/intel_sgx_root_ca.der")));
}

TEST(DcapMembership, AdmitsADevelopmentDcapMember) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const Json r = a.call("mls_admit_evidence", m.evidence());
  EXPECT_EQ(r["kind"], "dcap");
  EXPECT_EQ(r["address"], hex(m.address));
  EXPECT_EQ(r["mlsSignatureKey"], hex(m.keys.public_key));
  EXPECT_EQ(r["mrenclave"], hex(Bytes(32, 0x6b)));
  EXPECT_EQ(r["mrsigner"], hex(simulation_mrsigner()));
  EXPECT_EQ(r["debug"], false);
  EXPECT_EQ(r["status"], dev_dcap::kPlatformTcbStatus);
  EXPECT_EQ(r["timestamp"], std::to_string(dev_dcap::kRegistrationTime));
  EXPECT_EQ(r["dcap"]["qeTcbStatus"], dev_dcap::kQeTcbStatus);
  EXPECT_EQ(r["dcap"]["collateralNextUpdate"], std::to_string(dev_dcap::kCollateralNextUpdate));
  EXPECT_EQ(r["cached"], 2);  // a's own IAS evidence and m's
  // The same evidence again keeps one entry.
  EXPECT_EQ(a.call("mls_admit_evidence", m.evidence())["cached"], 2);
  expect_join_admitted(a, m);
}

// The real Intel quote (test/vectors/dcap) with Intel's collateral, at a time it is valid under
// Intel's root: a simulation enclave refuses it as not under its root; and a development quote is
// refused under Intel's root, as an sgx build (trust_anchors() = Intel's roots) refuses it.
TEST(DcapMembership, EvidenceUnderTheOtherRootIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const auto intel = [](const std::string& name) { return dev_ias::file_bytes(testing::vector_path("dcap/" + name)); };
  const Json real{{"kind", "dcap"},
                  {"quote", hex(intel("quote_v3_sgx.bin"))},
                  {"tcbInfo", hex(intel("0825_sgx_tcbinfov3_00606a000000.json"))},
                  {"qeIdentity", hex(intel("0825_sgx_qeidentity_v4.json"))},
                  {"tcbSigningChain", hex(dev_ias::file_bytes(dev_ias::repo_path("src/attestation/certs/intel_sgx_tcb_signing_chain.pem")))},
                  {"rootCaCrl", hex(intel("rootCrlDer.der"))},
                  {"pckCaCrl", hex(intel("0825_platform_crl.der"))},
                  {"hpkePublicKey", hex(m.hpke.public_key)},
                  {"mlsSignatureKey", hex(m.keys.public_key)},
                  {"blockTimestamp", "1755236700"}};
  expect_evidence_refused(a, real, "evidence_refused", "RootCaNotPinned(0)");
  expect_join_refused(a, m, "no verified evidence");

  attestation::DcapEvidence dev;
  dev.quote = dev_dcap::quote(m.fields());
  dev.collateral.tcb_info = dev_dcap::fixture(dev_dcap::kTcbInfo);
  dev.collateral.qe_identity = dev_dcap::fixture(dev_dcap::kQeIdentity);
  dev.collateral.tcb_signing_chain_pem = dev_dcap::fixture(dev_dcap::kTcbSigningChain);
  dev.collateral.crls = {dev_dcap::fixture(dev_dcap::kRootCrl), dev_dcap::fixture(dev_dcap::kPckCrl)};
  const Bytes intel_root = dev_ias::file_bytes(dev_ias::repo_path("src/attestation/certs/intel_sgx_root_ca.der"));
  try {
    membership::verify_member_dcap_evidence(dev, m.hpke.public_key, m.keys.public_key, intel_root,
                                            dev_dcap::kRegistrationTime);
    FAIL() << "development evidence admitted under Intel's root";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kEvidenceRefused);
    EXPECT_EQ(std::string(e.what()).rfind("RootCaNotPinned(0)", 0), 0u) << e.what();
  }
  // The same evidence under the development root verifies (the refusal above is the root's).
  const membership::VerifiedMember v = membership::verify_member_dcap_evidence(
      dev, m.hpke.public_key, m.keys.public_key, attestation::trust_anchors().dcap_root_ca, dev_dcap::kRegistrationTime);
  EXPECT_EQ(v.identity.kind, attestation::EvidenceKind::kDcap);
  ASSERT_TRUE(v.dcap.has_value());
  EXPECT_EQ(v.dcap->collateral_next_update, dev_dcap::kCollateralNextUpdate);
}

TEST(DcapMembership, ReportDataMustBindTheKeys) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const DcapMember other;
  // m's genuine quote handed for other's keys.
  Json borrowed = m.evidence();
  borrowed["hpkePublicKey"] = hex(other.hpke.public_key);
  borrowed["mlsSignatureKey"] = hex(other.keys.public_key);
  expect_evidence_refused(a, borrowed, "evidence_refused", "ReportDataKeyHashMismatch(");
  // The reserved tail of REPORTDATA must be zero.
  dev_dcap::QuoteFields f = m.fields();
  f.report_data[63] = 1;
  expect_evidence_refused(a, m.evidence(f), "evidence_refused", "ReportDataReservedNotZero(");
  // A quote whose ISV signature no longer covers its body (REPORTDATA changed after signing).
  Bytes tampered = dev_dcap::quote(m.fields());
  tampered[dev_dcap::kReportDataOffset + 20] ^= 0x01;
  Json params = m.evidence();
  params["quote"] = hex(tampered);
  const Json error = a.error("mls_admit_evidence", params);
  EXPECT_EQ(error["code"], "evidence_refused") << error.dump();
  expect_join_refused(a, m, "no verified evidence");
  expect_join_refused(a, other, "no verified evidence");
}

TEST(DcapMembership, TcbStatusOutsideThePolicyIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a, dev_ias::test_policy());  // allowedStatuses ["OK"]: IAS only
  const DcapMember m;
  a.call("mls_admit_evidence", m.evidence());
  expect_join_refused(a, m, "QeTcbStatusNotAllowed(UpToDate)");
}

// The development TCB Info without its UpToDate level: the platform is OutOfDate (its QE UpToDate).
TEST(DcapMembership, PlatformOutOfDateIsRefusedUnlessListed) {
  const DcapMember m;
  Json evidence = m.evidence();
  evidence["tcbInfo"] = hex(dev_dcap::fixture(dev_dcap::kTcbInfoOutOfDate));
  {
    testing::TempDir dir;
    Node a(dir.path());
    create_group(a);  // "OK", "UpToDate"
    EXPECT_EQ(a.call("mls_admit_evidence", evidence)["status"], "OutOfDate");
    expect_join_refused(a, m, "TcbStatusNotAllowed(OutOfDate)");
  }
  testing::TempDir dir;
  Node a(dir.path());
  Json policy = dcap_policy();
  policy["allowedStatuses"].push_back("OutOfDate");
  create_group(a, policy);
  a.call("mls_admit_evidence", evidence);
  expect_join_admitted(a, m);
}

// The PCK CA CRL that revokes the development PCK: refused at registration, nothing cached.
TEST(DcapMembership, RevokedPckIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  Json evidence = m.evidence();
  evidence["pckCaCrl"] = hex(dev_dcap::fixture(dev_dcap::kPckCrlRevokingPck));
  expect_evidence_refused(a, evidence, "evidence_refused", std::string("CertificateRevoked(2, ") + dev_dcap::kPckSerial + ")");
  expect_join_refused(a, m, "no verified evidence");
}

// Rule 4 for a DCAP entry, alone (check_member_policy), in its order: collateral, verdict age, QE
// status, platform status ("Revoked" never, though listed), then the enclave part.
std::string policy_refusal(const membership::VerifiedMember& m, const attestation::MeasurementPolicy& p, uint64_t at) {
  try {
    membership::check_member_policy(m, p, at);
  } catch (const attestation::EvidenceError& e) {
    std::string out = e.code() + "(";
    for (size_t i = 0; i < e.args().size(); ++i) out += (i ? ", " : "") + e.args()[i];
    return out + ")";
  }
  return "admitted";
}

TEST(DcapMembership, PolicyRuleForDcapEntries) {
  membership::VerifiedMember m;
  m.identity.kind = attestation::EvidenceKind::kDcap;
  m.identity.mrenclave = Bytes(32, 0x6b);
  m.identity.mrsigner = Bytes(32, 0x01);
  m.identity.report_data = Bytes(64, 0);
  m.identity.status = "SWHardeningNeeded";
  m.identity.timestamp = 1000;
  m.dcap = membership::DcapVerdict{"UpToDate", 5000, 17, Bytes(6, 0), "01", 17, 17};
  attestation::MeasurementPolicy p;
  p.allowed_statuses = {"OK", "UpToDate", "SWHardeningNeeded"};
  p.allowed_mrenclaves = std::vector<Bytes>{Bytes(32, 0x6b)};
  EXPECT_EQ(policy_refusal(m, p, 2000), "admitted");
  EXPECT_EQ(policy_refusal(m, p, 5000), "admitted");
  EXPECT_EQ(policy_refusal(m, p, 5001), "CollateralExpiredAtAdmission(5000, 5001)");
  // max_age_seconds bounds the age of the verdict (now - the time it was verified at).
  p.max_age_seconds = 500;
  EXPECT_EQ(policy_refusal(m, p, 1500), "admitted");
  EXPECT_EQ(policy_refusal(m, p, 1501), "ReportTooOld(1000, 500, 1501)");
  p.max_age_seconds = 0;
  // The QE's status first, then the platform's, byte for byte.
  p.allowed_statuses = {"OK", "SWHardeningNeeded"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "QeTcbStatusNotAllowed(UpToDate)");
  p.allowed_statuses = {"OK", "UpToDate", "swhardeningneeded"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbStatusNotAllowed(SWHardeningNeeded)");
  // IAS's "SW_HARDENING_NEEDED" is another name: it admits no DCAP platform.
  p.allowed_statuses = {"UpToDate", "SW_HARDENING_NEEDED"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbStatusNotAllowed(SWHardeningNeeded)");
  // "Revoked" is never admitted, though a policy lists it.
  m.identity.status = "Revoked";
  p.allowed_statuses = {"UpToDate", "Revoked"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbStatusNotAllowed(Revoked)");
  m.identity.status = "UpToDate";
  m.dcap->qe_tcb_status = "Revoked";
  EXPECT_EQ(policy_refusal(m, p, 2000), "QeTcbStatusNotAllowed(Revoked)");
  m.dcap->qe_tcb_status = "UpToDate";
  // Then DEBUG, MRENCLAVE, signer (check_enclave_policy).
  m.identity.debug = true;
  EXPECT_EQ(policy_refusal(m, p, 2000), "DebugEnclaveNotAllowed(" + hex(Bytes(32, 0x6b)) + ")");
  m.identity.debug = false;
  m.identity.mrenclave = Bytes(32, 0x6c);
  EXPECT_EQ(policy_refusal(m, p, 2000), "MrenclaveNotAllowed(" + hex(Bytes(32, 0x6c)) + ")");
  // A DCAP entry without its verdict is never admitted.
  m.identity.mrenclave = Bytes(32, 0x6b);
  m.dcap.reset();
  EXPECT_EQ(policy_refusal(m, p, 2000), "DcapVerdictMissing()");
  // IAS entries keep check_policy (statuses compared to isvEnclaveQuoteStatus).
  m.identity.kind = attestation::EvidenceKind::kIas;
  m.identity.status = "OK";
  p.allowed_statuses = {"OK"};
  EXPECT_EQ(policy_refusal(m, p, 999999), "admitted");
  p.allowed_statuses = {"UpToDate"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "QuoteStatusNotAllowed(OK)");
}

// The group's collateral grace and minimum tcbEvaluationDataNumber (DcapVerifier.policy()): the
// collateral is current until nextUpdate + grace; after the age check, TCB Info's number (kind 0)
// then QE Identity's (kind 1) must reach the minimum, with verifier.ts's error and arguments.
TEST(DcapMembership, TheGroupsGraceAndMinimumEvaluationNumberApply) {
  membership::VerifiedMember m;
  m.identity.kind = attestation::EvidenceKind::kDcap;
  m.identity.mrenclave = Bytes(32, 0x6b);
  m.identity.mrsigner = Bytes(32, 0x01);
  m.identity.report_data = Bytes(64, 0);
  m.identity.status = "UpToDate";
  m.identity.timestamp = 1000;
  m.dcap = membership::DcapVerdict{"UpToDate", 5000, 17, Bytes(6, 0), "01", 18, 17};
  attestation::MeasurementPolicy p;
  p.allowed_statuses = {"UpToDate"};
  p.allowed_mrenclaves = std::vector<Bytes>{Bytes(32, 0x6b)};
  EXPECT_EQ(policy_refusal(m, p, 5001), "CollateralExpiredAtAdmission(5000, 5001)");
  p.collateral_grace_seconds = 100;
  EXPECT_EQ(policy_refusal(m, p, 5001), "admitted");
  EXPECT_EQ(policy_refusal(m, p, 5100), "admitted");
  EXPECT_EQ(policy_refusal(m, p, 5101), "CollateralExpiredAtAdmission(5000, 5101)");
  p.collateral_grace_seconds = attestation::kMaxCollateralGrace;
  EXPECT_EQ(policy_refusal(m, p, 5000 + attestation::kMaxCollateralGrace), "admitted");
  p.collateral_grace_seconds = 0;
  // TCB Info 18, QE Identity 17.
  p.min_tcb_evaluation_data_number = 17;
  EXPECT_EQ(policy_refusal(m, p, 2000), "admitted");
  p.min_tcb_evaluation_data_number = 18;
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbEvaluationDataNumberTooLow(1, 18, 17)");
  p.min_tcb_evaluation_data_number = 19;
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbEvaluationDataNumberTooLow(0, 19, 18)");
  // TCB Info is judged first.
  m.dcap->tcb_info_evaluation_data_number = 17;
  m.dcap->qe_identity_evaluation_data_number = 16;
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbEvaluationDataNumberTooLow(0, 19, 17)");
  // After the collateral and the age, before the statuses.
  EXPECT_EQ(policy_refusal(m, p, 5001), "CollateralExpiredAtAdmission(5000, 5001)");
  p.max_age_seconds = 500;
  EXPECT_EQ(policy_refusal(m, p, 1501), "ReportTooOld(1000, 500, 1501)");
  p.max_age_seconds = 0;
  p.allowed_statuses = {"OK"};
  EXPECT_EQ(policy_refusal(m, p, 2000), "TcbEvaluationDataNumberTooLow(0, 19, 17)");
  // IAS entries ignore both.
  m.identity.kind = attestation::EvidenceKind::kIas;
  m.identity.status = "OK";
  m.dcap.reset();
  EXPECT_EQ(policy_refusal(m, p, 999999), "admitted");
}

// The two fields in the AnonifyGroupPolicy encoding: after max_age_seconds, uint64 then uint32;
// one encoding per policy; the grace at most 30 days (DcapVerifier's MAX_COLLATERAL_GRACE).
TEST(DcapMembership, TheGroupPolicyEncodingCarriesGraceAndMinimum) {
  membership::GroupPolicy p;
  p.chain_id = 31337;
  p.group_contract = Bytes(20, 0x42);
  p.measurement.allowed_statuses = {"UpToDate"};
  p.measurement.allowed_mrenclaves = std::vector<Bytes>{Bytes(32, 0x6b)};
  p.measurement.max_age_seconds = 0x0102;
  p.measurement.collateral_grace_seconds = 86400;
  p.measurement.min_tcb_evaluation_data_number = 17;
  p.runtime = "anonify-token/v1";
  const Bytes encoded = p.encode();
  const membership::GroupPolicy back = membership::GroupPolicy::decode(encoded);
  EXPECT_TRUE(back == p);
  EXPECT_EQ(back.measurement.collateral_grace_seconds, 86400u);
  EXPECT_EQ(back.measurement.min_tcb_evaluation_data_number, 17u);
  EXPECT_EQ(back.encode(), encoded);
  // The bytes: max_age_seconds, then the grace (uint64) and the minimum (uint32).
  const Bytes expected_tail = from_hex("0000000000000102" "0000000000015180" "00000011");
  EXPECT_NE(std::search(encoded.begin(), encoded.end(), expected_tail.begin(), expected_tail.end()), encoded.end());
  // Either field differing is another policy.
  membership::GroupPolicy other = p;
  other.measurement.collateral_grace_seconds = 86401;
  EXPECT_FALSE(other == p);
  EXPECT_NE(other.encode(), encoded);
  other = p;
  other.measurement.min_tcb_evaluation_data_number = 18;
  EXPECT_FALSE(other == p);
  EXPECT_NE(other.encode(), encoded);
  // An encoding without the two fields (before them) is malformed, not read as zeros.
  membership::GroupPolicy zero = p;
  zero.measurement.collateral_grace_seconds = 0;
  zero.measurement.min_tcb_evaluation_data_number = 0;
  Bytes short_form = zero.encode();
  const Bytes zeros(12, 0);
  auto at = std::search(short_form.begin(), short_form.end(), zeros.begin(), zeros.end());
  ASSERT_NE(at, short_form.end());
  short_form.erase(at, at + 12);
  try {
    membership::GroupPolicy::decode(short_form);
    FAIL() << "a policy without grace and minimum decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPolicyRefused) << e.what();
  }
  // 30 days is the most; one second more is refused, by encode and by decode.
  membership::GroupPolicy widest = p;
  widest.measurement.collateral_grace_seconds = 2'592'000;
  EXPECT_TRUE(membership::GroupPolicy::decode(widest.encode()) == widest);
  membership::GroupPolicy too_wide = p;
  too_wide.measurement.collateral_grace_seconds = 2'592'001;
  try {
    too_wide.encode();
    FAIL() << "a grace over 30 days encoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPolicyRefused);
    EXPECT_NE(std::string(e.what()).find("collateral_grace_seconds"), std::string::npos) << e.what();
  }
  Bytes over = widest.encode();
  const Bytes grace_30d = from_hex("0000000000278d00");
  auto g = std::search(over.begin(), over.end(), grace_30d.begin(), grace_30d.end());
  ASSERT_NE(g, over.end());
  g[7] = 0x01;  // 2592001
  try {
    membership::GroupPolicy::decode(over);
    FAIL() << "a grace over 30 days decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPolicyRefused);
    EXPECT_NE(std::string(e.what()).find("collateral_grace_seconds"), std::string::npos) << e.what();
  }
}

// mls_create_group takes collateralGrace and minTcbEvaluationDataNumber (a number or decimal string;
// bad types invalid_params naming the field, a grace over 30 days policy_refused).
TEST(DcapMembership, PolicyParamsGraceAndMinimum) {
  testing::TempDir dir;
  Node a(dir.path());
  a.admit_evidence_of(a);
  const auto create = [&](const char* field, const Json& value) {
    Json policy = dcap_policy();
    policy[field] = value;
    return Json{{"domain", test_domain()}, {"policy", policy}};
  };
  for (const char* field : {"collateralGrace", "minTcbEvaluationDataNumber"}) {
    for (const Json& bad : {Json(-1), Json(1.5), Json(true), Json("ten"), Json("-1"), Json("01"), Json::array()}) {
      const Json error = a.error("mls_create_group", create(field, bad));
      EXPECT_EQ(error["code"], "invalid_params") << field << " " << bad.dump();
      EXPECT_NE(error["message"].get<std::string>().find(std::string("params.policy.") + field), std::string::npos)
          << error.dump();
    }
  }
  const Json too_big = a.error("mls_create_group", create("minTcbEvaluationDataNumber", Json(uint64_t{1} << 32)));
  EXPECT_EQ(too_big["code"], "invalid_params") << too_big.dump();
  EXPECT_NE(too_big["message"].get<std::string>().find("minTcbEvaluationDataNumber"), std::string::npos);
  const Json too_long = a.error("mls_create_group", create("collateralGrace", Json(2'592'001)));
  EXPECT_EQ(too_long["code"], "policy_refused") << too_long.dump();
  EXPECT_NE(too_long["message"].get<std::string>().find("collateral_grace_seconds"), std::string::npos);
  EXPECT_TRUE(a.call("mls_status")["group"].is_null());
  Json policy = dcap_policy();
  policy["collateralGrace"] = "2592000";
  policy["minTcbEvaluationDataNumber"] = 17;
  EXPECT_EQ(a.call("mls_create_group", Json{{"domain", test_domain()}, {"policy", policy}})["status"]["memberCount"], 1);
}

// End to end: a group whose policy has a minimum above the development collateral's
// tcbEvaluationDataNumber (17 for TCB Info and QE Identity) refuses the join; at the minimum it
// admits it.
TEST(DcapMembership, AJoinBelowTheGroupsMinimumEvaluationNumberIsRefused) {
  {
    testing::TempDir dir;
    Node a(dir.path());
    Json policy = dcap_policy();
    policy["minTcbEvaluationDataNumber"] = 18;
    create_group(a, policy);
    const DcapMember m;
    EXPECT_EQ(a.call("mls_admit_evidence", m.evidence())["dcap"]["tcbEvaluationDataNumber"], 17);
    expect_join_refused(a, m, "TcbEvaluationDataNumberTooLow(0, 18, 17)");
  }
  testing::TempDir dir;
  Node a(dir.path());
  Json policy = dcap_policy();
  policy["minTcbEvaluationDataNumber"] = 17;
  create_group(a, policy);
  const DcapMember m;
  a.call("mls_admit_evidence", m.evidence());
  expect_join_admitted(a, m);
}

// End to end: the group's grace extends the collateral past nextUpdate, at registration (the
// enclave holds the group: mls_admit_evidence verifies with its grace) and at admission, and no
// further.
TEST(DcapMembership, CollateralPastNextUpdateIsAdmittedWithinTheGroupsGrace) {
  const uint64_t next = dev_dcap::kCollateralNextUpdate;
  const uint64_t grace = 3600;
  {
    testing::TempDir dir;
    Node a(dir.path());
    Json policy = dcap_policy();
    policy["collateralGrace"] = grace;
    create_group(a, policy);
    const DcapMember m;
    // Registered past nextUpdate, within the grace; admitted at nextUpdate + grace exactly.
    EXPECT_EQ(a.call("mls_admit_evidence", m.evidence(m.fields(), next + grace))["kind"], "dcap");
    expect_join_admitted(a, m, next + grace);
  }
  {
    testing::TempDir dir;
    Node a(dir.path());
    Json policy = dcap_policy();
    policy["collateralGrace"] = grace;
    create_group(a, policy);
    const DcapMember m;
    expect_evidence_refused(a, m.evidence(m.fields(), next + grace + 1), "evidence_refused", "CollateralExpired(");
    a.call("mls_admit_evidence", m.evidence());
    expect_join_refused(a, m,
                        "CollateralExpiredAtAdmission(" + std::to_string(next) + ", " + std::to_string(next + grace + 1) + ")",
                        next + grace + 1);
  }
}

TEST(DcapMembership, DebugEnclaveIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  dev_dcap::QuoteFields f = m.fields();
  f.debug = true;
  EXPECT_EQ(a.call("mls_admit_evidence", m.evidence(f))["debug"], true);
  expect_join_refused(a, m, "DebugEnclaveNotAllowed(" + hex(Bytes(32, 0x6b)) + ")");
}

TEST(DcapMembership, MrenclaveOutsideTheAllowlistIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  Json policy = dcap_policy();
  policy.erase("signer");
  policy["mrenclaves"] = Json::array({a.call("status")["mrenclave"]});
  create_group(a, policy);
  const DcapMember m;
  a.call("mls_admit_evidence", m.evidence());
  expect_join_refused(a, m, "MrenclaveNotAllowed(" + hex(Bytes(32, 0x6b)) + ")");
}

TEST(DcapMembership, SignerRuleAppliesToDcap) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  dev_dcap::QuoteFields f = m.fields();
  f.isv_prod_id = 7;
  a.call("mls_admit_evidence", m.evidence(f));
  expect_join_refused(a, m, "IsvProdIdMismatch(0, 7)");
}

// Registered while the collateral was current, the handshake lands after its nextUpdate: refused
// at admission; at nextUpdate exactly it is still current.
TEST(DcapMembership, CollateralExpiredAtAdmissionIsRefused) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  a.call("mls_admit_evidence", m.evidence());
  const uint64_t next = dev_dcap::kCollateralNextUpdate;
  expect_join_refused(a, m, "CollateralExpiredAtAdmission(" + std::to_string(next) + ", " + std::to_string(next + 1) + ")",
                      next + 1);
  expect_join_admitted(a, m, next);
}

// Registration is judged at max(chain clock, blockTimestamp): a host cannot take the enclave back
// before a block it applied, and evidence whose collateral is past its nextUpdate is refused then.
TEST(DcapMembership, RegistrationIsJudgedAtTheChainClock) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const uint64_t next = dev_dcap::kCollateralNextUpdate;
  expect_evidence_refused(a, m.evidence(m.fields(), next + 1), "evidence_refused", "CollateralExpired(");
  // An IAS member joins in a block at next + 10: the chain clock moves past nextUpdate, and an
  // older blockTimestamp (or none) no longer helps.
  const DcapMember ias_joiner;
  dev_ias::QuoteFields fields;
  fields.report_data = dev_ias::report_data(ias_joiner.address, ias_joiner.hpke.public_key, ias_joiner.keys.public_key);
  a.call("mls_admit_evidence", dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(fields)),
                                                     ias_joiner.hpke.public_key, ias_joiner.keys.public_key));
  EXPECT_EQ(a.call("mls_process_handshake", handshake_at(external_join(a, ias_joiner), next + 10))["outcome"],
            "external_join");
  expect_evidence_refused(a, m.evidence(m.fields(), dev_dcap::kRegistrationTime), "evidence_refused",
                          "CollateralExpired(");
  Json no_time = m.evidence();
  no_time.erase("blockTimestamp");
  expect_evidence_refused(a, no_time, "evidence_refused", "CollateralExpired(");
}

// Once the chain clock is set, a post-dated blockTimestamp tightens the verification but the
// verdict's time stays the chain clock: max_age_seconds cannot be escaped by post-dating.
TEST(DcapMembership, AVerdictCannotBePostDated) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember ias_joiner;
  dev_ias::QuoteFields fields;
  fields.report_data = dev_ias::report_data(ias_joiner.address, ias_joiner.hpke.public_key, ias_joiner.keys.public_key);
  a.call("mls_admit_evidence", dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(fields)),
                                                     ias_joiner.hpke.public_key, ias_joiner.keys.public_key));
  const uint64_t clock = dev_dcap::kRegistrationTime + 100;
  a.call("mls_process_handshake", handshake_at(external_join(a, ias_joiner), clock));
  const DcapMember m;
  const Json r = a.call("mls_admit_evidence", m.evidence(m.fields(), dev_dcap::kRegistrationTime + 1'000'000));
  EXPECT_EQ(r["timestamp"], std::to_string(clock));
}

TEST(DcapMembership, BothCrlsAreRequired) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const Json good = m.evidence();
  for (const char* crl : {"rootCaCrl", "pckCaCrl"}) {
    Json withheld = good;
    withheld.erase(crl);
    expect_evidence_refused(a, withheld, "invalid_params", "");
    Json empty = good;
    empty[crl] = "0x";
    expect_evidence_refused(a, empty, "invalid_params", "params." + std::string(crl) + " is empty");
  }
  // One CRL handed twice: revocation would go unchecked for the other CA.
  Json root_twice = good;
  root_twice["pckCaCrl"] = good["rootCaCrl"];
  expect_evidence_refused(a, root_twice, "evidence_refused", "RevocationNotChecked()");
  Json pck_twice = good;
  pck_twice["rootCaCrl"] = good["pckCaCrl"];
  expect_evidence_refused(a, pck_twice, "evidence_refused", "RevocationNotChecked()");
  expect_join_refused(a, m, "no verified evidence");
}

TEST(DcapMembership, MalformedFramesAreRefusedAndChangeNothing) {
  testing::TempDir dir;
  Node a(dir.path());
  create_group(a);
  const DcapMember m;
  const Json good = m.evidence();
  const std::string before = a.mls_fingerprint();
  const auto with = [&](const std::function<void(Json&)>& edit) {
    Json p = good;
    edit(p);
    return p;
  };
  for (const char* field : {"quote", "tcbInfo", "qeIdentity", "tcbSigningChain", "hpkePublicKey", "mlsSignatureKey"}) {
    expect_evidence_refused(a, with([&](Json& p) { p.erase(field); }), "invalid_params", "");
    expect_evidence_refused(a, with([&](Json& p) { p[field] = "0xzz"; }), "invalid_params", "");
    expect_evidence_refused(a, with([&](Json& p) { p[field] = 42; }), "invalid_params", "");
  }
  expect_evidence_refused(a, with([](Json& p) { p["quote"] = "0x"; }), "invalid_params", "params.quote is empty");
  expect_evidence_refused(a, with([&](Json& p) { p["hpkePublicKey"] = hex(Bytes(31, 1)); }), "invalid_params", "");
  expect_evidence_refused(a, with([](Json& p) { p["blockTimestamp"] = "-1"; }), "invalid_params", "");
  expect_evidence_refused(a, with([](Json& p) { p["blockTimestamp"] = "soon"; }), "invalid_params", "");
  expect_evidence_refused(a, with([](Json& p) { p["kind"] = "tdx"; }), "unsupported", "");
  expect_evidence_refused(a, with([](Json& p) { p["crls"] = p["rootCaCrl"]; p.erase("rootCaCrl"); }), "invalid_params", "");
  // Garbage behind valid hex: the verifier's specific codes.
  expect_evidence_refused(a, with([](Json& p) { p["quote"] = "0x0300"; }), "evidence_refused", "QuoteTruncated(");
  expect_evidence_refused(a, with([](Json& p) { p["tcbInfo"] = hex(Bytes{'{', '}'}); }), "evidence_refused", "Collateral");
  expect_evidence_refused(a, with([](Json& p) { p["pckCaCrl"] = "0x3000"; }), "evidence_refused", "CrlMalformed(");
  // A fresh enclave has no chain clock: without blockTimestamp there is no time to judge at.
  testing::TempDir dir_b;
  Node b(dir_b.path());
  expect_evidence_refused(b, with([](Json& p) { p.erase("blockTimestamp"); }), "invalid_state", "no block time");
  EXPECT_EQ(a.mls_fingerprint(), before);
  expect_join_refused(a, m, "no verified evidence");
}

TEST(DcapMembership, TheSealedCacheKeepsDcapEntries) {
  testing::TempDir dir;
  const DcapMember m;
  {
    Node a(dir.path());
    create_group(a);
    a.call("mls_admit_evidence", m.evidence());
    a.restart();
    // Still cached after the restart: m is admitted without the host handing its evidence again.
    expect_join_admitted(a, m);
  }
  Enclave e(make_simulation_platform(), dir.path());
  e.init(std::nullopt);
  const membership::VerifiedMember* cached = e.component<membership::EvidenceCache>().find(m.keys.public_key);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->identity.kind, attestation::EvidenceKind::kDcap);
  EXPECT_EQ(cached->identity.status, dev_dcap::kPlatformTcbStatus);
  EXPECT_EQ(cached->identity.timestamp, dev_dcap::kRegistrationTime);
  EXPECT_EQ(cached->identity.report_data, m.fields().report_data);
  EXPECT_EQ(cached->address, m.address);
  EXPECT_EQ(cached->hpke_public_key, m.hpke.public_key);
  ASSERT_TRUE(cached->dcap.has_value());
  EXPECT_EQ(cached->dcap->qe_tcb_status, dev_dcap::kQeTcbStatus);
  EXPECT_EQ(cached->dcap->collateral_next_update, dev_dcap::kCollateralNextUpdate);
  EXPECT_EQ(cached->dcap->fmspc.size(), 6u);
  EXPECT_FALSE(cached->dcap->pck_serial.empty());
  EXPECT_EQ(cached->dcap->tcb_evaluation_data_number, 17u);
  EXPECT_EQ(cached->dcap->tcb_info_evaluation_data_number, 17u);
  EXPECT_EQ(cached->dcap->qe_identity_evaluation_data_number, 17u);
}

// A cache of format 2 (a DCAP verdict without TCB Info's and QE Identity's numbers) loads, taking
// the min for both; a format-3 verdict whose min is not the min of its two numbers is corrupt.
Bytes dcap_cache(uint8_t version, uint32_t min, uint32_t tcb_info, uint32_t qe_identity, const Bytes& mls_key) {
  mls::TlsWriter w;
  w.u8(version);
  w.vector([&](mls::TlsWriter& entries) {
    entries.opaque(Bytes(20, 0xaa));
    entries.opaque(Bytes(32, 0xbb));
    entries.opaque(mls_key);
    entries.u8(2);  // dcap
    entries.opaque(Bytes(32, 0x11));
    entries.opaque(Bytes(32, 0x22));
    entries.u16(3);
    entries.u16(4);
    entries.u8(0);
    entries.opaque(Bytes(64, 0x33));
    entries.opaque(std::string("UpToDate"));
    entries.u64(1796040000);
    entries.vector([](mls::TlsWriter&) {});
    entries.u8(1);
    entries.opaque(std::string("UpToDate"));
    entries.u64(2521929600);
    entries.u32(min);
    entries.opaque(Bytes(6, 0x00));
    entries.opaque(std::string("01"));
    if (version >= 3) {
      entries.u32(tcb_info);
      entries.u32(qe_identity);
    }
  });
  return w.take();
}

TEST(DcapMembership, ADcapCacheOfFormat2StillLoads) {
  const Bytes key(32, 0xcc);
  const auto load = [&](const Bytes& blob) -> std::optional<membership::DcapVerdict> {
    testing::TempDir dir;
    {
      Enclave e(make_simulation_platform(), dir.path());
      e.init(std::nullopt);
      e.sealed_store().put(membership::kEvidenceCacheSealName, blob);
    }
    Enclave e(make_simulation_platform(), dir.path());
    e.init(std::nullopt);
    const membership::VerifiedMember* m = e.component<membership::EvidenceCache>().find(key);
    if (m == nullptr || !m->dcap) return std::nullopt;
    return *m->dcap;
  };
  const std::optional<membership::DcapVerdict> v2 = load(dcap_cache(2, 16, 0, 0, key));
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->tcb_evaluation_data_number, 16u);
  EXPECT_EQ(v2->tcb_info_evaluation_data_number, 16u);
  EXPECT_EQ(v2->qe_identity_evaluation_data_number, 16u);
  const std::optional<membership::DcapVerdict> v3 = load(dcap_cache(3, 16, 18, 16, key));
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->tcb_info_evaluation_data_number, 18u);
  EXPECT_EQ(v3->qe_identity_evaluation_data_number, 16u);
  try {
    load(dcap_cache(3, 17, 18, 16, key));
    FAIL() << "a verdict whose min is not the min of its numbers loaded";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kSealedDataCorrupt) << err.what();
  }
}

// A cache sealed by a binary from before DCAP (format 1: IAS entries, no DCAP verdict) loads as it
// was; a format-1 blob claiming a DCAP entry is corrupt, not guessed at.
Bytes v1_cache(uint8_t kind, const Bytes& mls_key) {
  mls::TlsWriter w;
  w.u8(1);
  w.vector([&](mls::TlsWriter& entries) {
    entries.opaque(Bytes(20, 0xaa));
    entries.opaque(Bytes(32, 0xbb));
    entries.opaque(mls_key);
    entries.u8(kind);
    entries.opaque(Bytes(32, 0x11));
    entries.opaque(Bytes(32, 0x22));
    entries.u16(3);
    entries.u16(4);
    entries.u8(0);
    entries.opaque(Bytes(64, 0x33));
    entries.opaque(std::string("OK"));
    entries.u64(1796040000);
    entries.vector([](mls::TlsWriter& advisories) { advisories.opaque(std::string("INTEL-SA-00334")); });
  });
  return w.take();
}

TEST(DcapMembership, AnIasOnlyCacheOfFormat1StillLoads) {
  testing::TempDir dir;
  const Bytes key(32, 0xcc);
  {
    Enclave e(make_simulation_platform(), dir.path());
    e.init(std::nullopt);
    e.sealed_store().put(membership::kEvidenceCacheSealName, v1_cache(1, key));
  }
  Enclave e(make_simulation_platform(), dir.path());
  e.init(std::nullopt);
  const membership::VerifiedMember* m = e.component<membership::EvidenceCache>().find(key);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->address, Bytes(20, 0xaa));
  EXPECT_EQ(m->hpke_public_key, Bytes(32, 0xbb));
  EXPECT_EQ(m->identity.kind, attestation::EvidenceKind::kIas);
  EXPECT_EQ(m->identity.mrenclave, Bytes(32, 0x11));
  EXPECT_EQ(m->identity.isv_prod_id, 3);
  EXPECT_EQ(m->identity.isv_svn, 4);
  EXPECT_EQ(m->identity.status, "OK");
  EXPECT_EQ(m->identity.timestamp, 1796040000u);
  EXPECT_EQ(m->identity.advisory_ids, std::vector<std::string>{"INTEL-SA-00334"});
  EXPECT_FALSE(m->dcap.has_value());

  testing::TempDir dir_b;
  {
    Enclave b(make_simulation_platform(), dir_b.path());
    b.init(std::nullopt);
    b.sealed_store().put(membership::kEvidenceCacheSealName, v1_cache(2, key));
  }
  Enclave b(make_simulation_platform(), dir_b.path());
  try {
    b.init(std::nullopt);
    b.component<membership::EvidenceCache>();
    FAIL() << "a format-1 cache with a DCAP entry loaded";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kSealedDataCorrupt) << err.what();
  }
}

}  // namespace
}  // namespace anonify::enclave
