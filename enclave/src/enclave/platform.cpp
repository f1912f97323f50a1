#include "anonify/enclave/platform.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "anonify/attestation/evidence.h"
#include "anonify/crypto/hash.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/sealing.h"
#include "attestation/quote_body.h"
#include "anonify/error.h"

namespace anonify::enclave {

namespace {

// sgx_quote_t / sgx_report_body_t offsets (Intel SGX SDK, sgx_quote.h / sgx_report.h); the report
// body fields the verifier reads come from attestation/quote_body.h, so both use one layout.
using attestation::kAttributesFlagsOffset;
using attestation::kMrenclaveOffset;
using attestation::kMrsignerOffset;
using attestation::kReportDataOffset;
constexpr size_t kQuoteVersionOffset = 0;
constexpr size_t kQuoteSignTypeOffset = 2;
constexpr size_t kAttributesXfrmOffset = 104;
constexpr uint16_t kQuoteVersionEpid = 2;
constexpr uint16_t kSignTypeLinkable = 1;
constexpr uint64_t kFlagInit = 0x01;
constexpr uint64_t kFlagMode64Bit = 0x04;  // DEBUG (0x02) stays clear
constexpr uint64_t kXfrmLegacy = 0x03;     // x87 + SSE

constexpr size_t kSgxSealKeySize = 16;  // Gramine's _sgx_mrenclave key is an AES-128 key

void put_le(Bytes& out, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

Bytes sha256_of_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kAttestationUnavailable, std::string("cannot read ") + path + " to measure the enclave");
  crypto::Sha256 hash;
  std::vector<char> chunk(64 * 1024);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::streamsize n = in.gcount();
    if (n > 0) hash.update(ByteView(reinterpret_cast<const uint8_t*>(chunk.data()), static_cast<size_t>(n)));
  }
  if (in.bad()) throw Error(ErrorCode::kAttestationUnavailable, std::string("error reading ") + path);
  return hash.finish();
}

std::string errno_text() { return std::strerror(errno); }

Bytes read_device(const std::string& path, size_t max_size) {
  std::optional<Bytes> data = read_file_if_exists(path);
  if (!data) throw Error(ErrorCode::kAttestationUnavailable, path + " does not exist (not running inside Gramine-SGX?)");
  if (data->size() > max_size) data->resize(max_size);
  return std::move(*data);
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot open " + dir + ": " + errno_text());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error(ErrorCode::kStorageError, "fsync " + dir + " failed: " + errno_text());
}

// The simulation measurement: SHA-256 of the running executable. /proc/self/exe names the inode this
// process runs (a file replaced on disk afterwards does not change it), so it is hashed once per
// process, not per platform: a test or fuzz binary of 16-300 MB starts many enclaves.
const Bytes& running_executable_measurement() {
  static const Bytes measurement = sha256_of_file("/proc/self/exe");
  return measurement;
}

class SimulationPlatform final : public Platform {
 public:
  SimulationPlatform() : mrenclave_(running_executable_measurement()) {}

  Mode mode() const noexcept override { return Mode::kSimulation; }
  const Bytes& mrenclave() const noexcept override { return mrenclave_; }

  SecretBytes sealing_root_key(const std::string& data_dir, bool create) const override {
    std::string path = data_dir + "/" + kSimulationSealKeyFile;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
      if (!create) {
        throw Error(ErrorCode::kSealedDataForeign,
                    "sealed data exists in " + data_dir + " but its key file " + kSimulationSealKeyFile +
                        " is missing; refusing to create a new key that would orphan it");
      }
      return create_key(path, data_dir);
    }
    if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot open " + path + ": " + errno_text());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw Error(ErrorCode::kStorageError, "cannot stat " + path + ": " + errno_text());
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
      ::close(fd);
      throw Error(ErrorCode::kStorageError, path + " must be a regular file readable only by its owner (0600)");
    }
    SecretBytes key(kSimulationSealKeySize + 1);
    ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(kSimulationSealKeySize)) {
      throw Error(ErrorCode::kSealedDataCorrupt, path + " is not a " + std::to_string(kSimulationSealKeySize) + "-byte key");
    }
    key.resize(kSimulationSealKeySize);
    return key;
  }

  Bytes quote(ByteView report_data) const override { return build_simulation_quote_body(mrenclave_, report_data); }

 private:
  static SecretBytes create_key(const std::string& path, const std::string& data_dir) {
    SecretBytes key = crypto::random_secret(kSimulationSealKeySize);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot create " + path + ": " + errno_text());
    ssize_t n = ::write(fd, key.data(), key.size());
    bool ok = n == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      throw Error(ErrorCode::kStorageError, "cannot write " + path + ": " + errno_text());
    }
    fsync_dir(data_dir);
    return key;
  }

  Bytes mrenclave_;
};

class SgxPlatform final : public Platform {
 public:
  SgxPlatform() {
    std::string dir = kGramineAttestationDir;
    // sgx_target_info_t starts with mr_enclave.
    mrenclave_ = read_device(dir + "/my_target_info", kMeasurementSize);
    if (mrenclave_.size() != kMeasurementSize) {
      throw Error(ErrorCode::kAttestationUnavailable, dir + "/my_target_info is too short");
    }
  }

  Mode mode() const noexcept override { return Mode::kSgx; }
  const Bytes& mrenclave() const noexcept override { return mrenclave_; }

  SecretBytes sealing_root_key(const std::string&, bool) const override {
    SecretBytes key(read_device(std::string(kGramineAttestationDir) + "/keys/_sgx_mrenclave", kSgxSealKeySize));
    if (key.size() != kSgxSealKeySize) throw Error(ErrorCode::kAttestationUnavailable, "_sgx_mrenclave key is too short");
    return key;
  }

  Bytes quote(ByteView report_data) const override {
    if (report_data.size() != kReportDataSize) throw Error(ErrorCode::kInvalidArgument, "REPORTDATA must be 64 bytes");
    std::string dir = kGramineAttestationDir;
    int fd = ::open((dir + "/user_report_data").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCode::kAttestationUnavailable, "cannot open user_report_data: " + errno_text());
    ssize_t n = ::write(fd, report_data.data(), report_data.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(kReportDataSize)) {
      throw Error(ErrorCode::kAttestationUnavailable, "writing user_report_data failed: " + errno_text());
    }
    Bytes quote = read_device(dir + "/quote", 64 * 1024);
    if (quote.size() < kQuoteBodySize) throw Error(ErrorCode::kAttestationUnavailable, "Gramine returned a short quote");
    return quote;
  }

 private:
  Bytes mrenclave_;
};

}  // namespace

const char* mode_name(Mode mode) noexcept { return mode == Mode::kSgx ? "sgx" : "simulation"; }

Mode parse_mode(const std::string& name) {
  if (name == "simulation") return Mode::kSimulation;
  if (name == "sgx") return Mode::kSgx;
  throw Error(ErrorCode::kInvalidArgument, "mode must be \"simulation\" or \"sgx\"");
}

Mode build_mode() noexcept { return attestation::trust_anchors().simulation ? Mode::kSimulation : Mode::kSgx; }

void require_build_mode(Mode mode) {
  if (mode == build_mode()) return;
  if (mode == Mode::kSgx) {
    throw Error(ErrorCode::kUnsupported,
                "this is a simulation build (development trust anchors compiled in); it cannot run in sgx mode: "
                "build the sgx binary with enclave/scripts/build-sgx.sh (ANONIFY_SGX_BUILD=ON)");
  }
  throw Error(ErrorCode::kUnsupported,
              "this is an sgx build (Intel's trust anchors compiled in); it cannot run in simulation mode: "
              "use a default build (ANONIFY_SGX_BUILD=OFF) for simulation");
}

Bytes simulation_mrsigner() { return crypto::sha256(ByteView::from_string("anonify simulation signer")); }

Bytes build_simulation_quote_body(ByteView mrenclave, ByteView report_data) {
  if (mrenclave.size() != kMeasurementSize) throw Error(ErrorCode::kInvalidArgument, "MRENCLAVE must be 32 bytes");
  if (report_data.size() != kReportDataSize) throw Error(ErrorCode::kInvalidArgument, "REPORTDATA must be 64 bytes");
  Bytes body(kQuoteBodySize, 0);
  put_le(body, kQuoteVersionOffset, kQuoteVersionEpid, 2);
  put_le(body, kQuoteSignTypeOffset, kSignTypeLinkable, 2);
  put_le(body, kAttributesFlagsOffset, kFlagInit | kFlagMode64Bit, 8);
  put_le(body, kAttributesXfrmOffset, kXfrmLegacy, 8);
  std::copy(mrenclave.begin(), mrenclave.end(), body.begin() + kMrenclaveOffset);
  Bytes mrsigner = simulation_mrsigner();
  std::copy(mrsigner.begin(), mrsigner.end(), body.begin() + kMrsignerOffset);
  std::copy(report_data.begin(), report_data.end(), body.begin() + kReportDataOffset);
  return body;
}

std::unique_ptr<Platform> make_simulation_platform() { return std::make_unique<SimulationPlatform>(); }
std::unique_ptr<Platform> make_sgx_platform() { return std::make_unique<SgxPlatform>(); }

}  // namespace anonify::enclave
