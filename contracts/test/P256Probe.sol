// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256} from "../attestation/dcap/P256.sol";
import {P256Software} from "../attestation/dcap/P256Software.sol";
import {P256Verifier} from "../attestation/dcap/P256Verifier.sol";

/**
 * @title P256Probe
 * @notice Test-only harness: both ECDSA P-256 paths and the precompile probe as external calls, each verdict
 * with the gas the library call took. Not deployed anywhere.
 */
contract P256Probe {
    /// @notice {P256.verify} (the precompile) and the gas it took.
    function precompileVerify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool valid, uint256 gasUsed) {
        uint256 before = gasleft();
        valid = P256.verify(digest, r, s, x, y);
        gasUsed = before - gasleft();
    }

    /// @notice {P256Software.verify} and the gas it took.
    function softwareVerify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool valid, uint256 gasUsed) {
        uint256 before = gasleft();
        valid = P256Software.verify(digest, r, s, x, y);
        gasUsed = before - gasleft();
    }

    /// @notice Both paths over many 160-byte inputs (digest, r, s, x, y) in one call, for the differential test.
    function verifyBoth(bytes32[5][] calldata inputs) external view returns (bool[] memory precompile, bool[] memory software) {
        precompile = new bool[](inputs.length);
        software = new bool[](inputs.length);
        for (uint256 i = 0; i < inputs.length; i++) {
            bytes32[5] calldata v = inputs[i];
            precompile[i] = P256.verify(v[0], v[1], v[2], v[3], v[4]);
            software[i] = P256Software.verify(v[0], v[1], v[2], v[3], v[4]);
        }
    }

    /// @notice {P256Verifier.verify} on the path given.
    function verifyWith(bool usePrecompile, bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256Verifier.verify(usePrecompile, digest, r, s, x, y);
    }

    /// @notice {P256Verifier.precompileAvailable}.
    function precompileAvailable() external view returns (bool) {
        return P256Verifier.precompileAvailable();
    }

    /// @notice {P256Verifier.precompileAnswersAt}.
    function precompileAnswersAt(address target) external view returns (bool) {
        return P256Verifier.precompileAnswersAt(target);
    }
}

/**
 * @title AnswersOne
 * @notice Test-only: returns the 32-byte word 1 to every call, as an unrelated contract at 0x100 might; the
 * probe's invalid known answer must refuse it.
 */
contract AnswersOne {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(uint256(1));
    }
}
