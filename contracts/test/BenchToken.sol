// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title BenchToken
 * @notice Benchmark reference only (bench/gas.ts): a plain OpenZeppelin ERC-20 whose `transfer` is measured in the
 * same run as the Anonify operations, as a familiar yardstick. Not part of Anonify.
 */
contract BenchToken is ERC20 {
    /// @param supply Minted to the deployer.
    constructor(uint256 supply) ERC20("Anonify Bench Token", "ABENCH") {
        _mint(msg.sender, supply);
    }
}
