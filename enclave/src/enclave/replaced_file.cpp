#include "anonify/enclave/replaced_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc >= 2.28, _GNU_SOURCE)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "anonify/error.h"
#include "errno_text.h"

namespace anonify::enclave {

using detail::errno_text;

namespace {

bool exchange_unsupported(int error) { return error == EINVAL || error == ENOSYS || error == EOPNOTSUPP; }

bool same_file(const struct stat& st, dev_t dev, ino_t ino) { return st.st_dev == dev && st.st_ino == ino; }

}  // namespace

ReplacedFile::ReplacedFile(std::string dir, std::string name, Mode mode)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      spare_name_(name_ + kSpareFileSuffix),
      path_(dir_ + "/" + name_),
      spare_path_(dir_ + "/" + spare_name_),
      exchanges_(mode == Mode::kExchange) {}

ReplacedFile::~ReplacedFile() {
  close_held();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void ReplacedFile::close_held() noexcept {
  for (HeldFile* held : {&spare_, &live_}) {
    if (held->fd >= 0) ::close(held->fd);
    *held = HeldFile{};
  }
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

void ReplacedFile::hold_spare() {
  if (spare_.fd >= 0) {
    struct stat st {};
    if (::fstatat(dir_fd_, spare_name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && same_file(st, spare_.dev, spare_.ino)) {
      spare_size_ = st.st_size;  // the same inode as the descriptor, so its size
      return;
    }
    ::close(spare_.fd);  // the name moved on: whatever it names now is looked up afresh
    spare_ = HeldFile{};
  }
  const int fd = open_spare();
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = "cannot stat " + spare_path_ + ": " + errno_text();
  } else if (!S_ISREG(st.st_mode)) {
    problem = spare_path_ + " is not a regular file";
  }
  if (!problem.empty()) {
    ::close(fd);
    throw Error(ErrorCode::kStorageError, problem);
  }
  spare_ = HeldFile{fd, st.st_dev, st.st_ino};
  spare_size_ = st.st_size;
}

void ReplacedFile::replace(ByteView contents) {
  if (dir_fd_ < 0) open_directory();
  hold_spare();
  try {
    size_t written = 0;
    while (written < contents.size()) {
      ssize_t n = ::pwrite(spare_.fd, contents.data() + written, contents.size() - written, static_cast<off_t>(written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(ErrorCode::kStorageError, "writing " + spare_path_ + " failed: " + (n < 0 ? errno_text() : "no progress"));
      written += static_cast<size_t>(n);
    }
    // The spare held the contents before the previous replace: cut what is left of a longer one.
    if (static_cast<uint64_t>(spare_size_) > contents.size() && ::ftruncate(spare_.fd, static_cast<off_t>(contents.size())) != 0) {
      throw Error(ErrorCode::kStorageError, "truncating " + spare_path_ + " failed: " + errno_text());
    }
    // fdatasync covers the size as well (it is needed to read the data back).
    if (::fdatasync(spare_.fd) != 0) throw Error(ErrorCode::kStorageError, "fdatasync of " + spare_path_ + " failed: " + errno_text());
  } catch (const Error&) {
    close_held();  // what a failed write left behind is looked up afresh next time
    throw;
  }
  bool exchanged = false;
  // An exchange swaps names whatever they hold: only a regular file is exchanged, anything else (a
  // directory, a symlink, nothing) gets rename's semantics (a directory refuses it).
  struct stat target {};
  if (exchanges_ && ::fstatat(dir_fd_, name_.c_str(), &target, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(target.st_mode)) {
    if (::renameat2(dir_fd_, spare_name_.c_str(), dir_fd_, name_.c_str(), RENAME_EXCHANGE) == 0) {
      exchanged = true;
    } else if (exchange_unsupported(errno)) {
      exchanges_ = false;
    } else if (errno != ENOENT) {  // ENOENT: `<name>` went away since the check, a rename creates it
      throw Error(ErrorCode::kStorageError, "exchanging " + spare_path_ + " with " + path_ + " failed: " + errno_text());
    }
  }
  if (!exchanged && ::renameat(dir_fd_, spare_name_.c_str(), dir_fd_, name_.c_str()) != 0) {
    throw Error(ErrorCode::kStorageError, "renaming " + spare_path_ + " over " + path_ + " failed: " + errno_text());
  }
  // The written file is `<name>` now. After an exchange the previous one is the spare: kept open
  // when it is the file held as live (the name check before the next write still applies).
  HeldFile previous = live_;
  live_ = spare_;
  spare_ = HeldFile{};
  if (exchanged && previous.fd >= 0 && same_file(target, previous.dev, previous.ino)) {
    spare_ = previous;
  } else if (previous.fd >= 0) {
    ::close(previous.fd);
  }
  if (::fsync(dir_fd_) != 0) throw Error(ErrorCode::kStorageError, "fsync of directory " + dir_ + " failed: " + errno_text());
}

}  // namespace anonify::enclave
