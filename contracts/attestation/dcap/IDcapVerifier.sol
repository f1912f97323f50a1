// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TcbStatus} from "./CollateralFields.sol";
import {IEnclaveVerifier} from "../IEnclaveVerifier.sol";

/**
 * @title IDcapVerifier
 * @notice The DCAP verifier: a group's {IEnclaveVerifier} for DCAP evidence (the raw quote), and a quote's full
 * verdict under the deployment's policy (Intel's signatures, the stored collateral, revocation, freshness, TCB
 * status, enclave policy) for tools, as {IIasVerifier} is for IAS reports.
 * @dev docs/attestation-dcap.md ("DcapVerifier") gives the check order and the errors; they are the TypeScript
 * verifier's (src/attestation/dcap/verifier.ts), argument for argument.
 */
interface IDcapVerifier is IEnclaveVerifier {
    /// @notice What a verified quote establishes.
    struct Verified {
        bytes32 mrenclave;
        bytes32 mrsigner;
        uint16 isvProdId;
        uint16 isvSvn;
        bool debug;
        /// @dev REPORTDATA bytes 0..31 and 32..63: what the caller binds (e.g. the enclave's key hash).
        bytes32 reportDataLow;
        bytes32 reportDataHigh;
        TcbStatus tcbStatus;
        TcbStatus qeTcbStatus;
        bytes6 fmspc;
        bytes2 pceId;
        /// @dev keccak256(abi.encode(advisoryIds)) of the platform's and the QE's TCB level (0: none); the IDs are in
        /// {DcapCollateral.TcbInfoUpdated} / {DcapCollateral.QeIdentityUpdated}.
        bytes32 tcbAdvisoryHash;
        bytes32 qeAdvisoryHash;
        /// @dev The lower of TCB Info's and QE Identity's.
        uint32 tcbEvaluationDataNumber;
        /// @dev The earliest nextUpdate of the collateral used (TCB Info, QE Identity, both CRLs), without grace.
        uint64 collateralNextUpdate;
        uint16 quoteVersion;
        /// @dev keccak256 of the PCK chain PEM (the cache key).
        bytes32 pckChainHash;
    }

    /// @notice A quote verified under the policy.
    /// @param mrenclave the enclave measurement
    /// @param fmspc the platform family
    /// @param pckChainHash keccak256 of the PCK chain PEM
    /// @param tcbStatus the platform's TCB status
    /// @param qeTcbStatus the quoting enclave's TCB status
    /// @param tcbAdvisoryHash the platform level's advisory IDs hash (0: none)
    /// @param qeAdvisoryHash the QE level's advisory IDs hash (0: none)
    /// @param reportDataLow REPORTDATA bytes 0..31
    event QuoteVerified(
        bytes32 indexed mrenclave,
        bytes6 indexed fmspc,
        bytes32 indexed pckChainHash,
        TcbStatus tcbStatus,
        TcbStatus qeTcbStatus,
        bytes32 tcbAdvisoryHash,
        bytes32 qeAdvisoryHash,
        bytes32 reportDataLow
    );

    /**
     * @notice Verifies an SGX ECDSA quote (v3 or v4) at block.timestamp against the stored collateral and the
     * policy; caches its PCK chain once verified. Reverts with the first failing check's error.
     * @param quote the raw quote, its PCK chain inside (certification data type 5)
     * @return verified the quote's fields
     */
    function verifyQuote(bytes calldata quote) external returns (Verified memory verified);

    /// @notice The P-256 path the known-answer probe chose at deployment.
    /// @return whether signatures go to the P256VERIFY precompile (else {P256Software})
    function usesP256Precompile() external view returns (bool);
}
