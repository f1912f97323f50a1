// The IAS Report Signing CA compiled into this binary: its DER bytes are generated at configure
// time (CMakeLists.txt, ANONIFY_SGX_BUILD) from src/attestation/certs/
// intel_sgx_attestation_report_signing_ca.der (sgx build) or src/attestation/simulation/
// simulation_ca.der (simulation build) into <build>/generated/trust_anchor_der.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anonify::attestation {

extern const uint8_t kIasReportSigningCaDer[];
extern const size_t kIasReportSigningCaDerSize;
/// false in an ANONIFY_SGX_BUILD (Intel's roots), true otherwise (the development roots).
extern const bool kTrustAnchorsSimulation;

}  // namespace anonify::attestation
