// The certificate profile of audit F-9 in the enclave's IAS verifier (attestation/x509.h): version
// 3, keyUsage and basicConstraints fitting the role, no unknown critical or repeated extension, on
// certificates re-assembled by hand and re-signed with the development CA's key; same rules, order
// and errors as IasVerifier and src/attestation/certificate.ts.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "attestation_ias_test_util.h"

namespace anonify::attestation {
namespace {

using namespace ias_testing;  // NOLINT(google-build-using-namespace): the shared test vocabulary

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


}  // namespace
}  // namespace anonify::attestation
