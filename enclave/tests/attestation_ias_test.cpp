// In-enclave IAS evidence verification (attestation/evidence.h): every real vector in
// test/vectors/ias, the certificate rules, the report rules on re-signed mutations, and each
// policy error, with the codes and arguments of the contract and the TypeScript verifier.
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
#include "attestation/ias_report_json.h"
#include "attestation/quote_body.h"
#include "attestation/rsa_pkcs1.h"
#include "attestation/x509.h"
#include "enclave_test_util.h"

namespace anonify::attestation {
namespace {

using anonify::testing::read_text_file;
using anonify::testing::vector_path;

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes read_bytes(const std::string& path) { return bytes_of(read_text_file(path)); }

std::string repo_file(const std::string& relative) { return std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative; }

Bytes intel_ca() { return read_bytes(vector_path("ias/certs/intel_sgx_attestation_report_signing_ca.der")); }
Bytes intel_leaf() { return read_bytes(vector_path("ias/certs/intel_sgx_attestation_report_signing_leaf.der")); }
Bytes simulation_ca() { return read_bytes(repo_file("src/attestation/simulation/simulation_ca.der")); }
Bytes simulation_leaf() { return read_bytes(repo_file("src/attestation/simulation/simulation_signing.der")); }

/// Base64 decoding independent of the code under test (OpenSSL's EVP_DecodeBlock).
Bytes base64_decode(std::string text) {
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
uint64_t unix_of(const std::string& ts) {
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
EvpKey read_key(const std::string& relative) {
  const std::string pem = read_text_file(repo_file(relative));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EXPECT_NE(bio, nullptr);
  EvpKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  return key;
}

/// RSA PKCS#1 v1.5 SHA-256 with OpenSSL (EVP_DigestSign), independent of the code under test.
Bytes rsa_sign(ByteView data, EVP_PKEY* key) {
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
Bytes sign_with_simulation_key(ByteView body) {
  const EvpKey key = read_key("src/attestation/simulation/simulation_signing.key.pem");
  return rsa_sign(body, key.get());
}

struct Refusal {
  std::string code;
  std::vector<std::string> args;
};

/// The refusal `f` throws; fails the test when it throws none.
Refusal refusal_of(const std::function<void()>& f) {
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
VerifiedIdentity verify_simulated(const std::string& body) {
  const Bytes report = bytes_of(body);
  return verify_ias(IasEvidence{report, sign_with_simulation_key(report), simulation_leaf()}, simulation_ca());
}

/// A report body built from the SIMULATION vector's quote body, with the given members.
std::string quote_b64() {
  const nlohmann::json report = nlohmann::json::parse(read_text_file(vector_path("ias/SIMULATION_lcp_2024-06-15_v4_OK_test_ca/report.json")));
  return report.at("isvEnclaveQuoteBody").get<std::string>();
}

std::string body_with(const std::string& id, const std::string& timestamp, const std::string& status, const std::string& quote,
                      const std::string& extra = "") {
  return "{" + extra + "\"id\":" + id + ",\"timestamp\":" + timestamp + ",\"version\":4,\"isvEnclaveQuoteStatus\":" + status +
         ",\"isvEnclaveQuoteBody\":" + quote + "}";
}

std::string good_body(const std::string& extra = "") {
  return body_with("\"1\"", "\"2024-06-15T14:18:10.991000\"", "\"OK\"", "\"" + quote_b64() + "\"", extra);
}

// Certificates re-assembled by hand (independently of the code under test) and re-signed with the
// development CA's key, so that a refusal is the certificate profile's, never the signature's.

constexpr uint8_t kBoolean = 0x01;
constexpr uint8_t kInteger = 0x02;
constexpr uint8_t kBitString = 0x03;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kNull = 0x05;
constexpr uint8_t kOid = 0x06;
constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kVersionTag = 0xa0;
constexpr uint8_t kIssuerUniqueId = 0x81;
constexpr uint8_t kSubjectUniqueId = 0x82;
constexpr uint8_t kExtensionsTag = 0xa3;
const Bytes kOidKeyUsage = {0x55, 0x1d, 0x0f};
const Bytes kOidBasicConstraints = {0x55, 0x1d, 0x13};
const Bytes kOidUnknown = {0x2a, 0x03, 0x04};  // 1.2.3.4
const Bytes kDerTrue = {kBoolean, 0x01, 0xff};
const Bytes kDerFalse = {kBoolean, 0x01, 0x00};  // never DER: FALSE is the omitted default

/// A DER element: short or long (1..2 byte) length form.
Bytes tlv(uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n >= 0x100) {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  } else if (n >= 0x80) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.push_back(static_cast<uint8_t>(n));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes join(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

/// The elements (whole TLVs) inside the well-formed element `der`.
std::vector<Bytes> children_of(ByteView der) {
  auto header = [&](size_t p) {
    const uint8_t first = der[p + 1];
    if (first < 0x80) return std::pair<size_t, size_t>{2, first};
    size_t length = 0;
    for (size_t i = 0; i < (first & 0x7fu); ++i) length = (length << 8) | der[p + 2 + i];
    return std::pair<size_t, size_t>{2 + (first & 0x7fu), length};
  };
  const auto [h, length] = header(0);
  std::vector<Bytes> out;
  for (size_t p = h; p < h + length;) {
    const auto [eh, el] = header(p);
    out.emplace_back(der.begin() + p, der.begin() + p + eh + el);
    p += eh + el;
  }
  return out;
}

/// `Extension ::= SEQUENCE { extnID, critical BOOLEAN (TRUE when given), extnValue OCTET STRING }`.
Bytes extension(const Bytes& oid, bool critical, const Bytes& value) {
  return tlv(kSequence, join({tlv(kOid, oid), critical ? kDerTrue : Bytes{}, tlv(kOctetString, value)}));
}

/// keyUsage (critical) whose BIT STRING content is `bits` (unused-bits byte, named-bit bytes).
Bytes key_usage(const Bytes& bits) { return extension(kOidKeyUsage, true, tlv(kBitString, bits)); }

/// basicConstraints (critical) whose SEQUENCE content is `content`.
Bytes basic_constraints(const Bytes& content) { return extension(kOidBasicConstraints, true, tlv(kSequence, content)); }

/// `[3] EXPLICIT SEQUENCE OF Extension`.
Bytes extensions_field(const std::vector<Bytes>& extensions) { return tlv(kExtensionsTag, tlv(kSequence, join(extensions))); }

/// A certificate taken apart: the TBS fields up to the key, what follows the key, and the
/// Extensions; assemble() puts it together again and signs the TBS.
struct CertificateParts {
  std::vector<Bytes> fields;       ///< [version,] serialNumber .. subjectPublicKeyInfo (whole TLVs)
  std::vector<Bytes> extensions;   ///< each Extension (whole TLV)
  std::optional<Bytes> tail;       ///< replaces extensions_field(extensions) after the key when set
  Bytes algorithm;                 ///< signatureAlgorithm

  Bytes assemble(EVP_PKEY* key) const {
    const Bytes tbs = tlv(kSequence, join({join(fields), tail ? *tail : extensions_field(extensions)}));
    const Bytes signature = join({Bytes{0x00}, rsa_sign(tbs, key)});  // no unused bits
    return tlv(kSequence, join({tbs, algorithm, tlv(kBitString, signature)}));
  }
};

CertificateParts take_apart(const Bytes& der) {
  const std::vector<Bytes> certificate = children_of(der);
  CertificateParts parts;
  parts.algorithm = certificate.at(1);
  for (const Bytes& field : children_of(certificate.at(0))) {
    if (field[0] == kExtensionsTag) {
      parts.extensions = children_of(children_of(field).at(0));
    } else {
      parts.fields.push_back(field);
    }
  }
  return parts;
}

/// The development CA's key: it signs the development leaf and (self-signed) the CA.
EvpKey simulation_ca_key() { return read_key("src/attestation/simulation/simulation_ca.key.pem"); }

/// Where `element` starts in `der`; it must occur exactly once.
size_t offset_of(const Bytes& der, const Bytes& element) {
  const auto at = std::search(der.begin(), der.end(), element.begin(), element.end());
  if (at == der.end()) {
    ADD_FAILURE() << "element not found";
    return 0;
  }
  EXPECT_TRUE(std::search(at + 1, der.end(), element.begin(), element.end()) == der.end()) << "element occurs twice";
  return static_cast<size_t>(at - der.begin());
}

std::string offset_text(const Bytes& der, const Bytes& element) { return std::to_string(offset_of(der, element)); }

/// The extension of `parts` whose extnID is `oid`.
size_t index_of_extension(const CertificateParts& parts, const Bytes& oid) {
  const Bytes id = tlv(kOid, oid);
  for (size_t i = 0; i < parts.extensions.size(); ++i) {
    if (std::search(parts.extensions[i].begin(), parts.extensions[i].end(), id.begin(), id.end()) != parts.extensions[i].end()) return i;
  }
  ADD_FAILURE() << "no such extension";
  return 0;
}

TEST(AttestationIas, TrustAnchorsAreTheDevelopmentCaInASimulationBuild) {
  const TrustAnchors& anchors = trust_anchors();
  EXPECT_TRUE(anchors.simulation);
  EXPECT_EQ(anchors.ias_report_signing_ca, simulation_ca());
  EXPECT_NE(anchors.ias_report_signing_ca, intel_ca());
  EXPECT_TRUE(anchors.dcap_root_ca.empty());
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

/// What verify_ias reports, computed from its parts for a vector whose certificates the profile
/// refuses: the report's fields and quote body, and its time inside the leaf's validity.
VerifiedIdentity identity_without_certificate_checks(ByteView report, const ParsedCertificate& leaf) {
  ReportFields fields = read_report_fields(report);
  EXPECT_GE(fields.timestamp, leaf.not_before);
  EXPECT_LE(fields.timestamp, leaf.not_after);
  QuoteBody quote = decode_quote_body(fields.quote_body);
  VerifiedIdentity id;
  id.kind = EvidenceKind::kIas;
  id.mrenclave = std::move(quote.mrenclave);
  id.mrsigner = std::move(quote.mrsigner);
  id.isv_prod_id = quote.isv_prod_id;
  id.isv_svn = quote.isv_svn;
  id.debug = quote.debug;
  id.report_data = std::move(quote.report_data);
  id.status = std::move(fields.status);
  id.timestamp = fields.timestamp;
  id.advisory_ids = std::move(fields.advisory_ids);
  return id;
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
      id = identity_without_certificate_checks(evidence.report, leaf);
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

// The certificate profile (audit F-9): version 3, keyUsage and basicConstraints fitting the role,
// no unknown critical or repeated extension; checked after the key and signature, in the order of
// IasVerifier and src/attestation/certificate.ts.

TEST(AttestationIasCertificateProfile, RealCertificatesFitTheProfile) {
  struct Expected {
    const char* name;
    Bytes der;
    uint16_t key_usage;
    bool ca;
  };
  const Expected certificates[] = {
      {"Intel CA", intel_ca(), 0x0600, true},           // keyCertSign | cRLSign
      {"Intel leaf", intel_leaf(), 0xc000, false},      // digitalSignature | nonRepudiation
      {"development CA", simulation_ca(), 0x0600, true},
      {"development leaf", simulation_leaf(), 0xc000, false},
  };
  for (const Expected& e : certificates) {
    SCOPED_TRACE(e.name);
    const ParsedCertificate cert = parse_certificate(e.der);
    EXPECT_EQ(cert.version, 3u);
    EXPECT_TRUE(cert.key_usage_present);
    EXPECT_EQ(cert.key_usage, e.key_usage);
    EXPECT_TRUE(cert.basic_constraints_present);
    EXPECT_EQ(cert.basic_constraints_ca, e.ca);
    EXPECT_FALSE(cert.unsupported_extension.has_value());
  }
  EXPECT_EQ(check_signing_certificate(intel_leaf(), pin_ca(intel_ca())).modulus.size(), kSigningKeyBits / 8);
  EXPECT_EQ(check_signing_certificate(simulation_leaf(), pin_ca(simulation_ca())).modulus.size(), kSigningKeyBits / 8);
}

class AttestationIasCertificateProfileTest : public ::testing::Test {
 protected:
  /// Signed by the development CA: the leaf under it, or the CA itself (self-signed, same key).
  Bytes sign(const CertificateParts& parts) const { return parts.assemble(key_.get()); }
  SigningKey check(const Bytes& leaf_der) const { return check_signing_certificate(leaf_der, ca_); }
  /// The whole verification, with a report re-signed by the development leaf's key.
  VerifiedIdentity verify(const Bytes& leaf_der, const Bytes& ca_der) const {
    const Bytes report = bytes_of(good_body());
    return verify_ias(IasEvidence{report, sign_with_simulation_key(report), leaf_der}, ca_der);
  }
  /// The development leaf with its extension `oid` replaced by `replacement` (removed when empty).
  CertificateParts leaf_with(const Bytes& oid, const Bytes& replacement) const { return edited(leaf_, oid, replacement); }
  CertificateParts ca_with(const Bytes& oid, const Bytes& replacement) const { return edited(ca_parts_, oid, replacement); }
  CertificateParts leaf_plus(const Bytes& extra) const {
    CertificateParts parts = leaf_;
    parts.extensions.push_back(extra);
    return parts;
  }
  /// Offset of the first TBSCertificate field (the [0] version) in an assembled certificate.
  static size_t first_tbs_field(const Bytes& der) {
    auto header = [&](size_t p) { return der[p + 1] < 0x80 ? size_t{2} : size_t{2} + (der[p + 1] & 0x7fu); };
    const size_t tbs = header(0);
    return tbs + header(tbs);
  }

  const EvpKey key_ = simulation_ca_key();
  const PinnedCa ca_ = pin_ca(simulation_ca());
  const CertificateParts leaf_ = take_apart(simulation_leaf());
  const CertificateParts ca_parts_ = take_apart(simulation_ca());

  static CertificateParts edited(const CertificateParts& original, const Bytes& oid, const Bytes& replacement) {
    CertificateParts parts = original;
    const size_t i = index_of_extension(parts, oid);
    if (replacement.empty()) {
      parts.extensions.erase(parts.extensions.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      parts.extensions[i] = replacement;
    }
    return parts;
  }
};

TEST_F(AttestationIasCertificateProfileTest, ReassemblyReproducesTheDevelopmentPair) {
  // PKCS#1 v1.5 is deterministic: taking apart and re-signing changes nothing, so each refusal
  // below comes from the one edit made.
  EXPECT_EQ(sign(leaf_), simulation_leaf());
  EXPECT_EQ(sign(ca_parts_), simulation_ca());
  ASSERT_EQ(leaf_.extensions.size(), 4u);  // basicConstraints, keyUsage, authority and subject key ids
  ASSERT_EQ(leaf_.fields.at(0), (Bytes{kVersionTag, 0x03, kInteger, 0x01, 0x02}));
}

TEST_F(AttestationIasCertificateProfileTest, LeafVersion) {
  CertificateParts v1 = leaf_;
  v1.fields.erase(v1.fields.begin());  // [0] absent: version 1
  EXPECT_REFUSAL(check(sign(v1)), "CertificateVersionUnsupported", "1");
  EXPECT_REFUSAL(verify(sign(v1), simulation_ca()), "CertificateVersionUnsupported", "1");
  for (const uint8_t vv : {0x00, 0x01, 0x03, 0xff}) {
    SCOPED_TRACE(static_cast<int>(vv));
    CertificateParts parts = leaf_;
    parts.fields[0] = tlv(kVersionTag, Bytes{kInteger, 0x01, vv});
    EXPECT_REFUSAL(check(sign(parts)), "CertificateVersionUnsupported", std::to_string(vv + 1));
  }
  // [0] whose content is not exactly 02 01 vv: malformed at the [0] tag byte.
  const std::vector<Bytes> malformed = {
      {},                              // empty
      {kInteger, 0x02, 0x00, 0x02},    // a two-byte INTEGER
      {kInteger, 0x01, 0x02, 0x00},    // a byte after the INTEGER
      {kOctetString, 0x01, 0x02},      // not an INTEGER
      {kInteger, 0x00},                // an empty INTEGER
  };
  for (const Bytes& content : malformed) {
    SCOPED_TRACE(to_hex(content));
    CertificateParts parts = leaf_;
    parts.fields[0] = tlv(kVersionTag, content);
    const Bytes der = sign(parts);
    EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(first_tbs_field(der)));
  }
}

TEST_F(AttestationIasCertificateProfileTest, LeafKeyUsage) {
  // Named bits (RFC 5280 4.2.1.3) after the unused-bits byte: 0x80 digitalSignature,
  // 0x40 nonRepudiation, 0x04 keyCertSign; the value is the first two bytes, big-endian.
  EXPECT_REFUSAL(check(sign(leaf_with(kOidKeyUsage, key_usage({0x06, 0x40})))), "CertificateKeyUsageInvalid", "16384");
  EXPECT_REFUSAL(check(sign(leaf_with(kOidKeyUsage, key_usage({0x02, 0x84})))), "CertificateKeyUsageInvalid", "33792");
  EXPECT_REFUSAL(check(sign(leaf_with(kOidKeyUsage, key_usage({0x00, 0x00})))), "CertificateKeyUsageInvalid", "0");
  EXPECT_REFUSAL(check(sign(leaf_with(kOidKeyUsage, {}))), "CertificateKeyUsageInvalid", "0");  // absent
  EXPECT_REFUSAL(verify(sign(leaf_with(kOidKeyUsage, {})), simulation_ca()), "CertificateKeyUsageInvalid", "0");

  // digitalSignature alone, in the one- or two-byte form (decipherOnly is bit 8), non-critical: accepted.
  const Bytes two_bytes = sign(leaf_with(kOidKeyUsage, key_usage({0x07, 0x80, 0x80})));
  EXPECT_EQ(parse_certificate(two_bytes).key_usage, 0x8080);
  EXPECT_NO_THROW(check(two_bytes));
  EXPECT_NO_THROW(check(sign(leaf_with(kOidKeyUsage, key_usage({0x07, 0x80})))));
  EXPECT_NO_THROW(check(sign(leaf_with(kOidKeyUsage, extension(kOidKeyUsage, false, tlv(kBitString, {0x07, 0x80}))))));

  // An extnValue that is not exactly one BIT STRING of one or two data bytes: malformed at the Extension.
  const std::vector<Bytes> malformed = {
      key_usage({0x08, 0x80}),                                                          // 8 unused bits
      key_usage({0x00}),                                                                // no data byte
      key_usage({0x00, 0x80, 0x00, 0x00}),                                              // three data bytes
      extension(kOidKeyUsage, true, tlv(kOctetString, {0x07, 0x80})),                   // not a BIT STRING
      extension(kOidKeyUsage, true, join({tlv(kBitString, {0x07, 0x80}), tlv(kNull, {})})),  // trailing element
      extension(kOidKeyUsage, true, {}),                                                // empty extnValue
      extension(kOidKeyUsage, true, {kBitString, 0x03, 0x07, 0x80}),                    // BIT STRING overruns
  };
  for (const Bytes& bad : malformed) {
    SCOPED_TRACE(to_hex(bad));
    const Bytes der = sign(leaf_with(kOidKeyUsage, bad));
    EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, bad));
  }
}

TEST_F(AttestationIasCertificateProfileTest, LeafBasicConstraints) {
  EXPECT_REFUSAL(check(sign(leaf_with(kOidBasicConstraints, basic_constraints(kDerTrue)))), "CertificateBasicConstraintsInvalid", "true",
                 "true");
  EXPECT_REFUSAL(verify(sign(leaf_with(kOidBasicConstraints, basic_constraints(kDerTrue))), simulation_ca()),
                 "CertificateBasicConstraintsInvalid", "true", "true");
  EXPECT_REFUSAL(check(sign(leaf_with(kOidBasicConstraints, basic_constraints(join({kDerTrue, tlv(kInteger, {0x00})}))))),
                 "CertificateBasicConstraintsInvalid", "true", "true");
  EXPECT_REFUSAL(check(sign(leaf_with(kOidBasicConstraints, {}))), "CertificateBasicConstraintsInvalid", "false", "false");

  // cA FALSE (omitted), with a pathLenConstraint (not interpreted), or non-critical: accepted.
  EXPECT_NO_THROW(check(sign(leaf_with(kOidBasicConstraints, basic_constraints(tlv(kInteger, {0x00}))))));
  EXPECT_NO_THROW(check(sign(leaf_with(kOidBasicConstraints, extension(kOidBasicConstraints, false, tlv(kSequence, {}))))));

  const std::vector<Bytes> malformed = {
      basic_constraints(kDerFalse),                                                 // FALSE written out
      basic_constraints({kBoolean, 0x01, 0x01}),                                    // TRUE not as ff
      basic_constraints(join({tlv(kInteger, {0x00}), kDerTrue})),                   // pathLen before cA
      basic_constraints(join({kDerTrue, tlv(kInteger, {0x00}), tlv(kNull, {})})),   // trailing element
      basic_constraints(tlv(kNull, {})),                                            // neither BOOLEAN nor INTEGER
      extension(kOidBasicConstraints, true, tlv(kNull, {})),                        // not a SEQUENCE
      extension(kOidBasicConstraints, true, join({tlv(kSequence, {}), tlv(kNull, {})})),  // trailing element
  };
  for (const Bytes& bad : malformed) {
    SCOPED_TRACE(to_hex(bad));
    const Bytes der = sign(leaf_with(kOidBasicConstraints, bad));
    EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, bad));
  }
}

TEST_F(AttestationIasCertificateProfileTest, LeafExtensions) {
  // An unknown critical extension is refused at its Extension's offset; an unknown non-critical one is ignored.
  const Bytes unknown_critical = extension(kOidUnknown, true, tlv(kNull, {}));
  Bytes der = sign(leaf_plus(unknown_critical));
  EXPECT_EQ(parse_certificate(der).unsupported_extension.value_or(SIZE_MAX), offset_of(der, unknown_critical));
  EXPECT_REFUSAL(check(der), "CertificateExtensionUnsupported", offset_text(der, unknown_critical));
  EXPECT_REFUSAL(verify(der, simulation_ca()), "CertificateExtensionUnsupported", offset_text(der, unknown_critical));
  const Bytes unknown = sign(leaf_plus(extension(kOidUnknown, false, tlv(kNull, {}))));
  EXPECT_FALSE(parse_certificate(unknown).unsupported_extension.has_value());
  EXPECT_EQ(verify(unknown, simulation_ca()).status, "OK");

  // The first of several unsupported extensions is the one reported.
  CertificateParts two = leaf_plus(unknown_critical);
  const Bytes other_critical = extension({0x2a, 0x03, 0x05}, true, tlv(kNull, {}));
  two.extensions.insert(two.extensions.begin() + 1, other_critical);
  der = sign(two);
  EXPECT_REFUSAL(check(der), "CertificateExtensionUnsupported", offset_text(der, other_critical));

  // A second keyUsage or basicConstraints, even one that would fit, is unsupported; it must still be well-formed.
  const Bytes second_key_usage = key_usage({0x07, 0x80});
  der = sign(leaf_plus(second_key_usage));
  EXPECT_REFUSAL(check(der), "CertificateExtensionUnsupported", offset_text(der, second_key_usage));
  const Bytes second_constraints = basic_constraints(tlv(kInteger, {0x01}));
  der = sign(leaf_plus(second_constraints));
  EXPECT_REFUSAL(check(der), "CertificateExtensionUnsupported", offset_text(der, second_constraints));
  const Bytes malformed_second = key_usage({0x08, 0x80});
  der = sign(leaf_plus(malformed_second));
  EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, malformed_second));

  // An Extension that breaks its grammar: malformed at the Extension's tag byte, whatever breaks inside.
  const std::vector<Bytes> malformed = {
      tlv(kSequence, join({tlv(kOid, kOidUnknown), kDerFalse, tlv(kOctetString, tlv(kNull, {}))})),  // critical 01 01 00
      tlv(kSequence, join({tlv(kOid, kOidUnknown), Bytes{kBoolean, 0x02, 0xff, 0xff}, tlv(kOctetString, {})})),
      tlv(kSequence, join({tlv(kOid, kOidUnknown)})),                                                  // no extnValue
      tlv(kSequence, join({tlv(kOid, kOidUnknown), tlv(kOctetString, {}), tlv(kNull, {})})),          // after extnValue
      tlv(kSequence, join({tlv(kOctetString, kOidUnknown), tlv(kOctetString, {})})),                  // extnID not an OID
      tlv(kSequence, join({tlv(kOid, kOidUnknown), tlv(kBitString, {0x00})})),                        // extnValue not OCTET STRING
      tlv(kSequence, Bytes{kOid, 0x05, 0x2a, 0x03, 0x04}),                                            // extnID overruns
      tlv(0x31, join({tlv(kOid, kOidUnknown), tlv(kOctetString, {})})),                               // not a SEQUENCE
  };
  for (const Bytes& bad : malformed) {
    SCOPED_TRACE(to_hex(bad));
    der = sign(leaf_plus(bad));
    EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, bad));
  }
  const Bytes false_critical_key_usage =
      tlv(kSequence, join({tlv(kOid, kOidKeyUsage), kDerFalse, tlv(kOctetString, tlv(kBitString, {0x07, 0x80}))}));
  der = sign(leaf_with(kOidKeyUsage, false_critical_key_usage));
  EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, false_critical_key_usage));
}

TEST_F(AttestationIasCertificateProfileTest, LeafFieldsAfterTheKey) {
  const Bytes extensions = extensions_field(leaf_.extensions);
  const Bytes issuer_id = tlv(kIssuerUniqueId, {0x00, 0x01});
  const Bytes subject_id = tlv(kSubjectUniqueId, {0x00, 0x02});
  const Bytes& key = leaf_.fields.back();
  Bytes der;
  // Assembles the leaf with `tail` after its key; returns where the tail starts.
  auto with_tail = [&](const std::vector<Bytes>& tail) {
    CertificateParts parts = leaf_;
    parts.tail = join(tail);
    der = sign(parts);
    return offset_of(der, key) + key.size();
  };
  // The unique identifiers, in order before the extensions, are skipped.
  with_tail({issuer_id, subject_id, extensions});
  EXPECT_NO_THROW(check(der));
  with_tail({subject_id, extensions});
  EXPECT_NO_THROW(check(der));
  // Without extensions the structure holds and the profile refuses (keyUsage first).
  with_tail({issuer_id});
  EXPECT_REFUSAL(check(der), "CertificateKeyUsageInvalid", "0");

  // Anything else, or out of order, or twice: malformed at its tag byte.
  size_t tail = with_tail({extensions, tlv(kNull, {})});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + extensions.size()));
  tail = with_tail({extensions, issuer_id});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + extensions.size()));
  tail = with_tail({extensions, extensions_field({key_usage({0x07, 0x80})})});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + extensions.size()));
  tail = with_tail({subject_id, issuer_id, extensions});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + subject_id.size()));
  tail = with_tail({issuer_id, issuer_id, extensions});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + issuer_id.size()));
  tail = with_tail({tlv(kNull, {}), extensions});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail));

  // The [3] content is exactly one non-empty SEQUENCE; failures at that SEQUENCE (or what follows it).
  const Bytes list = tlv(kSequence, join(leaf_.extensions));
  tail = with_tail({tlv(kExtensionsTag, tlv(kSequence, {}))});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + 2));
  tail = with_tail({tlv(kExtensionsTag, {})});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(tail + 2));
  with_tail({tlv(kExtensionsTag, tlv(0x31, join(leaf_.extensions)))});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", offset_text(der, tlv(0x31, join(leaf_.extensions))));
  with_tail({tlv(kExtensionsTag, join({list, tlv(kNull, {})}))});
  EXPECT_REFUSAL(check(der), "CertificateMalformed", std::to_string(offset_of(der, list) + list.size()));
}

TEST_F(AttestationIasCertificateProfileTest, LeafCheckOrder) {
  // Version before the algorithm and the signature.
  CertificateParts v1 = leaf_;
  v1.fields.erase(v1.fields.begin());
  Bytes der = sign(v1);
  der.back() ^= 0x01;
  EXPECT_REFUSAL(check(der), "CertificateVersionUnsupported", "1");
  // The profile after the CA signature and after the key.
  der = sign(leaf_plus(extension(kOidUnknown, true, tlv(kNull, {}))));
  der.back() ^= 0x01;
  EXPECT_REFUSAL(check(der), "CertificateSignatureInvalid");
  CertificateParts big_key = leaf_with(kOidKeyUsage, {});
  big_key.fields.back() = ca_parts_.fields.back();  // the CA's RSA-3072 subjectPublicKeyInfo
  EXPECT_REFUSAL(check(sign(big_key)), "CertificateKeyUnsupported");
  // Extensions, then keyUsage, then basicConstraints.
  CertificateParts none = leaf_with(kOidKeyUsage, {});
  none = edited(none, kOidBasicConstraints, {});
  EXPECT_REFUSAL(check(sign(none)), "CertificateKeyUsageInvalid", "0");
  none.extensions.push_back(extension(kOidUnknown, true, tlv(kNull, {})));
  der = sign(none);
  EXPECT_REFUSAL(check(der), "CertificateExtensionUnsupported", offset_text(der, extension(kOidUnknown, true, tlv(kNull, {}))));
}

TEST_F(AttestationIasCertificateProfileTest, CaProfile) {
  // Each CA below is the development CA with one edit, self-signed with its own key.
  auto pin = [&](const CertificateParts& parts) { return pin_ca(sign(parts)); };
  EXPECT_REFUSAL(pin(ca_with(kOidBasicConstraints, basic_constraints({}))), "CertificateBasicConstraintsInvalid", "true", "false");
  EXPECT_REFUSAL(pin(ca_with(kOidBasicConstraints, basic_constraints(tlv(kInteger, {0x00})))), "CertificateBasicConstraintsInvalid", "true",
                 "false");
  EXPECT_REFUSAL(pin(ca_with(kOidBasicConstraints, {})), "CertificateBasicConstraintsInvalid", "false", "false");
  EXPECT_REFUSAL(pin(ca_with(kOidKeyUsage, key_usage({0x01, 0x02}))), "CertificateKeyUsageInvalid", "512");     // cRLSign only
  EXPECT_REFUSAL(pin(ca_with(kOidKeyUsage, key_usage({0x07, 0x80}))), "CertificateKeyUsageInvalid", "32768");   // digitalSignature
  EXPECT_REFUSAL(pin(ca_with(kOidKeyUsage, {})), "CertificateKeyUsageInvalid", "0");
  CertificateParts v1 = ca_parts_;
  v1.fields.erase(v1.fields.begin());
  EXPECT_REFUSAL(pin(v1), "CertificateVersionUnsupported", "1");
  const Bytes unknown_critical = extension(kOidUnknown, true, tlv(kNull, {}));
  CertificateParts extra = ca_parts_;
  extra.extensions.push_back(unknown_critical);
  Bytes der = sign(extra);
  EXPECT_REFUSAL(pin_ca(der), "CertificateExtensionUnsupported", offset_text(der, unknown_critical));
  extra = ca_parts_;
  extra.extensions.push_back(basic_constraints(join({kDerTrue, tlv(kInteger, {0x00})})));
  der = sign(extra);
  EXPECT_REFUSAL(pin_ca(der), "CertificateExtensionUnsupported", offset_text(der, extra.extensions.back()));

  // Accepted: keyCertSign alone; cA TRUE with a pathLenConstraint; a non-critical unknown extension.
  EXPECT_NO_THROW(pin(ca_with(kOidKeyUsage, key_usage({0x02, 0x04}))));
  EXPECT_NO_THROW(pin(ca_with(kOidBasicConstraints, basic_constraints(join({kDerTrue, tlv(kInteger, {0x00})})))));
  extra = ca_parts_;
  extra.extensions.push_back(extension(kOidUnknown, false, tlv(kNull, {})));
  EXPECT_EQ(pin(extra).subject, ca_.subject);

  // The profile comes after the self-signature; verify_ias pins with these rules.
  der = sign(ca_with(kOidBasicConstraints, {}));
  der.back() ^= 0x01;
  EXPECT_REFUSAL(pin_ca(der), "CertificateSignatureInvalid");
  EXPECT_REFUSAL(verify(simulation_leaf(), sign(ca_with(kOidBasicConstraints, basic_constraints({})))),
                 "CertificateBasicConstraintsInvalid", "true", "false");
  EXPECT_REFUSAL(verify(simulation_leaf(), sign(ca_with(kOidKeyUsage, key_usage({0x01, 0x02})))), "CertificateKeyUsageInvalid", "512");
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

// The strict grammar of audit F-7 (docs/attestation-onchain.md, step 4), the same in the contract
// and the TypeScript verifier: first on short bodies whose offsets can be counted by hand ...
std::string byte(uint8_t b) { return std::string(1, static_cast<char>(b)); }

TEST(AttestationIas, StrictGrammarOffsetsOnShortBodies) {
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"x" + byte(0x00) + "\"}"), "ReportMalformed", "7");  // control byte
  EXPECT_REFUSAL(verify_simulated("{\"a" + byte(0x1f) + "\":1}"), "ReportMalformed", "3");      // ... in a key
  EXPECT_REFUSAL(verify_simulated("{\"\\u0061\":1}"), "ReportMalformed", "2");    // a key holds no escape
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\q\"}"), "ReportMalformed", "7");     // not an RFC 8259 escape
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u\"}"), "ReportMalformed", "8");     // \u needs four hex digits
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u12x4\"}"), "ReportMalformed", "10");
  EXPECT_REFUSAL(verify_simulated("{\"a\":\"\\u12"), "ReportMalformed", "10");     // ends inside: the length
  EXPECT_REFUSAL(verify_simulated("{\"a\":007}"), "ReportMalformed", "6");         // "0" ends the number
  EXPECT_REFUSAL(verify_simulated("{\"a\":[0,01]}"), "ReportMalformed", "9");
  EXPECT_REFUSAL(verify_simulated("{\"a\":1,\"a\" x"), "ReportMalformed", "7");     // repeated, before its ':'
}

// ... then on a real report body (Intel's, re-signed with the development key), one change each.
class AttestationIasStrictGrammar : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_THROW(verify_simulated(report_)); }

  /// The report with `member` appended as its last member.
  std::string with_member(const std::string& member) const { return report_.substr(0, report_.size() - 1) + "," + member + "}"; }

  /// The offset, in with_member(member), of member[index].
  std::string at(size_t index) const { return std::to_string(report_.size() + index); }

  /// with_member(member) cut short right after `member`: the input ends inside it.
  std::string ending_in(const std::string& member) const { return with_member(member).substr(0, report_.size() + member.size()); }

  const std::string report_ = read_text_file(vector_path("ias/powersoftau_2019-11-16_v3_OK/report.json"));
};

TEST_F(AttestationIasStrictGrammar, AuditProofsOfConceptAreRefused) {
  // F-7: the status key spelled with an escape was skipped as unknown, while a JSON decoder reads
  // it as a second isvEnclaveQuoteStatus (JSON.parse: the last one wins over the signed "OK").
  const std::string escaped_key = "\"isvEnclaveQuote\\u0053tatus\":\"GROUP_OUT_OF_DATE\"";
  EXPECT_REFUSAL(verify_simulated(with_member(escaped_key)), "ReportMalformed", at(escaped_key.find('\\')));
  // F-7b: raw control bytes, an invented escape and leading zeros were all accepted.
  const std::string lax = "\"x\":\"" + byte(0x00) + byte(0x01) + "\\q" + byte(0x0a) + "\",\"y\":007";
  EXPECT_REFUSAL(verify_simulated(with_member(lax)), "ReportMalformed", at(lax.find('\0')));
}

TEST_F(AttestationIasStrictGrammar, ControlBytesAreRefusedInStringsAndKeys) {
  for (const uint8_t control : {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f}) {
    SCOPED_TRACE(static_cast<int>(control));
    const std::string in_value = "\"x\":\"a" + byte(control) + "b\"";
    EXPECT_REFUSAL(verify_simulated(with_member(in_value)), "ReportMalformed", at(in_value.find(byte(control))));
    const std::string in_key = "\"x" + byte(control) + "\":1";
    EXPECT_REFUSAL(verify_simulated(with_member(in_key)), "ReportMalformed", at(in_key.find(byte(control))));
    const std::string in_array = "\"x\":[\"a\",\"" + byte(control) + "\"]";
    EXPECT_REFUSAL(verify_simulated(with_member(in_array)), "ReportMalformed", at(in_array.find(byte(control))));
  }
  // In a known field too: a raw tab in the status.
  std::string status_with_tab = report_;
  const size_t status_value = status_with_tab.find("\"isvEnclaveQuoteStatus\":\"OK\"") + 25;
  status_with_tab.insert(status_value, byte(0x09));
  EXPECT_REFUSAL(verify_simulated(status_with_tab), "ReportMalformed", std::to_string(status_value));
  // DEL and non-ASCII bytes are no control bytes (and are not UTF-8-checked), in keys and values.
  EXPECT_NO_THROW(verify_simulated(with_member("\"x" + byte(0x7f) + byte(0xff) + "\":\"" + byte(0x7f) + byte(0x80) + byte(0xff) + "\"")));
  EXPECT_NO_THROW(verify_simulated(with_member("\" !#[]~\":\" !#[]~\"")));
}

TEST_F(AttestationIasStrictGrammar, KeysHoldNoEscape) {
  for (const std::string key : {"\"\\u0069d\"", "\"a\\\"b\"", "\"a\\\\\"", "\"a\\/\"", "\"\\q\""}) {
    SCOPED_TRACE(key);
    const std::string member = key + ":1";
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\')));
  }
  const std::string cut = ending_in("\"abc");
  EXPECT_REFUSAL(verify_simulated(cut), "ReportMalformed", std::to_string(cut.size()));
}

TEST_F(AttestationIasStrictGrammar, OnlyRfc8259EscapesInValueStrings) {
  EXPECT_NO_THROW(verify_simulated(with_member(R"("x":"\" \\ \/ \b \f \n \r \t \u0000 \u00e9 \uABCD \uFfFf","y":["\u0041\n"])")));
  // Any other byte after the backslash: its offset.
  for (const std::string& bad : std::vector<std::string>{"\\q", "\\U0041", "\\x41", "\\'", "\\0", "\\a", "\\ ", "\\" + byte(0x01),
                                                          "\\" + byte(0xe9)}) {
    SCOPED_TRACE(bad);
    const std::string member = "\"x\":\"a" + bad + "\"";
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\') + 1));
    const std::string in_array = "\"x\":[\"a\",\"" + bad + "\"]";
    EXPECT_REFUSAL(verify_simulated(with_member(in_array)), "ReportMalformed", at(in_array.find('\\') + 1));
  }
  // After \u, the first byte that is no hex digit (the closing quote included).
  for (const std::string bad : {"\\uG000", "\\u0G00", "\\u00g0", "\\u000G", "\\u12\"", "\\u\"", "\\u 123", "\\u-123"}) {
    SCOPED_TRACE(bad);
    const std::string member = "\"x\":\"a" + bad + "\"";
    const size_t first_bad = bad.find_first_not_of("0123456789", 2);  // past the \ and the u; no hex letters before it
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find('\\') + first_bad));
  }
  // Left to right: the first offending byte wins.
  const std::string control_first = "\"x\":\"" + byte(0x01) + "\\q\"";
  EXPECT_REFUSAL(verify_simulated(with_member(control_first)), "ReportMalformed", at(control_first.find('\x01')));
  const std::string escape_first = "\"x\":\"\\q" + byte(0x01) + "\"";
  EXPECT_REFUSAL(verify_simulated(with_member(escape_first)), "ReportMalformed", at(escape_first.find('q')));
  // The input ending inside an escape: its length.
  for (const std::string open : {"\"x\":\"\\", "\"x\":\"\\u", "\"x\":\"\\u12", "\"x\":\"\\u123", "\"x\":[\"\\u00A"}) {
    SCOPED_TRACE(open);
    const std::string cut = ending_in(open);
    EXPECT_REFUSAL(verify_simulated(cut), "ReportMalformed", std::to_string(cut.size()));
  }
}

TEST_F(AttestationIasStrictGrammar, NumbersHaveNoLeadingZeros) {
  EXPECT_NO_THROW(verify_simulated(with_member("\"x\":0,\"y\":[0, 0 ,10,9007199254740993],\"z\":100")));
  // The first byte after the leading "0" and any whitespace, which the context refuses.
  for (const std::string member : {"\"x\":007", "\"x\":00", "\"x\":01", "\"x\":[1,00]", "\"x\":[07]", "\"x\":[0 0]", "\"x\":0 1"}) {
    SCOPED_TRACE(member);
    const size_t zero = member.find('0', member.find(':'));
    EXPECT_REFUSAL(verify_simulated(with_member(member)), "ReportMalformed", at(member.find_first_not_of(' ', zero + 1)));
  }
  // The real version 3 written "03": the "3".
  std::string version = report_;
  const size_t digit = version.find("\"version\":3") + 10;
  version.insert(digit, "0");
  EXPECT_REFUSAL(verify_simulated(version), "ReportMalformed", std::to_string(digit + 1));
}

TEST_F(AttestationIasStrictGrammar, RepeatedKeys) {
  // An unknown key again: at its opening quote, right after its closing quote (before its ':').
  const std::string repeated = "\"x\":1,\"y\":2,\"x\":3";
  EXPECT_REFUSAL(verify_simulated(with_member(repeated)), "ReportMalformed", at(repeated.rfind("\"x\"")));
  const std::string no_colon = "\"x\":1,\"x\" garbage";
  EXPECT_REFUSAL(verify_simulated(with_member(no_colon)), "ReportMalformed", at(no_colon.rfind("\"x\"")));
  const std::string cut = "\"x\":1,\"x\"";
  EXPECT_REFUSAL(verify_simulated(ending_in(cut)), "ReportMalformed", at(cut.rfind("\"x\"")));
  const std::string empty_twice = "\"\":1,\"\":2";
  EXPECT_REFUSAL(verify_simulated(with_member(empty_twice)), "ReportMalformed", at(empty_twice.rfind("\"\"")));
  // Keys are their bytes: different bytes, different keys.
  EXPECT_NO_THROW(verify_simulated(with_member("\"x\":1,\"X\":2,\"x \":3,\"\":4")));
  // A known key again keeps its own error.
  EXPECT_REFUSAL(verify_simulated(with_member("\"isvEnclaveQuoteStatus\":\"GROUP_OUT_OF_DATE\"")), "ReportFieldDuplicated",
                 "isvEnclaveQuoteStatus");
  EXPECT_REFUSAL(verify_simulated(with_member("\"x\":1,\"version\":3,\"x\":1")), "ReportFieldDuplicated", "version");
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
