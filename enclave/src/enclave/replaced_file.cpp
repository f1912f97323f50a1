#include "anonify/enclave/replaced_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc >= 2.28, _GNU_SOURCE)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "anonify/error.h"

namespace anonify::enclave {

namespace {

std::string errno_text() { return std::strerror(errno); }

/// Closes a descriptor on every path out of replace().
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

bool exchange_unsupported(int error) { return error == EINVAL || error == ENOSYS || error == EOPNOTSUPP; }

}  // namespace

ReplacedFile::ReplacedFile(std::string dir, std::string name, Mode mode)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      spare_name_(name_ + kSpareFileSuffix),
      path_(dir_ + "/" + name_),
      spare_path_(dir_ + "/" + spare_name_),
      exchanges_(mode == Mode::kExchange) {}

ReplacedFile::~ReplacedFile() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void ReplacedFile::open_directory() {
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw Error(ErrorCode::kStorageError, "cannot open directory " + dir_ + ": " + errno_text());
}

int ReplacedFile::open_spare() {
  // Not O_EXCL: the spare of an earlier run (or a torn one) is simply overwritten. O_NONBLOCK so a
  // FIFO planted under the spare's name fails instead of blocking; fstat refuses anything else that
  // is not a regular file.
  int fd = ::openat(dir_fd_, spare_name_.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot open " + spare_path_ + ": " + errno_text());
  return fd;
}

void ReplacedFile::replace(ByteView contents) {
  if (dir_fd_ < 0) open_directory();
  {
    FileDescriptor spare(open_spare());
    struct stat st {};
    if (::fstat(spare.get(), &st) != 0) throw Error(ErrorCode::kStorageError, "cannot stat " + spare_path_ + ": " + errno_text());
    if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::kStorageError, spare_path_ + " is not a regular file");
    size_t written = 0;
    while (written < contents.size()) {
      ssize_t n = ::pwrite(spare.get(), contents.data() + written, contents.size() - written, static_cast<off_t>(written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(ErrorCode::kStorageError, "writing " + spare_path_ + " failed: " + (n < 0 ? errno_text() : "no progress"));
      written += static_cast<size_t>(n);
    }
    // The spare held the contents before the previous replace: cut what is left of a longer one.
    if (static_cast<uint64_t>(st.st_size) > contents.size() && ::ftruncate(spare.get(), static_cast<off_t>(contents.size())) != 0) {
      throw Error(ErrorCode::kStorageError, "truncating " + spare_path_ + " failed: " + errno_text());
    }
    // fdatasync covers the size as well (it is needed to read the data back).
    if (::fdatasync(spare.get()) != 0) throw Error(ErrorCode::kStorageError, "fdatasync of " + spare_path_ + " failed: " + errno_text());
  }
  bool renamed = false;
  // An exchange swaps names whatever they hold: only a regular file is exchanged, anything else (a
  // directory, a symlink, nothing) gets rename's semantics (a directory refuses it).
  struct stat target {};
  if (exchanges_ && ::fstatat(dir_fd_, name_.c_str(), &target, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(target.st_mode)) {
    if (::renameat2(dir_fd_, spare_name_.c_str(), dir_fd_, name_.c_str(), RENAME_EXCHANGE) == 0) {
      renamed = true;
    } else if (exchange_unsupported(errno)) {
      exchanges_ = false;
    } else if (errno != ENOENT) {  // ENOENT: `<name>` went away since the check, a rename creates it
      throw Error(ErrorCode::kStorageError, "exchanging " + spare_path_ + " with " + path_ + " failed: " + errno_text());
    }
  }
  if (!renamed && ::renameat(dir_fd_, spare_name_.c_str(), dir_fd_, name_.c_str()) != 0) {
    throw Error(ErrorCode::kStorageError, "renaming " + spare_path_ + " over " + path_ + " failed: " + errno_text());
  }
  if (::fsync(dir_fd_) != 0) throw Error(ErrorCode::kStorageError, "fsync of directory " + dir_ + " failed: " + errno_text());
}

}  // namespace anonify::enclave
