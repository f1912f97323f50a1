#include "anonify/error.h"

namespace anonify {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kDecodeError: return "decode_error";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kCryptoFailure: return "crypto_failure";
    case ErrorCode::kInvalidKey: return "invalid_key";
    case ErrorCode::kAuthenticationFailed: return "authentication_failed";
    case ErrorCode::kInvalidSignature: return "invalid_signature";
    case ErrorCode::kMessageLimitReached: return "message_limit_reached";
    case ErrorCode::kFrameTooLarge: return "frame_too_large";
    case ErrorCode::kFrameTruncated: return "frame_truncated";
    case ErrorCode::kMalformedRequest: return "malformed_request";
    case ErrorCode::kUnknownMethod: return "unknown_method";
    case ErrorCode::kInvalidParams: return "invalid_params";
    case ErrorCode::kInvalidState: return "invalid_state";
    case ErrorCode::kSealedDataCorrupt: return "sealed_data_corrupt";
    case ErrorCode::kSealedDataForeign: return "sealed_data_foreign";
    case ErrorCode::kStorageError: return "storage_error";
    case ErrorCode::kSealedDataStale: return "sealed_data_stale";
    case ErrorCode::kAttestationUnavailable: return "attestation_unavailable";
    case ErrorCode::kInvalidMessage: return "invalid_message";
    case ErrorCode::kWrongEpoch: return "wrong_epoch";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kHpkeOpenFailed: return "hpke_open_failed";
    case ErrorCode::kMalformedCommand: return "malformed_command";
    case ErrorCode::kBadUserSignature: return "bad_user_signature";
    case ErrorCode::kNonceMismatch: return "nonce_mismatch";
    case ErrorCode::kNotMember: return "not_member";
    case ErrorCode::kCounterGap: return "counter_gap";
    case ErrorCode::kEpochMismatch: return "epoch_mismatch";
    case ErrorCode::kDomainMismatch: return "domain_mismatch";
    case ErrorCode::kMalformedRead: return "malformed_read";
    case ErrorCode::kMalformedSubscription: return "malformed_subscription";
    case ErrorCode::kUnknownEntry: return "unknown_entry";
    case ErrorCode::kCommandRefused: return "command_refused";
    case ErrorCode::kEvidenceRefused: return "evidence_refused";
    case ErrorCode::kLeafNotAdmitted: return "leaf_not_admitted";
    case ErrorCode::kPolicyRefused: return "policy_refused";
    case ErrorCode::kSelfUpdateRequired: return "self_update_required";
    case ErrorCode::kInvalidReplyKey: return "invalid_reply_key";
    case ErrorCode::kStaleRequest: return "stale_request";
    case ErrorCode::kReplayedRequest: return "replayed_request";
    case ErrorCode::kRuntimeUnavailable: return "runtime_unavailable";
  }
  return "internal";
}

}  // namespace anonify
