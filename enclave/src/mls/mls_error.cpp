#include "anonify/mls/mls_error.h"

namespace anonify::mls {

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kMalformed: return "malformed";
    case Reason::kUnsupported: return "unsupported";
    case Reason::kWrongGroup: return "wrong_group";
    case Reason::kStaleEpoch: return "stale_epoch";
    case Reason::kFutureEpoch: return "future_epoch";
    case Reason::kBadSignature: return "bad_signature";
    case Reason::kBadMembershipTag: return "bad_membership_tag";
    case Reason::kBadConfirmationTag: return "bad_confirmation_tag";
    case Reason::kUnknownSender: return "unknown_sender";
    case Reason::kInvalidProposal: return "invalid_proposal";
    case Reason::kInvalidPath: return "invalid_path";
    case Reason::kInvalidTree: return "invalid_tree";
    case Reason::kDecryptionFailed: return "decryption_failed";
    case Reason::kGenerationTooOld: return "generation_too_old";
    case Reason::kNotMember: return "not_member";
    case Reason::kNotAdmitted: return "not_admitted";
    case Reason::kInternal: return "internal";
  }
  return "unknown";
}

ErrorCode reason_error_code(Reason reason) {
  switch (reason) {
    case Reason::kMalformed: return ErrorCode::kDecodeError;
    case Reason::kUnsupported: return ErrorCode::kUnsupported;
    case Reason::kStaleEpoch:
    case Reason::kFutureEpoch: return ErrorCode::kWrongEpoch;
    case Reason::kBadSignature: return ErrorCode::kInvalidSignature;
    case Reason::kBadMembershipTag:
    case Reason::kBadConfirmationTag:
    case Reason::kDecryptionFailed: return ErrorCode::kAuthenticationFailed;
    case Reason::kUnknownSender: return ErrorCode::kNotFound;
    case Reason::kNotMember: return ErrorCode::kInvalidState;
    case Reason::kNotAdmitted: return ErrorCode::kLeafNotAdmitted;
    case Reason::kInternal: return ErrorCode::kInternal;
    case Reason::kWrongGroup:
    case Reason::kInvalidProposal:
    case Reason::kInvalidPath:
    case Reason::kInvalidTree:
    case Reason::kGenerationTooOld: return ErrorCode::kInvalidMessage;
  }
  return ErrorCode::kInternal;
}

MlsError::MlsError(Reason reason, const std::string& detail)
    : Error(reason_error_code(reason), std::string("mls ") + reason_name(reason) + ": " + detail), reason_(reason) {}

void fail(Reason reason, const std::string& detail) { throw MlsError(reason, detail); }

}  // namespace anonify::mls
