#include "attestation/x509.h"

#include <optional>
#include <string>
#include <vector>

#include "anonify/attestation/evidence.h"
#include "attestation/der.h"
#include "attestation/rsa_pkcs1.h"
#include "attestation/utc_time.h"

namespace anonify::attestation {

namespace {

/// sha256WithRSAEncryption AlgorithmIdentifier with NULL parameters (what Intel and OpenSSL write).
constexpr uint8_t kSha256WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
/// The same with absent parameters (RFC 4055 allows both).
constexpr uint8_t kSha256WithRsaNoParams[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                              0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
/// The only DER encoding of an rsaEncryption SPKI with an n-byte modulus (top bit set) and
/// exponent 65537: a fixed prefix, the modulus, and 02 03 01 00 01.
constexpr uint8_t kRsa2048SpkiPrefix[] = {0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                          0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01,
                                          0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00};
constexpr uint8_t kRsa3072SpkiPrefix[] = {0x30, 0x82, 0x01, 0xa2, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                          0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01,
                                          0x8f, 0x00, 0x30, 0x82, 0x01, 0x8a, 0x02, 0x82, 0x01, 0x81, 0x00};
constexpr uint8_t kRsaExponent65537Suffix[] = {0x02, 0x03, 0x01, 0x00, 0x01};
constexpr uint8_t kRsaExponent65537[] = {0x01, 0x00, 0x01};

/// UTCTime years 50..99 are 19xx, 00..49 are 20xx (RFC 5280 4.1.2.5.1).
constexpr int kUtcTimePivot = 50;
constexpr size_t kUtcTimeLength = 13;          // YYMMDDHHMMSSZ
constexpr size_t kGeneralizedTimeLength = 15;  // YYYYMMDDHHMMSSZ
constexpr uint8_t kZulu = 0x5a;

/// TBSCertificate `[0] EXPLICIT Version`: exactly the one-byte INTEGER `02 01 vv`, version vv + 1.
constexpr size_t kVersionContentLength = 3;
constexpr uint8_t kVersionIntegerLength = 1;
constexpr uint32_t kVersion3 = 3;
/// The optional TBSCertificate fields after subjectPublicKeyInfo, in the only order RFC 5280 allows.
constexpr uint8_t kTagIssuerUniqueId = 0x81;   // [1] IMPLICIT
constexpr uint8_t kTagSubjectUniqueId = 0x82;  // [2] IMPLICIT
constexpr uint8_t kTagExtensions = 0xa3;       // [3] EXPLICIT
/// id-ce-keyUsage (2.5.29.15) and id-ce-basicConstraints (2.5.29.19): the OIDs' content bytes.
constexpr uint8_t kOidKeyUsage[] = {0x55, 0x1d, 0x0f};
constexpr uint8_t kOidBasicConstraints[] = {0x55, 0x1d, 0x13};
/// DER writes TRUE as ff and omits a DEFAULT FALSE, so a present BOOLEAN is exactly 01 01 ff.
constexpr uint8_t kDerTrue = 0xff;
/// keyUsage BIT STRING content: the unused-bits count (0..7), then one or two bytes of named bits.
constexpr uint8_t kMaxUnusedBits = 7;
constexpr size_t kKeyUsageMinContent = 2;
constexpr size_t kKeyUsageMaxContent = 3;

/// The two roles, as the messages name them.
constexpr char kCaRole[] = "CA certificate";
constexpr char kSigningRole[] = "signing certificate";

ByteView view_of(const uint8_t* data, size_t size) { return ByteView(data, size); }

[[noreturn]] void fail(const char* code, const char* message) { throw EvidenceError(code, {}, message); }

[[noreturn]] void fail(const char* code, std::vector<std::string> args, const std::string& message) {
  throw EvidenceError(code, std::move(args), message);
}

/// Error arguments as the differential test compares them (see EvidenceError).
std::string decimal(uint64_t v) { return std::to_string(v); }
std::string boolean(bool b) { return b ? "true" : "false"; }

int digits(ByteView der, size_t from, size_t count, size_t offset) {
  int v = 0;
  for (size_t i = from; i < from + count; ++i) {
    const uint8_t b = der[i];
    if (b < 0x30 || b > 0x39) der::certificate_malformed(offset);
    v = v * 10 + (b - 0x30);
  }
  return v;
}

struct TimeRead {
  uint64_t seconds;
  size_t end;
};

/// UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ; anything else fails at the element.
TimeRead read_time(ByteView der, size_t offset, size_t limit) {
  const der::Tlv tlv = der::read_tlv(der, offset, limit);
  const size_t length = tlv.end - tlv.start;
  int year = 0;
  size_t p = tlv.start;
  if (tlv.tag == der::kTagUtcTime && length == kUtcTimeLength) {
    const int yy = digits(der, p, 2, offset);
    year = yy < kUtcTimePivot ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (tlv.tag == der::kTagGeneralizedTime && length == kGeneralizedTimeLength) {
    year = digits(der, p, 4, offset);
    p += 4;
  } else {
    der::certificate_malformed(offset);
  }
  if (der[tlv.end - 1] != kZulu) der::certificate_malformed(offset);
  const int month = digits(der, p, 2, offset);
  const int day = digits(der, p + 2, 2, offset);
  const int hour = digits(der, p + 4, 2, offset);
  const int minute = digits(der, p + 6, 2, offset);
  const int second = digits(der, p + 8, 2, offset);
  const std::optional<uint64_t> seconds = unix_seconds(year, month, day, hour, minute, second);
  if (!seconds) der::certificate_malformed(offset);
  return TimeRead{*seconds, tlv.end};
}

/// `[0] EXPLICIT Version` whose content must be `02 01 vv`; anything else fails at the [0] tag.
uint32_t read_version(ByteView der, const der::Tlv& tlv) {
  if (tlv.end - tlv.start != kVersionContentLength || der[tlv.start] != der::kTagInteger ||
      der[tlv.start + 1] != kVersionIntegerLength) {
    der::certificate_malformed(tlv.offset);
  }
  return der[tlv.start + 2] + 1u;
}

// Inside an Extension every failure, a broken inner TLV included, is reported at the Extension's
// tag byte `at` (the profile's rule): one offset per malformed Extension.
void require(bool ok, size_t at) {
  if (!ok) der::certificate_malformed(at);
}

der::Tlv read_in_extension(ByteView der, size_t offset, size_t limit, size_t at) {
  const std::optional<der::Tlv> tlv = der::try_read_tlv(der, offset, limit);
  require(tlv.has_value(), at);
  return *tlv;
}

bool is_der_true(ByteView der, const der::Tlv& tlv) {
  return tlv.tag == der::kTagBoolean && tlv.end - tlv.start == 1 && der[tlv.start] == kDerTrue;
}

bool is_oid(ByteView der, const der::Tlv& oid, ByteView content) {
  return equal_bytes(der.subview(oid.start, oid.end - oid.start), content);
}

/// keyUsage's extnValue: exactly one BIT STRING of one or two named-bit bytes, read big-endian.
uint16_t read_key_usage(ByteView der, const der::Tlv& value, size_t at) {
  const der::Tlv bits = read_in_extension(der, value.start, value.end, at);
  const size_t length = bits.end - bits.start;
  require(bits.tag == der::kTagBitString && bits.end == value.end && length >= kKeyUsageMinContent &&
              length <= kKeyUsageMaxContent && der[bits.start] <= kMaxUnusedBits,
          at);
  const uint8_t low = length == kKeyUsageMaxContent ? der[bits.start + 2] : 0;
  return static_cast<uint16_t>((der[bits.start + 1] << 8) | low);
}

/// basicConstraints' extnValue: exactly one SEQUENCE { cA BOOLEAN (TRUE only) OPTIONAL,
/// pathLenConstraint INTEGER OPTIONAL (not interpreted) }; returns cA.
bool read_basic_constraints(ByteView der, const der::Tlv& value, size_t at) {
  const der::Tlv constraints = read_in_extension(der, value.start, value.end, at);
  require(constraints.tag == der::kTagSequence && constraints.end == value.end, at);
  size_t p = constraints.start;
  bool ca = false;
  if (p < constraints.end) {
    const der::Tlv field = read_in_extension(der, p, constraints.end, at);
    if (field.tag == der::kTagBoolean) {
      require(is_der_true(der, field), at);
      ca = true;
      p = field.end;
    }
  }
  if (p < constraints.end) {
    const der::Tlv path_length = read_in_extension(der, p, constraints.end, at);
    require(path_length.tag == der::kTagInteger && path_length.end == constraints.end, at);
  }
  return ca;
}

void note_unsupported(ParsedCertificate& out, size_t at) {
  if (!out.unsupported_extension) out.unsupported_extension = at;
}

/// The Extension at `at` ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET
/// STRING }; returns its end. A repeated keyUsage/basicConstraints must still be well-formed.
size_t read_extension(ByteView der, size_t at, size_t limit, ParsedCertificate& out) {
  const der::Tlv extension = read_in_extension(der, at, limit, at);
  require(extension.tag == der::kTagSequence, at);
  const der::Tlv oid = read_in_extension(der, extension.start, extension.end, at);
  require(oid.tag == der::kTagObjectIdentifier, at);
  der::Tlv value = read_in_extension(der, oid.end, extension.end, at);
  const bool critical = value.tag == der::kTagBoolean;
  if (critical) {
    require(is_der_true(der, value), at);
    value = read_in_extension(der, value.end, extension.end, at);
  }
  require(value.tag == der::kTagOctetString && value.end == extension.end, at);

  if (is_oid(der, oid, view_of(kOidKeyUsage, sizeof(kOidKeyUsage)))) {
    const uint16_t usage = read_key_usage(der, value, at);
    if (out.key_usage_present) {
      note_unsupported(out, at);
    } else {
      out.key_usage_present = true;
      out.key_usage = usage;
    }
  } else if (is_oid(der, oid, view_of(kOidBasicConstraints, sizeof(kOidBasicConstraints)))) {
    const bool ca = read_basic_constraints(der, value, at);
    if (out.basic_constraints_present) {
      note_unsupported(out, at);
    } else {
      out.basic_constraints_present = true;
      out.basic_constraints_ca = ca;
    }
  } else if (critical) {
    note_unsupported(out, at);  // a critical extension we cannot honour; non-critical ones are ignored
  }
  return extension.end;
}

/// `extensions [3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension`, `outer` being the [3] element.
void read_extensions(ByteView der, const der::Tlv& outer, ParsedCertificate& out) {
  const der::Tlv list = der::read_tlv(der, outer.start, outer.end);
  if (list.tag != der::kTagSequence || list.start == list.end) der::certificate_malformed(outer.start);
  if (list.end != outer.end) der::certificate_malformed(list.end);
  for (size_t p = list.start; p < list.end;) p = read_extension(der, p, list.end, out);
}

size_t skip_optional(ByteView der, size_t p, size_t limit, uint8_t tag) {
  return p < limit && der[p] == tag ? der::read_tlv(der, p, limit).end : p;
}

/// After subjectPublicKeyInfo: issuerUniqueID, subjectUniqueID (skipped), extensions, each
/// optional, at most once and in this order; anything else fails at its tag byte.
void read_optional_fields(ByteView der, size_t p, size_t limit, ParsedCertificate& out) {
  p = skip_optional(der, p, limit, kTagIssuerUniqueId);
  p = skip_optional(der, p, limit, kTagSubjectUniqueId);
  if (p < limit && der[p] == kTagExtensions) {
    const der::Tlv extensions = der::read_tlv(der, p, limit);
    read_extensions(der, extensions, out);
    p = extensions.end;
  }
  if (p != limit) der::certificate_malformed(p);
}

/// sha256WithRSAEncryption, outer and TBS AlgorithmIdentifiers byte-identical.
bool is_sha256_with_rsa(const ParsedCertificate& cert) {
  const ByteView a = cert.signature_algorithm;
  return (equal_bytes(a, view_of(kSha256WithRsa, sizeof(kSha256WithRsa))) ||
          equal_bytes(a, view_of(kSha256WithRsaNoParams, sizeof(kSha256WithRsaNoParams)))) &&
         equal_bytes(a, cert.tbs_signature_algorithm);
}

/// Step 2 for both roles: only v3 certificates carry the extensions the profile requires.
void check_version(const ParsedCertificate& cert, const std::string& who) {
  if (cert.version != kVersion3) {
    fail("CertificateVersionUnsupported", {decimal(cert.version)},
         who + " is not X.509 version 3 (version " + decimal(cert.version) + ")");
  }
}

/// The last steps (audit F-9): no extension the parse could not vouch for, then keyUsage and
/// basicConstraints fit the role. A CA signs certificates; a report-signing key signs reports only.
void check_profile(const ParsedCertificate& cert, bool ca_role, const std::string& who) {
  if (cert.unsupported_extension) {
    fail("CertificateExtensionUnsupported", {decimal(*cert.unsupported_extension)},
         who + " has an unknown critical or a repeated extension at byte " + decimal(*cert.unsupported_extension));
  }
  const uint16_t usage = cert.key_usage;
  const bool usage_fits = ca_role ? (usage & kKeyUsageKeyCertSign) != 0
                                  : (usage & kKeyUsageDigitalSignature) != 0 && (usage & kKeyUsageKeyCertSign) == 0;
  if (!cert.key_usage_present || !usage_fits) {
    fail("CertificateKeyUsageInvalid", {decimal(usage)},
         who + (ca_role ? "'s keyUsage lacks keyCertSign" : "'s keyUsage lacks digitalSignature or has keyCertSign"));
  }
  if (!cert.basic_constraints_present || cert.basic_constraints_ca != ca_role) {
    fail("CertificateBasicConstraintsInvalid", {boolean(cert.basic_constraints_present), boolean(cert.basic_constraints_ca)},
         who + (ca_role ? "'s basicConstraints do not say cA TRUE" : "'s basicConstraints do not say cA FALSE"));
  }
}

}  // namespace

ByteView rsa_exponent_65537() { return view_of(kRsaExponent65537, sizeof(kRsaExponent65537)); }

ParsedCertificate parse_certificate(ByteView der) {
  const der::Tlv cert = der::expect_tlv(der, 0, der.size(), der::kTagSequence);
  if (cert.end != der.size()) der::certificate_malformed(cert.end);

  ParsedCertificate out;
  const der::Tlv tbs = der::expect_tlv(der, cert.start, cert.end, der::kTagSequence);
  size_t p = tbs.start;
  der::Tlv element = der::read_tlv(der, p, tbs.end);
  if (element.tag == der::kTagContext0) {
    out.version = read_version(der, element);
    p = element.end;
    element = der::read_tlv(der, p, tbs.end);
  }
  if (element.tag != der::kTagInteger) der::certificate_malformed(p);
  p = element.end;  // serialNumber: not interpreted
  const der::Tlv tbs_algorithm = der::expect_tlv(der, p, tbs.end, der::kTagSequence);
  const der::Tlv issuer = der::expect_tlv(der, tbs_algorithm.end, tbs.end, der::kTagSequence);
  const der::Tlv validity = der::expect_tlv(der, issuer.end, tbs.end, der::kTagSequence);
  const TimeRead not_before = read_time(der, validity.start, validity.end);
  const TimeRead not_after = read_time(der, not_before.end, validity.end);
  if (not_after.end != validity.end) der::certificate_malformed(not_after.end);
  const der::Tlv subject = der::expect_tlv(der, validity.end, tbs.end, der::kTagSequence);
  const der::Tlv spki = der::expect_tlv(der, subject.end, tbs.end, der::kTagSequence);
  read_optional_fields(der, spki.end, tbs.end, out);

  const der::Tlv algorithm = der::expect_tlv(der, tbs.end, cert.end, der::kTagSequence);
  const der::Tlv signature = der::expect_tlv(der, algorithm.end, cert.end, der::kTagBitString);
  if (signature.start >= signature.end || der[signature.start] != 0) der::certificate_malformed(algorithm.end);
  if (signature.end != cert.end) der::certificate_malformed(signature.end);

  out.tbs = der::whole(der, tbs).to_bytes();
  out.tbs_signature_algorithm = der::whole(der, tbs_algorithm).to_bytes();
  out.signature_algorithm = der::whole(der, algorithm).to_bytes();
  out.issuer = der::whole(der, issuer).to_bytes();
  out.subject = der::whole(der, subject).to_bytes();
  out.not_before = not_before.seconds;
  out.not_after = not_after.seconds;
  out.subject_public_key_info = der::whole(der, spki).to_bytes();
  out.signature = der.subview(signature.start + 1, signature.end - signature.start - 1).to_bytes();
  return out;
}

Bytes rsa_modulus_of_spki(ByteView spki, size_t bits) {
  ByteView prefix;
  if (bits == kSigningKeyBits) {
    prefix = view_of(kRsa2048SpkiPrefix, sizeof(kRsa2048SpkiPrefix));
  } else if (bits == kCaKeyBits) {
    prefix = view_of(kRsa3072SpkiPrefix, sizeof(kRsa3072SpkiPrefix));
  } else {
    return {};
  }
  const size_t modulus_length = bits / 8;
  const ByteView suffix = view_of(kRsaExponent65537Suffix, sizeof(kRsaExponent65537Suffix));
  if (spki.size() != prefix.size() + modulus_length + suffix.size()) return {};
  if (!equal_bytes(spki.subview(0, prefix.size()), prefix)) return {};
  const ByteView modulus = spki.subview(prefix.size(), modulus_length);
  if ((modulus[0] & 0x80) == 0) return {};
  if (!equal_bytes(spki.subview(prefix.size() + modulus_length, suffix.size()), suffix)) return {};
  return modulus.to_bytes();
}

PinnedCa pin_ca(ByteView ca_der) {
  const ParsedCertificate ca = parse_certificate(ca_der);
  check_version(ca, kCaRole);
  if (!is_sha256_with_rsa(ca)) {
    fail("CertificateAlgorithmUnsupported", "CA certificate is not signed with sha256WithRSAEncryption");
  }
  if (!equal_bytes(ca.issuer, ca.subject)) fail("CertificateIssuerMismatch", "CA certificate is not self-issued");
  Bytes modulus = rsa_modulus_of_spki(ca.subject_public_key_info, kCaKeyBits);
  if (modulus.empty()) fail("CertificateKeyUnsupported", "CA certificate's key is not a 3072-bit RSA key with e = 65537");
  if (!rsa_pkcs1_sha256_verify(ca.tbs, ca.signature, modulus, rsa_exponent_65537())) {
    fail("CertificateSignatureInvalid", "CA certificate's self-signature does not verify");
  }
  check_profile(ca, true, kCaRole);
  return PinnedCa{ca.subject, std::move(modulus)};
}

SigningKey check_signing_certificate(ByteView der, const PinnedCa& ca) {
  const ParsedCertificate cert = parse_certificate(der);
  check_version(cert, kSigningRole);
  if (!is_sha256_with_rsa(cert)) {
    fail("CertificateAlgorithmUnsupported", "signing certificate is not signed with sha256WithRSAEncryption");
  }
  if (!equal_bytes(cert.issuer, ca.subject)) fail("CertificateIssuerMismatch", "signing certificate's issuer is not the pinned CA");
  if (!rsa_pkcs1_sha256_verify(cert.tbs, cert.signature, ca.modulus, rsa_exponent_65537())) {
    fail("CertificateSignatureInvalid", "signing certificate's signature does not verify under the pinned CA key");
  }
  Bytes modulus = rsa_modulus_of_spki(cert.subject_public_key_info, kSigningKeyBits);
  if (modulus.empty()) fail("CertificateKeyUnsupported", "signing certificate's key is not a 2048-bit RSA key with e = 65537");
  check_profile(cert, false, kSigningRole);
  return SigningKey{std::move(modulus), cert.not_before, cert.not_after};
}

}  // namespace anonify::attestation
