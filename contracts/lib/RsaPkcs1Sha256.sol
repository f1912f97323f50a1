// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title RsaPkcs1Sha256
 * @notice RSASSA-PKCS1-v1_5 / SHA-256 verification for RSA-2048 by encode-and-compare
 * (RFC 8017 section 8.2.2 steps 1-4): the recovered encoded message must equal, word for word,
 * `0x00 01 FF..FF 00 || DigestInfo(sha256) || digest`, with the DigestInfo's NULL parameters
 * present or absent (the two forms OpenZeppelin's `RSA.pkcs1Sha256` accepts).
 * @dev Same accept set as OpenZeppelin `RSA.pkcs1Sha256` for 256-byte keys (also `s < n`), at a
 * fraction of its cost: OpenZeppelin checks the ~200 padding bytes one at a time (~20k gas),
 * here they are 7 word comparisons. Modular exponentiation is OpenZeppelin's `Math.tryModExp`.
 * The report path uses this; certificate checks (rare) use OpenZeppelin's `RSA` directly.
 */
library RsaPkcs1Sha256 {
    uint256 internal constant KEY_BYTES = 256;

    /// @dev Word 0 of the encoded message: 00 01 then padding.
    uint256 private constant EM_WORD_0 = 0x0001ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev Words 1-5: padding only.
    uint256 private constant EM_PADDING_WORD = 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev Word 6 with explicit NULL: 12 padding bytes, 00, 3031300d060960864801650304020105000420.
    uint256 private constant EM_WORD_6_NULL = 0xffffffffffffffffffffffff003031300d060960864801650304020105000420;
    /// @dev Word 6 without parameters: 14 padding bytes, 00, 302f300b0609608648016503040201 0420.
    uint256 private constant EM_WORD_6_NO_PARAMS = 0xffffffffffffffffffffffffffff00302f300b06096086480165030402010420;

    /**
     * @notice Whether `signature` is a valid PKCS#1 v1.5 SHA-256 signature of `digest` under the
     * RSA-2048 key (`modulus`, exponent `exponent`).
     * @param modulus exactly 256 bytes, top bit set (checked at key registration)
     */
    function verify(bytes32 digest, bytes calldata signature, bytes memory exponent, bytes memory modulus)
        internal
        view
        returns (bool)
    {
        if (signature.length != KEY_BYTES || modulus.length != KEY_BYTES) return false;
        bytes memory s = signature;
        if (!_lessThan(s, modulus)) return false; // RSAVP1 step 1: s < n
        (bool success, bytes memory em) = Math.tryModExp(s, exponent, modulus);
        if (!success || em.length != KEY_BYTES) return false;
        bool ok;
        assembly ("memory-safe") {
            let p := add(em, 0x20)
            let w6 := mload(add(p, 0xc0))
            ok := and(
                and(eq(mload(p), EM_WORD_0), eq(mload(add(p, 0xe0)), digest)),
                or(eq(w6, EM_WORD_6_NULL), eq(w6, EM_WORD_6_NO_PARAMS))
            )
            let padding := and(
                and(mload(add(p, 0x20)), mload(add(p, 0x40))),
                and(and(mload(add(p, 0x60)), mload(add(p, 0x80))), mload(add(p, 0xa0)))
            )
            ok := and(ok, eq(padding, EM_PADDING_WORD))
        }
        return ok;
    }

    /// @dev a < b for two 256-byte big-endian numbers.
    function _lessThan(bytes memory a, bytes memory b) private pure returns (bool less) {
        assembly ("memory-safe") {
            for { let i := 0x20 } lt(i, 0x120) { i := add(i, 0x20) } {
                let x := mload(add(a, i))
                let y := mload(add(b, i))
                if lt(x, y) {
                    less := 1
                    break
                }
                if gt(x, y) { break }
            }
        }
    }
}
