// In-enclave IAS evidence verification (attestation/evidence.h): every real vector in
// test/vectors/ias, the certificate rules, the report rules on re-signed mutations, and each
// policy error, with the codes and arguments of the contract and the TypeScript verifier.
#include "attestation_ias_test_util.h"

namespace anonify::attestation {
namespace {

using namespace ias_testing;  // NOLINT(google-build-using-namespace): the shared test vocabulary


TEST(AttestationIas, TrustAnchorsAreTheDevelopmentCaInASimulationBuild) {
  const TrustAnchors& anchors = trust_anchors();
  EXPECT_TRUE(anchors.simulation);
  EXPECT_EQ(anchors.ias_report_signing_ca, simulation_ca());
  EXPECT_NE(anchors.ias_report_signing_ca, intel_ca());
  // The development PCS's DCAP root (src/attestation/simulation/dcap/), not Intel's.
  EXPECT_EQ(anchors.dcap_root_ca, read_bytes(repo_file("src/attestation/simulation/dcap/simulation_dcap_root_ca.der")));
  EXPECT_NE(anchors.dcap_root_ca, read_bytes(repo_file("src/attestation/certs/intel_sgx_root_ca.der")));
  // The compiled-in CA pins (RSA-3072, self-signed) and admits the development leaf.
  const PinnedCa ca = pin_ca(anchors.ias_report_signing_ca);
  EXPECT_EQ(check_signing_certificate(simulation_leaf(), ca).modulus.size(), 256u);
  EXPECT_STREQ(evidence_kind_name(EvidenceKind::kIas), "ias");
  EXPECT_STREQ(evidence_kind_name(EvidenceKind::kDcap), "dcap");
}

TEST(AttestationIas, ASimulationBuildRefusesToRunAsSgx) {
  EXPECT_EQ(enclave::build_mode(), enclave::Mode::kSimulation);
  EXPECT_NO_THROW(enclave::require_build_mode(enclave::Mode::kSimulation));
  try {
    enclave::require_build_mode(enclave::Mode::kSgx);
    ADD_FAILURE() << "a simulation build accepted --mode sgx";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("simulation build"), std::string::npos) << e.what();
  }
}

TEST(AttestationIas, EveryVectorGivesTheManifestVerdict) {
  const nlohmann::json manifest = nlohmann::json::parse(read_text_file(vector_path("ias/manifest.json")));
  ASSERT_GE(manifest.size(), 20u);
  size_t verified = 0;
  size_t simulation_vectors = 0;
  for (const nlohmann::json& m : manifest) {
    const std::string dir = m.at("dir").get<std::string>();
    SCOPED_TRACE(dir);
    const std::string base = vector_path("ias/" + dir + "/");
    IasEvidence evidence{read_bytes(base + "report.json"), base64_decode(read_text_file(base + "signature.b64")), intel_leaf()};
    EXPECT_EQ(evidence.signature, read_bytes(base + "signature.bin"));
    const bool signature_valid = m.at("signature_valid").get<bool>();
    VerifiedIdentity id;
    if (dir.rfind("SIMULATION_", 0) == 0) {
      // Its test CA and leaf are X.509 version 1, which the certificate profile (audit F-9) refuses
      // before anything else, under any CA. Its chain and report signature are checked directly.
      ++simulation_vectors;
      const Bytes root_der = read_bytes(base + "simulation_rootca.der");
      const Bytes leaf_der = read_bytes(base + "simulation_signing.der");
      EXPECT_REFUSAL(pin_ca(root_der), "CertificateVersionUnsupported", "1");
      EXPECT_REFUSAL(verify_ias(IasEvidence{evidence.report, evidence.signature, leaf_der}, intel_ca()), "CertificateVersionUnsupported", "1");
      EXPECT_REFUSAL(verify_ias(IasEvidence{evidence.report, evidence.signature, leaf_der}, root_der), "CertificateVersionUnsupported", "1");
      const ParsedCertificate root = parse_certificate(root_der);
      const ParsedCertificate leaf = parse_certificate(leaf_der);
      EXPECT_EQ(root.version, 1u);
      EXPECT_EQ(leaf.version, 1u);
      // Issued by its own test CA (self-signed RSA-3072), never by Intel's.
      EXPECT_EQ(leaf.issuer, root.subject);
      EXPECT_EQ(root.issuer, root.subject);
      EXPECT_NE(leaf.issuer, parse_certificate(intel_ca()).subject);
      const Bytes root_modulus = rsa_modulus_of_spki(root.subject_public_key_info, kCaKeyBits);
      ASSERT_EQ(root_modulus.size(), kCaKeyBits / 8);
      EXPECT_TRUE(rsa_pkcs1_sha256_verify(root.tbs, root.signature, root_modulus, rsa_exponent_65537()));
      EXPECT_TRUE(rsa_pkcs1_sha256_verify(leaf.tbs, leaf.signature, root_modulus, rsa_exponent_65537()));
      const Bytes leaf_modulus = rsa_modulus_of_spki(leaf.subject_public_key_info, kSigningKeyBits);
      ASSERT_EQ(leaf_modulus.size(), kSigningKeyBits / 8);
      EXPECT_EQ(rsa_pkcs1_sha256_verify(evidence.report, evidence.signature, leaf_modulus, rsa_exponent_65537()), signature_valid);
      if (!signature_valid) continue;
      // Steps 2-7 as verify_ias runs them once a certificate is accepted, under the refused leaf's key.
      id = verify_ias_report(evidence.report, evidence.signature, SigningKey{leaf_modulus, leaf.not_before, leaf.not_after});
    } else {
      if (!signature_valid) {
        EXPECT_REFUSAL(verify_ias(evidence, intel_ca()), "ReportSignatureInvalid");
        continue;
      }
      id = verify_ias(evidence, intel_ca());
    }
    ++verified;
    EXPECT_EQ(id.kind, EvidenceKind::kIas);
    EXPECT_EQ(to_hex(id.mrenclave), m.at("mrenclave_off112").get<std::string>());
    EXPECT_EQ(to_hex(id.mrsigner), m.at("mrsigner_off176").get<std::string>());
    EXPECT_EQ(to_hex(id.report_data), m.at("report_data_off368").get<std::string>());
    EXPECT_EQ(id.isv_prod_id, m.at("isv_prod_id_off304").get<int>());
    EXPECT_EQ(id.isv_svn, m.at("isv_svn_off306").get<int>());
    EXPECT_EQ(id.debug, m.at("debug").get<bool>());
    EXPECT_EQ(id.status, m.at("isvEnclaveQuoteStatus").get<std::string>());
    EXPECT_EQ(id.timestamp, unix_of(m.at("timestamp").get<std::string>()));
    const std::vector<std::string> advisories =
        m.at("advisoryIDs").is_null() ? std::vector<std::string>{} : m.at("advisoryIDs").get<std::vector<std::string>>();
    EXPECT_EQ(id.advisory_ids, advisories);
  }
  EXPECT_EQ(verified, manifest.size() - 1);  // all but NEGATIVE_*
  EXPECT_GE(simulation_vectors, 1u);  // the v1 vector keeps its coverage above
}

TEST(AttestationIas, IntelEvidenceIsRefusedUnderTheCompiledInDevelopmentCa) {
  const std::string base = vector_path("ias/powersoftau_2019-11-16_v3_OK/");
  const IasEvidence evidence{read_bytes(base + "report.json"), read_bytes(base + "signature.bin"), intel_leaf()};
  EXPECT_NO_THROW(verify_ias(evidence, intel_ca()));
  EXPECT_REFUSAL(verify_ias(evidence, trust_anchors().ias_report_signing_ca), "CertificateIssuerMismatch");
}

TEST(AttestationIas, CertificateRefusals) {
  const Bytes leaf = intel_leaf();
  const Bytes ca = intel_ca();
  const std::string base = vector_path("ias/powersoftau_2019-11-16_v3_OK/");
  const Bytes report = read_bytes(base + "report.json");
  const Bytes signature = read_bytes(base + "signature.bin");
  auto verify_with = [&](const Bytes& cert) { return verify_ias(IasEvidence{report, signature, cert}, ca); };

  // Structure: empty, truncated (the outer SEQUENCE overruns: offset 0), a trailing byte (offset = length).
  EXPECT_REFUSAL(verify_with(Bytes{}), "CertificateMalformed", "0");
  EXPECT_REFUSAL(verify_with(Bytes(leaf.begin(), leaf.end() - 1)), "CertificateMalformed", "0");
  Bytes trailing = leaf;
  trailing.push_back(0);
  EXPECT_REFUSAL(verify_with(trailing), "CertificateMalformed", std::to_string(leaf.size()));
  // Outer tag not a SEQUENCE; a high-tag-number form; a non-minimal long-form length.
  Bytes not_sequence = leaf;
  not_sequence[0] = 0x31;
  EXPECT_REFUSAL(verify_with(not_sequence), "CertificateMalformed", "0");
  Bytes high_tag = leaf;
  high_tag[4] = 0x1f;  // TBSCertificate's tag (outer header is 30 82 LL LL)
  EXPECT_REFUSAL(verify_with(high_tag), "CertificateMalformed", "4");
  const Bytes non_minimal = {0x30, 0x81, 0x05, 0x02, 0x01, 0x00, 0x05, 0x00};
  EXPECT_REFUSAL(verify_with(non_minimal), "CertificateMalformed", "0");

  // Outer signatureAlgorithm changed (sha384WithRSA): the outer and TBS identifiers differ.
  Bytes algorithm = leaf;
  const Bytes sha256_with_rsa = from_hex("300d06092a864886f70d01010b0500");
  auto outer = std::search(algorithm.rbegin(), algorithm.rend(), sha256_with_rsa.rbegin(), sha256_with_rsa.rend());
  ASSERT_NE(outer, algorithm.rend());
  const size_t outer_at = static_cast<size_t>(algorithm.rend() - outer) - sha256_with_rsa.size();
  algorithm[outer_at + 12] = 0x0c;
  EXPECT_REFUSAL(verify_with(algorithm), "CertificateAlgorithmUnsupported");

  // A leaf of another CA; the CA itself as "leaf" (self-issued, so the issuer matches; RSA-3072 key).
  EXPECT_REFUSAL(verify_with(simulation_leaf()), "CertificateIssuerMismatch");
  EXPECT_REFUSAL(verify_with(ca), "CertificateKeyUnsupported");

  // A flipped bit in the CA's signature over the leaf.
  Bytes bad_signature = leaf;
  bad_signature[leaf.size() - 1] ^= 0x01;
  EXPECT_REFUSAL(verify_with(bad_signature), "CertificateSignatureInvalid");
  // A flipped bit inside the TBS (the serial number's last byte): the signature no longer covers it.
  Bytes bad_tbs = leaf;
  bad_tbs[20] ^= 0x01;
  ASSERT_EQ(leaf[13], 0x02);  // serialNumber INTEGER after the 5-byte version
  EXPECT_REFUSAL(verify_with(bad_tbs), "CertificateSignatureInvalid");

  // A CA that is not RSA-3072 self-signed cannot be pinned: the leaf given as the CA.
  EXPECT_REFUSAL(verify_ias(IasEvidence{report, signature, leaf}, leaf), "CertificateIssuerMismatch");
}

TEST(AttestationIas, SignatureRefusals) {
  const std::string base = vector_path("ias/enigma_2018-06-12_v2_OK/");
  const Bytes report = read_bytes(base + "report.json");
  const Bytes signature = read_bytes(base + "signature.bin");
  auto verify_with = [&](const Bytes& r, const Bytes& s) { return verify_ias(IasEvidence{r, s, intel_leaf()}, intel_ca()); };
  EXPECT_REFUSAL(verify_with(report, Bytes(signature.begin() + 1, signature.end())), "SignatureLengthInvalid", "255");
  Bytes longer = signature;
  longer.insert(longer.begin(), 0);
  EXPECT_REFUSAL(verify_with(report, longer), "SignatureLengthInvalid", "257");
  EXPECT_REFUSAL(verify_with(report, Bytes{}), "SignatureLengthInvalid", "0");
  EXPECT_REFUSAL(verify_with(report, Bytes(256, 0xff)), "ReportSignatureInvalid");  // s >= n
  EXPECT_REFUSAL(verify_with(report, Bytes(256, 0x00)), "ReportSignatureInvalid");
  Bytes flipped = signature;
  flipped[127] ^= 0x80;
  EXPECT_REFUSAL(verify_with(report, flipped), "ReportSignatureInvalid");
  Bytes body = report;
  body.push_back(' ');
  EXPECT_REFUSAL(verify_with(body, signature), "ReportSignatureInvalid");
}

TEST(AttestationIas, ReSignedReportIsVerifiedAndReadsItsFields) {
  const VerifiedIdentity id = verify_simulated(good_body());
  EXPECT_EQ(id.status, "OK");
  EXPECT_EQ(id.timestamp, unix_of("2024-06-15T14:18:10"));
  // Unknown keys, whitespace, arrays of scalars and escaped unknown values are accepted.
  EXPECT_NO_THROW(verify_simulated(" \t\r\n" + good_body("\"x\":[1, \"a\\\"\" ,null,true,false],\"y\":0,\"z\":70,") + " \n"));
  EXPECT_EQ(verify_simulated(good_body("\"advisoryIDs\":[\"INTEL-SA-1\",\"INTEL-SA-2\"],")).advisory_ids,
            (std::vector<std::string>{"INTEL-SA-1", "INTEL-SA-2"}));
}

TEST(AttestationIas, ReportGrammarRefusalsCarryTheirOffsets) {
  EXPECT_REFUSAL(verify_simulated(""), "ReportMalformed", "0");
  EXPECT_REFUSAL(verify_simulated("  [ ]"), "ReportMalformed", "2");
  EXPECT_REFUSAL(verify_simulated("{"), "ReportMalformed", "1");            // ends early: the length
  EXPECT_REFUSAL(verify_simulated("{\"id\""), "ReportMalformed", "5");
  EXPECT_REFUSAL(verify_simulated("{\"id\" \"1\"}"), "ReportMalformed", "6");  // ':' expected
  EXPECT_REFUSAL(verify_simulated("{\"a\":nul}"), "ReportMalformed", "5");   // broken literal: its first letter
  EXPECT_REFUSAL(verify_simulated("{\"a\":tru}"), "ReportMalformed", "5");
  EXPECT_REFUSAL(verify_simulated("{\"a\":-1}"), "ReportMalformed", "5");    // no sign
  EXPECT_REFUSAL(verify_simulated("{\"a\":1.5}"), "ReportMalformed", "6");   // no fraction
  EXPECT_REFUSAL(verify_simulated("{\"a\":{}}"), "ReportMalformed", "5");    // no nested object
  EXPECT_REFUSAL(verify_simulated("{\"a\":[[]]}"), "ReportMalformed", "6");  // no nested array
  EXPECT_REFUSAL(verify_simulated("{\"a\":1,}"), "ReportMalformed", "7");
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"x\\"), "ReportMalformed", "8");  // escape at the end
  EXPECT_REFUSAL(verify_simulated("{} x"), "ReportMalformed", "3");
  EXPECT_REFUSAL(verify_simulated("{'a':1}"), "ReportMalformed", "1");
  // A known key twice fails at once, before anything after it is read.
  EXPECT_REFUSAL(verify_simulated("{\"id\":\"1\",\"id\" garbage"), "ReportFieldDuplicated", "id");
  EXPECT_REFUSAL(verify_simulated(good_body("\"nonce\":\"a\",\"nonce\":\"b\",")), "ReportFieldDuplicated", "nonce");
}

TEST(AttestationIas, ReportFieldRefusals) {
  const std::string q = "\"" + quote_b64() + "\"";
  const std::string ts = "\"2024-06-15T14:18:10.991000\"";
  EXPECT_REFUSAL(verify_simulated("{}"), "ReportFieldMissing", "id");
  EXPECT_REFUSAL(verify_simulated("{\"id\":\"1\",\"isvEnclaveQuoteBody\":" + q + "}"), "ReportFieldMissing", "timestamp");
  EXPECT_REFUSAL(verify_simulated("{\"id\":\"1\",\"timestamp\":" + ts + "}"), "ReportFieldMissing", "isvEnclaveQuoteStatus");
  EXPECT_REFUSAL(verify_simulated("{\"id\":\"1\",\"timestamp\":" + ts + ",\"isvEnclaveQuoteStatus\":\"OK\"}"), "ReportFieldMissing",
                 "isvEnclaveQuoteBody");
  EXPECT_REFUSAL(verify_simulated(body_with("1", ts, "\"OK\"", q)), "ReportFieldInvalid", "id");
  EXPECT_REFUSAL(verify_simulated(body_with("\"1\"", "null", "\"OK\"", q)), "ReportFieldInvalid", "timestamp");
  EXPECT_REFUSAL(verify_simulated(body_with("\"1\"", ts, "\"O\\u004b\"", q)), "ReportFieldInvalid", "isvEnclaveQuoteStatus");
  EXPECT_REFUSAL(verify_simulated(body_with("\"1\"", ts, "\"OK\"", "[]")), "ReportFieldInvalid", "isvEnclaveQuoteBody");
  // id is checked before timestamp even when both are bad.
  EXPECT_REFUSAL(verify_simulated(body_with("null", "null", "\"OK\"", q)), "ReportFieldInvalid", "id");
  for (const std::string version : {"\"4\"", "6", "1", "0", "40", "null"}) {
    std::string body = good_body();
    body.replace(body.find("\"version\":4"), 11, "\"version\":" + version);
    EXPECT_REFUSAL(verify_simulated(body), "ReportFieldInvalid", "version");
  }
  // "04" is no number since audit F-7 (no leading zeros): the grammar fails at the "4".
  std::string leading_zero = good_body();
  const size_t version_value = leading_zero.find("\"version\":4") + 10;
  leading_zero.replace(version_value, 1, "04");
  EXPECT_REFUSAL(verify_simulated(leading_zero), "ReportMalformed", std::to_string(version_value + 1));
}

TEST(AttestationIas, QuoteBodyAndTimestampRefusals) {
  const std::string b64 = quote_b64();
  const std::string ts = "\"2024-06-15T14:18:10.991000\"";
  auto with_quote = [&](const std::string& quote) { return verify_simulated(body_with("\"1\"", ts, "\"OK\"", "\"" + quote + "\"")); };
  EXPECT_REFUSAL(with_quote(b64.substr(1)), "QuoteBodyEncodingInvalid");
  EXPECT_REFUSAL(with_quote(b64.substr(0, 10) + "-" + b64.substr(11)), "QuoteBodyEncodingInvalid");
  EXPECT_REFUSAL(with_quote(b64 + "===="), "QuoteBodyEncodingInvalid");
  EXPECT_REFUSAL(with_quote(b64.substr(0, 100) + "=" + b64.substr(101)), "QuoteBodyEncodingInvalid");
  EXPECT_REFUSAL(with_quote(""), "QuoteBodyLengthInvalid", "0");
  EXPECT_REFUSAL(with_quote(b64.substr(0, 572)), "QuoteBodyLengthInvalid", "429");
  EXPECT_REFUSAL(with_quote(b64 + "AAAA"), "QuoteBodyLengthInvalid", "435");
  // Non-canonical padding: "QQ==" is "A"; "QR==" has non-zero unused bits.
  EXPECT_EQ(decode_standard_base64("QQ=="), Bytes{0x41});
  EXPECT_FALSE(decode_standard_base64("QR=="));
  EXPECT_FALSE(decode_standard_base64("QUJ="));
  EXPECT_EQ(decode_standard_base64("QUI=")->size(), 2u);

  auto with_timestamp = [&](const std::string& t) { return verify_simulated(body_with("\"1\"", "\"" + t + "\"", "\"OK\"", "\"" + b64 + "\"")); };
  for (const std::string bad : {"2021-02-29T12:00:00.000000", "2020-01-01T00:00:00.", "2020-01-01T00:00:00.1234567",
                                "2020-01-01T00:00:00Z", "2020-01-01 00:00:00", "2020-13-01T00:00:00", "2020-04-31T00:00:00",
                                "2020-01-01T24:00:00", "2020-01-01T00:60:00", "2020-01-01T00:00:60", "1969-12-31T23:59:59",
                                "2020-1-01T00:00:00", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_REFUSAL(with_timestamp(bad), "ReportTimestampInvalid");
  }
  EXPECT_EQ(with_timestamp("2020-02-29T12:00:00.1").timestamp, unix_of("2020-02-29T12:00:00"));
  EXPECT_EQ(with_timestamp("2020-01-01T00:00:00").timestamp, unix_of("2020-01-01T00:00:00"));
  // Inside the grammar but outside the development leaf's validity (2016-11-22 .. 2049-12-31T23:59:59).
  EXPECT_REFUSAL(with_timestamp("2016-11-21T23:59:59"), "ReportOutsideCertificateValidity", std::to_string(unix_of("2016-11-21T23:59:59")),
                 std::to_string(unix_of("2016-11-22T00:00:00")), std::to_string(unix_of("2049-12-31T23:59:59")));
  EXPECT_REFUSAL(with_timestamp("2050-01-01T00:00:00"), "ReportOutsideCertificateValidity", std::to_string(unix_of("2050-01-01T00:00:00")),
                 std::to_string(unix_of("2016-11-22T00:00:00")), std::to_string(unix_of("2049-12-31T23:59:59")));
  EXPECT_NO_THROW(with_timestamp("2049-12-31T23:59:59.999999"));
}

TEST(AttestationIas, IntelLeafIsJudgedAtTheReportTimeNotNow) {
  // A report signed after the Intel leaf expired (2026-11-20T09:36:58) would be refused; every
  // real vector predates that, so each verifies although the leaf has expired by now.
  const std::string base = vector_path("ias/lcp_2024-06-15T14-54_v4_GROUP_OUT_OF_DATE/");
  const VerifiedIdentity id = verify_ias(IasEvidence{read_bytes(base + "report.json"), read_bytes(base + "signature.bin"), intel_leaf()}, intel_ca());
  EXPECT_LT(id.timestamp, unix_of("2026-11-20T09:36:58"));
}

class AttestationIasPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string base = vector_path("ias/rave_2023-02-15_v4_SW_HARDENING_NEEDED/");  // not DEBUG
    identity_ = verify_ias(IasEvidence{read_bytes(base + "report.json"), read_bytes(base + "signature.bin"), intel_leaf()}, intel_ca());
    ASSERT_FALSE(identity_.debug);
    permissive_.allowed_statuses = {"OK", "SW_HARDENING_NEEDED"};
  }
  std::string mrenclave() const { return "0x" + to_hex(identity_.mrenclave); }
  VerifiedIdentity identity_;
  MeasurementPolicy permissive_;
};

TEST_F(AttestationIasPolicy, DefaultsRefuseAnyStatusButOk) {
  EXPECT_REFUSAL(check_policy(identity_, MeasurementPolicy{}, 0), "QuoteStatusNotAllowed", "SW_HARDENING_NEEDED");
  EXPECT_NO_THROW(check_policy(identity_, permissive_, 0));
  MeasurementPolicy near = permissive_;
  near.allowed_statuses = {"SW_HARDENING_NEEDED ", "sw_hardening_needed"};
  EXPECT_REFUSAL(check_policy(identity_, near, 0), "QuoteStatusNotAllowed", "SW_HARDENING_NEEDED");
}

TEST_F(AttestationIasPolicy, Age) {
  MeasurementPolicy p = permissive_;
  p.max_age_seconds = 100;
  EXPECT_NO_THROW(check_policy(identity_, p, identity_.timestamp + 100));
  EXPECT_NO_THROW(check_policy(identity_, p, identity_.timestamp - 1000));  // from the future: not too old
  EXPECT_REFUSAL(check_policy(identity_, p, identity_.timestamp + 101), "ReportTooOld", std::to_string(identity_.timestamp), "100",
                 std::to_string(identity_.timestamp + 101));
  p.max_age_seconds = 0;
  EXPECT_NO_THROW(check_policy(identity_, p, UINT64_MAX));
  // Age is judged before the status.
  MeasurementPolicy strict;
  strict.max_age_seconds = 1;
  EXPECT_REFUSAL(check_policy(identity_, strict, identity_.timestamp + 2), "ReportTooOld", std::to_string(identity_.timestamp), "1",
                 std::to_string(identity_.timestamp + 2));
}

TEST_F(AttestationIasPolicy, DebugThenMrenclaveThenSigner) {
  VerifiedIdentity debug = identity_;
  debug.debug = true;
  EXPECT_REFUSAL(check_policy(debug, permissive_, 0), "DebugEnclaveNotAllowed", mrenclave());
  MeasurementPolicy p = permissive_;
  p.allow_debug = true;
  EXPECT_NO_THROW(check_policy(debug, p, 0));

  p.allowed_mrenclaves = std::vector<Bytes>{};
  EXPECT_REFUSAL(check_policy(debug, p, 0), "MrenclaveNotAllowed", mrenclave());
  p.allowed_mrenclaves->push_back(Bytes(32, 0x11));
  EXPECT_REFUSAL(check_policy(identity_, p, 0), "MrenclaveNotAllowed", mrenclave());
  p.allowed_mrenclaves->push_back(identity_.mrenclave);
  EXPECT_NO_THROW(check_policy(identity_, p, 0));

  const std::string mrsigner = "0x" + to_hex(identity_.mrsigner);
  p.signer = MeasurementPolicy::Signer{Bytes(32, 0x22), identity_.isv_prod_id, 0};
  EXPECT_REFUSAL(check_policy(identity_, p, 0), "MrsignerMismatch", "0x" + std::string(64, '2'), mrsigner);
  p.signer->mrsigner = identity_.mrsigner;
  EXPECT_NO_THROW(check_policy(identity_, p, 0));
  p.signer->isv_prod_id = static_cast<uint16_t>(identity_.isv_prod_id + 1);
  EXPECT_REFUSAL(check_policy(identity_, p, 0), "IsvProdIdMismatch", std::to_string(identity_.isv_prod_id + 1),
                 std::to_string(identity_.isv_prod_id));
  p.signer->isv_prod_id = identity_.isv_prod_id;
  p.signer->min_isv_svn = static_cast<uint16_t>(identity_.isv_svn + 1);
  EXPECT_REFUSAL(check_policy(identity_, p, 0), "IsvSvnTooLow", std::to_string(identity_.isv_svn + 1), std::to_string(identity_.isv_svn));
  p.signer->min_isv_svn = identity_.isv_svn;
  EXPECT_NO_THROW(check_policy(identity_, p, 0));
}

}  // namespace
}  // namespace anonify::attestation
