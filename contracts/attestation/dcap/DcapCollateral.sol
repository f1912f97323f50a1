// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PckChain} from "./PckChain.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {TcbInfo} from "./TcbInfo.sol";
import {QeIdentity} from "./QeIdentity.sol";
import {TcbStatus} from "./CollateralFields.sol";
import {CollateralKind, QeTcbLevelNotFound, TcbLevelNotFound} from "./DcapErrors.sol";
import {SStore2} from "../../lib/SStore2.sol";

/**
 * @title DcapCollateral
 * @notice Intel's DCAP collateral, upserted by anyone under Intel's signatures and stored compactly:
 * TCB Info v3 (SGX) per (FMSPC, PCEID) and the QE Identity v2 of Intel's quoting enclave. Each item is accepted only if the TCB Signing chain it comes with
 * (the PCS header `TCB-Info-Issuer-Chain`) verifies under the pinned Intel SGX Root CA at `block.timestamp`,
 * its signature verifies under the TCB Signing key, its fields are what the TypeScript verifier accepts
 * (the same errors), it is valid now (issueDate <= now <= nextUpdate, no grace at upsert), and it is newer
 * than what is stored (a higher tcbEvaluationDataNumber, or the same with a later issueDate).
 * @dev Storage per TCB Info: two slots (the blob's address, tcbEvaluationDataNumber, issueDate; the TCB Signing
 * certificate's serial) and an SStore2
 * blob: the header (nextUpdate, issueDate, tcbEvaluationDataNumber, FMSPC, PCEID: 28 bytes) then each level
 * in Intel's order (16 component SVNs, PCESVN, status, keccak256(abi.encode(advisoryIds)) or 0: 51 bytes).
 * The advisory IDs themselves are in the {TcbInfoUpdated} event; a verifier can take them from calldata
 * and check them against the level's hash. QE Identity: one slot and a blob: the header (nextUpdate,
 * issueDate, tcbEvaluationDataNumber, ISVPRODID, MISCSELECT, its mask: 30 bytes), MRSIGNER, ATTRIBUTES and
 * its mask (64 bytes), then each level (ISVSVN, status, advisory hash: 35 bytes). Beside each item, the serial of
 * the TCB Signing certificate it was verified under ({tcbSigningSerials}): a verifier checks it against the root CA
 * CRL per quote, so collateral signed under a certificate Intel later revokes stops verifying once that CRL is stored.
 */
contract DcapCollateral {
    /// @notice Where a stored item is and what decides whether another is newer (TCB Info per (FMSPC, PCEID); QE Identity).
    struct StoredTcbInfo {
        address blob;
        uint32 tcbEvaluationDataNumber;
        uint40 issueDate;
        /// the TCB Signing certificate it was verified under: its serial as {tcbSigningSerials} packs it
        bytes32 signer;
    }

    /// @notice A stored TCB level.
    struct StoredLevel {
        bytes16 components;
        uint16 pceSvn;
        TcbStatus status;
        bytes32 advisoryHash;
    }

    /// @notice A stored QE TCB level.
    struct StoredQeLevel {
        uint16 isvSvn;
        TcbStatus status;
        bytes32 advisoryHash;
    }

    /// @notice The stored QE Identity, as {qeIdentity} returns it.
    struct StoredQeIdentityView {
        uint32 tcbEvaluationDataNumber;
        uint64 issueDate;
        uint64 nextUpdate;
        uint16 isvProdId;
        uint32 miscselect;
        uint32 miscselectMask;
        bytes32 mrsigner;
        bytes16 attributes;
        bytes16 attributesMask;
        StoredQeLevel[] levels;
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

    /// @notice QE Identity was stored, replacing any older one.
    /// @param mrsigner the quoting enclave's MRSIGNER
    /// @param isvProdId its ISVPRODID
    /// @param tcbEvaluationDataNumber Intel's TCB recovery counter of this QE Identity
    /// @param issueDate unix seconds
    /// @param nextUpdate unix seconds
    /// @param blob the SStore2 data contract holding it
    /// @param advisoryIds each level's advisory IDs, in level order
    event QeIdentityUpdated(
        bytes32 indexed mrsigner,
        uint16 isvProdId,
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
    /// @notice No QE Identity is stored.
    error QeIdentityNotStored();

    uint256 private constant TCB_HEADER_BYTES = 28;
    uint256 private constant TCB_LEVEL_BYTES = 51;
    /// @dev Within a level: components (16), PCESVN (2), status (1), then the advisory hash (32).
    uint256 private constant LEVEL_HASH_OFFSET = 19;
    /// @dev Shifts of PCESVN (bytes 16..17) and the status (byte 18) in the level's first word.
    uint256 private constant LEVEL_PCE_SVN_SHIFT = 112;
    uint256 private constant LEVEL_STATUS_SHIFT = 104;
    uint256 private constant NO_GRACE = 0;
    uint256 private constant COMPONENT_COUNT = 16;

    /// @dev QE Identity blob: header (30 bytes), MRSIGNER at 30, ATTRIBUTES at 62, mask at 78; levels from 94.
    uint256 private constant QE_MRSIGNER_OFFSET = 30;
    uint256 private constant QE_ATTRIBUTES_OFFSET = 62;
    uint256 private constant QE_ATTRIBUTES_MASK_OFFSET = 78;
    uint256 private constant QE_HEADER_BYTES = 94;
    uint256 private constant QE_LEVEL_BYTES = 35;
    /// @dev Within a QE level: ISVSVN (2), status (1), then the advisory hash (32).
    uint256 private constant QE_LEVEL_HASH_OFFSET = 3;

    PckChain.PinnedRoot private _root;
    mapping(bytes8 fmspcPceId => StoredTcbInfo) private _tcbInfo;
    StoredTcbInfo private _qeIdentity;

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
        (info,) = _verifyTcbInfo(body, tcbSigningChainPem, now_);
    }

    /**
     * @notice Verifies a TCB Info body at `block.timestamp` ({verifyTcbInfo}) and stores it for its
     * (FMSPC, PCEID) if it is newer than the stored one; emits {TcbInfoUpdated}.
     * @param body the PCS body `{"tcbInfo":{…},"signature":"…"}`
     * @param tcbSigningChainPem the TCB Signing certificate then the root, PEM
     */
    function upsertTcbInfo(bytes calldata body, bytes calldata tcbSigningChainPem) external {
        (TcbInfo.Parsed memory info, bytes32 signerSerial) = _verifyTcbInfo(body, tcbSigningChainPem, _now());
        bytes8 key = _tcbKey(info.fmspc, info.pceId);
        _requireNewer(CollateralKind.TcbInfo, _tcbInfo[key], info.tcbEvaluationDataNumber, info.issueDate);
        address blob = SStore2.write(_encodeTcbInfo(info));
        _tcbInfo[key] = StoredTcbInfo({
            blob: blob, tcbEvaluationDataNumber: info.tcbEvaluationDataNumber, issueDate: uint40(info.issueDate), signer: signerSerial
        });
        string[][] memory advisoryIds = new string[][](info.levels.length);
        for (uint256 i = 0; i < info.levels.length; ++i) {
            advisoryIds[i] = info.levels[i].advisoryIds;
        }
        emit TcbInfoUpdated(info.fmspc, info.pceId, info.tcbEvaluationDataNumber, info.issueDate, info.nextUpdate, blob, advisoryIds);
    }

    /**
     * @notice Verifies a QE Identity body at `now_` without storing it: the TCB Signing chain, the body's
     * form, the signature, the fields, then freshness (no grace). Reverts with the TypeScript verifier's errors.
     * @param body the PCS body `{"enclaveIdentity":{…},"signature":"…"}`
     * @param tcbSigningChainPem the TCB Signing certificate then the root, PEM (`SGX-Enclave-Identity-Issuer-Chain`)
     * @param now_ unix seconds
     */
    function verifyQeIdentity(bytes memory body, bytes memory tcbSigningChainPem, uint256 now_)
        public
        view
        returns (QeIdentity.Parsed memory q)
    {
        (q,) = _verifyQeIdentity(body, tcbSigningChainPem, now_);
    }

    /**
     * @notice Verifies a QE Identity body at `block.timestamp` ({verifyQeIdentity}) and stores it if it is
     * newer than the stored one; emits {QeIdentityUpdated}.
     * @param body the PCS body `{"enclaveIdentity":{…},"signature":"…"}`
     * @param tcbSigningChainPem the TCB Signing certificate then the root, PEM
     */
    function upsertQeIdentity(bytes calldata body, bytes calldata tcbSigningChainPem) external {
        (QeIdentity.Parsed memory q, bytes32 signerSerial) = _verifyQeIdentity(body, tcbSigningChainPem, _now());
        _requireNewer(CollateralKind.QeIdentity, _qeIdentity, q.tcbEvaluationDataNumber, q.issueDate);
        address blob = SStore2.write(_encodeQeIdentity(q));
        _qeIdentity = StoredTcbInfo({blob: blob, tcbEvaluationDataNumber: q.tcbEvaluationDataNumber, issueDate: uint40(q.issueDate), signer: signerSerial});
        string[][] memory advisoryIds = new string[][](q.levels.length);
        for (uint256 i = 0; i < q.levels.length; ++i) {
            advisoryIds[i] = q.levels[i].advisoryIds;
        }
        emit QeIdentityUpdated(q.mrsigner, q.isvProdId, q.tcbEvaluationDataNumber, q.issueDate, q.nextUpdate, blob, advisoryIds);
    }

    /// @notice The stored QE Identity, levels in Intel's order (highest ISVSVN first). Reverts {QeIdentityNotStored}.
    function qeIdentity() external view returns (StoredQeIdentityView memory v) {
        address blob = _qeIdentity.blob;
        if (blob == address(0)) revert QeIdentityNotStored();
        uint256 count = (blob.code.length - 1 - QE_HEADER_BYTES) / QE_LEVEL_BYTES;
        bytes memory data = SStore2.read(blob, 0, QE_HEADER_BYTES + count * QE_LEVEL_BYTES);
        uint256 header;
        bytes32 mrsigner;
        bytes32 attributes;
        bytes32 attributesMask;
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            header := mload(p)
            mrsigner := mload(add(p, QE_MRSIGNER_OFFSET))
            attributes := mload(add(p, QE_ATTRIBUTES_OFFSET))
            attributesMask := mload(add(p, QE_ATTRIBUTES_MASK_OFFSET))
        }
        // The header word: nextUpdate (bytes 0..7), issueDate (8..15), tcbEvaluationDataNumber (16..19),
        // ISVPRODID (20..21), MISCSELECT (22..25), its mask (26..29): shifts are 256 - 8 * (last byte + 1).
        v.nextUpdate = uint64(header >> 192);
        v.issueDate = uint64(header >> 128);
        v.tcbEvaluationDataNumber = uint32(header >> 96);
        v.isvProdId = uint16(header >> 80);
        v.miscselect = uint32(header >> 48);
        v.miscselectMask = uint32(header >> 16);
        (v.mrsigner, v.attributes, v.attributesMask) = (mrsigner, bytes16(attributes), bytes16(attributesMask));
        v.levels = new StoredQeLevel[](count);
        for (uint256 i = 0; i < count; ++i) {
            uint256 w;
            bytes32 h;
            uint256 offset = QE_HEADER_BYTES + i * QE_LEVEL_BYTES;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), offset)
                w := mload(p)
                h := mload(add(p, QE_LEVEL_HASH_OFFSET))
            }
            // ISVSVN in bytes 0..1, the status in byte 2
            v.levels[i] = StoredQeLevel({isvSvn: uint16(w >> 240), status: TcbStatus(uint8(w >> 232)), advisoryHash: h});
        }
    }

    /**
     * @notice The platform's TCB level (verifier.ts `platformLevel`): the first stored level (Intel lists them
     * best first) whose 16 component SVNs and PCESVN the platform's all reach. Reverts {TcbInfoNotStored},
     * `TcbLevelNotFound(fmspc)`. Freshness is the caller's (with its grace) against the returned nextUpdate.
     * @param fmspc the platform family (from the PCK certificate)
     * @param pceId the PCE (from the PCK certificate)
     * @param components the PCK certificate's 16 sgxTcbCompNNSvn, byte i = component i
     * @param pceSvn the PCK certificate's PCESVN
     */
    function tcbLevel(bytes6 fmspc, bytes2 pceId, bytes16 components, uint16 pceSvn)
        external
        view
        returns (TcbStatus status, bytes32 advisoryHash, uint64 nextUpdate)
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
        for (uint256 i = 0; i < count; ++i) {
            StoredLevel memory level = _decodeLevel(data, TCB_HEADER_BYTES + i * TCB_LEVEL_BYTES);
            if (pceSvn >= level.pceSvn && _reachesAll(components, level.components)) return (level.status, level.advisoryHash, nextUpdate);
        }
        revert TcbLevelNotFound(fmspc);
    }

    /**
     * @notice The QE's TCB level (verifier.ts `checkQe`): the first stored QE level whose ISVSVN the QE's
     * reaches. Reverts {QeIdentityNotStored}, `QeTcbLevelNotFound(isvSvn)`.
     * @param isvSvn the QE report's ISVSVN
     */
    function qeTcbLevel(uint16 isvSvn) external view returns (TcbStatus status, bytes32 advisoryHash, uint64 nextUpdate) {
        address blob = _qeIdentity.blob;
        if (blob == address(0)) revert QeIdentityNotStored();
        uint256 count = (blob.code.length - 1 - QE_HEADER_BYTES) / QE_LEVEL_BYTES;
        bytes memory data = SStore2.read(blob, 0, QE_HEADER_BYTES + count * QE_LEVEL_BYTES);
        uint256 header;
        assembly ("memory-safe") {
            header := mload(add(data, 0x20))
        }
        nextUpdate = uint64(header >> 192);
        for (uint256 i = 0; i < count; ++i) {
            uint256 w;
            bytes32 h;
            uint256 offset = QE_HEADER_BYTES + i * QE_LEVEL_BYTES;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), offset)
                w := mload(p)
                h := mload(add(p, QE_LEVEL_HASH_OFFSET))
            }
            // ISVSVN in bytes 0..1, the status in byte 2
            if (isvSvn >= uint16(w >> 240)) return (TcbStatus(uint8(w >> 232)), h, nextUpdate);
        }
        revert QeTcbLevelNotFound(isvSvn);
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
        // The header word: nextUpdate (bytes 0..7), issueDate (8..15), tcbEvaluationDataNumber (16..19).
        nextUpdate = uint64(header >> 192);
        issueDate = uint64(header >> 128);
        tcbEvaluationDataNumber = uint32(header >> 96);
        levels = new StoredLevel[](count);
        for (uint256 i = 0; i < count; ++i) {
            levels[i] = _decodeLevel(data, TCB_HEADER_BYTES + i * TCB_LEVEL_BYTES);
        }
    }

    /**
     * @notice The serials of the TCB Signing certificates the stored TCB Info of (`fmspc`, `pceId`) and the stored QE
     * Identity were verified under, packed: the serial's magnitude bytes (at most 20) from the first byte, their count
     * in the last; 0 for an item not stored. A verifier checks them against the root CA CRL per quote (verifier.ts
     * checks the TCB Signing certificate it is given against that CRL).
     * @param fmspc the platform family
     * @param pceId the PCE
     */
    function tcbSigningSerials(bytes6 fmspc, bytes2 pceId) external view returns (bytes32 tcbInfoSigner, bytes32 qeIdentitySigner) {
        return (_tcbInfo[_tcbKey(fmspc, pceId)].signer, _qeIdentity.signer);
    }

    /// @notice The time upserts are checked at: `block.timestamp` (a test harness replays Intel's 2025 collateral at its time).
    function _now() internal view virtual returns (uint256) {
        return block.timestamp;
    }

    /// @dev {verifyTcbInfo}, also returning the serial of the TCB Signing certificate the body was verified under.
    function _verifyTcbInfo(bytes memory body, bytes memory tcbSigningChainPem, uint256 now_)
        private
        view
        returns (TcbInfo.Parsed memory info, bytes32 signerSerial)
    {
        PckChain.TcbSigner memory signer = PckChain.verifyTcbSigning(tcbSigningChainPem, _root, now_);
        SignedCollateral.Span memory span = TcbInfo.split(body);
        SignedCollateral.checkSignature(body, span, CollateralKind.TcbInfo, signer.keyX, signer.keyY);
        info = TcbInfo.parse(body, span);
        SignedCollateral.checkFreshness(CollateralKind.TcbInfo, info.issueDate, info.nextUpdate, now_, NO_GRACE);
        signerSerial = _packSerial(signer.serial);
    }

    /// @dev {verifyQeIdentity}, also returning the serial of the TCB Signing certificate the body was verified under.
    function _verifyQeIdentity(bytes memory body, bytes memory tcbSigningChainPem, uint256 now_)
        private
        view
        returns (QeIdentity.Parsed memory q, bytes32 signerSerial)
    {
        PckChain.TcbSigner memory signer = PckChain.verifyTcbSigning(tcbSigningChainPem, _root, now_);
        SignedCollateral.Span memory span = QeIdentity.split(body);
        SignedCollateral.checkSignature(body, span, CollateralKind.QeIdentity, signer.keyX, signer.keyY);
        q = QeIdentity.parse(body, span);
        SignedCollateral.checkFreshness(CollateralKind.QeIdentity, q.issueDate, q.nextUpdate, now_, NO_GRACE);
        signerSerial = _packSerial(signer.serial);
    }

    /// @dev A serial's magnitude bytes (DerReader allows at most 20) from the word's first byte, their count in its last.
    function _packSerial(bytes memory serial) private pure returns (bytes32) {
        return bytes32(serial) | bytes32(serial.length);
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
            bytes32 head = bytes32(abi.encodePacked(l.components, l.pceSvn, l.status));
            bytes32 h = l.advisoryHash;
            uint256 offset = TCB_HEADER_BYTES + i * TCB_LEVEL_BYTES;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), offset)
                mstore(p, head)
                mstore(add(p, LEVEL_HASH_OFFSET), h)
            }
        }
    }

    /// @dev The QE Identity blob (see the contract's notes), written in order.
    function _encodeQeIdentity(QeIdentity.Parsed memory q) private pure returns (bytes memory data) {
        uint256 count = q.levels.length;
        data = new bytes(QE_HEADER_BYTES + count * QE_LEVEL_BYTES);
        bytes memory head = abi.encodePacked(
            q.nextUpdate, q.issueDate, q.tcbEvaluationDataNumber, q.isvProdId, q.miscselect, q.miscselectMask, q.mrsigner, q.attributes, q.attributesMask
        );
        assembly ("memory-safe") {
            mcopy(add(data, 0x20), add(head, 0x20), QE_HEADER_BYTES)
        }
        for (uint256 i = 0; i < count; ++i) {
            QeIdentity.Level memory l = q.levels[i];
            bytes32 first = bytes32(abi.encodePacked(l.isvSvn, l.status));
            bytes32 h = l.advisoryHash;
            uint256 offset = QE_HEADER_BYTES + i * QE_LEVEL_BYTES;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), offset)
                mstore(p, first)
                mstore(add(p, QE_LEVEL_HASH_OFFSET), h)
            }
        }
    }

    /// @dev Newer: a higher tcbEvaluationDataNumber, or the same with a later issueDate (anything beats nothing).
    function _requireNewer(CollateralKind kind, StoredTcbInfo storage stored, uint32 evaluationDataNumber, uint64 issueDate) private view {
        (address blob, uint32 storedNumber, uint40 storedIssueDate) = (stored.blob, stored.tcbEvaluationDataNumber, stored.issueDate);
        if (blob == address(0)) return;
        if (evaluationDataNumber < storedNumber || (evaluationDataNumber == storedNumber && issueDate <= storedIssueDate)) {
            revert CollateralNotNewer(kind, storedNumber, storedIssueDate, evaluationDataNumber, issueDate);
        }
    }

    /// @dev Whether every byte of `platform` is at least the same byte of `level`.
    function _reachesAll(bytes16 platform, bytes16 level) private pure returns (bool) {
        for (uint256 i = 0; i < COMPONENT_COUNT; ++i) {
            if (uint8(platform[i]) < uint8(level[i])) return false;
        }
        return true;
    }

    function _tcbKey(bytes6 fmspc, bytes2 pceId) private pure returns (bytes8) {
        return bytes8(abi.encodePacked(fmspc, pceId));
    }
}
