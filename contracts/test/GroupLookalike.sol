// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @title GroupLookalike
 * @notice Test only (test/node/preflight.test.ts): a contract with some of AnonifyGroup's views, standing in for an
 * AnonifyGroup of another version. It claims the ERC-165 interface ids it is given and signs in an EIP-712 domain
 * of the given version, so the node's pre-flight can be shown to refuse a group whose interface or domain differs.
 * Not part of Anonify.
 */
contract GroupLookalike {
    bytes4 private immutable _claimedInterface;
    string private _domainVersion;

    constructor(bytes4 claimedInterface, string memory domainVersion) {
        _claimedInterface = claimedInterface;
        _domainVersion = domainVersion;
    }

    function supportsInterface(bytes4 interfaceId) external view returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == _claimedInterface;
    }

    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", "Anonify", _domainVersion, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    function currentEpoch() external pure returns (uint64) {
        return 0;
    }

    function stateCounter() external pure returns (uint64) {
        return 0;
    }
}
