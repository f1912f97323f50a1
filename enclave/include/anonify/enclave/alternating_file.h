// A file rewritten again and again (the sealed store's manifest: one write per state_apply), kept as
// two slots written in place in turn, so a write is one pwrite and one fdatasync: no file is created,
// renamed or removed, and the directory is not flushed (but after the first write through each
// descriptor, which may have created the file).
//
// The slots are `<name>` and `<name>.b`, beside each other. The caller writes the slot that does not
// hold its newest contents and reads both back at start: the newest complete slot is the contents.
// A crash while a slot is written leaves that slot torn and the other one as it was, so the caller
// must tell a complete slot from a torn one (the sealed store does: a torn sealed blob does not
// authenticate) and number its contents (the store's generations). A replace through a temporary
// file and rename (write_file_atomic) gives the same guarantee with a single name, at the cost of a
// second flush (the directory's) and of creating and freeing an inode on every write; the exchange
// of two names (renameat2) is not available in Gramine.
//
// Both slot files stay open between writes. Before each write an fstat of the held descriptor checks
// that the file still has a name: one that another process removed, or replaced by renaming another
// file over its name, has none, and the slot is opened afresh by name. (A file renamed away keeps a
// name and is still written; checking the name itself, an lstat per write, would catch that too and
// cost more than the write's pwrite on tmpfs. The host can drop or roll back any write anyway: this
// only keeps a benign tool's replacement from swallowing the writes that follow.)
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <string>

#include "anonify/bytes.h"

namespace anonify::enclave {

/// Suffix of an AlternatingFile's second slot (the first is `<name>` itself).
constexpr const char* kSecondSlotSuffix = ".b";

class AlternatingFile {
 public:
  static constexpr size_t kSlots = 2;

  /// `dir` must exist when write() is first called; nothing is opened before.
  AlternatingFile(std::string dir, std::string name);
  ~AlternatingFile();
  AlternatingFile(const AlternatingFile&) = delete;
  AlternatingFile& operator=(const AlternatingFile&) = delete;

  /// `<dir>/<name>` for slot 0, `<dir>/<name>.b` for slot 1.
  const std::string& path(size_t slot) const;

  /// Makes `contents` the whole contents of slot `slot` (created when absent), durably: the data and
  /// the size are flushed, and the directory after the first write through a descriptor. Throws
  /// Error(StorageError) for a slot >= kSlots or when the write fails; the slot may then hold
  /// anything (a torn write), the other slot is untouched.
  void write(size_t slot, ByteView contents);

 private:
  /// A slot file held open.
  struct HeldFile {
    int fd = -1;
    off_t size = 0;
    bool directory_unflushed = false;  ///< opened afresh: the directory is flushed after its first write
  };

  void open_directory();
  /// The held descriptor of `slot` while its file still has a name, else the file opened (or created)
  /// afresh by name; refuses anything but a regular file.
  HeldFile& hold(size_t slot);
  void release(size_t slot) noexcept;

  std::string dir_;
  std::array<std::string, kSlots> names_;
  std::array<std::string, kSlots> paths_;  ///< for messages
  int dir_fd_ = -1;
  std::array<HeldFile, kSlots> held_;
};

}  // namespace anonify::enclave
