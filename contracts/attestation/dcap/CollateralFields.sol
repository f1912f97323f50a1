// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {CollateralJson} from "./CollateralJson.sol";
import {DateTime} from "../../lib/DateTime.sol";
import {CollateralFieldInvalid, CollateralKind} from "./DcapErrors.sol";

/// @notice TCB statuses of TCB Info v3 and QE Identity v2, in collateral.ts `TCB_STATUSES` order.
enum TcbStatus {
    UpToDate,
    SWHardeningNeeded,
    ConfigurationNeeded,
    ConfigurationAndSWHardeningNeeded,
    OutOfDate,
    OutOfDateConfigurationNeeded,
    Revoked
}

/**
 * @title CollateralFields
 * @notice Typed fields of a collateral object already known to be valid JSON (collateral.ts `Fields`): each
 * reader takes where the value starts (0: absent) and its path, and reverts `CollateralFieldInvalid(kind,
 * path)` with the path collateral.ts reports (`tcbLevels[2].tcb.pcesvn`) when the value is absent or wrong.
 */
library CollateralFields {
    using CollateralJson for CollateralJson.Doc;

    /// @notice Where a value is: the object's kind and the path of the field (built only when it is wrong).
    struct Field {
        CollateralKind kind;
        string path;
    }

    uint256 private constant ABSENT = 0;
    uint256 private constant DATE_LENGTH = 20; // YYYY-MM-DDTHH:MM:SSZ
    uint256 private constant DIGIT_0 = 0x30;
    uint256 private constant DIGIT_9 = 0x39;
    uint256 private constant STATUS_COUNT = 7;

    /// @notice `base.name`, or `name` at the top level (collateral.ts paths).
    function child(string memory base, string memory name) internal pure returns (string memory) {
        return bytes(base).length == 0 ? name : string.concat(base, ".", name);
    }

    /// @notice `base[index]`.
    function item(string memory base, uint256 index) internal pure returns (string memory) {
        return string.concat(base, "[", Strings.toString(index), "]");
    }

    /// @notice Reverts with the field's error.
    function fail(CollateralKind kind, string memory path) internal pure {
        revert CollateralFieldInvalid(kind, path);
    }

    /// @notice An integer in [0, max] (`Fields.int`).
    function uintField(CollateralJson.Doc memory d, uint256 at, uint256 max, CollateralKind kind, string memory path)
        internal
        pure
        returns (uint256 value)
    {
        bool ok;
        if (at != ABSENT && d.typeAt(at) == CollateralJson.Type.Number) (ok, value) = d.uintAt(at, max);
        if (!ok) fail(kind, path);
    }

    /// @notice The number `expected` exactly (`Fields.literal` with a number).
    function requireUint(CollateralJson.Doc memory d, uint256 at, uint256 expected, CollateralKind kind, string memory path) internal pure {
        bool ok;
        uint256 value;
        // max = expected: anything larger is refused before it could overflow (`1e80`).
        if (at != ABSENT && d.typeAt(at) == CollateralJson.Type.Number) (ok, value) = d.uintAt(at, expected);
        if (!ok || value != expected) fail(kind, path);
    }

    /// @notice The decoded string (`Fields.string`).
    function stringField(CollateralJson.Doc memory d, uint256 at, CollateralKind kind, string memory path) internal pure returns (bytes memory) {
        if (at == ABSENT || d.typeAt(at) != CollateralJson.Type.String) fail(kind, path);
        return d.stringAt(at);
    }

    /// @notice The string `expected` exactly (`Fields.literal` with a string).
    function requireString(CollateralJson.Doc memory d, uint256 at, bytes memory expected, CollateralKind kind, string memory path) internal pure {
        if (at == ABSENT || d.typeAt(at) != CollateralJson.Type.String || keccak256(d.stringAt(at)) != keccak256(expected)) {
            fail(kind, path);
        }
    }

    /// @notice `byteCount` bytes as hex digits of either case, right-aligned in a uint (`Fields.hex`).
    function hexField(CollateralJson.Doc memory d, uint256 at, uint256 byteCount, CollateralKind kind, string memory path)
        internal
        pure
        returns (uint256 value)
    {
        bytes memory s = stringField(d, at, kind, path);
        if (s.length != 2 * byteCount) fail(kind, path);
        for (uint256 i = 0; i < s.length; ++i) {
            uint256 digit = CollateralJson.hexValue(uint8(s[i]));
            if (digit > 0xf) fail(kind, path);
            value = (value << 4) | digit;
        }
    }

    /// @notice `YYYY-MM-DDTHH:MM:SSZ` as unix seconds, the ranges of time.ts `unixSeconds` (`Fields.date`).
    function dateField(CollateralJson.Doc memory d, uint256 at, CollateralKind kind, string memory path) internal pure returns (uint256) {
        bytes memory s = stringField(d, at, kind, path);
        if (s.length != DATE_LENGTH || s[4] != "-" || s[7] != "-" || s[10] != "T" || s[13] != ":" || s[16] != ":" || s[19] != "Z") {
            fail(kind, path);
        }
        // year, month, day, hour, minute, second: where each starts and how many digits it has
        uint256[6] memory v;
        uint256[6] memory starts = [uint256(0), 5, 8, 11, 14, 17];
        for (uint256 i = 0; i < 6; ++i) {
            (bool ok, uint256 value) = _digits(s, starts[i], i == 0 ? 4 : 2);
            if (!ok) fail(kind, path);
            v[i] = value;
        }
        if (!DateTime.isValid(v[0], v[1], v[2], v[3], v[4], v[5])) fail(kind, path);
        return DateTime.toUnixSeconds(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /// @notice One of the seven TCB statuses (`Fields.status`).
    function statusField(CollateralJson.Doc memory d, uint256 at, CollateralKind kind, string memory path) internal pure returns (TcbStatus) {
        bytes32 h = keccak256(stringField(d, at, kind, path));
        for (uint256 i = 0; i < STATUS_COUNT; ++i) {
            if (h == keccak256(bytes(statusName(TcbStatus(i))))) return TcbStatus(i);
        }
        fail(kind, path);
    }

    /// @notice The status's name as Intel writes it (and as `TcbStatusNotAllowed` reports it).
    function statusName(TcbStatus status) internal pure returns (string memory) {
        if (status == TcbStatus.UpToDate) return "UpToDate";
        if (status == TcbStatus.SWHardeningNeeded) return "SWHardeningNeeded";
        if (status == TcbStatus.ConfigurationNeeded) return "ConfigurationNeeded";
        if (status == TcbStatus.ConfigurationAndSWHardeningNeeded) return "ConfigurationAndSWHardeningNeeded";
        if (status == TcbStatus.OutOfDate) return "OutOfDate";
        if (status == TcbStatus.OutOfDateConfigurationNeeded) return "OutOfDateConfigurationNeeded";
        return "Revoked";
    }

    /**
     * @notice advisoryIDs: absent (none) or an array of strings (`Fields.advisories`); with the hash stored
     * for them, keccak256(abi.encode(ids)), or 0 when there are none.
     */
    function advisoriesField(CollateralJson.Doc memory d, uint256 at, CollateralKind kind, string memory path)
        internal
        pure
        returns (string[] memory ids, bytes32 hash)
    {
        if (at == ABSENT) return (ids, 0);
        if (d.typeAt(at) != CollateralJson.Type.Array) fail(kind, path);
        uint256[] memory items = d.elements(at);
        ids = new string[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            if (d.typeAt(items[i]) != CollateralJson.Type.String) fail(kind, path);
            ids[i] = string(d.stringAt(items[i]));
        }
        if (ids.length != 0) hash = keccak256(abi.encode(ids));
    }

    /// @notice A non-empty array's element starts (`Fields.array`).
    function arrayField(CollateralJson.Doc memory d, uint256 at, CollateralKind kind, string memory path) internal pure returns (uint256[] memory items) {
        if (at == ABSENT || d.typeAt(at) != CollateralJson.Type.Array) fail(kind, path);
        items = d.elements(at);
        if (items.length == 0) fail(kind, path);
    }

    /// @notice The object's members `keys` (`Fields.of`: an object, else the path's error).
    function objectField(CollateralJson.Doc memory d, uint256 at, bytes32[] memory keys, CollateralKind kind, string memory path)
        internal
        pure
        returns (uint256[] memory values)
    {
        if (at == ABSENT || d.typeAt(at) != CollateralJson.Type.Object) fail(kind, path);
        return d.members(at, keys);
    }

    function _digits(bytes memory s, uint256 from, uint256 count) private pure returns (bool, uint256 v) {
        for (uint256 i = from; i < from + count; ++i) {
            uint256 c = uint8(s[i]);
            if (c < DIGIT_0 || c > DIGIT_9) return (false, 0);
            v = v * 10 + (c - DIGIT_0);
        }
        return (true, v);
    }
}
