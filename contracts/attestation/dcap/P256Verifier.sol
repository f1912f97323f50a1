// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256} from "./P256.sol";
import {P256Software} from "./P256Software.sol";

/**
 * @title P256Verifier
 * @notice Picks the ECDSA P-256 path: the P256VERIFY precompile (EIP-7951, 0x100) where the chain has it,
 * {P256Software} elsewhere. The choice is made once (at deployment, or set by configuration) with
 * {precompileAvailable}, a known-answer test, and then passed to {verify} on every call; both paths give the
 * same verdict for every input, high s accepted.
 *
 * The known answer is a high-s signature (so a precompile that refused high s, unlike Intel's signers and
 * EIP-7951, would not be trusted) generated with Node's crypto for this file: key (KAT_X, KAT_Y), message
 * "anonify P256VERIFY known answer", digest = SHA-256(message). The address must answer exactly 32 bytes
 * equal to 1 for it, and anything else for the same input with the digest's last bit flipped: an address
 * without code (no precompile: empty output), or code that answers 1 to everything, is not trusted.
 */
library P256Verifier {
    bytes32 private constant KAT_DIGEST = 0x18577b9e2faf8da278030c8c78518016c5fb23af61eaaf2467595da3fec0c192;
    bytes32 private constant KAT_R = 0x61cb6fa3bb0d6fe4cfbc08c049e7c2a2a55a3b19c4f7a467d3ca04c771b95982;
    /// @dev Above n/2 (high s).
    bytes32 private constant KAT_S = 0xe1f3f6d47923c2154aa24130023eec2ccc2b81d44338c57b8237574583059ba1;
    bytes32 private constant KAT_X = 0x6a1955b8a861e8c48e54a91936ee8f9ee68b17afa373e9e38e1a5fea8abfbb18;
    bytes32 private constant KAT_Y = 0x4383da335dfba42113885a6a43bed2f7fc117727eb45e37c6c8e58679a10de76;
    /// @dev The invalid known answer: KAT_DIGEST with its last bit flipped.
    bytes32 private constant KAT_BAD_DIGEST = KAT_DIGEST ^ bytes32(uint256(1));

    /// @notice Whether (r, s) is a valid signature of `digest` under (x, y), through the precompile when
    /// `usePrecompile` (the result of {precompileAvailable} kept at deployment), else in EVM code.
    function verify(bool usePrecompile, bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool) {
        return usePrecompile ? P256.verify(digest, r, s, x, y) : P256Software.verify(digest, r, s, x, y);
    }

    /// @notice Whether this chain's P256VERIFY precompile passes the known-answer test.
    function precompileAvailable() internal view returns (bool) {
        return precompileAnswersAt(P256.PRECOMPILE);
    }

    /// @notice Whether `target` answers the known-answer test as P256VERIFY does: 1 for the valid vector, not
    /// 1 for the invalid one.
    function precompileAnswersAt(address target) internal view returns (bool) {
        return answersOne(target, KAT_DIGEST) && !answersOne(target, KAT_BAD_DIGEST);
    }

    /// @notice Whether `target` returns exactly 32 bytes equal to 1 for the known-answer input with `digest`.
    function answersOne(address target, bytes32 digest) private view returns (bool) {
        return P256.verifyAt(target, digest, KAT_R, KAT_S, KAT_X, KAT_Y);
    }
}
