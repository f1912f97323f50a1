// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCollateral} from "../attestation/dcap/DcapCollateral.sol";
import {DcapCrls} from "../attestation/dcap/DcapCrls.sol";
import {DcapVerifier} from "../attestation/dcap/DcapVerifier.sol";

/**
 * @title DcapVerifierHarness
 * @notice Test-only: {DcapVerifier} with a settable clock, so Intel's 2025 vectors are verified at their own time
 * on a chain whose blocks carry today's time. Not deployed anywhere.
 */
contract DcapVerifierHarness is DcapVerifier {
    uint256 private _time;

    /// @param rootDer the root to pin
    /// @param collateral_ the collateral store
    /// @param crls_ the CRL store
    /// @param admin the admin and policy holder
    constructor(bytes memory rootDer, DcapCollateral collateral_, DcapCrls crls_, address admin)
        DcapVerifier(rootDer, collateral_, crls_, admin, 0)
    {}

    /// @notice Verifications use `time` from now on (0: block.timestamp).
    /// @param time unix seconds
    function setNow(uint256 time) external {
        _time = time;
    }

    function _now() internal view override returns (uint256) {
        return _time == 0 ? block.timestamp : _time;
    }
}

/**
 * @title DcapVerifierSoftwareHarness
 * @notice Test-only: {DcapVerifierHarness} whose probe answers "no precompile", so the software P-256 path
 * ({P256Software}) runs on a chain that has P256VERIFY, as it would on a chain without it. Not deployed anywhere.
 */
contract DcapVerifierSoftwareHarness is DcapVerifierHarness {
    /// @param rootDer the root to pin
    /// @param collateral_ the collateral store
    /// @param crls_ the CRL store
    /// @param admin the admin and policy holder
    constructor(bytes memory rootDer, DcapCollateral collateral_, DcapCrls crls_, address admin)
        DcapVerifierHarness(rootDer, collateral_, crls_, admin)
    {}

    function _probeP256() internal pure override returns (bool) {
        return false;
    }
}
