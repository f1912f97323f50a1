// The protocol method attestation_verify (PROTOCOL.md): verdict shapes, the compiled-in anchor and
// its per-call override, the optional policy, invalid params, and report text that is not UTF-8.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "anonify/enclave/methods.h"
#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

using anonify::testing::read_text_file;
using anonify::testing::vector_path;

std::string hex_of_file(const std::string& path) {
  const std::string s = read_text_file(path);
  return "0x" + to_hex(ByteView::from_string(s));
}

std::string repo_file(const std::string& relative) { return std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative; }

/// RSA-2048 PKCS#1 v1.5 SHA-256 with the development IAS's signing key (test-side OpenSSL).
std::string sign_with_simulation_key(const std::string& body) {
  const std::string pem = read_text_file(repo_file("src/attestation/simulation/simulation_signing.key.pem"));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  Bytes sig(256);
  size_t length = sig.size();
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &length, reinterpret_cast<const uint8_t*>(body.data()), body.size()), 1);
  sig.resize(length);
  return "0x" + to_hex(sig);
}

class AttestationVerifyMethod : public ::testing::Test {
 protected:
  /// The response's result, or its error object under "protocolError".
  Json call(const Json& params) {
    const std::string body = Json{{"id", 1}, {"method", "attestation_verify"}, {"params", params}}.dump();
    const Bytes out = dispatcher_.handle(enclave_, ByteView::from_string(body));
    const Json response = Json::parse(out.begin(), out.end());
    if (response.contains("error")) return Json{{"protocolError", response["error"]}};
    return response.at("result");
  }

  Json intel_params() const {
    const std::string dir = vector_path("ias/oasis_2023-09-27_v5_SW_HARDENING_NEEDED/");
    return Json{{"kind", "ias"},
                {"report", hex_of_file(dir + "report.json")},
                {"signature", hex_of_file(dir + "signature.bin")},
                {"signingCertificate", hex_of_file(vector_path("ias/certs/intel_sgx_attestation_report_signing_leaf.der"))},
                {"caCertificate", hex_of_file(vector_path("ias/certs/intel_sgx_attestation_report_signing_ca.der"))}};
  }

  /// A body re-signed by the development IAS, verified under the compiled-in anchor.
  Json simulation_params(const std::string& status) const {
    const Json vector = Json::parse(read_text_file(vector_path("ias/SIMULATION_lcp_2024-06-15_v4_OK_test_ca/report.json")));
    const std::string body = "{\"id\":\"1\",\"timestamp\":\"2024-06-15T14:18:10.991000\",\"version\":4,\"isvEnclaveQuoteStatus\":\"" +
                             status + "\",\"isvEnclaveQuoteBody\":\"" + vector.at("isvEnclaveQuoteBody").get<std::string>() + "\"}";
    return Json{{"kind", "ias"},
                {"report", "0x" + to_hex(ByteView::from_string(body))},
                {"signature", sign_with_simulation_key(body)},
                {"signingCertificate", hex_of_file(repo_file("src/attestation/simulation/simulation_signing.der"))}};
  }

  Enclave enclave_{make_simulation_platform(), std::nullopt};
  EnclaveDispatcher dispatcher_ = make_dispatcher();
};

TEST_F(AttestationVerifyMethod, VerifiesWithoutInitAndReportsTheIdentity) {
  const Json r = call(intel_params());
  ASSERT_EQ(r.at("valid"), true) << r.dump();
  const Json& id = r.at("identity");
  EXPECT_EQ(id.at("kind"), "ias");
  EXPECT_EQ(id.at("status"), "SW_HARDENING_NEEDED");
  EXPECT_EQ(id.at("advisoryIds"), (Json{"INTEL-SA-00334", "INTEL-SA-00615"}));
  EXPECT_EQ(id.at("mrenclave").get<std::string>().size(), 66u);
  EXPECT_EQ(id.at("reportData").get<std::string>().size(), 130u);
  EXPECT_TRUE(id.at("timestamp").is_number_unsigned());
  EXPECT_FALSE(enclave_.initialized());
}

TEST_F(AttestationVerifyMethod, TheCompiledInAnchorIsTheDevelopmentCa) {
  Json params = intel_params();
  params.erase("caCertificate");
  const Json r = call(params);
  EXPECT_EQ(r, (Json{{"valid", false}, {"error", {{"code", "CertificateIssuerMismatch"}, {"args", Json::array()},
                                                  {"message", "signing certificate's issuer is not the pinned CA"}}}}));
  EXPECT_EQ(call(simulation_params("OK")).at("valid"), true);
}

TEST_F(AttestationVerifyMethod, PolicyOnlyWhenGiven) {
  Json params = intel_params();
  params["policy"] = Json::object();  // the defaults: status OK only
  Json r = call(params);
  EXPECT_EQ(r.at("error").at("code"), "QuoteStatusNotAllowed");
  EXPECT_EQ(r.at("error").at("args"), (Json{"SW_HARDENING_NEEDED"}));
  params["policy"] = {{"allowedStatuses", {"SW_HARDENING_NEEDED"}}, {"allowDebug", true}, {"maxReportAge", "60"}};
  params["now"] = "4102444800";
  r = call(params);
  ASSERT_EQ(r.at("error").at("code"), "ReportTooOld");
  EXPECT_EQ(r.at("error").at("args").at(1), "60");
  EXPECT_EQ(r.at("error").at("args").at(2), "4102444800");
  params["policy"]["signer"] = {{"mrsigner", "0x" + std::string(64, '0')}, {"isvProdId", 0}, {"minIsvSvn", 0}};
  params["policy"]["maxReportAge"] = 0;
  r = call(params);
  EXPECT_EQ(r.at("error").at("code"), "MrsignerMismatch");
  EXPECT_EQ(r.at("error").at("args").at(0), "0x" + std::string(64, '0'));
}

TEST_F(AttestationVerifyMethod, MalformedParamsAreProtocolErrors) {
  auto code_of = [&](const Json& params) { return call(params).value("protocolError", Json::object()).value("code", ""); };
  Json p = intel_params();
  p["kind"] = "dcap";  // IAS params under kind dcap: no quote (attestation_dcap_test.cpp has DCAP's own)
  EXPECT_EQ(code_of(p), "invalid_params");
  p["kind"] = "epid";
  EXPECT_EQ(code_of(p), "invalid_params");
  p = intel_params();
  p.erase("report");
  EXPECT_EQ(code_of(p), "invalid_params");
  p = intel_params();
  p["signature"] = "0xabc";
  EXPECT_EQ(code_of(p), "invalid_params");
  p = intel_params();
  p["policy"] = {{"allowedMrenclaves", {"0x1234"}}};
  EXPECT_EQ(code_of(p), "invalid_params");
  p["policy"] = {{"allowedStatuses", "OK"}};
  EXPECT_EQ(code_of(p), "invalid_params");
  p["policy"] = {{"signer", {{"mrsigner", "0x" + std::string(64, '1')}, {"isvProdId", 65536}, {"minIsvSvn", 0}}}};
  EXPECT_EQ(code_of(p), "invalid_params");
  p["policy"] = {{"maxReportAge", 10}};  // needs now
  EXPECT_EQ(code_of(p), "invalid_params");
  p["policy"] = Json::array();
  EXPECT_EQ(code_of(p), "invalid_params");
}

TEST_F(AttestationVerifyMethod, ReportTextThatIsNotUtf8IsReturnedWithReplacementCharacters) {
  // WHATWG UTF-8 decoding: each maximal invalid subpart becomes one U+FFFD.
  const std::string kFffd = "\xEF\xBF\xBD";
  const std::pair<std::string, std::string> cases[] = {
      {"O\xFFK", "O" + kFffd + "K"},
      {"A\xE2\x82", "A" + kFffd},                     // truncated 3-byte sequence: one replacement
      {"\xF0\x80\x80", kFffd + kFffd + kFffd},        // overlong lead: every byte replaced
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},        // surrogate
      {"caf\xC3\xA9", "caf\xC3\xA9"},                 // valid UTF-8 unchanged
      {"\xC0\xAF", kFffd + kFffd},
  };
  for (const auto& [raw, shown] : cases) {
    const Json r = call(simulation_params(raw));
    ASSERT_EQ(r.at("valid"), true) << r.dump();
    EXPECT_EQ(r.at("identity").at("status"), shown);
    Json params = simulation_params(raw);
    params["policy"] = Json::object();
    EXPECT_EQ(call(params).at("error").at("args"), (Json{shown}));
  }
}

}  // namespace
}  // namespace anonify::enclave
