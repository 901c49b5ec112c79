// The observe layer in process (no server): metric names, types and labels as rendered
// in the Prometheus text format; the RPC series; the state read from an engine at scrape
// time (holds, breaches by channel); the reload record; the process collector's values;
// the status page's escaping and its JSON.
#include <unistd.h>

#include <ctime>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <prometheus/text_serializer.h>
#include <sstream>

#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/observe/observer.h"
#include "daemon/observe/process_collector.h"
#include "daemon/observe/status.h"
#include "gtest/gtest.h"
#include "tests/support/prom_text.h"
#include "tests/support/test_model.h"

namespace stockd::observe {
namespace {

using testing::ParsePromText;
using testing::PromKey;
using testing::PromText;

class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.clock = &clock_;
    auto engine = engine::Engine::Create(testing::ModelBuilder()
                                             .Location("wh")
                                             .Location("store", engine::LocationType::kStore)
                                             .Channel("web", engine::ChannelType::kWebshop,
                                                      {"wh", "store"})
                                             .Channel("pos", engine::ChannelType::kStore,
                                                      {"store"})
                                             .Protect("web", "store", 2)
                                             .Build(),
                                         options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    observer_ = std::make_unique<Observer>(
        ObserverOptions{{"/stockd.v1.Stock/Reserve", "/stockd.v1.Stock/GetStock"}, "9.9.9"});
    Sources sources;
    sources.engine = engine_.get();
    sources.now_ms = [this] { return clock_.NowMs(); };
    observer_->SetSources(sources, clock_.NowMs() - 5000);
  }

  PromText Scrape() {
    PromText text = ParsePromText(observer_->RenderMetrics());
    EXPECT_TRUE(text.errors.empty()) << text.errors.size() << " lines did not parse, first: "
                                     << text.errors[0];
    return text;
  }

  engine::ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Observer> observer_;
};

// The interceptor itself needs a server: tests/observe/metrics_e2e_test.cc.
TEST_F(ObserverTest, EveryServedMethodHasItsDurationSeriesFromTheStart) {
  PromText before = Scrape();
  EXPECT_EQ(before.Type("stockd_rpc_duration_seconds"), "histogram");
  // Every method has its duration series from the start; no request series before a call.
  EXPECT_EQ(before.Get(PromKey("stockd_rpc_duration_seconds_count",
                               {{"service", "stockd.v1.Stock"}, {"method", "Reserve"}})),
            0);
  EXPECT_FALSE(before.Has(PromKey("stockd_rpc_requests_total", {{"service", "stockd.v1.Stock"},
                                                                {"method", "Reserve"},
                                                                {"code", "OK"}})));
}

TEST_F(ObserverTest, EngineStateIsReadAtScrapeTime) {
  PromText t = Scrape();
  EXPECT_EQ(t.Type("stockd_open_holds"), "gauge");
  EXPECT_EQ(t.Get("stockd_open_holds"), 0);
  EXPECT_EQ(t.Type("stockd_breaches_total"), "counter");
  EXPECT_EQ(t.Get(PromKey("stockd_breaches_total", {{"channel", "web"}})), 0);
  EXPECT_EQ(t.Get(PromKey("stockd_breaches_total", {{"channel", "pos"}})), 0);
  EXPECT_EQ(t.Get("stockd_durable"), 0);      // no store: memory mode
  EXPECT_FALSE(t.Has("stockd_redis_up"));     // nothing to be up
  EXPECT_EQ(t.Get("stockd_write_path_serving"), 1);
  EXPECT_EQ(t.Get(PromKey("stockd_build_info", {{"version", "9.9.9"}})), 1);

  using testing::Cmd;
  ASSERT_TRUE(engine_->ExecuteAndWait(Cmd(testing::Count("store", "SKU-1", 3))).ok());
  ASSERT_TRUE(engine_->ExecuteAndWait(Cmd(testing::Count("wh", "SKU-2", 5))).ok());
  ASSERT_TRUE(engine_->ExecuteAndWait(Cmd(testing::Reserve("web", {testing::L("SKU-2", 1)})))
                  .ok());
  // pos may sell 3 - 2 protected for web = 1: selling 2 with override breaches by 1.
  absl::StatusOr<engine::Outcome> sold =
      engine_->ExecuteAndWait(Cmd(testing::Sell("pos", "store", "SKU-1", 2, true)));
  ASSERT_TRUE(sold.ok()) << sold.status();
  ASSERT_TRUE(sold->breach);
  t = Scrape();
  EXPECT_EQ(t.Get("stockd_open_holds"), 1);
  EXPECT_EQ(t.Get("stockd_skus"), 2);
  EXPECT_EQ(t.Get("stockd_mutations_total"), 4);
  EXPECT_EQ(t.Get(PromKey("stockd_breaches_total", {{"channel", "pos"}})), 1);
  EXPECT_EQ(t.Get(PromKey("stockd_breaches_total", {{"channel", "web"}})), 0);

  const StatusReport report = observer_->Status();
  ASSERT_EQ(report.breaches.size(), 1u);
  EXPECT_EQ(report.breaches[0].channel, "pos");
  EXPECT_EQ(report.breaches[0].operation, "sell");
  EXPECT_EQ(report.breaches[0].sku, "SKU-1");
  EXPECT_EQ(report.breaches[0].location, "store");
  EXPECT_EQ(report.breaches[0].units, 1);
  ASSERT_EQ(report.channels.size(), 2u);
  EXPECT_EQ(report.channels[0].id, "web");
  EXPECT_EQ(report.channels[1].breaches, 1);
  ASSERT_EQ(report.alerts.size(), 1u);  // the breach is within the hour
  EXPECT_EQ(report.alerts[0].name, "StockBreach");
  EXPECT_EQ(report.now_ms - report.started_ms, 5000);
}

TEST_F(ObserverTest, ReloadsAreCountedAndShownNewestFirst) {
  PromText t = Scrape();
  EXPECT_EQ(t.Get(PromKey("stockd_config_reloads_total", {{"result", "ok"}})), 0);
  EXPECT_EQ(t.Get(PromKey("stockd_config_reloads_total", {{"result", "error"}})), 0);
  EXPECT_FALSE(t.Has("stockd_config_last_reload_success"));
  EXPECT_TRUE(observer_->Status().reloads.empty());
  observer_->RecordReload(1'700'000'001'000, true, "2 channel policies changed");
  observer_->RecordReload(1'700'000'002'000, false, "x.yaml:3:4: channels[0].type: 'shop'");
  t = Scrape();
  EXPECT_EQ(t.Get(PromKey("stockd_config_reloads_total", {{"result", "ok"}})), 1);
  EXPECT_EQ(t.Get(PromKey("stockd_config_reloads_total", {{"result", "error"}})), 1);
  EXPECT_EQ(t.Get("stockd_config_last_reload_success"), 0);
  EXPECT_EQ(t.Get("stockd_config_last_reload_timestamp_seconds"), 1'700'000'002);
  const StatusReport report = observer_->Status();
  ASSERT_EQ(report.reloads.size(), 2u);
  EXPECT_FALSE(report.reloads[0].ok);
  EXPECT_EQ(report.reloads[1].message, "2 channel policies changed");
  for (int i = 0; i < 20; ++i) observer_->RecordReload(i, true, "again");
  EXPECT_EQ(observer_->Status().reloads.size(), Observer::kReloadsShown);
}

TEST(RpcMetricsTest, CountsEachFinishedCallOnceUnderItsCode) {
  prometheus::Registry registry;
  RpcMetrics rpc(registry, {"/stockd.v1.Stock/Reserve", "/grpc.health.v1.Health/Check",
                            "not-a-method"});
  RpcMetrics::Method* reserve = rpc.Find("/stockd.v1.Stock/Reserve");
  EXPECT_EQ(reserve->service, "stockd.v1.Stock");
  EXPECT_EQ(reserve->name, "Reserve");
  rpc.Finish(reserve, grpc::StatusCode::OK, 0.002);
  rpc.Finish(reserve, grpc::StatusCode::OK, 0.003);
  rpc.Finish(reserve, grpc::StatusCode::FAILED_PRECONDITION, 0.0001);
  // Names the daemon does not serve share one bounded series.
  RpcMetrics::Method* other = rpc.Find("/evil.Service/" + std::string(300, 'x'));
  EXPECT_EQ(other, rpc.Find("/another/one"));
  EXPECT_EQ(other->service, "other");
  rpc.Finish(other, grpc::StatusCode::UNIMPLEMENTED, 0.0001);

  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry.Collect());
  PromText t = ParsePromText(text.str());
  ASSERT_TRUE(t.errors.empty());
  auto req = [&t](const char* service, const char* method, const char* code) {
    return t.Get(PromKey("stockd_rpc_requests_total",
                         {{"service", service}, {"method", method}, {"code", code}}));
  };
  EXPECT_EQ(t.Type("stockd_rpc_requests_total"), "counter");
  EXPECT_EQ(req("stockd.v1.Stock", "Reserve", "OK"), 2);
  EXPECT_EQ(req("stockd.v1.Stock", "Reserve", "FAILED_PRECONDITION"), 1);
  EXPECT_EQ(req("other", "other", "UNIMPLEMENTED"), 1);
  EXPECT_FALSE(t.Has(PromKey("stockd_rpc_requests_total", {{"service", "grpc.health.v1.Health"},
                                                           {"method", "Check"},
                                                           {"code", "OK"}})));
  const auto dur = [](const char* suffix, std::vector<std::pair<std::string, std::string>> l) {
    l.push_back({"service", "stockd.v1.Stock"});
    l.push_back({"method", "Reserve"});
    return PromKey(std::string("stockd_rpc_duration_seconds_") + suffix, l);
  };
  EXPECT_EQ(t.Get(dur("count", {})), 3);
  EXPECT_NEAR(t.Get(dur("sum", {})), 0.0051, 1e-9);
  EXPECT_EQ(t.Get(dur("bucket", {{"le", "0.0005"}})), 1);
  EXPECT_EQ(t.Get(dur("bucket", {{"le", "0.0025"}})), 2);
  EXPECT_EQ(t.Get(dur("bucket", {{"le", "+Inf"}})), 3);
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

TEST(ProcessCollectorTest, ValuesAreThisProcesss) {
  const ProcessSample s = ReadProcess();
  ASSERT_TRUE(s.cpu_seconds.has_value());
  EXPECT_GE(*s.cpu_seconds, 0);
  EXPECT_LE(*s.cpu_seconds, static_cast<double>(clock()) / CLOCKS_PER_SEC + 1);
  ASSERT_TRUE(s.resident_bytes.has_value());
  EXPECT_GT(*s.resident_bytes, 1 << 20);  // a gtest binary is more than a MiB
  ASSERT_TRUE(s.virtual_bytes.has_value());
  EXPECT_GE(*s.virtual_bytes, *s.resident_bytes);
  ASSERT_TRUE(s.open_fds.has_value());
  ASSERT_TRUE(s.max_fds.has_value());
  // Opening a descriptor shows as exactly one more.
  const int fd = dup(2);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(*ReadProcess().open_fds, *s.open_fds + 1);
  close(fd);
  EXPECT_GE(*s.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_LE(*s.open_fds, *s.max_fds);
  ASSERT_TRUE(s.start_time_seconds.has_value());
  const double now = static_cast<double>(time(nullptr));
  EXPECT_LE(*s.start_time_seconds, now + 1);
  EXPECT_GT(*s.start_time_seconds, now - 24 * 3600);  // a test process started today

  PromText t = ParsePromText([] {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, ProcessCollector().Collect());
    return out.str();
  }());
  EXPECT_EQ(t.Type("process_cpu_seconds_total"), "counter");
  for (const char* g : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                        "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_EQ(t.Type(g), "gauge") << g;
    EXPECT_TRUE(t.Has(g)) << g;
  }
}

TEST(StatusPageTest, EveryStringIsEscapedAndTheJsonCarriesTheSameData) {
  StatusReport r;
  r.now_ms = 1'700'000'000'000;
  r.started_ms = r.now_ms - 3'600'000;
  r.durable = true;
  r.redis_address = "unix:/var/lib/stockd/redis.sock";
  r.redis_up = false;
  r.write_serving = false;
  ChannelStatus c;
  c.id = "web<1>";
  c.type = "webshop";
  c.adapter = "webhook";
  c.backlog = 7;
  c.last_error = "SKU-1: 500 <html><script>alert('x')</script> & \"more\"";
  r.channels.push_back(c);
  r.reloads.push_back({r.now_ms, false, "bad.yaml:1:1: <oops>"});
  const std::string html = RenderStatusHtml(r);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<oops>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("<tr data-channel=\"web&lt;1&gt;\">"), std::string::npos);
  EXPECT_NE(html.find("data-backlog=\"7\""), std::string::npos);
  EXPECT_NE(html.find("DOWN"), std::string::npos);
  EXPECT_NE(html.find("NOT_SERVING"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);  // no external asset

  nlohmann::json j = nlohmann::json::parse(RenderStatusJson(r));
  EXPECT_EQ(j["channels"][0]["id"], "web<1>");
  EXPECT_EQ(j["channels"][0]["backlog"], 7);
  EXPECT_EQ(j["channels"][0]["last_error"], c.last_error);
  EXPECT_EQ(j["storage"]["redis_up"], false);
  EXPECT_EQ(j["reloads"][0]["message"], "bad.yaml:1:1: <oops>");
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

}  // namespace
}  // namespace stockd::observe
