#include "anonify/enclave/sealing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/hkdf.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/crash_point.h"
#include "anonify/error.h"

namespace anonify::enclave {

namespace {

constexpr uint8_t kMagic[8] = {'A', 'N', 'F', 'Y', 'S', 'E', 'A', 'L'};
constexpr size_t kVersionOffset = 8;
constexpr size_t kModeOffset = 10;
constexpr size_t kReservedOffset = 11;
constexpr size_t kMrenclaveOffset = 12;
constexpr const char kKeySalt[] = "anonify-seal-v1";
constexpr size_t kMaxNameLength = 64;

uint8_t mode_byte(Mode mode) { return mode == Mode::kSgx ? 2 : 1; }

SecretBytes derive_seal_key(ByteView root_key, ByteView mrenclave) {
  if (root_key.size() < 16) throw Error(ErrorCode::kInvalidArgument, "sealing root key shorter than 16 bytes");
  SecretBytes prk = crypto::hkdf_extract(ByteView::from_string(kKeySalt), root_key);
  return crypto::hkdf_expand(prk, mrenclave, crypto::aead_key_size(crypto::AeadAlgorithm::kAes256Gcm));
}

Bytes aad_for(ByteView header, const std::string& name) { return concat({header, ByteView::from_string(name)}); }

std::string errno_text() { return std::strerror(errno); }

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength &&
            std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
  if (!ok) throw Error(ErrorCode::kInvalidArgument, "sealed blob names are [a-z0-9-]{1,64}");
}

}  // namespace

Bytes seal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView plaintext) {
  check_name(name);
  if (mrenclave.size() != kMeasurementSize) throw Error(ErrorCode::kInvalidArgument, "MRENCLAVE must be 32 bytes");
  Bytes blob(std::begin(kMagic), std::end(kMagic));
  append_u16_be(blob, kSealFormatVersion);
  blob.push_back(mode_byte(mode));
  blob.push_back(0);
  append(blob, mrenclave);
  Bytes nonce = crypto::random_bytes(crypto::kAeadNonceSize);
  SecretBytes key = derive_seal_key(root_key, mrenclave);
  Bytes ciphertext = crypto::aead_seal(crypto::AeadAlgorithm::kAes256Gcm, key, nonce, aad_for(blob, name), plaintext);
  append(blob, nonce);
  append(blob, ciphertext);
  return blob;
}

SecretBytes unseal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView blob) {
  check_name(name);
  const std::string what = "sealed blob \"" + name + "\"";
  if (blob.size() < kSealCiphertextOffset + crypto::kAeadTagSize) {
    throw Error(ErrorCode::kSealedDataCorrupt, what + " is truncated (" + std::to_string(blob.size()) + " bytes)");
  }
  if (!std::equal(std::begin(kMagic), std::end(kMagic), blob.begin())) {
    throw Error(ErrorCode::kSealedDataCorrupt, what + " is not an Anonify sealed file (bad magic)");
  }
  uint16_t version = static_cast<uint16_t>((blob[kVersionOffset] << 8) | blob[kVersionOffset + 1]);
  if (version != kSealFormatVersion) {
    throw Error(ErrorCode::kSealedDataCorrupt, what + " has unsupported format version " + std::to_string(version));
  }
  if (blob[kReservedOffset] != 0) throw Error(ErrorCode::kSealedDataCorrupt, what + " has a non-zero reserved byte");
  if (blob[kModeOffset] != mode_byte(mode)) {
    throw Error(ErrorCode::kSealedDataForeign, what + " was sealed in another platform mode");
  }
  if (!constant_time_equal(blob.subview(kMrenclaveOffset, kMeasurementSize), mrenclave)) {
    throw Error(ErrorCode::kSealedDataForeign, what + " was sealed by another enclave measurement (MRENCLAVE " +
                                                   to_hex(blob.subview(kMrenclaveOffset, kMeasurementSize)) + ")");
  }
  SecretBytes key = derive_seal_key(root_key, mrenclave);
  try {
    Bytes plaintext = crypto::aead_open(crypto::AeadAlgorithm::kAes256Gcm, key, blob.subview(kSealNonceOffset, crypto::kAeadNonceSize),
                                        aad_for(blob.subview(0, kSealHeaderSize), name),
                                        blob.subview(kSealCiphertextOffset, blob.size() - kSealCiphertextOffset));
    return SecretBytes(std::move(plaintext));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kAuthenticationFailed) throw;
    throw Error(ErrorCode::kSealedDataCorrupt,
                what + " does not authenticate: tampered, renamed, or sealed under another sealing key");
  }
}

std::optional<Bytes> read_file_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(ErrorCode::kStorageError, "cannot open " + path + ": " + errno_text());
  }
  Bytes out;
  uint8_t chunk[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = errno_text();
      ::close(fd);
      throw Error(ErrorCode::kStorageError, "cannot read " + path + ": " + err);
    }
    if (n == 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  ::close(fd);
  return out;
}

void write_file_atomic(const std::string& path, ByteView contents) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp-" + to_hex(crypto::random_bytes(6));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot create " + tmp + ": " + errno_text());
  size_t written = 0;
  bool ok = true;
  while (ok && written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else written += static_cast<size_t>(n);
  }
  std::string err = ok ? "" : errno_text();
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = "fsync: " + errno_text();
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = "close: " + errno_text();
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = "rename: " + errno_text();
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kStorageError, "writing " + path + " failed: " + err);
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw Error(ErrorCode::kStorageError, "cannot open directory " + dir + ": " + errno_text());
  int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  if (rc != 0) throw Error(ErrorCode::kStorageError, "fsync of directory " + dir + " failed: " + errno_text());
}

SealedStore::SealedStore(const Platform& platform, std::string data_dir, SecretBytes root_key)
    : platform_(platform), data_dir_(std::move(data_dir)), root_key_(std::move(root_key)) {}

std::string SealedStore::path_of(const std::string& name) const {
  check_name(name);
  return data_dir_ + "/" + name + kSealedFileSuffix;
}

void SealedStore::put(const std::string& name, ByteView plaintext) const {
  Bytes blob = seal_blob(platform_.mode(), platform_.mrenclave(), root_key_, name, plaintext);
  crash_point(platform_.mode(), "seal:" + name + ":before");
  write_file_atomic(path_of(name), blob);
  crash_point(platform_.mode(), "seal:" + name + ":after");
}

std::optional<SecretBytes> SealedStore::get(const std::string& name) const {
  std::optional<Bytes> blob = read_file_if_exists(path_of(name));
  if (!blob) return std::nullopt;
  return unseal_blob(platform_.mode(), platform_.mrenclave(), root_key_, name, *blob);
}

bool SealedStore::exists(const std::string& name) const {
  struct stat st {};
  return ::stat(path_of(name).c_str(), &st) == 0;
}

std::vector<std::string> SealedStore::list() const { return list_sealed(data_dir_); }

std::vector<std::string> list_sealed(const std::string& data_dir) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(data_dir.c_str());
  if (dir == nullptr) throw Error(ErrorCode::kStorageError, "cannot list " + data_dir + ": " + errno_text());
  const std::string suffix = kSealedFileSuffix;
  while (dirent* entry = ::readdir(dir)) {
    std::string file = entry->d_name;
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace anonify::enclave
