// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IAnonifyGroup} from "./group/IAnonifyGroup.sol";
import {AnonifyMessages} from "./group/AnonifyMessages.sol";
import {IEnclaveVerifier} from "./attestation/IEnclaveVerifier.sol";
import {RuntimeName} from "./lib/RuntimeName.sol";

/**
 * @title AnonifyGroup
 * @notice Roster of attested enclaves, handshake log, ciphertext log and state checkpoints of one Anonify group.
 * See {IAnonifyGroup} and docs/contracts.md.
 * @dev Storage per post is one slot read for the signer's roster entry and one slot read-modify-write for the log head
 * (epoch, stateCounter, the active-enclave count and the log hash share a slot). Payloads live only in events.
 */
contract AnonifyGroup is IAnonifyGroup, EIP712, AccessControlDefaultAdminRules {
    /// @notice Role allowed to revoke, evict at once and reinstate enclaves, and to set operator caps.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice Role whose holders may submit {join} (granted and revoked by the admin; audit F-2).
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Active enclaves an operator may have joined until the governor sets another cap ({setOperatorCap}).
    uint32 public constant DEFAULT_OPERATOR_CAP = 1;

    /// @notice Largest cap {setOperatorCap} accepts (bounds the roster one operator can grow).
    uint32 public constant MAX_OPERATOR_CAP = 256;

    /// @notice Largest per-block join limit {setOpenAdmission} accepts.
    uint32 public constant MAX_OPEN_JOINS_PER_BLOCK = 16;

    /// @notice Eviction grace period of a new group: one day.
    uint64 public constant DEFAULT_EVICTION_GRACE_PERIOD = 1 days;

    /// @notice Most ciphertexts one {postCiphertextBatch} may carry (bounds the event size and the hashing loop).
    uint256 public constant MAX_BATCH_SIZE = 128;

    /// @notice EIP-712 domain name.
    string public constant DOMAIN_NAME = "Anonify";
    /// @notice EIP-712 domain version.
    string public constant DOMAIN_VERSION = "1";

    /// @dev REPORTDATA layout: enclave address (20 bytes) ‖ SHA-256(hpkePublicKey ‖ mlsSignatureKey) (32) ‖ zero (12).
    /// With low = REPORTDATA[0..32] and high = [32..64]: key hash = low[20..32] ‖ high[0..20], reserved = high[20..32].
    uint256 private constant ADDRESS_BITS = 160;
    uint256 private constant KEY_HASH_TAIL_SHIFT = 96;

    /// @dev Bit positions of `postEpoch` (56 bits) and `nextPostSequence` (32 bits) in an {EnclaveRecord}'s first slot
    /// ({_takePostSequence}), and the mask of both.
    uint256 private constant POST_EPOCH_SHIFT = 168;
    uint256 private constant NEXT_POST_SEQUENCE_SHIFT = 224;
    uint256 private constant POST_FIELDS_MASK = type(uint256).max << POST_EPOCH_SHIFT;

    /// @notice The attestation verifier of joins' evidence (pins Intel's root and holds the policy, including the
    /// MRENCLAVE allowlist): an `IasVerifier` or a `DcapVerifier`, whose {IEnclaveVerifier.evidenceKind} says which.
    IEnclaveVerifier public immutable verifier;

    /**
     * @dev The log head, packed into one slot (48 + 48 + 16 + 16 + 128 bits), which every post reads and writes: the
     * epoch, the ciphertext log's counter, the active-enclave count, the revocations whose removal commit has not
     * landed (audit F-6: posts wait while it is not zero) and the log hash L_stateCounter
     * ({AnonifyMessages-nextLogHash}; audit F-8). The ABI keeps uint64 for epochs and counters and uint32 for the
     * active count. 16 bits hold 65,535 active enclaves, far beyond what one MLS group's commits and GroupInfos can
     * carry on chain, and as many revoked enclaves awaiting removal (each was active). 48 bits hold 2.8e14
     * handshakes or entries: every entry costs at least ~4,000 gas, so a chain spending 100 million gas per second on
     * one group alone would need over 350 years to get there. The arithmetic is checked, so even that overflow would
     * revert rather than wrap (unreachable in practice).
     */
    struct LogHead {
        uint48 epoch;
        uint48 stateCounter;
        uint16 activeEnclaves;
        uint16 pendingRemovals;
        bytes16 logHash;
    }

    /// @dev A roster entry as stored: {Enclave} plus the id of the operator that joined it and the enclave's post
    /// sequence (the epoch it counts in and the next number), which share the first slot with `status`,
    /// `joinedAtEpoch` and `checkpointStateCounter`: a post reads and writes that one slot. Epochs count handshakes
    /// and a post number counts one enclave's posts in one epoch, so 56 and 32 bits never run out (SafeCast reverts
    /// if they did). `removalPending` (its own slot, touched only by revocations, reinstatements and removal commits)
    /// is set while the enclave is revoked and its leaf may still be in the MLS group (audit F-6).
    struct EnclaveRecord {
        EnclaveStatus status;
        uint64 joinedAtEpoch;
        uint64 checkpointStateCounter;
        uint32 operatorId;
        uint56 postEpoch;
        uint32 nextPostSequence;
        bytes32 mrenclave;
        bytes32 hpkePublicKey;
        bytes32 mlsSignatureKey;
        bytes32 checkpointStateHash;
        bool removalPending;
    }

    /// @dev What {join} reads about its sender, in one slot: whether it holds `OPERATOR_ROLE` (kept in step with
    /// AccessControl by {_grantRole} and {_revokeRole}), its id (0 = none yet), its active enclaves and its cap
    /// (0 = {DEFAULT_OPERATOR_CAP}).
    struct OperatorRecord {
        bool approved;
        uint32 id;
        uint32 activeEnclaves;
        uint32 cap;
    }

    /// @dev Admission settings, in one slot read only by evictions, governance and joins of non-operators: the eviction
    /// grace period, open mode, its per-block limit, the block the current count is for, the count, and the number
    /// of operator ids handed out.
    struct Admission {
        uint64 evictionGracePeriod;
        bool open;
        uint32 maxJoinsPerBlock;
        uint64 rateBlock;
        uint32 joinsInRateBlock;
        uint32 operatorCount;
    }

    LogHead private _head;
    mapping(address enclave => EnclaveRecord) private _roster;
    Admission private _admission;
    mapping(address operator => OperatorRecord) private _operators;
    mapping(uint32 id => address operator) private _operatorAddresses;
    /// @dev Read by clients and nodes only (no post touches it), so a string in storage costs nothing per post.
    string private _runtime;

    /**
     * @param verifier_ The {IEnclaveVerifier} whose `verifyEvidence` (policy included) admits enclaves.
     * @param initialAdmin Holder of `DEFAULT_ADMIN_ROLE` (transferred in two steps).
     * @param adminTransferDelay Delay before a new admin can accept (see OpenZeppelin `AccessControlDefaultAdminRules`).
     * @param initialGovernor Granted `GOVERNOR_ROLE` when not zero.
     * @param initialOperators Granted `OPERATOR_ROLE` (may be empty: then only the admin's grants open the group).
     * @param openMaxJoinsPerBlock 0: admission closed to non-operators; otherwise open mode with this per-block limit
     * (see {setOpenAdmission}).
     * @param runtime_ The state runtime the group runs ({runtime}), e.g. `anonify-token/v1`.
     */
    constructor(
        IEnclaveVerifier verifier_,
        address initialAdmin,
        uint48 adminTransferDelay,
        address initialGovernor,
        address[] memory initialOperators,
        uint32 openMaxJoinsPerBlock,
        string memory runtime_
    ) EIP712(DOMAIN_NAME, DOMAIN_VERSION) AccessControlDefaultAdminRules(adminTransferDelay, initialAdmin) {
        if (address(verifier_).code.length == 0) revert VerifierNotContract(address(verifier_));
        if (!RuntimeName.isValid(runtime_)) revert InvalidRuntimeName(runtime_);
        verifier = verifier_;
        emit VerifierSet(address(verifier_));
        _runtime = runtime_;
        emit RuntimeSet(runtime_);
        _admission.evictionGracePeriod = DEFAULT_EVICTION_GRACE_PERIOD;
        emit EvictionGracePeriodSet(0, DEFAULT_EVICTION_GRACE_PERIOD);
        if (initialGovernor != address(0)) _grantRole(GOVERNOR_ROLE, initialGovernor);
        for (uint256 i; i < initialOperators.length; ++i) {
            if (initialOperators[i] == address(0)) revert OperatorZero();
            _grantRole(OPERATOR_ROLE, initialOperators[i]);
        }
        if (openMaxJoinsPerBlock != 0) _setOpenAdmission(true, openMaxJoinsPerBlock);
    }

    // ---------------------------------------------------------------- enclave entry points

    /// @inheritdoc IAnonifyGroup
    function join(
        bytes calldata evidence,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey,
        bytes calldata handshake,
        bytes calldata handshakeSignature
    ) external {
        if (handshake.length == 0) revert HandshakeEmpty();
        OperatorRecord memory operator = _checkAdmission();
        (address account, bytes32 mrenclave) = _attestedEnclave(evidence, hpkePublicKey, mlsSignatureKey);
        EnclaveStatus status = _roster[account].status;
        if (status == EnclaveStatus.Active) revert EnclaveAlreadyRegistered(account);
        if (status == EnclaveStatus.Revoked) revert EnclaveWasRevoked(account);

        uint64 epoch = _head.epoch;
        address signer = _recover(AnonifyMessages.handshake(epoch, handshake), handshakeSignature);
        if (signer != account) revert HandshakeSignerMismatch(account, signer);

        uint32 operatorId = _recordAdmission(operator);
        _register(account, mrenclave, hpkePublicKey, mlsSignatureKey, operatorId);
        emit EnclaveAdmitted(account, msg.sender, !operator.approved);
        emit HandshakePosted(epoch, account, handshake);
    }

    /// @inheritdoc IAnonifyGroup
    function postHandshake(uint64 epoch, bytes calldata handshake, bytes calldata signature) external {
        address[] calldata none;
        assembly ("memory-safe") {
            none.offset := 0
            none.length := 0
        }
        _appendHandshake(epoch, handshake, none, signature);
    }

    /// @inheritdoc IAnonifyGroup
    function postRemovalCommit(
        uint64 epoch,
        bytes calldata handshake,
        address[] calldata removed,
        bytes calldata signature
    ) external {
        // An empty list makes it a plain handshake (signed as `Handshake`), which clears nothing.
        _appendHandshake(epoch, handshake, removed, signature);
    }

    /// @inheritdoc IAnonifyGroup
    function postCiphertext(uint64 epoch, uint64 sequence, bytes calldata ciphertext, bytes calldata signature) external {
        if (ciphertext.length == 0) revert CiphertextEmpty(0);
        LogHead memory head = _head;
        _checkPostHead(head, epoch);
        bytes32 payloadHash = keccak256(ciphertext);
        address sender = _recoverActive(AnonifyMessages.ciphertext(epoch, sequence, payloadHash), signature);
        _takePostSequence(sender, epoch, sequence, 1);

        head.stateCounter += 1;
        head.logHash = AnonifyMessages.nextLogHash(head.logHash, payloadHash);
        _writeHead(head);
        emit CiphertextPosted(head.stateCounter, epoch, sender, ciphertext);
    }

    /// @inheritdoc IAnonifyGroup
    function postCiphertextBatch(
        uint64 epoch,
        uint64 firstSequence,
        bytes[] calldata ciphertexts,
        bytes calldata signature
    ) external {
        uint256 count = ciphertexts.length;
        if (count == 0) revert BatchEmpty();
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);
        for (uint256 i; i < count; ++i) {
            if (ciphertexts[i].length == 0) revert CiphertextEmpty(i);
        }
        LogHead memory head = _head;
        _checkPostHead(head, epoch);
        (bytes32 payloads, bytes16 logHash_) = AnonifyMessages.payloadsAndLogHash(ciphertexts, head.logHash);
        address sender = _recoverActive(AnonifyMessages.ciphertextBatch(epoch, firstSequence, payloads), signature);
        _takePostSequence(sender, epoch, firstSequence, count);

        uint64 first = head.stateCounter + 1;
        // count <= MAX_BATCH_SIZE, so the cast is exact.
        head.stateCounter += uint48(count);
        head.logHash = logHash_;
        _writeHead(head);
        emit CiphertextBatchPosted(first, epoch, sender, ciphertexts);
    }

    /// @inheritdoc IAnonifyGroup
    function postSnapshot(uint64 epoch, uint64 stateCounter_, bytes calldata snapshot, bytes calldata signature) external {
        if (snapshot.length == 0) revert CiphertextEmpty(0);
        LogHead memory head = _head;
        _checkPostHead(head, epoch);
        uint64 counter = uint64(head.stateCounter) + 1;
        if (stateCounter_ != counter) revert SnapshotPositionMismatch(counter, stateCounter_);
        bytes32 payloadHash = keccak256(snapshot);
        address sender = _recoverActive(AnonifyMessages.snapshot(epoch, stateCounter_, payloadHash), signature);

        head.stateCounter += 1;
        head.logHash = AnonifyMessages.nextLogHash(head.logHash, payloadHash);
        _writeHead(head);
        emit CiphertextPosted(counter, epoch, sender, snapshot);
    }

    /// @inheritdoc IAnonifyGroup
    function postCheckpoint(
        uint64 counter,
        bytes32 stateHash,
        bytes16 signedLogHash,
        bytes32[] calldata laterEntryHashes,
        bytes calldata signature
    ) external {
        address sender = _recoverActive(AnonifyMessages.checkpoint(counter, stateHash, signedLogHash), signature);
        uint64 logCounter = _head.stateCounter;
        if (counter > logCounter) revert CheckpointAheadOfLog(logCounter, counter);
        EnclaveRecord storage record = _roster[sender];
        uint64 previous = record.checkpointStateCounter;
        if (counter <= previous) revert CheckpointNotAfterPrevious(previous, counter);
        // counter <= logCounter, so the difference does not underflow.
        uint256 later = logCounter - counter;
        if (laterEntryHashes.length != later) revert CheckpointTailMismatch(later, laterEntryHashes.length);
        bytes16 folded = AnonifyMessages.foldLogHash(signedLogHash, laterEntryHashes);
        bytes16 headLogHash = _head.logHash;
        if (folded != headLogHash) revert CheckpointLogMismatch(headLogHash, folded);

        record.checkpointStateCounter = counter;
        record.checkpointStateHash = stateHash;
        emit CheckpointPosted(sender, counter, stateHash, signedLogHash);
    }

    // ---------------------------------------------------------------- roster maintenance

    /// @inheritdoc IAnonifyGroup
    function revokeEnclave(address account) external onlyRole(GOVERNOR_ROLE) {
        _requireActive(account);
        _revoke(account, RevocationReason.Governance);
    }

    /// @inheritdoc IAnonifyGroup
    function evictEnclave(address account) external {
        _requireActive(account);
        bytes32 mrenclave = _roster[account].mrenclave;
        if (verifier.isMrenclaveAllowed(mrenclave)) revert MrenclaveStillAllowed(mrenclave);
        if (!hasRole(GOVERNOR_ROLE, msg.sender)) {
            uint64 disallowedAt = verifier.mrenclaveDisallowedAt(mrenclave);
            uint256 evictableAt = uint256(disallowedAt) + _admission.evictionGracePeriod;
            if (block.timestamp < evictableAt) revert EvictionGracePeriodRunning(mrenclave, disallowedAt, evictableAt);
        }
        _revoke(account, RevocationReason.MrenclaveDisallowed);
    }

    /// @inheritdoc IAnonifyGroup
    function reinstateEnclave(address account) external onlyRole(GOVERNOR_ROLE) {
        EnclaveRecord storage record = _roster[account];
        if (record.status != EnclaveStatus.Revoked) revert EnclaveNotRevoked(account);
        bytes32 mrenclave = record.mrenclave;
        if (!verifier.isMrenclaveAllowed(mrenclave)) revert MrenclaveNotAllowed(mrenclave);
        address operatorAddress = _operatorAddresses[record.operatorId];
        OperatorRecord storage operator = _operators[operatorAddress];
        uint32 cap = _capOf(operator);
        if (operator.activeEnclaves >= cap) revert OperatorCapReached(operatorAddress, cap);

        record.status = EnclaveStatus.Active;
        operator.activeEnclaves += 1;
        _head.activeEnclaves += 1;
        if (record.removalPending) {
            // Its leaf was never removed: it is a member again, and nothing waits for a removal commit any more.
            record.removalPending = false;
            _head.pendingRemovals -= 1;
        }
        emit EnclaveReinstated(account, mrenclave, msg.sender);
    }

    /// @inheritdoc IAnonifyGroup
    function setEvictionGracePeriod(uint64 gracePeriod) external onlyRole(GOVERNOR_ROLE) {
        uint64 previous = _admission.evictionGracePeriod;
        if (previous == gracePeriod) return;
        _admission.evictionGracePeriod = gracePeriod;
        emit EvictionGracePeriodSet(previous, gracePeriod);
    }

    // ---------------------------------------------------------------- admission

    /// @inheritdoc IAnonifyGroup
    function setOperatorCap(address operator, uint32 cap) external onlyRole(GOVERNOR_ROLE) {
        if (operator == address(0)) revert OperatorZero();
        if (cap == 0 || cap > MAX_OPERATOR_CAP) revert InvalidOperatorCap(cap, MAX_OPERATOR_CAP);
        OperatorRecord storage record = _operators[operator];
        uint32 previous = _capOf(record);
        if (previous == cap) return;
        record.cap = cap;
        emit OperatorCapSet(operator, previous, cap);
    }

    /// @inheritdoc IAnonifyGroup
    function setOpenAdmission(bool open, uint32 maxJoinsPerBlock) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setOpenAdmission(open, maxJoinsPerBlock);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAnonifyGroup
    function runtime() external view returns (string memory) {
        return _runtime;
    }

    /// @inheritdoc IAnonifyGroup
    function currentEpoch() external view returns (uint64) {
        return _head.epoch;
    }

    /// @inheritdoc IAnonifyGroup
    function stateCounter() external view returns (uint64) {
        return _head.stateCounter;
    }

    /// @inheritdoc IAnonifyGroup
    function logHash() external view returns (bytes16) {
        return _head.logHash;
    }

    /// @inheritdoc IAnonifyGroup
    function evictionGracePeriod() external view returns (uint64) {
        return _admission.evictionGracePeriod;
    }

    /// @inheritdoc IAnonifyGroup
    function openAdmission() external view returns (bool open, uint32 maxJoinsPerBlock) {
        Admission memory admission = _admission;
        return (admission.open, admission.maxJoinsPerBlock);
    }

    /// @inheritdoc IAnonifyGroup
    function operatorInfo(address operator) external view returns (bool approved, uint32 activeEnclaves, uint32 cap) {
        OperatorRecord memory record = _operators[operator];
        return (record.approved, record.activeEnclaves, _capOf(record));
    }

    /// @inheritdoc IAnonifyGroup
    function enclaveOperator(address account) external view returns (address) {
        return _operatorAddresses[_roster[account].operatorId];
    }

    /// @inheritdoc IAnonifyGroup
    function activeEnclaveCount() external view returns (uint32) {
        return _head.activeEnclaves;
    }

    /// @inheritdoc IAnonifyGroup
    function pendingRemovalCount() external view returns (uint32) {
        return _head.pendingRemovals;
    }

    /// @inheritdoc IAnonifyGroup
    function removalPending(address account) external view returns (bool) {
        return _roster[account].removalPending;
    }

    /// @inheritdoc IAnonifyGroup
    function enclave(address account) external view returns (Enclave memory) {
        EnclaveRecord storage record = _roster[account];
        return Enclave({
            status: record.status,
            joinedAtEpoch: record.joinedAtEpoch,
            checkpointStateCounter: record.checkpointStateCounter,
            mrenclave: record.mrenclave,
            hpkePublicKey: record.hpkePublicKey,
            mlsSignatureKey: record.mlsSignatureKey,
            checkpointStateHash: record.checkpointStateHash
        });
    }

    /// @inheritdoc IAnonifyGroup
    function handshakeDigest(uint64 epoch, bytes calldata handshake) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.handshake(epoch, handshake));
    }

    /// @inheritdoc IAnonifyGroup
    function nextPostSequence(address account, uint64 epoch) external view returns (uint64) {
        EnclaveRecord storage record = _roster[account];
        return record.postEpoch == epoch ? record.nextPostSequence : 0;
    }

    /// @inheritdoc IAnonifyGroup
    function ciphertextDigest(uint64 epoch, uint64 sequence, bytes calldata ciphertext) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.ciphertext(epoch, sequence, ciphertext));
    }

    /// @inheritdoc IAnonifyGroup
    function ciphertextBatchDigest(
        uint64 epoch,
        uint64 firstSequence,
        bytes[] calldata ciphertexts
    ) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.ciphertextBatch(epoch, firstSequence, AnonifyMessages.payloadsHash(ciphertexts)));
    }

    /// @inheritdoc IAnonifyGroup
    function snapshotDigest(uint64 epoch, uint64 stateCounter_, bytes calldata snapshot) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.snapshot(epoch, stateCounter_, snapshot));
    }

    /// @inheritdoc IAnonifyGroup
    function checkpointDigest(uint64 counter, bytes32 stateHash, bytes16 signedLogHash) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.checkpoint(counter, stateHash, signedLogHash));
    }

    /// @notice The EIP-712 domain separator enclaves sign under (chain id and this address included).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IAnonifyGroup).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Keeps the operator slot {join} reads in step with `OPERATOR_ROLE`; a new operator gets its id here, so its
    /// first join writes no id.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == OPERATOR_ROLE) {
            OperatorRecord storage record = _operators[account];
            record.approved = true;
            if (record.id == 0) {
                uint32 id = ++_admission.operatorCount;
                record.id = id;
                _operatorAddresses[id] = account;
            }
        }
    }

    /// @dev Revoking or renouncing `OPERATOR_ROLE` stops further joins; the operator's enclaves stay on the roster.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == OPERATOR_ROLE) _operators[account].approved = false;
    }

    /// @dev The sender's operator record once it may join: it holds `OPERATOR_ROLE`, or admission is open and this
    /// block's limit not reached; and it is under its cap. One slot read for an operator.
    function _checkAdmission() private view returns (OperatorRecord memory operator) {
        operator = _operators[msg.sender];
        if (!operator.approved) {
            Admission memory admission = _admission;
            if (!admission.open) revert NotAnOperator(msg.sender);
            if (admission.rateBlock == block.number && admission.joinsInRateBlock >= admission.maxJoinsPerBlock) {
                revert JoinRateLimited(block.number, admission.maxJoinsPerBlock);
            }
        }
        uint32 cap = _capOf(operator);
        if (operator.activeEnclaves >= cap) revert OperatorCapReached(msg.sender, cap);
    }

    /// @dev Counts the sender's new enclave (and, through open mode, the block's join) and returns its operator id.
    function _recordAdmission(OperatorRecord memory operator) private returns (uint32) {
        if (!operator.approved) {
            Admission memory admission = _admission;
            // Block numbers fit in 64 bits for the lifetime of any chain.
            uint64 blockNumber = uint64(block.number);
            if (admission.rateBlock != blockNumber) {
                admission.rateBlock = blockNumber;
                admission.joinsInRateBlock = 0;
            }
            admission.joinsInRateBlock += 1;
            if (operator.id == 0) {
                operator.id = ++admission.operatorCount;
                _operatorAddresses[operator.id] = msg.sender;
            }
            _admission = admission;
        }
        operator.activeEnclaves += 1;
        _operators[msg.sender] = operator;
        return operator.id;
    }

    /// @dev Open mode needs a limit in 1..{MAX_OPEN_JOINS_PER_BLOCK}, closing needs 0; emits only on a real change.
    function _setOpenAdmission(bool open, uint32 maxJoinsPerBlock) private {
        if (open ? (maxJoinsPerBlock == 0 || maxJoinsPerBlock > MAX_OPEN_JOINS_PER_BLOCK) : maxJoinsPerBlock != 0) {
            revert InvalidOpenAdmission(open, maxJoinsPerBlock, MAX_OPEN_JOINS_PER_BLOCK);
        }
        Admission storage admission = _admission;
        if (admission.open == open && admission.maxJoinsPerBlock == maxJoinsPerBlock) return;
        admission.open = open;
        admission.maxJoinsPerBlock = maxJoinsPerBlock;
        emit OpenAdmissionSet(open, maxJoinsPerBlock);
    }

    /// @dev The cap that applies to an operator record (0 stored = {DEFAULT_OPERATOR_CAP}).
    function _capOf(OperatorRecord memory record) private pure returns (uint32) {
        return record.cap == 0 ? DEFAULT_OPERATOR_CAP : record.cap;
    }

    /**
     * @dev Verifies the evidence (signatures, format and the verifier's policy), then binds the submitted keys to it:
     * REPORTDATA[0..20] is the enclave address, [20..52] SHA-256(hpkePublicKey ‖ mlsSignatureKey), [52..64] zero.
     * The MRENCLAVE must be on the verifier's allowlist even if the verifier's own MRENCLAVE check is switched off.
     */
    function _attestedEnclave(bytes calldata evidence, bytes32 hpkePublicKey, bytes32 mlsSignatureKey)
        private
        returns (address account, bytes32 mrenclave)
    {
        IEnclaveVerifier.Attested memory verified = verifier.verifyEvidence(evidence);
        bytes32 low = verified.reportDataLow;
        bytes32 high = verified.reportDataHigh;

        bytes32 attestedKeyHash = (low << ADDRESS_BITS) | (high >> KEY_HASH_TAIL_SHIFT);
        bytes32 submittedKeyHash = sha256(abi.encodePacked(hpkePublicKey, mlsSignatureKey));
        if (attestedKeyHash != submittedKeyHash) revert ReportDataKeyHashMismatch(attestedKeyHash, submittedKeyHash);
        bytes12 reserved = bytes12(high << ADDRESS_BITS);
        if (reserved != bytes12(0)) revert ReportDataReservedNotZero(reserved);

        mrenclave = verified.mrenclave;
        if (!verifier.isMrenclaveAllowed(mrenclave)) revert MrenclaveNotAllowed(mrenclave);
        account = address(bytes20(low));
    }

    /**
     * @dev Appends a member's handshake of `epoch` (not empty, for the current epoch, signed by an active enclave) and
     * moves the group to the next epoch. With `removed` empty it is a plain handshake, signed as `Handshake`; otherwise
     * a removal commit, signed as `RemovalCommit`, that clears the pending removal of each enclave in `removed` (which
     * must be pending, in strictly ascending order). One body for {postHandshake} and {postRemovalCommit}: the
     * contract is close to the code size limit.
     */
    function _appendHandshake(
        uint64 epoch,
        bytes calldata handshake,
        address[] calldata removed,
        bytes calldata signature
    ) private {
        if (handshake.length == 0) revert HandshakeEmpty();
        LogHead memory head = _head;
        if (epoch != head.epoch) revert EpochMismatch(head.epoch, epoch);
        uint256 count = removed.length;
        bytes32 structHash = count == 0
            ? AnonifyMessages.handshake(epoch, handshake)
            : AnonifyMessages.removalCommit(epoch, handshake, removed);
        address sender = _recoverActive(structHash, signature);

        address previous;
        for (uint256 i; i < count; ++i) {
            address account = removed[i];
            // Strictly ascending: a duplicate is `previous == account`.
            if (i != 0 && account <= previous) revert RemovedEnclavesNotAscending(previous, account);
            EnclaveRecord storage record = _roster[account];
            if (!record.removalPending) revert RemovalNotPending(account, record.status);
            record.removalPending = false;
            emit EnclaveRemoved(account, epoch, sender);
            previous = account;
        }
        head.epoch += 1;
        // Every named enclave was pending and is named once, so count <= pendingRemovals and the cast is exact.
        head.pendingRemovals -= uint16(count);
        _writeHead(head);
        emit HandshakePosted(epoch, sender, handshake);
    }

    /// @dev Signer of the EIP-712 message with `structHash` (OpenZeppelin ECDSA: 65 bytes, low-s, no zero address).
    function _recover(bytes32 structHash, bytes calldata signature) private view returns (address) {
        return ECDSA.recoverCalldata(_hashTypedDataV4(structHash), signature);
    }

    /// @dev Signer of the message, which must be an active enclave.
    function _recoverActive(bytes32 structHash, bytes calldata signature) private view returns (address signer) {
        signer = _recover(structHash, signature);
        _requireActive(signer);
    }

    /// @dev Takes post numbers `sequence .. sequence + count - 1` of `account` in `epoch`, which must be its next: a
    /// replayed post (or one whose predecessor never landed) reverts. Numbering restarts at 0 in each epoch, as the
    /// enclaves' producer sequences do (enclave/PROTOCOL.md "Log entries"). The slot is warm from {_requireActive}; it
    /// is read once and written once: assigning `postEpoch` and `nextPostSequence` one by one makes the code generator
    /// read and write the slot per field (about 300 gas more per post). The word is the record's first slot as the
    /// compiler lays {EnclaveRecord} out (first member in the low-order bits): status bits 0-7, joinedAtEpoch 8-71,
    /// checkpointStateCounter 72-135, operatorId 136-167, postEpoch 168-223, nextPostSequence 224-255. The views read
    /// the slot through the struct ({nextPostSequence}, {enclave}), so the tests that compare them with a model after
    /// each post check this layout.
    function _takePostSequence(address account, uint64 epoch, uint64 sequence, uint256 count) private {
        EnclaveRecord storage record = _roster[account];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(record.slot)
        }
        uint64 expected = uint56(word >> POST_EPOCH_SHIFT) == epoch ? uint32(word >> NEXT_POST_SEQUENCE_SHIFT) : 0;
        if (sequence != expected) revert PostSequenceMismatch(account, expected, sequence);
        word = (word & ~POST_FIELDS_MASK) |
            (uint256(SafeCast.toUint56(epoch)) << POST_EPOCH_SHIFT) |
            (uint256(SafeCast.toUint32(uint256(sequence) + count)) << NEXT_POST_SEQUENCE_SHIFT);
        assembly ("memory-safe") {
            sstore(record.slot, word)
        }
    }

    /**
     * @dev Stores the whole log head with one SSTORE. Assigning the memory struct (`_head = head`) or its fields one by
     * one makes the legacy code generator read and mask the slot per field (90 to 200 gas more per post, measured with
     * `npm run bench:gas`);
     * this packs the word as the compiler lays {LogHead} out (first member in the low-order bits): epoch bits 0-47,
     * stateCounter 48-95, activeEnclaves 96-111, pendingRemovals 112-127, logHash 128-255. The views read the slot
     * through the struct, so the tests that compare every view with a model after each post check this layout.
     */
    function _writeHead(LogHead memory head) private {
        uint256 word = uint256(head.epoch) |
            (uint256(head.stateCounter) << 48) |
            (uint256(head.activeEnclaves) << 96) |
            (uint256(head.pendingRemovals) << 112) |
            (uint256(uint128(head.logHash)) << 128);
        assembly ("memory-safe") {
            sstore(_head.slot, word)
        }
    }

    /// @dev Reverts unless `account` is an active enclave (one roster slot read).
    function _requireActive(address account) private view {
        EnclaveStatus status = _roster[account].status;
        if (status != EnclaveStatus.Active) {
            if (status == EnclaveStatus.Revoked) revert EnclaveWasRevoked(account);
            revert EnclaveNotRegistered(account);
        }
    }

    /// @dev Adds `account` to the roster as a member from the next epoch, which its join handshake creates.
    function _register(
        address account,
        bytes32 mrenclave,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey,
        uint32 operatorId
    ) private {
        LogHead memory head = _head;
        head.epoch += 1;
        head.activeEnclaves += 1;
        uint64 nextEpoch = head.epoch;
        EnclaveRecord storage record = _roster[account];
        record.status = EnclaveStatus.Active;
        record.joinedAtEpoch = nextEpoch;
        record.operatorId = operatorId;
        record.mrenclave = mrenclave;
        record.hpkePublicKey = hpkePublicKey;
        record.mlsSignatureKey = mlsSignatureKey;
        _head = head;
        emit EnclaveJoined(account, mrenclave, nextEpoch, hpkePublicKey, mlsSignatureKey);
    }

    /// @dev Marks an active enclave revoked for good; its record stays for audits. Its leaf is still in the MLS group,
    /// so posts wait until a member's removal commit ({postRemovalCommit}) removes it (audit F-6).
    function _revoke(address account, RevocationReason reason) private {
        EnclaveRecord storage record = _roster[account];
        record.status = EnclaveStatus.Revoked;
        record.removalPending = true;
        _operators[_operatorAddresses[record.operatorId]].activeEnclaves -= 1;
        _head.activeEnclaves -= 1;
        _head.pendingRemovals += 1;
        emit EnclaveRevoked(account, record.mrenclave, reason, msg.sender);
    }

    /// @dev A log entry is accepted for the current epoch only, and not while a revoked enclave's leaf may still be in
    /// the MLS group: it could read the entry (audit F-6).
    function _checkPostHead(LogHead memory head, uint64 epoch) private pure {
        if (epoch != head.epoch) revert EpochMismatch(head.epoch, epoch);
        if (head.pendingRemovals != 0) revert RemovalCommitPending(head.pendingRemovals);
    }
}
