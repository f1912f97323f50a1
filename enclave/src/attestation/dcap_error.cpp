#include "attestation/dcap_error.h"

#include "anonify/attestation/evidence.h"

namespace anonify::attestation::dcap {

void fail(const char* code, std::vector<std::string> args, const std::string& message) {
  throw EvidenceError(code, std::move(args), message);
}

std::string decimal(uint64_t v) { return std::to_string(v); }

std::string role_arg(CertificateRole role) { return decimal(static_cast<uint8_t>(role)); }

std::string kind_arg(CollateralKind kind) { return decimal(static_cast<uint8_t>(kind)); }

std::string hex0x(ByteView bytes) { return "0x" + to_hex(bytes); }

}  // namespace anonify::attestation::dcap
