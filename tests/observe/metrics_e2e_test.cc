// The metrics port of a real Daemon (embedded Redis, a channel pushing through the file
// adapter, one pushing through the webhook adapter to an address nobody listens on):
// scraped and parsed, the values move with the operations (a reserve counts once, an
// error under its code, the holds gauge is the open holds); /status.json against the
// daemon's state; a real Prometheus server scraping it; the status page in headless
// Chromium.
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "daemon/observe/rpc_metrics.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/prom_text.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace stockd {
namespace {

using namespace std::chrono_literals;
using testing::ParsePromText;
using testing::PromKey;
using testing::PromText;

// A TCP port free now on 127.0.0.1 (for a server that cannot bind port 0 and say which).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Starts `argv` with stdout and stderr to `log`; the child's pid (0 on failure).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : 0;
}

// SIGTERM, then SIGKILL after `grace`; reaps it.
void Stop(pid_t pid, std::chrono::milliseconds grace = 10s) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(20ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MetricsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/secret") << "s3cret\n";
    absl::StatusOr<config::Config> config = config::ParseConfig(Yaml(), "metrics.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    ASSERT_GT(daemon_->metrics_port(), 0);
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(daemon_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  std::string Yaml() {
    const std::string& d = dir_.path();
    return R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
data_dir: )yaml" + d + R"yaml(/data
plugin_dir: )yaml" + std::string(STOCKD_BINARY_DIR) + R"yaml(/plugins
metrics: {listen: "127.0.0.1:0"}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - id: webshop
    type: webshop
    sources: [wh, store]
    protect: {store: 1}
    adapter: {plugin: file, config: {path: ")yaml" + d + R"yaml(/webshop.jsonl"}}
  - id: amazon
    type: marketplace
    sources: [wh]
    adapter:
      plugin: webhook
      config: {url: "http://127.0.0.1:1/stock", secret_file: ")yaml" + d + R"yaml(/secret",
               timeout_ms: 200, connect_timeout_ms: 100}
      retry_initial: 50ms
      retry_max: 200ms
    orders: {poll_interval: 0s}
  - {id: pos, type: store, sources: [store]}
)yaml";
  }

  std::string Url() const { return "127.0.0.1:" + std::to_string(daemon_->metrics_port()); }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("http://" + Url());
    client.set_read_timeout(5, 0);
    return client.Get(path.c_str());
  }

  PromText Scrape() {
    httplib::Result res = Get("/metrics");
    EXPECT_TRUE(static_cast<bool>(res)) << "no answer from /metrics";
    if (!res) return {};
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    PromText text = ParsePromText(res->body);
    EXPECT_TRUE(text.errors.empty()) << "unparsed: " << text.errors[0];
    return text;
  }

  nlohmann::json StatusJson() {
    httplib::Result res = Get("/status.json");
    EXPECT_TRUE(res && res->status == 200) << "no 200 from /status.json";
    return res ? nlohmann::json::parse(res->body) : nlohmann::json();
  }

  grpc::Status Count(const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location("wh");
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    return stub_->Count(&ctx, req, &resp);
  }
  grpc::Status Reserve(const std::string& channel, const std::string& sku, int64_t qty) {
    grpc::ClientContext ctx;
    v1::ReserveRequest req;
    req.set_channel(channel);
    v1::HoldLine* line = req.add_lines();
    line->set_sku(sku);
    line->set_qty(qty);
    v1::ReserveResponse resp;
    return stub_->Reserve(&ctx, req, &resp);
  }
  // Waits until `pred` holds (up to `limit`); whether it did.
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  static std::string Rpc(const std::string& method, const std::string& code) {
    return PromKey("stockd_rpc_requests_total",
                   {{"service", "stockd.v1.Stock"}, {"method", method}, {"code", code}});
  }
  static double Or0(double v) { return std::isnan(v) ? 0 : v; }

  testing::TempDir dir_{"stockd-metrics"};
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(MetricsE2ETest, ValuesMoveWithTheOperations) {
  for (const char* sku : {"SKU-1", "SKU-2", "SKU-3"}) ASSERT_TRUE(Count(sku, 10).ok());
  const PromText before = Scrape();
  EXPECT_EQ(before.Type("stockd_rpc_requests_total"), "counter");
  EXPECT_EQ(before.Get(Rpc("Count", "OK")), 3);
  const double reserve_ok = Or0(before.Get(Rpc("Reserve", "OK")));
  const std::string reserve_count = PromKey(
      "stockd_rpc_duration_seconds_count", {{"service", "stockd.v1.Stock"}, {"method", "Reserve"}});
  const double reserve_seen = before.Get(reserve_count);
  EXPECT_EQ(before.Get("stockd_open_holds"), 0);

  ASSERT_TRUE(Reserve("webshop", "SKU-1", 2).ok());
  grpc::Status refused = Reserve("nowhere", "SKU-1", 1);  // no such channel
  ASSERT_FALSE(refused.ok());
  const std::string refused_code = observe::StatusCodeName(refused.error_code());

  const PromText after = Scrape();
  EXPECT_EQ(after.Get(Rpc("Reserve", "OK")), reserve_ok + 1);  // a reserve counts once
  EXPECT_EQ(after.Get(Rpc("Reserve", refused_code)), 1) << refused_code;
  EXPECT_EQ(after.Get(reserve_count), reserve_seen + 2);
  EXPECT_EQ(after.Get("stockd_open_holds"), daemon_->engine()->Stats().open_holds);
  EXPECT_EQ(after.Get("stockd_open_holds"), 1);
  EXPECT_EQ(after.Get("stockd_skus"), 3);
  // Storage: durable, up; every acknowledged write went through a group commit.
  EXPECT_EQ(after.Get("stockd_durable"), 1);
  EXPECT_EQ(after.Get("stockd_redis_up"), 1);
  EXPECT_EQ(after.Get("stockd_write_path_serving"), 1);
  EXPECT_EQ(after.Type("stockd_journal_batch_records"), "histogram");
  EXPECT_EQ(after.Get("stockd_journal_batch_records_sum"), after.Get("stockd_journal_records_total"));
  EXPECT_GE(after.Get("stockd_journal_records_total"), 4);  // 3 counts + 1 reserve
  EXPECT_EQ(after.Get("stockd_journal_commit_seconds_count"),
            after.Get("stockd_journal_batches_total"));
  EXPECT_EQ(after.Get(PromKey("stockd_redis_resyncs_total", {{"reload", "false"}})), 0);
  EXPECT_TRUE(after.Has("process_cpu_seconds_total"));
  EXPECT_GT(after.Get("process_open_fds"), 0);
  EXPECT_GT(after.Get("process_resident_memory_bytes"), 0);

  // Push: the file adapter acknowledges every SKU; the webhook one cannot reach its
  // endpoint, so amazon keeps its 3 SKUs dirty and counts retryable failures.
  const auto web = [](const char* name) { return PromKey(name, {{"channel", "webshop"}}); };
  const auto amazon = [](const char* name) { return PromKey(name, {{"channel", "amazon"}}); };
  ASSERT_TRUE(WaitFor([&] {
    PromText t = Scrape();
    return t.Get(web("stockd_channel_push_backlog")) == 0 &&
           t.Get(web("stockd_channel_acknowledged_skus")) == 3 &&
           t.Get(PromKey("stockd_channel_push_failures_total",
                         {{"channel", "amazon"}, {"kind", "retryable"}})) > 0;
  }));
  PromText t = Scrape();
  EXPECT_EQ(t.Type("stockd_channel_push_latency_seconds"), "histogram");
  EXPECT_EQ(t.Get(web("stockd_channel_push_latency_seconds_count")),
            t.Get(web("stockd_channel_pushed_items_total")));
  EXPECT_GE(t.Get(web("stockd_channel_pushed_items_total")), 3);
  EXPECT_EQ(t.Get(web("stockd_channel_push_oldest_dirty_age_seconds")), 0);
  EXPECT_EQ(t.Get(amazon("stockd_channel_push_backlog")), 3);
  EXPECT_GT(t.Get(amazon("stockd_channel_push_oldest_dirty_age_seconds")), 0);
  EXPECT_EQ(t.Get(amazon("stockd_channel_pushed_items_total")), 0);
  EXPECT_TRUE(t.Has(PromKey("stockd_channel_throttles_total",
                            {{"channel", "amazon"}, {"by", "channel"}})));
  EXPECT_EQ(t.Get(amazon("stockd_channel_drifted_skus_total")), 0);
  EXPECT_TRUE(t.Has(amazon("stockd_channel_paused")));
  // What the webhook plugin counts through stockd_host.count: every request it made, and
  // the ones that failed in transport (nobody listens).
  EXPECT_EQ(t.Type("stockd_adapter_requests_total"), "counter");
  EXPECT_GT(t.Get(amazon("stockd_adapter_requests_total")), 0);
  EXPECT_GT(t.Get(amazon("stockd_adapter_request_failures_total")), 0);
  EXPECT_LE(t.Get(amazon("stockd_adapter_request_failures_total")),
            t.Get(amazon("stockd_adapter_requests_total")));
  EXPECT_EQ(t.Get(PromKey("stockd_breaches_total", {{"channel", "pos"}})), 0);
  EXPECT_FALSE(t.Has(PromKey("stockd_channel_push_backlog", {{"channel", "pos"}})));  // no adapter
}

TEST_F(MetricsE2ETest, EndpointIsReadOnly) {
  httplib::Client client("http://" + Url());
  httplib::Result post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(static_cast<bool>(post));
  EXPECT_EQ(post->status, 405);
  httplib::Result missing = Get("/admin");
  ASSERT_TRUE(static_cast<bool>(missing));
  EXPECT_EQ(missing->status, 404);
  httplib::Result page = Get("/");
  ASSERT_TRUE(static_cast<bool>(page));
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(MetricsE2ETest, StatusJsonIsTheDaemonsState) {
  for (const char* sku : {"SKU-1", "SKU-2", "SKU-3"}) ASSERT_TRUE(Count(sku, 10).ok());
  ASSERT_TRUE(Reserve("webshop", "SKU-2", 1).ok());
  nlohmann::json s;
  ASSERT_TRUE(WaitFor([&] {
    s = StatusJson();
    return s["channels"][0]["backlog"] == 0 && s["channels"][1]["last_error"] != "";
  }));
  EXPECT_EQ(s["storage"]["durable"], true);
  EXPECT_EQ(s["storage"]["redis_up"], true);
  EXPECT_EQ(s["storage"]["write_serving"], true);
  EXPECT_EQ(s["engine"]["open_holds"], 1);
  ASSERT_EQ(s["channels"].size(), 3u);
  EXPECT_EQ(s["channels"][0]["id"], "webshop");
  EXPECT_EQ(s["channels"][0]["adapter"], "file");
  EXPECT_EQ(s["channels"][0]["published_skus"], 3);
  EXPECT_EQ(s["channels"][0]["acked_skus"], 3);
  EXPECT_EQ(s["channels"][1]["id"], "amazon");
  EXPECT_EQ(s["channels"][1]["backlog"], 3);
  EXPECT_EQ(s["channels"][2]["id"], "pos");
  EXPECT_EQ(s["channels"][2]["adapter"], "");
  EXPECT_EQ(s["channels"][2]["published_skus"], 0);  // nothing in the store
  for (const nlohmann::json& c : s["channels"]) EXPECT_EQ(c["breaches"], 0);
  EXPECT_TRUE(s["reloads"].empty());
  daemon_->RecordReload(1'700'000'000'000, false, "bad.yaml:2:3: channels[0].type: 'shop'");
  s = StatusJson();
  ASSERT_EQ(s["reloads"].size(), 1u);
  EXPECT_EQ(s["reloads"][0]["ok"], false);
  EXPECT_EQ(s["reloads"][0]["message"], "bad.yaml:2:3: channels[0].type: 'shop'");
}

TEST_F(MetricsE2ETest, APrometheusServerScrapesIt) {
  const std::string prometheus = "/usr/bin/prometheus";
  if (access(prometheus.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << prometheus;
  ASSERT_TRUE(Count("SKU-1", 10).ok());
  ASSERT_TRUE(Reserve("webshop", "SKU-1", 1).ok());
  const std::string cfg = dir_.path() + "/prometheus.yml";
  std::ofstream(cfg) << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                        "scrape_configs:\n"
                        "  - job_name: stockd\n"
                        "    static_configs: [{targets: ['"
                     << Url() << "']}]\n";
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const pid_t pid = Spawn({prometheus, "--config.file=" + cfg,
                           "--storage.tsdb.path=" + dir_.path() + "/tsdb",
                           "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                          dir_.path() + "/prometheus.log");
  ASSERT_GT(pid, 0);
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(5, 0);
  // The query API answers once Prometheus runs; the sample once it has scraped.
  nlohmann::json result;
  const bool scraped = WaitFor(
      [&] {
        httplib::Result r = api.Get(
            "/api/v1/query?query=stockd_rpc_requests_total%7Bmethod%3D%22Reserve%22%2C"
            "code%3D%22OK%22%7D");
        if (!r || r->status != 200) return false;
        nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].empty()) {
          return false;
        }
        result = j["data"]["result"][0];
        return true;
      },
      60s);
  httplib::Result up = api.Get("/api/v1/query?query=up%7Bjob%3D%22stockd%22%7D");
  Stop(pid);
  ASSERT_TRUE(scraped) << ReadFile(dir_.path() + "/prometheus.log");
  EXPECT_EQ(result["metric"]["service"], "stockd.v1.Stock");
  EXPECT_EQ(result["metric"]["job"], "stockd");
  EXPECT_EQ(result["value"][1], "1");  // [time, "value"]
  ASSERT_TRUE(up && up->status == 200);
  EXPECT_EQ(nlohmann::json::parse(up->body)["data"]["result"][0]["value"][1], "1");
}

TEST_F(MetricsE2ETest, ChromiumShowsTheStatusPage) {
  const std::string chromium = "/usr/bin/chromium";
  if (access(chromium.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << chromium;
  for (const char* sku : {"SKU-1", "SKU-2", "SKU-3"}) ASSERT_TRUE(Count(sku, 10).ok());
  nlohmann::json s;
  ASSERT_TRUE(WaitFor([&] {
    s = StatusJson();
    return s["channels"][0]["backlog"] == 0 && s["channels"][1]["last_error"] != "";
  }));
  const std::string dom = dir_.path() + "/dom.html";
  const pid_t pid = Spawn({chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-dev-shm-usage", "--user-data-dir=" + dir_.path() + "/chrome",
                           "--dump-dom", "http://" + Url() + "/status"},
                          dom);
  ASSERT_GT(pid, 0);
  int status = 0;
  const bool exited = WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 60s);
  if (!exited) Stop(pid);
  ASSERT_TRUE(exited) << "chromium did not finish";
  const std::string page = ReadFile(dom);
  // What the browser built from the page (its DOM, serialized), against the daemon.
  EXPECT_NE(page.find("<title>stockd status</title>"), std::string::npos) << page;
  for (const char* channel : {"webshop", "amazon", "pos"}) {
    EXPECT_NE(page.find(std::string("<tr data-channel=\"") + channel + "\">"), std::string::npos)
        << channel;
  }
  EXPECT_NE(page.find("<td class=\"n\" data-backlog=\"3\">3</td>"), std::string::npos) << page;
  EXPECT_NE(page.find("<td class=\"n\" data-backlog=\"0\">0</td>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"ok\">up</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"ok\">SERVING</span>"), std::string::npos);
  EXPECT_NE(page.find("none yet"), std::string::npos);  // no reload yet
  EXPECT_NE(page.find("none since start"), std::string::npos);  // no breach
  // amazon's adapter error as text (a serialized DOM escapes & < > in text). It may have
  // changed since /status.json was read (another SKU's retry): compare its stable part, the
  // adapter's words after "<SKU>: " up to the first digit.
  std::string error = s["channels"][1]["last_error"];
  const size_t from = error.find(": ") + 2;
  error = error.substr(from, error.find_first_of("0123456789", from) - from);
  ASSERT_GE(error.size(), 5u) << s["channels"][1]["last_error"];
  std::string text;
  for (char c : error) {
    text += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : std::string(1, c);
  }
  EXPECT_NE(page.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace stockd
