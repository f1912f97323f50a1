// A development IAS for the enclave tests and the benchmark (never in the enclave binary, which holds
// no signing key). It signs report bodies in Intel's exact format (src/attestation/devIas.ts) with
// the committed, public SIMULATION signing key, read from the repository at run time, so tests can
// hand an enclave valid evidence for any keys (an honest enclave's, or a test-made leaf's). Free of
// GoogleTest (failures throw), so the benchmark program can use it too.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "anonify/bytes.h"
#include "anonify/crypto/hash.h"
#include "anonify/enclave/platform.h"

namespace anonify::testing::dev_ias {

using Json = nlohmann::json;

/// A timestamp inside the SIMULATION signing certificate's validity (2016-11-22..2049-12-31).
constexpr const char* kReportTimestamp = "2026-11-30T12:00:00.000000";
/// Its unix time.
constexpr uint64_t kReportUnixTime = 1796040000;

inline std::string repo_path(const std::string& relative) {
  return std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative;
}

inline std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("dev_ias: cannot open " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline Bytes file_bytes(const std::string& path) {
  const std::string text = file_text(path);
  return Bytes(text.begin(), text.end());
}

inline std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 over `body` with the PEM key at `key_file` (repository-relative).
inline Bytes rsa_sign(ByteView body, const std::string& key_file) {
  const std::string pem = file_text(repo_path(key_file));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key) throw std::runtime_error("dev_ias: cannot read the key in " + key_file);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, body.data(), body.size()) != 1) {
    throw std::runtime_error("dev_ias: RSA signing setup failed");
  }
  Bytes signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, body.data(), body.size()) != 1) {
    throw std::runtime_error("dev_ias: RSA signing failed");
  }
  signature.resize(size);
  return signature;
}

/// Fields of a quote body a test may change (offsets as in DESIGN.md section 4).
struct QuoteFields {
  Bytes mrenclave = Bytes(32, 0x5a);
  Bytes mrsigner = enclave::simulation_mrsigner();
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;
  Bytes report_data = Bytes(64, 0);
};

inline Bytes quote_body(const QuoteFields& f) {
  Bytes body = enclave::build_simulation_quote_body(f.mrenclave, f.report_data);
  std::copy(f.mrsigner.begin(), f.mrsigner.end(), body.begin() + 176);
  body[304] = static_cast<uint8_t>(f.isv_prod_id);
  body[305] = static_cast<uint8_t>(f.isv_prod_id >> 8);
  body[306] = static_cast<uint8_t>(f.isv_svn);
  body[307] = static_cast<uint8_t>(f.isv_svn >> 8);
  if (f.debug) body[96] |= 0x02;
  return body;
}

/// The report body IAS API v4 returns for a quote body (key order and format as Intel's).
inline Bytes report_body(ByteView quote, const std::string& status = "OK", const std::string& timestamp = kReportTimestamp) {
  const std::string json = R"({"id":"165171271757108173876306223827987629752","timestamp":")" + timestamp +
                           R"(","version":4,"isvEnclaveQuoteStatus":")" + status + R"(","isvEnclaveQuoteBody":")" +
                           base64(quote) + "\"}";
  return Bytes(json.begin(), json.end());
}

/// REPORTDATA = address ‖ SHA-256(hpke ‖ mls) ‖ zero(12).
inline Bytes report_data(ByteView address, ByteView hpke_public_key, ByteView mls_signature_key) {
  Bytes rd(64, 0);
  std::copy(address.begin(), address.end(), rd.begin());
  const Bytes hash = crypto::sha256(concat({hpke_public_key, mls_signature_key}));
  std::copy(hash.begin(), hash.end(), rd.begin() + 20);
  return rd;
}

/// mls_admit_evidence params for a report body signed by the SIMULATION IAS.
inline Json admit_params(ByteView report, ByteView hpke_public_key, ByteView mls_signature_key,
                         const std::string& key_file = "src/attestation/simulation/simulation_signing.key.pem",
                         const std::string& cert_file = "src/attestation/simulation/simulation_signing.der") {
  return Json{{"kind", "ias"},
              {"report", "0x" + to_hex(report)},
              {"signature", "0x" + to_hex(rsa_sign(report, key_file))},
              {"signingCertificate", "0x" + to_hex(file_bytes(repo_path(cert_file)))},
              {"hpkePublicKey", "0x" + to_hex(hpke_public_key)},
              {"mlsSignatureKey", "0x" + to_hex(mls_signature_key)}};
}

/// Evidence params for an enclave's own `evidence` answer (its quote, signed as the node's attester does).
inline Json admit_params_of(const Json& evidence) {
  const Bytes quote = from_hex(evidence["quote"].get<std::string>());
  return admit_params(report_body(quote), from_hex(evidence["hpkePublicKey"].get<std::string>()),
                      from_hex(evidence["mlsSignatureKey"].get<std::string>()));
}

/// The test groups' policy: the confidential token, the SIMULATION signer, status OK, no DEBUG.
inline Json test_policy() {
  return Json{{"runtime", "anonify-token/v1"},
              {"allowedStatuses", Json::array({"OK"})},
              {"allowDebug", false},
              {"signer", Json{{"mrsigner", "0x" + to_hex(enclave::simulation_mrsigner())}, {"isvProdId", 0}, {"minIsvSvn", 0}}},
              {"maxEvidenceAge", 0}};
}

}  // namespace anonify::testing::dev_ias
