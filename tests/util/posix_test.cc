// The POSIX helpers (daemon/util/posix.h) the embedded redis-server supervisor is built
// from: atomic private writes, a file's tail, a child's exit and end, descriptors above
// stdio.
#include "daemon/util/posix.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using ::stockd::testing::TempDir;

TEST(PosixTest, WritesAtomicallyPrivateAndReadsBack) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  ASSERT_TRUE(util::WriteFileAtomically(path, "one\ntwo\n").ok());
  std::string back;
  ASSERT_TRUE(util::ReadWholeFile(path, &back));
  EXPECT_EQ(back, "one\ntwo\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  EXPECT_FALSE(util::ReadWholeFile(dir.path() + "/missing", &back));
  absl::Status missing_dir = util::WriteFileAtomically(dir.path() + "/no/f", "x");
  EXPECT_EQ(missing_dir.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PosixTest, FileTailKeepsTheLastNonEmptyLines) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  ASSERT_TRUE(util::WriteFileAtomically(path, "a\nb\n\nc\nd\ne\n").ok());
  EXPECT_EQ(util::FileTail(path, 3), "c | d | e");
  EXPECT_EQ(util::FileTail(path, 10), "a | b | c | d | e");
  ASSERT_TRUE(util::WriteFileAtomically(path, "").ok());
  EXPECT_EQ(util::FileTail(path, 3), "(" + path + " is empty)");
  EXPECT_EQ(util::FileTail(dir.path() + "/none", 3).rfind("(no " + dir.path() + "/none: ", 0), 0u);
}

TEST(PosixTest, DescribesExitsAndWatchesAProcessEnd) {
  EXPECT_EQ(util::DescribeExit(0), "exited with status 0");
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  EXPECT_FALSE(util::ProcessGone(child));
  EXPECT_FALSE(util::WaitGone(child, 30, 10));
  ::kill(child, SIGKILL);
  EXPECT_TRUE(util::WaitGone(child, 5'000, 10));  // a zombie counts as gone
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(util::DescribeExit(status), "was killed by signal 9 (SIGKILL)");
}

TEST(PosixTest, AboveStdioMovesLowDescriptors) {
  EXPECT_EQ(util::AboveStdio(-1), -1);
  const int high = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GT(high, 2);
  EXPECT_EQ(util::AboveStdio(high), high);
  ::close(high);
}

}  // namespace
}  // namespace stockd
