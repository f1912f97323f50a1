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
    case ErrorCode::kAttestationUnavailable: return "attestation_unavailable";
    case ErrorCode::kInvalidMessage: return "invalid_message";
    case ErrorCode::kWrongEpoch: return "wrong_epoch";
    case ErrorCode::kNotFound: return "not_found";
  }
  return "internal";
}

}  // namespace anonify
