// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title DerReader
 * @notice A strict DER walker that reports instead of reverting, so each DCAP parser reverts with its own
 * error: single-byte tags, definite lengths in short or minimal long form (up to 3 length bytes), every
 * element inside its parent. The same rules, in the same order, as src/attestation/dcap/der.ts.
 */
library DerReader {
    struct Element {
        uint256 tag;
        uint256 offset; // the tag byte
        uint256 start; // first content byte
        uint256 end; // one past the content
    }

    uint256 internal constant TAG_BOOLEAN = 0x01;
    uint256 internal constant TAG_INTEGER = 0x02;
    uint256 internal constant TAG_BIT_STRING = 0x03;
    uint256 internal constant TAG_OCTET_STRING = 0x04;
    uint256 internal constant TAG_OID = 0x06;
    uint256 internal constant TAG_ENUMERATED = 0x0a;
    uint256 internal constant TAG_UTC_TIME = 0x17;
    uint256 internal constant TAG_GENERALIZED_TIME = 0x18;
    uint256 internal constant TAG_SEQUENCE = 0x30;
    uint256 internal constant TAG_CONTEXT_0 = 0xa0;
    uint256 internal constant TAG_CONTEXT_3 = 0xa3;

    /// @notice The SHA-256 precompile failed (out of gas).
    error Sha256PrecompileFailed();

    uint256 private constant SHA256_PRECOMPILE = 0x02;
    uint256 private constant LONG_FORM = 0x80;
    uint256 private constant MAX_LENGTH_BYTES = 3;
    uint256 private constant HIGH_TAG_NUMBER_FORM = 0x1f;
    uint256 private constant SIGN_BIT = 0x80;
    uint256 private constant WORD_BYTES = 32;

    /// @notice The element at `offset` inside `[offset, limit)`; `ok` false (at `offset`) when malformed.
    function read(bytes memory der, uint256 offset, uint256 limit) internal pure returns (bool ok, Element memory e) {
        (bool good, uint256 tag, uint256 start, uint256 end) = header(der, offset, limit);
        if (good) {
            e = Element({tag: tag, offset: offset, start: start, end: end});
            ok = true;
        }
    }

    /**
     * @notice {read} without allocating: the tag and content span of the element at `offset` (assembly; the
     * rules of {read}: in bounds, low tag number, short form or 1..3 minimal length bytes, inside `limit`).
     */
    function header(bytes memory der, uint256 offset, uint256 limit)
        internal
        pure
        returns (bool ok, uint256 tag, uint256 start, uint256 end)
    {
        assembly ("memory-safe") {
            if and(iszero(gt(limit, mload(der))), iszero(gt(add(offset, 2), limit))) {
                let w := mload(add(add(der, 0x20), offset))
                tag := byte(0, w)
                let first := byte(1, w)
                let good := iszero(eq(and(tag, HIGH_TAG_NUMBER_FORM), HIGH_TAG_NUMBER_FORM))
                start := add(offset, 2)
                let length := first
                if iszero(lt(first, LONG_FORM)) {
                    let count := and(first, 0x7f)
                    if or(or(iszero(count), gt(count, MAX_LENGTH_BYTES)), gt(add(start, count), limit)) { good := 0 }
                    if good {
                        // Big-endian length from bytes 2 .. 2 + count of the word; minimal: no leading zero, >= 0x80.
                        length := shr(sub(256, mul(8, count)), shl(16, w))
                        if iszero(byte(2, w)) { good := 0 }
                        if lt(length, LONG_FORM) { good := 0 }
                        start := add(start, count)
                    }
                }
                end := add(start, length)
                if gt(end, limit) { good := 0 }
                ok := good
            }
            if iszero(ok) {
                tag := 0
                start := 0
                end := 0
            }
        }
    }

    /**
     * @notice All children of `parent`, in order. `ok` false with `failedAt` = the offset of the first
     * malformed child (the same walk as der.ts `children`). The first pass allocates nothing.
     */
    function children(bytes memory der, Element memory parent)
        internal
        pure
        returns (bool ok, Element[] memory items, uint256 failedAt)
    {
        uint256 count;
        uint256 p = parent.start;
        uint256 limit = parent.end;
        while (p < limit) {
            (bool good,,, uint256 end) = header(der, p, limit);
            if (!good) return (false, items, p);
            ++count;
            p = end;
        }
        items = new Element[](count);
        p = parent.start;
        for (uint256 i = 0; i < count; ++i) {
            (, uint256 tag, uint256 start, uint256 end) = header(der, p, limit);
            items[i] = Element({tag: tag, offset: p, start: start, end: end});
            p = end;
        }
        ok = true;
    }

    /// @notice A non-negative, minimally encoded INTEGER/ENUMERATED of at most `maxBytes` magnitude bytes.
    function unsignedValue(bytes memory der, Element memory e, uint256 maxBytes) internal pure returns (bool ok, uint256 value) {
        if (e.tag != TAG_INTEGER && e.tag != TAG_ENUMERATED) return (false, 0);
        uint256 len = e.end - e.start;
        if (len == 0) return (false, 0);
        uint256 b0 = byteAt(der, e.start);
        if (b0 & SIGN_BIT != 0) return (false, 0); // negative
        if (len > 1 && b0 == 0 && byteAt(der, e.start + 1) & SIGN_BIT == 0) return (false, 0); // not minimal
        uint256 from = len > 1 && b0 == 0 ? e.start + 1 : e.start; // drop the sign byte
        uint256 size = e.end - from;
        if (size > maxBytes || size > WORD_BYTES) return (false, 0);
        assembly ("memory-safe") {
            // The `size` bytes at `from`, big-endian (size is 1..32 here).
            value := shr(sub(256, mul(8, size)), mload(add(add(der, 0x20), from)))
        }
        ok = true;
    }

    /// @notice keccak256 of `der[start, end)`.
    function spanHash(bytes memory der, uint256 start, uint256 end) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(der, 0x20), start), sub(end, start))
        }
    }

    /// @notice sha256 of `der[start, end)` through the SHA-256 precompile (no copy).
    function spanSha256(bytes memory der, uint256 start, uint256 end) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), SHA256_PRECOMPILE, add(add(der, 0x20), start), sub(end, start), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256PrecompileFailed();
    }

    /// @notice The byte at `index` (callers keep `index < der.length`).
    function byteAt(bytes memory der, uint256 index) internal pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(der, 0x20), index)))
        }
    }

    /// @notice Whether `der[start, start + expected.length)` equals `expected`.
    function equalsAt(bytes memory der, uint256 start, uint256 end, bytes memory expected) internal pure returns (bool) {
        if (end - start != expected.length) return false;
        return spanHash(der, start, end) == keccak256(expected);
    }
}
