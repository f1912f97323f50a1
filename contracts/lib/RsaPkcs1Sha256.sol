// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title RsaPkcs1Sha256
 * @notice RSASSA-PKCS1-v1_5 / SHA-256 verification for RSA-2048 keys with exponent 65537, by
 * encode-and-compare (RFC 8017 section 8.2.2): `s < n`, `m = s^e mod n` (MODEXP precompile), and
 * `m` must equal, word for word, `0x00 01 FF..FF 00 || DigestInfo(sha256) || digest`, with the
 * DigestInfo's NULL parameters present or absent (the two forms OpenZeppelin's `RSA.pkcs1Sha256`
 * accepts).
 * @dev Same accept set as OpenZeppelin `RSA.pkcs1Sha256` for 256-byte keys and e = 65537 (a
 * differential test checks it), at a fraction of the cost: OpenZeppelin checks the ~200 padding
 * bytes one at a time (~18k gas), here they are 7 word comparisons, and the precompile input is
 * assembled in place from calldata. Report verification uses this; the rare certificate checks use
 * OpenZeppelin's `RSA` directly.
 */
library RsaPkcs1Sha256 {
    uint256 internal constant KEY_BYTES = 256;

    uint256 private constant MODEXP = 0x05; // precompile address
    /// @dev Precompile input: three 32-byte lengths, s (256), e (3), n (256).
    uint256 private constant EXPONENT_BYTES = 3;
    uint256 private constant EXPONENT_65537 = 0x010001;
    uint256 private constant INPUT_BYTES = 0x263; // 0x60 + 256 + 3 + 256

    /// @dev Word 0 of the encoded message: 00 01 then padding.
    uint256 private constant EM_WORD_0 = 0x0001ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev Words 1-5: padding only.
    uint256 private constant EM_PADDING_WORD = 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    /// @dev Word 6 with explicit NULL: 12 padding bytes, 00, 3031300d060960864801650304020105000420.
    uint256 private constant EM_WORD_6_NULL = 0xffffffffffffffffffffffff003031300d060960864801650304020105000420;
    /// @dev Word 6 without parameters: 14 padding bytes, 00, 302f300b06096086480165030402010420.
    uint256 private constant EM_WORD_6_NO_PARAMS = 0xffffffffffffffffffffffffffff00302f300b06096086480165030402010420;

    /**
     * @notice Whether `signature` is a valid PKCS#1 v1.5 SHA-256 signature of `digest` under the
     * RSA-2048 public key (`modulus`, 65537).
     * @param modulus the 256-byte modulus (big-endian, no leading zero byte)
     */
    function verify(bytes32 digest, bytes calldata signature, bytes memory modulus) internal view returns (bool ok) {
        if (signature.length != KEY_BYTES || modulus.length != KEY_BYTES) return false;
        assembly ("memory-safe") {
            let n := add(modulus, 0x20)
            // RSAVP1 step 1: s < n (big-endian, word by word)
            let less := 0
            for { let i := 0 } lt(i, KEY_BYTES) { i := add(i, 0x20) } {
                let s := calldataload(add(signature.offset, i))
                let m := mload(add(n, i))
                if lt(s, m) {
                    less := 1
                    break
                }
                if gt(s, m) { break }
            }
            if less {
                // MODEXP input in free memory (not allocated: scratch for this call only)
                let input := mload(0x40)
                mstore(input, KEY_BYTES)
                mstore(add(input, 0x20), EXPONENT_BYTES)
                mstore(add(input, 0x40), KEY_BYTES)
                calldatacopy(add(input, 0x60), signature.offset, KEY_BYTES)
                mstore(add(input, 0x160), shl(232, EXPONENT_65537))
                mcopy(add(input, 0x163), n, KEY_BYTES)
                // the output (256 bytes) overwrites the input
                if staticcall(gas(), MODEXP, input, INPUT_BYTES, input, KEY_BYTES) {
                    if eq(returndatasize(), KEY_BYTES) {
                        let w6 := mload(add(input, 0xc0))
                        let padding := and(
                            and(mload(add(input, 0x20)), mload(add(input, 0x40))),
                            and(and(mload(add(input, 0x60)), mload(add(input, 0x80))), mload(add(input, 0xa0)))
                        )
                        ok := and(
                            and(eq(mload(input), EM_WORD_0), eq(mload(add(input, 0xe0)), digest)),
                            and(or(eq(w6, EM_WORD_6_NULL), eq(w6, EM_WORD_6_NO_PARAMS)), eq(padding, EM_PADDING_WORD))
                        )
                    }
                }
            }
        }
    }
}
