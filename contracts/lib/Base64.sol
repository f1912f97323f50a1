// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Base64
 * @notice Strict decoding of standard base64 (RFC 4648 section 4) read from calldata.
 * @dev Strict means: length a multiple of 4, `=` only as the last one or two characters, and
 * canonical encoding (the unused low bits before the padding are zero). The whole input is
 * validated; the caller turns `valid == false` into its own error.
 *
 * Decoding is SWAR: 32 characters per 256-bit word. Each byte is classified into the five
 * alphabet ranges with borrow-free byte-wise compares, mapped to its 6-bit value with a
 * carry-free byte-wise add, and the 32 sextets are packed into 24 bytes in five shift/mask steps.
 * About 1/8 of the cost of a per-character lookup table.
 */
library Base64 {
    uint256 private constant HIGH_BITS = 0x8080808080808080808080808080808080808080808080808080808080808080;
    uint256 private constant LOW_7_BITS = 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f;
    /// @dev `b * ONES` repeats byte b in all 32 positions.
    uint256 private constant ONES = 0x0101010101010101010101010101010101010101010101010101010101010101;
    uint256 private constant FILLER = 0x41; // 'A' (value 0) stands in for padding and bytes past the end
    uint256 private constant PAD = 0x3d; // '='
    uint256 private constant CHARS_PER_WORD = 32;
    uint256 private constant BYTES_PER_WORD = 24;

    /**
     * @notice Decodes `input`; `valid` is false (and `decoded` meaningless) on any violation.
     */
    function decode(bytes calldata input) internal pure returns (bool valid, bytes memory decoded) {
        uint256 length = input.length;
        if (length % 4 != 0) return (false, decoded);
        if (length == 0) return (true, decoded);
        assembly ("memory-safe") {
            let end := add(input.offset, length)
            let padding := eq(byte(0, calldataload(sub(end, 1))), PAD)
            if padding { padding := add(padding, eq(byte(0, calldataload(sub(end, 2))), PAD)) }
            let decodedLength := sub(mul(div(length, 4), 3), padding)

            decoded := mload(0x40)
            mstore(decoded, decodedLength)
            // Each word writes 32 bytes for 24 decoded ones: reserve one spare word.
            mstore(0x40, add(add(decoded, 0x40), and(add(decodedLength, 0x1f), not(0x1f))))

            let out := add(decoded, 0x20)
            let src := input.offset
            let acc := HIGH_BITS
            for {} 1 {} {
                let w := calldataload(src)
                let remaining := sub(end, src)
                let last := lt(remaining, add(CHARS_PER_WORD, 1))
                if last {
                    // bytes past the end and the padding become 'A' (value 0)
                    let keep := not(shr(shl(3, sub(remaining, padding)), not(0)))
                    w := or(and(w, keep), and(mul(FILLER, ONES), not(keep)))
                }

                // Classify the 32 characters. Ranges are tested byte-wise and borrow-free on
                // (byte | 0x80): bit 7 of ((b | 0x80) - lo) is set iff b >= lo.
                let wh := or(w, HIGH_BITS)
                let upper := and( // A-Z -> 0..25
                    and(sub(wh, 0x4141414141414141414141414141414141414141414141414141414141414141),
                        not(sub(wh, 0x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b))),
                    HIGH_BITS)
                let lower := and( // a-z -> 26..51
                    and(sub(wh, 0x6161616161616161616161616161616161616161616161616161616161616161),
                        not(sub(wh, 0x7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b))),
                    HIGH_BITS)
                let digit := and( // 0-9 -> 52..61
                    and(sub(wh, 0x3030303030303030303030303030303030303030303030303030303030303030),
                        not(sub(wh, 0x3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a))),
                    HIGH_BITS)
                // '+' -> 62, '/' -> 63: exact byte equality, (b & 0x7f) + 0x7f never carries
                let x := xor(w, 0x2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b)
                let plus := and(not(or(add(and(x, LOW_7_BITS), LOW_7_BITS), x)), HIGH_BITS)
                x := xor(w, 0x2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f)
                let slash := and(not(or(add(and(x, LOW_7_BITS), LOW_7_BITS), x)), HIGH_BITS)
                // valid bytes: in a class and below 0x80
                acc := and(acc, and(or(or(or(upper, lower), digit), or(plus, slash)), not(w)))

                // Sextet values: add per-byte offsets (mod 256) chosen by the class flags
                // (0x80 >> 7 = 0x01, times the offset). Classes are disjoint: no byte exceeds 0xbf.
                let offsets := add(
                    add(mul(shr(7, upper), 0xbf), mul(shr(7, lower), 0xb9)),
                    add(add(shl(2, shr(7, digit)), mul(shr(7, plus), 0x13)), shl(4, shr(7, slash)))
                )
                let v := xor(add(and(w, LOW_7_BITS), and(offsets, LOW_7_BITS)), and(xor(w, offsets), HIGH_BITS))

                if last {
                    // canonical: the sextet before the padding has no bits beyond the data
                    if eq(padding, 1) { if and(byte(sub(remaining, 2), v), 0x03) { acc := 0 } }
                    if eq(padding, 2) { if and(byte(sub(remaining, 3), v), 0x0f) { acc := 0 } }
                }

                // Pack 32 sextets (one per byte) into 24 bytes: pairs into 12 bits, 24, 48, 96, 192.
                let hi := and(v, 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00)
                v := or(shr(2, hi), xor(v, hi))
                hi := and(v, 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000)
                v := or(shr(4, hi), xor(v, hi))
                hi := and(v, 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000)
                v := or(shr(8, hi), xor(v, hi))
                hi := and(v, 0xffffffffffffffff0000000000000000ffffffffffffffff0000000000000000)
                v := or(shr(16, hi), xor(v, hi))
                hi := and(v, 0xffffffffffffffffffffffffffffffff00000000000000000000000000000000)
                v := or(shr(32, hi), xor(v, hi))
                mstore(out, shl(64, v))

                if last { break }
                src := add(src, CHARS_PER_WORD)
                out := add(out, BYTES_PER_WORD)
            }
            valid := eq(acc, HIGH_BITS)
        }
    }
}
