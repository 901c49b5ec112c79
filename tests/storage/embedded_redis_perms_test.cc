// The embedded Redis's data directory and everything in it are private to the daemon's
// user (bug 11): against the real redis-server, like embedded_redis_test.cc.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/storage/embedded_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd::storage {
namespace {

using ::stockd::testing::RedisCommand;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ::stockd::testing::TempDir;

// Sets the process umask for the scope: the daemon must not depend on a strict one.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : saved_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(saved_); }

 private:
  const mode_t saved_;
};

mode_t CurrentUmask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

// "name 0600" for every entry of `dir` (sorted), so a failure shows every mode at once.
std::vector<std::string> ModesIn(const std::string& dir, mode_t type) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) != 0 || (st.st_mode & S_IFMT) != type) continue;
    out.push_back(entry.path().filename().string() + " " + Octal(st.st_mode & 07777));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The entries of ModesIn whose mode is not `want`.
std::vector<std::string> NotMode(const std::vector<std::string>& modes, mode_t want) {
  std::vector<std::string> out;
  for (const std::string& m : modes) {
    if (m.substr(m.size() - 4) != Octal(want)) out.push_back(m);
  }
  return out;
}

struct LogSink {
  std::mutex mu;
  std::vector<std::string> lines;
  log::Sink Fn() {
    return [this](log::Level level, const std::string& msg) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(std::string(log::LevelName(level)) + ": " + msg);
    };
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    return all;
  }
};

EmbeddedRedisOptions OptionsFor(const std::string& dir, LogSink* log = nullptr) {
  EmbeddedRedisOptions options;
  options.data_dir = dir;
  if (log != nullptr) options.log = log->Fn();
  return options;
}

// Writes something so that the AOF has increments, then stops Redis.
void WriteAndStop(EmbeddedRedis& redis) {
  EXPECT_THAT(RedisCommand(redis.socket_path(), {"SET", "k", "v"}).value(), ElementsAre("OK"));
  redis.Stop();
}

TEST(EmbeddedRedisPermsTest, GroupOrOtherWritableDataDirIsRefusedAndLeftAsItIs) {
  for (const mode_t mode : {mode_t{0777}, mode_t{0770}, mode_t{0702}, mode_t{01777}}) {
    SCOPED_TRACE(Octal(mode));
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), mode), 0);
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
    ASSERT_FALSE(redis.ok());
    EXPECT_EQ(redis.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(redis.status().message(),
              absl::StrCat("redis data_dir ", dir.path(), " has mode ", Octal(mode),
                           ": group or others may write to it, so another local user could "
                           "replace the Redis socket or append-only file; run `chmod 700 ",
                           dir.path(),
                           "` (stockd does not loosen or tighten a writable "
                           "directory an operator chose)"));
    EXPECT_EQ(ModeOf(dir.path()), mode);
    EXPECT_EQ(ModesIn(dir.path(), S_IFREG),
              std::vector<std::string>());  // no lock, no redis.conf
  }
}

TEST(EmbeddedRedisPermsTest, DataDirOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  TempDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), 65534, 65534), 0);
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(redis.status().message(),
              HasSubstr(absl::StrCat("redis data_dir ", dir.path(), " is owned by uid 65534")));
  EXPECT_THAT(redis.status().message(), HasSubstr("not by uid 0"));
  EXPECT_THAT(redis.status().message(), HasSubstr(absl::StrCat("run `chown 0 ", dir.path(), "`")));
  EXPECT_EQ(ModesIn(dir.path(), S_IFREG), std::vector<std::string>());
}

TEST(EmbeddedRedisPermsTest, OnlyReadableDataDirIsTightenedWithAnInfoLine) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  LogSink log;
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path(), &log));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ(ModeOf(dir.path()), 0700u);
  EXPECT_THAT(log.All(), HasSubstr(absl::StrCat("info: redis data_dir ", dir.path(),
                                                " had mode 0755 (group or others could read "
                                                "it); changed it to 0700\n")));
}

TEST(EmbeddedRedisPermsTest, FreshStartLeavesEverythingPrivateWithoutTouchingTheUmask) {
  ScopedUmask loose(022);  // what a daemon usually runs with
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto redis = EmbeddedRedis::Start(OptionsFor(data));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ(CurrentUmask(), 022u);
  // An AOF rewrite creates new base/incr files and a new manifest.
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"SET", "k", "v"}).value(), ElementsAre("OK"));
  ASSERT_EQ(RedisCommand((*redis)->socket_path(), {"BGREWRITEAOF"}).ok(), true);
  for (int i = 0; i < 500; ++i) {
    auto info = RedisCommand((*redis)->socket_path(), {"INFO", "persistence"});
    if (info.ok() && !info->empty() &&
        info->front().find("aof_rewrite_in_progress:0") != std::string::npos &&
        info->front().find("aof_rewrite_scheduled:0") != std::string::npos) {
      break;
    }
    ::usleep(10'000);
  }

  EXPECT_EQ(ModeOf(data), 0700u);
  EXPECT_EQ(ModeOf(data + "/appendonlydir"), 0700u);
  EXPECT_EQ(ModeOf((*redis)->socket_path()), 0700u);
  const std::vector<std::string> aof = ModesIn(data + "/appendonlydir", S_IFREG);
  EXPECT_GE(aof.size(), 3u) << ::testing::PrintToString(aof);  // base, incr, manifest
  EXPECT_EQ(NotMode(aof, 0600), std::vector<std::string>());
  const std::vector<std::string> top = ModesIn(data, S_IFREG);  // conf, lock, log, pid
  EXPECT_EQ(top.size(), 4u) << ::testing::PrintToString(top);
  EXPECT_EQ(NotMode(top, 0600), std::vector<std::string>());
  EXPECT_THAT(ModesIn(data, S_IFDIR), ElementsAre("appendonlydir 0700"));
}

TEST(EmbeddedRedisPermsTest, FilesLeftByAnOlderRunAreMadePrivate) {
  ScopedUmask loose(022);
  TempDir dir;
  {
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
    ASSERT_TRUE(redis.ok()) << redis.status();
    WriteAndStop(**redis);
  }
  // What an older stockd (its redis-server under umask 022) left behind.
  const std::string aof_dir = dir.path() + "/appendonlydir";
  ASSERT_EQ(::chmod(aof_dir.c_str(), 0755), 0);
  for (const auto& entry : std::filesystem::directory_iterator(aof_dir)) {
    ASSERT_EQ(::chmod(entry.path().c_str(), 0644), 0);
  }
  for (const char* name : {"/redis.log", "/redis.lock", "/dump.rdb"}) {
    const std::string path = dir.path() + name;
    std::FILE* f = std::fopen(path.c_str(), "a");
    ASSERT_NE(f, nullptr) << path;
    std::fclose(f);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  }
  LogSink log;
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path(), &log));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"GET", "k"}).value(), ElementsAre("v"));

  EXPECT_EQ(ModeOf(aof_dir), 0700u);
  const std::vector<std::string> aof = ModesIn(aof_dir, S_IFREG);
  EXPECT_GE(aof.size(), 3u) << ::testing::PrintToString(aof);
  EXPECT_EQ(NotMode(aof, 0600), std::vector<std::string>());
  EXPECT_EQ(NotMode(ModesIn(dir.path(), S_IFREG), 0600), std::vector<std::string>());
  EXPECT_THAT(log.All(), HasSubstr(absl::StrCat("info: made private (group and other "
                                                "permissions removed) what an earlier run left "
                                                "in ",
                                                dir.path(), ": ")));
  EXPECT_THAT(log.All(), HasSubstr("appendonlydir 0755 -> 0700"));
  EXPECT_THAT(log.All(), HasSubstr("dump.rdb 0644 -> 0600"));
}

}  // namespace
}  // namespace stockd::storage
