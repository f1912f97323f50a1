// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCertificate} from "./DcapCertificate.sol";
import {DerReader} from "./DerReader.sol";
import {CrlMalformed} from "./DcapErrors.sol";

/**
 * @title DcapCrl
 * @notice X.509 v2 CRLs from the Intel PCS (the root CA CRL; the PCK Platform/Processor CA CRLs): crl.ts
 * `parseCrl` rule for rule and offset for offset (`CrlMalformed(offset)`): v2, ecdsa-with-SHA256 inside and
 * outside, nextUpdate present, each revoked entry a serial (at most 21 bytes, non-negative, minimal) and a
 * time, at most the crlExtensions after. Revoked serials are returned as keccak256 of their magnitude bytes
 * (the sign byte dropped, as the PCK cache hashes certificate serials).
 */
library DcapCrl {
    using DerReader for bytes;

    /// @notice A parsed CRL: where its TBS and issuer name are, its dates, revoked serial hashes, signature.
    struct Crl {
        uint256 tbsStart;
        uint256 tbsEnd;
        bytes32 issuerHash;
        uint256 issuerLength;
        uint256 thisUpdate;
        uint256 nextUpdate;
        bytes32[] revokedSerialHashes;
        bool signatureWellFormed;
        bytes32 sigR;
        bytes32 sigS;
    }

    uint256 private constant CRL_VERSION_2 = 1;
    uint256 private constant VERSION_BYTES = 1;
    uint256 private constant MAX_SERIAL_LENGTH = 21;
    uint256 private constant COORDINATE_LENGTH = 32;
    uint256 private constant MIN_ENTRY_PARTS = 2;
    uint256 private constant MAX_ENTRY_PARTS = 3;

    /// @notice Parses a DER CRL; anything crl.ts refuses is `CrlMalformed(offset)` at the same offset.
    function parse(bytes memory der) internal pure returns (Crl memory crl) {
        DerReader.Element memory list = _expect(der, 0, der.length, DerReader.TAG_SEQUENCE);
        if (list.end != der.length) revert CrlMalformed(list.end);
        DerReader.Element memory tbs = _expect(der, list.start, list.end, DerReader.TAG_SEQUENCE);
        DerReader.Element memory outerAlgorithm = _expect(der, tbs.end, list.end, DerReader.TAG_SEQUENCE);
        DerReader.Element memory signatureValue = _expect(der, outerAlgorithm.end, list.end, DerReader.TAG_BIT_STRING);
        if (signatureValue.end != list.end) revert CrlMalformed(signatureValue.end);
        if (!der.equalsAt(outerAlgorithm.offset, outerAlgorithm.end, DcapCertificate.ECDSA_WITH_SHA256)) {
            revert CrlMalformed(outerAlgorithm.offset);
        }
        (crl.tbsStart, crl.tbsEnd) = (tbs.offset, tbs.end);
        _parseTbs(der, tbs, crl);
        _readSignature(der, signatureValue, crl);
    }

    function _parseTbs(bytes memory der, DerReader.Element memory tbs, Crl memory crl) private pure {
        DerReader.Element[] memory fields = _children(der, tbs);
        uint256 i;
        DerReader.Element memory t = _next(fields, i++, tbs.end);
        if (t.tag == DerReader.TAG_INTEGER) {
            (bool ok, uint256 version) = der.unsignedValue(t, VERSION_BYTES);
            if (!ok || version != CRL_VERSION_2) revert CrlMalformed(t.offset);
            t = _next(fields, i++, tbs.end);
        }
        if (t.tag != DerReader.TAG_SEQUENCE || !der.equalsAt(t.offset, t.end, DcapCertificate.ECDSA_WITH_SHA256)) {
            revert CrlMalformed(t.offset);
        }
        DerReader.Element memory issuer = _next(fields, i++, tbs.end);
        if (issuer.tag != DerReader.TAG_SEQUENCE) revert CrlMalformed(issuer.offset);
        (crl.issuerHash, crl.issuerLength) = (der.spanHash(issuer.offset, issuer.end), issuer.end - issuer.offset);
        crl.thisUpdate = _time(der, _next(fields, i++, tbs.end));
        DerReader.Element memory nextTlv = _next(fields, i++, tbs.end);
        if (nextTlv.tag != DerReader.TAG_UTC_TIME && nextTlv.tag != DerReader.TAG_GENERALIZED_TIME) revert CrlMalformed(nextTlv.offset);
        crl.nextUpdate = _time(der, nextTlv);
        if (i < fields.length && fields[i].tag == DerReader.TAG_SEQUENCE) {
            crl.revokedSerialHashes = _revoked(der, fields[i]);
            ++i;
        }
        uint256 rest = fields.length - i;
        if (rest > 1 || (rest == 1 && fields[i].tag != DerReader.TAG_CONTEXT_0)) revert CrlMalformed(fields[fields.length - 1].offset);
    }

    function _revoked(bytes memory der, DerReader.Element memory list) private pure returns (bytes32[] memory hashes) {
        DerReader.Element[] memory entries = _children(der, list);
        hashes = new bytes32[](entries.length);
        for (uint256 k = 0; k < entries.length; ++k) {
            DerReader.Element memory entry = entries[k];
            if (entry.tag != DerReader.TAG_SEQUENCE) revert CrlMalformed(entry.offset);
            DerReader.Element[] memory parts = _children(der, entry);
            if (parts.length < MIN_ENTRY_PARTS || parts.length > MAX_ENTRY_PARTS) revert CrlMalformed(entry.offset);
            hashes[k] = _serialHash(der, parts[0]);
            _time(der, parts[1]);
        }
    }

    /// @dev x509.ts `serialHex`: INTEGER, at most 21 content bytes, non-negative and minimal; the magnitude's bytes hashed.
    function _serialHash(bytes memory der, DerReader.Element memory serial) private pure returns (bytes32) {
        if (serial.tag != DerReader.TAG_INTEGER || serial.end - serial.start > MAX_SERIAL_LENGTH) revert CrlMalformed(serial.offset);
        (bool ok,) = der.unsignedValue(serial, MAX_SERIAL_LENGTH);
        if (!ok) revert CrlMalformed(serial.offset);
        uint256 start = serial.start;
        if (serial.end - start > 1 && der.byteAt(start) == 0) ++start;
        return der.spanHash(start, serial.end);
    }

    /// @dev BIT STRING { 00, SEQUENCE { INTEGER r, INTEGER s } }; anything else leaves the signature malformed (it then fails as invalid).
    function _readSignature(bytes memory der, DerReader.Element memory bits, Crl memory crl) private pure {
        if (bits.end == bits.start || der.byteAt(bits.start) != 0) return;
        (bool ok, DerReader.Element memory seq) = der.read(bits.start + 1, bits.end);
        if (!ok || seq.tag != DerReader.TAG_SEQUENCE || seq.end != bits.end) return;
        (bool good, DerReader.Element[] memory parts,) = der.children(seq);
        if (!good || parts.length != 2 || parts[0].tag != DerReader.TAG_INTEGER || parts[1].tag != DerReader.TAG_INTEGER) return;
        (bool okR, uint256 r) = der.unsignedValue(parts[0], COORDINATE_LENGTH);
        (bool okS, uint256 s) = der.unsignedValue(parts[1], COORDINATE_LENGTH);
        if (!okR || !okS) return;
        (crl.signatureWellFormed, crl.sigR, crl.sigS) = (true, bytes32(r), bytes32(s));
    }

    function _time(bytes memory der, DerReader.Element memory t) private pure returns (uint256 s) {
        bool ok;
        (ok, s) = DcapCertificate.parseTime(der, t);
        if (!ok) revert CrlMalformed(t.offset);
    }

    function _next(DerReader.Element[] memory fields, uint256 i, uint256 tbsEnd) private pure returns (DerReader.Element memory) {
        if (i >= fields.length) revert CrlMalformed(tbsEnd);
        return fields[i];
    }

    function _expect(bytes memory der, uint256 offset, uint256 limit, uint256 tag) private pure returns (DerReader.Element memory e) {
        bool ok;
        (ok, e) = der.read(offset, limit);
        if (!ok || e.tag != tag) revert CrlMalformed(offset);
    }

    function _children(bytes memory der, DerReader.Element memory parent) private pure returns (DerReader.Element[] memory items) {
        (bool ok, DerReader.Element[] memory found, uint256 failedAt) = der.children(parent);
        if (!ok) revert CrlMalformed(failedAt);
        items = found;
    }
}
