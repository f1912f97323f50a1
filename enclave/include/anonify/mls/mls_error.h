// Why an MLS operation was refused. Every refusal names its reason so the host (and the chain log
// replay) can tell a stale handshake from a forged one.
#pragma once

#include <string>

#include "anonify/error.h"

namespace anonify::mls {

enum class Reason {
  kMalformed,            // bytes do not decode as the expected TLS structure
  kUnsupported,          // valid MLS we deliberately do not implement (other suites, Welcome-only features)
  kWrongGroup,           // group_id does not match
  kStaleEpoch,           // message for an epoch we already left
  kFutureEpoch,          // message for an epoch we have not reached
  kBadSignature,         // SignWithLabel verification failed
  kBadMembershipTag,     // PublicMessage membership_tag mismatch
  kBadConfirmationTag,   // Commit/GroupInfo confirmation_tag mismatch
  kUnknownSender,        // sender leaf is blank or outside the tree
  kInvalidProposal,      // proposal not allowed (e.g. removing oneself, removing a blank leaf)
  kInvalidPath,          // UpdatePath inconsistent with the tree (length, parent hash, keys)
  kInvalidTree,          // ratchet tree fails validation (parent hash, leaf signature, tree hash)
  kDecryptionFailed,     // HPKE or AEAD open failed
  kGenerationTooOld,     // application key generation already consumed or out of the window
  kNotMember,            // operation needs a member state the group does not have
  kNotAdmitted,          // a leaf the group's admission rule (LeafAdmission) refuses
  kInternal,             // broken invariant (a bug)
};

const char* reason_name(Reason reason);
ErrorCode reason_error_code(Reason reason);

// Thrown by every anonify::mls operation that refuses its input. The group state is unchanged
// whenever one escapes a Group method. It is an anonify::Error, so the protocol layer reports its
// ErrorCode (mapped from the reason) and the message names the reason.
class MlsError : public Error {
 public:
  MlsError(Reason reason, const std::string& detail);
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

[[noreturn]] void fail(Reason reason, const std::string& detail);

}  // namespace anonify::mls
