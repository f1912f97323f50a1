// Helpers of the in-enclave IAS verification tests (attestation_ias_test.cpp,
// attestation_x509_profile_test.cpp, attestation_report_grammar_test.cpp): vector and repository
// files, OpenSSL signing independent of the code under test, refusals with their arguments, and
// report bodies re-signed with the development IAS key.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "anonify/attestation/evidence.h"
#include "anonify/enclave/platform.h"
#include "anonify/error.h"
#include "attestation/ias_report.h"
#include "attestation/ias_report_json.h"
#include "attestation/quote_body.h"
#include "attestation/rsa_pkcs1.h"
#include "attestation/x509.h"
#include "enclave_test_util.h"

namespace anonify::attestation::ias_testing {

using anonify::testing::read_text_file;
using anonify::testing::vector_path;

inline Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Bytes read_bytes(const std::string& path) { return bytes_of(read_text_file(path)); }

inline std::string repo_file(const std::string& relative) { return std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative; }

inline Bytes intel_ca() { return read_bytes(vector_path("ias/certs/intel_sgx_attestation_report_signing_ca.der")); }
inline Bytes intel_leaf() { return read_bytes(vector_path("ias/certs/intel_sgx_attestation_report_signing_leaf.der")); }
inline Bytes simulation_ca() { return read_bytes(repo_file("src/attestation/simulation/simulation_ca.der")); }
inline Bytes simulation_leaf() { return read_bytes(repo_file("src/attestation/simulation/simulation_signing.der")); }

/// Base64 decoding independent of the code under test (OpenSSL's EVP_DecodeBlock).
inline Bytes base64_decode(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  Bytes out(text.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const uint8_t*>(text.data()), static_cast<int>(text.size()));
  EXPECT_GE(n, 0);
  size_t length = static_cast<size_t>(n);
  if (text.size() >= 1 && text[text.size() - 1] == '=') --length;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --length;
  out.resize(length);
  return out;
}

/// Unix seconds of "YYYY-MM-DDTHH:MM:SS[.f]" computed with timegm (independent of the code under test).
inline uint64_t unix_of(const std::string& ts) {
  std::tm tm{};
  tm.tm_year = std::stoi(ts.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(ts.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(ts.substr(8, 2));
  tm.tm_hour = std::stoi(ts.substr(11, 2));
  tm.tm_min = std::stoi(ts.substr(14, 2));
  tm.tm_sec = std::stoi(ts.substr(17, 2));
  return static_cast<uint64_t>(timegm(&tm));
}

using EvpKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

/// A PEM private key from the repository.
inline EvpKey read_key(const std::string& relative) {
  const std::string pem = read_text_file(repo_file(relative));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EXPECT_NE(bio, nullptr);
  EvpKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  return key;
}

/// RSA PKCS#1 v1.5 SHA-256 with OpenSSL (EVP_DigestSign), independent of the code under test.
inline Bytes rsa_sign(ByteView data, EVP_PKEY* key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  Bytes sig(static_cast<size_t>(EVP_PKEY_get_size(key)));
  size_t length = sig.size();
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &length, data.data(), data.size()), 1);
  sig.resize(length);
  return sig;
}

/// Signs with the development IAS's report-signing key (RSA-2048 PKCS#1 v1.5 SHA-256), so mutated
/// bodies reach the report rules.
inline Bytes sign_with_simulation_key(ByteView body) {
  const EvpKey key = read_key("src/attestation/simulation/simulation_signing.key.pem");
  return rsa_sign(body, key.get());
}

struct Refusal {
  std::string code;
  std::vector<std::string> args;
};

/// The refusal `f` throws; fails the test when it throws none.
inline Refusal refusal_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EvidenceError& e) {
    return Refusal{e.code(), e.args()};
  }
  ADD_FAILURE() << "expected an EvidenceError";
  return {};
}

#define EXPECT_REFUSAL(expr, expected_code, ...)                                 \
  do {                                                                           \
    const Refusal r = refusal_of([&] { (void)(expr); });                         \
    EXPECT_EQ(r.code, expected_code);                                            \
    EXPECT_EQ(r.args, (std::vector<std::string>{__VA_ARGS__})) << r.code;        \
  } while (0)

/// A re-signed body under the simulation CA.
inline VerifiedIdentity verify_simulated(const std::string& body) {
  const Bytes report = bytes_of(body);
  return verify_ias(IasEvidence{report, sign_with_simulation_key(report), simulation_leaf()}, simulation_ca());
}

/// A report body built from the SIMULATION vector's quote body, with the given members.
inline std::string quote_b64() {
  const nlohmann::json report = nlohmann::json::parse(read_text_file(vector_path("ias/SIMULATION_lcp_2024-06-15_v4_OK_test_ca/report.json")));
  return report.at("isvEnclaveQuoteBody").get<std::string>();
}

inline std::string body_with(const std::string& id, const std::string& timestamp, const std::string& status, const std::string& quote,
                      const std::string& extra = "") {
  return "{" + extra + "\"id\":" + id + ",\"timestamp\":" + timestamp + ",\"version\":4,\"isvEnclaveQuoteStatus\":" + status +
         ",\"isvEnclaveQuoteBody\":" + quote + "}";
}

inline std::string good_body(const std::string& extra = "") {
  return body_with("\"1\"", "\"2024-06-15T14:18:10.991000\"", "\"OK\"", "\"" + quote_b64() + "\"", extra);
}

}  // namespace anonify::attestation::ias_testing
