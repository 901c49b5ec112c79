// Test helpers for anything that needs a real Redis: TestRedis runs an EmbeddedRedis
// (the daemon's own supervised redis-server) in a fresh temporary directory and removes
// it afterwards; RedisCommand is a minimal RESP2 client over its unix socket, enough to
// seed or inspect keys without another client library.
//
// redis-server is a hard requirement of the suite (CI and scripts/bootstrap install it):
// when it is missing, TestRedis records a test failure with the reason instead of
// skipping. Check ok() before use:
//
//   stockd::testing::TestRedis redis;
//   ASSERT_TRUE(redis.ok());
//   ... connect to redis.address() ...
//   redis.KillHard();              // SIGKILL; the supervisor restarts it
//   ASSERT_TRUE(redis.WaitReady());
//
// Thread safety: a TestRedis is driven by the test's thread; RedisCommand is reentrant.
#ifndef STOCKD_TESTS_SUPPORT_REDIS_FIXTURE_H_
#define STOCKD_TESTS_SUPPORT_REDIS_FIXTURE_H_

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/storage/embedded_redis.h"
#include "gtest/gtest.h"

namespace stockd::testing {

namespace redis_fixture_internal {

// Buffered reader of RESP2 replies from a connected socket.
class RespReader {
 public:
  explicit RespReader(int fd) : fd_(fd) {}

  // Appends the reply's values to `out`: a simple string, integer or bulk string is one
  // element, an array contributes its elements in order (flattened), a nil is "(nil)".
  absl::Status Read(std::vector<std::string>* out) {
    absl::StatusOr<std::string> line = Line();
    if (!line.ok()) return line.status();
    if (line->empty()) return absl::DataLossError("empty RESP line");
    const char type = (*line)[0];
    const std::string rest = line->substr(1);
    switch (type) {
      case '+':
      case ':':
        out->push_back(rest);
        return absl::OkStatus();
      case '-':
        return absl::FailedPreconditionError(absl::StrCat("redis replied: ", rest));
      case '$': {
        int64_t len = 0;
        if (!absl::SimpleAtoi(rest, &len)) return absl::DataLossError("bad bulk length");
        if (len < 0) {
          out->push_back("(nil)");
          return absl::OkStatus();
        }
        absl::StatusOr<std::string> bytes = Bytes(static_cast<size_t>(len) + 2);
        if (!bytes.ok()) return bytes.status();
        out->push_back(bytes->substr(0, static_cast<size_t>(len)));
        return absl::OkStatus();
      }
      case '*': {
        int64_t n = 0;
        if (!absl::SimpleAtoi(rest, &n)) return absl::DataLossError("bad array length");
        if (n < 0) {
          out->push_back("(nil)");
          return absl::OkStatus();
        }
        for (int64_t i = 0; i < n; ++i) {
          if (absl::Status s = Read(out); !s.ok()) return s;
        }
        return absl::OkStatus();
      }
      default:
        return absl::DataLossError(absl::StrCat("unexpected RESP type in: ", *line));
    }
  }

 private:
  absl::Status Fill() {
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
      if (n == 0) return absl::UnavailableError("redis closed the connection");
      buf_.append(chunk, static_cast<size_t>(n));
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::string> Line() {
    for (;;) {
      const size_t end = buf_.find("\r\n", pos_);
      if (end != std::string::npos) {
        std::string line = buf_.substr(pos_, end - pos_);
        pos_ = end + 2;
        return line;
      }
      if (absl::Status s = Fill(); !s.ok()) return s;
    }
  }
  absl::StatusOr<std::string> Bytes(size_t n) {
    while (buf_.size() - pos_ < n) {
      if (absl::Status s = Fill(); !s.ok()) return s;
    }
    std::string bytes = buf_.substr(pos_, n);
    pos_ += n;
    return bytes;
  }

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace redis_fixture_internal

// Sends one command (as a RESP array, so arguments may hold any bytes) to the Redis on
// `socket_path` and returns the reply flattened as RespReader::Read describes: "PING" ->
// {"PONG"}, "GET k" -> {"v"} or {"(nil)"}, "CONFIG GET appendfsync" ->
// {"appendfsync", "everysec"}. An error reply is FAILED_PRECONDITION with its text; an
// I/O failure or timeout UNAVAILABLE.
inline absl::StatusOr<std::vector<std::string>> RedisCommand(const std::string& socket_path,
                                                             const std::vector<std::string>& args,
                                                             int64_t timeout_ms = 5'000) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return absl::InvalidArgumentError("socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect ", socket_path, ": ", std::strerror(errno)));
  }
  std::string request = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& arg : args)
    absl::StrAppend(&request, "$", arg.size(), "\r\n", arg, "\r\n");
  for (size_t done = 0; done < request.size();) {
    const ssize_t n = ::send(fd, request.data() + done, request.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  std::vector<std::string> reply;
  redis_fixture_internal::RespReader reader(fd);
  if (absl::Status s = reader.Read(&reply); !s.ok()) return s;
  return reply;
}

// A supervised redis-server in a fresh temp directory (under $TMPDIR, else /tmp),
// removed on destruction.
class TestRedis {
 public:
  // `options.data_dir` is replaced by the temp directory; the other fields are used as
  // given (e.g. appendfsync, restart_backoff_ms, log).
  explicit TestRedis(storage::EmbeddedRedisOptions options = {}) : options_(std::move(options)) {
    const char* tmpdir = ::getenv("TMPDIR");
    std::string base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    // The socket path must fit a sockaddr_un (107 bytes).
    if (base.size() > 70) base = "/tmp";
    std::string pattern = base + "/stockd-redis-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      status_ = absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
      ADD_FAILURE() << "TestRedis: " << status_;
      return;
    }
    dir_ = pattern;
    options_.data_dir = dir_;
    status_ = Restart();
  }

  ~TestRedis() {
    redis_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  bool ok() const { return redis_ != nullptr; }
  const absl::Status& status() const { return status_; }

  std::string address() const { return "unix:" + socket_path(); }
  std::string socket_path() const { return dir_ + "/redis.sock"; }
  std::string data_dir() const { return dir_; }
  storage::EmbeddedRedis* redis() const { return redis_.get(); }

  // SIGKILLs the current redis-server (no shutdown, no final AOF fsync) and returns its
  // pid once the supervisor has reaped it; the supervisor then restarts it after its
  // backoff (see WaitReady). 0 if no child was running.
  pid_t KillHard() {
    if (redis_ == nullptr) return 0;
    const pid_t victim = redis_->pid();
    if (victim == 0) return 0;
    ::kill(victim, SIGKILL);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (redis_->pid() == victim && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return victim;
  }

  // True once the (restarted) redis-server answers PING.
  bool WaitReady(int64_t timeout_ms = 10'000) {
    return redis_ != nullptr && redis_->WaitReady(timeout_ms);
  }

  // Stops redis-server cleanly (SIGTERM: the AOF is fsynced); the directory stays.
  void Stop() { redis_.reset(); }

  // Stops (if running) and starts a new EmbeddedRedis on the same directory: what a
  // daemon restart does. Records a test failure when it cannot start.
  absl::Status Restart() {
    redis_.reset();
    absl::StatusOr<std::unique_ptr<storage::EmbeddedRedis>> started =
        storage::EmbeddedRedis::Start(options_);
    if (!started.ok()) {
      ADD_FAILURE() << "TestRedis: embedded redis-server did not start in " << dir_ << ": "
                    << started.status()
                    << " (the tests need redis-server: CI installs it, locally run "
                       "scripts/bootstrap)";
      return started.status();
    }
    redis_ = *std::move(started);
    return absl::OkStatus();
  }

  // RedisCommand on this instance's socket.
  absl::StatusOr<std::vector<std::string>> Command(const std::vector<std::string>& args) const {
    return RedisCommand(socket_path(), args);
  }

 private:
  storage::EmbeddedRedisOptions options_;
  std::string dir_;
  absl::Status status_;
  std::unique_ptr<storage::EmbeddedRedis> redis_;
};

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_REDIS_FIXTURE_H_
