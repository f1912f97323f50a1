// What differs between running natively ("simulation") and inside Gramine-SGX ("sgx"): where the
// measurement, the sealing key and the quote come from. Everything else is the same code.
#pragma once

#include <memory>
#include <string>

#include "anonify/bytes.h"

namespace anonify::enclave {

enum class Mode { kSimulation, kSgx };

/// "simulation" / "sgx".
const char* mode_name(Mode mode) noexcept;
/// Parses "simulation" / "sgx"; throws Error(InvalidArgument) otherwise.
Mode parse_mode(const std::string& name);

/// The mode this binary was built for: kSgx when built with ANONIFY_SGX_BUILD (Intel's trust
/// anchors compiled in, attestation/evidence.h), else kSimulation (the development anchors).
Mode build_mode() noexcept;
/// Throws Error(Unsupported) unless `mode` is build_mode(): a simulation binary never runs as
/// "sgx" and an sgx binary never as "simulation", so the two can never be confused.
void require_build_mode(Mode mode);

constexpr size_t kMeasurementSize = 32;
constexpr size_t kReportDataSize = 64;
constexpr size_t kQuoteBodySize = 432;

/// Gramine's attestation pseudo-filesystem.
constexpr const char* kGramineAttestationDir = "/dev/attestation";

class Platform {
 public:
  virtual ~Platform() = default;
  virtual Mode mode() const noexcept = 0;
  /// MRENCLAVE: SGX: from Gramine's own target info; simulation: SHA-256 of the running binary.
  virtual const Bytes& mrenclave() const noexcept = 0;
  /// Root key material for sealing, bound to this measurement. SGX: Gramine's `_sgx_mrenclave`
  /// key; simulation: the 0600 key file in `data_dir` (created on first use when `create` is set).
  virtual SecretBytes sealing_root_key(const std::string& data_dir, bool create) const = 0;
  /// Attestation evidence for 64 bytes of REPORTDATA. SGX: the EPID quote Gramine returns;
  /// simulation: a 432-byte quote body in Intel's layout, for the development IAS to sign.
  virtual Bytes quote(ByteView report_data) const = 0;
};

/// Native run. MRENCLAVE = SHA-256(/proc/self/exe), DEBUG flag clear.
std::unique_ptr<Platform> make_simulation_platform();
/// Inside Gramine-SGX. Throws Error(AttestationUnavailable) when /dev/attestation is missing.
std::unique_ptr<Platform> make_sgx_platform();

/// Name of the simulation sealing key file inside the data directory.
constexpr const char* kSimulationSealKeyFile = "simulation-seal.key";
constexpr size_t kSimulationSealKeySize = 32;

/// The 432-byte quote body the simulation platform emits (exposed for tests): version 2, linkable
/// EPID signature type, attributes.flags = INIT|MODE64BIT (DEBUG clear), the given MRENCLAVE,
/// MRSIGNER = kSimulationMrsigner, ISVPRODID 0, ISVSVN 0, and the REPORTDATA.
Bytes build_simulation_quote_body(ByteView mrenclave, ByteView report_data);

/// MRSIGNER of simulation quotes: SHA-256("anonify simulation signer"), never a real signer.
Bytes simulation_mrsigner();

}  // namespace anonify::enclave
