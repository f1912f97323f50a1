#include "anonify/enclave/alternating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "anonify/error.h"
#include "errno_text.h"

namespace anonify::enclave {

using detail::errno_text;

AlternatingFile::AlternatingFile(std::string dir, std::string name)
    : dir_(std::move(dir)),
      names_{name, name + kSecondSlotSuffix},
      paths_{dir_ + "/" + names_[0], dir_ + "/" + names_[1]} {}

AlternatingFile::~AlternatingFile() {
  for (size_t slot = 0; slot < kSlots; ++slot) release(slot);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

const std::string& AlternatingFile::path(size_t slot) const {
  if (slot >= kSlots) throw Error(ErrorCode::kInvalidArgument, "an alternating file has slots 0 and 1, not " + std::to_string(slot));
  return paths_[slot];
}

void AlternatingFile::release(size_t slot) noexcept {
  if (held_[slot].fd >= 0) ::close(held_[slot].fd);
  held_[slot] = HeldFile{};
}

void AlternatingFile::open_directory() {
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw Error(ErrorCode::kStorageError, "cannot open directory " + dir_ + ": " + errno_text());
}

AlternatingFile::HeldFile& AlternatingFile::hold(size_t slot) {
  HeldFile& held = held_[slot];
  const char* name = names_[slot].c_str();
  if (held.fd >= 0) {
    struct stat st {};
    if (::fstat(held.fd, &st) == 0 && st.st_nlink > 0) {
      held.size = st.st_size;  // another process may have written to it
      return held;
    }
    release(slot);  // removed, or replaced by a rename over its name: whatever the name holds now is opened afresh
  }
  // O_NOFOLLOW: a symlink planted under the name is refused, not followed. O_NONBLOCK: a FIFO fails
  // instead of blocking (fstat below refuses anything that is not a regular file).
  const int fd = ::openat(dir_fd_, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorCode::kStorageError, "cannot open " + paths_[slot] + ": " + errno_text());
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = "cannot stat " + paths_[slot] + ": " + errno_text();
  } else if (!S_ISREG(st.st_mode)) {
    problem = paths_[slot] + " is not a regular file";
  }
  if (!problem.empty()) {
    ::close(fd);
    throw Error(ErrorCode::kStorageError, problem);
  }
  // Whether this open created the file or an earlier one did (and failed before its flush), the
  // directory entry is flushed once after the first write through this descriptor.
  held = HeldFile{fd, st.st_size, /*directory_unflushed=*/true};
  return held;
}

void AlternatingFile::write(size_t slot, ByteView contents) {
  const std::string& where = path(slot);
  if (dir_fd_ < 0) open_directory();
  HeldFile& file = hold(slot);
  try {
    size_t written = 0;
    while (written < contents.size()) {
      ssize_t n = ::pwrite(file.fd, contents.data() + written, contents.size() - written, static_cast<off_t>(written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(ErrorCode::kStorageError, "writing " + where + " failed: " + (n < 0 ? errno_text() : "no progress"));
      written += static_cast<size_t>(n);
    }
    // The slot held longer contents two writes ago: cut what is left of them.
    if (static_cast<uint64_t>(file.size) > contents.size() && ::ftruncate(file.fd, static_cast<off_t>(contents.size())) != 0) {
      throw Error(ErrorCode::kStorageError, "truncating " + where + " failed: " + errno_text());
    }
    file.size = static_cast<off_t>(contents.size());
    // fdatasync covers the size as well (it is needed to read the data back).
    if (::fdatasync(file.fd) != 0) throw Error(ErrorCode::kStorageError, "fdatasync of " + where + " failed: " + errno_text());
    if (file.directory_unflushed) {
      if (::fsync(dir_fd_) != 0) throw Error(ErrorCode::kStorageError, "fsync of directory " + dir_ + " failed: " + errno_text());
      file.directory_unflushed = false;
    }
  } catch (const Error&) {
    release(slot);  // what a failed write left behind is opened afresh next time
    throw;
  }
}

}  // namespace anonify::enclave
