// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IEnclaveVerifier
 * @notice What a group asks of its attestation verifier, whatever the evidence kind: verify one enclave's evidence
 * under the deployment's policy and say what it attests, and whether (and since when) a measurement is allowed.
 * @dev {AnonifyGroup} passes a join's evidence through unread, so one group contract serves every kind. The layout of
 * `evidence` is the verifier's ({evidenceKind}):
 *  - {EvidenceKind.IAS}: `keyId (32) ‖ signature (256, RSA-2048) ‖ report (the exact bytes IAS signed)`;
 *  - {EvidenceKind.DCAP}: the raw SGX ECDSA quote (its PCK certificate chain inside).
 */
interface IEnclaveVerifier {
    /// @notice What verified evidence attests: the measurement and the 64-byte REPORTDATA (low = bytes 0..32).
    struct Attested {
        bytes32 mrenclave;
        bytes32 reportDataLow;
        bytes32 reportDataHigh;
    }

    /// @notice `evidence` is shorter than its kind's fixed part.
    error EvidenceTooShort(uint256 length, uint256 minimum);

    /// @notice The kind of evidence {verifyEvidence} takes ({EvidenceKind}).
    /// @return kind 1 = IAS report, 2 = DCAP quote
    function evidenceKind() external view returns (uint8 kind);

    /**
     * @notice Verifies evidence under the pinned root and the policy; reverts with the first failing check's error.
     * @dev Not view: a verifier may cache what it verified (e.g. a DCAP platform's PCK certificate).
     * @param evidence in the verifier's layout (see the interface's documentation)
     * @return attested the measurement and REPORTDATA the evidence attests
     */
    function verifyEvidence(bytes calldata evidence) external returns (Attested memory attested);

    /// @notice Whether `mrenclave` is allowlisted.
    /// @param mrenclave the enclave measurement
    /// @return allowed whether it is on the allowlist
    function isMrenclaveAllowed(bytes32 mrenclave) external view returns (bool allowed);

    /// @notice When `mrenclave` was last taken off the allowlist.
    /// @param mrenclave the enclave measurement
    /// @return disallowedAt block.timestamp of the disallow that is still in force; 0 while it is allowed or when
    /// it was never allowed through the verifier's setter
    function mrenclaveDisallowedAt(bytes32 mrenclave) external view returns (uint64 disallowedAt);
}

/// @title EvidenceKind
/// @notice The evidence kinds of {IEnclaveVerifier.evidenceKind}.
library EvidenceKind {
    /// @notice An Intel Attestation Service (EPID) report.
    uint8 internal constant IAS = 1;
    /// @notice An SGX DCAP (ECDSA) quote.
    uint8 internal constant DCAP = 2;
}
