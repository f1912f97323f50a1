// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title SgxQuote
 * @notice Layout of the 432-byte SGX quote body that IAS returns base64-encoded in
 * `isvEnclaveQuoteBody` (48-byte quote header followed by the 384-byte REPORT_BODY).
 * @dev Readers take a memory buffer whose length the caller has checked to be {BODY_LENGTH}.
 */
library SgxQuote {
    uint256 internal constant BODY_LENGTH = 432;

    /// @dev attributes.flags, u64 little-endian; bit 1 (0x02) is DEBUG.
    uint256 internal constant ATTRIBUTES_FLAGS_OFFSET = 96;
    uint256 internal constant DEBUG_FLAG = 0x02;
    uint256 internal constant MRENCLAVE_OFFSET = 112;
    uint256 internal constant MRSIGNER_OFFSET = 176;
    /// @dev u16 little-endian.
    uint256 internal constant ISV_PROD_ID_OFFSET = 304;
    /// @dev u16 little-endian.
    uint256 internal constant ISV_SVN_OFFSET = 306;
    /// @dev 64 bytes, read as two words.
    uint256 internal constant REPORT_DATA_OFFSET = 368;
    uint256 internal constant REPORT_DATA_HIGH_OFFSET = 400;

    /// @notice The 32-byte word at `offset` of `body`.
    function word(bytes memory body, uint256 offset) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(body, 0x20), offset))
        }
    }

    /// @notice The little-endian u16 at `offset` of `body`.
    function uint16LE(bytes memory body, uint256 offset) internal pure returns (uint16 v) {
        uint256 w = uint256(word(body, offset));
        v = uint16(((w >> 248) & 0xff) | (((w >> 240) & 0xff) << 8));
    }

    /// @notice Whether the DEBUG attribute (flags bit 1) is set; the flags' low byte comes first (LE).
    function isDebug(bytes memory body) internal pure returns (bool) {
        return (uint256(word(body, ATTRIBUTES_FLAGS_OFFSET)) >> 248) & DEBUG_FLAG != 0;
    }
}
