// verify_dcap over the real Intel quote (v3) and its 0825 collateral (test/vectors/dcap, the
// vectors of test/attestation/dcapVerifier.test.ts): the verdict at 1755236700, a refusal for each
// of the 12 steps with its arguments, the P-256 primitive, and attestation_verify kind "dcap".
// Mutations that need fields behind Intel's signatures are in the TypeScript differential test
// (test/attestation/dcapDifferential.test.ts), which re-signs them under a test PKI.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anonify/attestation/dcap.h"
#include "anonify/enclave/methods.h"
#include "attestation/dcap_pem.h"
#include "attestation/dcap_quote.h"
#include "attestation/p256.h"
#include "dcap_intel_vectors.h"
#include "enclave_test_util.h"

namespace anonify::attestation {
namespace {

namespace intel_dcap = anonify::testing::intel_dcap;
using anonify::testing::read_text_file;
using anonify::testing::vector_path;
using intel_dcap::kVectorTime;

constexpr uint64_t kQeIdentityNextUpdate = 1757824606;  // 2025-09-14T04:36:46Z
constexpr uint64_t kPckNotBefore = 1709823664;          // 2024-03-07T15:01:04Z
constexpr uint64_t kJan2025 = 1735689600;
// Quote offsets (v3), as in dcapVerifier.test.ts.
constexpr size_t kIsvReport = 48;
constexpr size_t kIsvSignature = 436;
constexpr size_t kQeReport = 564;
constexpr size_t kQeAuth = 1014;
constexpr size_t kCertType = 1046;
constexpr size_t kPemStart = 1052;
constexpr char kRealMrenclave[] = "0xa4f45c39dac622cb1dd32ddb35a52ec92db41d0fa88a1c911c49e59c534f61cd";

Bytes xored(Bytes b, size_t offset, uint8_t mask = 0x01) {
  b.at(offset) ^= mask;
  return b;
}

/// The refusal of verify_dcap (steps 1-11) as "Code(arg, …)".
std::string refusal(const DcapEvidence& e, const DcapPolicy& policy = intel_dcap::policy(), uint64_t now = kVectorTime) {
  try {
    verify_dcap(e, intel_dcap::root_ca(), policy, now);
  } catch (const EvidenceError& err) {
    std::string out = err.code() + "(";
    for (size_t i = 0; i < err.args().size(); ++i) out += (i == 0 ? "" : ", ") + err.args()[i];
    return out + ")";
  }
  return "valid";
}

DcapEvidence with_quote(Bytes quote) {
  DcapEvidence e = intel_dcap::evidence();
  e.quote = std::move(quote);
  return e;
}

TEST(DcapVerifier, TheRealQuoteVerifiesAtTheVectorTime) {
  const VerifiedQuote v = verify_dcap(intel_dcap::evidence(), intel_dcap::root_ca(), intel_dcap::policy(), kVectorTime);
  EXPECT_EQ(v.identity.kind, EvidenceKind::kDcap);
  EXPECT_EQ("0x" + to_hex(v.identity.mrenclave), kRealMrenclave);
  EXPECT_EQ(to_hex(v.identity.mrsigner), "8f2dbc0f9c5d3378d596974b2deed1f93223cc49242899f83809bcc92546132c");
  EXPECT_EQ(v.identity.isv_prod_id, 0);
  EXPECT_EQ(v.identity.isv_svn, 0);
  EXPECT_FALSE(v.identity.debug);
  EXPECT_EQ(v.identity.report_data, Bytes(64, 0));
  EXPECT_EQ(v.identity.status, "SWHardeningNeeded");
  EXPECT_EQ(v.identity.timestamp, kVectorTime);
  EXPECT_EQ(v.identity.advisory_ids, (std::vector<std::string>{"INTEL-SA-00615"}));
  EXPECT_EQ(v.quote_version, 3);
  EXPECT_EQ(v.qe_tcb_status, "UpToDate");
  EXPECT_EQ(to_hex(v.fmspc), "00606a000000");
  EXPECT_EQ(to_hex(v.pce_id), "0000");
  EXPECT_TRUE(v.revocation_checked);
  EXPECT_EQ(v.pck_serial, "d52864cbb1cefa9de768485947ebdc026799b496");
  EXPECT_EQ(v.tcb_evaluation_data_number, 17u);
  EXPECT_EQ(v.collateral_next_update, kQeIdentityNextUpdate);
  EXPECT_EQ(v.pck_public_key.size(), 64u);
}

TEST(DcapVerifier, RevocationIsCheckedOnlyWithBothCrls) {
  DcapEvidence e = intel_dcap::evidence();
  e.collateral.crls = {intel_dcap::vector("0825_platform_crl.der")};
  EXPECT_FALSE(verify_dcap(e, intel_dcap::root_ca(), intel_dcap::policy(), kVectorTime).revocation_checked);
  e.collateral.crls.clear();
  EXPECT_FALSE(verify_dcap(e, intel_dcap::root_ca(), intel_dcap::policy(), kVectorTime).revocation_checked);
}

TEST(DcapVerifier, Step1QuoteLayout) {
  const Bytes q = intel_dcap::vector("quote_v3_sgx.bin");
  EXPECT_EQ(refusal(with_quote(intel_dcap::vector("quote_v4_tdx.bin"))), "QuoteTeeTypeUnsupported(129)");
  EXPECT_EQ(refusal(with_quote(Bytes(q.begin(), q.begin() + 47))), "QuoteTruncated(47)");
  EXPECT_EQ(refusal(with_quote(Bytes(q.begin(), q.begin() + 300))), "QuoteTruncated(48)");
  EXPECT_EQ(refusal(with_quote(Bytes(q.begin(), q.begin() + 434))), "QuoteTruncated(432)");
  EXPECT_EQ(refusal(with_quote(Bytes(q.begin(), q.end() - 1))), "QuoteTruncated(436)");
  Bytes trailing = q;
  trailing.push_back(0);
  EXPECT_EQ(refusal(with_quote(trailing)), "QuoteTrailingBytes(" + std::to_string(q.size()) + ")");
  Bytes v5 = q;
  v5[0] = 5;
  EXPECT_EQ(refusal(with_quote(v5)), "QuoteVersionUnsupported(5)");
  Bytes key_type = q;
  key_type[2] = 3;
  EXPECT_EQ(refusal(with_quote(key_type)), "AttestationKeyTypeUnsupported(3)");
  EXPECT_EQ(refusal(with_quote(xored(q, 12))), "QeVendorIdUnsupported(0x929a7233f79c4ca9940a0db3957f0607)");
  Bytes cert_type = q;
  cert_type[kCertType] = 1;
  EXPECT_EQ(refusal(with_quote(cert_type)), "CertificationDataTypeUnsupported(1)");
  Bytes auth = q;
  auth[1012] = auth[1013] = 0xff;
  EXPECT_EQ(refusal(with_quote(auth)), "QuoteTruncated(1014)");
}

TEST(DcapVerifier, Step2PckChain) {
  const Bytes q = intel_dcap::vector("quote_v3_sgx.bin");
  EXPECT_EQ(refusal(with_quote(xored(q, kPemStart))), "PckChainEncodingInvalid(0)");
  EXPECT_EQ(refusal(intel_dcap::evidence(), intel_dcap::policy(), kPckNotBefore - 1),
            "CertificateNotValidAt(2, " + std::to_string(kPckNotBefore) + ", 1930662064, " + std::to_string(kPckNotBefore - 1) + ")");
  // Another root pinned: the chain's root is not it.
  DcapEvidence e = intel_dcap::evidence();
  try {
    verify_dcap(e, intel_dcap::vector("signingDer.der"), intel_dcap::policy(), kVectorTime);
    FAIL() << "a TCB Signing certificate pinned as a root";
  } catch (const EvidenceError& err) {
    EXPECT_EQ(err.code(), "CertificateIssuerMismatch");
    EXPECT_EQ(err.args(), (std::vector<std::string>{"0"}));
  }
}

TEST(DcapVerifier, Step3TcbSigningChain) {
  DcapEvidence e = intel_dcap::evidence();
  const std::vector<Bytes> chain = dcap::split_pem_chain(e.collateral.tcb_signing_chain_pem);
  ASSERT_EQ(chain.size(), 2u);
  const std::string pem = read_text_file(std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../src/attestation/certs/intel_sgx_tcb_signing_chain.pem");
  const std::string first = pem.substr(0, pem.find("-----END CERTIFICATE-----") + 25);
  e.collateral.tcb_signing_chain_pem = Bytes(first.begin(), first.end());
  EXPECT_EQ(refusal(e), "PckChainLengthInvalid(1)");
  const std::string r = refusal(intel_dcap::evidence(), intel_dcap::policy(), kJan2025);
  EXPECT_EQ(r.rfind("CertificateNotValidAt(3, ", 0), 0u) << r;
}

TEST(DcapVerifier, Step4Crls) {
  DcapEvidence e = intel_dcap::evidence();
  e.collateral.crls = {Bytes{'n', 'o', 't'}};
  EXPECT_EQ(refusal(e), "CrlMalformed(0)");
  // A revoked serial of the PCK CA CRL changed: its signature no longer verifies.
  e.collateral.crls = {xored(intel_dcap::vector("0825_platform_crl.der"), 175)};
  EXPECT_EQ(refusal(e), "CollateralSignatureInvalid(3)");
  // Intel's June PCK CA CRL: signed by the same CA, expired on 2025-07-04T09:19:31Z.
  e.collateral.crls = {intel_dcap::vector("platformCrl_0625.der")};
  EXPECT_EQ(refusal(e), "CollateralExpired(3, 1751620771, 1755236700)");
}

TEST(DcapVerifier, Step5TcbInfo) {
  DcapEvidence e = intel_dcap::evidence();
  e.collateral.tcb_info = xored(e.collateral.tcb_info, 40);
  EXPECT_EQ(refusal(e), "CollateralSignatureInvalid(0)");
  e = intel_dcap::evidence();
  e.collateral.tcb_info = intel_dcap::vector("0625_tcbinfov3_00806f050000.json");
  EXPECT_EQ(refusal(e), "CollateralFieldInvalid(0, id)");
  e = intel_dcap::evidence();
  e.collateral.tcb_info.resize(e.collateral.tcb_info.size() - 10);
  EXPECT_EQ(refusal(e).rfind("CollateralMalformed(0, ", 0), 0u);
  DcapPolicy min18 = intel_dcap::policy();
  min18.min_tcb_evaluation_data_number = 18;
  EXPECT_EQ(refusal(intel_dcap::evidence(), min18), "TcbEvaluationDataNumberTooLow(0, 18, 17)");
}

TEST(DcapVerifier, Step6QeIdentityAndFreshnessWithGrace) {
  DcapEvidence e = intel_dcap::evidence();
  e.collateral.qe_identity = xored(e.collateral.qe_identity, 60);
  EXPECT_EQ(refusal(e), "CollateralSignatureInvalid(1)");
  e = intel_dcap::evidence();
  e.collateral.qe_identity = intel_dcap::vector("0625_qe_td.json");
  EXPECT_EQ(refusal(e), "CollateralFieldInvalid(1, id)");
  const uint64_t late = kQeIdentityNextUpdate + 1;
  EXPECT_EQ(refusal(intel_dcap::evidence(), intel_dcap::policy(), late),
            "CollateralExpired(1, " + std::to_string(kQeIdentityNextUpdate) + ", " + std::to_string(late) + ")");
  DcapPolicy grace = intel_dcap::policy();
  grace.collateral_grace = 1;
  EXPECT_EQ(refusal(intel_dcap::evidence(), grace, late), "valid");
}

TEST(DcapVerifier, Steps7To9Signatures) {
  const Bytes q = intel_dcap::vector("quote_v3_sgx.bin");
  EXPECT_EQ(refusal(with_quote(xored(q, kQeReport))), "QeReportSignatureInvalid()");
  EXPECT_EQ(refusal(with_quote(xored(q, kQeAuth + 3))).rfind("QeReportDataMismatch(0x", 0), 0u);
  EXPECT_EQ(refusal(with_quote(xored(q, kIsvReport + 64))), "QuoteSignatureInvalid()");
  EXPECT_EQ(refusal(with_quote(xored(q, kIsvSignature + 63))), "QuoteSignatureInvalid()");
}

TEST(DcapVerifier, HighSIsAcceptedAndOutOfRangeScalarsAreNot) {
  const dcap::Quote q = dcap::decode_quote(intel_dcap::vector("quote_v3_sgx.bin"));
  ASSERT_TRUE(p256_verify(q.signed_bytes, q.isv_signature, q.attestation_key));
  // n - s.
  const Bytes n = from_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  Bytes flipped = q.isv_signature;
  int borrow = 0;
  for (size_t i = 32; i-- > 0;) {
    const int d = n[i] - q.isv_signature[32 + i] - borrow;
    flipped[32 + i] = static_cast<uint8_t>(d & 0xff);
    borrow = d < 0 ? 1 : 0;
  }
  EXPECT_TRUE(p256_verify(q.signed_bytes, flipped, q.attestation_key));
  Bytes quote = intel_dcap::vector("quote_v3_sgx.bin");
  std::copy(flipped.begin(), flipped.end(), quote.begin() + kIsvSignature);
  EXPECT_EQ(refusal(with_quote(quote)), "valid");
  Bytes zero_r = q.isv_signature;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  EXPECT_FALSE(p256_verify(q.signed_bytes, zero_r, q.attestation_key));
  Bytes s_n = q.isv_signature;
  std::copy(n.begin(), n.end(), s_n.begin() + 32);
  EXPECT_FALSE(p256_verify(q.signed_bytes, s_n, q.attestation_key));
  EXPECT_FALSE(is_p256_point(Bytes(64, 0)));
  EXPECT_FALSE(is_p256_point(Bytes(64, 1)));
  EXPECT_FALSE(p256_verify(q.signed_bytes, q.isv_signature, Bytes(64, 1)));
  EXPECT_EQ(p256_der_signature_to_raw(from_hex("3006020101020102")), Bytes(from_hex(std::string(62, '0') + "01" + std::string(62, '0') + "02")));
  EXPECT_FALSE(p256_der_signature_to_raw(from_hex("30060201ff020101")).has_value());  // negative r
  EXPECT_FALSE(p256_der_signature_to_raw(from_hex("300702020001020101")).has_value());  // r not minimal
  EXPECT_FALSE(p256_der_signature_to_raw(from_hex("3006020101020102ff")).has_value());  // trailing byte
}

TEST(DcapVerifier, Steps11And12Policies) {
  EXPECT_EQ(refusal(intel_dcap::evidence(), DcapPolicy{}), "TcbStatusNotAllowed(SWHardeningNeeded)");
  DcapPolicy qe_not_allowed;
  qe_not_allowed.allowed_tcb_statuses = {"SWHardeningNeeded"};
  EXPECT_EQ(refusal(intel_dcap::evidence(), qe_not_allowed), "QeTcbStatusNotAllowed(UpToDate)");
  DcapPolicy revoked;
  revoked.allowed_tcb_statuses = {"Revoked"};
  EXPECT_THROW(verify_dcap(intel_dcap::evidence(), intel_dcap::root_ca(), revoked, kVectorTime), Error);
  const VerifiedQuote v = verify_dcap(intel_dcap::evidence(), intel_dcap::root_ca(), intel_dcap::policy(), kVectorTime);
  MeasurementPolicy enclave;
  enclave.allowed_mrenclaves = std::vector<Bytes>{Bytes(32, 0x11)};
  try {
    check_enclave_policy(v.identity, enclave);
    FAIL() << "MRENCLAVE not in the allowlist";
  } catch (const EvidenceError& e) {
    EXPECT_EQ(e.code(), "MrenclaveNotAllowed");
    EXPECT_EQ(e.args(), (std::vector<std::string>{kRealMrenclave}));
  }
}

/// xorshift32: a reproducible corpus.
uint32_t next_random(uint32_t& x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

// Host-supplied bytes (ASan/UBSan watch the reads): bit flips, truncations and extensions of every
// input either verify or are refused with an EvidenceError; nothing else escapes.
TEST(DcapVerifier, RandomMutationsOfEveryInputAreVerdicts) {
  const DcapEvidence real = intel_dcap::evidence();
  const Bytes root = intel_dcap::root_ca();
  uint32_t seed = 0xdcab;
  size_t refused = 0;
  constexpr int kRounds = 1500;
  for (int i = 0; i < kRounds; ++i) {
    DcapEvidence e = real;
    std::vector<Bytes*> inputs = {&e.quote, &e.collateral.tcb_info, &e.collateral.qe_identity, &e.collateral.tcb_signing_chain_pem,
                                  &e.collateral.crls[0], &e.collateral.crls[1]};
    Bytes& target = *inputs[next_random(seed) % inputs.size()];
    switch (next_random(seed) % 4) {
      case 0:
      case 1:
        for (int k = 0, flips = 1 + next_random(seed) % 3; k < flips; ++k) {
          target[next_random(seed) % target.size()] ^= static_cast<uint8_t>(1u << (next_random(seed) % 8));
        }
        break;
      case 2:
        target.resize(next_random(seed) % target.size());
        break;
      default:
        target.push_back(static_cast<uint8_t>(next_random(seed)));
        break;
    }
    try {
      verify_dcap(e, root, intel_dcap::policy(), kVectorTime);
    } catch (const EvidenceError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, static_cast<size_t>(kRounds) / 2);
}

}  // namespace
}  // namespace anonify::attestation

namespace anonify::enclave {
namespace {

using anonify::testing::read_text_file;
using anonify::testing::vector_path;

std::string hex_of(const std::string& path) { return "0x" + to_hex(ByteView::from_string(read_text_file(path))); }
std::string repo(const std::string& relative) { return std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative; }

class AttestationVerifyDcap : public ::testing::Test {
 protected:
  Json call(const Json& params) {
    const std::string body = Json{{"id", 1}, {"method", "attestation_verify"}, {"params", params}}.dump();
    const Bytes out = dispatcher_.handle(enclave_, ByteView::from_string(body));
    const Json response = Json::parse(out.begin(), out.end());
    if (response.contains("error")) return Json{{"protocolError", response["error"]}};
    return response.at("result");
  }

  static Json params() {
    return Json{{"kind", "dcap"},
                {"quote", hex_of(vector_path("dcap/quote_v3_sgx.bin"))},
                {"tcbInfo", hex_of(vector_path("dcap/0825_sgx_tcbinfov3_00606a000000.json"))},
                {"qeIdentity", hex_of(vector_path("dcap/0825_sgx_qeidentity_v4.json"))},
                {"tcbSigningChain", hex_of(repo("src/attestation/certs/intel_sgx_tcb_signing_chain.pem"))},
                {"crls", {hex_of(vector_path("dcap/rootCrlDer.der")), hex_of(vector_path("dcap/0825_platform_crl.der"))}},
                {"rootCertificate", hex_of(repo("src/attestation/certs/intel_sgx_root_ca.der"))},
                {"now", 1755236700}};
  }

  std::string protocol_error(const Json& p) { return call(p).value("protocolError", Json::object()).value("code", ""); }

  Enclave enclave_{make_simulation_platform(), std::nullopt};
  EnclaveDispatcher dispatcher_ = make_dispatcher();
};

TEST_F(AttestationVerifyDcap, StepsOneToTenWithoutAPolicy) {
  const Json r = call(params());
  ASSERT_EQ(r.at("valid"), true) << r.dump();
  EXPECT_EQ(r.at("identity").at("kind"), "dcap");
  EXPECT_EQ(r.at("identity").at("status"), "SWHardeningNeeded");
  EXPECT_EQ(r.at("identity").at("timestamp"), 1755236700u);
  EXPECT_EQ(r.at("identity").at("advisoryIds"), (Json{"INTEL-SA-00615"}));
  EXPECT_EQ(r.at("dcap").at("qeTcbStatus"), "UpToDate");
  EXPECT_EQ(r.at("dcap").at("fmspc"), "0x00606a000000");
  EXPECT_EQ(r.at("dcap").at("pckSerial"), "0xd52864cbb1cefa9de768485947ebdc026799b496");
  EXPECT_EQ(r.at("dcap").at("collateralNextUpdate"), 1757824606u);
  EXPECT_EQ(r.at("dcap").at("revocationChecked"), true);
}

TEST_F(AttestationVerifyDcap, WithAPolicyStepsElevenAndTwelve) {
  Json p = params();
  p["policy"] = Json::object();
  Json r = call(p);
  EXPECT_EQ(r.at("error").at("code"), "TcbStatusNotAllowed");
  EXPECT_EQ(r.at("error").at("args"), (Json{"SWHardeningNeeded"}));
  p["policy"] = {{"allowedTcbStatuses", {"UpToDate", "SWHardeningNeeded"}},
                 {"allowedMrenclaves", {"0x" + std::string(64, '1')}}};
  r = call(p);
  EXPECT_EQ(r.at("error").at("code"), "MrenclaveNotAllowed");
  p["policy"].erase("allowedMrenclaves");
  p["policy"]["minTcbEvaluationDataNumber"] = 18;
  r = call(p);
  EXPECT_EQ(r.at("error").at("args"), (Json{"0", "18", "17"}));
  p["policy"]["minTcbEvaluationDataNumber"] = 17;
  p["policy"]["collateralGrace"] = "0";
  EXPECT_EQ(call(p).at("valid"), true);
}

// Without rootCertificate the compiled-in root applies: in a simulation build the development
// PCS's, under which Intel's real quote is refused and the development quote verifies.
TEST_F(AttestationVerifyDcap, TheSimulationBuildPinsTheDevelopmentDcapRoot) {
  Json p = params();
  p.erase("rootCertificate");
  Json r = call(p);
  ASSERT_EQ(r.at("valid"), false) << r.dump();
  EXPECT_EQ(r.at("error").at("code"), "RootCaNotPinned");
  EXPECT_EQ(r.at("error").at("args"), (Json{"0"}));
  const Json dev{{"kind", "dcap"},
                 {"quote", hex_of(vector_path("dcap-dev/quote_v3_dev.bin"))},
                 {"tcbInfo", hex_of(vector_path("dcap-dev/tcb_info.json"))},
                 {"qeIdentity", hex_of(vector_path("dcap-dev/qe_identity.json"))},
                 {"tcbSigningChain", hex_of(vector_path("dcap-dev/tcb_signing_chain.pem"))},
                 {"crls", {hex_of(vector_path("dcap-dev/root_ca_crl.der")), hex_of(vector_path("dcap-dev/pck_platform_crl.der"))}},
                 {"now", 1796342400}};
  r = call(dev);
  ASSERT_EQ(r.at("valid"), true) << r.dump();
  EXPECT_EQ(r.at("identity").at("status"), "UpToDate");
  EXPECT_EQ(r.at("dcap").at("fmspc"), "0x00dec0000001");
  EXPECT_EQ(r.at("dcap").at("revocationChecked"), true);
}

TEST_F(AttestationVerifyDcap, MalformedParamsAreProtocolErrors) {
  for (const char* field : {"quote", "tcbInfo", "qeIdentity", "tcbSigningChain", "now"}) {
    Json p = params();
    p.erase(field);
    EXPECT_EQ(protocol_error(p), "invalid_params") << field;
  }
  Json p = params();
  p["crls"] = "0x00";
  EXPECT_EQ(protocol_error(p), "invalid_params");
  p["crls"] = {"00"};
  EXPECT_EQ(protocol_error(p), "invalid_params");
  p = params();
  p["policy"] = {{"allowedTcbStatuses", {"Revoked"}}};
  EXPECT_EQ(protocol_error(p), "invalid_params");
  p["policy"] = {{"allowedTcbStatuses", {"Fine"}}};
  EXPECT_EQ(protocol_error(p), "invalid_params");
  p["policy"] = {{"allowedStatuses", {"OK"}}};
  EXPECT_EQ(protocol_error(p), "invalid_params");
  p["policy"] = {{"minTcbEvaluationDataNumber", 4294967296}};
  EXPECT_EQ(protocol_error(p), "invalid_params");
}

}  // namespace
}  // namespace anonify::enclave
