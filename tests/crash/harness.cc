#include "tests/crash/harness.h"

#include <fcntl.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace stockd::crash {

namespace fs = std::filesystem;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

// ---------------------------------------------------------------- small helpers

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }
void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::atoi(v);
}

std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) out += "    " + l + "\n";
  return out;
}

std::string Spread(std::vector<double> ms) {
  if (ms.empty()) return "-";
  std::sort(ms.begin(), ms.end());
  char buf[96];
  std::snprintf(buf, sizeof buf, "min %.0f / median %.0f / max %.0f ms", ms.front(),
                ms[ms.size() / 2], ms.back());
  return buf;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

std::string CommOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::pair<pid_t, char> StatOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return {0, '?'};
  std::istringstream rest(stat.substr(paren + 1));
  char state = '?';
  long ppid = 0;
  rest >> state >> ppid;
  return {static_cast<pid_t>(ppid), state};
}

bool Alive(pid_t pid) {
  const char state = StatOf(pid).second;
  return state != '?' && state != 'Z' && state != 'X';
}

bool RedisPing(const std::string& socket_path) {
  // hiredis writes with write(2): a redis-server killed between connect and PING would
  // kill this test process with SIGPIPE (seen in CI). The daemon ignores it the same way.
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  timeval tv{0, 200'000};
  redisContext* c = redisConnectUnixWithTimeout(socket_path.c_str(), tv);
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
         std::string(reply->str, reply->len) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return ok;
}

std::string Diff(const Message& a, const Message& b) {
  MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  if (d.Compare(a, b)) return "";
  return report.empty() ? "differ" : report;
}

std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh connection per incarnation
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

// ---------------------------------------------------------------- the shop

Policy Shop::PolicyFor(const ChannelSpec& channel, const std::string& sku) const {
  Policy p = channel.policy;
  for (const OverrideSpec& o : overrides) {
    if (o.channel != channel.id || sku.rfind(o.prefix, 0) != 0) continue;
    if (o.max_publish) p.max_publish = *o.max_publish;
    for (const auto& [location, units] : o.protect) p.protect[location] = units;
  }
  return p;
}

std::string Shop::Yaml(int port, const std::string& data_dir, const std::string& appendfsync,
                       const YamlExtras& extras) const {
  std::ostringstream y;
  y << "server:\n  listen: \"127.0.0.1:" << port << "\"\n  drain_timeout: 2s\n"
    << "data_dir: \"" << data_dir << "\"\n";
  if (!extras.webhook_urls.empty()) y << "plugin_dir: \"" << STOCKD_BINARY_DIR << "/plugins\"\n";
  y << "redis:\n  appendfsync: " << appendfsync << "\n";
  if (extras.whole_audit) y << "  audit_entries: 100000000\n";
  y << "holds:\n  default_ttl: 15m\n  max_ttl: 7d\n  retention: 24h\n"
    << "idempotency:\n  ttl: 24h\n"
    << "locations:\n";
  for (const auto& [id, type] : locations) y << "  - {id: " << id << ", type: " << type << "}\n";
  y << "channels:\n";
  for (const ChannelSpec& c : channels) {
    y << "  - id: " << c.id << "\n    type: " << c.type << "\n    sources: [";
    for (size_t i = 0; i < c.sources.size(); ++i) y << (i ? ", " : "") << c.sources[i];
    y << "]\n";
    if (!c.policy.protect.empty()) {
      y << "    protect:\n";
      for (const auto& [l, u] : c.policy.protect) y << "      " << l << ": " << u << "\n";
    }
    y << "    safety_stock: " << c.policy.safety_stock << "\n"
      << "    share_percent: " << c.policy.share_percent << "\n"
      << "    min_publish: " << c.policy.min_publish << "\n";
    if (c.policy.max_publish >= 0) y << "    max_publish: " << c.policy.max_publish << "\n";
    if (auto url = extras.webhook_urls.find(c.id); url != extras.webhook_urls.end()) {
      y << "    adapter:\n      plugin: webhook\n"
        << "      config: {url: \"" << url->second
        << "\", timeout_ms: 1000, connect_timeout_ms: 200}\n"
        << "      retry_initial: 50ms\n      retry_max: 500ms\n      coalesce_window: 100ms\n";
    }
  }
  y << "overrides:\n";
  for (const OverrideSpec& o : overrides) {
    y << "  - sku: \"" << o.prefix << "*\"\n    channel: " << o.channel << "\n";
    if (o.max_publish) y << "    max_publish: " << *o.max_publish << "\n";
    if (!o.protect.empty()) {
      y << "    protect:\n";
      for (const auto& [l, u] : o.protect) y << "      " << l << ": " << u << "\n";
    }
  }
  return y.str();
}

const Shop& TheShop() {
  static const Shop* shop = new Shop{
      {{kWarehouse, "warehouse"}, {kStore, "store"}},
      {
          {"webshop", "webshop", {kWarehouse, kStore}, Policy{{{kStore, 2}}, 0, 100, 0, -1}},
          {"market", "marketplace", {kWarehouse}, Policy{{}, 2, 80, 2, 40}},
          {"pos", "store", {kStore}, Policy{}},
      },
      {
          {"SNEAKER-", "market", 5, {}},
          {"SNEAKER-", "webshop", std::nullopt, {{kStore, 4}}},
      }};
  return *shop;
}

std::vector<std::string> ShopSkus() {
  std::vector<std::string> skus;
  for (int i = 0; i < 40; ++i) {
    char sku[32];
    std::snprintf(sku, sizeof sku, "TSHIRT-%03d", i);
    skus.push_back(sku);
  }
  for (int i = 0; i < 10; ++i) {
    char sku[32];
    std::snprintf(sku, sizeof sku, "SNEAKER-%03d", i);
    skus.push_back(sku);
  }
  return skus;
}

// ---------------------------------------------------------------- the processes

void StockdProcess::SetUp() {
  char tmpl[] = "/tmp/stockd-crash-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
  dir_ = tmpl;
  data_dir_ = dir_ + "/data";
  config_path_ = dir_ + "/stockd.yaml";
  log_path_ = dir_ + "/stockd.log";
  port_ = FreeLoopbackPort();
  ASSERT_GT(port_, 0);
  binary_ = std::string(STOCKD_BINARY_DIR) + "/stockd";
  ASSERT_TRUE(fs::exists(binary_)) << binary_ << " is missing: build the stockd target";
}

void StockdProcess::TearDown(bool keep) {
  if (pid_ > 0) {
    // A case that failed while its redis-server was stopped: stockd's stop needs it.
    if (const pid_t redis = RedisPid(); redis > 0) kill(redis, SIGCONT);
    kill(pid_, SIGTERM);
    if (!Reap(pid_, 15'000)) {
      kill(pid_, SIGKILL);
      Reap(pid_, 5'000);
    }
    pid_ = 0;
  }
  WaitRedisGone();
  UnmountTmpfs(keep);
  if (dir_.empty()) return;
  if (keep) {
    std::printf("[crash] kept %s (stockd.log, data/redis.log)\n", dir_.c_str());
  } else {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

bool StockdProcess::Reap(pid_t pid, int64_t timeout_ms) {
  const int64_t until = NowUs() + timeout_ms * 1000;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (NowUs() > until) return false;
    SleepMs(5);
  }
}

// The embedded redis-server of a dead stockd gets SIGTERM (PDEATHSIG) and exits on its
// own; make sure it did before the data dir goes away. A stopped one (SIGSTOP) would keep
// that SIGTERM pending: it is continued first.
void StockdProcess::WaitRedisGone() {
  if (data_dir_.empty()) return;
  pid_t redis = ReadPidFile(data_dir_ + "/redis.pid");
  if (redis <= 0 || CommOf(redis).rfind("redis-server", 0) != 0) return;
  kill(redis, SIGCONT);
  const int64_t until = NowUs() + 10'000'000;
  while (Alive(redis) && NowUs() < until) SleepMs(10);
  if (Alive(redis) && CommOf(redis).rfind("redis-server", 0) == 0) kill(redis, SIGKILL);
}

pid_t StockdProcess::RedisPid() const {
  if (pid_ <= 0) return 0;
  const pid_t redis = ReadPidFile(data_dir_ + "/redis.pid");
  if (redis <= 0 || CommOf(redis).rfind("redis-server", 0) != 0) return 0;
  if (StatOf(redis).first != pid_) return 0;
  return redis;
}

bool StockdProcess::MountDataDirTmpfs(int64_t bytes, std::string* error) {
  std::error_code ec;
  fs::create_directories(data_dir_, ec);
  if (ec) {
    *error = "mkdir " + data_dir_ + ": " + ec.message();
    return false;
  }
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (mount("tmpfs", data_dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    *error = "mount -t tmpfs -o " + options + " " + data_dir_ + ": " + std::strerror(errno);
    return false;
  }
  tmpfs_mounted_ = true;
  return true;
}

void StockdProcess::UnmountTmpfs(bool keep) {
  if (!tmpfs_mounted_) return;
  if (keep) {
    std::error_code ec;
    fs::copy_file(data_dir_ + "/redis.log", dir_ + "/tmpfs-redis.log",
                  fs::copy_options::overwrite_existing, ec);
  }
  if (umount2(data_dir_.c_str(), 0) != 0 && umount2(data_dir_.c_str(), MNT_DETACH) != 0) {
    std::printf("[crash] cannot unmount %s: %s\n", data_dir_.c_str(), std::strerror(errno));
    return;
  }
  tmpfs_mounted_ = false;
}

void StockdProcess::WriteConfig(const std::string& appendfsync, const YamlExtras& extras) {
  std::ofstream out(config_path_);
  out << TheShop().Yaml(port_, data_dir_, appendfsync, extras);
}

void StockdProcess::WriteConfigText(const std::string& yaml) {
  std::ofstream out(config_path_);
  out << yaml;
}

// PDEATHSIG ties stockd to this (the GoogleTest) thread, so a crashed test leaves no daemon
// behind.
pid_t StockdProcess::Spawn() {
  std::vector<std::string> args = {binary_, "--config", config_path_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return -1;
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

void StockdProcess::Start(std::shared_ptr<v1::Stock::Stub>* started) {
  const int64_t start = NowUs();
  pid_ = Spawn();
  ASSERT_GT(pid_, 0) << "fork: " << std::strerror(errno);
  const int64_t until = start + 60'000'000;
  std::shared_ptr<v1::Stock::Stub> stub;
  for (;;) {
    // A fresh channel per attempt: a channel that saw "connection refused" waits out
    // its reconnect backoff (seconds) before it tries again.
    stub = v1::Stock::NewStub(NewChannel(port_));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(250));
    v1::GetConfigSummaryRequest req;
    v1::ConfigSummary summary;
    if (stub->GetConfigSummary(&ctx, req, &summary).ok()) break;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      FAIL() << "stockd exited during start (status " << status << "); stockd.log:\n"
             << Tail(log_path_, 30) << "redis.log:\n"
             << Tail(data_dir_ + "/redis.log", 15);
    }
    if (NowUs() > until) {
      FAIL() << "stockd not ready after 60 s; stockd.log:\n" << Tail(log_path_, 30);
    }
    SleepMs(10);
  }
  start_ms_.push_back(Ms(NowUs() - start));
  *started = stub;
}

void StockdProcess::SpawnOnly() {
  pid_ = Spawn();
  ASSERT_GT(pid_, 0) << "fork: " << std::strerror(errno);
}

void StockdProcess::Kill() {
  ASSERT_GT(pid_, 0);
  ASSERT_EQ(kill(pid_, SIGKILL), 0) << std::strerror(errno);
  int status = 0;
  ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "stockd had already exited (status " << status << "); stockd.log:\n"
      << Tail(log_path_, 30);
  pid_ = 0;
}

void StockdProcess::KillRedis(
    int cycle, v1::Stock::Stub& stub, const std::string& sku,
    const std::function<std::optional<int64_t>(int64_t)>& first_write_after,
    std::vector<Outage>* outages, int signal) {
  const std::string socket = data_dir_ + "/redis.sock";
  const pid_t redis = ReadPidFile(data_dir_ + "/redis.pid");
  ASSERT_GT(redis, 0) << "no " << data_dir_ << "/redis.pid";
  ASSERT_EQ(CommOf(redis).rfind("redis-server", 0), 0u)
      << "pid " << redis << " is " << CommOf(redis);
  ASSERT_EQ(StatOf(redis).first, pid_) << "redis-server " << redis << " is not stockd's child";
  Outage o;
  o.cycle = cycle;
  o.kill_us = NowUs();
  ASSERT_EQ(kill(redis, signal), 0) << std::strerror(errno);
  for (;;) {
    const int64_t at = NowUs();
    if (!RedisPing(socket)) {
      o.first_down_us = o.last_down_us = at;
      break;
    }
    ASSERT_LT(NowUs() - o.kill_us, 2'000'000)
        << "redis still answers 2 s after signal " << strsignal(signal);
    SleepMs(1);
  }
  // Reads keep serving from memory while the write path is down.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1000));
    v1::GetStockRequest req;
    req.set_sku(sku);
    v1::GetStockResponse resp;
    grpc::Status st = stub.GetStock(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << "GetStock during the redis outage: " << st.error_message();
  }
  for (;;) {
    const int64_t at = NowUs();
    if (RedisPing(socket)) {
      o.up_us = NowUs();
      break;
    }
    o.last_down_us = at;
    ASSERT_LT(NowUs() - o.kill_us, 60'000'000)
        << "the supervisor did not restart redis-server within 60 s; redis.log:\n"
        << Tail(data_dir_ + "/redis.log", 20) << "stockd.log:\n"
        << Tail(log_path_, 20);
    SleepMs(5);
  }
  const int64_t until = o.up_us + 2 * kResyncBudgetMs * 1000;
  while (NowUs() < until) {
    if (std::optional<int64_t> ok = first_write_after(o.up_us)) {
      o.first_write_us = *ok;
      break;
    }
    SleepMs(2);
  }
  outages->push_back(o);
  ASSERT_GT(o.first_write_us, 0) << "no successful write within " << 2 * kResyncBudgetMs
                                 << " ms of redis answering again";
  EXPECT_LT(Ms(o.first_write_us - o.up_us), kResyncBudgetMs)
      << "cycle " << cycle << ": re-sync took too long";
}

}  // namespace stockd::crash
