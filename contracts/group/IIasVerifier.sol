// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @title IIasVerifier
 * @notice The part of `IasVerifier` (contracts/attestation/) the group uses. Temporary: replaced by the verifier's own
 * types as soon as they land.
 */
interface IIasVerifier {
    struct Verified {
        uint64 timestamp;
        uint8 version;
        bytes32 statusHash;
        bytes32 mrenclave;
        bytes32 mrsigner;
        uint16 isvProdId;
        uint16 isvSvn;
        bool debug;
        bytes32 reportDataLow;
        bytes32 reportDataHigh;
    }

    function verifyReport(bytes32 keyId, bytes calldata report, bytes calldata signature)
        external
        view
        returns (Verified memory);

    function isMrenclaveAllowed(bytes32 mrenclave) external view returns (bool);
}
