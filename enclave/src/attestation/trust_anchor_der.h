// The IAS Report Signing CA compiled into this binary: its DER bytes are generated at configure
// time (CMakeLists.txt, ANONIFY_SGX_BUILD) from src/attestation/certs/
// intel_sgx_attestation_report_signing_ca.der (sgx build) or src/attestation/simulation/
// simulation_ca.der (simulation build), and the DCAP root (src/attestation/certs/intel_sgx_root_ca.der,
// or src/attestation/simulation/dcap/simulation_dcap_root_ca.der), into <build>/generated/trust_anchor_der.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anonify::attestation {

extern const uint8_t kIasReportSigningCaDer[];
extern const size_t kIasReportSigningCaDerSize;
/// Intel SGX Root CA (src/attestation/certs/intel_sgx_root_ca.der) in an sgx build; the
/// development PCS's root in a simulation build.
extern const uint8_t kDcapRootCaDer[];
extern const size_t kDcapRootCaDerSize;
/// false in an ANONIFY_SGX_BUILD (Intel's roots), true otherwise (the development roots).
extern const bool kTrustAnchorsSimulation;

}  // namespace anonify::attestation
