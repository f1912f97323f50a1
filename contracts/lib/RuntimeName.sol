// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title RuntimeName
 * @notice The rule for a state runtime's name, the same as the enclave's (`valid_runtime_name`,
 * enclave/include/anonify/runtime/registry.h): 1 to 64 bytes of `[a-z0-9._/-]`, starting with a letter or
 * digit (`anonify-token/v1`). The name travels in the group policy every enclave checks, so a name the
 * enclave would refuse is refused at deployment already.
 */
library RuntimeName {
    /// @notice Longest name.
    uint256 internal constant MAX_LENGTH = 64;

    /// @notice Whether `name` follows the rule.
    function isValid(string memory name) internal pure returns (bool) {
        bytes memory b = bytes(name);
        if (b.length == 0 || b.length > MAX_LENGTH) return false;
        for (uint256 i; i < b.length; ++i) {
            bytes1 c = b[i];
            bool alphanumeric = (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
            if (alphanumeric) continue;
            if (i == 0 || (c != "." && c != "_" && c != "/" && c != "-")) return false;
        }
        return true;
    }
}
