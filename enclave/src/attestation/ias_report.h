// An IAS report under a signing key already accepted (steps 2-7 of verify_ias, after the
// certificate): signature length and RSA PKCS#1 v1.5 SHA-256 over the exact bytes, the report's
// JSON, fields, quote body and timestamp, and that timestamp inside the key's validity. The same
// rules, order and errors as IasVerifier's verification with a registered key.
#pragma once

#include "anonify/attestation/evidence.h"
#include "anonify/bytes.h"
#include "attestation/x509.h"

namespace anonify::attestation {

/// Throws EvidenceError with the contract's code and arguments.
VerifiedIdentity verify_ias_report(ByteView report, ByteView signature, const SigningKey& key);

}  // namespace anonify::attestation
