// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title CollateralJson
 * @notice RFC 8259 JSON over a span of memory bytes, for the PCS collateral objects (TCB Info, QE Identity):
 * {index} accepts exactly what `JSON.parse` accepts (after collateral.ts decodes the bytes as UTF-8) and
 * records where each string and container ends; then the readers navigate the indexed value: members of an object by key (the last of duplicate
 * keys wins, as in `JSON.parse`), elements of an array, decoded strings (escapes and `\u` as UTF-8) and
 * numbers read exactly.
 * @dev IasReport's scanner is specialised to the flat IAS report (a fixed key table, no nesting), so it is
 * not reused; this is the general grammar, iterative (nesting depth costs memory, not call frames).
 * Cost: a byte loop in the EVM is ~80 gas a byte at best, so {index} is ~200 gas a byte and the readers
 * add about as much again; Intel's 6.7 kB TCB Info takes ~5.2M gas to upsert (docs/attestation-dcap.md).
 * Differences from `JSON.parse`, all outside what Intel serves: numbers are read as exact decimals, so a
 * number a double would round to an integer (more than 15 significant digits, or an exponent beyond the
 * double range) is not an integer here; raw bytes that are not UTF-8 are kept as they are in decoded
 * strings, where `JSON.parse` sees U+FFFD (this changes advisory ID text only, never a verdict).
 */
library CollateralJson {
    /// @notice A JSON text and its index ({index}): where each string and container ends.
    struct Doc {
        bytes b;
        bytes ends;
    }

    /// @notice What a value is, from its first byte.
    enum Type {
        Object,
        Array,
        String,
        Number,
        Literal
    }

    uint256 private constant QUOTE = 0x22;
    uint256 private constant BACKSLASH = 0x5c;
    uint256 private constant OPEN_OBJECT = 0x7b;
    uint256 private constant CLOSE_OBJECT = 0x7d;
    uint256 private constant OPEN_ARRAY = 0x5b;
    uint256 private constant CLOSE_ARRAY = 0x5d;
    uint256 private constant COMMA = 0x2c;
    uint256 private constant MINUS = 0x2d;
    uint256 private constant PLUS = 0x2b;
    uint256 private constant DOT = 0x2e;
    uint256 private constant DIGIT_0 = 0x30;
    uint256 private constant DIGIT_9 = 0x39;
    uint256 private constant LOWER_U = 0x75;
    /// @dev Bit c set for the whitespace bytes: space, tab, LF, CR.
    uint256 private constant WHITESPACE_SET = (1 << 0x20) | (1 << 0x09) | (1 << 0x0a) | (1 << 0x0d);
    uint256 private constant HEX_DIGITS_OF_U_ESCAPE = 4;
    uint256 private constant ENTRY_BYTES = 4;
    uint256 private constant WORD_BYTES = 32;
    /// @dev An index entry: the end position in bits 0..30, bit 31 set for a string with an escape.
    uint256 private constant POSITION_MASK = 0x7fffffff;
    uint256 private constant ESCAPED_FLAG = 0x80000000;
    uint256 private constant SURROGATE_HIGH_FIRST = 0xd800;
    uint256 private constant SURROGATE_LOW_FIRST = 0xdc00;
    uint256 private constant SURROGATE_LAST = 0xdfff;
    uint256 private constant SURROGATE_BITS = 10;
    uint256 private constant SUPPLEMENTARY_FIRST = 0x10000;
    /// @dev What a lone surrogate becomes when JavaScript encodes the string as UTF-8 (U+FFFD).
    uint256 private constant REPLACEMENT_CHARACTER = 0xfffd;
    /// @dev The mantissa stops growing here (10^76: one more digit still fits 256 bits).
    uint256 private constant MANTISSA_LIMIT = 1e76;
    /// @dev Exponents are clamped here (they then only decide "not an integer" or "above max").
    uint256 private constant MAX_EXPONENT = 1e9;

    // ---------------------------------------------------------------- grammar

    /**
     * @notice Checks that `b[start, end)` is one JSON value (whitespace around allowed), as `JSON.parse`
     * decides, and indexes it: for every string and container, where it ends (one past its closing byte),
     * so the readers below jump over values instead of scanning them again.
     * @dev One pass in assembly, about 30 gas a byte. The index holds a 4-byte entry per byte of `b`
     * (bit 31: the string has an escape); the nesting stack 4 bytes per level.
     */
    function index(bytes memory b, uint256 start, uint256 end) internal pure returns (bool ok, Doc memory d) {
        bytes memory ends = new bytes(b.length * ENTRY_BYTES + WORD_BYTES);
        bytes memory stack = new bytes((end - start) * ENTRY_BYTES + WORD_BYTES);
        d = Doc({b: b, ends: ends});
        assembly ("memory-safe") {
            // Whitespace: space 0x20, tab 0x09, LF 0x0a, CR 0x0d (bit c of the mask).
            function ws(data, i, e) -> j {
                for {} lt(i, e) { i := add(i, 1) } {
                    if iszero(and(shr(byte(0, mload(add(data, i))), 0x100002600), 1)) { break }
                }
                j := i
            }
            function hexval(c) -> v {
                v := 0xff
                if and(gt(c, 0x2f), lt(c, 0x3a)) { v := sub(c, 0x30) }
                if and(gt(c, 0x60), lt(c, 0x67)) { v := sub(c, 0x57) }
                if and(gt(c, 0x40), lt(c, 0x47)) { v := sub(c, 0x37) }
            }
            // A string at i (its quote): one past the closing quote, bit 31 set when it has an escape; 0 if invalid.
            function str(data, i, e) -> j {
                let escaped := 0
                for { i := add(i, 1) } lt(i, e) { i := add(i, 1) } {
                    let c := byte(0, mload(add(data, i)))
                    if gt(c, 0x5c) { continue } // above the backslash: plain
                    if eq(c, 0x22) {
                        j := or(add(i, 1), shl(31, escaped))
                        leave
                    }
                    if lt(c, 0x20) { leave } // control bytes must be escaped
                    if eq(c, 0x5c) {
                        escaped := 1
                        i := add(i, 1)
                        if iszero(lt(i, e)) { leave }
                        c := byte(0, mload(add(data, i)))
                        switch c
                        case 0x75 {
                            // \uXXXX
                            if iszero(lt(add(i, 4), e)) { leave }
                            for { let k := 1 } lt(k, 5) { k := add(k, 1) } {
                                if gt(hexval(byte(0, mload(add(data, add(i, k))))), 15) { leave }
                            }
                            i := add(i, 4)
                        }
                        default {
                            // \" \\ \/ \b \f \n \r \t
                            if iszero(and(shr(c, 0x144044100000000000800400000000), 1)) { leave }
                        }
                    }
                }
            }
            function digits(data, i, e) -> j {
                for {} lt(i, e) { i := add(i, 1) } {
                    let c := byte(0, mload(add(data, i)))
                    if or(lt(c, 0x30), gt(c, 0x39)) { break }
                }
                j := i
            }
            function digitAt(data, i, e) -> yes {
                if lt(i, e) {
                    let c := byte(0, mload(add(data, i)))
                    yes := and(gt(c, 0x2f), lt(c, 0x3a))
                }
            }
            // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?: one past it, or 0.
            function num(data, i, e) -> j {
                if eq(byte(0, mload(add(data, i))), 0x2d) { i := add(i, 1) }
                if iszero(digitAt(data, i, e)) { leave }
                let first := byte(0, mload(add(data, i)))
                i := add(i, 1)
                if iszero(eq(first, 0x30)) { i := digits(data, i, e) }
                if lt(i, e) {
                    if eq(byte(0, mload(add(data, i))), 0x2e) {
                        i := add(i, 1)
                        if iszero(digitAt(data, i, e)) { leave }
                        i := digits(data, i, e)
                    }
                }
                if lt(i, e) {
                    let c := byte(0, mload(add(data, i)))
                    if or(eq(c, 0x65), eq(c, 0x45)) {
                        i := add(i, 1)
                        if lt(i, e) {
                            c := byte(0, mload(add(data, i)))
                            if or(eq(c, 0x2b), eq(c, 0x2d)) { i := add(i, 1) }
                        }
                        if iszero(digitAt(data, i, e)) { leave }
                        i := digits(data, i, e)
                    }
                }
                j := i
            }
            // true, null (4 bytes), false (5): one past it, or 0.
            function lit(data, i, e) -> j {
                let w := mload(add(data, i))
                if iszero(gt(add(i, 4), e)) {
                    if or(eq(shr(224, w), 0x74727565), eq(shr(224, w), 0x6e756c6c)) {
                        j := add(i, 4)
                        leave
                    }
                }
                if iszero(gt(add(i, 5), e)) { if eq(shr(216, w), 0x66616c7365) { j := add(i, 5) } }
            }
            function put(table, pos, v) {
                let p := add(table, shl(2, pos))
                mstore(p, or(and(mload(p), not(shl(224, 0xffffffff))), shl(224, v)))
            }
            function get(table, pos) -> v {
                v := shr(224, mload(add(table, shl(2, pos))))
            }
            // "key" ws : ws at i: where the member's value starts, or 0.
            function key(data, table, i, e) -> j {
                if iszero(lt(i, e)) { leave }
                if iszero(eq(byte(0, mload(add(data, i))), 0x22)) { leave }
                let k := str(data, i, e)
                if iszero(k) { leave }
                put(table, i, k)
                k := ws(data, and(k, 0x7fffffff), e)
                if iszero(lt(k, e)) { leave }
                if iszero(eq(byte(0, mload(add(data, k))), 0x3a)) { leave }
                j := ws(data, add(k, 1), e)
            }

            let data := add(b, 0x20)
            let table := add(ends, 0x20)
            let stk := add(stack, 0x20)
            let depth := 0
            let i := ws(data, start, end)
            for {} 1 {} {
                // A value starts at i.
                if iszero(lt(i, end)) { break }
                let c := byte(0, mload(add(data, i)))
                let complete := 0
                switch c
                case 0x7b {
                    // {
                    put(stk, depth, i)
                    depth := add(depth, 1)
                    i := ws(data, add(i, 1), end)
                    if lt(i, end) {
                        if eq(byte(0, mload(add(data, i))), 0x7d) {
                            depth := sub(depth, 1)
                            put(table, get(stk, depth), add(i, 1))
                            i := add(i, 1)
                            complete := 1
                        }
                    }
                    if iszero(complete) {
                        i := key(data, table, i, end)
                        if iszero(i) { break }
                    }
                }
                case 0x5b {
                    // [
                    put(stk, depth, i)
                    depth := add(depth, 1)
                    i := ws(data, add(i, 1), end)
                    if lt(i, end) {
                        if eq(byte(0, mload(add(data, i))), 0x5d) {
                            depth := sub(depth, 1)
                            put(table, get(stk, depth), add(i, 1))
                            i := add(i, 1)
                            complete := 1
                        }
                    }
                }
                case 0x22 {
                    let j := str(data, i, end)
                    if iszero(j) { break }
                    put(table, i, j)
                    i := and(j, 0x7fffffff)
                    complete := 1
                }
                default {
                    let j := 0
                    switch or(eq(c, 0x2d), and(gt(c, 0x2f), lt(c, 0x3a)))
                    case 1 { j := num(data, i, end) }
                    default { j := lit(data, i, end) }
                    if iszero(j) { break }
                    i := j
                    complete := 1
                }
                if complete {
                    // After a value: close containers, or move to the next element (next = 1), or finish (2).
                    let next := 0
                    for {} 1 {} {
                        if iszero(depth) {
                            if eq(ws(data, i, end), end) { next := 2 }
                            break
                        }
                        i := ws(data, i, end)
                        if iszero(lt(i, end)) { break }
                        c := byte(0, mload(add(data, i)))
                        let open := get(stk, sub(depth, 1))
                        let inObject := eq(byte(0, mload(add(data, open))), 0x7b)
                        if eq(c, 0x2c) {
                            i := ws(data, add(i, 1), end)
                            if inObject { i := key(data, table, i, end) }
                            if i { next := 1 }
                            break
                        }
                        // ] is 0x5d, } is 0x7d
                        if iszero(eq(c, add(0x5d, shl(5, inObject)))) { break }
                        depth := sub(depth, 1)
                        put(table, open, add(i, 1))
                        i := add(i, 1)
                    }
                    if iszero(eq(next, 1)) {
                        ok := eq(next, 2)
                        break
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- navigation (an indexed, valid value)

    /// @notice The type of the value starting at `i`.
    function typeAt(Doc memory d, uint256 i) internal pure returns (Type) {
        uint256 c = _at(d.b, i);
        if (c == OPEN_OBJECT) return Type.Object;
        if (c == OPEN_ARRAY) return Type.Array;
        if (c == QUOTE) return Type.String;
        if (c == MINUS || _isDigit(c)) return Type.Number;
        return Type.Literal;
    }

    /// @notice One past the end of the value starting at `i`.
    function valueEnd(Doc memory d, uint256 i) internal pure returns (uint256 e) {
        bytes memory b = d.b;
        uint256 c = _at(b, i);
        if (c == QUOTE || c == OPEN_OBJECT || c == OPEN_ARRAY) return _entry(d.ends, i) & POSITION_MASK;
        uint256 n = b.length;
        for (e = i; e < n; ++e) {
            c = _at(b, e);
            if (c == COMMA || c == CLOSE_OBJECT || c == CLOSE_ARRAY || (WHITESPACE_SET >> c) & 1 == 1) break;
        }
    }

    /**
     * @notice For the object at `i`: where the value of each key of `keyHashes` (keccak256 of the decoded
     * key) starts, the last occurrence winning; 0 for an absent key (no value starts at 0 of a PCS body).
     */
    function members(Doc memory d, uint256 i, bytes32[] memory keyHashes) internal pure returns (uint256[] memory at) {
        bytes memory b = d.b;
        at = new uint256[](keyHashes.length);
        uint256 n = b.length;
        i = _skipWs(b, i + 1, n);
        if (_at(b, i) == CLOSE_OBJECT) return at;
        while (true) {
            uint256 entry = _entry(d.ends, i);
            uint256 keyEnd = entry & POSITION_MASK;
            bytes32 h = entry & ESCAPED_FLAG != 0 ? keccak256(stringAt(d, i)) : _spanHash(b, i + 1, keyEnd - 1);
            uint256 v = _skipWs(b, _skipWs(b, keyEnd, n) + 1, n);
            for (uint256 k = 0; k < keyHashes.length; ++k) {
                if (keyHashes[k] == h) at[k] = v;
            }
            i = _skipWs(b, valueEnd(d, v), n);
            if (_at(b, i) != COMMA) return at;
            i = _skipWs(b, i + 1, n);
        }
    }

    /// @notice Where each element of the array at `i` starts.
    function elements(Doc memory d, uint256 i) internal pure returns (uint256[] memory starts) {
        bytes memory b = d.b;
        uint256 n = b.length;
        uint256 count;
        uint256 j = _skipWs(b, i + 1, n);
        if (_at(b, j) != CLOSE_ARRAY) {
            while (true) {
                ++count;
                j = _skipWs(b, valueEnd(d, j), n);
                if (_at(b, j) != COMMA) break;
                j = _skipWs(b, j + 1, n);
            }
        }
        starts = new uint256[](count);
        j = _skipWs(b, i + 1, n);
        for (uint256 k = 0; k < count; ++k) {
            starts[k] = j;
            j = _skipWs(b, _skipWs(b, valueEnd(d, j), n) + 1, n);
        }
    }

    /// @notice The decoded text of the string at `i`: escapes resolved, `\u` escapes as UTF-8.
    function stringAt(Doc memory d, uint256 i) internal pure returns (bytes memory out) {
        bytes memory b = d.b;
        uint256 entry = _entry(d.ends, i);
        uint256 end = (entry & POSITION_MASK) - 1;
        if (entry & ESCAPED_FLAG == 0) return _slice(b, i + 1, end);
        out = new bytes(end - i - 1);
        uint256 o;
        for (++i; i < end; ++i) {
            uint256 c = _at(b, i);
            if (c != BACKSLASH) {
                out[o++] = bytes1(uint8(c));
                continue;
            }
            c = _at(b, ++i);
            if (c == LOWER_U) {
                uint256 cp = _u16(b, i + 1);
                i += HEX_DIGITS_OF_U_ESCAPE;
                if (cp >= SURROGATE_HIGH_FIRST && cp < SURROGATE_LOW_FIRST) {
                    uint256 low = i + 2 + HEX_DIGITS_OF_U_ESCAPE < end && _at(b, i + 1) == BACKSLASH && _at(b, i + 2) == LOWER_U
                        ? _u16(b, i + 3)
                        : 0;
                    if (low >= SURROGATE_LOW_FIRST && low <= SURROGATE_LAST) {
                        cp = SUPPLEMENTARY_FIRST + ((cp - SURROGATE_HIGH_FIRST) << SURROGATE_BITS) + (low - SURROGATE_LOW_FIRST);
                        i += 2 + HEX_DIGITS_OF_U_ESCAPE;
                    } else {
                        cp = REPLACEMENT_CHARACTER;
                    }
                } else if (cp >= SURROGATE_LOW_FIRST && cp <= SURROGATE_LAST) {
                    cp = REPLACEMENT_CHARACTER;
                }
                o = _putUtf8(out, o, cp);
            } else {
                out[o++] = bytes1(uint8(_unescape(c)));
            }
        }
        assembly ("memory-safe") {
            mstore(out, o)
        }
    }

    /**
     * @notice The number at `i` if it is an integer in [0, max] (`max` below 10^76, so the scaling cannot overflow; its exact decimal value: `3`, `3.0`, `0.3e1`
     * and `-0` are integers; `-1`, `3.5` are not).
     */
    function uintAt(Doc memory d, uint256 i, uint256 max) internal pure returns (bool ok, uint256 value) {
        bytes memory b = d.b;
        uint256 end = valueEnd(d, i);
        bool negative = _at(b, i) == MINUS;
        if (negative) ++i;
        uint256 mantissa;
        int256 exponent;
        bool inFraction;
        for (; i < end; ++i) {
            uint256 c = _at(b, i);
            if (c == DOT) {
                inFraction = true;
                continue;
            }
            if (!_isDigit(c)) break;
            if (mantissa == 0 && c == DIGIT_0) {
                if (inFraction) --exponent;
                continue;
            }
            if (mantissa >= MANTISSA_LIMIT) {
                // Full: a further zero only scales an integer part; any other digit is beyond every `max`.
                if (c != DIGIT_0) return (false, 0);
                if (!inFraction) ++exponent;
                continue;
            }
            mantissa = mantissa * 10 + (c - DIGIT_0);
            if (inFraction) --exponent;
        }
        if (i < end) {
            // [eE][+-]?digits
            ++i;
            bool expNegative = _at(b, i) == MINUS;
            if (expNegative || _at(b, i) == PLUS) ++i;
            uint256 e;
            for (; i < end; ++i) {
                e = e * 10 + (_at(b, i) - DIGIT_0);
                if (e > MAX_EXPONENT) e = MAX_EXPONENT; // the scaling below stops at `max` long before
            }
            exponent += expNegative ? -int256(e) : int256(e);
        }
        if (mantissa == 0) return (true, 0);
        if (negative) return (false, 0);
        while (exponent < 0 && mantissa % 10 == 0) {
            mantissa /= 10;
            ++exponent;
        }
        if (exponent < 0) return (false, 0);
        for (; exponent > 0; --exponent) {
            if (mantissa > max) return (false, 0);
            mantissa *= 10;
        }
        if (mantissa > max) return (false, 0);
        return (true, mantissa);
    }

    // ---------------------------------------------------------------- helpers

    function _entry(bytes memory ends, uint256 pos) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(224, mload(add(add(ends, 0x20), shl(2, pos))))
        }
    }

    function _spanHash(bytes memory b, uint256 start, uint256 end) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(b, 0x20), start), sub(end, start))
        }
    }

    function _slice(bytes memory b, uint256 start, uint256 end) private pure returns (bytes memory out) {
        out = new bytes(end - start);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), add(add(b, 0x20), start), sub(end, start))
        }
    }

    function _unescape(uint256 c) private pure returns (uint256) {
        if (c == 0x62) return 0x08; // \b
        if (c == 0x66) return 0x0c; // \f
        if (c == 0x6e) return 0x0a; // \n
        if (c == 0x72) return 0x0d; // \r
        if (c == 0x74) return 0x09; // \t
        return c; // \" \\ \/
    }

    function _u16(bytes memory b, uint256 i) private pure returns (uint256 v) {
        for (uint256 k = 0; k < HEX_DIGITS_OF_U_ESCAPE; ++k) {
            uint256 d = hexValue(_at(b, i + k));
            if (d > 0xf) return type(uint256).max;
            v = (v << 4) | d;
        }
    }

    function _putUtf8(bytes memory out, uint256 o, uint256 cp) private pure returns (uint256) {
        if (cp < 0x80) {
            out[o++] = bytes1(uint8(cp));
        } else if (cp < 0x800) {
            out[o++] = bytes1(uint8(0xc0 | (cp >> 6)));
            out[o++] = bytes1(uint8(0x80 | (cp & 0x3f)));
        } else if (cp < SUPPLEMENTARY_FIRST) {
            out[o++] = bytes1(uint8(0xe0 | (cp >> 12)));
            out[o++] = bytes1(uint8(0x80 | ((cp >> 6) & 0x3f)));
            out[o++] = bytes1(uint8(0x80 | (cp & 0x3f)));
        } else {
            out[o++] = bytes1(uint8(0xf0 | (cp >> 18)));
            out[o++] = bytes1(uint8(0x80 | ((cp >> 12) & 0x3f)));
            out[o++] = bytes1(uint8(0x80 | ((cp >> 6) & 0x3f)));
            out[o++] = bytes1(uint8(0x80 | (cp & 0x3f)));
        }
        return o;
    }

    /// @notice The value of a hex digit byte, or 0xff.
    function hexValue(uint256 c) internal pure returns (uint256) {
        if (c >= DIGIT_0 && c <= DIGIT_9) return c - DIGIT_0;
        if (c >= 0x61 && c <= 0x66) return c - 0x57;
        if (c >= 0x41 && c <= 0x46) return c - 0x37;
        return 0xff;
    }

    function _isDigit(uint256 c) private pure returns (bool) {
        return c >= DIGIT_0 && c <= DIGIT_9;
    }

    function _skipWs(bytes memory b, uint256 i, uint256 end) private pure returns (uint256) {
        while (i < end && (WHITESPACE_SET >> _at(b, i)) & 1 == 1) ++i;
        return i;
    }

    /// @dev The byte at `i` (callers keep `i < b.length`, or read the zero padding past it).
    function _at(bytes memory b, uint256 i) private pure returns (uint256 c) {
        assembly ("memory-safe") {
            c := byte(0, mload(add(add(b, 0x20), i)))
        }
    }
}
