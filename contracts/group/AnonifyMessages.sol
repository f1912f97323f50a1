// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @title AnonifyMessages
 * @notice EIP-712 struct hashes of the six messages an enclave signs, and the running hash of the ciphertext log that
 * a checkpoint signs (audit F-8). The domain (name "Anonify", version "1", chain id, the group's address) is applied
 * by the group contract, so a signature is bound to one chain and one contract.
 * @dev The enclave (C++) and the TypeScript host build the same hashes; `ethers.TypedDataEncoder` with the types below
 * is the reference for the messages, `logHashChain` in test/group/helpers/logHash.ts for the log hash.
 */
library AnonifyMessages {
    /// @notice keccak256("Handshake(uint64 epoch,bytes32 handshakeHash)")
    bytes32 internal constant HANDSHAKE_TYPEHASH = keccak256("Handshake(uint64 epoch,bytes32 handshakeHash)");
    /// @notice keccak256("RemovalCommit(uint64 epoch,bytes32 handshakeHash,address[] removed)")
    bytes32 internal constant REMOVAL_COMMIT_TYPEHASH =
        keccak256("RemovalCommit(uint64 epoch,bytes32 handshakeHash,address[] removed)");
    /// @notice keccak256("Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)")
    bytes32 internal constant CIPHERTEXT_TYPEHASH = keccak256("Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)");
    /// @notice keccak256("CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)")
    bytes32 internal constant CIPHERTEXT_BATCH_TYPEHASH =
        keccak256("CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)");
    /// @notice keccak256("Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)")
    bytes32 internal constant SNAPSHOT_TYPEHASH = keccak256("Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)");
    /// @notice keccak256("Checkpoint(uint64 stateCounter,bytes32 stateHash,bytes16 logHash)")
    bytes32 internal constant CHECKPOINT_TYPEHASH =
        keccak256("Checkpoint(uint64 stateCounter,bytes32 stateHash,bytes16 logHash)");

    /// @dev The 16 high-order bytes of a word: what a `bytes16` keeps of a 32-byte hash.
    uint256 private constant HIGH_16_BYTES = 0xffffffffffffffffffffffffffffffff00000000000000000000000000000000;

    /// @notice Struct hash of `Handshake(epoch, keccak256(handshake))`.
    function handshake(uint64 epoch, bytes calldata handshakeBytes) internal pure returns (bytes32) {
        return _hashPair(HANDSHAKE_TYPEHASH, epoch, keccak256(handshakeBytes));
    }

    /**
     * @notice Struct hash of `RemovalCommit(epoch, keccak256(handshake), removed)` (audit F-6): the enclave signs it only
     * when the commit leaves none of the `removed` addresses a leaf and removes no other leaf (enclave/PROTOCOL.md
     * "Removal commits").
     * @dev EIP-712 encodes `address[]` as keccak256 of the elements' 32-byte words: the calldata words are hashed as
     * they are (no `abi.encodePacked` copy loop). A word with dirty high-order bits hashes differently from its
     * address; the group reads every element afterwards, which reverts on such a word.
     */
    function removalCommit(
        uint64 epoch,
        bytes calldata handshakeBytes,
        address[] calldata removed
    ) internal pure returns (bytes32 result) {
        bytes32 handshakeHash = keccak256(handshakeBytes);
        bytes32 typeHash = REMOVAL_COMMIT_TYPEHASH;
        assembly ("memory-safe") {
            let free := mload(0x40)
            let size := shl(5, removed.length)
            calldatacopy(free, removed.offset, size)
            let removedHash := keccak256(free, size)
            mstore(free, typeHash)
            mstore(add(free, 0x20), epoch)
            mstore(add(free, 0x40), handshakeHash)
            mstore(add(free, 0x60), removedHash)
            result := keccak256(free, 0x80)
        }
    }

    /// @notice Struct hash of `Ciphertext(epoch, sequence, keccak256(ciphertext))`.
    function ciphertext(uint64 epoch, uint64 sequence, bytes calldata ciphertextBytes) internal pure returns (bytes32) {
        return ciphertext(epoch, sequence, keccak256(ciphertextBytes));
    }

    /// @notice Struct hash of `Ciphertext(epoch, sequence, payloadHash)` for `payloadHash = keccak256(ciphertext)`
    /// already computed (the group folds the same hash into the log hash).
    function ciphertext(uint64 epoch, uint64 sequence, bytes32 payloadHash) internal pure returns (bytes32) {
        return _hashTriple(CIPHERTEXT_TYPEHASH, epoch, sequence, payloadHash);
    }

    /// @notice Struct hash of `CiphertextBatch(epoch, firstSequence, payloadsHash)`; see {payloadsHash}.
    function ciphertextBatch(uint64 epoch, uint64 firstSequence, bytes32 payloadsHash_) internal pure returns (bytes32) {
        return _hashTriple(CIPHERTEXT_BATCH_TYPEHASH, epoch, firstSequence, payloadsHash_);
    }

    /// @notice Struct hash of `Snapshot(epoch, stateCounter, keccak256(snapshot))`.
    function snapshot(uint64 epoch, uint64 stateCounter, bytes calldata snapshotBytes) internal pure returns (bytes32) {
        return snapshot(epoch, stateCounter, keccak256(snapshotBytes));
    }

    /// @notice Struct hash of `Snapshot(epoch, stateCounter, payloadHash)` for `payloadHash = keccak256(snapshot)`
    /// already computed.
    function snapshot(uint64 epoch, uint64 stateCounter, bytes32 payloadHash) internal pure returns (bytes32) {
        return _hashTriple(SNAPSHOT_TYPEHASH, epoch, stateCounter, payloadHash);
    }

    /**
     * @notice Struct hash of `Checkpoint(stateCounter, stateHash, logHash)`.
     * @dev A `bytes16` is encoded left-aligned in its 32-byte word (EIP-712 `encodeData` pads fixed-size bytes on the
     * right, like `abi.encode`).
     */
    function checkpoint(uint64 stateCounter, bytes32 stateHash, bytes16 logHash) internal pure returns (bytes32 result) {
        bytes32 typeHash = CHECKPOINT_TYPEHASH;
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, typeHash)
            mstore(add(free, 0x20), stateCounter)
            mstore(add(free, 0x40), stateHash)
            mstore(add(free, 0x60), and(logHash, HIGH_16_BYTES))
            result := keccak256(free, 0x80)
        }
    }

    /**
     * @notice One step of the log hash chain: L_n = bytes16(keccak256(L_{n-1} ‖ keccak256(entry_n))), over the 48 bytes
     * of the previous log hash (16) and the entry's hash (32). L_0 = bytes16(0).
     * @dev 128 bits suffice: a checkpoint's log hash is fixed by an attested enclave's signature over the log it
     * applied, so matching it with another log is a second-preimage search (2^128), and only attested enclaves write
     * entries at all. Truncating keeps the log head (epoch, counter, active count, log hash) in one slot, which every
     * post writes anyway: the chain costs about 100 gas per entry instead of a 5,000-gas slot. Built in scratch space.
     */
    function nextLogHash(bytes16 logHash, bytes32 entryHash) internal pure returns (bytes16 result) {
        assembly ("memory-safe") {
            mstore(0x00, logHash) // bytes 0..16; 16..32 are overwritten next, so dirty low bits do not matter
            mstore(0x10, entryHash)
            result := and(keccak256(0x00, 0x30), HIGH_16_BYTES)
        }
    }

    /// @notice `logHash` with `entryHashes` (keccak256 of consecutive entries, in counter order) folded on, one
    /// {nextLogHash} step each.
    function foldLogHash(bytes16 logHash, bytes32[] calldata entryHashes) internal pure returns (bytes16) {
        uint256 count = entryHashes.length;
        for (uint256 i; i < count; ++i) {
            logHash = nextLogHash(logHash, entryHashes[i]);
        }
        return logHash;
    }

    /**
     * @notice keccak256(keccak256(c_0) ‖ keccak256(c_1) ‖ … ‖ keccak256(c_n-1)), the `payloadsHash` of a batch.
     * @dev The per-entry hashes are collected in one memory array and hashed in place (no `abi.encodePacked` copy).
     */
    function payloadsHash(bytes[] calldata ciphertexts) internal pure returns (bytes32 result) {
        uint256 count = ciphertexts.length;
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes[i] = keccak256(ciphertexts[i]);
        }
        assembly ("memory-safe") {
            result := keccak256(add(hashes, 0x20), shl(5, count))
        }
    }

    /**
     * @notice The batch's {payloadsHash} and `logHash` with every ciphertext folded on as the next log entry
     * ({nextLogHash}), from one keccak256 per ciphertext.
     * @dev The same loop as {payloadsHash}; each per-entry hash is also folded into the log hash as it is computed, so a
     * batch pays one extra 48-byte keccak256 per entry (in scratch space) and no second hash of the payloads.
     */
    function payloadsAndLogHash(
        bytes[] calldata ciphertexts,
        bytes16 logHash
    ) internal pure returns (bytes32 payloads, bytes16 newLogHash) {
        uint256 count = ciphertexts.length;
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            bytes32 entryHash = keccak256(ciphertexts[i]);
            hashes[i] = entryHash;
            logHash = nextLogHash(logHash, entryHash);
        }
        assembly ("memory-safe") {
            payloads := keccak256(add(hashes, 0x20), shl(5, count))
        }
        newLogHash = logHash;
    }

    /// @dev keccak256(abi.encode(typeHash, a, b, c)) built at the free memory pointer, which is not moved.
    function _hashTriple(bytes32 typeHash, uint64 a, uint64 b, bytes32 c) private pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, typeHash)
            mstore(add(free, 0x20), a)
            mstore(add(free, 0x40), b)
            mstore(add(free, 0x60), c)
            result := keccak256(free, 0x80)
        }
    }

    /// @dev keccak256(abi.encode(typeHash, a, b)) built at the free memory pointer, which is not moved.
    function _hashPair(bytes32 typeHash, uint64 a, bytes32 b) private pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, typeHash)
            mstore(add(free, 0x20), a)
            mstore(add(free, 0x40), b)
            result := keccak256(free, 0x60)
        }
    }
}
