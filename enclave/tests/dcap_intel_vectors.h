// Intel's real DCAP evidence from test/vectors/dcap (a v3 SGX quote with the PCS collateral of
// August 2025, SOURCES.txt there) and the Intel SGX Root CA the enclave pins, as the C++ tests and
// the bench use them. No GoogleTest here (the bench includes it): a missing file throws.
#pragma once

#include <cstdint>
#include <string>

#include "anonify/attestation/dcap.h"
#include "anonify/bytes.h"
#include "vector_files.h"

namespace anonify::testing::intel_dcap {

/// 2025-08-15T05:45:00Z: inside the validity of every certificate, CRL and collateral item below.
constexpr uint64_t kVectorTime = 1755236700;

/// test/vectors/dcap/<name>, or $ANONIFY_VECTORS/dcap/<name> when that is set.
inline Bytes vector(const std::string& name) { return read_binary_file(vector_path("dcap/" + name)); }

/// A file of the repository: the certificates the enclave compiles in live in src/attestation/certs.
inline Bytes repository_file(const std::string& relative) {
  return read_binary_file(std::string(ANONIFY_ENCLAVE_SOURCE_DIR) + "/../" + relative);
}

inline Bytes root_ca() { return repository_file("src/attestation/certs/intel_sgx_root_ca.der"); }

/// The real quote with its collateral: TCB Info, QE Identity, the TCB Signing chain, both CRLs.
inline attestation::DcapEvidence evidence() {
  attestation::DcapEvidence e;
  e.quote = vector("quote_v3_sgx.bin");
  e.collateral.tcb_info = vector("0825_sgx_tcbinfov3_00606a000000.json");
  e.collateral.qe_identity = vector("0825_sgx_qeidentity_v4.json");
  e.collateral.tcb_signing_chain_pem = repository_file("src/attestation/certs/intel_sgx_tcb_signing_chain.pem");
  e.collateral.crls = {vector("rootCrlDer.der"), vector("0825_platform_crl.der")};
  return e;
}

/// The TCB statuses the real quote needs: its QE is UpToDate, its platform SWHardeningNeeded.
inline attestation::DcapPolicy policy() {
  attestation::DcapPolicy p;
  p.allowed_tcb_statuses = {"UpToDate", "SWHardeningNeeded"};
  return p;
}

}  // namespace anonify::testing::intel_dcap
