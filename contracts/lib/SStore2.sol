// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Create3} from "@openzeppelin/contracts/utils/Create3.sol";

/**
 * @title SStore2
 * @notice Immutable byte blobs stored as the runtime code of a data contract, read back with one
 * EXTCODECOPY (cold: 2,600 gas + copy) instead of one SLOAD per 32 bytes (2,100 each).
 * @dev The runtime code is `0x00 (STOP) || data`, so the data contract cannot be called usefully.
 * {writeAt} places the blob at an address derived from a salt only (OpenZeppelin `Create3`), so a
 * reader needs no storage slot to find it: reading an address never written yields zeros.
 */
library SStore2 {
    /// @notice Creating the data contract failed.
    error DataStoreCreationFailed();

    /// @dev Runtime code starts with one STOP byte before the data.
    uint256 private constant DATA_OFFSET = 1;
    /// @dev Init code: PUSH2 <size> DUP1 PUSH1 0x0a RETURNDATASIZE CODECOPY RETURNDATASIZE RETURN.
    bytes8 private constant INIT_TAIL = 0x80600a3d393df300; // ...followed by the STOP that starts the runtime
    uint256 private constant MAX_DATA_LENGTH = 0x5fff; // EIP-170 limit minus the STOP byte

    /// @notice Deploys `data` as code and returns the data contract's address.
    function write(bytes memory data) internal returns (address pointer) {
        if (data.length > MAX_DATA_LENGTH) revert DataStoreCreationFailed();
        bytes memory initCode = _initCode(data);
        assembly ("memory-safe") {
            pointer := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (pointer == address(0)) revert DataStoreCreationFailed();
    }

    /// @notice Deploys `data` as code at {pointerOf}(`salt`); reverts if `salt` was used before.
    function writeAt(bytes32 salt, bytes memory data) internal returns (address pointer) {
        if (data.length > MAX_DATA_LENGTH) revert DataStoreCreationFailed();
        pointer = Create3.deploy(0, salt, _initCode(data));
    }

    /// @notice Where {writeAt} puts the blob of `salt` (whether or not it exists yet).
    function pointerOf(bytes32 salt) internal view returns (address) {
        return Create3.computeAddress(salt);
    }

    /// @notice Reads `length` bytes of data from `pointer` starting at data offset `start`
    /// (zeros where the pointer holds no code).
    function read(address pointer, uint256 start, uint256 length) internal view returns (bytes memory data) {
        assembly ("memory-safe") {
            data := mload(0x40)
            mstore(data, length)
            extcodecopy(pointer, add(data, 0x20), add(start, DATA_OFFSET), length)
            mstore(0x40, add(add(data, 0x20), and(add(length, 0x1f), not(0x1f))))
        }
    }

    function _initCode(bytes memory data) private pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0x61), uint16(data.length + DATA_OFFSET), INIT_TAIL, data);
    }
}
