#include "attestation/x509.h"

#include <algorithm>
#include <optional>

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

bool equal_bytes(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

ByteView view_of(const uint8_t* data, size_t size) { return ByteView(data, size); }

[[noreturn]] void fail(const char* code, const char* message) { throw EvidenceError(code, {}, message); }

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

/// sha256WithRSAEncryption, outer and TBS AlgorithmIdentifiers byte-identical.
bool is_sha256_with_rsa(const ParsedCertificate& cert) {
  const ByteView a = cert.signature_algorithm;
  return (equal_bytes(a, view_of(kSha256WithRsa, sizeof(kSha256WithRsa))) ||
          equal_bytes(a, view_of(kSha256WithRsaNoParams, sizeof(kSha256WithRsaNoParams)))) &&
         equal_bytes(a, cert.tbs_signature_algorithm);
}

}  // namespace

ByteView rsa_exponent_65537() { return view_of(kRsaExponent65537, sizeof(kRsaExponent65537)); }

ParsedCertificate parse_certificate(ByteView der) {
  const der::Tlv cert = der::expect_tlv(der, 0, der.size(), der::kTagSequence);
  if (cert.end != der.size()) der::certificate_malformed(cert.end);

  const der::Tlv tbs = der::expect_tlv(der, cert.start, cert.end, der::kTagSequence);
  size_t p = tbs.start;
  der::Tlv element = der::read_tlv(der, p, tbs.end);
  if (element.tag == der::kTagContext0) {
    p = element.end;  // version: not interpreted
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
  // issuerUniqueID, subjectUniqueID, extensions: skipped, but each must be a well-formed TLV.
  for (size_t q = spki.end; q < tbs.end;) q = der::read_tlv(der, q, tbs.end).end;

  const der::Tlv algorithm = der::expect_tlv(der, tbs.end, cert.end, der::kTagSequence);
  const der::Tlv signature = der::expect_tlv(der, algorithm.end, cert.end, der::kTagBitString);
  if (signature.start >= signature.end || der[signature.start] != 0) der::certificate_malformed(algorithm.end);
  if (signature.end != cert.end) der::certificate_malformed(signature.end);

  ParsedCertificate out;
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
  if (!is_sha256_with_rsa(ca)) {
    fail("CertificateAlgorithmUnsupported", "CA certificate is not signed with sha256WithRSAEncryption");
  }
  if (!equal_bytes(ca.issuer, ca.subject)) fail("CertificateIssuerMismatch", "CA certificate is not self-issued");
  Bytes modulus = rsa_modulus_of_spki(ca.subject_public_key_info, kCaKeyBits);
  if (modulus.empty()) fail("CertificateKeyUnsupported", "CA certificate's key is not a 3072-bit RSA key with e = 65537");
  if (!rsa_pkcs1_sha256_verify(ca.tbs, ca.signature, modulus, rsa_exponent_65537())) {
    fail("CertificateSignatureInvalid", "CA certificate's self-signature does not verify");
  }
  return PinnedCa{ca.subject, std::move(modulus)};
}

SigningKey check_signing_certificate(ByteView der, const PinnedCa& ca) {
  const ParsedCertificate cert = parse_certificate(der);
  if (!is_sha256_with_rsa(cert)) {
    fail("CertificateAlgorithmUnsupported", "signing certificate is not signed with sha256WithRSAEncryption");
  }
  if (!equal_bytes(cert.issuer, ca.subject)) fail("CertificateIssuerMismatch", "signing certificate's issuer is not the pinned CA");
  if (!rsa_pkcs1_sha256_verify(cert.tbs, cert.signature, ca.modulus, rsa_exponent_65537())) {
    fail("CertificateSignatureInvalid", "signing certificate's signature does not verify under the pinned CA key");
  }
  Bytes modulus = rsa_modulus_of_spki(cert.subject_public_key_info, kSigningKeyBits);
  if (modulus.empty()) fail("CertificateKeyUnsupported", "signing certificate's key is not a 2048-bit RSA key with e = 65537");
  return SigningKey{std::move(modulus), cert.not_before, cert.not_after};
}

}  // namespace anonify::attestation
