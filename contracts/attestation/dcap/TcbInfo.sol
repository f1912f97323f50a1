// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CollateralFields} from "./CollateralFields.sol";
import {CollateralJson} from "./CollateralJson.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {CollateralKind, CollateralMalformed} from "./DcapErrors.sol";

/**
 * @title TcbInfo
 * @notice TCB Info v3 for SGX from the PCS body (collateral.ts `splitSignedCollateral` and `parseTcbInfo`,
 * field for field and in the same order, so a faulty body gets the same error and path): id `SGX`, version 3,
 * issueDate, nextUpdate, fmspc, pceId, tcbType 0, tcbEvaluationDataNumber, and the TCB levels (16 component
 * SVNs, PCESVN, status, advisory IDs). TDX TCB Info (`"id":"TDX"`) and other versions are refused as
 * collateral.ts refuses them: `CollateralFieldInvalid(TcbInfo, "id")`, `CollateralFieldInvalid(TcbInfo, "version")`.
 */
library TcbInfo {
    using CollateralJson for CollateralJson.Doc;

    /// @notice One TCB level, as stored: the 16 component SVNs (byte i = component i), PCESVN, status, and
    /// keccak256(abi.encode(advisoryIds)) (0 for none); the IDs themselves are emitted, not stored.
    struct Level {
        bytes16 components;
        uint16 pceSvn;
        /// A TcbStatus (uint8 in a public library's ABI, which names enums by their Solidity name).
        uint8 status;
        bytes32 advisoryHash;
        string[] advisoryIds;
    }

    /// @notice What a verified TCB Info says.
    struct Parsed {
        bytes6 fmspc;
        bytes2 pceId;
        uint32 tcbEvaluationDataNumber;
        uint64 issueDate;
        uint64 nextUpdate;
        Level[] levels;
    }

    bytes internal constant FIELD = "tcbInfo";
    uint256 private constant VERSION = 3;
    uint256 private constant TCB_TYPE = 0;
    uint256 private constant COMPONENT_COUNT = 16;
    uint256 private constant FMSPC_BYTES = 6;
    uint256 private constant PCE_ID_BYTES = 2;
    uint256 private constant MAX_SVN = type(uint8).max;
    uint256 private constant MAX_PCE_SVN = type(uint16).max;
    uint256 private constant MAX_EVALUATION_DATA_NUMBER = type(uint32).max;

    // Top-level keys, in the order collateral.ts reads them.
    uint256 private constant K_ID = 0;
    uint256 private constant K_VERSION = 1;
    uint256 private constant K_ISSUE_DATE = 2;
    uint256 private constant K_NEXT_UPDATE = 3;
    uint256 private constant K_FMSPC = 4;
    uint256 private constant K_PCE_ID = 5;
    uint256 private constant K_TCB_TYPE = 6;
    uint256 private constant K_EVALUATION = 7;
    uint256 private constant K_TCB_LEVELS = 8;
    // Keys of a level, of its `tcb` and of a component.
    uint256 private constant L_TCB = 0;
    uint256 private constant L_TCB_DATE = 1;
    uint256 private constant L_TCB_STATUS = 2;
    uint256 private constant L_ADVISORY_IDS = 3;
    uint256 private constant T_COMPONENTS = 0;
    uint256 private constant T_PCE_SVN = 1;
    uint256 private constant C_SVN = 0;

    /// @notice Splits the PCS body (`CollateralMalformed`); the signature is the caller's to check.
    function split(bytes memory body) internal pure returns (SignedCollateral.Span memory) {
        return SignedCollateral.split(body, CollateralKind.TcbInfo, FIELD);
    }

    /// @notice Parses the signed object `body[span.start, span.end)` (checked to be JSON first).
    /// @dev Public: deployed once and linked, so {DcapCollateral} stays under the code-size limit.
    /// @param body the PCS body
    /// @param span where the signed object lies ({split})
    function parse(bytes memory body, SignedCollateral.Span memory span) public pure returns (Parsed memory info) {
        CollateralKind kind = CollateralKind.TcbInfo;
        (bool valid, CollateralJson.Doc memory d) = CollateralJson.index(body, span.start, span.end);
        if (!valid) revert CollateralMalformed(kind, 0);
        uint256[] memory f = d.members(span.start, _topKeys());
        CollateralFields.requireString(d, f[K_ID], "SGX", kind, "id");
        CollateralFields.requireUint(d, f[K_VERSION], VERSION, kind, "version");
        info.issueDate = uint64(CollateralFields.dateField(d, f[K_ISSUE_DATE], kind, "issueDate"));
        info.nextUpdate = uint64(CollateralFields.dateField(d, f[K_NEXT_UPDATE], kind, "nextUpdate"));
        info.fmspc = bytes6(uint48(CollateralFields.hexField(d, f[K_FMSPC], FMSPC_BYTES, kind, "fmspc")));
        info.pceId = bytes2(uint16(CollateralFields.hexField(d, f[K_PCE_ID], PCE_ID_BYTES, kind, "pceId")));
        CollateralFields.requireUint(d, f[K_TCB_TYPE], TCB_TYPE, kind, "tcbType");
        info.tcbEvaluationDataNumber =
            uint32(CollateralFields.uintField(d, f[K_EVALUATION], MAX_EVALUATION_DATA_NUMBER, kind, "tcbEvaluationDataNumber"));
        uint256[] memory items = CollateralFields.arrayField(d, f[K_TCB_LEVELS], kind, "tcbLevels");
        info.levels = new Level[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            info.levels[i] = _level(d, items[i], CollateralFields.item("tcbLevels", i));
        }
    }

    function _level(CollateralJson.Doc memory b, uint256 at, string memory path) private pure returns (Level memory level) {
        CollateralKind kind = CollateralKind.TcbInfo;
        uint256[] memory l = CollateralFields.objectField(b, at, _levelKeys(), kind, path);
        string memory tcbPath = CollateralFields.child(path, "tcb");
        uint256[] memory t = CollateralFields.objectField(b, l[L_TCB], _tcbKeys(), kind, tcbPath);
        level.components = _components(b, t[T_COMPONENTS], tcbPath);
        level.pceSvn = uint16(CollateralFields.uintField(b, t[T_PCE_SVN], MAX_PCE_SVN, kind, CollateralFields.child(tcbPath, "pcesvn")));
        CollateralFields.stringField(b, l[L_TCB_DATE], kind, CollateralFields.child(path, "tcbDate"));
        level.status = uint8(CollateralFields.statusField(b, l[L_TCB_STATUS], kind, CollateralFields.child(path, "tcbStatus")));
        (level.advisoryIds, level.advisoryHash) =
            CollateralFields.advisoriesField(b, l[L_ADVISORY_IDS], kind, CollateralFields.child(path, "advisoryIDs"));
    }

    function _components(CollateralJson.Doc memory b, uint256 at, string memory tcbPath) private pure returns (bytes16 components) {
        CollateralKind kind = CollateralKind.TcbInfo;
        string memory path = CollateralFields.child(tcbPath, "sgxtcbcomponents");
        if (at == 0 || b.typeAt(at) != CollateralJson.Type.Array) CollateralFields.fail(kind, path);
        uint256[] memory items = b.elements(at);
        if (items.length != COMPONENT_COUNT) CollateralFields.fail(kind, path);
        bytes32[] memory svnKey = new bytes32[](1);
        svnKey[C_SVN] = keccak256("svn");
        uint256 packed;
        for (uint256 j = 0; j < COMPONENT_COUNT; ++j) {
            // Paths are built only for an error: 16 components per level.
            if (b.typeAt(items[j]) != CollateralJson.Type.Object) CollateralFields.fail(kind, CollateralFields.item(path, j));
            uint256 svnAt = b.members(items[j], svnKey)[C_SVN];
            (bool ok, uint256 svn) = svnAt != 0 && b.typeAt(svnAt) == CollateralJson.Type.Number ? b.uintAt(svnAt, MAX_SVN) : (false, 0);
            if (!ok) CollateralFields.fail(kind, CollateralFields.child(CollateralFields.item(path, j), "svn"));
            packed = (packed << 8) | svn;
        }
        components = bytes16(uint128(packed));
    }

    function _topKeys() private pure returns (bytes32[] memory k) {
        k = new bytes32[](9);
        k[K_ID] = keccak256("id");
        k[K_VERSION] = keccak256("version");
        k[K_ISSUE_DATE] = keccak256("issueDate");
        k[K_NEXT_UPDATE] = keccak256("nextUpdate");
        k[K_FMSPC] = keccak256("fmspc");
        k[K_PCE_ID] = keccak256("pceId");
        k[K_TCB_TYPE] = keccak256("tcbType");
        k[K_EVALUATION] = keccak256("tcbEvaluationDataNumber");
        k[K_TCB_LEVELS] = keccak256("tcbLevels");
    }

    function _levelKeys() private pure returns (bytes32[] memory k) {
        k = new bytes32[](4);
        k[L_TCB] = keccak256("tcb");
        k[L_TCB_DATE] = keccak256("tcbDate");
        k[L_TCB_STATUS] = keccak256("tcbStatus");
        k[L_ADVISORY_IDS] = keccak256("advisoryIDs");
    }

    function _tcbKeys() private pure returns (bytes32[] memory k) {
        k = new bytes32[](2);
        k[T_COMPONENTS] = keccak256("sgxtcbcomponents");
        k[T_PCE_SVN] = keccak256("pcesvn");
    }
}
