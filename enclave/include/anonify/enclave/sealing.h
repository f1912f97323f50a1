// Sealed files: versioned, AES-256-GCM, bound to the measurement, the file's name, the enclave
// instance and a monotonic generation.
//
//   offset  size  field
//   0       8     magic "ANFYSEAL"
//   8       2     format version (big-endian), currently 2
//   10      1     platform mode (1 = simulation, 2 = sgx)
//   11      1     reserved, 0
//   12      32    MRENCLAVE of the sealing enclave
//   44      16    instance id (random, created with the identity: one per data directory)
//   60      8     generation (big-endian, >= 1; strictly increasing over every write of a store)
//   68      12    AES-GCM nonce (random)
//   80      n+16  ciphertext ‖ tag
//
// AAD = bytes 0..68 ‖ name; key = HKDF-SHA256(salt "anonify-seal-v1", ikm root key,
// info MRENCLAVE) so a file sealed by another measurement, platform, name, instance or generation
// never opens as anything else. Version 1 files (no instance, no generation) are refused: they
// carry no rollback protection (PROTOCOL.md "Sealed files").
//
// The store keeps a sealed manifest ("store-manifest") with the generation of every blob it wrote;
// a blob older than its manifest entry, or than what this run already wrote or read, is refused as
// stale. The small blobs a request rewrites (the runtime state of most groups, the chain clock, the
// reply keys: up to kSealInlineLimit bytes) live inside the manifest itself, so that request
// writes one file, not two. Rolling back the whole directory (manifest included) between runs is not
// detected here: docs/security.md describes how the chain exposes it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "anonify/bytes.h"
#include "anonify/crypto/aead.h"
#include "anonify/enclave/alternating_file.h"
#include "anonify/enclave/platform.h"

namespace anonify::enclave {

constexpr uint16_t kSealFormatVersion = 2;
constexpr size_t kSealInstanceIdOffset = 44;
constexpr size_t kSealInstanceIdSize = 16;
constexpr size_t kSealGenerationOffset = 60;
constexpr size_t kSealHeaderSize = 68;
constexpr size_t kSealNonceOffset = 68;
constexpr size_t kSealCiphertextOffset = 80;
constexpr const char* kSealedFileSuffix = ".sealed";
/// Name of the blob holding the generation of every other blob of the store.
constexpr const char* kSealManifestName = "store-manifest";
/// Suffix of the spare through which the manifest was replaced until 2026-12-06 (never read, so no
/// state): a leftover one is removed at open. The manifest's slots are alternating_file.h's.
constexpr const char* kRetiredManifestSpareSuffix = ".spare";
/// A blob named with SealedStore::keep_inline lives inside the manifest while its plaintext is at
/// most this many bytes (never the identity: it names the instance the manifest is checked against).
constexpr size_t kSealInlineLimit = 4096;

/// What a sealed blob is bound to besides the measurement and its name.
struct SealBinding {
  Bytes instance_id;        ///< kSealInstanceIdSize bytes
  uint64_t generation = 0;  ///< >= 1
};

/// An opened blob: the plaintext and the (authenticated) binding it was sealed with.
struct Unsealed {
  SecretBytes plaintext;
  SealBinding binding;
};

/// Seals `plaintext` under `name`, instance and generation (all authenticated, so files cannot be
/// swapped between names, instances or generations without notice).
Bytes seal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, const SealBinding& binding,
                ByteView plaintext);

/// Opens a sealed blob. Errors: SealedDataCorrupt (truncated, bad magic, unknown or retired
/// version, tag mismatch), SealedDataForeign (another MRENCLAVE or platform mode, or, when
/// `expected_instance` is given, an authentic blob of another instance).
Unsealed unseal_blob(Mode mode, ByteView mrenclave, ByteView root_key, const std::string& name, ByteView blob,
                     std::optional<ByteView> expected_instance = std::nullopt);

/// Writes `contents` to `path` atomically: temp file in the same directory (0600), write, fsync,
/// rename over the target, fsync the directory. Throws Error(StorageError).
void write_file_atomic(const std::string& path, ByteView contents);

/// Reads a whole file; nullopt if it does not exist. Throws Error(StorageError) otherwise.
std::optional<Bytes> read_file_if_exists(const std::string& path);

/// Names of the `<name>.sealed` files in a directory, sorted. Throws Error(StorageError).
std::vector<std::string> list_sealed(const std::string& data_dir);

/// What the manifest records: every blob's generation, and the plaintext of the blobs kept inline.
struct SealManifest {
  std::map<std::string, uint64_t> generations;      ///< every blob but the manifest itself
  std::map<std::string, SecretBytes> inline_blobs;  ///< names also in `generations`; each <= kSealInlineLimit
};

/// The manifest's plaintext: version 2 ‖ count u16 ‖ (name length u8 ‖ name ‖ generation u64 ‖
/// kind u8 ‖ [kind 1 (inline): length u32 ‖ plaintext])*, names strictly sorted, kind 0 = a file of
/// its own. Version 1 (no kind: every blob a file) still decodes. Throws Error(SealedDataCorrupt)
/// when malformed, Error(InvalidArgument) when encoding an inline blob that is not in `generations`
/// or is too large.
SecretBytes encode_seal_manifest(const SealManifest& manifest);
SealManifest decode_seal_manifest(ByteView plaintext);

/// Named sealed blobs in a data directory (`<dir>/<name>.sealed`, or inside the manifest: see
/// keep_inline). Names are [a-z0-9-]{1,64}.
///
/// Every write takes the next generation of the store; a read refuses (SealedDataStale) a blob
/// older than the manifest's entry or than what this store already wrote or read under that name,
/// and (SealedDataForeign) a blob of another instance. An inline blob is written by writing the
/// manifest; a blob moves between the manifest and a file of its own as its size crosses
/// kSealInlineLimit, and the file it leaves is removed.
class SealedStore {
 public:
  SealedStore(const Platform& platform, std::string data_dir, SecretBytes root_key);

  /// Opens an existing store: unseals the identity blob `identity_name` (nullopt when absent: a
  /// fresh directory), adopts its instance id, then checks the manifest (present whenever other
  /// blobs are, every blob it lists still present) and takes its generations as floors.
  std::optional<SecretBytes> open(const std::string& identity_name);
  /// Starts a new instance (random id) and seals its first blob, the identity.
  void create(const std::string& identity_name, ByteView identity);

  /// Lets `name` live inside the manifest while its plaintext is at most kSealInlineLimit bytes. For
  /// the small blobs requests rewrite; the others (the MLS group, evidence) keep files of their own,
  /// so a request does not re-seal them. Throws Error(InvalidArgument) for the identity's name.
  void keep_inline(const std::string& name);

  /// Seals under the next generation, then records it in the manifest (inside a ManifestBatch: at
  /// the batch's commit). A keep_inline blob of at most kSealInlineLimit bytes is sealed inside the
  /// manifest: one file write. When the write fails, the store keeps what it had before the put. Throws
  /// Error(InvalidState) before open/create.
  void put(const std::string& name, ByteView plaintext);

  /// Defers the manifest of the puts made while it is open to one write at commit(): a request that
  /// seals two small blobs (state_apply: the chain clock, then the state) replaces one file. Inline
  /// blobs change only at commit (their `seal:<name>:after` crash points fire there); a large blob
  /// is written to its own file at its put. Without commit() (an exception), the batch's inline
  /// puts are undone; files already written are newer than their manifest entries, which a restart
  /// accepts.
  class ManifestBatch {
   public:
    explicit ManifestBatch(SealedStore& store);
    ~ManifestBatch();
    ManifestBatch(const ManifestBatch&) = delete;
    ManifestBatch& operator=(const ManifestBatch&) = delete;
    /// Writes the manifest when a put happened since the batch opened.
    void commit();

   private:
    SealedStore& store_;
  };
  /// nullopt if absent; throws (never replaces) when present but unreadable, foreign or stale.
  std::optional<SecretBytes> get(const std::string& name);
  bool exists(const std::string& name) const;
  /// Names of the sealed files present (blobs kept inside the manifest have none).
  std::vector<std::string> list() const;
  /// Whether `name` is currently kept inside the manifest.
  bool is_inline(const std::string& name) const { return inline_.count(name) != 0; }
  const std::string& data_dir() const noexcept { return data_dir_; }
  std::string path_of(const std::string& name) const;
  /// Empty before open/create.
  const Bytes& instance_id() const noexcept { return instance_id_; }
  /// The highest generation written or read in this run (0 before any).
  uint64_t generation() const noexcept { return generation_; }

 private:
  Unsealed read_checked(const std::string& name, const Bytes& blob);
  AlternatingFile& manifest_file();
  /// The newest manifest slot that unseals under `instance_id` (nullopt: no slot file); sets manifest_slot_.
  std::optional<Unsealed> read_manifest(ByteView instance_id);
  void write(const std::string& name, ByteView plaintext);
  void write_manifest();
  bool keeps_inline(const std::string& name, size_t size) const;
  /// Remembers `name`'s inline copy (or its absence) once per batch, so an uncommitted batch can undo it:
  /// moved out with `take` (the caller replaces it at once), else copied.
  void note_undo(const std::string& name, bool take);
  void undo_batch() noexcept;
  void remove_stale_files() noexcept;

  const Platform& platform_;
  std::string data_dir_;
  /// The manifest's file: rewritten on every request that seals, so it alternates between two slots
  /// written in place (alternating_file.h): each write goes to the slot that does not hold the newest
  /// manifest, and open() takes the newest slot that unseals.
  std::unique_ptr<AlternatingFile> manifest_file_;
  /// The slot holding the newest manifest (read at open or written since); nullopt before the first.
  std::optional<size_t> manifest_slot_;
  crypto::AeadKey seal_key_;  ///< derived from the root key and MRENCLAVE once, at construction, and prepared
  Bytes instance_id_;
  uint64_t generation_ = 0;
  /// Per name: the lowest generation still acceptable (manifest entry, last read or write).
  std::map<std::string, uint64_t> floors_;
  std::string identity_name_;
  std::set<std::string> inline_names_;  ///< keep_inline
  /// Blobs kept inside the manifest: written with it, read from it at open.
  std::map<std::string, SecretBytes> inline_;
  /// Blobs with a file of their own on disk (the identity, large blobs, leftovers to remove).
  std::set<std::string> files_;
  bool batch_open_ = false;
  bool batch_wrote_ = false;  ///< a put inside the open batch sealed a blob
  /// The open batch's inline puts, in order: their "after" crash points fire at commit.
  std::vector<std::string> batch_inline_;
  /// Inline copies as they were before the open batch first changed them (nullopt: none).
  std::map<std::string, std::optional<SecretBytes>> batch_undo_;
};

}  // namespace anonify::enclave
