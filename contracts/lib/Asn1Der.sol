// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Asn1Der
 * @notice Minimal, bounds-checked DER element walker over a memory buffer.
 * @dev Only what X.509 certificates need: one-byte tags and definite lengths up to 0xFFFF in
 * minimal form. Every element must lie inside the bounds its caller gives (its parent's content).
 * The only DER this project parses is X.509, hence the error name.
 */
library Asn1Der {
    /// @notice The DER input is malformed at byte `offset` (the tag byte of the element at fault,
    /// or where an element was expected).
    error CertificateMalformed(uint256 offset);

    uint256 internal constant TAG_INTEGER = 0x02;
    uint256 internal constant TAG_BIT_STRING = 0x03;
    uint256 internal constant TAG_NULL = 0x05;
    uint256 internal constant TAG_OID = 0x06;
    uint256 internal constant TAG_UTC_TIME = 0x17;
    uint256 internal constant TAG_GENERALIZED_TIME = 0x18;
    uint256 internal constant TAG_SEQUENCE = 0x30;
    uint256 internal constant TAG_CONTEXT_0 = 0xa0;

    uint256 private constant HIGH_TAG_NUMBER_FORM = 0x1f;
    uint256 private constant LONG_FORM_1 = 0x81;
    uint256 private constant LONG_FORM_2 = 0x82;
    uint256 private constant SHORT_FORM_LIMIT = 0x80;
    uint256 private constant ONE_BYTE_LIMIT = 0x100;

    /// @notice An element's tag and content span; `end` is also where the next sibling starts.
    struct Element {
        uint256 tag;
        uint256 start; // first content byte
        uint256 end; // one past the last content byte
    }

    /**
     * @notice Reads the element header at `offset`, which must lie in `[offset, limit)`.
     * @param der the buffer
     * @param offset position of the tag byte
     * @param limit end of the parent's content (at most `der.length`)
     */
    function readElement(bytes memory der, uint256 offset, uint256 limit) internal pure returns (Element memory e) {
        bool ok;
        (ok, e) = tryReadElement(der, offset, limit);
        if (!ok) revert CertificateMalformed(offset);
    }

    /**
     * @notice {readElement} without the revert: `ok == false` where {readElement} would revert
     * `CertificateMalformed(offset)`, for callers that report a fault at an enclosing element.
     */
    function tryReadElement(bytes memory der, uint256 offset, uint256 limit)
        internal
        pure
        returns (bool ok, Element memory e)
    {
        if (limit > der.length || offset + 2 > limit) return (false, e);
        uint256 tag = _byteAt(der, offset);
        if (tag & HIGH_TAG_NUMBER_FORM == HIGH_TAG_NUMBER_FORM) return (false, e);
        uint256 first = _byteAt(der, offset + 1);
        uint256 length;
        uint256 start;
        if (first < SHORT_FORM_LIMIT) {
            length = first;
            start = offset + 2;
        } else if (first == LONG_FORM_1) {
            if (offset + 3 > limit) return (false, e);
            length = _byteAt(der, offset + 2);
            if (length < SHORT_FORM_LIMIT) return (false, e);
            start = offset + 3;
        } else if (first == LONG_FORM_2) {
            if (offset + 4 > limit) return (false, e);
            length = (_byteAt(der, offset + 2) << 8) | _byteAt(der, offset + 3);
            if (length < ONE_BYTE_LIMIT) return (false, e);
            start = offset + 4;
        } else {
            return (false, e);
        }
        if (start + length > limit) return (false, e);
        return (true, Element({tag: tag, start: start, end: start + length}));
    }

    /// @notice Like {readElement} but requires the tag to be `expectedTag`.
    function readExpected(bytes memory der, uint256 offset, uint256 limit, uint256 expectedTag)
        internal
        pure
        returns (Element memory e)
    {
        e = readElement(der, offset, limit);
        if (e.tag != expectedTag) revert CertificateMalformed(offset);
    }

    /// @notice Reads the byte at `index` without a bounds check (callers keep `index < der.length`).
    function _byteAt(bytes memory der, uint256 index) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(der, 0x20), index)))
        }
    }
}
