#include "anonify/enclave/sealing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/hkdf.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/crash_point.h"
#include "anonify/error.h"
#include "errno_text.h"

namespace anonify::enclave {

using detail::errno_text;

namespace {

constexpr uint8_t kMagic[8] = {'A', 'N', 'F', 'Y', 'S', 'E', 'A', 'L'};
constexpr size_t kVersionOffset = 8;
constexpr size_t kModeOffset = 10;
constexpr size_t kReservedOffset = 11;
constexpr size_t kMrenclaveOffset = 12;
constexpr const char kKeySalt[] = "anonify-seal-v1";
constexpr size_t kMaxNameLength = 64;
constexpr uint16_t kRetiredVersion = 1;

uint64_t read_u64_be(ByteView b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

uint8_t mode_byte(Mode mode) { return mode == Mode::kSgx ? 2 : 1; }

crypto::AeadKey derive_seal_key(ByteView root_key, ByteView mrenclave) {
  if (root_key.size() < 16) throw Error(ErrorCode::kInvalidArgument, "sealing root key shorter than 16 bytes");
  SecretBytes prk = crypto::hkdf_extract(ByteView::from_string(kKeySalt), root_key);
  const SecretBytes key = crypto::hkdf_expand(prk, mrenclave, crypto::aead_key_size(crypto::AeadAlgorithm::kAes256Gcm));
  return crypto::AeadKey(crypto::AeadAlgorithm::kAes256Gcm, key);
}

Bytes aad_for(ByteView header, const std::string& name) { return concat({header, ByteView::from_string(name)}); }

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength &&
            std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
  if (!ok) throw Error(ErrorCode::kInvalidArgument, "sealed blob names are [a-z0-9-]{1,64}");
}

}  // namespace

namespace {

// seal_blob / unseal_blob with the derived key: the store derives it once, not on every write.
Bytes seal_with_key(Mode mode, ByteView mrenclave, const crypto::AeadKey& key, const std::string& name, const SealBinding& binding,
                    ByteView plaintext) {
  check_name(name);
  if (mrenclave.size() != kMeasurementSize) throw Error(ErrorCode::kInvalidArgument, "MRENCLAVE must be 32 bytes");
  if (binding.instance_id.size() != kSealInstanceIdSize) {
    throw Error(ErrorCode::kInvalidArgument, "sealing instance id must be 16 bytes");
  }
  if (binding.generation == 0) throw Error(ErrorCode::kInvalidArgument, "sealing generations start at 1");
  Bytes blob;
  blob.reserve(kSealCiphertextOffset + plaintext.size() + crypto::kAeadTagSize);
  blob.assign(std::begin(kMagic), std::end(kMagic));
  append_u16_be(blob, kSealFormatVersion);
  blob.push_back(mode_byte(mode));
  blob.push_back(0);
  append(blob, mrenclave);
  append(blob, binding.instance_id);
  append_u64_be(blob, binding.generation);
  Bytes nonce = crypto::random_nonce();
  Bytes ciphertext = key.seal(nonce, aad_for(blob, name), plaintext);
  append(blob, nonce);
  append(blob, ciphertext);
  return blob;
}

Unsealed unseal_with_key(Mode mode, ByteView mrenclave, const crypto::AeadKey& key, const std::string& name, ByteView blob,
                         std::optional<ByteView> expected_instance) {
  check_name(name);
  const std::string what = "sealed blob \"" + name + "\"";
  // The version comes first: a retired format is named as such even when it is shorter.
  if (blob.size() >= kVersionOffset + 2 && std::equal(std::begin(kMagic), std::end(kMagic), blob.begin())) {
    const uint16_t version = static_cast<uint16_t>((blob[kVersionOffset] << 8) | blob[kVersionOffset + 1]);
    if (version == kRetiredVersion) {
      throw Error(ErrorCode::kSealedDataCorrupt,
                  what + " has format version 1, which carries no instance or generation and is no longer read "
                         "(start from a fresh data directory; PROTOCOL.md \"Sealed files\")");
    }
    if (version != kSealFormatVersion) {
      throw Error(ErrorCode::kSealedDataCorrupt, what + " has unsupported format version " + std::to_string(version));
    }
  }
  if (blob.size() < kSealCiphertextOffset + crypto::kAeadTagSize) {
    throw Error(ErrorCode::kSealedDataCorrupt, what + " is truncated (" + std::to_string(blob.size()) + " bytes)");
  }
  if (!std::equal(std::begin(kMagic), std::end(kMagic), blob.begin())) {
    throw Error(ErrorCode::kSealedDataCorrupt, what + " is not an Anonify sealed file (bad magic)");
  }
  if (blob[kReservedOffset] != 0) throw Error(ErrorCode::kSealedDataCorrupt, what + " has a non-zero reserved byte");
  if (blob[kModeOffset] != mode_byte(mode)) {
    throw Error(ErrorCode::kSealedDataForeign, what + " was sealed in another platform mode");
  }
  if (!constant_time_equal(blob.subview(kMrenclaveOffset, kMeasurementSize), mrenclave)) {
    throw Error(ErrorCode::kSealedDataForeign, what + " was sealed by another enclave measurement (MRENCLAVE " +
                                                   to_hex(blob.subview(kMrenclaveOffset, kMeasurementSize)) + ")");
  }
  Unsealed out;
  try {
    Bytes plaintext = key.open(blob.subview(kSealNonceOffset, crypto::kAeadNonceSize), aad_for(blob.subview(0, kSealHeaderSize), name),
                                 blob.subview(kSealCiphertextOffset, blob.size() - kSealCiphertextOffset));
    out.plaintext = SecretBytes(std::move(plaintext));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kAuthenticationFailed) throw;
    throw Error(ErrorCode::kSealedDataCorrupt,
                what + " does not authenticate: tampered, renamed, or sealed under another sealing key");
  }
  // Authentic from here on: the binding is what the sealing enclave wrote.
  out.binding.instance_id = blob.subview(kSealInstanceIdOffset, kSealInstanceIdSize).to_bytes();
  out.binding.generation = read_u64_be(blob.subview(kSealGenerationOffset, 8));
  if (out.binding.generation == 0) throw Error(ErrorCode::kSealedDataCorrupt, what + " has generation 0");
  if (expected_instance && !constant_time_equal(out.binding.instance_id, *expected_instance)) {
    throw Error(ErrorCode::kSealedDataForeign, what + " belongs to another instance (" + to_hex(out.binding.instance_id) +
                                                   ") of this enclave, not to this data directory's (" +
                                                   to_hex(*expected_instance) + ")");
  }
  return out;
}

}  // namespace

Bytes seal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, const SealBinding& binding,
                ByteView plaintext) {
  return seal_with_key(mode, mrenclave, derive_seal_key(root_key, mrenclave), name, binding, plaintext);
}

Unsealed unseal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView blob,
                     std::optional<ByteView> expected_instance) {
  return unseal_with_key(mode, mrenclave, derive_seal_key(root_key, mrenclave), name, blob, expected_instance);
}

namespace {

constexpr uint8_t kManifestVersion = 2;
constexpr uint8_t kLegacyManifestVersion = 1;  // no kind byte: every blob a file of its own
constexpr uint8_t kEntryInFile = 0;
constexpr uint8_t kEntryInline = 1;

// Visits the manifest's entries in name order: the blobs of `generations` and of `inline_blobs`
// (the entry named `skip` left out, none when null). An inline blob takes `inline_generation`, or,
// when that is nullopt, its entry in `generations`, which it must then have. Both maps are walked
// side by side, so the store encodes from its own maps without copying them.
template <typename Visit>
void for_each_manifest_entry(const std::map<std::string, uint64_t>& generations,
                             const std::map<std::string, SecretBytes>& inline_blobs,
                             std::optional<uint64_t> inline_generation, const char* skip, Visit&& visit) {
  auto g = generations.begin();
  auto i = inline_blobs.begin();
  while (g != generations.end() || i != inline_blobs.end()) {
    const bool is_inline = i != inline_blobs.end() && (g == generations.end() || i->first <= g->first);
    const bool has_generation = g != generations.end() && (!is_inline || g->first == i->first);
    const std::string& name = is_inline ? i->first : g->first;
    if (skip == nullptr || name != skip) {
      if (is_inline && !inline_generation && !has_generation) {
        throw Error(ErrorCode::kInvalidArgument, "inline blob \"" + name + "\" has no generation in the manifest");
      }
      const uint64_t generation = is_inline && inline_generation ? *inline_generation : g->second;
      visit(name, generation, is_inline ? &i->second : nullptr);
    }
    if (has_generation) ++g;
    if (is_inline) ++i;
  }
}

// The manifest's plaintext (see for_each_manifest_entry). Sized first and built in one buffer, so no
// reallocation leaves a copy of an inline secret behind.
SecretBytes encode_manifest(const std::map<std::string, uint64_t>& generations,
                            const std::map<std::string, SecretBytes>& inline_blobs,
                            std::optional<uint64_t> inline_generation, const char* skip) {
  size_t count = 0;
  size_t size = 3;
  for_each_manifest_entry(generations, inline_blobs, inline_generation, skip,
                          [&](const std::string& name, uint64_t, const SecretBytes* plaintext) {
                            check_name(name);
                            if (plaintext != nullptr && plaintext->size() > kSealInlineLimit) {
                              throw Error(ErrorCode::kInvalidArgument, "inline blob \"" + name + "\" is larger than " +
                                                                           std::to_string(kSealInlineLimit) + " bytes");
                            }
                            ++count;
                            size += 1 + name.size() + 8 + 1 + (plaintext != nullptr ? 4 + plaintext->size() : 0);
                          });
  if (count > UINT16_MAX) throw Error(ErrorCode::kInvalidArgument, "too many sealed blobs");
  Bytes out;
  out.reserve(size);
  out.push_back(kManifestVersion);
  append_u16_be(out, static_cast<uint16_t>(count));
  for_each_manifest_entry(generations, inline_blobs, inline_generation, skip,
                          [&out](const std::string& name, uint64_t generation, const SecretBytes* plaintext) {
                            out.push_back(static_cast<uint8_t>(name.size()));
                            append(out, ByteView::from_string(name));
                            append_u64_be(out, generation);
                            out.push_back(plaintext != nullptr ? kEntryInline : kEntryInFile);
                            if (plaintext == nullptr) return;
                            append_u32_be(out, static_cast<uint32_t>(plaintext->size()));
                            append(out, plaintext->view());
                          });
  return SecretBytes(std::move(out));
}

}  // namespace

SecretBytes encode_seal_manifest(const SealManifest& manifest) {
  return encode_manifest(manifest.generations, manifest.inline_blobs, std::nullopt, nullptr);
}

SealManifest decode_seal_manifest(ByteView in) {
  const auto corrupt = [](const std::string& why) { return Error(ErrorCode::kSealedDataCorrupt, "sealed store manifest: " + why); };
  if (in.size() < 3 || (in[0] != kManifestVersion && in[0] != kLegacyManifestVersion)) throw corrupt("unknown version or truncated");
  const bool has_kinds = in[0] == kManifestVersion;
  const size_t count = static_cast<size_t>((in[1] << 8) | in[2]);
  size_t at = 3;
  SealManifest out;
  for (size_t i = 0; i < count; ++i) {
    if (at >= in.size()) throw corrupt("truncated");
    const size_t length = in[at++];
    if (in.size() - at < length + 8 + (has_kinds ? 1 : 0)) throw corrupt("truncated");
    std::string name(reinterpret_cast<const char*>(in.data() + at), length);
    at += length;
    try {
      check_name(name);
    } catch (const Error&) {
      throw corrupt("bad blob name");
    }
    if (!out.generations.empty() && name <= out.generations.rbegin()->first) throw corrupt("names not strictly sorted");
    const uint64_t generation = read_u64_be(in.subview(at, 8));
    at += 8;
    if (generation == 0) throw corrupt("generation 0");
    const uint8_t kind = has_kinds ? in[at++] : kEntryInFile;
    if (kind == kEntryInline) {
      if (in.size() - at < 4) throw corrupt("truncated");
      const size_t size = (size_t{in[at]} << 24) | (size_t{in[at + 1]} << 16) | (size_t{in[at + 2]} << 8) | in[at + 3];
      at += 4;
      if (size > kSealInlineLimit) throw corrupt("inline blob \"" + name + "\" larger than " + std::to_string(kSealInlineLimit) + " bytes");
      if (in.size() - at < size) throw corrupt("truncated");
      out.inline_blobs.emplace(name, SecretBytes(in.subview(at, size)));
      at += size;
    } else if (kind != kEntryInFile) {
      throw corrupt("unknown entry kind " + std::to_string(kind));
    }
    out.generations.emplace(std::move(name), generation);
  }
  if (at != in.size()) throw corrupt("trailing bytes");
  return out;
}

std::optional<Bytes> read_file_if_exists(const std::string& path) {
  // O_NONBLOCK: a FIFO planted under a blob's name reads as empty (and is refused as truncated)
  // instead of blocking the start; it changes nothing for regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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
  // A random per-process prefix (so another process's or an earlier run's leftovers never collide)
  // and a counter: O_EXCL below refuses any name that exists anyway.
  static const std::string process_tag = to_hex(crypto::random_bytes(6));
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp-" + process_tag + "-" + std::to_string(counter.fetch_add(1));
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
    : platform_(platform), data_dir_(std::move(data_dir)), seal_key_(derive_seal_key(root_key, platform.mrenclave())) {}

std::string SealedStore::path_of(const std::string& name) const {
  check_name(name);
  return data_dir_ + "/" + name + kSealedFileSuffix;
}

std::optional<SecretBytes> SealedStore::open(const std::string& identity_name) {
  if (!instance_id_.empty()) throw Error(ErrorCode::kInvalidState, "the sealed store is already open");
  std::optional<Bytes> identity_blob = read_file_if_exists(path_of(identity_name));
  if (!identity_blob) return std::nullopt;
  // The identity names the instance: every other blob must carry the same id.
  Unsealed identity = unseal_with_key(platform_.mode(), platform_.mrenclave(), seal_key_, identity_name, *identity_blob, std::nullopt);
  const std::vector<std::string> present = list();
  std::optional<Unsealed> newest_manifest = read_manifest(identity.binding.instance_id);
  std::map<std::string, uint64_t> floors;
  std::map<std::string, SecretBytes> inline_blobs;
  uint64_t highest = identity.binding.generation;
  if (newest_manifest) {
    Unsealed& manifest = *newest_manifest;
    SealManifest decoded = decode_seal_manifest(manifest.plaintext);
    floors = std::move(decoded.generations);
    inline_blobs = std::move(decoded.inline_blobs);
    if (inline_blobs.count(identity_name) != 0) {
      throw Error(ErrorCode::kSealedDataCorrupt, "sealed store manifest: carries the identity blob \"" + identity_name + "\"");
    }
    floors[kSealManifestName] = manifest.binding.generation;
    highest = std::max(highest, manifest.binding.generation);
    for (const auto& [name, generation] : floors) {
      highest = std::max(highest, generation);
      if (name == kSealManifestName || inline_blobs.count(name) != 0) continue;  // the manifest's slots were read above
      if (!std::binary_search(present.begin(), present.end(), name)) {
        throw Error(ErrorCode::kSealedDataStale, "sealed blob \"" + name + "\" (generation " + std::to_string(generation) +
                                                     " in the store manifest) is missing from " + data_dir_);
      }
    }
  } else {
    // Only a store that never finished its first write (identity sealed, manifest not yet) has no
    // manifest; with anything else beside the identity, the manifest was removed.
    for (const std::string& name : present) {
      if (name != identity_name) {
        throw Error(ErrorCode::kSealedDataStale, data_dir_ + " holds sealed blobs (\"" + name +
                                                     "\") but no store manifest: refusing to open them without their generations");
      }
    }
  }
  auto it = floors.find(identity_name);
  if (it != floors.end() && identity.binding.generation < it->second) {
    throw Error(ErrorCode::kSealedDataStale, "sealed blob \"" + identity_name + "\" has generation " +
                                                 std::to_string(identity.binding.generation) + ", older than " +
                                                 std::to_string(it->second) + " in the store manifest");
  }
  instance_id_ = identity.binding.instance_id;
  identity_name_ = identity_name;
  floors_ = std::move(floors);
  floors_[identity_name] = std::max(floors_[identity_name], identity.binding.generation);
  generation_ = highest;
  inline_ = std::move(inline_blobs);
  files_ = std::set<std::string>(present.begin(), present.end());
  // A file beside a blob the manifest carries is the previous copy of a blob that moved into the
  // manifest (a crash came before its removal): never read, removed now.
  remove_stale_files();
  return std::move(identity.plaintext);
}

AlternatingFile& SealedStore::manifest_file() {
  if (!manifest_file_) manifest_file_ = std::make_unique<AlternatingFile>(data_dir_, std::string(kSealManifestName) + kSealedFileSuffix);
  return *manifest_file_;
}

std::optional<Unsealed> SealedStore::read_manifest(ByteView instance_id) {
  // A leftover spare of the earlier replace scheme is no state (best effort, like remove_stale_files).
  ::unlink((manifest_file().path(0) + kRetiredManifestSpareSuffix).c_str());
  std::optional<Unsealed> newest;
  std::exception_ptr torn;
  for (size_t slot = 0; slot < AlternatingFile::kSlots; ++slot) {
    try {
      std::optional<Bytes> blob = read_file_if_exists(manifest_file().path(slot));
      if (!blob) continue;
      Unsealed unsealed = unseal_with_key(platform_.mode(), platform_.mrenclave(), seal_key_, kSealManifestName, *blob, instance_id);
      if (!newest || unsealed.binding.generation > newest->binding.generation) {
        newest = std::move(unsealed);
        manifest_slot_ = slot;
      }
    } catch (const Error& e) {
      // A slot that does not authenticate is what a crash in the middle of its write leaves (or bytes
      // the host put there); one that cannot be read at all is what such a crash leaves on Gramine's
      // encrypted mount, whose torn files fail to open. The other slot holds the newest manifest
      // written in full. Any other refusal (another instance, measurement or mode) is no torn write.
      if (e.code() != ErrorCode::kSealedDataCorrupt && e.code() != ErrorCode::kStorageError) throw;
      if (!torn) torn = std::current_exception();
    }
  }
  if (!newest && torn) std::rethrow_exception(torn);
  return newest;
}

void SealedStore::create(const std::string& identity_name, ByteView identity) {
  if (!instance_id_.empty()) throw Error(ErrorCode::kInvalidState, "the sealed store is already open");
  instance_id_ = crypto::random_bytes(kSealInstanceIdSize);
  identity_name_ = identity_name;
  try {
    put(identity_name, identity);
  } catch (...) {
    instance_id_.clear();
    identity_name_.clear();
    floors_.clear();
    files_.clear();
    generation_ = 0;
    throw;
  }
}

void SealedStore::write(const std::string& name, ByteView plaintext) {
  const uint64_t generation = generation_ + 1;
  Bytes blob = seal_with_key(platform_.mode(), platform_.mrenclave(), seal_key_, name, SealBinding{instance_id_, generation}, plaintext);
  if (name == kSealManifestName) {
    // The slot not holding the newest manifest: a crash in this write leaves that one intact.
    const size_t slot = manifest_slot_ ? 1 - *manifest_slot_ : 0;
    manifest_file().write(slot, blob);
    manifest_slot_ = slot;
  } else {
    write_file_atomic(path_of(name), blob);
  }
  generation_ = generation;
  floors_[name] = generation;
  files_.insert(name);
}

void SealedStore::keep_inline(const std::string& name) {
  check_name(name);
  if (name == kSealManifestName || (!identity_name_.empty() && name == identity_name_)) {
    throw Error(ErrorCode::kInvalidArgument, "\"" + name + "\" cannot live inside the store manifest");
  }
  inline_names_.insert(name);
}

bool SealedStore::keeps_inline(const std::string& name, size_t size) const {
  return name != identity_name_ && size <= kSealInlineLimit && inline_names_.count(name) != 0;
}

void SealedStore::put(const std::string& name, ByteView plaintext) {
  if (instance_id_.empty()) throw Error(ErrorCode::kInvalidState, "the sealed store is not open");
  if (name == kSealManifestName) throw Error(ErrorCode::kInvalidArgument, "the store manifest name is reserved");
  check_name(name);
  crash_point(platform_.mode(), "seal:", name, ":before");
  const bool in_manifest = keeps_inline(name, plaintext.size());
  if (batch_open_) {
    // An uncommitted batch puts the previous inline copies back.
    if (in_manifest) {
      SecretBytes next(plaintext);
      note_undo(name, /*take=*/true);  // moved out, as it is replaced at once
      inline_[name] = std::move(next);
      batch_inline_.push_back(name);  // durable, and its "after" point reached, at commit
    } else {
      note_undo(name, /*take=*/false);
      write(name, plaintext);
      inline_.erase(name);
      crash_point(platform_.mode(), "seal:", name, ":after");
    }
    batch_wrote_ = true;
    return;
  }
  // Outside a batch a put is all or nothing for what the store holds.
  std::optional<SecretBytes> previous;
  if (auto it = inline_.find(name); it != inline_.end()) previous = std::move(it->second);
  try {
    if (in_manifest) {
      inline_[name] = SecretBytes(plaintext);
    } else {
      inline_.erase(name);
      write(name, plaintext);
      crash_point(platform_.mode(), "seal:", name, ":after");
    }
    write_manifest();
  } catch (...) {
    if (previous) inline_[name] = std::move(*previous);
    else inline_.erase(name);
    throw;
  }
  if (in_manifest) crash_point(platform_.mode(), "seal:", name, ":after");
}

void SealedStore::write_manifest() {
  // Written after the blobs in files: a crash in between leaves a blob newer than its entry, which
  // reads. The inline blobs take the manifest's own generation.
  const uint64_t generation = generation_ + 1;
  write(kSealManifestName, encode_manifest(floors_, inline_, generation, kSealManifestName));
  for (const auto& entry : inline_) floors_[entry.first] = generation;
  remove_stale_files();
}

void SealedStore::remove_stale_files() noexcept {
  // Best effort: a file left behind is never read while the manifest carries its blob, and the next
  // open or manifest write tries again.
  for (auto it = files_.begin(); it != files_.end();) {
    if (inline_.count(*it) != 0 && (::unlink(path_of(*it).c_str()) == 0 || errno == ENOENT)) {
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

void SealedStore::note_undo(const std::string& name, bool take) {
  auto [undo, first] = batch_undo_.try_emplace(name);  // allocates before anything moves
  if (!first) return;
  auto it = inline_.find(name);
  if (it == inline_.end()) return;  // nullopt: the batch added it
  try {
    if (take) {
      undo->second = std::move(it->second);
    } else {
      undo->second = it->second;
    }
  } catch (...) {
    batch_undo_.erase(undo);
    throw;
  }
}

void SealedStore::undo_batch() noexcept {
  for (auto& [name, previous] : batch_undo_) {
    if (previous) inline_[name] = std::move(*previous);
    else inline_.erase(name);
  }
  batch_undo_.clear();
  batch_inline_.clear();
}

SealedStore::ManifestBatch::ManifestBatch(SealedStore& store) : store_(store) {
  if (store_.batch_open_) throw Error(ErrorCode::kInvalidState, "a manifest batch is already open on this store");
  store_.batch_open_ = true;
  store_.batch_wrote_ = false;
  store_.batch_inline_.clear();
  store_.batch_undo_.clear();
}

SealedStore::ManifestBatch::~ManifestBatch() {
  if (store_.batch_open_) store_.undo_batch();  // not committed: the inline puts never happened
  store_.batch_open_ = false;
}

void SealedStore::ManifestBatch::commit() {
  if (!store_.batch_open_) throw Error(ErrorCode::kInvalidState, "the manifest batch was already committed");
  if (store_.batch_wrote_) {
    try {
      store_.write_manifest();
    } catch (...) {
      store_.undo_batch();
      store_.batch_open_ = false;
      throw;
    }
  }
  store_.batch_open_ = false;
  store_.batch_wrote_ = false;
  store_.batch_undo_.clear();
  const std::vector<std::string> written = std::move(store_.batch_inline_);
  store_.batch_inline_.clear();
  for (const std::string& name : written) crash_point(store_.platform_.mode(), "seal:", name, ":after");
}

Unsealed SealedStore::read_checked(const std::string& name, const Bytes& blob) {
  Unsealed opened = unseal_with_key(platform_.mode(), platform_.mrenclave(), seal_key_, name, blob, ByteView(instance_id_));
  auto it = floors_.find(name);
  if (it != floors_.end() && opened.binding.generation < it->second) {
    throw Error(ErrorCode::kSealedDataStale, "sealed blob \"" + name + "\" has generation " +
                                                 std::to_string(opened.binding.generation) + ", older than generation " +
                                                 std::to_string(it->second) + " this store recorded or already used");
  }
  floors_[name] = opened.binding.generation;
  generation_ = std::max(generation_, opened.binding.generation);
  return opened;
}

std::optional<SecretBytes> SealedStore::get(const std::string& name) {
  if (instance_id_.empty()) throw Error(ErrorCode::kInvalidState, "the sealed store is not open");
  if (auto it = inline_.find(name); it != inline_.end()) return it->second;
  std::optional<Bytes> blob = read_file_if_exists(path_of(name));
  if (!blob) return std::nullopt;
  return std::move(read_checked(name, *blob).plaintext);
}

bool SealedStore::exists(const std::string& name) const {
  if (inline_.count(name) != 0) return true;
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
