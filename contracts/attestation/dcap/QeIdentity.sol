// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CollateralFields} from "./CollateralFields.sol";
import {CollateralJson} from "./CollateralJson.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {CollateralKind, CollateralMalformed} from "./DcapErrors.sol";

/**
 * @title QeIdentity
 * @notice QE Identity v2 of Intel's quoting enclave from the PCS body (collateral.ts `splitSignedCollateral`
 * and `parseQeIdentity`, field for field and in the same order): id `QE`, version 2, issueDate, nextUpdate,
 * tcbEvaluationDataNumber, MISCSELECT and its mask, ATTRIBUTES and its mask, MRSIGNER, ISVPRODID, and the
 * TCB levels by ISVSVN (status, advisory IDs). Other identities (`TD_QE`, `QVE`) and versions are refused as
 * collateral.ts refuses them: `CollateralFieldInvalid(QeIdentity, "id")`, `(…, "version")`.
 * @dev {parse} is public: deployed once and linked, so {DcapCollateral} stays under the code-size limit.
 */
library QeIdentity {
    using CollateralJson for CollateralJson.Doc;

    /// @notice One QE TCB level: the minimum ISVSVN, its status, keccak256(abi.encode(advisoryIds)) (0 for none).
    struct Level {
        uint16 isvSvn;
        /// A TcbStatus (uint8 in a public library's ABI, which names enums by their Solidity name).
        uint8 status;
        bytes32 advisoryHash;
        string[] advisoryIds;
    }

    /// @notice What a verified QE Identity says.
    struct Parsed {
        uint32 tcbEvaluationDataNumber;
        uint64 issueDate;
        uint64 nextUpdate;
        uint32 miscselect;
        uint32 miscselectMask;
        bytes16 attributes;
        bytes16 attributesMask;
        bytes32 mrsigner;
        uint16 isvProdId;
        Level[] levels;
    }

    bytes internal constant FIELD = "enclaveIdentity";
    uint256 private constant VERSION = 2;
    uint256 private constant MISCSELECT_BYTES = 4;
    uint256 private constant ATTRIBUTES_BYTES = 16;
    uint256 private constant MRSIGNER_BYTES = 32;
    uint256 private constant MAX_U16 = type(uint16).max;
    uint256 private constant MAX_EVALUATION_DATA_NUMBER = type(uint32).max;

    // Top-level keys, in the order collateral.ts reads them.
    uint256 private constant K_ID = 0;
    uint256 private constant K_VERSION = 1;
    uint256 private constant K_ISSUE_DATE = 2;
    uint256 private constant K_NEXT_UPDATE = 3;
    uint256 private constant K_EVALUATION = 4;
    uint256 private constant K_MISCSELECT = 5;
    uint256 private constant K_MISCSELECT_MASK = 6;
    uint256 private constant K_ATTRIBUTES = 7;
    uint256 private constant K_ATTRIBUTES_MASK = 8;
    uint256 private constant K_MRSIGNER = 9;
    uint256 private constant K_ISV_PROD_ID = 10;
    uint256 private constant K_TCB_LEVELS = 11;
    uint256 private constant TOP_KEY_COUNT = 12;
    // Keys of a level and of its `tcb`.
    uint256 private constant L_TCB = 0;
    uint256 private constant L_TCB_DATE = 1;
    uint256 private constant L_TCB_STATUS = 2;
    uint256 private constant L_ADVISORY_IDS = 3;
    uint256 private constant T_ISV_SVN = 0;

    /// @notice Splits the PCS body (`CollateralMalformed`); the signature is the caller's to check.
    function split(bytes memory body) internal pure returns (SignedCollateral.Span memory) {
        return SignedCollateral.split(body, CollateralKind.QeIdentity, FIELD);
    }

    /// @notice Parses the signed object `body[span.start, span.end)` (checked to be JSON first).
    /// @param body the PCS body
    /// @param span where the signed object lies ({split})
    function parse(bytes memory body, SignedCollateral.Span memory span) public pure returns (Parsed memory q) {
        CollateralKind kind = CollateralKind.QeIdentity;
        (bool valid, CollateralJson.Doc memory d) = CollateralJson.index(body, span.start, span.end);
        if (!valid) revert CollateralMalformed(kind, 0);
        uint256[] memory f = d.members(span.start, _topKeys());
        CollateralFields.requireString(d, f[K_ID], "QE", kind, "id");
        CollateralFields.requireUint(d, f[K_VERSION], VERSION, kind, "version");
        q.issueDate = uint64(CollateralFields.dateField(d, f[K_ISSUE_DATE], kind, "issueDate"));
        q.nextUpdate = uint64(CollateralFields.dateField(d, f[K_NEXT_UPDATE], kind, "nextUpdate"));
        q.tcbEvaluationDataNumber =
            uint32(CollateralFields.uintField(d, f[K_EVALUATION], MAX_EVALUATION_DATA_NUMBER, kind, "tcbEvaluationDataNumber"));
        q.miscselect = uint32(CollateralFields.hexField(d, f[K_MISCSELECT], MISCSELECT_BYTES, kind, "miscselect"));
        q.miscselectMask = uint32(CollateralFields.hexField(d, f[K_MISCSELECT_MASK], MISCSELECT_BYTES, kind, "miscselectMask"));
        q.attributes = bytes16(uint128(CollateralFields.hexField(d, f[K_ATTRIBUTES], ATTRIBUTES_BYTES, kind, "attributes")));
        q.attributesMask =
            bytes16(uint128(CollateralFields.hexField(d, f[K_ATTRIBUTES_MASK], ATTRIBUTES_BYTES, kind, "attributesMask")));
        q.mrsigner = bytes32(CollateralFields.hexField(d, f[K_MRSIGNER], MRSIGNER_BYTES, kind, "mrsigner"));
        q.isvProdId = uint16(CollateralFields.uintField(d, f[K_ISV_PROD_ID], MAX_U16, kind, "isvprodid"));
        uint256[] memory items = CollateralFields.arrayField(d, f[K_TCB_LEVELS], kind, "tcbLevels");
        q.levels = new Level[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            q.levels[i] = _level(d, items[i], CollateralFields.item("tcbLevels", i));
        }
    }

    function _level(CollateralJson.Doc memory d, uint256 at, string memory path) private pure returns (Level memory level) {
        CollateralKind kind = CollateralKind.QeIdentity;
        uint256[] memory l = CollateralFields.objectField(d, at, _levelKeys(), kind, path);
        string memory tcbPath = CollateralFields.child(path, "tcb");
        bytes32[] memory isvSvnKey = new bytes32[](1);
        isvSvnKey[T_ISV_SVN] = keccak256("isvsvn");
        uint256[] memory t = CollateralFields.objectField(d, l[L_TCB], isvSvnKey, kind, tcbPath);
        level.isvSvn = uint16(CollateralFields.uintField(d, t[T_ISV_SVN], MAX_U16, kind, CollateralFields.child(tcbPath, "isvsvn")));
        CollateralFields.stringField(d, l[L_TCB_DATE], kind, CollateralFields.child(path, "tcbDate"));
        level.status = uint8(CollateralFields.statusField(d, l[L_TCB_STATUS], kind, CollateralFields.child(path, "tcbStatus")));
        (level.advisoryIds, level.advisoryHash) =
            CollateralFields.advisoriesField(d, l[L_ADVISORY_IDS], kind, CollateralFields.child(path, "advisoryIDs"));
    }

    function _topKeys() private pure returns (bytes32[] memory k) {
        k = new bytes32[](TOP_KEY_COUNT);
        k[K_ID] = keccak256("id");
        k[K_VERSION] = keccak256("version");
        k[K_ISSUE_DATE] = keccak256("issueDate");
        k[K_NEXT_UPDATE] = keccak256("nextUpdate");
        k[K_EVALUATION] = keccak256("tcbEvaluationDataNumber");
        k[K_MISCSELECT] = keccak256("miscselect");
        k[K_MISCSELECT_MASK] = keccak256("miscselectMask");
        k[K_ATTRIBUTES] = keccak256("attributes");
        k[K_ATTRIBUTES_MASK] = keccak256("attributesMask");
        k[K_MRSIGNER] = keccak256("mrsigner");
        k[K_ISV_PROD_ID] = keccak256("isvprodid");
        k[K_TCB_LEVELS] = keccak256("tcbLevels");
    }

    function _levelKeys() private pure returns (bytes32[] memory k) {
        k = new bytes32[](4);
        k[L_TCB] = keccak256("tcb");
        k[L_TCB_DATE] = keccak256("tcbDate");
        k[L_TCB_STATUS] = keccak256("tcbStatus");
        k[L_ADVISORY_IDS] = keccak256("advisoryIDs");
    }
}
