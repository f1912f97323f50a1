// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Asn1Der} from "../lib/Asn1Der.sol";
import {DateTime} from "../lib/DateTime.sol";
import {X509Extensions} from "./X509Extensions.sol";

/**
 * @title X509
 * @notice Just enough X.509 (RFC 5280) to check an RSA certificate under a pinned RSA CA: the
 * TBSCertificate span, algorithm identifiers, issuer/subject Name spans, validity, the RSA key and
 * the signature, the version and the extensions a certificate profile checks ({X509Extensions}).
 * Spans are offsets into the DER buffer; nothing is copied.
 * @dev Structural rules and offsets are specified in docs/attestation-onchain.md.
 */
library X509 {
    /// @notice Offsets of a parsed certificate. `*Start/*End` of a TLV span include the header.
    struct Certificate {
        uint256 tbsStart;
        uint256 tbsEnd;
        uint256 tbsAlgorithmStart;
        uint256 tbsAlgorithmEnd;
        uint256 issuerStart;
        uint256 issuerEnd;
        uint256 subjectStart;
        uint256 subjectEnd;
        uint256 keyInfoStart;
        uint256 keyInfoEnd;
        uint256 algorithmStart;
        uint256 algorithmEnd;
        uint256 signatureStart; // first byte after the BIT STRING's unused-bits byte
        uint256 signatureEnd;
        uint64 notBefore;
        uint64 notAfter;
        uint256 version; // X.509 version number: 1 when the [0] element is absent, else its value + 1
        X509Extensions.Profile extensions;
    }

    /// @dev AlgorithmIdentifier { sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL }.
    bytes internal constant SHA256_WITH_RSA = hex"300d06092a864886f70d01010b0500";
    /// @dev The same without the (optional) NULL parameters.
    bytes internal constant SHA256_WITH_RSA_NO_PARAMS = hex"300b06092a864886f70d01010b";
    /// @dev AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }.
    bytes internal constant RSA_ENCRYPTION = hex"300d06092a864886f70d0101010500";
    /// @dev DER INTEGER 65537, the only exponent accepted.
    bytes internal constant EXPONENT_65537_DER = hex"0203010001";

    uint256 private constant UTC_TIME_LENGTH = 13; // YYMMDDHHMMSSZ
    uint256 private constant GENERALIZED_TIME_LENGTH = 15; // YYYYMMDDHHMMSSZ
    uint256 private constant UTC_TIME_PIVOT = 50; // YY >= 50 -> 19YY (RFC 5280 4.1.2.5.1)
    uint256 private constant ZULU = 0x5a; // 'Z'
    uint256 private constant NO_UNUSED_BITS = 0x00;
    uint256 private constant NOT_A_NUMBER = type(uint256).max;
    /// @dev `[0] EXPLICIT Version`: its content is `02 01 vv`, the one-byte INTEGER vv (v3 = 2).
    uint256 private constant VERSION_CONTENT_LENGTH = 3;
    uint256 private constant VERSION_INTEGER_HEADER = 0x0201;
    uint256 private constant VERSION_ABSENT = 1;
    /// @dev Optional TBSCertificate fields after subjectPublicKeyInfo, in their order (RFC 5280 4.1).
    uint256 private constant TAG_ISSUER_UNIQUE_ID = 0x81;
    uint256 private constant TAG_SUBJECT_UNIQUE_ID = 0x82;
    uint256 private constant TAG_EXTENSIONS = 0xa3;

    /**
     * @notice Parses the DER structure of a certificate (see the docs for the exact rules).
     * @dev Reverts `Asn1Der.CertificateMalformed(offset)` on any structural error.
     */
    function parse(bytes memory der) internal pure returns (Certificate memory c) {
        Asn1Der.Element memory cert = Asn1Der.readExpected(der, 0, der.length, Asn1Der.TAG_SEQUENCE);
        if (cert.end != der.length) revert Asn1Der.CertificateMalformed(cert.end);

        Asn1Der.Element memory tbs = Asn1Der.readExpected(der, cert.start, cert.end, Asn1Der.TAG_SEQUENCE);
        c.tbsStart = cert.start;
        c.tbsEnd = tbs.end;
        _parseTbs(der, tbs, c);

        Asn1Der.Element memory algorithm = Asn1Der.readExpected(der, tbs.end, cert.end, Asn1Der.TAG_SEQUENCE);
        c.algorithmStart = tbs.end;
        c.algorithmEnd = algorithm.end;

        Asn1Der.Element memory signature =
            Asn1Der.readExpected(der, algorithm.end, cert.end, Asn1Der.TAG_BIT_STRING);
        if (signature.start == signature.end || _byteAt(der, signature.start) != NO_UNUSED_BITS) {
            revert Asn1Der.CertificateMalformed(algorithm.end);
        }
        if (signature.end != cert.end) revert Asn1Der.CertificateMalformed(signature.end);
        c.signatureStart = signature.start + 1;
        c.signatureEnd = signature.end;
    }

    function _parseTbs(bytes memory der, Asn1Der.Element memory tbs, Certificate memory c) private pure {
        uint256 cursor = tbs.start;
        Asn1Der.Element memory e = Asn1Der.readElement(der, cursor, tbs.end);
        c.version = VERSION_ABSENT;
        if (e.tag == Asn1Der.TAG_CONTEXT_0) {
            if (e.end - e.start != VERSION_CONTENT_LENGTH || _uint16At(der, e.start) != VERSION_INTEGER_HEADER) {
                revert Asn1Der.CertificateMalformed(cursor);
            }
            c.version = _byteAt(der, e.start + 2) + 1;
            cursor = e.end;
            e = Asn1Der.readElement(der, cursor, tbs.end);
        }
        if (e.tag != Asn1Der.TAG_INTEGER) revert Asn1Der.CertificateMalformed(cursor);
        cursor = e.end; // serialNumber: not interpreted

        e = Asn1Der.readExpected(der, cursor, tbs.end, Asn1Der.TAG_SEQUENCE);
        (c.tbsAlgorithmStart, c.tbsAlgorithmEnd, cursor) = (cursor, e.end, e.end);

        e = Asn1Der.readExpected(der, cursor, tbs.end, Asn1Der.TAG_SEQUENCE);
        (c.issuerStart, c.issuerEnd, cursor) = (cursor, e.end, e.end);

        e = Asn1Der.readExpected(der, cursor, tbs.end, Asn1Der.TAG_SEQUENCE);
        uint256 timeCursor = e.start;
        (c.notBefore, timeCursor) = _parseTime(der, timeCursor, e.end);
        (c.notAfter, timeCursor) = _parseTime(der, timeCursor, e.end);
        if (timeCursor != e.end) revert Asn1Der.CertificateMalformed(timeCursor);
        cursor = e.end;

        e = Asn1Der.readExpected(der, cursor, tbs.end, Asn1Der.TAG_SEQUENCE);
        (c.subjectStart, c.subjectEnd, cursor) = (cursor, e.end, e.end);

        e = Asn1Der.readExpected(der, cursor, tbs.end, Asn1Der.TAG_SEQUENCE);
        (c.keyInfoStart, c.keyInfoEnd, cursor) = (cursor, e.end, e.end);

        c.extensions.unsupportedAt = X509Extensions.NONE;
        cursor = _skipOptional(der, cursor, tbs.end, TAG_ISSUER_UNIQUE_ID);
        cursor = _skipOptional(der, cursor, tbs.end, TAG_SUBJECT_UNIQUE_ID);
        if (cursor < tbs.end && _byteAt(der, cursor) == TAG_EXTENSIONS) {
            e = Asn1Der.readElement(der, cursor, tbs.end);
            c.extensions = X509Extensions.parse(der, e);
            cursor = e.end;
        }
        if (cursor != tbs.end) revert Asn1Der.CertificateMalformed(cursor);
    }

    /// @dev Skips the element at `cursor` if it has tag `tag` (issuerUniqueID, subjectUniqueID: not interpreted).
    function _skipOptional(bytes memory der, uint256 cursor, uint256 limit, uint256 tag) private pure returns (uint256) {
        if (cursor < limit && _byteAt(der, cursor) == tag) return Asn1Der.readElement(der, cursor, limit).end;
        return cursor;
    }

    /// @dev UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ` at `offset` -> unix seconds.
    function _parseTime(bytes memory der, uint256 offset, uint256 limit)
        private
        pure
        returns (uint64 unixSeconds, uint256 next)
    {
        Asn1Der.Element memory e = Asn1Der.readElement(der, offset, limit);
        uint256 length = e.end - e.start;
        uint256 year = NOT_A_NUMBER;
        uint256 p = e.start;
        if (e.tag == Asn1Der.TAG_UTC_TIME && length == UTC_TIME_LENGTH) {
            year = _digits(der, p, 2);
            if (year != NOT_A_NUMBER) year = year >= UTC_TIME_PIVOT ? 1900 + year : 2000 + year;
            p += 2;
        } else if (e.tag == Asn1Der.TAG_GENERALIZED_TIME && length == GENERALIZED_TIME_LENGTH) {
            year = _digits(der, p, 4);
            p += 4;
        }
        uint256 result = _clock(der, p, year);
        if (result == NOT_A_NUMBER) revert Asn1Der.CertificateMalformed(offset);
        unixSeconds = uint64(result);
        next = e.end;
    }

    /// @dev `MMDDHHMMSSZ` at `p` of `year` -> unix seconds, or NOT_A_NUMBER.
    function _clock(bytes memory der, uint256 p, uint256 year) private pure returns (uint256) {
        if (year == NOT_A_NUMBER) return NOT_A_NUMBER;
        uint256 month = _digits(der, p, 2);
        uint256 day = _digits(der, p + 2, 2);
        uint256 hour = _digits(der, p + 4, 2);
        uint256 minute = _digits(der, p + 6, 2);
        uint256 second = _digits(der, p + 8, 2);
        // NOT_A_NUMBER fails every range check in isValid.
        if (_byteAt(der, p + 10) != ZULU || !DateTime.isValid(year, month, day, hour, minute, second)) {
            return NOT_A_NUMBER;
        }
        return DateTime.toUnixSeconds(year, month, day, hour, minute, second);
    }

    /// @notice Whether the outer signatureAlgorithm is sha256WithRSAEncryption and the TBS copy matches it.
    function hasSha256WithRsa(bytes memory der, Certificate memory c) internal pure returns (bool) {
        bytes32 outer = spanHash(der, c.algorithmStart, c.algorithmEnd);
        if (outer != keccak256(SHA256_WITH_RSA) && outer != keccak256(SHA256_WITH_RSA_NO_PARAMS)) return false;
        return outer == spanHash(der, c.tbsAlgorithmStart, c.tbsAlgorithmEnd);
    }

    /**
     * @notice The RSA modulus if subjectPublicKeyInfo is exactly an rsaEncryption key with a
     * `modulusLength`-byte modulus (top bit set) and exponent 65537; otherwise `ok == false`.
     * @dev DER allows exactly one encoding of such a key, so matching the template is a full check.
     */
    function rsaModulus(bytes memory der, Certificate memory c, uint256 modulusLength)
        internal
        pure
        returns (bool ok, bytes memory modulus)
    {
        uint256 rsaKeyLength = 4 + 1 + modulusLength + EXPONENT_65537_DER.length; // INTEGER n, INTEGER e
        uint256 bitStringLength = 1 + 4 + rsaKeyLength; // unused-bits byte, SEQUENCE header
        uint256 keyInfoLength = RSA_ENCRYPTION.length + 4 + bitStringLength;
        bytes memory prefix = abi.encodePacked(
            hex"3082",
            uint16(keyInfoLength),
            RSA_ENCRYPTION,
            hex"0382",
            uint16(bitStringLength),
            hex"003082",
            uint16(rsaKeyLength),
            hex"0282",
            uint16(modulusLength + 1),
            hex"00"
        );
        if (c.keyInfoEnd - c.keyInfoStart != 4 + keyInfoLength) return (false, modulus);
        if (spanHash(der, c.keyInfoStart, c.keyInfoStart + prefix.length) != keccak256(prefix)) return (false, modulus);
        uint256 modulusStart = c.keyInfoStart + prefix.length;
        uint256 modulusEnd = modulusStart + modulusLength;
        if (_byteAt(der, modulusStart) < 0x80) return (false, modulus);
        if (spanHash(der, modulusEnd, c.keyInfoEnd) != keccak256(EXPONENT_65537_DER)) return (false, modulus);
        return (true, slice(der, modulusStart, modulusEnd));
    }

    /// @notice Copy of `der[start:end]`.
    function slice(bytes memory der, uint256 start, uint256 end) internal pure returns (bytes memory out) {
        out = new bytes(end - start);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), add(add(der, 0x20), start), sub(end, start))
        }
    }

    /// @notice keccak256 of `der[start:end]` (bounds are the caller's, from {parse}).
    function spanHash(bytes memory der, uint256 start, uint256 end) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(der, 0x20), start), sub(end, start))
        }
    }

    /// @dev Decimal value of `count` ASCII digits at `offset`, or NOT_A_NUMBER.
    function _digits(bytes memory der, uint256 offset, uint256 count) private pure returns (uint256 value) {
        for (uint256 i = 0; i < count; ++i) {
            uint256 d;
            unchecked {
                d = _byteAt(der, offset + i) - 0x30; // wraps for bytes below '0'
            }
            if (d > 9) return NOT_A_NUMBER;
            value = value * 10 + d;
        }
    }

    function _uint16At(bytes memory der, uint256 index) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(240, mload(add(add(der, 0x20), index)))
        }
    }

    function _byteAt(bytes memory der, uint256 index) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(der, 0x20), index)))
        }
    }
}
