// Sealed files: versioned, AES-256-GCM, bound to the measurement and to the file's name.
//
//   offset  size  field
//   0       8     magic "ANFYSEAL"
//   8       2     format version (big-endian), currently 1
//   10      1     platform mode (1 = simulation, 2 = sgx)
//   11      1     reserved, 0
//   12      32    MRENCLAVE of the sealing enclave
//   44      12    AES-GCM nonce (random)
//   56      n+16  ciphertext ‖ tag
//
// AAD = bytes 0..44 ‖ name; key = HKDF-SHA256(salt "anonify-seal-v1", ikm root key,
// info MRENCLAVE) so a file sealed by another measurement, platform or name never opens.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "anonify/bytes.h"
#include "anonify/enclave/platform.h"

namespace anonify::enclave {

constexpr uint16_t kSealFormatVersion = 1;
constexpr size_t kSealHeaderSize = 44;
constexpr size_t kSealNonceOffset = 44;
constexpr size_t kSealCiphertextOffset = 56;
constexpr const char* kSealedFileSuffix = ".sealed";

/// Seals `plaintext` under `name` (the name is authenticated, so files cannot be swapped).
Bytes seal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView plaintext);

/// Opens a sealed blob. Errors: SealedDataCorrupt (truncated, bad magic, unknown version, tag
/// mismatch), SealedDataForeign (another MRENCLAVE or platform mode).
SecretBytes unseal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView blob);

/// Writes `contents` to `path` atomically: temp file in the same directory (0600), write, fsync,
/// rename over the target, fsync the directory. Throws Error(StorageError).
void write_file_atomic(const std::string& path, ByteView contents);

/// Reads a whole file; nullopt if it does not exist. Throws Error(StorageError) otherwise.
std::optional<Bytes> read_file_if_exists(const std::string& path);

/// Names of the `<name>.sealed` files in a directory, sorted. Throws Error(StorageError).
std::vector<std::string> list_sealed(const std::string& data_dir);

/// Named sealed blobs in a data directory (`<dir>/<name>.sealed`). Names are [a-z0-9-]{1,64}.
class SealedStore {
 public:
  SealedStore(const Platform& platform, std::string data_dir, SecretBytes root_key);

  void put(const std::string& name, ByteView plaintext) const;
  /// nullopt if absent; throws (never replaces) when present but unreadable.
  std::optional<SecretBytes> get(const std::string& name) const;
  bool exists(const std::string& name) const;
  /// Names of the sealed files present.
  std::vector<std::string> list() const;
  const std::string& data_dir() const noexcept { return data_dir_; }
  std::string path_of(const std::string& name) const;

 private:
  const Platform& platform_;
  std::string data_dir_;
  SecretBytes root_key_;
};

}  // namespace anonify::enclave
