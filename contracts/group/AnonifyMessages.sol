// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @title AnonifyMessages
 * @notice EIP-712 struct hashes of the five messages an enclave signs. The domain (name "Anonify", version "1", chain
 * id, the group's address) is applied by the group contract, so a signature is bound to one chain and one contract.
 * @dev The enclave (C++) and the TypeScript host build the same hashes; `ethers.TypedDataEncoder` with the types below
 * is the reference.
 */
library AnonifyMessages {
    /// @notice keccak256("Handshake(uint64 epoch,bytes32 handshakeHash)")
    bytes32 internal constant HANDSHAKE_TYPEHASH = keccak256("Handshake(uint64 epoch,bytes32 handshakeHash)");
    /// @notice keccak256("Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)")
    bytes32 internal constant CIPHERTEXT_TYPEHASH = keccak256("Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)");
    /// @notice keccak256("CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)")
    bytes32 internal constant CIPHERTEXT_BATCH_TYPEHASH =
        keccak256("CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)");
    /// @notice keccak256("Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)")
    bytes32 internal constant SNAPSHOT_TYPEHASH = keccak256("Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)");
    /// @notice keccak256("Checkpoint(uint64 stateCounter,bytes32 stateHash)")
    bytes32 internal constant CHECKPOINT_TYPEHASH = keccak256("Checkpoint(uint64 stateCounter,bytes32 stateHash)");

    /// @notice Struct hash of `Handshake(epoch, keccak256(handshake))`.
    function handshake(uint64 epoch, bytes calldata handshakeBytes) internal pure returns (bytes32) {
        return _hashPair(HANDSHAKE_TYPEHASH, epoch, keccak256(handshakeBytes));
    }

    /// @notice Struct hash of `Ciphertext(epoch, sequence, keccak256(ciphertext))`.
    function ciphertext(uint64 epoch, uint64 sequence, bytes calldata ciphertextBytes) internal pure returns (bytes32) {
        return _hashTriple(CIPHERTEXT_TYPEHASH, epoch, sequence, keccak256(ciphertextBytes));
    }

    /// @notice Struct hash of `CiphertextBatch(epoch, firstSequence, payloadsHash)`; see {payloadsHash}.
    function ciphertextBatch(uint64 epoch, uint64 firstSequence, bytes32 payloadsHash_) internal pure returns (bytes32) {
        return _hashTriple(CIPHERTEXT_BATCH_TYPEHASH, epoch, firstSequence, payloadsHash_);
    }

    /// @notice Struct hash of `Snapshot(epoch, stateCounter, keccak256(snapshot))`.
    function snapshot(uint64 epoch, uint64 stateCounter, bytes calldata snapshotBytes) internal pure returns (bytes32) {
        return _hashTriple(SNAPSHOT_TYPEHASH, epoch, stateCounter, keccak256(snapshotBytes));
    }

    /// @notice Struct hash of `Checkpoint(stateCounter, stateHash)`.
    function checkpoint(uint64 stateCounter, bytes32 stateHash) internal pure returns (bytes32) {
        return _hashPair(CHECKPOINT_TYPEHASH, stateCounter, stateHash);
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
