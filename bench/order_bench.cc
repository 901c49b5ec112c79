// stockd-order-bench: the inbound-order figures of issue 13 (docs/orders.md, "Measured").
//
// Hosts the fake marketplace in-process (tests/fakes/fake_channel_server.h) so that it can
// time both ends exactly, and for each phase starts a fresh, durable `stockd` (embedded
// Redis in a data_dir, appendfsync always) whose channels amazon, web and ebay all push
// through the webhook plugin to that fake:
//
//   poll        orders placed on the fake's amazon book at --rate per second, one line each,
//               round robin over --skus SKUs; amazon polled every --poll-interval.
//   webhook     the same with polling off: each order is POSTed to stockd's receiver
//               (signed, as the fake's DeliverOrders does) right after it is placed.
//   throughput  --senders threads each place --lines-line orders and POST them to the
//               receiver, waiting for its 200 (durable) before the next, for --seconds.
//
// Latency of an order: from just before PlaceOrder to the moment the fake acknowledged,
// on BOTH web and ebay, a pushed quantity that reflects it (bench/order_acks.h). After
// each phase every placed order is checked in stockd: listed exactly once, at revision 1,
// with its lines, and every SKU's held + committed equals the units placed on it.
//
// Usage: stockd-order-bench --stockd PATH --plugin-dir DIR [--phase all|poll|webhook|
//        throughput] [--seconds N] [--poll-interval MS] [--rate N] [--skus N]
//        [--senders N] [--lines N] [--workdir DIR]
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/order_acks.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_channel_server.h"

namespace stockd::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kStock = 1'000'000;  // on hand per SKU at the start
constexpr char kSecret[] = "order-bench-secret";

struct Options {
  std::string stockd;
  std::string plugin_dir;
  std::string workdir;
  std::string phase = "all";
  int seconds = 10;
  int poll_interval_ms = 1000;
  int rate = 10;
  int skus = 500;
  int senders = 4;  // the receiver serves 4 connections at a time (its threads)
  int lines = 4;
};

struct PhaseResult {
  std::string name;
  int64_t orders = 0;
  int64_t lines = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // per reflected order (latency phases) or per POST
  int64_t unreflected = 0;
  int64_t failed_posts = 0;  // answers other than 200, retried
  int64_t lost = 0;
  int64_t duplicates = 0;
  int64_t wrong_counters = 0;  // SKUs whose held + committed is not the units placed
  std::string error;
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string Sku(int i) { return absl::StrFormat("OB-%06d", i); }

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// One phase's daemon and fake marketplace.
class Rig {
 public:
  Rig(const Options& options, std::string phase, bool poll)
      : options_(options), phase_(std::move(phase)), poll_(poll) {}
  ~Rig() { Stop(); }

  bool Start(OrderAcks* acks, std::string* error) {
    fake_ = std::make_unique<fakes::FakeChannelServer>();
    fake_->OnBatch([acks](const fakes::ReceivedBatch& batch) {
      const int64_t now = NowNs();
      for (const fakes::ReceivedItem& item : batch.items) {
        acks->Ack(batch.channel, item.sku, item.quantity, now);
      }
    });
    if (!fake_->Start(error)) return false;
    dir_ = absl::StrCat(options_.workdir, "/", phase_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/secret") << kSecret << "\n";
    ::chmod((dir_ + "/secret").c_str(), 0600);
    grpc_port_ = FreePort();
    receiver_port_ = FreePort();
    const std::string adapter =
        absl::StrCat("{plugin: webhook, config: {url: \"", fake_->url(), "\", timeout_ms: 2000}}");
    const std::string yaml = absl::StrCat(
        "server: {listen: \"127.0.0.1:", grpc_port_, "\"}\n", "data_dir: ", dir_, "/data\n",
        "plugin_dir: ", options_.plugin_dir, "\n", "orders: {listen: \"127.0.0.1:", receiver_port_,
        "\"}\n", "locations: [{id: wh, type: warehouse}]\n", "channels:\n",
        "  - id: amazon\n    type: marketplace\n    sources: [wh]\n    adapter: ", adapter,
        "\n    orders: {poll_interval: ", poll_ ? options_.poll_interval_ms : 0,
        "ms, webhook: {signature: stockd, secret_file: \"", dir_, "/secret\"}}\n",
        "  - id: web\n    type: webshop\n    sources: [wh]\n    adapter: ", adapter,
        "\n    orders: {poll_interval: 0s}\n",
        "  - id: ebay\n    type: marketplace\n    sources: [wh]\n    adapter: ", adapter,
        "\n    orders: {poll_interval: 0s}\n");
    std::ofstream(dir_ + "/stockd.yaml") << yaml;

    // The daemon dies with this process (PR_SET_PDEATHSIG), even when it is killed.
    const std::string log = dir_ + "/stockd.log";
    const std::string config = dir_ + "/stockd.yaml";
    std::vector<char*> argv = {const_cast<char*>(options_.stockd.c_str()),
                               const_cast<char*>("--config"), const_cast<char*>(config.c_str()),
                               nullptr};
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      *error = absl::StrCat("cannot write ", log);
      return false;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    if (pid_ < 0) {
      *error = absl::StrCat("cannot start ", options_.stockd, ": ", strerror(errno));
      return false;
    }
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                                                   grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 300; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      v1::ConfigSummary summary;
      if (stub_->GetConfigSummary(&ctx, v1::GetConfigSummaryRequest(), &summary).ok()) {
        return true;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *error = absl::StrCat("stockd exited at start; see ", log);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    *error = absl::StrCat("stockd did not answer within 30 s; see ", log);
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (fake_) fake_->Stop();
  }

  // Counts kStock units of every SKU at wh and waits until web and ebay acknowledged them.
  bool Setup(const OrderAcks& acks, std::string* error) {
    for (int first = 0; first < options_.skus; first += 500) {
      v1::BatchRequest request;
      for (int i = first; i < std::min(options_.skus, first + 500); ++i) {
        v1::CountRequest* count = request.add_ops()->mutable_count();
        count->set_request_id(absl::StrCat("setup/", Sku(i)));
        count->set_location("wh");
        count->set_sku(Sku(i));
        count->set_on_hand(kStock);
      }
      grpc::ClientContext ctx;
      v1::BatchResponse response;
      grpc::Status st = stub_->Batch(&ctx, request, &response);
      if (!st.ok()) {
        *error = absl::StrCat("setup Batch: ", st.error_message());
        return false;
      }
      for (const v1::BatchResult& r : response.results()) {
        if (r.code() != 0) {
          *error = absl::StrCat("setup count: ", r.message());
          return false;
        }
      }
    }
    const auto end = Clock::now() + std::chrono::seconds(60);
    while (acks.AckedSkus("web") < options_.skus || acks.AckedSkus("ebay") < options_.skus) {
      if (Clock::now() > end) {
        *error = "the initial push of web and ebay did not finish within 60 s";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // A SKU pushed less than coalesce_window (1 s, the default) ago waits out the rest of
    // it: the first orders would measure the initial push's window, not the order's path.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return true;
  }

  // POSTs the order as it is on the fake now to the receiver, as one signed event; the
  // receiver's status (0: no answer).
  int Deliver(httplib::Client* client, const std::string& order_id) {
    absl::StatusOr<fakes::FakeOrder> order = fake_->orders().Get("amazon", order_id);
    if (!order.ok()) return 0;
    const std::string event_id = absl::StrCat("amazon/", order_id, "/", order->revision);
    const int64_t sent_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    const std::string body = nlohmann::ordered_json{
        {"event_id", event_id},
        {"channel", "amazon"},
        {"sent_at_ms", sent_at_ms},
        {"order", fakes::FakeOrderToJson(
                      *order)}}.dump();
    httplib::Headers headers = {{"X-Stockd-Event-Id", event_id},
                                {"X-Stockd-Timestamp", absl::StrCat(sent_at_ms)},
                                {"X-Stockd-Signature", fakes::WebhookSignature(kSecret, body)}};
    httplib::Result res = client->Post("/orders/amazon", headers, body, "application/json");
    return res ? res->status : 0;
  }

  std::unique_ptr<httplib::Client> NewClient() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", receiver_port_);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // headers and body are two writes: no Nagle wait
    client->set_read_timeout(10, 0);
    return client;
  }

  // Checks stockd against `placed` (order id -> its lines' SKU and units).
  void Verify(const std::map<std::string, std::vector<std::pair<std::string, int64_t>>>& placed,
              PhaseResult* result) {
    std::map<std::string, int> seen;
    std::string token;
    do {
      v1::ListOrdersRequest request;
      request.set_channel("amazon");
      request.set_limit(1000);
      request.set_page_token(token);
      v1::ListOrdersResponse response;
      grpc::ClientContext ctx;
      grpc::Status st = stub_->ListOrders(&ctx, request, &response);
      if (!st.ok()) {
        result->error = absl::StrCat("ListOrders: ", st.error_message());
        return;
      }
      for (const v1::Order& order : response.orders()) {
        const int n = ++seen[order.order_id()];
        auto it = placed.find(order.order_id());
        int64_t units = 0;
        for (const v1::OrderLine& line : order.lines()) units += line.qty();
        int64_t want = 0;
        if (it != placed.end()) {
          for (const auto& [sku, qty] : it->second) want += qty;
        }
        // Another copy, an order never placed, or not as placed (a revision other than 1,
        // other units): each counts as a duplicate.
        if (n > 1 || it == placed.end() || order.revision() != 1 || units != want) {
          ++result->duplicates;
        }
      }
      token = response.next_page_token();
    } while (!token.empty());
    std::map<std::string, int64_t> units;
    for (const auto& [id, lines] : placed) {
      if (seen.find(id) == seen.end()) ++result->lost;
      for (const auto& [sku, qty] : lines) units[sku] += qty;
    }
    for (int i = 0; i < options_.skus; ++i) {
      v1::GetStockRequest request;
      request.set_sku(Sku(i));
      v1::GetStockResponse response;
      grpc::ClientContext ctx;
      grpc::Status st = stub_->GetStock(&ctx, request, &response);
      int64_t taken = -1;
      if (st.ok() && response.rows_size() == 1) {
        taken = response.rows(0).held() + response.rows(0).committed();
      }
      if (taken != units[Sku(i)]) ++result->wrong_counters;
    }
  }

  fakes::FakeChannelServer& fake() { return *fake_; }

 private:
  const Options& options_;
  const std::string phase_;
  const bool poll_;
  std::string dir_;
  int grpc_port_ = 0;
  int receiver_port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<fakes::FakeChannelServer> fake_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

// Phases poll and webhook: one-line orders at options.rate per second, round robin.
PhaseResult RunLatency(const Options& options, bool webhook) {
  PhaseResult result;
  result.name = webhook ? "webhook" : "poll";
  OrderAcks acks({"web", "ebay"});
  Rig rig(options, result.name, !webhook);
  if (!rig.Start(&acks, &result.error) || !rig.Setup(acks, &result.error)) return result;
  std::unique_ptr<httplib::Client> client = rig.NewClient();
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> placed;
  std::vector<int64_t> ordered(static_cast<size_t>(options.skus), 0);
  std::vector<int64_t> started_ns;
  const int64_t total = static_cast<int64_t>(options.rate) * options.seconds;
  const auto start = Clock::now();
  for (int64_t n = 0; n < total; ++n) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(n * 1'000'000 / options.rate));
    const int sku = static_cast<int>(n % options.skus);
    const std::string id = absl::StrCat("P-", n);
    ordered[sku] += 1;
    acks.Expect(Sku(sku), kStock - ordered[sku]);
    started_ns.push_back(NowNs());
    absl::Status st = rig.fake().orders().PlaceOrder("amazon", id, {{Sku(sku), 1, ""}});
    if (!st.ok()) {
      result.error = st.ToString();
      return result;
    }
    placed[id] = {{Sku(sku), 1}};
    if (webhook) {
      while (rig.Deliver(client.get(), id) != 200) {
        if (++result.failed_posts > 100) {
          result.error = "the receiver keeps refusing deliveries";
          return result;
        }
      }
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  acks.AwaitAllReflected(absl::Milliseconds(options.poll_interval_ms) + absl::Seconds(10));
  result.orders = total;
  result.lines = total;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t done = acks.DoneAtNs(i);
    if (done < 0) {
      ++result.unreflected;
    } else {
      result.latency_ms.push_back(static_cast<double>(done - started_ns[i]) / 1e6);
    }
  }
  rig.Verify(placed, &result);
  return result;
}

// Phase throughput: senders place multi-line orders and deliver them, each waiting for the
// receiver's 200 (the order is durable) before placing the next.
PhaseResult RunThroughput(const Options& options) {
  PhaseResult result;
  result.name = "throughput";
  OrderAcks acks({"web", "ebay"});
  Rig rig(options, result.name, /*poll=*/false);
  if (!rig.Start(&acks, &result.error) || !rig.Setup(acks, &result.error)) return result;
  struct Sender {
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> placed;
    std::vector<double> post_ms;
    int64_t lines_in_window = 0;
    int64_t failed = 0;
    std::string error;
  };
  std::vector<Sender> senders(static_cast<size_t>(options.senders));
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(options.seconds);
  std::vector<std::thread> threads;
  for (int s = 0; s < options.senders; ++s) {
    threads.emplace_back([&, s] {
      Sender& me = senders[static_cast<size_t>(s)];
      std::unique_ptr<httplib::Client> client = rig.NewClient();
      std::mt19937_64 rng(static_cast<uint64_t>(s) * 7919 + 1);
      std::uniform_int_distribution<int> pick(0, options.skus - 1);
      for (int64_t n = 0;; ++n) {
        const std::string id = absl::StrCat("T-", s, "-", n);
        std::vector<fakes::NewOrderLine> lines;
        std::vector<std::pair<std::string, int64_t>> record;
        while (static_cast<int>(lines.size()) < options.lines) {
          const std::string sku = Sku(pick(rng));
          if (std::any_of(lines.begin(), lines.end(),
                          [&](const fakes::NewOrderLine& l) { return l.listing_id == sku; })) {
            continue;
          }
          const int64_t qty = 1 + static_cast<int64_t>(rng() % 3);
          lines.push_back({sku, qty, ""});
          record.emplace_back(sku, qty);
        }
        absl::Status st = rig.fake().orders().PlaceOrder("amazon", id, lines);
        if (!st.ok()) {
          me.error = st.ToString();
          return;
        }
        me.placed[id] = std::move(record);
        const auto t0 = Clock::now();
        int status = 0;
        while ((status = rig.Deliver(client.get(), id)) != 200) {
          ++me.failed;
          if (me.failed > 1000) {
            me.error = absl::StrCat("the receiver keeps answering ", status);
            return;
          }
        }
        const auto t1 = Clock::now();
        me.post_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (t1 <= end) me.lines_in_window += options.lines;
        if (t1 >= end) return;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  result.seconds = options.seconds;
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> placed;
  for (Sender& s : senders) {
    if (!s.error.empty()) result.error = s.error;
    result.failed_posts += s.failed;
    result.lines += s.lines_in_window;
    result.orders += static_cast<int64_t>(s.placed.size());
    result.latency_ms.insert(result.latency_ms.end(), s.post_ms.begin(), s.post_ms.end());
    placed.merge(s.placed);
  }
  rig.Verify(placed, &result);
  return result;
}

void Print(const std::vector<PhaseResult>& results, const Options& options) {
  std::printf("%-11s %8s %8s %9s %9s %9s %11s %6s %10s %5s %14s\n", "phase", "orders", "lines",
              "p50_ms", "p99_ms", "max_ms", "lines/s", "unacked", "duplicates", "lost",
              "wrong_counters");
  for (const PhaseResult& r : results) {
    std::printf("%-11s %8lld %8lld %9.1f %9.1f %9.1f %11.0f %6lld %10lld %5lld %14lld\n",
                r.name.c_str(), static_cast<long long>(r.orders), static_cast<long long>(r.lines),
                Quantile(r.latency_ms, 0.5), Quantile(r.latency_ms, 0.99),
                Quantile(r.latency_ms, 1.0), r.seconds > 0 ? r.lines / r.seconds : 0.0,
                static_cast<long long>(r.unreflected), static_cast<long long>(r.duplicates),
                static_cast<long long>(r.lost), static_cast<long long>(r.wrong_counters));
    if (!r.error.empty()) std::printf("  %s: ERROR %s\n", r.name.c_str(), r.error.c_str());
    if (r.failed_posts > 0) {
      std::printf("  %s: %lld deliveries answered other than 200 (retried)\n", r.name.c_str(),
                  static_cast<long long>(r.failed_posts));
    }
  }
  std::printf(
      "latency: poll/webhook = order placed -> web AND ebay acknowledged a quantity reflecting "
      "it (poll interval %d ms); throughput = one delivery's POST -> 200 (durable)\n",
      options.poll_interval_ms);
  for (const PhaseResult& r : results) {
    std::printf(
        "order-bench: phase=%s orders=%lld lines=%lld p50_ms=%.1f p99_ms=%.1f "
        "max_ms=%.1f lines_per_s=%.0f unacked=%lld duplicates=%lld lost=%lld "
        "wrong_counters=%lld error=%s\n",
        r.name.c_str(), static_cast<long long>(r.orders), static_cast<long long>(r.lines),
        Quantile(r.latency_ms, 0.5), Quantile(r.latency_ms, 0.99), Quantile(r.latency_ms, 1.0),
        r.seconds > 0 ? r.lines / r.seconds : 0.0, static_cast<long long>(r.unreflected),
        static_cast<long long>(r.duplicates), static_cast<long long>(r.lost),
        static_cast<long long>(r.wrong_counters), r.error.empty() ? "none" : "yes");
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: stockd-order-bench --stockd PATH --plugin-dir DIR [--phase "
               "all|poll|webhook|throughput] [--seconds N] [--poll-interval MS] [--rate N] "
               "[--skus N] [--senders N] [--lines N] [--workdir DIR]\n");
  return 2;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage();
    const std::string value = argv[++i];
    auto number = [&](int* out, int min) {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || v < min || v > 1'000'000) return false;
      *out = static_cast<int>(v);
      return true;
    };
    bool ok = true;
    if (flag == "--stockd") {
      o.stockd = value;
    } else if (flag == "--plugin-dir") {
      o.plugin_dir = value;
    } else if (flag == "--workdir") {
      o.workdir = value;
    } else if (flag == "--phase") {
      o.phase = value;
      ok = value == "all" || value == "poll" || value == "webhook" || value == "throughput";
    } else if (flag == "--seconds") {
      ok = number(&o.seconds, 1);
    } else if (flag == "--poll-interval") {
      ok = number(&o.poll_interval_ms, 10);
    } else if (flag == "--rate") {
      ok = number(&o.rate, 1);
    } else if (flag == "--skus") {
      ok = number(&o.skus, 4);
    } else if (flag == "--senders") {
      ok = number(&o.senders, 1);
    } else if (flag == "--lines") {
      ok = number(&o.lines, 1);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad %s %s\n", flag.c_str(), value.c_str());
      return Usage();
    }
  }
  if (o.stockd.empty() || o.plugin_dir.empty() || o.lines > o.skus) return Usage();
  bool own_workdir = false;
  if (o.workdir.empty()) {
    char tmpl[] = "/tmp/stockd-order-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 1;
    o.workdir = tmpl;
    own_workdir = true;
  }
  std::vector<PhaseResult> results;
  if (o.phase == "all" || o.phase == "poll") results.push_back(RunLatency(o, false));
  if (o.phase == "all" || o.phase == "webhook") results.push_back(RunLatency(o, true));
  if (o.phase == "all" || o.phase == "throughput") results.push_back(RunThroughput(o));
  Print(results, o);
  bool bad = false;
  for (const PhaseResult& r : results) {
    bad = bad || !r.error.empty() || r.lost > 0 || r.duplicates > 0 || r.wrong_counters > 0;
  }
  if (own_workdir && !bad) std::filesystem::remove_all(o.workdir);
  if (bad) std::fprintf(stderr, "order-bench: kept %s for inspection\n", o.workdir.c_str());
  return bad ? 1 : 0;
}

}  // namespace
}  // namespace stockd::bench

int main(int argc, char** argv) { return stockd::bench::Main(argc, argv); }
