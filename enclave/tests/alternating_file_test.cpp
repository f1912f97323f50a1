// AlternatingFile: the store manifest's two slots, each overwritten in place (alternating_file.h).
#include "anonify/enclave/alternating_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "enclave_test_util.h"

namespace anonify::enclave {
namespace {

using testing::error_of;
using testing::read_all;
using testing::TempDir;
using testing::write_raw;

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// Each slot is its own file, created at its first write and then overwritten in place (the same
// inode): whole contents every time, a shorter write cut to its own length; the other slot is
// untouched.
TEST(AlternatingFile, EachWriteReplacesOneSlotsWholeContentsInPlace) {
  TempDir dir;
  AlternatingFile file(dir.path(), "f");
  EXPECT_EQ(file.path(0), dir.file("f"));
  EXPECT_EQ(file.path(1), dir.file("f.b"));
  file.write(0, Bytes(1000, 1));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(1000, 1));
  EXPECT_FALSE(exists(dir.file("f.b")));
  file.write(1, Bytes(3, 2));
  EXPECT_EQ(read_all(dir.file("f.b")), Bytes(3, 2));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(1000, 1));
  const ino_t first = inode_of(dir.file("f"));
  file.write(0, Bytes(500, 3));  // over the 1000 bytes
  EXPECT_EQ(read_all(dir.file("f")), Bytes(500, 3));
  EXPECT_EQ(inode_of(dir.file("f")), first);
  file.write(1, Bytes(700, 4));  // over the 3 bytes
  EXPECT_EQ(read_all(dir.file("f.b")), Bytes(700, 4));
  file.write(0, Bytes{});
  EXPECT_EQ(read_all(dir.file("f")), Bytes{});
  for (const std::string& path : {dir.file("f"), dir.file("f.b")}) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  EXPECT_EQ(std::system(("test $(ls -A '" + dir.path() + "' | wc -l) -eq 2").c_str()), 0);
  EXPECT_EQ(error_of([&] { file.write(2, Bytes{1}); }), "invalid_argument");
  EXPECT_EQ(error_of([&] { (void)file.path(2); }), "invalid_argument");
}

// Slot files left by an earlier run (or torn by a crash in the middle of a write) are written over,
// and cut when longer.
TEST(AlternatingFile, LeftoverSlotsAreWrittenOver) {
  TempDir dir;
  write_raw(dir.file("f"), Bytes(5000, 0xee));
  write_raw(dir.file("f.b"), Bytes(10, 7));
  AlternatingFile file(dir.path(), "f");
  file.write(0, Bytes(20, 8));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(20, 8));
  EXPECT_EQ(read_all(dir.file("f.b")), Bytes(10, 7));
}

// A slot file another process removed, or replaced by renaming a file over its name, no longer has
// a name: the next write opens the slot afresh by name, so it lands in the file the name holds.
TEST(AlternatingFile, ASlotRemovedOrReplacedUnderItsNameIsOpenedAfresh) {
  TempDir dir;
  AlternatingFile file(dir.path(), "f");
  file.write(0, Bytes(4, 1));
  file.write(1, Bytes(4, 2));
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  file.write(0, Bytes(4, 3));  // recreated
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 3));
  write_raw(dir.file("other"), Bytes(9, 9));
  ASSERT_EQ(std::rename(dir.file("other").c_str(), dir.file("f.b").c_str()), 0);
  file.write(1, Bytes(4, 4));
  EXPECT_EQ(read_all(dir.file("f.b")), Bytes(4, 4));  // cut to its length too
  write_raw(dir.file("other"), Bytes(2, 5));
  ASSERT_EQ(std::rename(dir.file("other").c_str(), dir.file("f").c_str()), 0);
  file.write(0, Bytes(4, 6));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 6));
  EXPECT_EQ(read_all(dir.file("f.b")), Bytes(4, 4));
  EXPECT_EQ(std::system(("test $(ls -A '" + dir.path() + "' | wc -l) -eq 2").c_str()), 0);
}

// Anything but a regular file under a slot's name (a directory, a FIFO without a reader, a symlink,
// which is not followed) fails that write and leaves the other slot as it was; once the name is
// free, the slot is written again.
TEST(AlternatingFile, ASlotThatIsNotARegularFileFailsAndLeavesTheOtherAlone) {
  TempDir dir;
  AlternatingFile file(dir.path(), "f");
  file.write(0, Bytes(4, 1));
  const std::string slot = dir.file("f.b");
  ASSERT_EQ(::mkdir(slot.c_str(), 0700), 0);
  EXPECT_EQ(error_of([&] { file.write(1, Bytes(4, 2)); }), "storage_error");
  ASSERT_EQ(::rmdir(slot.c_str()), 0);
  ASSERT_EQ(::mkfifo(slot.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { file.write(1, Bytes(4, 2)); }), "storage_error");
  ASSERT_EQ(::unlink(slot.c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("elsewhere").c_str(), slot.c_str()), 0);
  EXPECT_EQ(error_of([&] { file.write(1, Bytes(4, 2)); }), "storage_error");
  EXPECT_FALSE(exists(dir.file("elsewhere")));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 1));
  ASSERT_EQ(::unlink(slot.c_str()), 0);
  file.write(1, Bytes(4, 2));
  EXPECT_EQ(read_all(slot), Bytes(4, 2));
  // A held slot replaced by a directory (its file removed first) is refused the same way.
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  ASSERT_EQ(::mkdir(dir.file("f").c_str(), 0700), 0);
  EXPECT_EQ(error_of([&] { file.write(0, Bytes(4, 3)); }), "storage_error");
  EXPECT_EQ(read_all(slot), Bytes(4, 2));
}

TEST(AlternatingFile, AMissingDirectoryIsAStorageError) {
  TempDir dir;
  AlternatingFile file(dir.file("missing"), "f");
  EXPECT_EQ(error_of([&] { file.write(0, Bytes(1)); }), "storage_error");
}

}  // namespace
}  // namespace anonify::enclave
