// Crash test (durability issue, item 6): the real `stockd` binary runs as a child process
// on its embedded redis-server. Concurrent clients mutate stock with request_ids while the
// test SIGKILLs stockd (or its redis-server) at random moments and restarts it. A checker
// then holds the daemon to docs/design.md "Durability":
//   - every acknowledged mutation is present: its replay returns the first response and
//     changes nothing;
//   - every mutation whose outcome the client never learned applies exactly once when
//     replayed with its request_id;
//   - the final state equals an independent model built from the acknowledged responses,
//     no counter is negative, CheckInvariants() is ok, and every channel's availability
//     equals a from-scratch recomputation of the docs/design.md formula;
//   - (redis-server killed) stockd answers UNAVAILABLE while Redis is down, never
//     acknowledges a write Redis could not have taken, and re-syncs within 5 s of Redis
//     answering again;
//   - a final SIGKILL + restart serves exactly the state that was served before it;
//   - (redis-server killed) every acknowledged mutation has its audit entry in Redis;
//     the figure lost/acknowledged is printed per cycle. With appendfsync everysec (the
//     lossy variant, DISABLED_ by default) losses are the documented Redis 7.0 window:
//     reported, not failed, and the checks above run on the operations Redis kept.
//
// Environment: STOCKD_CRASH_CYCLES (default 10), STOCKD_CRASH_THREADS (default 8),
// STOCKD_CRASH_SEED (default random; printed), STOCKD_CRASH_KEEP=1 keeps the temp dir
// (it is always kept when the test fails), STOCKD_CRASH_VERBOSE=1 prints every cycle.
// `scripts/crash-test` sets them.
//
// Thread safety: the fixture runs on the GoogleTest thread; each load Worker owns its own
// records until it is joined; Harness and Probe are shared and synchronized.
#include <fcntl.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr int64_t kCallDeadlineMs = 2000;      // load calls
constexpr int64_t kCheckDeadlineMs = 5000;     // checker calls
constexpr int64_t kHoldTtlMs = 3'600'000;      // no hold expires during a run
constexpr size_t kMaxOpenHoldsPerWorker = 12;  // keeps ListHolds per SKU far below 1000
constexpr int64_t kResyncBudgetMs = 5000;      // issue 3: re-sync within 5 s
constexpr char kProbeSku[] = "PROBE-0";
constexpr int64_t kProbeOnHand = 1000;

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

// min / median / max of a list of milliseconds, for the summary.
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

// Parent pid and state letter from /proc/<pid>/stat; {0, '?'} when gone.
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

// True when the Redis on `socket_path` answers PING with PONG (not -LOADING).
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

struct Shop {
  std::vector<std::pair<std::string, std::string>> locations;  // id, type
  std::vector<ChannelSpec> channels;
  std::vector<OverrideSpec> overrides;

  Policy PolicyFor(const ChannelSpec& channel, const std::string& sku) const {
    Policy p = channel.policy;
    for (const OverrideSpec& o : overrides) {
      if (o.channel != channel.id || sku.rfind(o.prefix, 0) != 0) continue;
      if (o.max_publish) p.max_publish = *o.max_publish;
      for (const auto& [location, units] : o.protect) p.protect[location] = units;
    }
    return p;
  }

  std::string Yaml(int port, const std::string& data_dir, const std::string& appendfsync) const {
    std::ostringstream y;
    y << "server:\n  listen: \"127.0.0.1:" << port << "\"\n  drain_timeout: 2s\n"
      << "data_dir: \"" << data_dir << "\"\n"
      << "redis:\n  appendfsync: " << appendfsync << "\n"
      << "holds:\n  default_ttl: 15m\n  max_ttl: 7d\n"
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
};

// A small retailer: one warehouse, one store; the webshop ships from both and keeps the
// last units in the store for itself; a marketplace gets warehouse stock with a margin; the
// store's POS sells from its shelf. Sneakers are a limited line with stricter numbers.
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

struct Row {
  int64_t on_hand = 0;
  int64_t held = 0;
  int64_t committed = 0;
  int64_t free() const { return on_hand - held - committed; }
  bool operator==(const Row&) const = default;
};
using SkuRows = std::map<std::string, Row>;  // location -> counters (absent = zeros)

std::string ToString(const Row& r) {
  return std::to_string(r.on_hand) + "/" + std::to_string(r.held) + "/" +
         std::to_string(r.committed);
}

// docs/design.md "Availability (exact)", from scratch: {reservable, published}.
std::pair<int64_t, int64_t> ExpectedAvailability(const Shop& shop, const ChannelSpec& channel,
                                                 const std::string& sku, const SkuRows& rows) {
  int64_t reservable = 0;
  for (const std::string& location : channel.sources) {
    int64_t protected_by_others = 0;
    for (const ChannelSpec& other : shop.channels) {
      if (other.id == channel.id) continue;
      Policy p = shop.PolicyFor(other, sku);
      auto it = p.protect.find(location);
      if (it != p.protect.end()) protected_by_others += it->second;
    }
    auto row = rows.find(location);
    const Row r = row == rows.end() ? Row{} : row->second;
    reservable += std::max<int64_t>(0, r.free() - protected_by_others);
  }
  const Policy p = shop.PolicyFor(channel, sku);
  int64_t x = std::max<int64_t>(0, reservable - p.safety_stock);
  x = x * p.share_percent / 100;
  int64_t published = x < p.min_publish ? 0 : (p.max_publish < 0 ? x : std::min(x, p.max_publish));
  return {reservable, published};
}

// ---------------------------------------------------------------- operations

enum class Kind {
  kCount,
  kReserve,
  kCommit,
  kRelease,
  kFulfill,
  kCancel,
  kSell,
  kAdjust,
  kTransfer
};
constexpr int kKinds = 9;
const char* KindName(Kind k) {
  static const char* const kNames[kKinds] = {"count",  "reserve", "commit", "release", "fulfill",
                                             "cancel", "sell",    "adjust", "transfer"};
  return kNames[static_cast<int>(k)];
}
bool IsHoldOp(Kind k) {
  return k == Kind::kCommit || k == Kind::kRelease || k == Kind::kFulfill || k == Kind::kCancel;
}

std::unique_ptr<Message> NewRequest(Kind k) {
  switch (k) {
    case Kind::kCount:
      return std::make_unique<v1::CountRequest>();
    case Kind::kReserve:
      return std::make_unique<v1::ReserveRequest>();
    case Kind::kCommit:
      return std::make_unique<v1::CommitRequest>();
    case Kind::kRelease:
      return std::make_unique<v1::ReleaseRequest>();
    case Kind::kFulfill:
      return std::make_unique<v1::FulfillRequest>();
    case Kind::kCancel:
      return std::make_unique<v1::CancelRequest>();
    case Kind::kSell:
      return std::make_unique<v1::SellRequest>();
    case Kind::kAdjust:
      return std::make_unique<v1::AdjustRequest>();
    case Kind::kTransfer:
      return std::make_unique<v1::TransferRequest>();
  }
  std::abort();
}

std::unique_ptr<Message> NewResponse(Kind k) {
  switch (k) {
    case Kind::kCount:
    case Kind::kAdjust:
      return std::make_unique<v1::StockRowResponse>();
    case Kind::kReserve:
      return std::make_unique<v1::ReserveResponse>();
    case Kind::kCommit:
    case Kind::kRelease:
    case Kind::kFulfill:
    case Kind::kCancel:
      return std::make_unique<v1::HoldResponse>();
    case Kind::kSell:
      return std::make_unique<v1::SellResponse>();
    case Kind::kTransfer:
      return std::make_unique<v1::TransferResponse>();
  }
  std::abort();
}

grpc::Status Invoke(v1::Stock::Stub& stub, Kind k, const Message& req, Message* resp,
                    int64_t deadline_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  ctx.AddMetadata("x-stockd-actor", "crash-test");
  switch (k) {
    case Kind::kCount:
      return stub.Count(&ctx, static_cast<const v1::CountRequest&>(req),
                        static_cast<v1::StockRowResponse*>(resp));
    case Kind::kReserve:
      return stub.Reserve(&ctx, static_cast<const v1::ReserveRequest&>(req),
                          static_cast<v1::ReserveResponse*>(resp));
    case Kind::kCommit:
      return stub.Commit(&ctx, static_cast<const v1::CommitRequest&>(req),
                         static_cast<v1::HoldResponse*>(resp));
    case Kind::kRelease:
      return stub.Release(&ctx, static_cast<const v1::ReleaseRequest&>(req),
                          static_cast<v1::HoldResponse*>(resp));
    case Kind::kFulfill:
      return stub.Fulfill(&ctx, static_cast<const v1::FulfillRequest&>(req),
                          static_cast<v1::HoldResponse*>(resp));
    case Kind::kCancel:
      return stub.Cancel(&ctx, static_cast<const v1::CancelRequest&>(req),
                         static_cast<v1::HoldResponse*>(resp));
    case Kind::kSell:
      return stub.Sell(&ctx, static_cast<const v1::SellRequest&>(req),
                       static_cast<v1::SellResponse*>(resp));
    case Kind::kAdjust:
      return stub.Adjust(&ctx, static_cast<const v1::AdjustRequest&>(req),
                         static_cast<v1::StockRowResponse*>(resp));
    case Kind::kTransfer:
      return stub.Transfer(&ctx, static_cast<const v1::TransferRequest&>(req),
                           static_cast<v1::TransferResponse*>(resp));
  }
  std::abort();
}

// What a client may conclude from a status.
enum class Verdict {
  kAcked,      // OK: the mutation happened and is durable
  kRejected,   // the daemon refused it; nothing changed
  kUnknown,    // transport failure, deadline, UNAVAILABLE: it may or may not have happened
  kViolation,  // a status the load never provokes (bad request, lost hold, ...)
};

Verdict Classify(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return Verdict::kAcked;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return Verdict::kRejected;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return Verdict::kViolation;
    default:
      return Verdict::kUnknown;
  }
}

// One mutation the load sent: acknowledged ones keep their response, unknown ones only
// their request. Messages are kept serialized (a long run records ~10^5 of them).
struct OpRecord {
  Kind kind = Kind::kCount;
  std::string request;
  std::string response;
  grpc::StatusCode code = grpc::StatusCode::OK;
  int64_t sent_us = 0;
  int64_t done_us = 0;
};

std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh connection per incarnation
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

// What the load threads share with the controlling thread.
class Harness {
 public:
  std::shared_ptr<v1::Stock::Stub> stub() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stub_;
  }
  void set_stub(std::shared_ptr<v1::Stock::Stub> stub) {
    std::lock_guard<std::mutex> lock(mu_);
    stub_ = std::move(stub);
  }
  // Workers start calls only while serving; cleared right before stockd is killed so
  // that only the calls in flight at that moment end with an unknown outcome.
  std::atomic<bool> serving{false};
  std::atomic<bool> stop{false};

 private:
  mutable std::mutex mu_;
  std::shared_ptr<v1::Stock::Stub> stub_;
};

// ---------------------------------------------------------------- load

class Worker {
 public:
  Worker(int id, uint64_t seed, Harness* harness, const std::vector<std::string>* skus)
      : id_(id), rng_(seed), harness_(harness), skus_(skus) {}

  void Run() {
    while (!harness_->stop.load()) {
      if (!harness_->serving.load()) {
        SleepMs(1);
        continue;
      }
      Step();
    }
  }

  const std::vector<OpRecord>& acked() const { return acked_; }
  const std::vector<OpRecord>& unknown() const { return unknown_; }
  // A status the load never provokes; `hold_id` is the owned hold it concerned, if any.
  struct Violation {
    std::string hold_id;
    std::string what;
  };
  const std::vector<Violation>& violations() const { return violations_; }
  int64_t rejected(Kind k) const { return rejected_[static_cast<int>(k)]; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  // A quarter of the traffic goes to three hot SKUs (contention on one shard).
  const std::string& PickSku() {
    if (Uniform(0, 3) == 0) return (*skus_)[Uniform(0, 2)];
    return (*skus_)[Uniform(0, static_cast<int64_t>(skus_->size()) - 1)];
  }
  std::string NextRequestId() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "w%d-%07lld", id_, static_cast<long long>(++sequence_));
    return buf;
  }

  void Step() {
    Kind kind;
    std::unique_ptr<Message> req;
    int hold_index = -1;
    const int64_t r = Uniform(0, 99);
    if (!holds_.empty() && (holds_.size() >= kMaxOpenHoldsPerWorker || r < 30)) {
      hold_index = static_cast<int>(Uniform(0, static_cast<int64_t>(holds_.size()) - 1));
      req = HoldOp(holds_[hold_index], &kind);
    } else if (r < 60) {
      kind = Kind::kReserve;
      req = ReserveOp();
    } else if (r < 73) {
      kind = Kind::kSell;
      req = SellOp();
    } else if (r < 87) {
      kind = Kind::kAdjust;
      req = AdjustOp();
    } else {
      kind = Kind::kTransfer;
      req = TransferOp();
    }

    std::unique_ptr<Message> resp = NewResponse(kind);
    std::shared_ptr<v1::Stock::Stub> stub = harness_->stub();
    OpRecord rec;
    rec.kind = kind;
    rec.sent_us = NowUs();
    grpc::Status st = Invoke(*stub, kind, *req, resp.get(), kCallDeadlineMs);
    rec.done_us = NowUs();
    rec.code = st.error_code();

    switch (Classify(st.error_code())) {
      case Verdict::kAcked:
        rec.request = req->SerializeAsString();
        rec.response = resp->SerializeAsString();
        acked_.push_back(std::move(rec));
        TrackHold(kind, hold_index, *resp);
        backoff_ms_ = 0;
        break;
      case Verdict::kRejected:
        ++rejected_[static_cast<int>(kind)];
        // Only a Fulfill may be refused on a hold this worker owns (on_hand < committed
        // after damage); anything else means the daemon lost track of the hold.
        if (hold_index >= 0 && kind != Kind::kFulfill) {
          violations_.push_back(
              {holds_[hold_index].hold_id(), std::string(KindName(kind)) + " of owned hold " +
                                                 holds_[hold_index].hold_id() +
                                                 " refused: " + st.error_message()});
          holds_.erase(holds_.begin() + hold_index);
        }
        break;
      case Verdict::kUnknown:
        rec.request = req->SerializeAsString();
        unknown_.push_back(std::move(rec));
        // The hold's fate is decided by the checker's replay; never touch it again.
        if (hold_index >= 0) holds_.erase(holds_.begin() + hold_index);
        if (st.error_code() == grpc::StatusCode::UNAVAILABLE && harness_->serving.load()) {
          backoff_ms_ = backoff_ms_ == 0 ? 25 : std::min<int64_t>(backoff_ms_ * 2, 400);
          SleepMs(backoff_ms_);
        }
        break;
      case Verdict::kViolation:
        violations_.push_back({hold_index >= 0 ? holds_[hold_index].hold_id() : "",
                               std::string(KindName(kind)) + " " + req->ShortDebugString() +
                                   " -> " + std::to_string(st.error_code()) + " " +
                                   st.error_message()});
        if (hold_index >= 0) holds_.erase(holds_.begin() + hold_index);
        break;
    }
  }

  void TrackHold(Kind kind, int hold_index, const Message& resp) {
    if (kind == Kind::kReserve) {
      holds_.push_back(static_cast<const v1::ReserveResponse&>(resp).hold());
      return;
    }
    if (hold_index < 0) return;
    const v1::Hold& hold = static_cast<const v1::HoldResponse&>(resp).hold();
    if (hold.state() == v1::HELD || hold.state() == v1::COMMITTED) {
      holds_[hold_index] = hold;
    } else {
      holds_.erase(holds_.begin() + hold_index);
    }
  }

  std::unique_ptr<Message> ReserveOp() {
    auto req = std::make_unique<v1::ReserveRequest>();
    req->set_request_id(NextRequestId());
    const bool webshop = Uniform(0, 9) < 7;
    req->set_channel(webshop ? "webshop" : "market");
    std::set<std::string> used;
    const int64_t lines = Uniform(1, 3);
    for (int64_t i = 0; i < lines; ++i) {
      const std::string& sku = PickSku();
      if (!used.insert(sku).second) continue;
      v1::HoldLine* line = req->add_lines();
      line->set_sku(sku);
      line->set_qty(Uniform(1, 3));
      if (Uniform(0, 9) < 3) line->set_location(webshop && Uniform(0, 1) ? kStore : kWarehouse);
    }
    req->set_ttl_ms(kHoldTtlMs);
    req->set_reference("cart-" + req->request_id());
    return req;
  }

  std::unique_ptr<Message> HoldOp(const v1::Hold& hold, Kind* kind) {
    const bool partial = Uniform(0, 9) < 3;
    if (hold.state() == v1::HELD) {
      if (Uniform(0, 3) == 0) {
        *kind = Kind::kRelease;
        auto req = std::make_unique<v1::ReleaseRequest>();
        req->set_request_id(NextRequestId());
        req->set_hold_id(hold.hold_id());
        return req;
      }
      *kind = Kind::kCommit;
      auto req = std::make_unique<v1::CommitRequest>();
      req->set_request_id(NextRequestId());
      req->set_hold_id(hold.hold_id());
      if (partial) {  // a random part of some lines; the lines not named are released
        for (const v1::HoldLine& l : hold.lines()) {
          if (Uniform(0, 1) == 0) continue;
          v1::HoldLine* line = req->add_lines();
          line->set_sku(l.sku());
          line->set_qty(Uniform(1, l.qty()));
        }
      }
      return req;
    }
    if (Uniform(0, 3) == 0) {
      *kind = Kind::kCancel;
      auto req = std::make_unique<v1::CancelRequest>();
      req->set_request_id(NextRequestId());
      req->set_hold_id(hold.hold_id());
      return req;
    }
    *kind = Kind::kFulfill;
    auto req = std::make_unique<v1::FulfillRequest>();
    req->set_request_id(NextRequestId());
    req->set_hold_id(hold.hold_id());
    if (partial) {
      std::vector<const v1::HoldLine*> open;
      for (const v1::HoldLine& l : hold.lines()) {
        if (l.qty() > l.fulfilled()) open.push_back(&l);
      }
      if (!open.empty()) {
        const v1::HoldLine* l = open[Uniform(0, static_cast<int64_t>(open.size()) - 1)];
        v1::HoldLine* line = req->add_lines();
        line->set_sku(l->sku());
        line->set_qty(Uniform(1, l->qty() - l->fulfilled()));
      }
    }
    return req;
  }

  std::unique_ptr<Message> SellOp() {
    auto req = std::make_unique<v1::SellRequest>();
    req->set_request_id(NextRequestId());
    req->set_channel("pos");
    req->set_location(kStore);
    req->set_sku(PickSku());
    req->set_qty(Uniform(1, 2));
    req->set_override(Uniform(0, 9) == 0);
    req->set_reference("receipt-" + req->request_id());
    return req;
  }

  std::unique_ptr<Message> AdjustOp() {
    auto req = std::make_unique<v1::AdjustRequest>();
    req->set_request_id(NextRequestId());
    req->set_location(Uniform(0, 1) ? kStore : kWarehouse);
    req->set_sku(PickSku());
    if (Uniform(0, 9) < 7) {
      req->set_delta(Uniform(1, 18));
      req->set_reason(v1::RECEIPT);
      req->set_note("delivery");
    } else {
      req->set_delta(-Uniform(1, 2));
      req->set_reason(v1::DAMAGE);
      req->set_note("broken");
    }
    return req;
  }

  std::unique_ptr<Message> TransferOp() {
    auto req = std::make_unique<v1::TransferRequest>();
    req->set_request_id(NextRequestId());
    const bool to_store = Uniform(0, 2) > 0;
    req->set_from_location(to_store ? kWarehouse : kStore);
    req->set_to_location(to_store ? kStore : kWarehouse);
    req->set_sku(PickSku());
    req->set_qty(Uniform(1, 3));
    return req;
  }

  const int id_;
  std::mt19937_64 rng_;
  Harness* const harness_;
  const std::vector<std::string>* const skus_;
  int64_t sequence_ = 0;
  int64_t backoff_ms_ = 0;
  std::vector<v1::Hold> holds_;  // open holds this worker owns, as last acknowledged
  std::vector<OpRecord> acked_;
  std::vector<OpRecord> unknown_;
  std::vector<Violation> violations_;
  int64_t rejected_[kKinds] = {};
};

// Redis-kill variant: a steady write (an absolute Count of a probe SKU, the same value
// every time, no request_id) every 10 ms, timestamped, to see when writes fail and resume.
class Probe {
 public:
  struct Result {
    int64_t sent_us;
    int64_t done_us;
    grpc::StatusCode code;
  };

  explicit Probe(Harness* harness) : harness_(harness) {}

  void Run() {
    v1::CountRequest req;
    req.set_location(kWarehouse);
    req.set_sku(kProbeSku);
    req.set_on_hand(kProbeOnHand);
    while (!harness_->stop.load()) {
      v1::StockRowResponse resp;
      std::shared_ptr<v1::Stock::Stub> stub = harness_->stub();
      Result r{NowUs(), 0, grpc::StatusCode::OK};
      r.code = Invoke(*stub, Kind::kCount, req, &resp, 1000).error_code();
      r.done_us = NowUs();
      {
        std::lock_guard<std::mutex> lock(mu_);
        results_.push_back(r);
      }
      SleepMs(10);
    }
  }

  // Completion time of the first successful probe that finished after `after_us`.
  std::optional<int64_t> FirstOkAfter(int64_t after_us) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Result& r : results_) {
      if (r.code == grpc::StatusCode::OK && r.done_us > after_us) return r.done_us;
    }
    return std::nullopt;
  }

  std::vector<Result> results() const {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  Harness* const harness_;
  mutable std::mutex mu_;
  std::vector<Result> results_;
};

// ---------------------------------------------------------------- the model
//
// Rebuilt from what the daemon acknowledged, independently of the daemon's counters:
// on_hand from the seed Counts plus every Sell/Adjust/Transfer and every fulfilled unit
// (computed from the Fulfill request and the hold as last acknowledged), held/committed
// from the last acknowledged state of every hold.
class Model {
 public:
  void Apply(Kind kind, const Message& request, const Message& response) {
    switch (kind) {
      case Kind::kCount: {
        const auto& req = static_cast<const v1::CountRequest&>(request);
        on_hand_[{req.sku(), req.location()}] = req.on_hand();
        break;
      }
      case Kind::kReserve: {
        const v1::Hold& hold = static_cast<const v1::ReserveResponse&>(response).hold();
        if (!holds_.emplace(hold.hold_id(), hold).second) {
          problems_.push_back("hold id " + hold.hold_id() + " handed out twice");
        }
        break;
      }
      case Kind::kCommit:
      case Kind::kRelease:
      case Kind::kCancel:
      case Kind::kFulfill: {
        const v1::Hold& hold = static_cast<const v1::HoldResponse&>(response).hold();
        auto it = holds_.find(hold.hold_id());
        if (it == holds_.end()) {
          problems_.push_back(std::string(KindName(kind)) +
                              " of a hold never reserved: " + hold.hold_id());
          break;
        }
        if (kind == Kind::kFulfill) {
          ApplyFulfill(static_cast<const v1::FulfillRequest&>(request), it->second, hold);
        }
        it->second = hold;
        break;
      }
      case Kind::kSell: {
        const auto& req = static_cast<const v1::SellRequest&>(request);
        on_hand_[{req.sku(), req.location()}] -= req.qty();
        break;
      }
      case Kind::kAdjust: {
        const auto& req = static_cast<const v1::AdjustRequest&>(request);
        on_hand_[{req.sku(), req.location()}] += req.delta();
        break;
      }
      case Kind::kTransfer: {
        const auto& req = static_cast<const v1::TransferRequest&>(request);
        on_hand_[{req.sku(), req.from_location()}] -= req.qty();
        on_hand_[{req.sku(), req.to_location()}] += req.qty();
        break;
      }
    }
  }

  const v1::Hold* FindHold(const std::string& id) const {
    auto it = holds_.find(id);
    return it == holds_.end() ? nullptr : &it->second;
  }

  SkuRows Expected(const std::string& sku) const {
    SkuRows rows;
    for (const auto& [key, on_hand] : on_hand_) {
      if (key.first == sku) rows[key.second].on_hand = on_hand;
    }
    for (const auto& [id, hold] : holds_) {
      for (const v1::HoldLine& l : hold.lines()) {
        if (l.sku() != sku) continue;
        if (hold.state() == v1::HELD) rows[l.location()].held += l.qty();
        if (hold.state() == v1::COMMITTED) rows[l.location()].committed += l.qty() - l.fulfilled();
      }
    }
    return rows;
  }

  // Open holds that have a line of `sku`, by id.
  std::map<std::string, v1::Hold> OpenHolds(const std::string& sku) const {
    std::map<std::string, v1::Hold> out;
    for (const auto& [id, hold] : holds_) {
      if (hold.state() != v1::HELD && hold.state() != v1::COMMITTED) continue;
      for (const v1::HoldLine& l : hold.lines()) {
        if (l.sku() == sku) out.emplace(id, hold);
      }
    }
    return out;
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void ApplyFulfill(const v1::FulfillRequest& req, const v1::Hold& before, const v1::Hold& after) {
    std::map<std::string, int64_t> take;
    for (const v1::HoldLine& l : before.lines()) {
      take[l.sku()] = req.lines().empty() ? l.qty() - l.fulfilled() : 0;
    }
    for (const v1::HoldLine& l : req.lines()) take[l.sku()] = l.qty();
    for (const v1::HoldLine& l : before.lines()) {
      on_hand_[{l.sku(), l.location()}] -= take[l.sku()];
      bool seen = false;
      for (const v1::HoldLine& a : after.lines()) {
        if (a.sku() != l.sku()) continue;
        seen = true;
        if (a.fulfilled() != l.fulfilled() + take[l.sku()]) {
          problems_.push_back("fulfill of " + before.hold_id() + " line " + l.sku() +
                              ": fulfilled " + std::to_string(a.fulfilled()) + ", expected " +
                              std::to_string(l.fulfilled() + take[l.sku()]));
        }
      }
      if (!seen) problems_.push_back("fulfill of " + before.hold_id() + " dropped line " + l.sku());
    }
  }

  std::map<std::pair<std::string, std::string>, int64_t> on_hand_;  // (sku, location)
  std::map<std::string, v1::Hold> holds_;                           // every hold, last state
  std::vector<std::string> problems_;
};

// ---------------------------------------------------------------- the fixture

enum class Target { kStockd, kRedis };

struct Outage {
  int cycle = 0;
  int64_t kill_us = 0;
  int64_t first_down_us = 0;   // first failed PING after the kill (start of that PING)
  int64_t last_down_us = 0;    // start of the last failed PING before Redis answered
  int64_t up_us = 0;           // Redis answered PING again
  int64_t first_write_us = 0;  // first successful write after up_us (0 = none in time)
};

struct Snapshot {
  std::map<std::string, v1::GetStockResponse> stock;
  std::map<std::string, v1::ListHoldsResponse> holds;
  v1::GetAvailabilityResponse availability;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    for (int i = 0; i < 40; ++i) {
      char sku[32];
      std::snprintf(sku, sizeof sku, "TSHIRT-%03d", i);
      skus_.push_back(sku);
    }
    for (int i = 0; i < 10; ++i) {
      char sku[32];
      std::snprintf(sku, sizeof sku, "SNEAKER-%03d", i);
      skus_.push_back(sku);
    }
  }

  void TearDown() override {
    StopLoad();
    if (stockd_pid_ > 0) {
      kill(stockd_pid_, SIGTERM);
      if (!Reap(stockd_pid_, 15'000)) {
        kill(stockd_pid_, SIGKILL);
        Reap(stockd_pid_, 5'000);
      }
      stockd_pid_ = 0;
    }
    WaitRedisGone();
    if (dir_.empty()) return;
    if (HasFailure() || EnvInt("STOCKD_CRASH_KEEP", 0) != 0) {
      std::printf("[crash] kept %s (stockd.log, data/redis.log)\n", dir_.c_str());
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // ------------------------------------------------------------ processes

  static bool Reap(pid_t pid, int64_t timeout_ms) {
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
  // own; make sure it did before the data dir goes away.
  void WaitRedisGone() {
    if (data_dir_.empty()) return;
    pid_t redis = ReadPidFile(data_dir_ + "/redis.pid");
    if (redis <= 0 || CommOf(redis).rfind("redis-server", 0) != 0) return;
    const int64_t until = NowUs() + 10'000'000;
    while (Alive(redis) && NowUs() < until) SleepMs(10);
    if (Alive(redis) && CommOf(redis).rfind("redis-server", 0) == 0) kill(redis, SIGKILL);
  }

  void WriteConfig(const std::string& appendfsync) {
    std::ofstream out(config_path_);
    out << TheShop().Yaml(port_, data_dir_, appendfsync);
  }

  // fork+exec of build/stockd with its output appended to stockd.log. PDEATHSIG ties it to
  // this (the GoogleTest) thread, so a crashed test leaves no daemon behind.
  pid_t Spawn() {
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

  // Starts stockd and waits until GetConfigSummary answers; the fresh stub goes to the
  // workers. Records the time from spawn to ready.
  void StartStockd() {
    const int64_t start = NowUs();
    stockd_pid_ = Spawn();
    ASSERT_GT(stockd_pid_, 0) << "fork: " << std::strerror(errno);
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
      if (waitpid(stockd_pid_, &status, WNOHANG) == stockd_pid_) {
        stockd_pid_ = 0;
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
    harness_.set_stub(stub);
  }

  void KillStockd() {
    ASSERT_GT(stockd_pid_, 0);
    ASSERT_EQ(kill(stockd_pid_, SIGKILL), 0) << std::strerror(errno);
    int status = 0;
    ASSERT_EQ(waitpid(stockd_pid_, &status, 0), stockd_pid_);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "stockd had already exited (status " << status << "); stockd.log:\n"
        << Tail(log_path_, 30);
    stockd_pid_ = 0;
  }

  // SIGKILLs the embedded redis-server and measures the outage: when PING stops and
  // resumes, and when the probe's first write succeeds after that.
  void KillRedis(int cycle) {
    const std::string socket = data_dir_ + "/redis.sock";
    const pid_t redis = ReadPidFile(data_dir_ + "/redis.pid");
    ASSERT_GT(redis, 0) << "no " << data_dir_ << "/redis.pid";
    ASSERT_EQ(CommOf(redis).rfind("redis-server", 0), 0u)
        << "pid " << redis << " is " << CommOf(redis);
    ASSERT_EQ(StatOf(redis).first, stockd_pid_)
        << "redis-server " << redis << " is not stockd's child";
    Outage o;
    o.cycle = cycle;
    o.kill_us = NowUs();
    ASSERT_EQ(kill(redis, SIGKILL), 0) << std::strerror(errno);
    for (;;) {
      const int64_t at = NowUs();
      if (!RedisPing(socket)) {
        o.first_down_us = o.last_down_us = at;
        break;
      }
      ASSERT_LT(NowUs() - o.kill_us, 2'000'000) << "redis still answers 2 s after SIGKILL";
      SleepMs(1);
    }
    // Reads keep serving from memory while the write path is down.
    {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1000));
      v1::GetStockRequest req;
      req.set_sku(skus_.front());
      v1::GetStockResponse resp;
      grpc::Status st = harness_.stub()->GetStock(&ctx, req, &resp);
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
      if (std::optional<int64_t> ok = probe_->FirstOkAfter(o.up_us)) {
        o.first_write_us = *ok;
        break;
      }
      SleepMs(2);
    }
    outages_.push_back(o);
    ASSERT_GT(o.first_write_us, 0)
        << "no successful write within " << 2 * kResyncBudgetMs << " ms of redis answering again";
    EXPECT_LT(Ms(o.first_write_us - o.up_us), kResyncBudgetMs)
        << "cycle " << cycle << ": re-sync took too long";
  }

  // ------------------------------------------------------------ load

  void StartLoad(int threads, uint64_t seed, bool with_probe) {
    harness_.stop = false;
    for (int i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, seed + 1 + i, &harness_, &skus_));
    }
    for (auto& w : workers_) threads_.emplace_back([w = w.get()] { w->Run(); });
    if (with_probe) {
      probe_ = std::make_unique<Probe>(&harness_);
      threads_.emplace_back([p = probe_.get()] { p->Run(); });
    }
    harness_.serving = true;
  }

  void StopLoad() {
    harness_.stop = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  // ------------------------------------------------------------ checker calls

  std::shared_ptr<v1::Stock::Stub> Stub() { return harness_.stub(); }

  // A checker call: retried a few times on UNAVAILABLE (the daemon should not say it now,
  // but a transient transport hiccup must not hide the real verdict).
  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
    grpc::Status st;
    for (int attempt = 0; attempt < 20; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(kCheckDeadlineMs));
      st = fn(&ctx);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
      SleepMs(100);
    }
    return st;
  }

  grpc::Status Replay(Kind kind, const Message& req, Message* resp) {
    grpc::Status st;
    for (int attempt = 0; attempt < 20; ++attempt) {
      resp->Clear();
      st = Invoke(*Stub(), kind, req, resp, kCheckDeadlineMs);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
      SleepMs(100);
    }
    return st;
  }

  std::vector<std::string> AllSkus() const {
    std::vector<std::string> skus = skus_;
    if (probe_) skus.push_back(kProbeSku);
    return skus;
  }

  Snapshot TakeSnapshot() {
    Snapshot snap;
    for (const std::string& sku : AllSkus()) {
      v1::GetStockRequest sreq;
      sreq.set_sku(sku);
      grpc::Status st = Call(
          [&](grpc::ClientContext* ctx) { return Stub()->GetStock(ctx, sreq, &snap.stock[sku]); });
      EXPECT_TRUE(st.ok()) << "GetStock " << sku << ": " << st.error_message();
      // Open holds of the SKU, by channel and state (each part stays below the 1000 a
      // ListHolds returns at most), merged in hold-id order.
      std::vector<v1::Hold> open;
      for (const ChannelSpec& channel : TheShop().channels) {
        for (v1::HoldState state : {v1::HELD, v1::COMMITTED}) {
          v1::ListHoldsRequest hreq;
          hreq.set_sku(sku);
          hreq.set_channel(channel.id);
          hreq.set_state(state);
          hreq.set_limit(1000);
          v1::ListHoldsResponse part;
          st = Call([&](grpc::ClientContext* ctx) { return Stub()->ListHolds(ctx, hreq, &part); });
          EXPECT_TRUE(st.ok()) << "ListHolds " << hreq.ShortDebugString() << ": "
                               << st.error_message();
          EXPECT_LT(part.holds_size(), 1000)
              << "ListHolds " << hreq.ShortDebugString() << " truncated";
          open.insert(open.end(), part.holds().begin(), part.holds().end());
        }
      }
      std::sort(open.begin(), open.end(),
                [](const v1::Hold& a, const v1::Hold& b) { return a.hold_id() < b.hold_id(); });
      v1::ListHoldsResponse& merged = snap.holds[sku];
      for (v1::Hold& h : open) *merged.add_holds() = std::move(h);
    }
    v1::GetAvailabilityRequest areq;
    for (const std::string& sku : AllSkus()) areq.add_skus(sku);
    grpc::Status st = Call([&](grpc::ClientContext* ctx) {
      return Stub()->GetAvailability(ctx, areq, &snap.availability);
    });
    EXPECT_TRUE(st.ok()) << "GetAvailability: " << st.error_message();
    return snap;
  }

  void ExpectSameSnapshot(const Snapshot& a, const Snapshot& b, const std::string& when) {
    int reported = 0;
    for (const auto& [sku, stock] : a.stock) {
      auto it = b.stock.find(sku);
      std::string d = it == b.stock.end() ? "missing" : Diff(stock, it->second);
      if (!d.empty() && reported++ < 10) ADD_FAILURE() << when << ": stock of " << sku << ": " << d;
    }
    for (const auto& [sku, holds] : a.holds) {
      auto it = b.holds.find(sku);
      std::string d = it == b.holds.end() ? "missing" : Diff(holds, it->second);
      if (!d.empty() && reported++ < 10) ADD_FAILURE() << when << ": holds of " << sku << ": " << d;
    }
    std::string d = Diff(a.availability, b.availability);
    if (!d.empty()) ADD_FAILURE() << when << ": availability: " << d;
  }

  static std::vector<std::string> TouchedSkus(Kind kind, const Message& req, const Model& model) {
    std::vector<std::string> skus;
    switch (kind) {
      case Kind::kCount:
        skus.push_back(static_cast<const v1::CountRequest&>(req).sku());
        break;
      case Kind::kReserve:
        for (const auto& l : static_cast<const v1::ReserveRequest&>(req).lines()) {
          skus.push_back(l.sku());
        }
        break;
      case Kind::kSell:
        skus.push_back(static_cast<const v1::SellRequest&>(req).sku());
        break;
      case Kind::kAdjust:
        skus.push_back(static_cast<const v1::AdjustRequest&>(req).sku());
        break;
      case Kind::kTransfer:
        skus.push_back(static_cast<const v1::TransferRequest&>(req).sku());
        break;
      default: {  // every hold operation has a hold_id
        const std::string hold_id =
            req.GetReflection()->GetString(req, req.GetDescriptor()->FindFieldByName("hold_id"));
        if (const v1::Hold* h = model.FindHold(hold_id)) {
          for (const auto& l : h->lines()) skus.push_back(l.sku());
        }
      }
    }
    return skus;
  }

  std::string StockOf(const std::vector<std::string>& skus) {
    std::string out;
    for (const std::string& sku : skus) {
      v1::GetStockRequest req;
      req.set_sku(sku);
      v1::GetStockResponse resp;
      grpc::Status st =
          Call([&](grpc::ClientContext* ctx) { return Stub()->GetStock(ctx, req, &resp); });
      out += st.ok() ? resp.SerializeAsString() : "error:" + st.error_message();
      out += '\n';
    }
    return out;
  }

  // ------------------------------------------------------------ the run

  void Run(Target target, const std::string& appendfsync) {
    const int cycles = std::max(1, EnvInt("STOCKD_CRASH_CYCLES", 10));
    const int threads = std::max(1, EnvInt("STOCKD_CRASH_THREADS", 8));
    const uint64_t seed = std::getenv("STOCKD_CRASH_SEED")
                              ? std::strtoull(std::getenv("STOCKD_CRASH_SEED"), nullptr, 10)
                              : std::random_device{}();
    std::mt19937_64 rng(seed);
    const char* victim = target == Target::kStockd ? "stockd" : "redis-server";
    std::printf("[crash] SIGKILL %s, appendfsync %s, %d cycles, %d clients, seed %llu, dir %s\n",
                victim, appendfsync.c_str(), cycles, threads, static_cast<unsigned long long>(seed),
                dir_.c_str());
    const int64_t run_start = NowUs();

    WriteConfig(appendfsync);
    ASSERT_NO_FATAL_FAILURE(StartStockd());
    ASSERT_NO_FATAL_FAILURE(SeedStock(rng));
    StartLoad(threads, seed, target == Target::kRedis);

    const bool verbose = EnvInt("STOCKD_CRASH_VERBOSE", 0) != 0;
    for (int cycle = 1; cycle <= cycles; ++cycle) {
      const int load_ms = std::uniform_int_distribution<int>(100, 800)(rng);
      SleepMs(load_ms);
      if (target == Target::kStockd) {
        harness_.serving = false;
        const int64_t killed_at = WallMs();
        ASSERT_NO_FATAL_FAILURE(KillStockd());
        const int64_t reaped_at = WallMs();
        if (cycle == cycles) StopLoad();  // the checker runs on the recovered state
        if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
          // Once in a while, also kill it while it starts (loading, replacing the old
          // redis-server, starting its own).
          stockd_pid_ = Spawn();
          ASSERT_GT(stockd_pid_, 0) << "fork: " << std::strerror(errno);
          SleepMs(std::uniform_int_distribution<int>(0, 150)(rng));
          ASSERT_NO_FATAL_FAILURE(KillStockd());
          ++startup_kills_;
        }
        ASSERT_NO_FATAL_FAILURE(StartStockd());
        harness_.serving = true;
        if (verbose) {
          std::printf(
              "[crash] cycle %d: SIGKILL after %d ms of load at %lld, reaped +%lld ms, "
              "ready +%lld ms\n",
              cycle, load_ms, static_cast<long long>(killed_at),
              static_cast<long long>(reaped_at - killed_at),
              static_cast<long long>(WallMs() - killed_at));
        }
      } else {
        ASSERT_NO_FATAL_FAILURE(KillRedis(cycle));
        if (verbose) {
          const Outage& o = outages_.back();
          std::printf(
              "[crash] cycle %d: SIGKILL redis-server after %d ms of load; PING fails "
              "+%.0f ms, answers again +%.0f ms, first write +%.0f ms\n",
              cycle, load_ms, Ms(o.first_down_us - o.kill_us), Ms(o.up_us - o.kill_us),
              Ms(o.first_write_us - o.kill_us));
        }
      }
    }
    if (target == Target::kRedis) {
      SleepMs(std::uniform_int_distribution<int>(100, 800)(rng));
      StopLoad();
    }
    const double load_s = Ms(NowUs() - run_start) / 1000.0;

    Summary summary;
    summary.cycles = cycles;
    // appendfsync everysec: a SIGKILLed redis-server may lose acknowledged writes (the
    // documented Redis 7.0 window, docs/storage.md). They are counted, not failed; every
    // other check still holds on what Redis kept.
    lossy_ = target == Target::kRedis && appendfsync != "always";
    if (target == Target::kRedis) {
      ASSERT_NO_FATAL_FAILURE(FindLostAcks(&summary));
    }
    int64_t load_violations = 0;
    for (const auto& w : workers_) {
      for (const Worker::Violation& v : w->violations()) {
        if (lossy_ && lost_holds_.count(v.hold_id) > 0) {
          ++summary.refused_after_loss;  // e.g. a Commit of a hold whose Reserve was lost
          continue;
        }
        if (load_violations++ < 20) ADD_FAILURE() << "load: " << v.what;
      }
    }
    EXPECT_EQ(load_violations, 0) << "calls answered with a status the load never provokes";
    if (target == Target::kRedis) CheckOutages(&summary);
    ASSERT_NO_FATAL_FAILURE(Check(&summary));
    ASSERT_NO_FATAL_FAILURE(CheckRestartServesSameState(&summary));

    // The summary.
    int64_t acked = 0, unknown = 0;
    std::string by_kind;
    for (int k = 0; k < kKinds; ++k) {
      int64_t n = 0, rejected = 0;
      for (const auto& w : workers_) {
        for (const OpRecord& r : w->acked()) n += static_cast<int>(r.kind) == k;
        rejected += w->rejected(static_cast<Kind>(k));
      }
      if (n + rejected == 0) continue;
      by_kind += " " + std::string(KindName(static_cast<Kind>(k))) + "=" + std::to_string(n);
      if (rejected > 0) by_kind += "(+" + std::to_string(rejected) + " refused)";
    }
    for (const auto& w : workers_) {
      acked += static_cast<int64_t>(w->acked().size());
      unknown += static_cast<int64_t>(w->unknown().size());
    }
    std::printf("[crash] summary: SIGKILL %s, appendfsync %s: %d cycles in %.1f s\n", victim,
                appendfsync.c_str(), cycles, load_s);
    std::printf("[crash]   acknowledged ops: %lld (+%zu seed counts):%s\n",
                static_cast<long long>(acked), seed_.size(), by_kind.c_str());
    std::printf(
        "[crash]   unknown outcomes: %lld -> had been applied %lld, applied on replay "
        "%lld, refused on replay %lld\n",
        static_cast<long long>(unknown), static_cast<long long>(summary.had_applied),
        static_cast<long long>(summary.applied_now), static_cast<long long>(summary.refused_now));
    std::printf("[crash]   replays checked: %lld (identical first result, no state change)\n",
                static_cast<long long>(summary.replays));
    std::printf(
        "[crash]   final state: %lld rows, %lld open holds match the model; "
        "CheckInvariants ok: %s\n",
        static_cast<long long>(summary.rows), static_cast<long long>(summary.open_holds),
        summary.invariants_ok ? "yes" : "NO");
    std::printf(
        "[crash]   stockd start to ready: %s (first start and %zu restarts); "
        "%d more SIGKILLs during start-up\n",
        Spread(start_ms_).c_str(), start_ms_.size() - 1, startup_kills_);
    if (target == Target::kRedis) {
      std::vector<double> resync, down;
      for (const Outage& o : outages_) {
        if (o.first_write_us > 0) resync.push_back(Ms(o.first_write_us - o.up_us));
        down.push_back(Ms(o.up_us - o.kill_us));
      }
      std::printf("[crash]   redis down (kill to PING): %s\n", Spread(down).c_str());
      std::printf("[crash]   re-sync (redis PING to first acknowledged write): %s\n",
                  Spread(resync).c_str());
      std::printf(
          "[crash]   UNAVAILABLE answers while redis was down: %lld; acks "
          "without redis: %lld\n",
          static_cast<long long>(summary.unavailable_during_outages),
          static_cast<long long>(summary.acks_without_redis));
      PrintLosses(summary);
    }
  }

  struct Summary {
    int cycles = 0;
    int64_t replays = 0;
    int64_t had_applied = 0;
    int64_t applied_now = 0;
    int64_t refused_now = 0;
    int64_t rows = 0;
    int64_t open_holds = 0;
    bool invariants_ok = false;
    int64_t unavailable_during_outages = 0;
    int64_t acks_without_redis = 0;
    // Redis-kill variants: by cycle (the last slot: after the last cycle).
    std::vector<int64_t> acked_per_cycle;
    std::vector<int64_t> lost_per_cycle;
    int64_t refused_after_loss = 0;  // lossy: load calls on a lost hold
    int64_t refused_lost_hold = 0;   // lossy: unknown outcomes on a lost hold
  };

  // "lost/acknowledged" per cycle and in total; the load after the last cycle is counted
  // in the total (nothing kills Redis after it).
  void PrintLosses(const Summary& summary) const {
    int64_t lost = 0, acked = 0;
    std::string per_cycle;
    for (size_t i = 0; i < summary.acked_per_cycle.size(); ++i) {
      lost += summary.lost_per_cycle[i];
      acked += summary.acked_per_cycle[i];
      if (i == outages_.size()) break;
      per_cycle += (i == 0 ? " " : ", ") + std::to_string(i + 1) + ": " +
                   std::to_string(summary.lost_per_cycle[i]) + "/" +
                   std::to_string(summary.acked_per_cycle[i]);
    }
    std::printf(
        "[crash]   acknowledged writes lost (lost/acknowledged) per cycle:%s; total "
        "%lld/%lld (%.3f%%)%s\n",
        per_cycle.c_str(), static_cast<long long>(lost), static_cast<long long>(acked),
        acked > 0 ? 100.0 * static_cast<double>(lost) / static_cast<double>(acked) : 0.0,
        lossy_ ? " [appendfsync everysec: reported, not failed]" : "");
    if (lossy_) {
      std::printf(
          "[crash]   after a loss: %lld load calls on a lost hold refused, %lld "
          "unknown outcomes on a lost hold refused on replay; the checks ran on the "
          "%lld acknowledged operations Redis kept\n",
          static_cast<long long>(summary.refused_after_loss),
          static_cast<long long>(summary.refused_lost_hold), static_cast<long long>(acked - lost));
    }
  }

  static std::string StringField(const Message& m, const char* name) {
    return m.GetReflection()->GetString(m, m.GetDescriptor()->FindFieldByName(name));
  }

  // Redis-kill variants, before any replay: which acknowledged operations Redis no longer
  // has. Every mutation's audit entry (with its request_id) is written in the same
  // MULTI/EXEC as the mutation (docs/storage.md), so an acknowledged request_id without
  // one in {stockd}:audit was lost. An operation counts in cycle k when its answer came
  // after Redis answered again in cycle k-1 and at the latest when it answered in cycle k.
  // With appendfsync always none may be lost.
  void FindLostAcks(Summary* summary) {
    std::set<std::string> durable;
    ASSERT_NO_FATAL_FAILURE(ReadAuditRequestIds(&durable));
    std::vector<int64_t> up_us;
    for (const Outage& o : outages_) up_us.push_back(o.up_us);
    summary->acked_per_cycle.assign(outages_.size() + 1, 0);
    summary->lost_per_cycle.assign(outages_.size() + 1, 0);
    std::vector<std::string> examples;
    for (const auto& w : workers_) {
      for (const OpRecord& r : w->acked()) {
        const size_t cycle =
            std::lower_bound(up_us.begin(), up_us.end(), r.done_us) - up_us.begin();
        ++summary->acked_per_cycle[cycle];
        std::unique_ptr<Message> req = NewRequest(r.kind);
        req->ParseFromString(r.request);
        const std::string request_id = StringField(*req, "request_id");
        if (durable.count(request_id) > 0) continue;
        ++summary->lost_per_cycle[cycle];
        lost_requests_.insert(request_id);
        if (r.kind == Kind::kReserve) {
          v1::ReserveResponse resp;
          resp.ParseFromString(r.response);
          lost_holds_.insert(resp.hold().hold_id());
        } else if (IsHoldOp(r.kind)) {
          lost_holds_.insert(StringField(*req, "hold_id"));
        }
        if (examples.size() < 10) {
          examples.push_back(std::string(KindName(r.kind)) + " " + req->ShortDebugString());
        }
      }
    }
    if (lossy_) return;
    for (const std::string& e : examples) ADD_FAILURE() << "acknowledged, not in redis: " << e;
    EXPECT_TRUE(lost_requests_.empty())
        << lost_requests_.size() << " acknowledged operations lost with appendfsync always";
  }

  // Every request_id in the {stockd}:audit stream (one stream entry per group commit,
  // one field per mutation: a stockd.v1.AuditEntry).
  void ReadAuditRequestIds(std::set<std::string>* ids) {
    const std::string socket = data_dir_ + "/redis.sock";
    redisContext* c = redisConnectUnixWithTimeout(socket.c_str(), timeval{5, 0});
    std::unique_ptr<redisContext, void (*)(redisContext*)> owner(c, &redisFree);
    ASSERT_TRUE(c != nullptr && c->err == 0)
        << "cannot connect to " << socket << ": " << (c != nullptr ? c->errstr : "no memory");
    std::string start = "-";
    for (;;) {
      std::unique_ptr<redisReply, void (*)(void*)> reply(
          static_cast<redisReply*>(
              redisCommand(c, "XRANGE %s %s + COUNT 500", "{stockd}:audit", start.c_str())),
          &freeReplyObject);
      ASSERT_NE(reply, nullptr) << "XRANGE {stockd}:audit: " << c->errstr;
      ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY)
          << "XRANGE {stockd}:audit: " << (reply->str != nullptr ? reply->str : "");
      if (reply->elements == 0) return;
      for (size_t i = 0; i < reply->elements; ++i) {
        const redisReply* entry = reply->element[i];  // [id, [field, value, ...]]
        ASSERT_TRUE(entry->type == REDIS_REPLY_ARRAY && entry->elements == 2);
        start = "(" + std::string(entry->element[0]->str, entry->element[0]->len);
        const redisReply* fields = entry->element[1];
        for (size_t f = 1; f < fields->elements; f += 2) {
          v1::AuditEntry audit;
          ASSERT_TRUE(audit.ParseFromArray(fields->element[f]->str,
                                           static_cast<int>(fields->element[f]->len)))
              << "undecodable audit entry in stream entry " << start.substr(1);
          if (!audit.request_id().empty()) ids->insert(audit.request_id());
        }
      }
    }
  }

  void SeedStock(std::mt19937_64& rng) {
    for (const std::string& sku : skus_) {
      for (const char* location : {kWarehouse, kStore}) {
        v1::CountRequest req;
        req.set_request_id("seed-" + sku + "-" + location);
        req.set_location(location);
        req.set_sku(sku);
        req.set_on_hand(location == std::string(kWarehouse)
                            ? std::uniform_int_distribution<int>(40, 80)(rng)
                            : std::uniform_int_distribution<int>(10, 30)(rng));
        req.set_note("initial stock take");
        v1::StockRowResponse resp;
        grpc::Status st = Replay(Kind::kCount, req, &resp);
        ASSERT_TRUE(st.ok()) << "seed " << sku << "@" << location << ": " << st.error_message();
        OpRecord rec;
        rec.kind = Kind::kCount;
        rec.request = req.SerializeAsString();
        rec.response = resp.SerializeAsString();
        seed_.push_back(std::move(rec));
      }
    }
  }

  // Redis-kill variant: while Redis was down, stockd answered UNAVAILABLE and never
  // acknowledged a write. A write is provably acknowledged without Redis when it was sent
  // after stockd had already answered UNAVAILABLE for this outage (the write gate was
  // closed) and its answer arrived before a PING showed Redis still down.
  void CheckOutages(Summary* summary) {
    std::vector<Probe::Result> probes = probe_->results();
    struct Ack {
      int64_t sent_us, done_us;
      std::string what;
    };
    std::vector<Ack> acks;
    std::vector<int64_t> unavailable_done;  // completion times of UNAVAILABLE answers
    std::vector<int64_t> unavailable_sent;
    for (const Probe::Result& p : probes) {
      if (p.code == grpc::StatusCode::OK) acks.push_back({p.sent_us, p.done_us, "probe count"});
      if (p.code == grpc::StatusCode::UNAVAILABLE) {
        unavailable_sent.push_back(p.sent_us);
        unavailable_done.push_back(p.done_us);
      }
      EXPECT_TRUE(p.code == grpc::StatusCode::OK || p.code == grpc::StatusCode::UNAVAILABLE ||
                  p.code == grpc::StatusCode::DEADLINE_EXCEEDED)
          << "probe Count answered " << p.code;
    }
    for (const auto& w : workers_) {
      for (const OpRecord& r : w->acked()) acks.push_back({r.sent_us, r.done_us, KindName(r.kind)});
      for (const OpRecord& r : w->unknown()) {
        if (r.code != grpc::StatusCode::UNAVAILABLE) continue;
        unavailable_sent.push_back(r.sent_us);
        unavailable_done.push_back(r.done_us);
      }
    }
    for (const Outage& o : outages_) {
      int64_t gate_closed_us = 0;  // first UNAVAILABLE answer for a call sent after the kill
      int64_t answers = 0;
      for (size_t i = 0; i < unavailable_done.size(); ++i) {
        if (unavailable_sent[i] < o.kill_us || unavailable_sent[i] > o.up_us) continue;
        ++answers;
        if (gate_closed_us == 0 || unavailable_done[i] < gate_closed_us) {
          gate_closed_us = unavailable_done[i];
        }
      }
      summary->unavailable_during_outages += answers;
      EXPECT_GT(answers, 0) << "cycle " << o.cycle
                            << ": stockd never answered UNAVAILABLE while redis was down";
      if (gate_closed_us == 0) continue;
      for (const Ack& a : acks) {
        if (a.sent_us > gate_closed_us && a.done_us < o.last_down_us) {
          ++summary->acks_without_redis;
          ADD_FAILURE() << "cycle " << o.cycle << ": " << a.what << " acknowledged "
                        << Ms(o.last_down_us - a.done_us)
                        << " ms before redis answered PING again (sent "
                        << Ms(a.sent_us - gate_closed_us) << " ms after stockd said UNAVAILABLE)";
        }
      }
    }
  }

  // Parses a recorded operation and hands it to `fn(kind, request, response)`.
  static void WithMessages(const OpRecord& r,
                           const std::function<void(const Message&, const Message&)>& fn) {
    std::unique_ptr<Message> req = NewRequest(r.kind);
    std::unique_ptr<Message> resp = NewResponse(r.kind);
    req->ParseFromString(r.request);
    resp->ParseFromString(r.response);
    fn(*req, *resp);
  }

  void Check(Summary* summary) {
    Model model;
    std::vector<const OpRecord*> acked;
    for (const OpRecord& r : seed_) acked.push_back(&r);
    for (const auto& w : workers_) {
      for (const OpRecord& r : w->acked()) {
        if (!Lost(r)) acked.push_back(&r);
      }
    }
    for (const OpRecord* r : acked) {
      WithMessages(
          *r, [&](const Message& req, const Message& resp) { model.Apply(r->kind, req, resp); });
    }
    ASSERT_NO_FATAL_FAILURE(CheckAcknowledgedReplays(acked, summary));
    ResolveUnknownOutcomes(&model, summary);
    const Snapshot now = TakeSnapshot();
    CheckFinalState(model, now, summary);
    v1::CheckInvariantsResponse inv;
    grpc::Status st = Call([&](grpc::ClientContext* ctx) {
      return Stub()->CheckInvariants(ctx, v1::CheckInvariantsRequest(), &inv);
    });
    ASSERT_TRUE(st.ok()) << st.error_message();
    summary->invariants_ok = inv.ok();
    EXPECT_TRUE(inv.ok()) << inv.ShortDebugString();
  }

  // Every acknowledged operation is present: its replay (same request_id, same request)
  // returns the first response, and all the replays together change nothing.
  void CheckAcknowledgedReplays(const std::vector<const OpRecord*>& acked, Summary* summary) {
    const Snapshot before = TakeSnapshot();
    ASSERT_FALSE(HasFailure()) << "cannot read the state";
    std::atomic<size_t> next{0};
    std::atomic<int64_t> mismatches{0};
    std::mutex report_mu;
    std::vector<std::string> reports;
    auto replay_some = [&] {
      for (size_t i = next++; i < acked.size(); i = next++) {
        const OpRecord& r = *acked[i];
        WithMessages(r, [&](const Message& req, const Message& first) {
          std::unique_ptr<Message> again = NewResponse(r.kind);
          grpc::Status st = Replay(r.kind, req, again.get());
          std::string problem;
          if (!st.ok()) {
            problem =
                "replay answered " + std::to_string(st.error_code()) + " " + st.error_message();
          } else if (std::string d = Diff(first, *again); !d.empty()) {
            problem = "replay returned a different result: " + d;
          }
          if (problem.empty()) return;
          ++mismatches;
          std::lock_guard<std::mutex> lock(report_mu);
          if (reports.size() < 10) {
            reports.push_back(std::string("acknowledged ") + KindName(r.kind) + " " +
                              req.ShortDebugString() + " (first: " + first.ShortDebugString() +
                              "): " + problem);
          }
        });
      }
    };
    std::vector<std::thread> replayers;
    for (int i = 0; i < 8; ++i) replayers.emplace_back(replay_some);
    for (std::thread& t : replayers) t.join();
    summary->replays = static_cast<int64_t>(acked.size());
    for (const std::string& r : reports) ADD_FAILURE() << r;
    EXPECT_EQ(mismatches.load(), 0) << "acknowledged operations lost or applied twice";
    ExpectSameSnapshot(before, TakeSnapshot(), "after replaying every acknowledged operation");
  }

  // Every unknown outcome, replayed with its request_id, applies exactly once: either the
  // daemon already has it (the replay changes nothing) or it applies now. Sequential, so
  // the stock of the touched SKUs before and after tells which.
  void ResolveUnknownOutcomes(Model* model, Summary* summary) {
    for (const auto& w : workers_) {
      for (const OpRecord& r : w->unknown()) {
        std::unique_ptr<Message> req = NewRequest(r.kind);
        std::unique_ptr<Message> resp = NewResponse(r.kind);
        req->ParseFromString(r.request);
        const std::vector<std::string> skus = TouchedSkus(r.kind, *req, *model);
        const std::string stock_before = StockOf(skus);
        grpc::Status st = Replay(r.kind, *req, resp.get());
        const bool changed = StockOf(skus) != stock_before;
        if (lossy_ && IsHoldOp(r.kind) && lost_holds_.count(StringField(*req, "hold_id")) > 0 &&
            !st.ok() && Classify(st.error_code()) != Verdict::kUnknown) {
          ++summary->refused_lost_hold;  // its Reserve (or last change) was lost
          EXPECT_FALSE(changed) << "a refused replay changed stock: " << req->ShortDebugString();
          continue;
        }
        switch (Classify(st.error_code())) {
          case Verdict::kAcked:
            ++(changed ? summary->applied_now : summary->had_applied);
            model->Apply(r.kind, *req, *resp);
            break;
          case Verdict::kRejected:
            ++summary->refused_now;
            EXPECT_FALSE(changed) << "a refused replay changed stock: " << req->ShortDebugString();
            EXPECT_TRUE(!IsHoldOp(r.kind) || r.kind == Kind::kFulfill)
                << "unknown " << KindName(r.kind)
                << " of an owned hold refused on replay: " << req->ShortDebugString() << ": "
                << st.error_message();
            break;
          default:
            ADD_FAILURE() << "replay of unknown-outcome " << KindName(r.kind) << " "
                          << req->ShortDebugString() << " answered " << st.error_code() << " "
                          << st.error_message();
        }
      }
    }
  }

  // The served state equals the model: counters per SKU x location, the open holds field
  // for field, Σ open holds == held/committed, no negative counter, and every channel's
  // availability equals the formula recomputed here from GetStock and the config.
  void CheckFinalState(const Model& model, const Snapshot& now, Summary* summary) {
    for (const std::string& p : model.problems()) ADD_FAILURE() << "model: " << p;
    int reported = 0;
    auto report = [&reported](const std::string& what) {
      if (reported++ < 20) ADD_FAILURE() << what;
    };
    std::map<std::string, SkuRows> daemon_rows;
    for (const std::string& sku : AllSkus()) {
      SkuRows& rows = daemon_rows[sku];
      for (const v1::StockRow& r : now.stock.at(sku).rows()) {
        rows[r.location()] = Row{r.on_hand(), r.held(), r.committed()};
        if (r.on_hand() < 0 || r.held() < 0 || r.committed() < 0) {
          report("negative counter: " + r.ShortDebugString());
        }
        if (r.free() != r.on_hand() - r.held() - r.committed()) {
          report("free != on_hand - held - committed: " + r.ShortDebugString());
        }
        ++summary->rows;
      }
      SkuRows expected;
      if (sku == kProbeSku) {
        expected[kWarehouse].on_hand = kProbeOnHand;
      } else {
        expected = model.Expected(sku);
      }
      for (const char* location : {kWarehouse, kStore}) {
        const Row got = rows.count(location) ? rows.at(location) : Row{};
        const Row want = expected.count(location) ? expected.at(location) : Row{};
        if (got != want) {
          report(sku + "@" + location + ": daemon " + ToString(got) + ", model " + ToString(want) +
                 " (on_hand/held/committed)");
        }
      }
      SkuRows from_holds;
      std::map<std::string, v1::Hold> want_holds = model.OpenHolds(sku);
      for (const v1::Hold& h : now.holds.at(sku).holds()) {
        for (const v1::HoldLine& l : h.lines()) {
          if (l.sku() != sku) continue;
          if (h.state() == v1::HELD) from_holds[l.location()].held += l.qty();
          if (h.state() == v1::COMMITTED) {
            from_holds[l.location()].committed += l.qty() - l.fulfilled();
          }
        }
        auto it = want_holds.find(h.hold_id());
        if (it == want_holds.end()) {
          report("open hold the model does not know: " + h.ShortDebugString());
          continue;
        }
        if (std::string d = Diff(it->second, h); !d.empty()) {
          report("hold " + h.hold_id() + " differs from its last acknowledged state: " + d);
        }
        want_holds.erase(it);
        if (sku == h.lines(0).sku()) ++summary->open_holds;
      }
      for (const auto& [id, h] : want_holds) {
        report("open hold missing in the daemon: " + h.ShortDebugString());
      }
      for (const auto& [location, r] : rows) {
        const Row sum = from_holds.count(location) ? from_holds.at(location) : Row{};
        if (r.held != sum.held || r.committed != sum.committed) {
          report(sku + "@" + location + ": held/committed " + std::to_string(r.held) + "/" +
                 std::to_string(r.committed) + " but open holds sum to " +
                 std::to_string(sum.held) + "/" + std::to_string(sum.committed));
        }
      }
    }

    const std::vector<std::string> skus = AllSkus();
    const Shop& shop = TheShop();
    ASSERT_EQ(now.availability.items_size(), static_cast<int>(skus.size() * shop.channels.size()));
    int item = 0;
    for (const std::string& sku : skus) {
      for (const ChannelSpec& channel : shop.channels) {
        const v1::Availability& a = now.availability.items(item++);
        auto [reservable, published] = ExpectedAvailability(shop, channel, sku, daemon_rows[sku]);
        if (a.sku() != sku || a.channel() != channel.id || a.reservable() != reservable ||
            a.published() != published) {
          report("availability " + a.ShortDebugString() + ", recomputed " + sku + "/" + channel.id +
                 " reservable " + std::to_string(reservable) + " published " +
                 std::to_string(published));
        }
      }
    }
  }

  // A last SIGKILL + restart (no load) must serve exactly what was served before it: the
  // state in Redis is the state in memory, idempotency records included.
  void CheckRestartServesSameState(Summary* summary) {
    const Snapshot served = TakeSnapshot();
    ASSERT_NO_FATAL_FAILURE(KillStockd());
    ASSERT_NO_FATAL_FAILURE(StartStockd());
    ExpectSameSnapshot(served, TakeSnapshot(), "after a final SIGKILL and restart");
    v1::CheckInvariantsResponse inv;
    grpc::Status st = Call([&](grpc::ClientContext* ctx) {
      return Stub()->CheckInvariants(ctx, v1::CheckInvariantsRequest(), &inv);
    });
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_TRUE(inv.ok()) << inv.ShortDebugString();
    int64_t checked = 0;
    for (const auto& w : workers_) {
      const std::vector<OpRecord>& acked = w->acked();
      for (size_t i = 0; i < acked.size(); i += 1 + acked.size() / 50) {  // ~50 per worker
        if (Lost(acked[i])) continue;
        WithMessages(acked[i], [&](const Message& req, const Message& first) {
          std::unique_ptr<Message> again = NewResponse(acked[i].kind);
          grpc::Status rst = Replay(acked[i].kind, req, again.get());
          EXPECT_TRUE(rst.ok()) << rst.error_message();
          EXPECT_EQ(Diff(first, *again), "") << req.ShortDebugString();
        });
        ++checked;
      }
    }
    summary->replays += checked;
  }

  // An acknowledged operation that Redis lost, in the lossy variant: left out of the model
  // and the replays (replaying it would apply it anew).
  bool Lost(const OpRecord& r) const {
    if (!lossy_ || lost_requests_.empty()) return false;
    std::unique_ptr<Message> req = NewRequest(r.kind);
    req->ParseFromString(r.request);
    return lost_requests_.count(StringField(*req, "request_id")) > 0;
  }

  std::string dir_, data_dir_, config_path_, log_path_, binary_;
  int port_ = 0;
  pid_t stockd_pid_ = 0;
  std::vector<std::string> skus_;
  Harness harness_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Probe> probe_;
  std::vector<std::thread> threads_;
  std::vector<OpRecord> seed_;
  std::vector<double> start_ms_;
  std::vector<Outage> outages_;
  int startup_kills_ = 0;
  // Redis-kill variants (FindLostAcks): the acknowledged operations Redis lost and the
  // holds they created or changed. Only the lossy (everysec) variant tolerates them.
  bool lossy_ = false;
  std::set<std::string> lost_requests_;
  std::set<std::string> lost_holds_;
};

TEST_F(CrashTest, KillStockdEverysec) { Run(Target::kStockd, "everysec"); }
TEST_F(CrashTest, KillStockdAlways) { Run(Target::kStockd, "always"); }
TEST_F(CrashTest, KillRedisAlways) { Run(Target::kRedis, "always"); }
// Not in the default suite: with appendfsync everysec, Redis 7.0 may postpone its AOF
// write by up to 2 s while still replying when a background fsync is slow (busy disk), so
// a SIGKILL of redis-server can lose acknowledged writes — the reason the embedded
// default is `always` (docs/storage.md). It reports those losses (lost/acknowledged per
// cycle and in total) instead of failing on them, and fails on anything else: a double
// apply, a violated invariant, a state that differs from what Redis kept, a crash.
// `scripts/crash-test --include-lossy` (or `--fsync everysec`) runs it.
TEST_F(CrashTest, DISABLED_KillRedisEverysec) { Run(Target::kRedis, "everysec"); }

}  // namespace
}  // namespace stockd
