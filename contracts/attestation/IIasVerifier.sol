// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IasReport} from "./IasReport.sol";

/**
 * @title IIasVerifier
 * @notice What a group asks of its IAS verifier: a report's verdict under the deployment's policy, and
 * whether (and since when) a measurement is allowed.
 * @dev {AnonifyGroup} depends on this interface rather than on {IasVerifier}, so the verifier is compiled once,
 * under its own optimizer settings, and a group's build never carries a second copy of it.
 */
interface IIasVerifier {
    /**
     * @notice Verifies a report: signature, parsing, timestamp within the signing certificate's validity,
     * then the policy. Reverts with the first failing check's error.
     * @param keyId id of a registered signing key
     * @param report the exact JSON body IAS signed
     * @param signature the 256-byte RSA signature (raw, not base64)
     * @return verified the report's fields
     */
    function verifyReport(bytes32 keyId, bytes calldata report, bytes calldata signature)
        external
        view
        returns (IasReport.Verified memory verified);

    /// @notice Whether `mrenclave` is allowlisted.
    /// @param mrenclave the enclave measurement
    /// @return allowed whether it is on the allowlist (used when the MRENCLAVE check is on)
    function isMrenclaveAllowed(bytes32 mrenclave) external view returns (bool allowed);

    /// @notice When `mrenclave` was last taken off the allowlist.
    /// @param mrenclave the enclave measurement
    /// @return disallowedAt block.timestamp of the disallow that is still in force; 0 while it is allowed or when
    /// it was never allowed through the verifier's setter
    function mrenclaveDisallowedAt(bytes32 mrenclave) external view returns (uint64 disallowedAt);
}
