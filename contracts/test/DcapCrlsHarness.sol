// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCrls} from "../attestation/dcap/DcapCrls.sol";

/// @title DcapCrlsHarness
/// @notice Test-only: {DcapCrls} with a settable clock (Intel's 2025 CRLs upserted at their time). Not deployed anywhere.
contract DcapCrlsHarness is DcapCrls {
    uint256 private _time;

    /// @param rootDer the root to pin
    constructor(bytes memory rootDer) DcapCrls(rootDer) {}

    /// @notice Upserts are checked at `time` from now on (0: block.timestamp).
    /// @param time unix seconds
    function setNow(uint256 time) external {
        _time = time;
    }

    function _now() internal view override returns (uint256) {
        return _time == 0 ? block.timestamp : _time;
    }
}
