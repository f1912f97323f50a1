// IAS certificates, mirroring src/attestation/certificate.ts and IasVerifier.sol: pinning the
// RSA-3072 Report Signing CA and checking a report-signing leaf under it, with the same rules,
// order and error codes (EvidenceError Certificate*), including the certificate profile of audit
// F-9: X.509 v3, keyUsage and basicConstraints fitting the role, no unknown critical extension.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "anonify/bytes.h"

namespace anonify::attestation {

constexpr size_t kSigningKeyBits = 2048;
constexpr size_t kCaKeyBits = 3072;

/// keyUsage as ParsedCertificate::key_usage holds it: the named bits' first two bytes, bit 0 the
/// most significant (RFC 5280 4.2.1.3).
constexpr uint16_t kKeyUsageDigitalSignature = 0x8000;
constexpr uint16_t kKeyUsageKeyCertSign = 0x0400;

/// The spans of a DER certificate that the checks use (copies).
struct ParsedCertificate {
  Bytes tbs;                      ///< the whole TBSCertificate TLV: what the issuer signed
  Bytes tbs_signature_algorithm;  ///< TBSCertificate.signature AlgorithmIdentifier (whole TLV)
  Bytes signature_algorithm;      ///< outer signatureAlgorithm (whole TLV)
  Bytes issuer;                   ///< issuer Name (whole TLV)
  Bytes subject;                  ///< subject Name (whole TLV)
  uint64_t not_before = 0;        ///< unix seconds
  uint64_t not_after = 0;
  Bytes subject_public_key_info;  ///< whole TLV (judged by the key checks, not the structure parse)
  Bytes signature;                ///< signatureValue content after the "no unused bits" byte
  /// X.509 version number: 1 when the [0] version is absent, else its INTEGER + 1 (v3 = 3).
  uint32_t version = 1;
  bool key_usage_present = false;
  uint16_t key_usage = 0;  ///< 0 when absent
  bool basic_constraints_present = false;
  bool basic_constraints_ca = false;  ///< cA (false when absent)
  /// Offset of the first Extension that repeats keyUsage/basicConstraints or is unknown and
  /// critical; unknown non-critical extensions are ignored.
  std::optional<size_t> unsupported_extension;
};

/// Structural parse (RFC 5280 4.1) as the contract does it, extensions included; throws
/// CertificateMalformed(offset). Records the profile's fields without judging them.
ParsedCertificate parse_certificate(ByteView der);

/// The modulus of an rsaEncryption SubjectPublicKeyInfo with a `bits`-bit modulus (2048 or 3072,
/// top bit set) and exponent 65537 in its only DER encoding; empty when the SPKI is anything else.
Bytes rsa_modulus_of_spki(ByteView spki, size_t bits);

/// A pinned Report Signing CA: its subject Name bytes and RSA-3072 modulus (exponent 65537).
struct PinnedCa {
  Bytes subject;
  Bytes modulus;
};

/// A report-signing key accepted under a pinned CA (RSA-2048, exponent 65537) and its validity.
struct SigningKey {
  Bytes modulus;
  uint64_t not_before = 0;
  uint64_t not_after = 0;
};

/// The RSA exponent every accepted key has: 65537 big-endian.
ByteView rsa_exponent_65537();

/// Pins a CA certificate as the contract's constructor does, in its order: structure
/// (CertificateMalformed), version 3 (CertificateVersionUnsupported), sha256WithRSAEncryption
/// (CertificateAlgorithmUnsupported), self-issued (CertificateIssuerMismatch), RSA-3072 e=65537
/// (CertificateKeyUnsupported), a valid self-signature (CertificateSignatureInvalid), no
/// unsupported extension (CertificateExtensionUnsupported), keyUsage with keyCertSign
/// (CertificateKeyUsageInvalid), basicConstraints cA TRUE (CertificateBasicConstraintsInvalid).
PinnedCa pin_ca(ByteView ca_der);

/// Checks a report-signing certificate under `ca` in the contract's order: structure
/// (CertificateMalformed), version 3 (CertificateVersionUnsupported), sha256WithRSAEncryption
/// (CertificateAlgorithmUnsupported), issuer == CA subject bytes (CertificateIssuerMismatch), CA
/// signature over the TBS (CertificateSignatureInvalid), RSA-2048 e=65537
/// (CertificateKeyUnsupported), no unsupported extension (CertificateExtensionUnsupported),
/// keyUsage with digitalSignature and without keyCertSign (CertificateKeyUsageInvalid),
/// basicConstraints cA FALSE (CertificateBasicConstraintsInvalid). Validity is returned, not
/// judged: each report is judged at its own timestamp.
SigningKey check_signing_certificate(ByteView der, const PinnedCa& ca);

}  // namespace anonify::attestation
