// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DerReader} from "./DerReader.sol";
import {DcapCertificate} from "./DcapCertificate.sol";
import {SgxExtensionFieldMissing, SgxExtensionMalformed} from "./DcapErrors.sol";

/**
 * @title SgxExtension
 * @notice The PCK certificate's SGX extension (1.2.840.113741.1.13.1): FMSPC, PCEID, the 16 TCB component
 * SVNs, PCESVN and CPUSVN. Same rules, order and offsets as src/attestation/dcap/x509.ts `readSgxExtension`
 * (offsets are into the certificate's DER).
 */
library SgxExtension {
    using DerReader for bytes;

    struct PlatformTcb {
        bytes6 fmspc;
        bytes2 pceId;
        /// @dev sgxTcbComp01Svn .. sgxTcbComp16Svn, one byte each, component 1 first.
        bytes16 components;
        uint16 pceSvn;
        bytes16 cpuSvn;
    }

    /// @dev Arcs under a prefix: a presence bitmap and the values of arcs 1..18.
    struct Entries {
        uint256 present;
        DerReader.Element[19] values;
    }

    uint256 private constant ARC_TCB = 2;
    uint256 private constant ARC_PCEID = 3;
    uint256 private constant ARC_FMSPC = 4;
    uint256 private constant ARC_PCESVN = 17;
    uint256 private constant ARC_CPUSVN = 18;
    uint256 private constant COMPONENTS = 16;
    uint256 private constant MAX_ARC = 0x80;
    uint256 private constant STORED_ARCS = 19;

    function _fail(uint256 offset) private pure {
        revert SgxExtensionMalformed(offset);
    }

    /// @notice Reads the SGX extension of a parsed PCK certificate.
    function read(bytes memory der, DcapCertificate.Certificate memory pck) internal pure returns (PlatformTcb memory t) {
        if (!pck.hasSgxExtension) revert SgxExtensionFieldMissing("sgxExtension");
        (bool ok, DerReader.Element memory top) = der.read(pck.sgxStart, pck.sgxEnd);
        if (!ok || top.tag != DerReader.TAG_SEQUENCE) _fail(pck.sgxStart);
        if (top.end != pck.sgxEnd) _fail(top.end);
        bytes memory prefix = DcapCertificate.OID_SGX_EXTENSION;
        Entries memory fields = _entries(der, top, prefix);
        t.fmspc = bytes6(_octets(der, fields, ARC_FMSPC, "fmspc", 6));
        t.pceId = bytes2(_octets(der, fields, ARC_PCEID, "pceId", 2));
        if (fields.present & (1 << ARC_TCB) == 0) revert SgxExtensionFieldMissing("tcb");
        DerReader.Element memory tcb = fields.values[ARC_TCB];
        if (tcb.tag != DerReader.TAG_SEQUENCE) _fail(tcb.offset);
        Entries memory tcbFields = _entries(der, tcb, abi.encodePacked(prefix, uint8(ARC_TCB)));
        uint256 components;
        for (uint256 c = 1; c <= COMPONENTS; ++c) {
            if (tcbFields.present & (1 << c) == 0) revert SgxExtensionFieldMissing(_componentName(c));
            components = (components << 8) | _integer(der, tcbFields, c, "", 1);
        }
        t.components = bytes16(uint128(components));
        t.pceSvn = uint16(_integer(der, tcbFields, ARC_PCESVN, "pcesvn", 2));
        t.cpuSvn = bytes16(_octets(der, tcbFields, ARC_CPUSVN, "cpusvn", 16));
    }

    function _entries(bytes memory der, DerReader.Element memory parent, bytes memory prefix)
        private
        pure
        returns (Entries memory map)
    {
        (bool ok, DerReader.Element[] memory items, uint256 failedAt) = der.children(parent);
        if (!ok) _fail(failedAt);
        for (uint256 k = 0; k < items.length; ++k) {
            (uint256 arc, DerReader.Element memory value) = _entry(der, items[k], prefix);
            if (map.present & (1 << arc) != 0) _fail(items[k].offset);
            map.present |= 1 << arc;
            if (arc < STORED_ARCS) map.values[arc] = value;
        }
    }

    /// @dev One `SEQUENCE { OID prefix.arc, value }`.
    function _entry(bytes memory der, DerReader.Element memory e, bytes memory prefix)
        private
        pure
        returns (uint256 arc, DerReader.Element memory value)
    {
        if (e.tag != DerReader.TAG_SEQUENCE) _fail(e.offset);
        (bool good, DerReader.Element[] memory parts, uint256 at) = der.children(e);
        if (!good) _fail(at);
        if (parts.length != 2 || parts[0].tag != DerReader.TAG_OID) _fail(e.offset);
        DerReader.Element memory oid = parts[0];
        if (oid.end - oid.start != prefix.length + 1 || !der.equalsAt(oid.start, oid.end - 1, prefix)) _fail(oid.offset);
        arc = der.byteAt(oid.end - 1);
        if (arc >= MAX_ARC) _fail(oid.offset);
        value = parts[1];
    }

    function _octets(bytes memory der, Entries memory map, uint256 arc, string memory name, uint256 length)
        private
        pure
        returns (bytes32 value)
    {
        if (map.present & (1 << arc) == 0) revert SgxExtensionFieldMissing(name);
        DerReader.Element memory t = map.values[arc];
        if (t.tag != DerReader.TAG_OCTET_STRING || t.end - t.start != length) _fail(t.offset);
        uint256 start = t.start;
        assembly ("memory-safe") {
            value := mload(add(add(der, 0x20), start))
        }
        value &= bytes32(~(type(uint256).max >> (8 * length)));
    }

    /// @dev `name` is reported when the arc is absent (callers that build names lazily check presence first).
    function _integer(bytes memory der, Entries memory map, uint256 arc, string memory name, uint256 maxBytes)
        private
        pure
        returns (uint256 value)
    {
        if (map.present & (1 << arc) == 0) revert SgxExtensionFieldMissing(name);
        DerReader.Element memory t = map.values[arc];
        if (t.tag != DerReader.TAG_INTEGER) _fail(t.offset);
        bool ok;
        (ok, value) = der.unsignedValue(t, maxBytes);
        if (!ok) _fail(t.offset);
    }

    /// @dev "sgxTcbCompNNSvn" with NN two digits.
    function _componentName(uint256 c) private pure returns (string memory) {
        return string(abi.encodePacked("sgxTcbComp", bytes1(uint8(0x30 + c / 10)), bytes1(uint8(0x30 + c % 10)), "Svn"));
    }
}
