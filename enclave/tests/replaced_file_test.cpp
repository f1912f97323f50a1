// ReplacedFile: the store manifest's atomic replace through a kept spare (replaced_file.h).
#include "anonify/enclave/replaced_file.h"

#include <sys/stat.h>
#include <unistd.h>

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

std::string spare_of(const std::string& path) { return path + kSpareFileSuffix; }

// The first replace renames the filled spare into place; every later one exchanges the two names,
// so the spare then holds the previous contents, and a shorter replace is cut to its own length.
TEST(ReplacedFile, ReplacesWholeContentsAndKeepsThePreviousAsTheSpare) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f");
  EXPECT_EQ(file.path(), dir.file("f"));
  file.replace(Bytes(1000, 1));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(1000, 1));
  EXPECT_FALSE(exists(spare_of(dir.file("f"))));
  file.replace(Bytes(3, 2));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(3, 2));
  EXPECT_EQ(read_all(spare_of(dir.file("f"))), Bytes(1000, 1));
  file.replace(Bytes(500, 3));  // written over the 1000-byte spare
  EXPECT_EQ(read_all(dir.file("f")), Bytes(500, 3));
  EXPECT_EQ(read_all(spare_of(dir.file("f"))), Bytes(3, 2));
  file.replace(Bytes{});
  EXPECT_EQ(read_all(dir.file("f")), Bytes{});
  EXPECT_TRUE(file.exchanges());  // tmpfs and ext4 exchange names
  for (const std::string& path : {dir.file("f"), spare_of(dir.file("f"))}) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  EXPECT_EQ(std::system(("test $(ls -A '" + dir.path() + "' | wc -l) -eq 2").c_str()), 0);
}

// A spare left by an earlier run (or torn by a crash while it was written) is never read: it is
// overwritten, and cut when longer.
TEST(ReplacedFile, ALeftoverSpareIsOverwritten) {
  TempDir dir;
  write_raw(dir.file("f"), Bytes(10, 7));
  write_raw(spare_of(dir.file("f")), Bytes(5000, 0xee));
  ReplacedFile file(dir.path(), "f");
  file.replace(Bytes(20, 8));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(20, 8));
  EXPECT_EQ(read_all(spare_of(dir.file("f"))), Bytes(10, 7));
}

// The names are checked on every replace, so a file another process put in place (or removed)
// between two replaces does not misdirect the next one.
TEST(ReplacedFile, FilesChangedBetweenReplacesDoNotMisdirectTheNext) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f");
  file.replace(Bytes(4, 1));
  file.replace(Bytes(4, 2));
  write_raw(dir.file("f"), Bytes(4, 9));  // the old contents put back in place
  file.replace(Bytes(4, 3));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 3));
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  file.replace(Bytes(4, 4));  // nothing to exchange with: the spare is renamed into place
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 4));
  EXPECT_FALSE(exists(spare_of(dir.file("f"))));
  file.replace(Bytes(4, 5));
  EXPECT_EQ(read_all(spare_of(dir.file("f"))), Bytes(4, 4));
  ASSERT_EQ(::unlink(spare_of(dir.file("f")).c_str()), 0);
  file.replace(Bytes(4, 6));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 6));
}

// The two files stay open between replaces; a name that no longer names the file held open is
// looked up afresh, so a file another process moved under the spare's name is written (and
// exchanged) as a spare, and the held one is never written behind a name it no longer has.
TEST(ReplacedFile, AHeldFileIsWrittenOnlyWhileItsNameStillNamesIt) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f");
  for (uint8_t i = 1; i <= 4; ++i) file.replace(Bytes(8, i));  // from the third replace on, nothing is opened
  const std::string spare = spare_of(dir.file("f"));
  struct stat held {};
  ASSERT_EQ(::lstat(spare.c_str(), &held), 0);
  ASSERT_EQ(::rename(spare.c_str(), dir.file("moved").c_str()), 0);  // the held spare leaves its name
  write_raw(spare, Bytes(100, 0xee));                                 // and another file takes it
  file.replace(Bytes(8, 5));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(8, 5));
  EXPECT_EQ(read_all(spare), Bytes(8, 4));
  EXPECT_EQ(read_all(dir.file("moved")), Bytes(8, 3));  // not written through the old descriptor
  file.replace(Bytes(8, 6));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(8, 6));
  EXPECT_EQ(read_all(spare), Bytes(8, 5));
  EXPECT_EQ(read_all(dir.file("moved")), Bytes(8, 3));
  // The live file replaced by another between replaces: the next exchange takes it as the spare
  // (it is not the file held open, so that one is let go and the spare is looked up next time).
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  write_raw(dir.file("f"), Bytes(3, 0xdd));
  file.replace(Bytes(8, 7));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(8, 7));
  EXPECT_EQ(read_all(spare), Bytes(3, 0xdd));
  file.replace(Bytes(8, 8));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(8, 8));
  EXPECT_EQ(read_all(spare), Bytes(8, 7));
  file.replace(Bytes(2, 9));  // over the 8-byte spare: cut to its own length
  EXPECT_EQ(read_all(dir.file("f")), Bytes(2, 9));
  EXPECT_EQ(std::system(("test $(ls -A '" + dir.path() + "' | wc -l) -eq 3").c_str()), 0);
}

// Anything but a regular file under the spare's name fails the replace (a FIFO without a reader
// too, rather than blocking) and leaves the file's contents as they were.
TEST(ReplacedFile, ASpareThatIsNotARegularFileFailsAndChangesNothing) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f");
  file.replace(Bytes(4, 1));
  const std::string spare = spare_of(dir.file("f"));
  ASSERT_EQ(::mkdir(spare.c_str(), 0700), 0);
  EXPECT_EQ(error_of([&] { file.replace(Bytes(4, 2)); }), "storage_error");
  ASSERT_EQ(::rmdir(spare.c_str()), 0);
  ASSERT_EQ(::mkfifo(spare.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { file.replace(Bytes(4, 2)); }), "storage_error");
  ASSERT_EQ(::unlink(spare.c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("elsewhere").c_str(), spare.c_str()), 0);
  EXPECT_EQ(error_of([&] { file.replace(Bytes(4, 2)); }), "storage_error");
  EXPECT_FALSE(exists(dir.file("elsewhere")));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 1));
  ASSERT_EQ(::unlink(spare.c_str()), 0);
  file.replace(Bytes(4, 2));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 2));
}

// An exchange would swap any two names: a directory under the file's name gets rename's refusal
// instead, and stays where it is.
TEST(ReplacedFile, ADirectoryUnderTheNameIsRefusedNotExchanged) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f");
  file.replace(Bytes(4, 1));
  file.replace(Bytes(4, 2));
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  ASSERT_EQ(::mkdir(dir.file("f").c_str(), 0700), 0);
  EXPECT_EQ(error_of([&] { file.replace(Bytes(4, 3)); }), "storage_error");
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(::stat(spare_of(dir.file("f")).c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_EQ(::rmdir(dir.file("f").c_str()), 0);
  file.replace(Bytes(4, 4));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(4, 4));
}

// Where names cannot be exchanged (Gramine's libOS has no renameat2), every replace fills a new
// spare and renames it over the file: no spare is left, and a directory under the name is refused.
TEST(ReplacedFile, WithoutExchangeEveryReplaceRenamesAFilledSpare) {
  TempDir dir;
  ReplacedFile file(dir.path(), "f", ReplacedFile::Mode::kRenameOnly);
  EXPECT_FALSE(file.exchanges());
  for (const Bytes& contents : {Bytes(1000, 1), Bytes(3, 2), Bytes(500, 3)}) {
    file.replace(contents);
    EXPECT_EQ(read_all(dir.file("f")), contents);
    EXPECT_FALSE(exists(spare_of(dir.file("f"))));
  }
  write_raw(spare_of(dir.file("f")), Bytes(5000, 0xee));  // a torn spare of a crashed replace
  file.replace(Bytes(20, 4));
  EXPECT_EQ(read_all(dir.file("f")), Bytes(20, 4));
  ASSERT_EQ(::unlink(dir.file("f").c_str()), 0);
  ASSERT_EQ(::mkdir(dir.file("f").c_str(), 0700), 0);
  EXPECT_EQ(error_of([&] { file.replace(Bytes(4, 5)); }), "storage_error");
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_FALSE(file.exchanges());
}

TEST(ReplacedFile, AMissingDirectoryIsAStorageError) {
  TempDir dir;
  ReplacedFile file(dir.file("missing"), "f");
  EXPECT_EQ(error_of([&] { file.replace(Bytes(1)); }), "storage_error");
}

}  // namespace
}  // namespace anonify::enclave
