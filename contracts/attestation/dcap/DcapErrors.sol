// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @notice DCAP custom errors, shared by the DCAP libraries. Names and arguments are exactly those of the
 * TypeScript verifier's `DcapVerificationError` (src/attestation/dcap/errors.ts); docs/attestation-dcap.md
 * gives the check order that decides which one a faulty input gets.
 */

/// @notice Which certificate an error is about.
enum CertificateRole {
    Root,
    PckCa,
    Pck,
    TcbSigning
}

/// @notice A field of the quote lies past its end (`offset`: where the field starts, or the quote's length).
error QuoteTruncated(uint256 offset);
/// @notice Bytes remain after a length-delimited part of the quote, from `offset`.
error QuoteTrailingBytes(uint256 offset);
/// @notice Only versions 3 and 4 are accepted.
error QuoteVersionUnsupported(uint256 version);
/// @notice Only SGX (TEE type 0) is accepted; TDX is 0x81.
error QuoteTeeTypeUnsupported(uint256 teeType);
/// @notice Only ECDSA-256-with-P-256 (2) is accepted.
error AttestationKeyTypeUnsupported(uint256 keyType);
/// @notice Only Intel's quoting enclave is accepted.
error QeVendorIdUnsupported(bytes16 vendorId);
/// @notice Certification data other than the PCK chain (5), or QE report data (6) in v4.
error CertificationDataTypeUnsupported(uint256 certType);
/// @notice PEM block `index` of the PCK chain is not a strict base64 CERTIFICATE block.
error PckChainEncodingInvalid(uint256 index);
/// @notice The PCK chain must hold exactly 3 certificates (2 for the TCB Signing chain).
error PckChainLengthInvalid(uint256 count);
/// @notice DER error in a certificate at byte `offset`.
error CertificateMalformed(CertificateRole role, uint256 offset);
/// @notice Not ecdsa-with-SHA256.
error CertificateAlgorithmUnsupported(CertificateRole role);
/// @notice Not an uncompressed P-256 key.
error CertificateKeyUnsupported(CertificateRole role);
/// @notice The certificate's issuer is not its issuer certificate's subject.
error CertificateIssuerMismatch(CertificateRole role);
/// @notice The issuer's key does not verify the certificate's signature.
error CertificateSignatureInvalid(CertificateRole role);
/// @notice `now` outside [notBefore, notAfter].
error CertificateNotValidAt(CertificateRole role, uint256 notBefore, uint256 notAfter, uint256 now);
/// @notice basicConstraints do not fit the certificate's place.
error CertificateConstraintsInvalid(CertificateRole role);
/// @notice keyUsage does not allow the certificate's use.
error CertificateKeyUsageInvalid(CertificateRole role);
/// @notice The chain's root is not the pinned Intel SGX Root CA.
error RootCaNotPinned(CertificateRole role);
/// @notice The PCK certificate's SGX extension is malformed at byte `offset` of the certificate.
error SgxExtensionMalformed(uint256 offset);
/// @notice The PCK certificate's SGX extension lacks `field`.
error SgxExtensionFieldMissing(string field);

/// @notice Which collateral item an error is about.
enum CollateralKind {
    TcbInfo,
    QeIdentity,
    RootCaCrl,
    PckCaCrl
}

/// @notice The PCS body is not `{"<field>":{…},"signature":"<128 hex>"}` or its object is not JSON; parsing stopped at `offset`.
error CollateralMalformed(CollateralKind kind, uint256 offset);
/// @notice `field` (a path such as `tcbLevels[2].tcb.pcesvn`) is missing, of the wrong type or unsupported.
error CollateralFieldInvalid(CollateralKind kind, string field);
/// @notice The issuer's key does not verify the collateral item's signature.
error CollateralSignatureInvalid(CollateralKind kind);
/// @notice The item is issued after `now`.
error CollateralNotYetValid(CollateralKind kind, uint256 issueDate, uint256 now);
/// @notice `now` is after the item's nextUpdate (plus the policy's grace).
error CollateralExpired(CollateralKind kind, uint256 nextUpdate, uint256 now);
/// @notice DER error in a CRL at byte `offset` (also: not v2, no nextUpdate, not ecdsa-with-SHA256).
error CrlMalformed(uint256 offset);
/// @notice The CRL's issuer is neither the root CA nor the PCK CA it is checked against.
error CrlIssuerUnknown();
/// @notice No TCB level of the FMSPC's TCB Info is reached by the platform's 16 components and PCESVN.
error TcbLevelNotFound(bytes6 fmspc);
/// @notice The QE's ISVSVN is below every QE Identity TCB level.
error QeTcbLevelNotFound(uint256 isvSvn);

/// @notice The certificate's serial (magnitude bytes) is listed by its issuer's CRL.
error CertificateRevoked(CertificateRole role, bytes serial);
/// @notice The item's tcbEvaluationDataNumber is below the policy's minimum.
error TcbEvaluationDataNumberTooLow(CollateralKind kind, uint256 minimum, uint256 actual);
/// @notice The QE report's MRSIGNER is not QE Identity's.
error QeMrsignerMismatch(bytes32 expected, bytes32 actual);
/// @notice The QE report's ISVPRODID is not QE Identity's.
error QeIsvProdIdMismatch(uint256 expected, uint256 actual);
/// @notice The QE report's MISCSELECT under QE Identity's mask is not QE Identity's (masked).
error QeMiscselectMismatch(uint256 expected, uint256 actual);
/// @notice The QE report's attributes under QE Identity's mask are not QE Identity's (masked).
error QeAttributesMismatch(bytes16 expected, bytes16 actual);
/// @notice The QE's TCB status (its name, as in collateral) is not allowed by the policy.
error QeTcbStatusNotAllowed(string status);
/// @notice The platform's TCB status (its name, as in collateral) is not allowed by the policy.
error TcbStatusNotAllowed(string status);
