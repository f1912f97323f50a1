// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @title IAnonifyGroup
 * @notice The on-chain core of an Anonify group: a roster of attested enclaves, the handshake log (one MLS commit per
 * epoch), the ciphertext log (every entry numbered by a strictly increasing `stateCounter`, with a running hash of its
 * content) and per-enclave state checkpoints. Payloads are never stored: events carry the bytes and nodes rebuild
 * everything from the logs.
 * @dev Enclaves authenticate with secp256k1 ECDSA signatures over EIP-712 typed data (domain "Anonify", version "1",
 * chain id, this contract's address; see {AnonifyMessages}). The account sending a transaction (the host) plays no
 * role in authorization, so any relayer may submit an enclave's signed message.
 */
interface IAnonifyGroup {
    /// @notice Lifecycle of an enclave address in the roster. A `Revoked` address never rejoins by itself; only the
    /// governor can reinstate it ({reinstateEnclave}).
    enum EnclaveStatus {
        None,
        Active,
        Revoked
    }

    /// @notice Why an enclave left the roster.
    enum RevocationReason {
        /// A `GOVERNOR_ROLE` holder revoked it ({revokeEnclave}).
        Governance,
        /// Its MRENCLAVE is no longer on the verifier's allowlist and someone evicted it ({evictEnclave}): the governor at
        /// once, anyone else after the group's eviction grace period.
        MrenclaveDisallowed
    }

    /**
     * @notice What the roster keeps per enclave address.
     * @dev `status`, `joinedAtEpoch` and `checkpointStateCounter` share one storage slot, the only one read when the
     * enclave posts a handshake or a ciphertext.
     */
    struct Enclave {
        EnclaveStatus status;
        /// First epoch in which the enclave is a member (the epoch its join handshake created).
        uint64 joinedAtEpoch;
        /// `stateCounter` of the enclave's latest checkpoint (0 = none yet).
        uint64 checkpointStateCounter;
        /// MRENCLAVE of the attested enclave, from its IAS report.
        bytes32 mrenclave;
        /// The enclave's X25519 HPKE public key (users encrypt commands to it).
        bytes32 hpkePublicKey;
        /// The enclave's Ed25519 MLS signature key (its leaf credential in the TreeKEM group).
        bytes32 mlsSignatureKey;
        /// Keyed state hash of the enclave's latest checkpoint.
        bytes32 checkpointStateHash;
    }

    // ---------------------------------------------------------------- events

    /// @notice An attested enclave joined the roster; its join handshake is the `HandshakePosted` of `joinedAtEpoch - 1`.
    event EnclaveJoined(
        address indexed enclave,
        bytes32 indexed mrenclave,
        uint64 joinedAtEpoch,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey
    );

    /// @notice An enclave was removed from the roster for good. Its MLS leaf stays until a member's removal commit
    /// ({postRemovalCommit}) removes it; until then no ciphertext or snapshot is accepted (audit F-6).
    event EnclaveRevoked(address indexed enclave, bytes32 indexed mrenclave, RevocationReason reason, address by);

    /// @notice The removal commit `committer` posted for `epoch` removed the leaf of the revoked `enclave`
    /// ({postRemovalCommit}); `HandshakePosted` of the same epoch carries the commit.
    event EnclaveRemoved(address indexed enclave, uint64 indexed epoch, address indexed committer);

    /// @notice The governor put a revoked enclave back on the roster (see {reinstateEnclave}). If no `EnclaveRemoved`
    /// followed its `EnclaveRevoked`, this also cancels its pending removal (its leaf is a member's again).
    event EnclaveReinstated(address indexed enclave, bytes32 indexed mrenclave, address by);

    /// @notice The time a disallowed MRENCLAVE's enclaves are protected from permissionless eviction changed.
    event EvictionGracePeriodSet(uint64 previous, uint64 gracePeriod);

    /// @notice `operator` submitted the join of `enclave`, which counts against the operator's cap until it is revoked
    /// or evicted; `viaOpenAdmission` when the operator does not hold `OPERATOR_ROLE` and open mode admitted it.
    event EnclaveAdmitted(address indexed enclave, address indexed operator, bool viaOpenAdmission);

    /// @notice The governor changed how many active enclaves `operator` may have joined.
    event OperatorCapSet(address indexed operator, uint32 previous, uint32 cap);

    /// @notice The admin opened or closed admission to accounts without `OPERATOR_ROLE`.
    event OpenAdmissionSet(bool open, uint32 maxJoinsPerBlock);

    /// @notice The group was bound to its attestation verifier (emitted once, by the constructor).
    event VerifierSet(address indexed verifier);

    /// @notice The group runs the state runtime `runtime` (emitted once, by the constructor; see {runtime}).
    event RuntimeSet(string runtime);

    /// @notice `handshake` (an MLS commit) moved the group from `epoch` to `epoch + 1`.
    event HandshakePosted(uint64 indexed epoch, address indexed sender, bytes handshake);

    /// @notice One ciphertext log entry, encrypted under the key of `epoch`.
    event CiphertextPosted(uint64 indexed stateCounter, uint64 indexed epoch, address indexed sender, bytes ciphertext);

    /**
     * @notice A batch of ciphertext log entries in one event; `ciphertexts[i]` has stateCounter `firstStateCounter + i`.
     * @dev One log per batch instead of one per entry saves the per-log base cost and the topics of every entry.
     */
    event CiphertextBatchPosted(
        uint64 indexed firstStateCounter,
        uint64 indexed epoch,
        address indexed sender,
        bytes[] ciphertexts
    );

    /// @notice `enclave` attests that its state after applying entries 1..`stateCounter` has keyed hash `stateHash`,
    /// and that those entries have log hash `logHash` (the one it signed; equal to {logHash} when `stateCounter` was
    /// the head, otherwise the log hash the contract had at `stateCounter`).
    event CheckpointPosted(address indexed enclave, uint64 indexed stateCounter, bytes32 stateHash, bytes16 logHash);

    // ---------------------------------------------------------------- errors

    /// @notice SHA-256(hpkePublicKey ‖ mlsSignatureKey) differs from REPORTDATA[20..52] of the attested report.
    error ReportDataKeyHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice REPORTDATA[52..64] is reserved and must be zero.
    error ReportDataReservedNotZero(bytes12 reserved);
    /// @notice The report's MRENCLAVE is not on the verifier's allowlist.
    error MrenclaveNotAllowed(bytes32 mrenclave);
    /// @notice The address is already an active member.
    error EnclaveAlreadyRegistered(address enclave);
    /// @notice The address was revoked; a revoked address never posts again nor rejoins.
    error EnclaveWasRevoked(address enclave);
    /// @notice The recovered signer is not in the roster (also what a signature over other data recovers to).
    error EnclaveNotRegistered(address enclave);
    /// @notice The join handshake is not signed by the enclave address of the report.
    error HandshakeSignerMismatch(address expected, address actual);
    /// @notice A handshake or ciphertext names an epoch other than the current one.
    error EpochMismatch(uint64 expected, uint64 actual);
    /// @notice A handshake must carry bytes.
    error HandshakeEmpty();
    /// @notice A ciphertext must carry bytes (`index` is its position in a batch, 0 for a single post).
    error CiphertextEmpty(uint256 index);
    /// @notice A batch must hold at least one ciphertext.
    error BatchEmpty();
    /// @notice A batch holds more than {MAX_BATCH_SIZE} ciphertexts.
    error BatchTooLarge(uint256 size, uint256 maximum);
    /// @notice Each enclave's posts of an epoch are numbered 0, 1, 2, … (a batch takes a range): a post must carry
    /// the enclave's next number, so a signed ciphertext or batch is accepted once (audit F-5).
    error PostSequenceMismatch(address enclave, uint64 expected, uint64 actual);
    /// @notice A snapshot is signed for the `stateCounter` it becomes; another entry took that position first.
    error SnapshotPositionMismatch(uint64 expected, uint64 actual);
    /// @notice A checkpoint must name a `stateCounter` the log has reached.
    error CheckpointAheadOfLog(uint64 logStateCounter, uint64 stateCounter);
    /// @notice A checkpoint must move past the enclave's previous one.
    error CheckpointNotAfterPrevious(uint64 previous, uint64 stateCounter);
    /// @notice A checkpoint at `stateCounter` must carry the hashes of every later entry up to the head: `expected` =
    /// the head's `stateCounter` - `stateCounter`, `actual` = how many were given (the head moved, or a wrong tail).
    error CheckpointTailMismatch(uint256 expected, uint256 actual);
    /// @notice The checkpoint's log hash with the later entries' hashes folded on (`actual`) is not the head's log hash
    /// (`expected`): the enclave applied another log than this chain's (a fork, a reordered or different entry), or
    /// the tail is wrong (audit F-8).
    error CheckpointLogMismatch(bytes16 expected, bytes16 actual);
    /// @notice Eviction needs the enclave's MRENCLAVE to be off the verifier's allowlist.
    error MrenclaveStillAllowed(bytes32 mrenclave);
    /// @notice Permissionless eviction waits until the MRENCLAVE has been disallowed for the grace period.
    error EvictionGracePeriodRunning(bytes32 mrenclave, uint64 disallowedAt, uint256 evictableAt);
    /// @notice Only a revoked enclave can be reinstated.
    error EnclaveNotRevoked(address enclave);
    /// @notice `pending` revoked enclaves may still hold a leaf of the MLS group (they could read the entry): no
    /// ciphertext or snapshot is accepted until a removal commit removes them ({postRemovalCommit}; audit F-6).
    error RemovalCommitPending(uint256 pending);
    /// @notice A removal commit names its enclaves in strictly ascending address order (one signed form per set), so
    /// `previous == enclave` names one twice.
    error RemovedEnclavesNotAscending(address previous, address enclave);
    /// @notice A removal commit names an enclave whose removal is not pending ({removalPending}): `status` says why:
    /// None = an address that never joined, Active = an enclave that is not revoked, Revoked = its removal landed.
    error RemovalNotPending(address enclave, EnclaveStatus status);
    /// @notice The verifier address must be a contract.
    error VerifierNotContract(address verifier);
    /// @notice A runtime name must be 1 to 64 bytes of `[a-z0-9._/-]`, starting with a letter or digit.
    error InvalidRuntimeName(string runtime);
    /// @notice {join} from an account without `OPERATOR_ROLE` while admission is not open.
    error NotAnOperator(address account);
    /// @notice The operator already has `cap` active enclaves (a revoke or eviction frees a place; the governor can
    /// raise the cap with {setOperatorCap}).
    error OperatorCapReached(address operator, uint32 cap);
    /// @notice Open admission already took `max` joins from non-operators in block `blockNumber`.
    error JoinRateLimited(uint256 blockNumber, uint32 max);
    /// @notice An operator cap must be between 1 and `maximum`.
    error InvalidOperatorCap(uint32 cap, uint32 maximum);
    /// @notice Open mode needs a per-block limit between 1 and `maximum`; closing needs 0.
    error InvalidOpenAdmission(bool open, uint32 maxJoinsPerBlock, uint32 maximum);
    /// @notice The zero address cannot be an operator.
    error OperatorZero();

    // ---------------------------------------------------------------- enclave entry points

    /**
     * @notice Admits an attested enclave and appends its join handshake (an MLS external commit) for the current epoch.
     * The sender must hold `OPERATOR_ROLE`, unless the group is in open mode ({setOpenAdmission}), where any account
     * may join within the per-block limit. Either way the sender may have at most its cap ({operatorInfo}) of active
     * enclaves that it joined.
     * @param evidence The enclave's attestation evidence in the layout of the group's verifier
     * ({IEnclaveVerifier.evidenceKind}): for IAS `keyId ‖ signature ‖ report`, for DCAP the quote.
     * @param hpkePublicKey The enclave's X25519 HPKE public key.
     * @param mlsSignatureKey The enclave's Ed25519 MLS signature key.
     * @param handshake The join handshake; the first join's handshake creates the group.
     * @param handshakeSignature EIP-712 `Handshake(currentEpoch, keccak256(handshake))` signed by the enclave address
     * in REPORTDATA[0..20].
     */
    function join(
        bytes calldata evidence,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey,
        bytes calldata handshake,
        bytes calldata handshakeSignature
    ) external;

    /**
     * @notice Appends the handshake of `epoch` and moves the group to `epoch + 1`; exactly one handshake wins an epoch.
     * @param epoch Must equal {currentEpoch}.
     * @param handshake The MLS commit.
     * @param signature EIP-712 `Handshake(epoch, keccak256(handshake))` by an active enclave.
     */
    function postHandshake(uint64 epoch, bytes calldata handshake, bytes calldata signature) external;

    /**
     * @notice Appends the removal commit of `epoch` and moves the group to `epoch + 1`, like {postHandshake}, and clears
     * the pending removal of every enclave in `removed` (audit F-6). The contract cannot parse MLS: the signing enclave
     * vouches that after `handshake` none of `removed` holds a leaf of the group and that it removes no other leaf.
     * A plain {postHandshake} never clears a pending removal. Emits `EnclaveRemoved` per enclave, then
     * `HandshakePosted`.
     * @param epoch Must equal {currentEpoch}.
     * @param handshake The MLS commit (Remove proposals of the named enclaves' leaves).
     * @param removed Revoked enclaves whose removal is pending ({removalPending}), in strictly ascending address order.
     * Reverts `RemovalNotPending(enclave, status)` for an unknown (status None), active (Active) or already removed
     * (Revoked) enclave, and `RemovedEnclavesNotAscending(previous, enclave)` for a repeated (`previous == enclave`)
     * or unsorted list. Empty: a plain handshake signed as `Handshake` ({postHandshake}), which clears nothing.
     * @param signature EIP-712 `RemovalCommit(epoch, keccak256(handshake), removed)` by an active enclave (when
     * `removed` is not empty).
     */
    function postRemovalCommit(
        uint64 epoch,
        bytes calldata handshake,
        address[] calldata removed,
        bytes calldata signature
    ) external;

    /**
     * @notice Appends one ciphertext to the log under the next `stateCounter`. Each signed ciphertext is accepted once:
     * it carries the signer's post sequence number, which must be the signer's next ({nextPostSequence}). Reverts
     * `RemovalCommitPending` while {pendingRemovalCount} is not zero.
     * @param epoch Must equal {currentEpoch}: the ciphertext is encrypted under that epoch's key.
     * @param sequence The signer's next post sequence number in `epoch` (0 for its first post of an epoch).
     * @param ciphertext The enclave's envelope.
     * @param signature EIP-712 `Ciphertext(epoch, sequence, keccak256(ciphertext))` by an active enclave.
     */
    function postCiphertext(uint64 epoch, uint64 sequence, bytes calldata ciphertext, bytes calldata signature) external;

    /**
     * @notice Appends 1..{MAX_BATCH_SIZE} ciphertexts under consecutive `stateCounter`s with one signature. The batch
     * takes the signer's post sequence numbers `firstSequence .. firstSequence + count - 1`. Reverts
     * `RemovalCommitPending` while {pendingRemovalCount} is not zero.
     * @param epoch Must equal {currentEpoch}.
     * @param firstSequence The signer's next post sequence number in `epoch`.
     * @param ciphertexts The envelopes, in log order.
     * @param signature EIP-712 `CiphertextBatch(epoch, firstSequence, keccak256(keccak256(c_0) ‖ … ‖ keccak256(c_n-1)))`
     * by an active enclave.
     */
    function postCiphertextBatch(
        uint64 epoch,
        uint64 firstSequence,
        bytes[] calldata ciphertexts,
        bytes calldata signature
    ) external;

    /**
     * @notice Appends a state snapshot (an entry that lets late joiners take the state over) at exactly the position
     * it was signed for, so it is accepted once and never lands after entries it does not hold. Emits
     * `CiphertextPosted`: a snapshot is one entry of the ciphertext log. Reverts `RemovalCommitPending` while
     * {pendingRemovalCount} is not zero.
     * @param epoch Must equal {currentEpoch}.
     * @param stateCounter Must be the log's next `stateCounter`.
     * @param snapshot The enclave's snapshot entry.
     * @param signature EIP-712 `Snapshot(epoch, stateCounter, keccak256(snapshot))` by an active enclave.
     */
    function postSnapshot(uint64 epoch, uint64 stateCounter, bytes calldata snapshot, bytes calldata signature) external;

    /**
     * @notice Records the signer's keyed state hash after applying log entries 1..`stateCounter`, tied to the content of
     * those entries: `logHash` must be this chain's log hash at `stateCounter`, shown by folding the hashes of the later
     * entries onto it, which must give the head's {logHash}. A checkpoint signed on another fork (other entries up to
     * `stateCounter`) is refused, `CheckpointLogMismatch` (audit F-8).
     * @param stateCounter At most the log's current `stateCounter`, above the signer's previous checkpoint.
     * @param stateHash Keyed hash of the state (key from the MLS exporter, so it reveals nothing).
     * @param logHash The log hash L_stateCounter of the entries the enclave applied ({logHash}; L_0 = 0,
     * L_n = bytes16(keccak256(L_{n-1} ‖ keccak256(entry_n)))).
     * @param laterEntryHashes keccak256 of entries `stateCounter + 1` … head, in order (empty for a checkpoint at the
     * head); a relayer takes them from the `CiphertextPosted` / `CiphertextBatchPosted` events. If the head moves before
     * the call is mined, it reverts (`CheckpointTailMismatch`) and the checkpoint is posted again later.
     * @param signature EIP-712 `Checkpoint(stateCounter, stateHash, logHash)` by an active enclave.
     */
    function postCheckpoint(
        uint64 stateCounter,
        bytes32 stateHash,
        bytes16 logHash,
        bytes32[] calldata laterEntryHashes,
        bytes calldata signature
    ) external;

    // ---------------------------------------------------------------- roster maintenance

    /**
     * @notice Revokes an active enclave for good (`GOVERNOR_ROLE`); its place under its operator's cap is freed. Its
     * removal is pending ({removalPending}) until a member's {postRemovalCommit} names it; meanwhile no ciphertext or
     * snapshot is accepted.
     * @param enclave The enclave address.
     */
    function revokeEnclave(address enclave) external;

    /**
     * @notice Revokes an active enclave whose MRENCLAVE the verifier no longer allows. A `GOVERNOR_ROLE` holder may do
     * it as soon as the verifier disallows the measurement; anyone else once it has been disallowed for
     * {evictionGracePeriod}, so a policy change takes effect without governance, while a mistaken or reverted disallow
     * cannot be used to empty the roster. Its place under its operator's cap is freed. Its removal is pending, as
     * after {revokeEnclave}.
     * @param enclave The enclave address.
     */
    function evictEnclave(address enclave) external;

    /**
     * @notice Puts a revoked enclave back on the roster (`GOVERNOR_ROLE`), to recover a group whose members were
     * evicted or revoked by mistake: its MRENCLAVE must be allowed again. The enclave keeps its keys and MLS leaf (if
     * the group did not remove it), so it can post again, e.g. the snapshot fresh enclaves take the state over from.
     * It counts against the cap of the operator that joined it again (`OperatorCapReached` at the cap: raise the cap
     * with {setOperatorCap} first). A removal still pending ({removalPending}) is cancelled: the leaf was never removed
     * and belongs to a member again, so posts no longer wait for it (`EnclaveReinstated` is the event of both).
     * @param enclave The enclave address.
     */
    function reinstateEnclave(address enclave) external;

    /**
     * @notice Sets how long an MRENCLAVE must have been disallowed before anyone may evict its enclaves
     * (`GOVERNOR_ROLE`).
     * @param gracePeriod Seconds.
     */
    function setEvictionGracePeriod(uint64 gracePeriod) external;

    /// @notice Seconds an MRENCLAVE must have been disallowed before anyone (not only the governor) may evict.
    function evictionGracePeriod() external view returns (uint64);

    // ---------------------------------------------------------------- admission

    /**
     * @notice Sets how many active enclaves `operator` may have joined (`GOVERNOR_ROLE`). Lowering the cap below the
     * operator's current count removes nothing; it only refuses further joins and reinstatements until revocations
     * bring the count under the cap.
     * @param operator The account that submits joins (need not hold `OPERATOR_ROLE` yet; open mode uses caps too).
     * @param cap 1..{MAX_OPERATOR_CAP}; default {DEFAULT_OPERATOR_CAP}.
     */
    function setOperatorCap(address operator, uint32 cap) external;

    /**
     * @notice Opens admission to accounts without `OPERATOR_ROLE` (public groups) or closes it again (`DEFAULT_ADMIN_ROLE`).
     * Off by default. In open mode at most `maxJoinsPerBlock` such joins land per block; operators' joins are not
     * counted.
     * @param open Whether accounts without `OPERATOR_ROLE` may join.
     * @param maxJoinsPerBlock 1..{MAX_OPEN_JOINS_PER_BLOCK} when opening, 0 when closing.
     */
    function setOpenAdmission(bool open, uint32 maxJoinsPerBlock) external;

    /// @notice Whether admission is open to non-operators, and their per-block join limit.
    function openAdmission() external view returns (bool open, uint32 maxJoinsPerBlock);

    /// @notice `operator`'s admission record: holds `OPERATOR_ROLE`, active enclaves it joined, its cap.
    function operatorInfo(address operator) external view returns (bool approved, uint32 activeEnclaves, uint32 cap);

    /// @notice The account that submitted the join of `enclave` (zero when it never joined).
    function enclaveOperator(address enclave) external view returns (address);

    // ---------------------------------------------------------------- views

    /**
     * @notice The state runtime the group runs (`anonify-token/v1`), fixed at deployment. Every enclave of the group
     * runs the runtime its MLS group policy names, and clients compare the two before they trust a node.
     */
    function runtime() external view returns (string memory);

    /// @notice The epoch whose handshake is accepted next (0 before the group exists).
    function currentEpoch() external view returns (uint64);

    /// @notice The `stateCounter` of the last ciphertext log entry (0 = empty log).
    function stateCounter() external view returns (uint64);

    /// @notice The log hash at the head: L_{stateCounter}, where L_0 = 0 and
    /// L_n = bytes16(keccak256(L_{n-1} ‖ keccak256(entry_n))) over every entry (single, batch element, snapshot).
    function logHash() external view returns (bytes16);

    /// @notice Number of active enclaves in the roster.
    function activeEnclaveCount() external view returns (uint32);

    /// @notice Revoked enclaves whose removal commit has not landed; posts wait while it is not zero (audit F-6).
    function pendingRemovalCount() external view returns (uint32);

    /// @notice Whether `enclave` is revoked and no removal commit has removed it yet.
    function removalPending(address enclave) external view returns (bool);

    /// @notice The roster record of `account` (all zero when it never joined).
    function enclave(address account) external view returns (Enclave memory);

    /// @notice The EIP-712 digest an enclave signs for `handshake` at `epoch` (for hosts, auditors and tests).
    function handshakeDigest(uint64 epoch, bytes calldata handshake) external view returns (bytes32);

    /// @notice The post sequence number `enclave`'s next ciphertext or batch of `epoch` must carry.
    function nextPostSequence(address enclave, uint64 epoch) external view returns (uint64);

    /// @notice The EIP-712 digest an enclave signs for one `ciphertext` at `epoch` with post number `sequence`.
    function ciphertextDigest(uint64 epoch, uint64 sequence, bytes calldata ciphertext) external view returns (bytes32);

    /// @notice The EIP-712 digest an enclave signs for a batch of `ciphertexts` at `epoch` from post number
    /// `firstSequence`.
    function ciphertextBatchDigest(
        uint64 epoch,
        uint64 firstSequence,
        bytes[] calldata ciphertexts
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest an enclave signs for a `snapshot` to become entry `stateCounter` at `epoch`.
    function snapshotDigest(uint64 epoch, uint64 stateCounter, bytes calldata snapshot) external view returns (bytes32);

    /// @notice The EIP-712 digest an enclave signs for a checkpoint: `Checkpoint(stateCounter, stateHash, logHash)`.
    function checkpointDigest(uint64 stateCounter, bytes32 stateHash, bytes16 logHash) external view returns (bytes32);
}
