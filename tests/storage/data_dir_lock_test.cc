// The embedded Redis data dir's lock (daemon/storage/data_dir_lock.h): a stockd that still
// runs keeps its data dir (refused at once); a lock left held after its stockd exited (the
// redis-server child of a stockd SIGKILLed while it forked: the tenth 1,000-cycle
// KillStockdEverysec, docs/testing.md) is waited for, up to a bound.
#include "daemon/storage/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/storage/embedded_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace stockd::storage {
namespace {

using ::stockd::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// No process has this pid (above any pid_max Linux allows).
constexpr char kExitedStockd[] = "2147483000";

// Holds redis.lock in `dir` through a descriptor of its own (as another process's would
// be: flock locks belong to the open file), naming `owner` in it.
class HeldLock {
 public:
  HeldLock(const std::string& dir, const std::string& owner) : path_(dir + "/redis.lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(::flock(fd_, LOCK_EX | LOCK_NB), 0);
    const std::string line = owner + "\n";
    EXPECT_EQ(::pwrite(fd_, line.data(), line.size(), 0), static_cast<ssize_t>(line.size()));
  }
  ~HeldLock() { Release(); }
  void Release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

int OpenLock(const std::string& path) { return ::open(path.c_str(), O_RDWR | O_CLOEXEC); }

// Lets `held` go after 200 ms, as a leftover child does once it runs.
std::thread ReleaseLater(HeldLock& held) {
  return std::thread([&held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.Release();
  });
}

TEST(DataDirLockTest, AStockdThatStillRunsIsRefusedAtOnce) {
  TempDir dir;
  HeldLock held(dir.path(), absl::StrCat(::getpid()));  // this process: it runs
  const int fd = OpenLock(held.path());
  ASSERT_GE(fd, 0);
  const auto begin = std::chrono::steady_clock::now();
  absl::Status st = LockDataDir(fd, held.path(), dir.path(), /*wait_ms=*/600'000);
  // Far below the 10-minute wait: it did not wait at all.
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(60));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), absl::StrCat("redis data_dir ", dir.path(),
                                       " is in use by another stockd (pid ", ::getpid(), ")"));
  ::close(fd);
}

TEST(DataDirLockTest, ALockWhoseStockdExitedIsWaitedFor) {
  TempDir dir;
  HeldLock held(dir.path(), kExitedStockd);
  const int fd = OpenLock(held.path());
  ASSERT_GE(fd, 0);
  std::thread release = ReleaseLater(held);
  absl::Status st = LockDataDir(fd, held.path(), dir.path(), /*wait_ms=*/600'000);
  release.join();
  EXPECT_TRUE(st.ok()) << st;
  // Ours now: another descriptor cannot take it.
  const int other = OpenLock(held.path());
  EXPECT_NE(::flock(other, LOCK_EX | LOCK_NB), 0);
  ::close(other);
  ::close(fd);
}

TEST(DataDirLockTest, ALockHeldPastTheWaitIsRefusedSayingItsStockdExited) {
  TempDir dir;
  HeldLock held(dir.path(), kExitedStockd);
  const int fd = OpenLock(held.path());
  ASSERT_GE(fd, 0);
  absl::Status st = LockDataDir(fd, held.path(), dir.path(), /*wait_ms=*/100);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            absl::StrCat("redis data_dir ", dir.path(), " is in use: ", held.path(),
                         " is still held after 100 ms, and the "
                         "stockd it names (pid ",
                         kExitedStockd, ") has exited: something it started holds it"));
  ::close(fd);
}

// A holder that has not written its pid yet (or never will) is waited for the same way,
// and the refusal says the file names none.
TEST(DataDirLockTest, ALockFileNamingNoPidIsWaitedForThenRefused) {
  TempDir dir;
  HeldLock held(dir.path(), "");
  const int fd = OpenLock(held.path());
  ASSERT_GE(fd, 0);
  absl::Status st = LockDataDir(fd, held.path(), dir.path(), /*wait_ms=*/100);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), absl::StrCat("redis data_dir ", dir.path(), " is in use: ", held.path(),
                                       " is still held after 100 ms, and names no pid"));
  std::thread release = ReleaseLater(held);
  st = LockDataDir(fd, held.path(), dir.path(), /*wait_ms=*/600'000);
  release.join();
  EXPECT_TRUE(st.ok()) << st;
  ::close(fd);
}

// A descriptor flock cannot take at all is refused naming the error, without waiting.
TEST(DataDirLockTest, AnUnusableDescriptorIsRefusedNamingTheError) {
  TempDir dir;
  absl::Status st = LockDataDir(-1, dir.path() + "/redis.lock", dir.path(), /*wait_ms=*/600'000);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("cannot lock " + dir.path() + "/redis.lock: "));
}

// Through the embedded Redis's start: the lock comes free while it waits, and it starts.
TEST(DataDirLockTest, TheEmbeddedRedisStartsOnceTheLeftoverLetsGo) {
  TempDir dir;
  HeldLock held(dir.path(), kExitedStockd);
  std::thread release = ReleaseLater(held);
  EmbeddedRedisOptions options;
  options.data_dir = dir.path();
  options.log = [](log::Level, const std::string&) {};
  auto redis = EmbeddedRedis::Start(options);
  release.join();
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_GT((*redis)->pid(), 0);
  (*redis)->Stop();
  // A negative wait is refused with the other bad options.
  options.lock_wait_ms = -1;
  auto bad = EmbeddedRedis::Start(options);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("lock_wait_ms"));
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("in use")));
}

}  // namespace
}  // namespace stockd::storage
