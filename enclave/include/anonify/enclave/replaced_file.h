// A file replaced atomically again and again (the sealed store's manifest: one replace per
// state_apply), without creating and destroying a file each time.
//
// write_file_atomic creates a temporary file, fills it, renames it over the target and so frees
// the target's old inode: on tmpfs most of a replace is that inode's creation and destruction. A
// ReplacedFile keeps its previous contents as a spare (`<name>.spare`, beside it): a replace
// overwrites the spare in place, flushes it, swaps the two names in one renameat2(RENAME_EXCHANGE)
// and flushes the directory. The crash analysis is write_file_atomic's: `<name>` always names a
// complete file (the old contents until the exchange, the new ones after it) and the spare is
// never read. Where the filesystem cannot exchange names (EINVAL, ENOSYS, EOPNOTSUPP), every
// replace is a plain rename of the filled spare over `<name>`, as write_file_atomic does.
//
// The two files stay open between replaces (after an exchange the previous file is the next
// spare), so a replace opens nothing: one lstat per name checks that each still names the file
// held open (another process may have replaced, removed or planted something), and a mismatch
// makes that replace look the spare up by name as the first one does. On a state_apply's cold
// path the open and close were a third of the replace.
#pragma once

#include <sys/types.h>

#include <string>

#include "anonify/bytes.h"

namespace anonify::enclave {

/// Suffix of the spare that holds a ReplacedFile's previous contents (never read back).
constexpr const char* kSpareFileSuffix = ".spare";

class ReplacedFile {
 public:
  /// kRenameOnly is the path taken where names cannot be exchanged (Gramine); tests choose it.
  enum class Mode { kExchange, kRenameOnly };

  /// `dir` must exist when replace() is first called; nothing is opened before.
  ReplacedFile(std::string dir, std::string name, Mode mode = Mode::kExchange);
  ~ReplacedFile();
  ReplacedFile(const ReplacedFile&) = delete;
  ReplacedFile& operator=(const ReplacedFile&) = delete;

  /// Makes `contents` the contents of `<dir>/<name>`, durably (the spare and the directory are
  /// flushed). Throws Error(StorageError); then `<name>` holds its previous contents, or the new
  /// ones when only the directory's flush failed (as after a crash at that point).
  void replace(ByteView contents);

  const std::string& path() const noexcept { return path_; }
  /// Whether replaces exchange names (false in kRenameOnly mode, or once the filesystem refused an exchange).
  bool exchanges() const noexcept { return exchanges_; }

 private:
  void open_directory();
  /// Opens the spare (creating it when absent) for writing.
  int open_spare();
  /// A descriptor of the spare, a regular file: the held one while the spare's name still names
  /// it, else a newly opened one. Sets spare_size_ to its current size.
  void hold_spare();
  void close_held() noexcept;

  /// A file held open, with the identity its name must still have.
  struct HeldFile {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };

  std::string dir_;
  std::string name_;
  std::string spare_name_;
  std::string path_;
  std::string spare_path_;  ///< for messages
  int dir_fd_ = -1;
  HeldFile spare_;  ///< written by the next replace
  HeldFile live_;   ///< the file `<name>` named after the last replace (the next spare after an exchange)
  off_t spare_size_ = 0;
  bool exchanges_ = true;
};

}  // namespace anonify::enclave
