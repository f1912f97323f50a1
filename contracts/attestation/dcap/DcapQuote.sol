// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    AttestationKeyTypeUnsupported,
    CertificationDataTypeUnsupported,
    QeVendorIdUnsupported,
    QuoteTeeTypeUnsupported,
    QuoteTrailingBytes,
    QuoteTruncated,
    QuoteVersionUnsupported
} from "./DcapErrors.sol";

/**
 * @title DcapQuote
 * @notice The layout of an Intel SGX ECDSA quote, versions 3 and 4 (TEE type 0): 48-byte header, 384-byte
 * ISV report, signature data (ISV signature, attestation key, QE report, QE report signature, QE auth data,
 * certification data type 5 = PCK chain PEM; v4 wraps the QE part in certification data type 6). Offsets
 * only, into calldata; the same checks in the same order as src/attestation/dcap/quote.ts.
 */
library DcapQuote {
    struct Layout {
        uint256 version;
        uint256 isvSignature; // offset of r || s (64 bytes)
        uint256 attestationKey; // offset of x || y (64 bytes)
        uint256 qeReport; // offset of the 384-byte QE report
        uint256 qeReportSignature; // offset of r || s
        uint256 qeAuthData; // offset
        uint256 qeAuthDataLength;
        uint256 pckChain; // offset of the PEM text
        uint256 pckChainLength;
    }

    uint256 internal constant HEADER_LENGTH = 48;
    uint256 internal constant REPORT_LENGTH = 384;
    /// @notice Header || ISV report: what the attestation key signs.
    uint256 internal constant SIGNED_LENGTH = HEADER_LENGTH + REPORT_LENGTH;
    uint256 internal constant SIGNATURE_LENGTH = 64;
    uint256 internal constant KEY_LENGTH = 64;
    uint256 internal constant VERSION_3 = 3;
    uint256 internal constant VERSION_4 = 4;
    uint256 internal constant TEE_TYPE_SGX = 0;
    uint256 internal constant KEY_TYPE_ECDSA_P256 = 2;
    bytes16 internal constant INTEL_QE_VENDOR_ID = 0x939a7233f79c4ca9940a0db3957f0607;
    uint256 internal constant CERT_TYPE_PCK_CHAIN = 5;
    uint256 internal constant CERT_TYPE_QE_REPORT = 6;

    uint256 private constant TEE_TYPE_OFFSET = 4;
    uint256 private constant KEY_TYPE_OFFSET = 2;
    uint256 private constant VENDOR_ID_OFFSET = 12;

    /// @dev A bounds-checked cursor over `[offset, end)`.
    struct Cursor {
        uint256 offset;
        uint256 end;
    }

    /// @notice Decodes the layout of `quote`; reverts with the first fault (see docs/attestation-dcap.md step 1).
    function decode(bytes calldata quote) internal pure returns (Layout memory q) {
        if (quote.length < HEADER_LENGTH) revert QuoteTruncated(quote.length);
        uint256 teeType = _u32(quote, TEE_TYPE_OFFSET);
        if (teeType != TEE_TYPE_SGX) revert QuoteTeeTypeUnsupported(teeType);
        q.version = _u16(quote, 0);
        if (q.version != VERSION_3 && q.version != VERSION_4) revert QuoteVersionUnsupported(q.version);
        uint256 keyType = _u16(quote, KEY_TYPE_OFFSET);
        if (keyType != KEY_TYPE_ECDSA_P256) revert AttestationKeyTypeUnsupported(keyType);
        bytes16 vendor = bytes16(quote[VENDOR_ID_OFFSET:VENDOR_ID_OFFSET + 16]);
        if (vendor != INTEL_QE_VENDOR_ID) revert QeVendorIdUnsupported(vendor);

        Cursor memory c = Cursor({offset: HEADER_LENGTH, end: quote.length});
        _take(c, REPORT_LENGTH);
        uint256 signatureDataLength = _takeU32(quote, c);
        Cursor memory sig = Cursor({offset: c.offset, end: _limit(c, signatureDataLength)});
        if (sig.end != quote.length) revert QuoteTrailingBytes(sig.end);

        q.isvSignature = _take(sig, SIGNATURE_LENGTH);
        q.attestationKey = _take(sig, KEY_LENGTH);
        Cursor memory qe = q.version == VERSION_4 ? _certificationData(quote, sig, CERT_TYPE_QE_REPORT) : sig;
        q.qeReport = _take(qe, REPORT_LENGTH);
        q.qeReportSignature = _take(qe, SIGNATURE_LENGTH);
        q.qeAuthDataLength = _takeU16(quote, qe);
        q.qeAuthData = _take(qe, q.qeAuthDataLength);
        Cursor memory chain = _certificationData(quote, qe, CERT_TYPE_PCK_CHAIN);
        q.pckChain = chain.offset;
        q.pckChainLength = chain.end - chain.offset;
        if (qe.offset != qe.end) revert QuoteTrailingBytes(qe.offset);
        if (sig.offset != sig.end) revert QuoteTrailingBytes(sig.offset);
    }

    function _certificationData(bytes calldata quote, Cursor memory c, uint256 expectedType)
        private
        pure
        returns (Cursor memory inner)
    {
        uint256 certType = _takeU16(quote, c);
        uint256 size = _takeU32(quote, c);
        if (certType != expectedType) revert CertificationDataTypeUnsupported(certType);
        uint256 end = _limit(c, size);
        inner = Cursor({offset: c.offset, end: end});
        c.offset = end;
    }

    function _limit(Cursor memory c, uint256 length) private pure returns (uint256) {
        if (c.offset + length > c.end) revert QuoteTruncated(c.offset);
        return c.offset + length;
    }

    function _take(Cursor memory c, uint256 length) private pure returns (uint256 at) {
        at = c.offset;
        c.offset = _limit(c, length);
    }

    function _takeU16(bytes calldata quote, Cursor memory c) private pure returns (uint256) {
        return _u16(quote, _take(c, 2));
    }

    function _takeU32(bytes calldata quote, Cursor memory c) private pure returns (uint256) {
        return _u32(quote, _take(c, 4));
    }

    /// @notice Little-endian u16 at `offset` (callers keep it in bounds).
    function _u16(bytes calldata b, uint256 offset) internal pure returns (uint256) {
        return uint256(uint8(b[offset])) | (uint256(uint8(b[offset + 1])) << 8);
    }

    /// @notice Little-endian u32 at `offset` (callers keep it in bounds).
    function _u32(bytes calldata b, uint256 offset) internal pure returns (uint256) {
        return _u16(b, offset) | (_u16(b, offset + 2) << 16);
    }
}
