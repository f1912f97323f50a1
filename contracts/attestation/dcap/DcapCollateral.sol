// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PckChain} from "./PckChain.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {TcbInfo} from "./TcbInfo.sol";
import {TcbStatus} from "./CollateralFields.sol";
import {CollateralKind} from "./DcapErrors.sol";
import {SStore2} from "../../lib/SStore2.sol";

/**
 * @title DcapCollateral
 * @notice Intel's DCAP collateral, upserted by anyone under Intel's signatures and stored compactly:
 * TCB Info v3 (SGX) per (FMSPC, PCEID). Each item is accepted only if the TCB Signing chain it comes with
 * (the PCS header `TCB-Info-Issuer-Chain`) verifies under the pinned Intel SGX Root CA at `block.timestamp`,
 * its signature verifies under the TCB Signing key, its fields are what the TypeScript verifier accepts
 * (the same errors), it is valid now (issueDate <= now <= nextUpdate, no grace at upsert), and it is newer
 * than what is stored (a higher tcbEvaluationDataNumber, or the same with a later issueDate).
 * @dev Storage per TCB Info: one slot (the blob's address, tcbEvaluationDataNumber, issueDate) and an SStore2
 * blob: the header (nextUpdate, issueDate, tcbEvaluationDataNumber, FMSPC, PCEID: 28 bytes) then each level
 * in Intel's order (16 component SVNs, PCESVN, status, keccak256(abi.encode(advisoryIds)) or 0: 51 bytes).
 * The advisory IDs themselves are in the {TcbInfoUpdated} event; a verifier can take them from calldata
 * and check them against the level's hash.
 */
contract DcapCollateral {
    /// @notice The stored TCB Info of one (FMSPC, PCEID).
    struct StoredTcbInfo {
        address blob;
        uint32 tcbEvaluationDataNumber;
        uint40 issueDate;
    }

    /// @notice A stored TCB level.
    struct StoredLevel {
        bytes16 components;
        uint16 pceSvn;
        TcbStatus status;
        bytes32 advisoryHash;
    }

    /// @notice TCB Info for (`fmspc`, `pceId`) was stored, replacing any older one.
    /// @param fmspc the platform family
    /// @param pceId the PCE
    /// @param tcbEvaluationDataNumber Intel's TCB recovery counter of this TCB Info
    /// @param issueDate unix seconds
    /// @param nextUpdate unix seconds
    /// @param blob the SStore2 data contract holding the header and levels
    /// @param advisoryIds each level's advisory IDs, in level order
    event TcbInfoUpdated(
        bytes6 indexed fmspc,
        bytes2 indexed pceId,
        uint32 tcbEvaluationDataNumber,
        uint64 issueDate,
        uint64 nextUpdate,
        address blob,
        string[][] advisoryIds
    );

    /// @notice The item is not newer than the stored one (tcbEvaluationDataNumber, then issueDate).
    error CollateralNotNewer(
        CollateralKind kind, uint256 storedEvaluationDataNumber, uint256 storedIssueDate, uint256 evaluationDataNumber, uint256 issueDate
    );
    /// @notice No TCB Info is stored for (`fmspc`, `pceId`).
    error TcbInfoNotStored(bytes6 fmspc, bytes2 pceId);

    uint256 private constant TCB_HEADER_BYTES = 28;
    uint256 private constant TCB_LEVEL_BYTES = 51;
    /// @dev Within a level: components (16), PCESVN (2), status (1), then the advisory hash (32).
    uint256 private constant LEVEL_HASH_OFFSET = 19;
    /// @dev Shifts of PCESVN (bytes 16..17) and the status (byte 18) in the level's first word.
    uint256 private constant LEVEL_PCE_SVN_SHIFT = 112;
    uint256 private constant LEVEL_STATUS_SHIFT = 104;
    uint256 private constant NO_GRACE = 0;

    PckChain.PinnedRoot private _root;
    mapping(bytes8 fmspcPceId => StoredTcbInfo) private _tcbInfo;

    /// @param rootDer the root to pin (the Intel SGX Root CA; a test root in tests)
    constructor(bytes memory rootDer) {
        _root = PckChain.pin(rootDer);
    }

    /**
     * @notice Verifies a TCB Info body at `now_` without storing it: the TCB Signing chain, the body's form,
     * the signature, the fields, then freshness (no grace). Reverts with the TypeScript verifier's errors.
     * @param body the PCS body `{"tcbInfo":{…},"signature":"…"}`
     * @param tcbSigningChainPem the TCB Signing certificate then the root, PEM
     * @param now_ unix seconds
     */
    function verifyTcbInfo(bytes memory body, bytes memory tcbSigningChainPem, uint256 now_)
        public
        view
        returns (TcbInfo.Parsed memory info)
    {
        PckChain.TcbSigner memory signer = PckChain.verifyTcbSigning(tcbSigningChainPem, _root, now_);
        SignedCollateral.Span memory span = TcbInfo.split(body);
        SignedCollateral.checkSignature(body, span, CollateralKind.TcbInfo, signer.keyX, signer.keyY);
        info = TcbInfo.parse(body, span);
        SignedCollateral.checkFreshness(CollateralKind.TcbInfo, info.issueDate, info.nextUpdate, now_, NO_GRACE);
    }

    /**
     * @notice Verifies a TCB Info body at `block.timestamp` ({verifyTcbInfo}) and stores it for its
     * (FMSPC, PCEID) if it is newer than the stored one; emits {TcbInfoUpdated}.
     * @param body the PCS body `{"tcbInfo":{…},"signature":"…"}`
     * @param tcbSigningChainPem the TCB Signing certificate then the root, PEM
     */
    function upsertTcbInfo(bytes calldata body, bytes calldata tcbSigningChainPem) external {
        TcbInfo.Parsed memory info = verifyTcbInfo(body, tcbSigningChainPem, _now());
        bytes8 key = _tcbKey(info.fmspc, info.pceId);
        StoredTcbInfo memory stored = _tcbInfo[key];
        if (
            stored.blob != address(0)
                && (
                    info.tcbEvaluationDataNumber < stored.tcbEvaluationDataNumber
                        || (info.tcbEvaluationDataNumber == stored.tcbEvaluationDataNumber && info.issueDate <= stored.issueDate)
                )
        ) {
            revert CollateralNotNewer(
                CollateralKind.TcbInfo, stored.tcbEvaluationDataNumber, stored.issueDate, info.tcbEvaluationDataNumber, info.issueDate
            );
        }
        address blob = SStore2.write(_encodeTcbInfo(info));
        _tcbInfo[key] = StoredTcbInfo({blob: blob, tcbEvaluationDataNumber: info.tcbEvaluationDataNumber, issueDate: uint40(info.issueDate)});
        string[][] memory advisoryIds = new string[][](info.levels.length);
        for (uint256 i = 0; i < info.levels.length; ++i) {
            advisoryIds[i] = info.levels[i].advisoryIds;
        }
        emit TcbInfoUpdated(info.fmspc, info.pceId, info.tcbEvaluationDataNumber, info.issueDate, info.nextUpdate, blob, advisoryIds);
    }

    /**
     * @notice The stored TCB Info of (`fmspc`, `pceId`): its dates, tcbEvaluationDataNumber and levels in
     * Intel's order (best first). Reverts {TcbInfoNotStored} when there is none.
     * @param fmspc the platform family
     * @param pceId the PCE
     */
    function tcbInfo(bytes6 fmspc, bytes2 pceId)
        external
        view
        returns (uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, StoredLevel[] memory levels)
    {
        StoredTcbInfo memory stored = _tcbInfo[_tcbKey(fmspc, pceId)];
        if (stored.blob == address(0)) revert TcbInfoNotStored(fmspc, pceId);
        uint256 count = (stored.blob.code.length - 1 - TCB_HEADER_BYTES) / TCB_LEVEL_BYTES;
        bytes memory data = SStore2.read(stored.blob, 0, TCB_HEADER_BYTES + count * TCB_LEVEL_BYTES);
        uint256 header;
        assembly ("memory-safe") {
            header := mload(add(data, 0x20))
        }
        nextUpdate = uint64(header >> 192);
        issueDate = uint64(header >> 128);
        tcbEvaluationDataNumber = uint32(header >> 96);
        levels = new StoredLevel[](count);
        for (uint256 i = 0; i < count; ++i) {
            levels[i] = _decodeLevel(data, TCB_HEADER_BYTES + i * TCB_LEVEL_BYTES);
        }
    }

    /// @notice The time upserts are checked at: `block.timestamp` (a test harness replays Intel's 2025 collateral at its time).
    function _now() internal view virtual returns (uint256) {
        return block.timestamp;
    }

    function _decodeLevel(bytes memory data, uint256 offset) private pure returns (StoredLevel memory level) {
        uint256 w;
        bytes32 h;
        assembly ("memory-safe") {
            let p := add(add(data, 0x20), offset)
            w := mload(p)
            h := mload(add(p, LEVEL_HASH_OFFSET))
        }
        level.components = bytes16(bytes32(w));
        level.pceSvn = uint16(w >> LEVEL_PCE_SVN_SHIFT);
        level.status = TcbStatus(uint8(w >> LEVEL_STATUS_SHIFT));
        level.advisoryHash = h;
    }

    /// @dev The blob: header, then the levels (see the contract's notes), written word by word in order.
    function _encodeTcbInfo(TcbInfo.Parsed memory info) private pure returns (bytes memory data) {
        uint256 count = info.levels.length;
        data = new bytes(TCB_HEADER_BYTES + count * TCB_LEVEL_BYTES);
        bytes32 header = bytes32(abi.encodePacked(info.nextUpdate, info.issueDate, info.tcbEvaluationDataNumber, info.fmspc, info.pceId));
        assembly ("memory-safe") {
            mstore(add(data, 0x20), header)
        }
        for (uint256 i = 0; i < count; ++i) {
            TcbInfo.Level memory l = info.levels[i];
            bytes32 head = bytes32(abi.encodePacked(l.components, l.pceSvn, uint8(l.status)));
            bytes32 h = l.advisoryHash;
            uint256 offset = TCB_HEADER_BYTES + i * TCB_LEVEL_BYTES;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), offset)
                mstore(p, head)
                mstore(add(p, LEVEL_HASH_OFFSET), h)
            }
        }
    }

    function _tcbKey(bytes6 fmspc, bytes2 pceId) private pure returns (bytes8) {
        return bytes8(abi.encodePacked(fmspc, pceId));
    }
}
