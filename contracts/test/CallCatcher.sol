// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title CallCatcher
 * @notice Test helper: calls a contract and returns its revert as data, so that an `eth_call` of a refused
 * verification succeeds at the top level.
 * @dev Hardhat's network builds a Solidity stack trace for every call that reverts at the top level; after a
 * multi-million-gas DCAP verification or collateral upsert that takes several times as long as the call itself. The
 * differential tests make hundreds of such calls and need only the revert data, which a caught revert carries
 * unchanged. The target sees this contract as `msg.sender`: use it only for functions that do not read it.
 */
contract CallCatcher {
    /// @notice Calls `target` with `data` (all gas but the 1/64 that EIP-150 keeps back).
    /// @return success Whether the call returned.
    /// @return result Its return data, or its revert data.
    function tryCall(address target, bytes calldata data) external returns (bool success, bytes memory result) {
        (success, result) = target.call(data);
    }
}
