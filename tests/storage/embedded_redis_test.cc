#include "daemon/storage/embedded_redis.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "daemon/storage/aof_compaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd::storage {
namespace {

using ::stockd::testing::RedisCommand;
using ::stockd::testing::TestRedis;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ::stockd::testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Gone, or a zombie nobody has reaped yet (a container's pid 1 may never reap).
bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' ||
         stat[paren + 2] == 'X';
}

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

EmbeddedRedisOptions OptionsFor(const std::string& dir) {
  EmbeddedRedisOptions options;
  options.data_dir = dir;
  return options;
}

// Collects the supervisor's log lines.
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

TEST(EmbeddedRedisTest, StartsAndAnswersPing) {
  TempDir dir;
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ((*redis)->socket_path(), dir.path() + "/redis.sock");
  EXPECT_EQ((*redis)->address(), "unix:" + dir.path() + "/redis.sock");
  EXPECT_GT((*redis)->pid(), 0);
  EXPECT_EQ((*redis)->restarts(), 0);
  EXPECT_EQ(::getpgid((*redis)->pid()), (*redis)->pid());  // own process group
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"PING"}).value(), ElementsAre("PONG"));

  struct stat st;
  ASSERT_EQ(::stat((*redis)->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string pidfile = ReadFile(dir.path() + "/redis.pid");
  EXPECT_EQ(std::string(absl::StripAsciiWhitespace(pidfile)), std::to_string((*redis)->pid()));
}

TEST(EmbeddedRedisTest, CreatesMissingDataDirPrivate) {
  TempDir dir;
  const std::string nested = dir.path() + "/a/b/data";
  auto redis = EmbeddedRedis::Start(OptionsFor(nested));
  ASSERT_TRUE(redis.ok()) << redis.status();
  struct stat st;
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(EmbeddedRedisTest, ConfigHasAofAndRequestedFsync) {
  for (const char* fsync : {"always", "everysec", "no"}) {
    TempDir dir;
    EmbeddedRedisOptions options = OptionsFor(dir.path());
    options.appendfsync = fsync;
    auto redis = EmbeddedRedis::Start(options);
    ASSERT_TRUE(redis.ok()) << redis.status();
    const std::string sock = (*redis)->socket_path();
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "appendfsync"}).value(),
                ElementsAre("appendfsync", fsync));
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "appendonly"}).value(),
                ElementsAre("appendonly", "yes"));
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "save"}).value(), ElementsAre("save", ""));
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "port"}).value(), ElementsAre("port", "0"));
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "dir"}).value(),
                ElementsAre("dir", dir.path()));
    const std::string conf = ReadFile(dir.path() + "/redis.conf");
    EXPECT_THAT(conf, HasSubstr("appendonly yes\n"));
    EXPECT_THAT(conf, HasSubstr(std::string("appendfsync ") + fsync + "\n"));
    EXPECT_THAT(RedisCommand(sock, {"CONFIG", "GET", "auto-aof-rewrite-min-size"}).value(),
                ElementsAre("auto-aof-rewrite-min-size", std::to_string(512LL << 20)));
  }
}

TEST(EmbeddedRedisTest, RejectsUnknownAppendfsync) {
  TempDir dir;
  EmbeddedRedisOptions options = OptionsFor(dir.path());
  options.appendfsync = "sometimes";
  auto redis = EmbeddedRedis::Start(options);
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(redis.status().message(), HasSubstr("appendfsync"));
}

TEST(EmbeddedRedisTest, DataSurvivesStopAndStart) {
  TempDir dir;
  {
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
    ASSERT_TRUE(redis.ok()) << redis.status();
    EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"SET", "sku:{A-1}", "42"}).value(),
                ElementsAre("OK"));
    (*redis)->Stop();
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/redis.sock"));
  }
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/appendonlydir"));
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"GET", "sku:{A-1}"}).value(),
              ElementsAre("42"));
}

// The supervisor repairs a torn AOF tail before redis-server loads it (aof_repair.h):
// a transaction whose EXEC never reached the file is cut, and said so in the log, so the
// next writes are not swallowed by it at a later start.
TEST(EmbeddedRedisTest, TornTransactionAtTheEndOfTheAofIsCutBeforeStart) {
  TempDir dir;
  {
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
    ASSERT_TRUE(redis.ok()) << redis.status();
    EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"SET", "a", "1"}).value(),
                ElementsAre("OK"));
    (*redis)->Stop();
  }
  // What a SIGKILL in the middle of writing a transaction leaves at the end of the file.
  std::string incr;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/appendonlydir")) {
    if (entry.path().string().find(".incr.aof") != std::string::npos) incr = entry.path();
  }
  ASSERT_FALSE(incr.empty());
  const auto clean_size = std::filesystem::file_size(incr);
  {
    std::ofstream out(incr, std::ios::binary | std::ios::app);
    out << "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*3\r\n$3\r\nSE";
  }
  LogSink sink;
  EmbeddedRedisOptions options = OptionsFor(dir.path());
  options.log = sink.Fn();
  {
    auto redis = EmbeddedRedis::Start(options);
    ASSERT_TRUE(redis.ok()) << redis.status();
    EXPECT_THAT(sink.All(), HasSubstr("ended inside a transaction or a command"));
    EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"EXISTS", "b"}).value(), ElementsAre("0"));
    EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"SET", "c", "3"}).value(),
                ElementsAre("OK"));
    (*redis)->Stop();
  }
  EXPECT_GE(std::filesystem::file_size(incr), clean_size);
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));  // the write after it stays
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"GET", "a"}).value(), ElementsAre("1"));
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"GET", "c"}).value(), ElementsAre("3"));
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"EXISTS", "b"}).value(), ElementsAre("0"));
}

TEST(EmbeddedRedisTest, SupervisorRestartsAfterSigkillAndAofKeepsData) {
  LogSink sink;
  EmbeddedRedisOptions options;
  // With everysec an acknowledged write can be lost even when only redis-server dies:
  // while a background fsync is slow, Redis postpones writing its AOF buffer (up to 2 s)
  // but still replies. `always` writes and fsyncs before every reply.
  options.appendfsync = "always";
  options.log = sink.Fn();
  // Told once per restart (the durable store re-syncs then), not at the first start.
  std::atomic<int> restarted{0};
  options.on_restarted = [&restarted] { restarted.fetch_add(1); };
  TestRedis redis(options);
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(restarted.load(), 0);
  ASSERT_THAT(redis.Command({"SET", "k", "v1"}).value(), ElementsAre("OK"));
  ASSERT_THAT(redis.Command({"INCRBY", "n", "7"}).value(), ElementsAre("7"));

  const pid_t killed = redis.KillHard();
  ASSERT_GT(killed, 0);
  ASSERT_TRUE(redis.WaitReady(10'000));
  EXPECT_EQ(redis.redis()->restarts(), 1);
  EXPECT_TRUE(Eventually([&] { return restarted.load() == 1; }));
  EXPECT_NE(redis.redis()->pid(), killed);
  EXPECT_GT(redis.redis()->pid(), 0);
  EXPECT_THAT(redis.Command({"GET", "k"}).value(), ElementsAre("v1"));
  EXPECT_THAT(redis.Command({"GET", "n"}).value(), ElementsAre("7"));
  EXPECT_THAT(sink.All(), HasSubstr("SIGKILL"));
  EXPECT_THAT(sink.All(), HasSubstr("restarted"));

  // A second crash is handled the same way.
  ASSERT_THAT(redis.Command({"INCRBY", "n", "1"}).value(), ElementsAre("8"));
  redis.KillHard();
  ASSERT_TRUE(redis.WaitReady(10'000));
  EXPECT_EQ(redis.redis()->restarts(), 2);
  EXPECT_TRUE(Eventually([&] { return restarted.load() == 2; }));
  EXPECT_THAT(redis.Command({"GET", "n"}).value(), ElementsAre("8"));
}

TEST(EmbeddedRedisTest, StopIsIdempotentAndFinal) {
  TempDir dir;
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  const pid_t child = (*redis)->pid();
  (*redis)->Stop();
  EXPECT_EQ((*redis)->pid(), 0);
  EXPECT_TRUE(ProcessGone(child));
  (*redis)->Stop();
  EXPECT_EQ((*redis)->pid(), 0);
  EXPECT_EQ((*redis)->restarts(), 0);
  EXPECT_FALSE((*redis)->WaitReady(100));
  EXPECT_FALSE(RedisCommand((*redis)->socket_path(), {"PING"}).ok());
}

TEST(EmbeddedRedisTest, StopInterruptsRestartBackoff) {
  EmbeddedRedisOptions options;
  options.restart_backoff_ms = 60'000;
  options.log = [](log::Level, const std::string&) {};
  TestRedis redis(options);
  ASSERT_TRUE(redis.ok());
  redis.KillHard();
  EXPECT_EQ(redis.redis()->pid(), 0);  // waiting out the backoff
  const auto begin = std::chrono::steady_clock::now();
  redis.redis()->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
  EXPECT_EQ(redis.redis()->restarts(), 0);
}

TEST(EmbeddedRedisTest, SecondOwnerOfTheSameDirIsRefused) {
  TestRedis first;
  ASSERT_TRUE(first.ok());
  auto second = EmbeddedRedis::Start(OptionsFor(first.data_dir()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another stockd"));
  EXPECT_THAT(first.Command({"PING"}).value(), ElementsAre("PONG"));
}

// What a SIGKILLed stockd leaves behind: its redis-server, no longer our child, still
// running on the data dir. The next Start terminates it (SIGTERM, so it flushes) and
// replaces it.
TEST(EmbeddedRedisTest, TerminatesAndReplacesStaleInstance) {
  TempDir dir;
  {
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));  // writes redis.conf
    ASSERT_TRUE(redis.ok()) << redis.status();
  }
  // Relaunch it from the generated conf, daemonized so that it is not our child.
  const std::string cmd =
      "redis-server '" + dir.path() + "/redis.conf' --daemonize yes >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string sock = dir.path() + "/redis.sock";
  ASSERT_TRUE(Eventually([&] {
    auto pong = RedisCommand(sock, {"PING"}, 200);
    return pong.ok() && *pong == std::vector<std::string>{"PONG"};
  }));
  int stale = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(dir.path() + "/redis.pid")), &stale));
  ASSERT_GT(stale, 0);
  ASSERT_THAT(RedisCommand(sock, {"SET", "written-to-stale", "yes"}).value(), ElementsAre("OK"));

  LogSink sink;
  EmbeddedRedisOptions options = OptionsFor(dir.path());
  options.log = sink.Fn();
  auto redis = EmbeddedRedis::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_TRUE(ProcessGone(stale));
  EXPECT_NE((*redis)->pid(), stale);
  EXPECT_THAT(sink.All(), HasSubstr("left over from a previous run"));
  EXPECT_THAT(RedisCommand(sock, {"GET", "written-to-stale"}).value(), ElementsAre("yes"));
}

// redis.pid names a live redis-server of another directory (a recycled pid): not ours,
// left alone.
TEST(EmbeddedRedisTest, LeavesAnotherDirectorysRedisAlone) {
  TestRedis other;
  ASSERT_TRUE(other.ok());
  const pid_t foreign = other.redis()->pid();
  TempDir dir;
  std::ofstream(dir.path() + "/redis.pid") << foreign << "\n";
  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ(other.redis()->pid(), foreign);
  EXPECT_THAT(other.Command({"PING"}).value(), ElementsAre("PONG"));
  EXPECT_EQ(other.redis()->restarts(), 0);
}

// Paths of the fds `pid` holds open.
std::vector<std::string> OpenFiles(pid_t pid) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    files.push_back(std::filesystem::read_symlink(entry.path(), link_ec).string());
  }
  return files;
}

TEST(EmbeddedRedisTest, NoFdLeaksIntoTheChildOrTheDaemon) {
  const size_t before = OpenFiles(::getpid()).size();
  {
    TempDir dir;
    auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
    ASSERT_TRUE(redis.ok()) << redis.status();
    for (const std::string& file : OpenFiles((*redis)->pid())) {
      EXPECT_THAT(file, ::testing::Not(HasSubstr("redis.lock")));  // stays with the parent
    }
  }
  EXPECT_EQ(OpenFiles(::getpid()).size(), before);
}

// stockd SIGKILLed: PR_SET_PDEATHSIG makes its redis-server shut down (flushing the
// AOF), and the next start takes over the directory with every acknowledged write.
TEST(EmbeddedRedisTest, RedisFollowsASigkilledOwnerAndKeepsItsData) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {  // the "daemon"
    ::close(fds[0]);
    EmbeddedRedisOptions options = OptionsFor(dir.path());
    options.log = [](log::Level, const std::string&) {};
    auto redis = EmbeddedRedis::Start(options);
    if (!redis.ok()) ::_exit(1);
    auto set = RedisCommand((*redis)->socket_path(), {"SET", "acked", "1"});
    if (!set.ok()) ::_exit(2);
    const pid_t child = (*redis)->pid();
    if (::write(fds[1], &child, sizeof child) != sizeof child) ::_exit(3);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  pid_t redis_pid = 0;
  ASSERT_EQ(::read(fds[0], &redis_pid, sizeof redis_pid), static_cast<ssize_t>(sizeof redis_pid));
  ::close(fds[0]);
  ::kill(owner, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(Eventually([&] { return ProcessGone(redis_pid); }));

  auto redis = EmbeddedRedis::Start(OptionsFor(dir.path()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"GET", "acked"}).value(), ElementsAre("1"));
}

TEST(EmbeddedRedisTest, ANegativeLockWaitIsInvalidArgument) {
  TempDir dir;
  EmbeddedRedisOptions options = OptionsFor(dir.path());
  options.lock_wait_ms = -1;
  auto redis = EmbeddedRedis::Start(options);
  EXPECT_EQ(redis.status(),
            absl::InvalidArgumentError("embedded redis: start_timeout_ms must be > 0, "
                                       "restart_backoff_ms and lock_wait_ms >= 0"));
}

TEST(EmbeddedRedisTest, MissingBinaryIsFailedPrecondition) {
  for (const char* binary : {"stockd-no-such-redis-server", "/nonexistent/redis-server"}) {
    TempDir dir;
    EmbeddedRedisOptions options = OptionsFor(dir.path());
    options.redis_server = binary;
    auto redis = EmbeddedRedis::Start(options);
    ASSERT_FALSE(redis.ok());
    EXPECT_EQ(redis.status().code(), absl::StatusCode::kFailedPrecondition) << redis.status();
    EXPECT_THAT(redis.status().message(), HasSubstr("install redis-server"));
    EXPECT_THAT(redis.status().message(), HasSubstr("redis.address"));
  }
}

TEST(EmbeddedRedisTest, DataDirThatIsAFileIsRejected) {
  TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  std::ofstream(file) << "x";
  auto redis = EmbeddedRedis::Start(OptionsFor(file));
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(redis.status().message(), HasSubstr(file));
  EXPECT_THAT(redis.status().message(), HasSubstr("not a directory"));

  auto below = EmbeddedRedis::Start(OptionsFor(file + "/sub"));
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(below.status().message(), HasSubstr("not a directory"));
}

TEST(EmbeddedRedisTest, TooLongSocketPathIsInvalidArgument) {
  auto redis = EmbeddedRedis::Start(OptionsFor("/tmp/" + std::string(120, 'd')));
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(redis.status().message(), HasSubstr("shorter data_dir"));
}

// A "server" that exits at once: Start fails fast with its output from redis.log.
TEST(EmbeddedRedisTest, ChildExitingEarlyIsUnavailableWithLogTail) {
  TempDir dir;
  const std::string script = dir.path() + "/fake-redis";
  std::ofstream(script) << "#!/bin/sh\necho \"fake redis cannot start: $1\" >&2\nexit 3\n";
  ::chmod(script.c_str(), 0755);
  EmbeddedRedisOptions options = OptionsFor(dir.path() + "/data");
  options.redis_server = script;
  auto redis = EmbeddedRedis::Start(options);
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(redis.status().message(), HasSubstr("exited with status 3"));
  EXPECT_THAT(redis.status().message(), HasSubstr("fake redis cannot start"));
}

// A large AOF takes longer to replay than start_timeout_ms: redis-server answers -LOADING
// meanwhile, which is progress, not silence, so the start waits for it (found by a
// 1,000-cycle crash test whose AOF grew past what loads in 10 s on a busy machine). The
// AOF is grown, a million SETs at a time, until replaying it takes at least 4 times the
// timeout; the timeout (500 ms) is what redis-server needs to start listening at all.
TEST(EmbeddedRedisTest, AnAofThatLoadsLongerThanTheStartTimeoutStillStarts) {
  TempDir dir;
  constexpr int64_t kTimeoutMs = 500;
  constexpr int kStep = 1'000'000;
  int keys = 0;
  std::chrono::milliseconds replay{0};
  // A long replay is what this test needs: no rewrite at start (the next test).
  EmbeddedRedisOptions fill_options = OptionsFor(dir.path());
  fill_options.rewrite_increments_over_bytes = 0;
  while (replay < std::chrono::milliseconds(4 * kTimeoutMs) && keys < 8 * kStep) {
    {  // the owner of the data directory until it is destroyed
      auto redis = EmbeddedRedis::Start(fill_options);  // the default timeout
      ASSERT_TRUE(redis.ok()) << redis.status();
      // Scripts of 1,000 SETs, each written to the AOF as a MULTI/EXEC of its SETs, as
      // stockd's group commits are. (One script of a million SETs would be one EXEC that
      // Redis replays without answering anyone: not what a real AOF looks like.)
      for (int from = keys + 1; from <= keys + kStep; from += 1000) {
        absl::StatusOr<std::vector<std::string>> filled =
            RedisCommand((*redis)->socket_path(),
                         {"EVAL",
                          "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do "
                          "redis.call('SET', 'k:' .. i, string.rep('x', 32)) end return 1",
                          "0", std::to_string(from), std::to_string(from + 999)});
        ASSERT_TRUE(filled.ok()) << filled.status();
      }
      keys += kStep;
      (*redis)->Stop();
    }
    const auto begin = std::chrono::steady_clock::now();
    auto again = EmbeddedRedis::Start(fill_options);
    replay = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - begin);
    ASSERT_TRUE(again.ok()) << again.status();
    (*again)->Stop();
  }
  ASSERT_GE(replay, std::chrono::milliseconds(4 * kTimeoutMs)) << keys << " keys";

  EmbeddedRedisOptions options = fill_options;
  options.start_timeout_ms = kTimeoutMs;
  LogSink log;
  options.log = log.Fn();
  auto redis = EmbeddedRedis::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status() << "\n" << log.All();
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"DBSIZE"}).value(),
              ElementsAre(std::to_string(keys)));
}

// Redis rewrites its AOF when it has doubled since it was loaded; a restart resets that
// base, so a redis-server restarted often never rewrote and each start replayed more
// (the crash test: 208 MB of increments, 13 s to start). After a start, increments of at
// least rewrite_increments_over_bytes that outgrew the base are rewritten; smaller ones,
// or ones smaller than the base, are left alone.
TEST(EmbeddedRedisTest, IncrementsThatOutgrewTheBaseAreRewrittenAfterAStart) {
  TempDir dir;
  const std::string aof_dir = dir.path() + "/appendonlydir";
  EmbeddedRedisOptions options = OptionsFor(dir.path());
  options.rewrite_increments_over_bytes = 1 << 20;
  LogSink log;
  options.log = log.Fn();
  auto fill = [&](int from, int to) {
    auto redis = EmbeddedRedis::Start(options);
    ASSERT_TRUE(redis.ok()) << redis.status();
    for (int i = from; i < to; i += 100) {
      ASSERT_TRUE(RedisCommand((*redis)->socket_path(),
                               {"EVAL",
                                "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do "
                                "redis.call('SET', 'k:' .. i, string.rep('x', 1000)) end return 1",
                                "0", std::to_string(i), std::to_string(i + 99)})
                      .ok());
    }
    (*redis)->Stop();
  };
  fill(0, 500);  // 0.5 MB: below the bound
  ASSERT_NO_FATAL_FAILURE(fill(500, 2500));
  const AofSizes grown = ReadAofSizes(aof_dir);
  EXPECT_GE(grown.incr, 2 << 20);
  EXPECT_LT(grown.base, 1000);  // the empty base of the first start

  auto redis = EmbeddedRedis::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_TRUE(Eventually([&] {
    const AofSizes s = ReadAofSizes(aof_dir);
    return s.base > 10'000 && s.incr < (1 << 20);  // an RDB base (its strings compress)
  })) << "base " << ReadAofSizes(aof_dir).base << ", increments " << ReadAofSizes(aof_dir).incr
      << "\n" << log.All();
  EXPECT_THAT(log.All(), HasSubstr("MiB of increments over a 0 MiB base: rewriting it"));
  EXPECT_THAT(RedisCommand((*redis)->socket_path(), {"DBSIZE"}).value(), ElementsAre("2500"));
  redis->reset();  // stops it and gives up the data directory

  // Rewritten: the next start leaves it alone.
  const std::string before = log.All();
  redis = EmbeddedRedis::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  (*redis)->Stop();
  EXPECT_EQ(log.All().find("rewriting it", before.size()), std::string::npos) << log.All();
}

TEST(AofCompactionTest, RewritesOnlyIncrementsOverTheBoundAndTheBase) {
  EXPECT_FALSE(ShouldRewriteAtStart({0, (1 << 20) - 1}, 1 << 20));
  EXPECT_TRUE(ShouldRewriteAtStart({0, 1 << 20}, 1 << 20));
  EXPECT_TRUE(ShouldRewriteAtStart({5 << 20, 5 << 20}, 1 << 20));
  EXPECT_FALSE(ShouldRewriteAtStart({5 << 20, (5 << 20) - 1}, 1 << 20));
  EXPECT_FALSE(ShouldRewriteAtStart({0, 1LL << 40}, 0));
}

// A "server" that never answers: Start gives up after start_timeout_ms and kills it.
TEST(EmbeddedRedisTest, NoPongWithinTimeoutIsUnavailable) {
  TempDir dir;
  const std::string script = dir.path() + "/silent-redis";
  std::ofstream(script) << "#!/bin/sh\necho $$ > \"$(dirname \"$1\")/silent.pid\"\nexec sleep 60\n";
  ::chmod(script.c_str(), 0755);
  EmbeddedRedisOptions options = OptionsFor(dir.path() + "/data");
  options.redis_server = script;
  options.start_timeout_ms = 300;
  const auto begin = std::chrono::steady_clock::now();
  auto redis = EmbeddedRedis::Start(options);
  ASSERT_FALSE(redis.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(redis.status().message(), HasSubstr("did not answer PING within 300 ms"));
  int child = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(ReadFile(dir.path() + "/data/silent.pid")), &child));
  EXPECT_TRUE(ProcessGone(child));  // killed and reaped: no stray process, no zombie
}

TEST(EmbeddedRedisTest, FixtureRemovesItsDirectory) {
  std::string dir;
  {
    TestRedis redis;
    ASSERT_TRUE(redis.ok());
    dir = redis.data_dir();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    EXPECT_EQ(redis.address(), "unix:" + dir + "/redis.sock");
    ASSERT_THAT(redis.Command({"SET", "x", "1"}).value(), ElementsAre("OK"));
    ASSERT_TRUE(redis.Restart().ok());
    EXPECT_THAT(redis.Command({"GET", "x"}).value(), ElementsAre("1"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace stockd::storage
