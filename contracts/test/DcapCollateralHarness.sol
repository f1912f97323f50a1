// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCollateral} from "../attestation/dcap/DcapCollateral.sol";

/**
 * @title DcapCollateralHarness
 * @notice Test-only: {DcapCollateral} with a settable clock, so Intel's real (2025) collateral can be upserted
 * at its own time on a chain whose blocks carry today's time. Not deployed anywhere.
 */
contract DcapCollateralHarness is DcapCollateral {
    uint256 private _time;

    /// @param rootDer the root to pin
    constructor(bytes memory rootDer) DcapCollateral(rootDer) {}

    /// @notice Upserts are checked at `time` from now on (0: block.timestamp).
    /// @param time unix seconds
    function setNow(uint256 time) external {
        _time = time;
    }

    function _now() internal view override returns (uint256) {
        return _time == 0 ? block.timestamp : _time;
    }
}
