// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Asn1Der} from "../lib/Asn1Der.sol";

/**
 * @title X509Extensions
 * @notice The X.509 v3 extensions (RFC 5280 4.2) a report-signing certificate profile needs: keyUsage
 * and basicConstraints are decoded, any other extension is ignored unless it is critical, and a
 * critical extension this library does not know (or a second keyUsage or basicConstraints) is
 * recorded so the verifier can refuse the certificate (audit F-9).
 * @dev Grammar and rules: docs/attestation-onchain.md ("Certificate profile"). Any fault inside an
 * Extension, a broken inner TLV included, is `Asn1Der.CertificateMalformed(offset of the Extension)`:
 * one offset per malformed Extension, as the TypeScript and enclave verifiers report it.
 */
library X509Extensions {
    /// @notice What the extensions say. `unsupportedAt` is NONE when every extension is acceptable.
    struct Profile {
        bool keyUsagePresent;
        uint256 keyUsage; // first two bytes of the named-bit string: digitalSignature = 0x8000
        bool basicConstraintsPresent;
        bool isCa;
        uint256 unsupportedAt; // offset of the first unknown critical or repeated extension
    }

    /// @notice Sentinel of `Profile.unsupportedAt`: no unsupported extension.
    uint256 internal constant NONE = type(uint256).max;

    /// @notice keyUsage bits as decoded into `Profile.keyUsage` (bit 0 is the most significant).
    uint256 internal constant KEY_USAGE_DIGITAL_SIGNATURE = 0x8000;
    uint256 internal constant KEY_USAGE_KEY_CERT_SIGN = 0x0400;

    uint256 private constant TAG_BOOLEAN = 0x01;
    uint256 private constant TAG_OCTET_STRING = 0x04;
    uint256 private constant DER_TRUE = 0xff;
    uint256 private constant MAX_UNUSED_BITS = 7;
    /// @dev The OIDs' content bytes (id-ce 2.5.29.x), right-aligned.
    uint256 private constant OID_LENGTH = 3;
    uint256 private constant OID_KEY_USAGE = 0x551d0f;
    uint256 private constant OID_BASIC_CONSTRAINTS = 0x551d13;

    /**
     * @notice Decodes `extensions [3] EXPLICIT SEQUENCE OF Extension` whose [3] element is `outer`.
     * @param der the certificate
     * @param outer the `[3]` element (content span)
     */
    function parse(bytes memory der, Asn1Der.Element memory outer) internal pure returns (Profile memory p) {
        p.unsupportedAt = NONE;
        Asn1Der.Element memory list = Asn1Der.readElement(der, outer.start, outer.end);
        if (list.tag != Asn1Der.TAG_SEQUENCE || list.start == list.end) revert Asn1Der.CertificateMalformed(outer.start);
        if (list.end != outer.end) revert Asn1Der.CertificateMalformed(list.end);

        for (uint256 cursor = list.start; cursor < list.end;) {
            Asn1Der.Element memory extension = _read(der, cursor, list.end, cursor);
            if (extension.tag != Asn1Der.TAG_SEQUENCE) revert Asn1Der.CertificateMalformed(cursor);
            _readExtension(der, cursor, extension, p);
            cursor = extension.end;
        }
    }

    /// @dev An element inside the Extension at `at`; a broken one is that Extension's fault.
    function _read(bytes memory der, uint256 offset, uint256 limit, uint256 at)
        private
        pure
        returns (Asn1Der.Element memory e)
    {
        bool ok;
        (ok, e) = Asn1Der.tryReadElement(der, offset, limit);
        if (!ok) revert Asn1Der.CertificateMalformed(at);
    }

    /// @dev One `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`.
    function _readExtension(bytes memory der, uint256 at, Asn1Der.Element memory extension, Profile memory p)
        private
        pure
    {
        Asn1Der.Element memory oid = _read(der, extension.start, extension.end, at);
        if (oid.tag != Asn1Der.TAG_OID) revert Asn1Der.CertificateMalformed(at);
        Asn1Der.Element memory value = _read(der, oid.end, extension.end, at);
        bool critical;
        if (value.tag == TAG_BOOLEAN) {
            // DER omits the default FALSE: a present BOOLEAN is exactly 01 01 ff.
            if (value.end - value.start != 1 || _byteAt(der, value.start) != DER_TRUE) {
                revert Asn1Der.CertificateMalformed(at);
            }
            critical = true;
            value = _read(der, value.end, extension.end, at);
        }
        if (value.tag != TAG_OCTET_STRING || value.end != extension.end) revert Asn1Der.CertificateMalformed(at);

        // A repeated keyUsage or basicConstraints is decoded too: it must be well-formed before it is judged.
        uint256 id = oid.end - oid.start == OID_LENGTH ? _uint24At(der, oid.start) : 0;
        if (id == OID_KEY_USAGE) {
            uint256 usage = _keyUsage(der, at, value);
            if (p.keyUsagePresent) return _unsupported(p, at);
            (p.keyUsagePresent, p.keyUsage) = (true, usage);
        } else if (id == OID_BASIC_CONSTRAINTS) {
            bool isCa = _isCa(der, at, value);
            if (p.basicConstraintsPresent) return _unsupported(p, at);
            (p.basicConstraintsPresent, p.isCa) = (true, isCa);
        } else if (critical) {
            _unsupported(p, at);
        }
    }

    /// @dev keyUsage: the extnValue holds exactly one BIT STRING of one or two data bytes.
    function _keyUsage(bytes memory der, uint256 at, Asn1Der.Element memory value) private pure returns (uint256) {
        Asn1Der.Element memory bits = _read(der, value.start, value.end, at);
        uint256 length = bits.end - bits.start;
        if (
            bits.tag != Asn1Der.TAG_BIT_STRING || bits.end != value.end || length < 2 || length > 3
                || _byteAt(der, bits.start) > MAX_UNUSED_BITS
        ) revert Asn1Der.CertificateMalformed(at);
        uint256 usage = _byteAt(der, bits.start + 1) << 8;
        if (length == 3) usage |= _byteAt(der, bits.start + 2);
        return usage;
    }

    /// @dev basicConstraints: exactly one SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }.
    function _isCa(bytes memory der, uint256 at, Asn1Der.Element memory value) private pure returns (bool isCa) {
        Asn1Der.Element memory constraints = _read(der, value.start, value.end, at);
        if (constraints.tag != Asn1Der.TAG_SEQUENCE || constraints.end != value.end) revert Asn1Der.CertificateMalformed(at);
        uint256 cursor = constraints.start;
        if (cursor == constraints.end) return false;
        Asn1Der.Element memory field = _read(der, cursor, constraints.end, at);
        if (field.tag == TAG_BOOLEAN) {
            if (field.end - field.start != 1 || _byteAt(der, field.start) != DER_TRUE) revert Asn1Der.CertificateMalformed(at);
            isCa = true;
            cursor = field.end;
            if (cursor == constraints.end) return isCa;
            field = _read(der, cursor, constraints.end, at);
        }
        if (field.tag != Asn1Der.TAG_INTEGER || field.end != constraints.end) revert Asn1Der.CertificateMalformed(at);
    }

    function _unsupported(Profile memory p, uint256 at) private pure {
        if (p.unsupportedAt == NONE) p.unsupportedAt = at;
    }

    function _byteAt(bytes memory der, uint256 index) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(der, 0x20), index)))
        }
    }

    function _uint24At(bytes memory der, uint256 index) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(232, mload(add(add(der, 0x20), index)))
        }
    }
}
