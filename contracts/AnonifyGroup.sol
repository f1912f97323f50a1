// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IAnonifyGroup} from "./group/IAnonifyGroup.sol";
import {AnonifyMessages} from "./group/AnonifyMessages.sol";
import {IIasVerifier} from "./attestation/IIasVerifier.sol";
import {IasReport} from "./attestation/IasReport.sol";

/**
 * @title AnonifyGroup
 * @notice Roster of attested enclaves, handshake log, ciphertext log and state checkpoints of one Anonify group.
 * See {IAnonifyGroup} and docs/contracts.md.
 * @dev Storage per post is one slot read for the signer's roster entry and one slot read-modify-write for the log head
 * (epoch, stateCounter and the active-enclave count share a slot). Payloads live only in events.
 */
contract AnonifyGroup is IAnonifyGroup, EIP712, AccessControlDefaultAdminRules {
    /// @notice Role allowed to revoke enclaves.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

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

    /// @notice The IAS report verifier (pins the CA and holds the policy, including the MRENCLAVE allowlist).
    IIasVerifier public immutable verifier;

    /// @dev The log head, packed into one slot.
    struct LogHead {
        uint64 epoch;
        uint64 stateCounter;
        uint32 activeEnclaves;
    }

    LogHead private _head;
    mapping(address enclave => Enclave) private _roster;
    uint64 private _evictionGracePeriod = DEFAULT_EVICTION_GRACE_PERIOD;

    /**
     * @param verifier_ The `IasVerifier` whose `verifyReport` (policy included) admits enclaves.
     * @param initialAdmin Holder of `DEFAULT_ADMIN_ROLE` (transferred in two steps).
     * @param adminTransferDelay Delay before a new admin can accept (see OpenZeppelin `AccessControlDefaultAdminRules`).
     * @param initialGovernor Granted `GOVERNOR_ROLE` when not zero.
     */
    constructor(IIasVerifier verifier_, address initialAdmin, uint48 adminTransferDelay, address initialGovernor)
        EIP712(DOMAIN_NAME, DOMAIN_VERSION)
        AccessControlDefaultAdminRules(adminTransferDelay, initialAdmin)
    {
        if (address(verifier_).code.length == 0) revert VerifierNotContract(address(verifier_));
        verifier = verifier_;
        emit VerifierSet(address(verifier_));
        emit EvictionGracePeriodSet(0, DEFAULT_EVICTION_GRACE_PERIOD);
        if (initialGovernor != address(0)) _grantRole(GOVERNOR_ROLE, initialGovernor);
    }

    // ---------------------------------------------------------------- enclave entry points

    /// @inheritdoc IAnonifyGroup
    function join(
        bytes32 keyId,
        bytes calldata report,
        bytes calldata iasSignature,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey,
        bytes calldata handshake,
        bytes calldata handshakeSignature
    ) external {
        if (handshake.length == 0) revert HandshakeEmpty();
        (address account, bytes32 mrenclave) = _attestedEnclave(keyId, report, iasSignature, hpkePublicKey, mlsSignatureKey);
        EnclaveStatus status = _roster[account].status;
        if (status == EnclaveStatus.Active) revert EnclaveAlreadyRegistered(account);
        if (status == EnclaveStatus.Revoked) revert EnclaveWasRevoked(account);

        uint64 epoch = _head.epoch;
        address signer = _recover(AnonifyMessages.handshake(epoch, handshake), handshakeSignature);
        if (signer != account) revert HandshakeSignerMismatch(account, signer);

        _register(account, mrenclave, hpkePublicKey, mlsSignatureKey);
        emit HandshakePosted(epoch, account, handshake);
    }

    /// @inheritdoc IAnonifyGroup
    function postHandshake(uint64 epoch, bytes calldata handshake, bytes calldata signature) external {
        if (handshake.length == 0) revert HandshakeEmpty();
        LogHead memory head = _head;
        if (epoch != head.epoch) revert EpochMismatch(head.epoch, epoch);
        address sender = _recoverActive(AnonifyMessages.handshake(epoch, handshake), signature);

        _head.epoch = epoch + 1;
        emit HandshakePosted(epoch, sender, handshake);
    }

    /// @inheritdoc IAnonifyGroup
    function postCiphertext(uint64 epoch, bytes calldata ciphertext, bytes calldata signature) external {
        if (ciphertext.length == 0) revert CiphertextEmpty(0);
        LogHead memory head = _head;
        if (epoch != head.epoch) revert EpochMismatch(head.epoch, epoch);
        address sender = _recoverActive(AnonifyMessages.ciphertext(epoch, ciphertext), signature);

        uint64 counter = head.stateCounter + 1;
        _head.stateCounter = counter;
        emit CiphertextPosted(counter, epoch, sender, ciphertext);
    }

    /// @inheritdoc IAnonifyGroup
    function postCiphertextBatch(uint64 epoch, bytes[] calldata ciphertexts, bytes calldata signature) external {
        uint256 count = ciphertexts.length;
        if (count == 0) revert BatchEmpty();
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);
        for (uint256 i; i < count; ++i) {
            if (ciphertexts[i].length == 0) revert CiphertextEmpty(i);
        }
        LogHead memory head = _head;
        if (epoch != head.epoch) revert EpochMismatch(head.epoch, epoch);
        bytes32 payloads = AnonifyMessages.payloadsHash(ciphertexts);
        address sender = _recoverActive(AnonifyMessages.ciphertextBatch(epoch, payloads), signature);

        uint64 first = head.stateCounter + 1;
        // count <= MAX_BATCH_SIZE, so the cast is exact.
        _head.stateCounter = head.stateCounter + uint64(count);
        emit CiphertextBatchPosted(first, epoch, sender, ciphertexts);
    }

    /// @inheritdoc IAnonifyGroup
    function postCheckpoint(uint64 counter, bytes32 stateHash, bytes calldata signature) external {
        address sender = _recoverActive(AnonifyMessages.checkpoint(counter, stateHash), signature);
        uint64 logCounter = _head.stateCounter;
        if (counter > logCounter) revert CheckpointAheadOfLog(logCounter, counter);
        Enclave storage record = _roster[sender];
        uint64 previous = record.checkpointStateCounter;
        if (counter <= previous) revert CheckpointNotAfterPrevious(previous, counter);

        record.checkpointStateCounter = counter;
        record.checkpointStateHash = stateHash;
        emit CheckpointPosted(sender, counter, stateHash);
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
            uint256 evictableAt = uint256(disallowedAt) + _evictionGracePeriod;
            if (block.timestamp < evictableAt) revert EvictionGracePeriodRunning(mrenclave, disallowedAt, evictableAt);
        }
        _revoke(account, RevocationReason.MrenclaveDisallowed);
    }

    /// @inheritdoc IAnonifyGroup
    function reinstateEnclave(address account) external onlyRole(GOVERNOR_ROLE) {
        Enclave storage record = _roster[account];
        if (record.status != EnclaveStatus.Revoked) revert EnclaveNotRevoked(account);
        bytes32 mrenclave = record.mrenclave;
        if (!verifier.isMrenclaveAllowed(mrenclave)) revert MrenclaveNotAllowed(mrenclave);

        record.status = EnclaveStatus.Active;
        _head.activeEnclaves += 1;
        emit EnclaveReinstated(account, mrenclave, msg.sender);
    }

    /// @inheritdoc IAnonifyGroup
    function setEvictionGracePeriod(uint64 gracePeriod) external onlyRole(GOVERNOR_ROLE) {
        uint64 previous = _evictionGracePeriod;
        if (previous == gracePeriod) return;
        _evictionGracePeriod = gracePeriod;
        emit EvictionGracePeriodSet(previous, gracePeriod);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAnonifyGroup
    function currentEpoch() external view returns (uint64) {
        return _head.epoch;
    }

    /// @inheritdoc IAnonifyGroup
    function stateCounter() external view returns (uint64) {
        return _head.stateCounter;
    }

    /// @inheritdoc IAnonifyGroup
    function evictionGracePeriod() external view returns (uint64) {
        return _evictionGracePeriod;
    }

    /// @inheritdoc IAnonifyGroup
    function activeEnclaveCount() external view returns (uint32) {
        return _head.activeEnclaves;
    }

    /// @inheritdoc IAnonifyGroup
    function enclave(address account) external view returns (Enclave memory) {
        return _roster[account];
    }

    /// @inheritdoc IAnonifyGroup
    function handshakeDigest(uint64 epoch, bytes calldata handshake) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.handshake(epoch, handshake));
    }

    /// @inheritdoc IAnonifyGroup
    function ciphertextDigest(uint64 epoch, bytes calldata ciphertext) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.ciphertext(epoch, ciphertext));
    }

    /// @inheritdoc IAnonifyGroup
    function ciphertextBatchDigest(uint64 epoch, bytes[] calldata ciphertexts) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.ciphertextBatch(epoch, AnonifyMessages.payloadsHash(ciphertexts)));
    }

    /// @inheritdoc IAnonifyGroup
    function checkpointDigest(uint64 counter, bytes32 stateHash) external view returns (bytes32) {
        return _hashTypedDataV4(AnonifyMessages.checkpoint(counter, stateHash));
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

    /**
     * @dev Verifies the IAS report (signature, format and the verifier's policy), then binds the submitted keys to it:
     * REPORTDATA[0..20] is the enclave address, [20..52] SHA-256(hpkePublicKey ‖ mlsSignatureKey), [52..64] zero.
     * The MRENCLAVE must be on the verifier's allowlist even if the verifier's own MRENCLAVE check is switched off.
     */
    function _attestedEnclave(
        bytes32 keyId,
        bytes calldata report,
        bytes calldata iasSignature,
        bytes32 hpkePublicKey,
        bytes32 mlsSignatureKey
    ) private view returns (address account, bytes32 mrenclave) {
        IasReport.Verified memory verified = verifier.verifyReport(keyId, report, iasSignature);
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

    /// @dev Signer of the EIP-712 message with `structHash` (OpenZeppelin ECDSA: 65 bytes, low-s, no zero address).
    function _recover(bytes32 structHash, bytes calldata signature) private view returns (address) {
        return ECDSA.recoverCalldata(_hashTypedDataV4(structHash), signature);
    }

    /// @dev Signer of the message, which must be an active enclave.
    function _recoverActive(bytes32 structHash, bytes calldata signature) private view returns (address signer) {
        signer = _recover(structHash, signature);
        _requireActive(signer);
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
    function _register(address account, bytes32 mrenclave, bytes32 hpkePublicKey, bytes32 mlsSignatureKey) private {
        LogHead memory head = _head;
        uint64 nextEpoch = head.epoch + 1;
        Enclave storage record = _roster[account];
        record.status = EnclaveStatus.Active;
        record.joinedAtEpoch = nextEpoch;
        record.mrenclave = mrenclave;
        record.hpkePublicKey = hpkePublicKey;
        record.mlsSignatureKey = mlsSignatureKey;
        _head = LogHead({epoch: nextEpoch, stateCounter: head.stateCounter, activeEnclaves: head.activeEnclaves + 1});
        emit EnclaveJoined(account, mrenclave, nextEpoch, hpkePublicKey, mlsSignatureKey);
    }

    /// @dev Marks an active enclave revoked for good; its record stays for audits.
    function _revoke(address account, RevocationReason reason) private {
        Enclave storage record = _roster[account];
        record.status = EnclaveStatus.Revoked;
        _head.activeEnclaves -= 1;
        emit EnclaveRevoked(account, record.mrenclave, reason, msg.sender);
    }
}
