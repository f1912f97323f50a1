// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DateTime} from "../../lib/DateTime.sol";
import {DerReader} from "./DerReader.sol";
import {P256} from "./P256.sol";
import {P256Verifier} from "./P256Verifier.sol";
import {
    CertificateAlgorithmUnsupported,
    CertificateConstraintsInvalid,
    CertificateIssuerMismatch,
    CertificateKeyUnsupported,
    CertificateKeyUsageInvalid,
    CertificateMalformed,
    CertificateNotValidAt,
    CertificateRole,
    CertificateSignatureInvalid
} from "./DcapErrors.sol";

/**
 * @title DcapCertificate
 * @notice X.509 certificates of the DCAP chains (ecdsa-with-SHA256, P-256 keys): parse, then check one
 * certificate under its issuer (name, signature through P256VERIFY, validity, basicConstraints and keyUsage
 * by place). The same rules, order and error offsets as src/attestation/dcap/x509.ts.
 */
library DcapCertificate {
    using DerReader for bytes;

    struct Certificate {
        CertificateRole role;
        uint256 tbsStart; // whole TBSCertificate TLV
        uint256 tbsEnd;
        uint256 serialStart; // magnitude bytes (no sign byte unless the value is 0)
        uint256 serialEnd;
        uint256 issuerStart; // whole Name TLVs
        uint256 issuerEnd;
        uint256 subjectStart;
        uint256 subjectEnd;
        uint256 notBefore;
        uint256 notAfter;
        bytes32 keyX;
        bytes32 keyY;
        bool signatureWellFormed;
        bytes32 sigR;
        bytes32 sigS;
        bool isCa;
        bool hasKeyUsage;
        uint256 keyUsage; // 16 bits, bit 0 = most significant
        bool hasSgxExtension;
        uint256 sgxStart; // content of the extension's OCTET STRING
        uint256 sgxEnd;
    }

    /// @dev AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2, parameters absent).
    bytes internal constant ECDSA_WITH_SHA256 = hex"300a06082a8648ce3d040302";
    /// @dev SubjectPublicKeyInfo prefix of an uncompressed P-256 key (id-ecPublicKey, prime256v1, 04).
    bytes internal constant P256_SPKI_PREFIX = hex"3059301306072a8648ce3d020106082a8648ce3d03010703420004";
    bytes32 private constant OID_BASIC_CONSTRAINTS = keccak256(hex"551d13");
    bytes32 private constant OID_KEY_USAGE = keccak256(hex"551d0f");
    /// @dev 1.2.840.113741.1.13.1
    bytes internal constant OID_SGX_EXTENSION = hex"2a864886f84d010d01";
    uint256 private constant COORDINATE_LENGTH = 32;
    uint256 private constant MAX_SERIAL_LENGTH = 21;
    uint256 private constant KU_DIGITAL_SIGNATURE = 0;
    uint256 private constant KU_KEY_CERT_SIGN = 5;
    uint256 private constant KU_CRL_SIGN = 6;
    uint256 private constant KU_BITS = 16;
    uint256 private constant MAX_UNUSED_BITS = 7;
    uint256 private constant BOOLEAN_TRUE = 0xff;
    uint256 private constant UTC_TIME_LENGTH = 13;
    uint256 private constant GENERALIZED_TIME_LENGTH = 15;
    uint256 private constant UTC_TIME_PIVOT = 50;
    uint256 private constant ZULU = 0x5a;

    function _fail(CertificateRole role, uint256 offset) private pure {
        revert CertificateMalformed(role, offset);
    }

    function _expect(bytes memory der, uint256 offset, uint256 limit, uint256 tag, CertificateRole role)
        private
        pure
        returns (DerReader.Element memory e)
    {
        bool ok;
        (ok, e) = der.read(offset, limit);
        if (!ok || e.tag != tag) _fail(role, offset);
    }

    function _children(bytes memory der, DerReader.Element memory parent, CertificateRole role)
        private
        pure
        returns (DerReader.Element[] memory items)
    {
        (bool ok, DerReader.Element[] memory found, uint256 failedAt) = der.children(parent);
        if (!ok) _fail(role, failedAt);
        items = found;
    }

    /// @notice Parses `der` as a certificate in place `role`; reverts CertificateMalformed / AlgorithmUnsupported / KeyUnsupported.
    function parse(bytes memory der, CertificateRole role) internal pure returns (Certificate memory c) {
        c.role = role;
        DerReader.Element memory cert = _expect(der, 0, der.length, DerReader.TAG_SEQUENCE, role);
        if (cert.end != der.length) _fail(role, cert.end);
        DerReader.Element memory tbs = _expect(der, cert.start, cert.end, DerReader.TAG_SEQUENCE, role);
        DerReader.Element memory outerAlgorithm = _expect(der, tbs.end, cert.end, DerReader.TAG_SEQUENCE, role);
        DerReader.Element memory signature = _expect(der, outerAlgorithm.end, cert.end, DerReader.TAG_BIT_STRING, role);
        if (signature.end != cert.end) _fail(role, signature.end);
        c.tbsStart = tbs.offset;
        c.tbsEnd = tbs.end;

        (DerReader.Element memory innerAlgorithm, DerReader.Element memory spki) = _parseTbs(der, tbs, c);

        if (
            !der.equalsAt(innerAlgorithm.offset, innerAlgorithm.end, ECDSA_WITH_SHA256)
                || !der.equalsAt(outerAlgorithm.offset, outerAlgorithm.end, ECDSA_WITH_SHA256)
        ) revert CertificateAlgorithmUnsupported(role);
        _readKey(der, spki, c);
        _readSignature(der, signature, c);
    }

    function _parseTbs(bytes memory der, DerReader.Element memory tbs, Certificate memory c)
        private
        pure
        returns (DerReader.Element memory innerAlgorithm, DerReader.Element memory spki)
    {
        CertificateRole role = c.role;
        DerReader.Element[] memory fields = _children(der, tbs, role);
        uint256 i;
        if (fields.length > 0 && fields[0].tag == DerReader.TAG_CONTEXT_0) i = 1; // version
        DerReader.Element memory serial = _need(fields, i++, DerReader.TAG_INTEGER, tbs.end, role);
        _readSerial(der, serial, c);
        innerAlgorithm = _need(fields, i++, DerReader.TAG_SEQUENCE, tbs.end, role);
        DerReader.Element memory issuer = _need(fields, i++, DerReader.TAG_SEQUENCE, tbs.end, role);
        DerReader.Element memory validity = _need(fields, i++, DerReader.TAG_SEQUENCE, tbs.end, role);
        DerReader.Element memory subject = _need(fields, i++, DerReader.TAG_SEQUENCE, tbs.end, role);
        spki = _need(fields, i++, DerReader.TAG_SEQUENCE, tbs.end, role);
        (c.issuerStart, c.issuerEnd) = (issuer.offset, issuer.end);
        (c.subjectStart, c.subjectEnd) = (subject.offset, subject.end);

        DerReader.Element[] memory times = _children(der, validity, role);
        if (times.length != 2) _fail(role, validity.offset);
        c.notBefore = _readTime(der, times[0], role);
        c.notAfter = _readTime(der, times[1], role);

        uint256 rest = fields.length - i;
        if (rest > 1 || (rest == 1 && fields[i].tag != DerReader.TAG_CONTEXT_3)) _fail(role, fields[fields.length - 1].offset);
        if (rest == 1) _readExtensions(der, fields[i], c);
    }

    function _need(DerReader.Element[] memory fields, uint256 i, uint256 tag, uint256 tbsEnd, CertificateRole role)
        private
        pure
        returns (DerReader.Element memory e)
    {
        if (i >= fields.length) _fail(role, tbsEnd);
        e = fields[i];
        if (e.tag != tag) _fail(role, e.offset);
    }

    function _readSerial(bytes memory der, DerReader.Element memory serial, Certificate memory c) private pure {
        if (serial.end - serial.start > MAX_SERIAL_LENGTH) _fail(c.role, serial.offset);
        (bool ok,) = der.unsignedValue(serial, MAX_SERIAL_LENGTH);
        if (!ok) _fail(c.role, serial.offset);
        uint256 start = serial.start;
        if (serial.end - start > 1 && der.byteAt(start) == 0) ++start;
        (c.serialStart, c.serialEnd) = (start, serial.end);
    }

    function _readExtensions(bytes memory der, DerReader.Element memory wrapper, Certificate memory c) private pure {
        CertificateRole role = c.role;
        DerReader.Element memory list = _expect(der, wrapper.start, wrapper.end, DerReader.TAG_SEQUENCE, role);
        if (list.end != wrapper.end) _fail(role, list.end);
        DerReader.Element[] memory extensions = _children(der, list, role);
        bytes32[] memory seen = new bytes32[](extensions.length);
        for (uint256 k = 0; k < extensions.length; ++k) {
            DerReader.Element memory ext = extensions[k];
            if (ext.tag != DerReader.TAG_SEQUENCE) _fail(role, ext.offset);
            DerReader.Element[] memory parts = _children(der, ext, role);
            if (parts.length < 2 || parts.length > 3 || parts[0].tag != DerReader.TAG_OID) _fail(role, ext.offset);
            if (parts.length == 3 && parts[1].tag != DerReader.TAG_BOOLEAN) _fail(role, parts[1].offset);
            DerReader.Element memory value = parts[parts.length - 1];
            if (value.tag != DerReader.TAG_OCTET_STRING) _fail(role, value.offset);
            bytes32 oid = der.spanHash(parts[0].start, parts[0].end);
            for (uint256 j = 0; j < k; ++j) {
                if (seen[j] == oid) _fail(role, ext.offset); // at most one instance of an extension
            }
            seen[k] = oid;
            if (oid == OID_BASIC_CONSTRAINTS) {
                _readBasicConstraints(der, value, c);
            } else if (oid == OID_KEY_USAGE) {
                _readKeyUsage(der, value, c);
            } else if (oid == keccak256(OID_SGX_EXTENSION)) {
                (c.hasSgxExtension, c.sgxStart, c.sgxEnd) = (true, value.start, value.end);
            }
        }
    }

    function _readBasicConstraints(bytes memory der, DerReader.Element memory value, Certificate memory c) private pure {
        DerReader.Element memory bc = _expect(der, value.start, value.end, DerReader.TAG_SEQUENCE, c.role);
        DerReader.Element[] memory items = _children(der, bc, c.role);
        if (items.length > 0 && items[0].tag == DerReader.TAG_BOOLEAN) {
            uint256 b = items[0].end - items[0].start == 1 ? der.byteAt(items[0].start) : 1;
            if (b != BOOLEAN_TRUE && b != 0) _fail(c.role, items[0].offset);
            c.isCa = b == BOOLEAN_TRUE;
        }
    }

    function _readKeyUsage(bytes memory der, DerReader.Element memory value, Certificate memory c) private pure {
        DerReader.Element memory bits = _expect(der, value.start, value.end, DerReader.TAG_BIT_STRING, c.role);
        uint256 len = bits.end - bits.start;
        if (len < 2 || len > 3 || der.byteAt(bits.start) > MAX_UNUSED_BITS) _fail(c.role, bits.offset);
        c.keyUsage = (der.byteAt(bits.start + 1) << 8) | (len == 3 ? der.byteAt(bits.start + 2) : 0);
        c.hasKeyUsage = true;
    }

    function _readKey(bytes memory der, DerReader.Element memory spki, Certificate memory c) private pure {
        uint256 prefixEnd = spki.offset + P256_SPKI_PREFIX.length;
        if (spki.end != prefixEnd + 2 * COORDINATE_LENGTH || !der.equalsAt(spki.offset, prefixEnd, P256_SPKI_PREFIX)) {
            revert CertificateKeyUnsupported(c.role);
        }
        c.keyX = _word(der, prefixEnd);
        c.keyY = _word(der, prefixEnd + COORDINATE_LENGTH);
        if (!P256.isOnCurve(uint256(c.keyX), uint256(c.keyY))) revert CertificateKeyUnsupported(c.role);
    }

    /// @dev BIT STRING { 00, SEQUENCE { INTEGER r, INTEGER s } }; anything else leaves the signature malformed (it then fails as invalid).
    function _readSignature(bytes memory der, DerReader.Element memory bits, Certificate memory c) private pure {
        if (bits.end == bits.start || der.byteAt(bits.start) != 0) return;
        (bool ok, DerReader.Element memory seq) = der.read(bits.start + 1, bits.end);
        if (!ok || seq.tag != DerReader.TAG_SEQUENCE || seq.end != bits.end) return;
        (bool good, DerReader.Element[] memory parts,) = der.children(seq);
        if (!good || parts.length != 2 || parts[0].tag != DerReader.TAG_INTEGER || parts[1].tag != DerReader.TAG_INTEGER) return;
        (bool okR, uint256 r) = der.unsignedValue(parts[0], COORDINATE_LENGTH);
        (bool okS, uint256 s) = der.unsignedValue(parts[1], COORDINATE_LENGTH);
        if (!okR || !okS) return;
        (c.signatureWellFormed, c.sigR, c.sigS) = (true, bytes32(r), bytes32(s));
    }

    function _readTime(bytes memory der, DerReader.Element memory t, CertificateRole role) private pure returns (uint256) {
        return readTime(der, t, role);
    }

    /// @notice UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ` as unix seconds; `ok` false otherwise.
    function parseTime(bytes memory der, DerReader.Element memory t) internal pure returns (bool ok, uint256 seconds_) {
        uint256 len = t.end - t.start;
        uint256 p = t.start;
        uint256 year;
        bool digitsOk;
        if (t.tag == DerReader.TAG_UTC_TIME && len == UTC_TIME_LENGTH) {
            (digitsOk, year) = _digits(der, p, 2);
            year = year < UTC_TIME_PIVOT ? 2000 + year : 1900 + year;
            p += 2;
        } else if (t.tag == DerReader.TAG_GENERALIZED_TIME && len == GENERALIZED_TIME_LENGTH) {
            (digitsOk, year) = _digits(der, p, 4);
            p += 4;
        } else {
            return (false, 0);
        }
        if (!digitsOk || der.byteAt(t.end - 1) != ZULU) return (false, 0);
        (bool okClock, uint256 packed) = _digits(der, p, 10);
        if (!okClock) return (false, 0);
        uint256 month = packed / 1e8;
        uint256 day = (packed / 1e6) % 100;
        uint256 hour = (packed / 1e4) % 100;
        uint256 minute = (packed / 100) % 100;
        uint256 second = packed % 100;
        if (!DateTime.isValid(year, month, day, hour, minute, second)) return (false, 0);
        return (true, DateTime.toUnixSeconds(year, month, day, hour, minute, second));
    }

    function readTime(bytes memory der, DerReader.Element memory t, CertificateRole role) internal pure returns (uint256 s) {
        bool ok;
        (ok, s) = parseTime(der, t);
        if (!ok) _fail(role, t.offset);
    }

    function _digits(bytes memory der, uint256 from, uint256 count) private pure returns (bool ok, uint256 v) {
        for (uint256 i = from; i < from + count; ++i) {
            uint256 b = der.byteAt(i);
            if (b < 0x30 || b > 0x39) return (false, 0);
            v = v * 10 + (b - 0x30);
        }
        ok = true;
    }

    function _word(bytes memory der, uint256 offset) private pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(der, 0x20), offset))
        }
    }

    /// @notice What a certificate's issuer contributes to checking it: its subject Name and key.
    struct Issuer {
        bytes32 subjectHash;
        uint256 subjectLength;
        bytes32 keyX;
        bytes32 keyY;
    }

    /// @notice The issuer view of a parsed certificate.
    function asIssuer(bytes memory der, Certificate memory c) internal pure returns (Issuer memory) {
        return Issuer({
            subjectHash: der.spanHash(c.subjectStart, c.subjectEnd),
            subjectLength: c.subjectEnd - c.subjectStart,
            keyX: c.keyX,
            keyY: c.keyY
        });
    }

    /// @notice Issuer name, signature, validity at `now`, then constraints and key usage (x509.ts `checkIssuedBy`).
    function checkIssuedBy(bytes memory der, Certificate memory c, Issuer memory issuer, uint256 now_) internal view {
        if (c.issuerEnd - c.issuerStart != issuer.subjectLength || der.spanHash(c.issuerStart, c.issuerEnd) != issuer.subjectHash) {
            revert CertificateIssuerMismatch(c.role);
        }
        if (!c.signatureWellFormed || !P256.verify(der.spanSha256(c.tbsStart, c.tbsEnd), c.sigR, c.sigS, issuer.keyX, issuer.keyY)) {
            revert CertificateSignatureInvalid(c.role);
        }
        checkValidity(c, now_);
        checkUsage(c);
    }

    /// @notice {checkIssuedBy} with the signature checked on the P-256 path chosen by {P256Verifier} (`usePrecompile`).
    function checkIssuedBy(bytes memory der, Certificate memory c, Issuer memory issuer, uint256 now_, bool usePrecompile)
        internal
        view
    {
        if (c.issuerEnd - c.issuerStart != issuer.subjectLength || der.spanHash(c.issuerStart, c.issuerEnd) != issuer.subjectHash) {
            revert CertificateIssuerMismatch(c.role);
        }
        bytes32 digest = der.spanSha256(c.tbsStart, c.tbsEnd);
        if (!c.signatureWellFormed || !P256Verifier.verify(usePrecompile, digest, c.sigR, c.sigS, issuer.keyX, issuer.keyY)) {
            revert CertificateSignatureInvalid(c.role);
        }
        checkValidity(c, now_);
        checkUsage(c);
    }

    function checkValidity(Certificate memory c, uint256 now_) internal pure {
        if (now_ < c.notBefore || now_ > c.notAfter) revert CertificateNotValidAt(c.role, c.notBefore, c.notAfter, now_);
    }

    /// @notice CAs (root, PCK CA): cA TRUE, keyCertSign and cRLSign. Leaves: not a CA, digitalSignature.
    function checkUsage(Certificate memory c) internal pure {
        bool ca = c.role == CertificateRole.Root || c.role == CertificateRole.PckCa;
        if (c.isCa != ca) revert CertificateConstraintsInvalid(c.role);
        bool ok = c.hasKeyUsage
            && (ca ? _bit(c.keyUsage, KU_KEY_CERT_SIGN) && _bit(c.keyUsage, KU_CRL_SIGN) : _bit(c.keyUsage, KU_DIGITAL_SIGNATURE));
        if (!ok) revert CertificateKeyUsageInvalid(c.role);
    }

    function _bit(uint256 bits, uint256 index) private pure returns (bool) {
        return (bits >> (KU_BITS - 1 - index)) & 1 == 1;
    }
}
