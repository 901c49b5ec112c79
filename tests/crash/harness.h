// The crash test's harness: the real `stockd` binary as a child process on its embedded
// redis-server (started, SIGKILLed, restarted; its redis-server signalled and the outage
// measured; its data directory optionally on a tmpfs of its own), the shop configuration
// the test writes for it, and the small helpers the load (load.h), the oracle (oracle.h)
// and the cases (crash_test.cc, the fault matrix's fault_*_test.cc) share.
//
// Thread safety: the free functions are reentrant; a StockdProcess is driven by the
// GoogleTest thread only. TheShop() is immutable once built.
#ifndef STOCKD_TESTS_CRASH_HARNESS_H_
#define STOCKD_TESTS_CRASH_HARNESS_H_

#include <google/protobuf/message.h>
#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::crash {

constexpr int64_t kCallDeadlineMs = 2000;   // load calls
constexpr int64_t kCheckDeadlineMs = 5000;  // checker calls
// No hold expires during a run, and no resolved hold is forgotten (holds.retention in
// the harness's config): the oracle does not model expiry. 1,000-cycle runs last hours
// (the first to finish, 2026-12-05, ran 2.3 h with a 1 h TTL and reported every expired
// hold as missing).
constexpr int64_t kHoldTtlMs = 24 * 3'600'000;
constexpr size_t kMaxOpenHoldsPerWorker = 12;  // keeps ListHolds per SKU far below 1000
constexpr int64_t kResyncBudgetMs = 5000;      // issue 3: re-sync within 5 s
constexpr char kProbeSku[] = "PROBE-0";
constexpr int64_t kProbeOnHand = 1000;

// ---------------------------------------------------------------- small helpers

int64_t NowUs();
double Ms(int64_t us);
void SleepMs(int64_t ms);
int EnvInt(const char* name, int fallback);
// The last `lines` lines of a file, indented, for failure messages.
std::string Tail(const std::string& path, size_t lines);
// min / median / max of a list of milliseconds, for the summary.
std::string Spread(std::vector<double> ms);
int64_t WallMs();
int FreeLoopbackPort();
pid_t ReadPidFile(const std::string& path);
std::string CommOf(pid_t pid);
// Parent pid and state letter from /proc/<pid>/stat; {0, '?'} when gone.
std::pair<pid_t, char> StatOf(pid_t pid);
bool Alive(pid_t pid);
// True when the Redis on `socket_path` answers PING with PONG (not -LOADING).
bool RedisPing(const std::string& socket_path);
// "" when equal, else what differs.
std::string Diff(const google::protobuf::Message& a, const google::protobuf::Message& b);
std::shared_ptr<grpc::Channel> NewChannel(int port);

// ---------------------------------------------------------------- the shop
//
// The test's own copy of the configuration: it generates the YAML the daemon reads and
// feeds the from-scratch availability computation, so both sides use the same numbers.

struct Policy {
  std::map<std::string, int64_t> protect;  // location -> units only this channel may take
  int64_t safety_stock = 0;
  int64_t share_percent = 100;
  int64_t min_publish = 0;
  int64_t max_publish = -1;  // -1 = no cap
};

struct ChannelSpec {
  std::string id;
  std::string type;
  std::vector<std::string> sources;
  Policy policy;
};

struct OverrideSpec {
  std::string prefix;  // YAML pattern "<prefix>*"
  std::string channel;
  std::optional<int64_t> max_publish;
  std::map<std::string, int64_t> protect;
};

constexpr char kWarehouse[] = "wh";
constexpr char kStore[] = "store";

// What a case adds to the shop's YAML without changing its numbers.
struct YamlExtras {
  // channel id -> URL its `webhook` adapter pushes to (plugin_dir: the build's plugins/).
  // The push engine retries fast (50 ms doubling to 500 ms) and coalesces for 100 ms, so
  // that a recovery after an endpoint fault is measured, not the default backoff.
  std::map<std::string, std::string> webhook_urls;
  // Keep every audit entry (redis.audit_entries at its maximum) instead of the default
  // 1,000,000 mutations: the Redis-kill oracle finds lost acks by their request_id in the
  // audit stream, and a long run (1,000 cycles) outgrows the default, whose trim would
  // look like lost writes.
  bool whole_audit = false;
};

struct Shop {
  std::vector<std::pair<std::string, std::string>> locations;  // id, type
  std::vector<ChannelSpec> channels;
  std::vector<OverrideSpec> overrides;

  Policy PolicyFor(const ChannelSpec& channel, const std::string& sku) const;
  std::string Yaml(int port, const std::string& data_dir, const std::string& appendfsync,
                   const YamlExtras& extras = {}) const;
};

// A small retailer: one warehouse, one store; the webshop ships from both and keeps the
// last units in the store for itself; a marketplace gets warehouse stock with a margin; the
// store's POS sells from its shelf. Sneakers are a limited line with stricter numbers.
const Shop& TheShop();
// The load's SKUs: 40 T-shirts and 10 sneakers ("TSHIRT-000", "SNEAKER-000", ...).
std::vector<std::string> ShopSkus();

// ---------------------------------------------------------------- the processes

// One SIGKILL of redis-server and what followed (times from NowUs()).
struct Outage {
  int cycle = 0;
  int64_t kill_us = 0;
  int64_t first_down_us = 0;   // first failed PING after the kill (start of that PING)
  int64_t last_down_us = 0;    // start of the last failed PING before Redis answered
  int64_t up_us = 0;           // Redis answered PING again
  int64_t first_write_us = 0;  // first successful write after up_us (0 = none in time)
};

// build/stockd run as a child of this process, in a fresh temporary directory (stockd.yaml,
// stockd.log, data/ with the embedded redis-server's files). Call the methods that can
// fail under ASSERT_NO_FATAL_FAILURE.
class StockdProcess {
 public:
  // Creates the directory and picks the port; fails the test when it cannot.
  void SetUp();
  // Stops stockd (SIGTERM, then SIGKILL), waits for its redis-server, unmounts the data
  // directory's tmpfs (if any; when `keep`, its redis.log is copied out first), and
  // removes the directory unless `keep`.
  void TearDown(bool keep);

  const std::string& dir() const { return dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string redis_socket() const { return data_dir_ + "/redis.sock"; }
  int port() const { return port_; }
  // stockd's pid; 0 when it is not running (as far as this object knows).
  pid_t pid() const { return pid_; }
  // The embedded redis-server: the pid in redis.pid when that process is a redis-server
  // and stockd's child; 0 otherwise (not started yet, restarting, gone).
  pid_t RedisPid() const;

  // Before the first start: mounts a tmpfs of `bytes` (mode 0700) on the data directory,
  // unmounted by TearDown. False with *error when the mount is refused (not root, no
  // CAP_SYS_ADMIN in a container).
  bool MountDataDirTmpfs(int64_t bytes, std::string* error);

  // Writes stockd.yaml: TheShop() on this process's port and data directory.
  void WriteConfig(const std::string& appendfsync, const YamlExtras& extras = {});
  // Writes stockd.yaml as given (a case with its own shop; use port() and data_dir()).
  void WriteConfigText(const std::string& yaml);
  // Starts stockd and waits until GetConfigSummary answers; `*stub` is a fresh stub for
  // it. Records the time from spawn to ready (start_ms()).
  void Start(std::shared_ptr<v1::Stock::Stub>* stub);
  // Starts stockd without waiting for it (a kill during its start-up follows).
  void SpawnOnly();
  // SIGKILLs stockd and reaps it; it must not have exited before.
  void Kill();
  // Sends `signal` (SIGKILL; SIGTERM: a graceful shutdown) to the embedded redis-server,
  // which stockd's supervisor restarts, and measures the outage, appended to `*outages`:
  // when PING stops and resumes, and (`first_write_after(up_us)`: the completion time of
  // the first successful write after up_us, if any yet) when writes succeed again. While
  // Redis is down, a GetStock of `sku` through `stub` must still answer.
  void KillRedis(int cycle, v1::Stock::Stub& stub, const std::string& sku,
                 const std::function<std::optional<int64_t>(int64_t)>& first_write_after,
                 std::vector<Outage>* outages, int signal = SIGKILL);

  const std::vector<double>& start_ms() const { return start_ms_; }

 private:
  // fork+exec of build/stockd with its output appended to stockd.log; -1 on failure.
  pid_t Spawn();
  static bool Reap(pid_t pid, int64_t timeout_ms);
  void WaitRedisGone();

  void UnmountTmpfs(bool keep);

  std::string dir_, data_dir_, config_path_, log_path_, binary_;
  bool tmpfs_mounted_ = false;
  int port_ = 0;
  pid_t pid_ = 0;
  std::vector<double> start_ms_;
};

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_HARNESS_H_
