// DCAP refusals (src/attestation/dcap/errors.ts): EvidenceError with the Solidity custom error's
// name and its arguments in declaration order, rendered as EvidenceError documents (unsigned
// integers and enums in decimal, bytes as 0x-lowercase hex, strings as they are).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::attestation::dcap {

/// Which certificate an error is about (Solidity `enum CertificateRole`).
enum class CertificateRole : uint8_t { kRoot = 0, kPckCa = 1, kPck = 2, kTcbSigning = 3 };

/// Which collateral item an error is about (Solidity `enum CollateralKind`).
enum class CollateralKind : uint8_t { kTcbInfo = 0, kQeIdentity = 1, kRootCaCrl = 2, kPckCaCrl = 3 };

/// Throws EvidenceError(code, args, message).
[[noreturn]] void fail(const char* code, std::vector<std::string> args, const std::string& message);

std::string decimal(uint64_t v);
std::string role_arg(CertificateRole role);
std::string kind_arg(CollateralKind kind);
/// "0x" + lowercase hex.
std::string hex0x(ByteView bytes);

}  // namespace anonify::attestation::dcap
