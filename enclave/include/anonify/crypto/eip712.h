// EIP-712 typed-data hashing for the messages Anonify signs:
//  - enclave -> AnonifyGroup contract: Handshake, RemovalCommit, Ciphertext, CiphertextBatch, Snapshot, Checkpoint
//    (domain name "Anonify", version "1", chainId, verifyingContract = the group contract);
//  - user -> enclave: Command (same domain), checked by the enclave before it accepts a command;
//  - enclave -> user: EchoReply, the enclave's signature on a `secure_echo` reply;
//  - governance keys -> enclaves: PolicyChange, an approval of a group policy change (same domain).
// digest = keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)).
#pragma once

#include <string>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::crypto::eip712 {

constexpr const char* kDomainType =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
constexpr const char* kHandshakeType = "Handshake(uint64 epoch,bytes32 handshakeHash)";
constexpr const char* kRemovalCommitType = "RemovalCommit(uint64 epoch,bytes32 handshakeHash,address[] removed)";
constexpr const char* kCiphertextType = "Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)";
constexpr const char* kCiphertextBatchType = "CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)";
constexpr const char* kSnapshotType = "Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)";
constexpr const char* kCheckpointType = "Checkpoint(uint64 stateCounter,bytes32 stateHash,bytes16 logHash)";
constexpr const char* kCommandType = "Command(address sender,uint64 nonce,bytes32 payloadHash)";
constexpr const char* kEchoReplyType = "EchoReply(bytes32 requestHash,bytes32 replyHash)";
constexpr const char* kReadType = "Read(address sender,bytes32 queryHash,bytes32 replyKey,uint64 issuedAt)";
constexpr const char* kSubscribeType = "Subscribe(address account,bytes32 replyKey,uint64 issuedAt)";
constexpr const char* kPolicyChangeType = "PolicyChange(bytes groupId,uint64 epoch,bytes32 policyHash)";

constexpr const char* kAnonifyDomainName = "Anonify";
constexpr const char* kAnonifyDomainVersion = "1";

struct Domain {
  std::string name = kAnonifyDomainName;
  std::string version = kAnonifyDomainVersion;
  uint64_t chain_id = 0;
  Bytes verifying_contract;  ///< 20 bytes
};

/// hashStruct(EIP712Domain). Throws Error(InvalidArgument) unless verifying_contract is 20 bytes.
Bytes domain_separator(const Domain& domain);

/// keccak256(0x1901 ‖ domain_separator ‖ struct_hash). Both inputs 32 bytes.
Bytes typed_data_digest(ByteView domain_separator, ByteView struct_hash);

/// hashStruct(Handshake{epoch, handshakeHash}).
Bytes handshake_struct_hash(uint64_t epoch, ByteView handshake_hash);
/// hashStruct(RemovalCommit{epoch, handshakeHash, removed}) (audit F-6): the enclave signs it only for a
/// commit after which none of `removed` (20-byte addresses, in the order the contract takes them:
/// strictly ascending) holds a leaf and that removes no leaf of another identity. `address[]` is
/// encoded as keccak256 of the addresses' 32-byte words. Throws Error(InvalidArgument) for an
/// address that is not 20 bytes.
Bytes removal_commit_struct_hash(uint64_t epoch, ByteView handshake_hash, const std::vector<Bytes>& removed);
/// hashStruct(Ciphertext{epoch, sequence, payloadHash}): `sequence` is the signer's post number in
/// the epoch, which the contract takes once (audit F-5).
Bytes ciphertext_struct_hash(uint64_t epoch, uint64_t sequence, ByteView payload_hash);
/// hashStruct(CiphertextBatch{epoch, firstSequence, payloadsHash}): the batch takes the signer's
/// post numbers firstSequence .. firstSequence + count - 1.
Bytes ciphertext_batch_struct_hash(uint64_t epoch, uint64_t first_sequence, ByteView payloads_hash);
/// hashStruct(Snapshot{epoch, stateCounter, payloadHash}): a snapshot entry posted as log entry
/// `stateCounter` exactly.
Bytes snapshot_struct_hash(uint64_t epoch, uint64_t state_counter, ByteView payload_hash);
/// keccak256(keccak256(c_0) ‖ keccak256(c_1) ‖ ...), the payloadsHash of a batch.
Bytes batch_payloads_hash(const std::vector<Bytes>& ciphertexts);
/// hashStruct(Checkpoint{stateCounter, stateHash, logHash}): logHash (16 bytes) is the log hash at
/// stateCounter (runtime::Ledger::log_hash), encoded as EIP-712 bytes16 (left-aligned in a word).
Bytes checkpoint_struct_hash(uint64_t state_counter, ByteView state_hash, ByteView log_hash);
/// hashStruct(Command{sender, nonce, payloadHash}); sender is a 20-byte address.
Bytes command_struct_hash(ByteView sender, uint64_t nonce, ByteView payload_hash);

/// hashStruct(EchoReply{requestHash, replyHash}): the enclave's signature on a `secure_echo` reply.
Bytes echo_reply_struct_hash(ByteView request_hash, ByteView reply_hash);

/// hashStruct(Read{sender, queryHash, replyKey, issuedAt}): a user's signed read request (state
/// runtime); queryHash = keccak256(query JSON), replyKey = the client's X25519 reply key.
Bytes read_struct_hash(ByteView sender, ByteView query_hash, ByteView reply_key, uint64_t issued_at);
/// hashStruct(Subscribe{account, replyKey, issuedAt}): a user's signed notification subscription.
Bytes subscribe_struct_hash(ByteView account, ByteView reply_key, uint64_t issued_at);

/// hashStruct(PolicyChange{groupId, epoch, policyHash}): a governance key's approval of a new group
/// policy (anonify/membership/governance.h); groupId is the raw MLS group id (dynamic `bytes`,
/// hashed with keccak256 as EIP-712 encodes it), policyHash = keccak256(encoded new policy).
Bytes policy_change_struct_hash(ByteView group_id, uint64_t epoch, ByteView policy_hash);

}  // namespace anonify::crypto::eip712
