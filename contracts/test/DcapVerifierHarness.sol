// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCollateral} from "../attestation/dcap/DcapCollateral.sol";
import {DcapCrls} from "../attestation/dcap/DcapCrls.sol";
import {DcapVerifier} from "../attestation/dcap/DcapVerifier.sol";

/**
 * @title DcapVerifierHarness
 * @notice Test-only: {DcapVerifier} with a settable clock (Intel's 2025 vectors verified at their own time on a
 * chain whose blocks carry today's time) and, when `forceSoftware`, the software P-256 path whatever the probe
 * would answer (to exercise {P256Software} on a chain that has P256VERIFY). Not deployed anywhere.
 */
contract DcapVerifierHarness is DcapVerifier {
    uint256 private _time;
    bool private immutable _forceSoftware;

    /// @param rootDer the root to pin
    /// @param collateral_ the collateral store
    /// @param crls_ the CRL store
    /// @param admin the admin and policy holder
    /// @param forceSoftware take the software P-256 path
    constructor(bytes memory rootDer, DcapCollateral collateral_, DcapCrls crls_, address admin, bool forceSoftware)
        DcapVerifier(rootDer, collateral_, crls_, admin, 0)
    {
        _forceSoftware = forceSoftware;
    }

    /// @notice Verifications use `time` from now on (0: block.timestamp).
    /// @param time unix seconds
    function setNow(uint256 time) external {
        _time = time;
    }

    function _now() internal view override returns (uint256) {
        return _time == 0 ? block.timestamp : _time;
    }

    function _probeP256() internal view override returns (bool) {
        return _forceSoftware ? false : super._probeP256();
    }
}
