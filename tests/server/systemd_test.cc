// The stockd binary under a stand-in for systemd: the test binds the notification socket
// (a unix datagram socket, as systemd's NOTIFY_SOCKET), starts build/stockd with
// NOTIFY_SOCKET and WATCHDOG_USEC on a Redis the test pre-filled, and reads what it says:
// STATUS= lines through the start, READY=1 only once the stored state is restored (a
// GetStock at that moment already answers it), MAINPID, WATCHDOG=1 pings; with writes
// pending on a SIGSTOPped Redis (a hung journal: redis.timeout is longer than the
// watchdog interval) the pings stop, after SIGCONT they resume and the writes succeed;
// SIGTERM gives STOPPING=1. And the rule's other half: a Redis that is down (writes fail
// fast, the daemon re-syncs) does not stop the pings. A start that fails says why in
// STATUS=, and gRPC's own error line is JSON in the daemon's log.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// What systemd would receive on NOTIFY_SOCKET: every datagram, with its arrival time.
class NotifySocket {
 public:
  struct Message {
    Clock::time_point at;
    std::string text;
  };

  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    reader_ = std::thread([this] { Read(); });
  }
  ~NotifySocket() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    reader_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  bool bound() const { return bound_; }

  std::vector<Message> Messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  // The index of the first message at or after `from` containing `needle`, waiting up to
  // `timeout` for it; -1 when none came.
  int WaitFor(const std::string& needle, size_t from, std::chrono::milliseconds timeout) const {
    const Clock::time_point until = Clock::now() + timeout;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        for (size_t i = from; i < messages_.size(); ++i) {
          if (absl::StrContains(messages_[i].text, needle)) return static_cast<int>(i);
        }
      }
      if (Clock::now() >= until) return -1;
      std::this_thread::sleep_for(10ms);
    }
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }
  // Arrival of the last WATCHDOG=1 (epoch when none).
  Clock::time_point LastPing() const {
    absl::MutexLock lock(&mu_);
    for (size_t i = messages_.size(); i-- > 0;) {
      if (messages_[i].text == "WATCHDOG=1") return messages_[i].at;
    }
    return Clock::time_point{};
  }

 private:
  void Read() {
    char buf[4096];
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
      }
      pollfd p{fd_, POLLIN, 0};
      if (fd_ < 0 || ::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      absl::MutexLock lock(&mu_);
      messages_.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
    }
  }

  const std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  mutable absl::Mutex mu_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

constexpr int64_t kWatchdogUsec = 1'000'000;  // pings every 500 ms
constexpr auto kInterval = std::chrono::milliseconds(kWatchdogUsec / 2000);

std::string Yaml(const std::string& data_dir, const std::string& redis_address,
                 const std::string& redis_timeout) {
  return absl::StrCat(R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
data_dir: )yaml",
                      data_dir, R"yaml(
redis: {address: ")yaml",
                      redis_address, R"yaml(", timeout: )yaml", redis_timeout, R"yaml(}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, store]}
)yaml");
}

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    config_path_ = dir_.path() + "/stockd.yaml";
    log_path_ = dir_.path() + "/stockd.log";
    socket_ = std::make_unique<NotifySocket>(dir_.path() + "/notify.sock");
    ASSERT_TRUE(socket_->bound()) << std::strerror(errno);
  }
  void TearDown() override {
    if (redis_.redis() != nullptr && redis_.redis()->pid() > 0)
      ::kill(redis_.redis()->pid(), SIGCONT);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Fills the Redis with `rows` rows (one Adjust each) through an in-process daemon.
  void PreFill(int rows) {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(Yaml(dir_.path() + "/prefill", redis_.address(), "2s"), "prefill.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    for (int i = 0; i < rows; ++i) {
      absl::StatusOr<engine::Outcome> done = (*daemon)->engine()->ExecuteAndWait(
          testing::Cmd(testing::Adjust("wh", absl::StrCat("SKU-", i), 10 + i)));
      ASSERT_TRUE(done.ok()) << done.status();
    }
    (*daemon)->Shutdown();
  }

  void Spawn(const std::string& redis_timeout, const std::string& listen = "127.0.0.1:0") {
    std::string yaml = Yaml(dir_.path() + "/data", redis_.address(), redis_timeout);
    yaml.replace(yaml.find("127.0.0.1:0"), 11, listen);
    std::ofstream(config_path_) << yaml;
    const std::string binary = std::string(STOCKD_BINARY_DIR) + "/stockd";
    const std::string notify = "NOTIFY_SOCKET=" + dir_.path() + "/notify.sock";
    const std::string watchdog = absl::StrCat("WATCHDOG_USEC=", kWatchdogUsec);
    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(log_fd, 0);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(127);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      std::vector<std::string> env_strings = {notify, watchdog,
                                              "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
      std::vector<char*> env;
      for (std::string& e : env_strings) env.push_back(e.data());
      env.push_back(nullptr);
      std::vector<std::string> args = {binary, "--config", config_path_};
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execve(argv[0], argv.data(), env.data());
      _exit(127);
    }
    ::close(log_fd);
    ASSERT_GT(pid_, 0);
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Waits for READY=1 and returns the stub of the port its STATUS names.
  std::unique_ptr<v1::Stock::Stub> WaitReady(int* ready_index) {
    *ready_index = socket_->WaitFor("READY=1", 0, 60s);
    if (*ready_index < 0) {
      ADD_FAILURE() << "no READY=1 within 60 s; log:\n" << Log();
      return nullptr;
    }
    const std::string ready = socket_->Messages()[*ready_index].text;
    const size_t at = ready.find("(port ");
    int port = 0;
    if (at == std::string::npos ||
        !absl::SimpleAtoi(ready.substr(at + 6, ready.find(')', at) - at - 6), &port)) {
      ADD_FAILURE() << "READY without a port: " << ready;
      return nullptr;
    }
    return v1::Stock::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  // Waits until no WATCHDOG=1 came for 3 intervals (true), or `timeout` passed (false).
  bool WaitPingsStop(std::chrono::milliseconds timeout) const {
    const Clock::time_point until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (Clock::now() - socket_->LastPing() > 3 * kInterval) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  int ExitCode() {
    int status = 0;
    for (int i = 0; i < 1500; ++i) {  // 15 s
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  testing::TempDir dir_{"stockd-sd"};
  testing::TestRedis redis_;
  std::unique_ptr<NotifySocket> socket_;
  std::string config_path_, log_path_;
  pid_t pid_ = 0;
};

int64_t OnHand(v1::Stock::Stub& stub, const std::string& sku) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  v1::GetStockRequest req;
  req.set_sku(sku);
  v1::GetStockResponse resp;
  const grpc::Status st = stub.GetStock(&ctx, req, &resp);
  if (!st.ok() || resp.rows_size() != 1) return -1;
  return resp.rows(0).on_hand();
}

grpc::Status Adjust(v1::Stock::Stub& stub, const std::string& sku, const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::AdjustRequest req;
  req.set_request_id(id);
  req.set_location("wh");
  req.set_sku(sku);
  req.set_delta(1);
  req.set_reason(v1::RECEIPT);
  v1::StockRowResponse resp;
  return stub.Adjust(&ctx, req, &resp);
}

grpc::Status Reserve(v1::Stock::Stub& stub, const std::string& sku, const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  v1::ReserveRequest req;
  req.set_request_id(id);
  req.set_channel("webshop");
  v1::HoldLine* line = req.add_lines();
  line->set_sku(sku);
  line->set_qty(1);
  v1::ReserveResponse resp;
  return stub.Reserve(&ctx, req, &resp);
}

TEST_F(SystemdNotifyTest, ReadyAfterLoadPingsStopWhileTheJournalHangsStoppingOnTerm) {
  ASSERT_NO_FATAL_FAILURE(PreFill(3));
  // redis.timeout 30s: a SIGSTOPped Redis hangs the journal's batch far past the 500 ms
  // watchdog interval instead of failing it.
  ASSERT_NO_FATAL_FAILURE(Spawn("30s"));
  int ready = -1;
  std::unique_ptr<v1::Stock::Stub> stub = WaitReady(&ready);
  ASSERT_NE(stub, nullptr);
  // At READY=1 the stored state is served already.
  EXPECT_EQ(OnHand(*stub, "SKU-0"), 10);
  EXPECT_EQ(OnHand(*stub, "SKU-2"), 12);

  const std::vector<NotifySocket::Message> start = socket_->Messages();
  const int loading = socket_->WaitFor("STATUS=loading state from redis unix:", 0, 0ms);
  const int restoring = socket_->WaitFor("STATUS=restoring 3 rows, 0 holds", 0, 0ms);
  ASSERT_GE(loading, 0) << "no loading STATUS before READY";
  ASSERT_GE(restoring, 0) << "no restoring STATUS before READY";
  EXPECT_LT(loading, restoring);
  EXPECT_LT(restoring, ready);
  const int first_ping = socket_->WaitFor("WATCHDOG=1", 0, 0ms);
  EXPECT_TRUE(first_ping < 0 || first_ping > ready) << "a ping before READY=1";
  EXPECT_TRUE(absl::StrContains(start[ready].text, absl::StrCat("MAINPID=", pid_)))
      << start[ready].text;
  EXPECT_TRUE(absl::StrContains(start[ready].text, "STATUS=serving on 127.0.0.1:0 (port "))
      << start[ready].text;

  // Pings while healthy.
  size_t from = socket_->size();
  for (int i = 0; i < 3; ++i) {
    const int ping = socket_->WaitFor("WATCHDOG=1", from, 5s);
    ASSERT_GE(ping, 0) << "ping " << i << " missing; log:\n" << Log();
    from = static_cast<size_t>(ping) + 1;
  }

  // A hung journal: Redis stopped with writes pending.
  const pid_t redis_pid = redis_.redis()->pid();
  ASSERT_GT(redis_pid, 0);
  ASSERT_EQ(::kill(redis_pid, SIGSTOP), 0);
  std::vector<std::thread> writers;
  std::vector<grpc::Status> results(3);
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back(
        [&, i] { results[i] = Reserve(*stub, absl::StrCat("SKU-", i), absl::StrCat("hang-", i)); });
  }
  EXPECT_TRUE(WaitPingsStop(10s)) << "pings went on while the journal hung; log:\n" << Log();
  // Still none a second later: withheld, not late.
  const Clock::time_point last = socket_->LastPing();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(socket_->LastPing(), last);
  EXPECT_TRUE(absl::StrContains(Log(), "watchdog: no progress, WATCHDOG=1 withheld")) << Log();
  EXPECT_TRUE(absl::StrContains(Log(), "journal: writes pending and no batch finished")) << Log();

  // Redis resumes: the writes land and the pings come back.
  from = socket_->size();
  ASSERT_EQ(::kill(redis_pid, SIGCONT), 0);
  for (std::thread& t : writers) t.join();
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
  EXPECT_GE(socket_->WaitFor("WATCHDOG=1", from, 5s), 0) << "pings did not resume; log:\n" << Log();
  EXPECT_EQ(OnHand(*stub, "SKU-0"), 10);

  // SIGTERM: STOPPING=1, then a clean exit.
  from = socket_->size();
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_GE(socket_->WaitFor("STOPPING=1", from, 10s), 0) << Log();
  EXPECT_EQ(ExitCode(), 0) << Log();
}

TEST_F(SystemdNotifyTest, ARedisThatIsDownDoesNotStopThePings) {
  // redis.timeout 200ms: a stopped Redis fails writes over within the interval. The daemon
  // is degraded (writes UNAVAILABLE, re-syncing), not hung: the pings go on.
  ASSERT_NO_FATAL_FAILURE(Spawn("200ms"));
  int ready = -1;
  std::unique_ptr<v1::Stock::Stub> stub = WaitReady(&ready);
  ASSERT_NE(stub, nullptr);
  ASSERT_GE(socket_->WaitFor("WATCHDOG=1", static_cast<size_t>(ready), 5s), 0) << Log();

  const pid_t redis_pid = redis_.redis()->pid();
  ASSERT_GT(redis_pid, 0);
  ASSERT_EQ(::kill(redis_pid, SIGSTOP), 0);
  const size_t from = socket_->size();
  const grpc::Status first = Adjust(*stub, "SKU-X", "down-0");
  EXPECT_EQ(first.error_code(), grpc::StatusCode::UNAVAILABLE) << first.error_message();
  EXPECT_GE(socket_->WaitFor("STATUS=Redis unreachable", from, 10s), 0) << Log();
  // Writes now fail fast; the pings keep coming through 3 s of outage.
  const Clock::time_point outage_end = Clock::now() + 3s;
  size_t seen = socket_->size();
  int pings = 0;
  while (Clock::now() < outage_end) {
    const grpc::Status again = Adjust(*stub, "SKU-X", absl::StrCat("down-", pings + 1));
    EXPECT_EQ(again.error_code(), grpc::StatusCode::UNAVAILABLE);
    const int ping = socket_->WaitFor("WATCHDOG=1", seen, 2s);
    ASSERT_GE(ping, 0) << "pings stopped while Redis was down; log:\n" << Log();
    seen = static_cast<size_t>(ping) + 1;
    ++pings;
  }
  EXPECT_GE(pings, 4);
  ::kill(redis_pid, SIGCONT);
  EXPECT_GE(socket_->WaitFor("writes re-opened after a Redis outage", from, 20s), 0) << Log();
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(), 0) << Log();
}

// A start that fails says so in STATUS= (no READY=1), and gRPC's own error about the
// port in use is a JSON line of the daemon's log ("component":"grpc").
// The published quantity of `sku` on `channel`; -1 when the call fails.
int64_t Published(v1::Stock::Stub& stub, const std::string& sku, const std::string& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  v1::GetAvailabilityRequest req;
  req.add_skus(sku);
  req.add_channels(channel);
  v1::GetAvailabilityResponse resp;
  if (!stub.GetAvailability(&ctx, req, &resp).ok() || resp.items_size() != 1) return -1;
  return resp.items(0).published();
}

TEST_F(SystemdNotifyTest, SighupReloadsBetweenReloadingAndReadyAndAnInvalidFileChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Spawn("2s"));
  int ready = -1;
  std::unique_ptr<v1::Stock::Stub> stub = WaitReady(&ready);
  ASSERT_NE(stub, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Adjust(*stub, "SKU-R", absl::StrCat("r-", i)).ok());
  EXPECT_EQ(Published(*stub, "SKU-R", "webshop"), 10);
  EXPECT_EQ(Published(*stub, "SKU-R", "amazon"), -1);  // not a channel yet

  // A valid edit: amazon added, webshop keeps 4 back. RELOADING=1, then READY=1.
  const std::string base = Yaml(dir_.path() + "/data", redis_.address(), "2s");
  std::ofstream(config_path_, std::ios::trunc)
      << absl::StrReplaceAll(base, {{"sources: [wh, store]}",
                                     "sources: [wh, store], safety_stock: 4}\n"
                                     "  - {id: amazon, type: marketplace, sources: [wh]}"}});
  size_t from = socket_->size();
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  const int reloading = socket_->WaitFor("RELOADING=1", from, 10s);
  ASSERT_GE(reloading, 0) << Log();
  const int again = socket_->WaitFor("READY=1", static_cast<size_t>(reloading) + 1, 10s);
  ASSERT_GE(again, 0) << Log();
  EXPECT_TRUE(absl::StrContains(socket_->Messages()[again].text, "STATUS=serving on 127.0.0.1:0"))
      << socket_->Messages()[again].text;
  EXPECT_EQ(Published(*stub, "SKU-R", "webshop"), 6);
  EXPECT_EQ(Published(*stub, "SKU-R", "amazon"), 10);
  EXPECT_TRUE(absl::StrContains(Log(), "\"msg\":\"config reloaded\",\"by\":\"SIGHUP\"")) << Log();

  // An invalid edit: rejected with file:line, the running config stays.
  std::ofstream(config_path_, std::ios::trunc) << base << "  - {id: ebay, type: marketplace, sources: [nowhere]}\n";
  from = socket_->size();
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  const int reloading2 = socket_->WaitFor("RELOADING=1", from, 10s);
  ASSERT_GE(reloading2, 0) << Log();
  ASSERT_GE(socket_->WaitFor("READY=1", static_cast<size_t>(reloading2) + 1, 10s), 0) << Log();
  EXPECT_TRUE(absl::StrContains(Log(), "config reload rejected, keeping the running configuration"))
      << Log();
  EXPECT_TRUE(absl::StrContains(Log(), config_path_ + ":")) << Log();  // file:line
  EXPECT_EQ(Published(*stub, "SKU-R", "webshop"), 6);
  EXPECT_EQ(Published(*stub, "SKU-R", "amazon"), 10);
  ASSERT_TRUE(Adjust(*stub, "SKU-R", "r-after").ok());  // still serving writes
  EXPECT_EQ(Published(*stub, "SKU-R", "amazon"), 11);
}

TEST_F(SystemdNotifyTest, AFailedStartSaysWhyAndGrpcLogsAsJson) {
  const int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(busy, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_NO_FATAL_FAILURE(Spawn("2s", absl::StrCat("127.0.0.1:", ntohs(addr.sin_port))));
  EXPECT_EQ(ExitCode(), 1) << Log();
  ::close(busy);
  // Sent before the exit, but the test's reader thread may not have taken it off the
  // socket yet on a loaded machine: wait for it. Datagrams arrive in order, so once it is
  // read, a READY=1 sent before it would have been too.
  EXPECT_GE(socket_->WaitFor("STATUS=cannot start: cannot listen on '127.0.0.1:", 0, 10s), 0);
  EXPECT_LT(socket_->WaitFor("READY=1", 0, 0ms), 0);
  bool grpc_json = false;
  std::istringstream lines(Log());
  for (std::string line; std::getline(lines, line);) {
    if (absl::StrContains(line, "\"component\":\"grpc\"")) {
      EXPECT_TRUE(absl::StartsWith(line, "{\"ts_ms\":") && absl::EndsWith(line, "}")) << line;
      EXPECT_TRUE(absl::StrContains(line, "\"level\":\"error\"")) << line;
      EXPECT_TRUE(absl::StrContains(line, "Address already in use")) << line;
      grpc_json = true;
    }
  }
  EXPECT_TRUE(grpc_json) << "no gRPC line in the JSON log:\n" << Log();
}

}  // namespace
}  // namespace stockd
