// The PCK certificate's SGX extension (OID 1.2.840.113741.1.13.1, readSgxExtension in
// src/attestation/dcap/x509.ts): FMSPC, PCEID, the 16 CPUSVN components, PCESVN, CPUSVN.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "anonify/bytes.h"

namespace anonify::attestation::dcap {

constexpr size_t kCpuSvnComponents = 16;
/// 1.2.840.113741.1.13.1: the SGX extension; its fields are this OID plus one (or two) arcs.
inline constexpr uint8_t kOidSgxExtension[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

struct SgxExtension {
  Bytes fmspc;   ///< 6 bytes
  Bytes pce_id;  ///< 2 bytes
  std::array<uint8_t, kCpuSvnComponents> cpu_svn_components{};
  uint16_t pce_svn = 0;
  Bytes cpu_svn;  ///< 16 bytes
};

/// Reads the extension's content (`value`, found at `base` in the certificate): a malformed
/// structure is SgxExtensionMalformed(base + offset), a missing field SgxExtensionFieldMissing(name).
SgxExtension read_sgx_extension(ByteView value, size_t base);

}  // namespace anonify::attestation::dcap
