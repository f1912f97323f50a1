// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PckChainEncodingInvalid} from "./DcapErrors.sol";

/**
 * @title Pem
 * @notice Splits a PEM certificate chain into DER certificates with the rules of
 * src/attestation/dcap/x509.ts `splitPemChain`: one trailing NUL dropped; blocks
 * `-----BEGIN CERTIFICATE-----` base64 (lines split by CR/LF) `-----END CERTIFICATE-----` separated by
 * ASCII space, tab, CR or LF; strict standard base64 (padding only at the end, trailing bits ignored).
 * A bad block reverts `PckChainEncodingInvalid(index)`.
 */
library Pem {
    bytes private constant BEGIN = "-----BEGIN CERTIFICATE-----";
    bytes private constant END = "-----END CERTIFICATE-----";
    uint256 private constant MAX_CERTIFICATES = 8;
    uint256 private constant NUL = 0x00;
    uint256 private constant DASH = 0x2d;
    uint256 private constant CR = 0x0d;
    uint256 private constant LF = 0x0a;
    uint256 private constant PAD = 0x3d; // '='
    /// @dev Base64 value + 1 of each byte value (0 = not in the alphabet; `=` is 0 too), 256 entries so any byte indexes it.
    bytes private constant DECODE_TABLE =
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000003f0000004035363738393a3b3c3d3e000000000000"
        hex"000102030405060708090a0b0c0d0e0f101112131415161718191a0000000000001b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233340000000000"
        hex"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    /**
     * @notice The DER certificates of `pem` (at most 8 are returned; `count` counts every block).
     */
    function split(bytes memory pem) internal pure returns (bytes[] memory ders, uint256 count) {
        ders = new bytes[](MAX_CERTIFICATES);
        bytes memory table = DECODE_TABLE; // copied to memory once
        uint256 len = pem.length;
        if (len > 0 && _at(pem, len - 1) == NUL) --len;
        uint256 p = _skipSpace(pem, 0, len);
        while (p < len) {
            if (!_matches(pem, p, len, BEGIN)) revert PckChainEncodingInvalid(count);
            uint256 q = p + BEGIN.length;
            bytes memory b64 = new bytes(len - q);
            (uint256 n, uint256 stopAt) = _collect(pem, q, len, b64);
            bool closed = stopAt < len && _matches(pem, stopAt, len, END);
            q = stopAt;
            if (!closed) revert PckChainEncodingInvalid(count);
            assembly ("memory-safe") {
                mstore(b64, n)
            }
            (bool ok, bytes memory der) = decodeBase64(b64, table);
            if (!ok || n == 0) revert PckChainEncodingInvalid(count);
            if (count < MAX_CERTIFICATES) ders[count] = der;
            ++count;
            p = _skipSpace(pem, q + END.length, len);
        }
    }

    /**
     * @dev Copies `pem[from, len)` into `out` without CR and LF, up to the first `-` (where it stops; `len`
     * when there is none). The characters are judged by the base64 decoding that follows (a byte outside
     * the alphabet fails there, as the PEM grammar would). 32 bytes at a time while a word holds none of
     * CR, LF, `-` (SWAR zero-byte test on the word XOR each of them).
     */
    function _collect(bytes memory pem, uint256 from, uint256 len, bytes memory out)
        private
        pure
        returns (uint256 n, uint256 stopAt)
    {
        stopAt = len;
        assembly ("memory-safe") {
            let src := add(pem, 0x20)
            let dst := add(out, 0x20)
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let highs := 0x8080808080808080808080808080808080808080808080808080808080808080
            for { let i := from } lt(i, len) {} {
                if iszero(gt(add(i, 32), len)) {
                    let w := mload(add(src, i))
                    let xl := xor(w, mul(ones, LF))
                    let xc := xor(w, mul(ones, CR))
                    let xd := xor(w, mul(ones, DASH))
                    let z := and(and(sub(xl, ones), not(xl)), highs)
                    z := or(z, and(and(sub(xc, ones), not(xc)), highs))
                    z := or(z, and(and(sub(xd, ones), not(xd)), highs))
                    if iszero(z) {
                        mstore(add(dst, n), w)
                        n := add(n, 32)
                        i := add(i, 32)
                        continue
                    }
                }
                let ch := byte(0, mload(add(src, i)))
                if eq(ch, DASH) {
                    stopAt := i
                    break
                }
                if iszero(or(eq(ch, CR), eq(ch, LF))) {
                    mstore8(add(dst, n), ch)
                    n := add(n, 1)
                }
                i := add(i, 1)
            }
        }
    }

    /// @notice Strict standard base64: groups of 4, `=` only as the last one or two characters.
    function decodeBase64(bytes memory input) internal pure returns (bool ok, bytes memory out) {
        return decodeBase64(input, DECODE_TABLE);
    }

    function decodeBase64(bytes memory input, bytes memory table) private pure returns (bool ok, bytes memory out) {
        uint256 n = input.length;
        if (n % 4 != 0) return (false, out);
        uint256 pad;
        if (n > 0 && _at(input, n - 1) == PAD) pad = (n > 1 && _at(input, n - 2) == PAD) ? 2 : 1;
        out = new bytes((n / 4) * 3 - pad);
        uint256 bad;
        assembly ("memory-safe") {
            let src := add(input, 0x20)
            let dst := add(out, 0x20)
            let tbl := add(table, 0x20)
            // Every group but the last: four alphabet characters. Table entries are value + 1, so a
            // product of zero means a character outside the alphabet (or a misplaced `=`).
            let full := sub(n, mul(4, iszero(iszero(n))))
            let o := dst
            let valid := 1
            for { let p := src } lt(p, add(src, full)) { p := add(p, 4) } {
                let w := mload(p)
                let a := byte(0, mload(add(tbl, byte(0, w))))
                let b := byte(0, mload(add(tbl, byte(1, w))))
                let c := byte(0, mload(add(tbl, byte(2, w))))
                let d := byte(0, mload(add(tbl, byte(3, w))))
                valid := and(valid, iszero(iszero(mul(mul(a, b), mul(c, d)))))
                // (a-1)<<18 | (b-1)<<12 | (c-1)<<6 | (d-1), written as the top 3 bytes of a word.
                mstore(o, shl(232, sub(add(add(shl(18, a), shl(12, b)), add(shl(6, c), d)), 0x41041)))
                o := add(o, 3)
            }
            if iszero(valid) { bad := 1 }
            // The last group: "xxxx", "xxx=" or "xx==".
            if n {
                let w := mload(add(src, full))
                let a := byte(0, mload(add(tbl, byte(0, w))))
                let b := byte(0, mload(add(tbl, byte(1, w))))
                let c := byte(0, mload(add(tbl, byte(2, w))))
                let d := byte(0, mload(add(tbl, byte(3, w))))
                if iszero(mul(a, b)) { bad := 1 }
                if and(lt(pad, 2), iszero(c)) { bad := 1 }
                if and(iszero(pad), iszero(d)) { bad := 1 }
                let group := or(or(shl(18, sub(a, 1)), shl(12, sub(b, 1))), or(shl(6, sub(c, iszero(iszero(c)))), sub(d, iszero(iszero(d)))))
                o := add(dst, mul(div(full, 4), 3))
                mstore8(o, shr(16, group))
                if lt(pad, 2) { mstore8(add(o, 1), and(shr(8, group), 0xff)) }
                if iszero(pad) { mstore8(add(o, 2), and(group, 0xff)) }
            }
        }
        ok = bad == 0;
    }

    function _skipSpace(bytes memory b, uint256 p, uint256 len) private pure returns (uint256) {
        while (p < len) {
            uint256 ch = _at(b, p);
            if (ch != 0x20 && ch != 0x09 && ch != CR && ch != LF) break;
            ++p;
        }
        return p;
    }

    function _matches(bytes memory b, uint256 p, uint256 len, bytes memory literal) private pure returns (bool) {
        if (p + literal.length > len) return false;
        for (uint256 i = 0; i < literal.length; ++i) {
            if (b[p + i] != literal[i]) return false;
        }
        return true;
    }

    /// @dev b[i] = v without a bounds check (callers keep i < b.length).
    function _put(bytes memory b, uint256 i, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore8(add(add(b, 0x20), i), v)
        }
    }

    function _at(bytes memory b, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := byte(0, mload(add(add(b, 0x20), i)))
        }
    }
}
