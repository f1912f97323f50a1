// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256Software} from "./P256Software.sol";
import {PckChain} from "./PckChain.sol";

/**
 * @title PckChainVerification
 * @notice {PckChain.verify} as a linked (public) library, so {DcapVerifier} stays under the 24,576-byte code
 * limit: the PEM split, two X.509 parses, the SGX extension and the two certificate signatures on the P-256
 * path the verifier's probe chose, called only for a chain the verifier has not cached yet; and {P256Software}
 * for the verifier's own signatures when its probe found no P256VERIFY.
 */
library PckChainVerification {
    /**
     * @notice Checks the PCK chain `pem` (PCK, PCK CA, root) under `root` at `now_` and reads the SGX extension.
     * Reverts with the TypeScript verifier's errors (docs/attestation-dcap.md step 2).
     * @param pem the chain as the quote carries it
     * @param root the pinned root
     * @param now_ unix seconds
     * @param usePrecompile the P-256 path ({P256Verifier.precompileAvailable} at the verifier's deployment)
     * @return the verified chain
     */
    function verify(bytes calldata pem, PckChain.PinnedRoot calldata root, uint256 now_, bool usePrecompile)
        external
        view
        returns (PckChain.Verified memory)
    {
        return PckChain.verify(pem, root, now_, usePrecompile);
    }

    /**
     * @notice {P256Software.verify}: whether (r, s) is a valid signature of `digest` under (x, y), in EVM code.
     * @param digest SHA-256 of the signed bytes
     * @param r signature r
     * @param s signature s (high s accepted)
     * @param x key x
     * @param y key y
     * @return valid the verdict P256VERIFY would give
     */
    function softwareVerify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool valid) {
        return P256Software.verify(digest, r, s, x, y);
    }
}
