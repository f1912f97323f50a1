// The one exception type of the enclave. Every failure carries an ErrorCode whose snake_case name
// is what the host sees in a protocol error response ({"code": "<name>", "message": ...}), so the
// TypeScript side can branch on it. Messages never contain secret material.
#pragma once

#include <stdexcept>
#include <string>

namespace anonify {

enum class ErrorCode {
  // Generic
  kInvalidArgument,      ///< "invalid_argument": a caller passed a value of the wrong size/range
  kDecodeError,          ///< "decode_error": malformed encoding (hex, TLS presentation, JSON content)
  kUnsupported,          ///< "unsupported": algorithm / version / mode not implemented
  kInternal,             ///< "internal": a bug or an unexpected library failure
  // Crypto
  kCryptoFailure,        ///< "crypto_failure": an OpenSSL / libsecp256k1 call failed
  kInvalidKey,           ///< "invalid_key": a key is malformed or not on the curve
  kAuthenticationFailed, ///< "authentication_failed": AEAD tag mismatch / wrong key / tampered
  kInvalidSignature,     ///< "invalid_signature": signature malformed or does not verify
  kMessageLimitReached,  ///< "message_limit_reached": HPKE sequence number exhausted
  // Protocol (framing + dispatch)
  kFrameTooLarge,        ///< "frame_too_large": a length prefix above the maximum frame size
  kFrameTruncated,       ///< "frame_truncated": EOF in the middle of a frame
  kMalformedRequest,     ///< "malformed_request": the body is not a JSON request object
  kUnknownMethod,        ///< "unknown_method": no handler for the method name
  kInvalidParams,        ///< "invalid_params": params missing or of the wrong type
  kInvalidState,         ///< "invalid_state": method not allowed now (e.g. before `init`)
  // Sealing / storage
  kSealedDataCorrupt,    ///< "sealed_data_corrupt": truncated / tampered / wrong-format sealed file
  kSealedDataForeign,    ///< "sealed_data_foreign": sealed by another measurement or another key
  kStorageError,         ///< "storage_error": file system failure
  kSealedDataStale,      ///< "sealed_data_stale": an older generation than the store's manifest or this run has seen
  // Attestation
  kAttestationUnavailable,  ///< "attestation_unavailable": /dev/attestation missing or failing
  // Group / MLS (used by the MLS layer)
  kInvalidMessage,       ///< "invalid_message": a well-formed message that breaks protocol rules
  kWrongEpoch,           ///< "wrong_epoch": a message for another epoch
  kNotFound,             ///< "not_found": an index, member or key that does not exist
  // State runtime (enclave/src/runtime, PROTOCOL.md "State runtime methods")
  kHpkeOpenFailed,       ///< "hpke_open_failed": a user's sealed message does not open under the enclave key
  kMalformedCommand,     ///< "malformed_command": an opened command envelope is not of its format
  kBadUserSignature,     ///< "bad_user_signature": the user's EIP-712 signature is not by the named account
  kNonceMismatch,        ///< "nonce_mismatch": a command nonce other than the sender's next one
  kNotMember,            ///< "not_member": the enclave is not a member of an MLS group
  kCounterGap,           ///< "counter_gap": a log entry out of stateCounter order
  kEpochMismatch,        ///< "epoch_mismatch": a log entry of another epoch than the group's
  kDomainMismatch,       ///< "domain_mismatch": an EIP-712 domain other than the log's
  kMalformedRead,        ///< "malformed_read": an opened read request is not of its format
  kMalformedSubscription,  ///< "malformed_subscription": an opened subscription is not of its format
  kUnknownEntry,         ///< "unknown_entry": a log entry this enclave did not produce (in that epoch)
  kCommandRefused,       ///< "command_refused": state_submit's dry run: the runtime would reject the command (message = its reason)
  // Membership (enclave/src/membership, PROTOCOL.md "Membership")
  kEvidenceRefused,      ///< "evidence_refused": attestation evidence does not verify or does not bind the keys
  kLeafNotAdmitted,      ///< "leaf_not_admitted": an MLS leaf without verified evidence the group's policy admits
  kPolicyRefused,        ///< "policy_refused": a group policy that is malformed, absent, or does not admit this enclave
  kSelfUpdateRequired,   ///< "self_update_required": restarted from sealed state, its own self-update commit is not applied yet
  kInvalidReplyKey,      ///< "invalid_reply_key": a reply key that is all zero or of low order (X25519)
  kStaleRequest,         ///< "stale_request": issuedAt older than the freshness window before the chain clock
  kReplayedRequest,      ///< "replayed_request": a reply key the enclave already answered to
  kRuntimeUnavailable,   ///< "runtime_unavailable": a group whose runtime this enclave binary does not carry
};

/// snake_case name of a code (stable, part of the host protocol).
const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

/// Throws Error(code, message) unless `condition` holds.
inline void require(bool condition, ErrorCode code, const char* message) {
  if (!condition) throw Error(code, message);
}

}  // namespace anonify
