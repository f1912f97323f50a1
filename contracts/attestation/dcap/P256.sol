// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title P256
 * @notice ECDSA P-256 verification through the P256VERIFY precompile (EIP-7951, address 0x100, live in
 * osaka): input `hash || r || s || x || y` (160 bytes), output 32 bytes equal to 1 when valid and empty
 * otherwise. The precompile accepts high-s signatures, as Intel makes them. Also the on-curve test the
 * certificate checks use to refuse a bad key before any signature.
 */
library P256 {
    address internal constant PRECOMPILE = address(0x100);
    uint256 private constant INPUT_LENGTH = 160;
    uint256 private constant OUTPUT_LENGTH = 32;
    /// @dev Curve parameters (SEC 2, secp256r1): y^2 = x^3 - 3x + b mod p.
    uint256 internal constant P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff;
    uint256 internal constant B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b;

    /// @notice Whether (r, s) is a valid signature of `digest` (a SHA-256 hash) under the key (x, y).
    function verify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool) {
        return verifyAt(PRECOMPILE, digest, r, s, x, y);
    }

    /// @notice The P256VERIFY call made to `target`: true when it answers exactly 32 bytes equal to 1 (an address
    /// without code answers nothing: false). {P256Verifier}'s known-answer probe asks other addresses with it.
    function verifyAt(address target, bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y)
        internal
        view
        returns (bool valid)
    {
        assembly ("memory-safe") {
            let input := mload(0x40)
            mstore(input, digest)
            mstore(add(input, 0x20), r)
            mstore(add(input, 0x40), s)
            mstore(add(input, 0x60), x)
            mstore(add(input, 0x80), y)
            let ok := staticcall(gas(), target, input, INPUT_LENGTH, input, OUTPUT_LENGTH)
            valid := and(and(ok, eq(returndatasize(), OUTPUT_LENGTH)), eq(mload(input), 1))
        }
    }

    /// @notice Whether (x, y) is an affine point of P-256 (coordinates below p, on the curve).
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        uint256 lhs = mulmod(y, y, P);
        uint256 rhs = addmod(addmod(mulmod(mulmod(x, x, P), x, P), mulmod(P - 3, x, P), P), B, P);
        return lhs == rhs;
    }
}
