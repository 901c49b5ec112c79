// The webhook adapter plugin, loaded as the daemon loads it, against the fake channel
// server: signatures, the fault schedule (429, 5xx, timeouts, resets, 4xx, per-item
// errors), fetch, and config errors.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_channel_server.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd {
namespace {

using fakes::Behaviour;
using fakes::FakeChannelServer;
using fakes::PluginInstance;
using fakes::PluginUnderTest;
using fakes::PushOutcome;
using fakes::TestHost;
using fakes::TestItem;
using Json = nlohmann::json;

constexpr char kSecret[] = "s3cret-key";
constexpr int64_t kNow = 1700000000000;  // whole seconds, so HTTP-dates are exact

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// A port nothing listens on.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class WebhookPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_webhook_plugin_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    secret_file_ = dir_ + "/secret";
    std::ofstream(secret_file_) << kSecret << "\n";
    host_.SetNowMs(kNow);
    StartServer(kSecret);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(const std::string& secret) {
    server_ = std::make_unique<FakeChannelServer>(FakeChannelServer::Options{secret, 0});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
  }

  // The config with the fake's URL and secret, plus `extra` keys.
  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"url", server_->url()},
                   {"secret_file", secret_file_},
                   {"channel", "amazon"},
                   {"timeout_ms", 2000}};
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it->is_null()) {
        config.erase(it.key());
      } else {
        config[it.key()] = *it;
      }
    }
    return config;
  }

  std::unique_ptr<PluginInstance> Create(const Json& config) {
    std::string error;
    auto instance = plugin_.Create(config.dump(), host_, &error);
    EXPECT_NE(instance, nullptr) << error;
    return instance;
  }
  std::string CreateError(const std::string& config_json) {
    std::string error;
    EXPECT_EQ(plugin_.Create(config_json, host_, &error), nullptr) << config_json;
    return error;
  }

  PluginUnderTest plugin_{fakes::PluginDir(), "webhook"};
  TestHost host_;
  std::string dir_;
  std::string secret_file_;
  std::unique_ptr<FakeChannelServer> server_;
};

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

void ExpectAll(const PushOutcome& out, int32_t status) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, status) << "item " << i << ": " << out.results[i].message;
  }
}

TEST_F(WebhookPluginTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_EQ(api->abi_version, STOCKD_ADAPTER_ABI_VERSION);
  EXPECT_EQ(api->struct_size, sizeof(stockd_adapter_api));
  EXPECT_STREQ(api->name, "webhook");
  EXPECT_GE(api->max_batch, 100u);
  EXPECT_NE(api->fetch, nullptr);
  // Orders (GET /orders): webhook_orders_test.cc.
  EXPECT_NE(api->poll_orders, nullptr);
  EXPECT_NE(api->poll_order_revisions, nullptr);
  // Nothing but the entry symbol is exported (e.g. not the SDK base class's vtable).
  EXPECT_EQ(dlsym(plugin_.handle(), "_ZTVN6stockd3sdk7AdapterE"), nullptr);
}

TEST_F(WebhookPluginTest, PushesSignedBatchesAndTheChannelHasTheQuantities) {
  auto webhook = Create(Config({{"headers", {{"X-Api-Key", "key-1"}}}}));
  ASSERT_NE(webhook, nullptr);
  const PushOutcome out = webhook->Push(
      {{"SKU-1", "B000-1", 5, 7}, {"SKU-2", "SKU-2", 0, -1}, {"SKU-3", "L3", 12, 11}});
  ExpectAll(out, STOCKD_PUSH_OK);
  for (const stockd_push_result& r : out.results) EXPECT_STREQ(r.message, "");

  EXPECT_EQ(server_->Quantities(),
            (std::map<std::string, int64_t>{{"B000-1", 5}, {"SKU-2", 0}, {"L3", 12}}));
  EXPECT_EQ(server_->SignatureFailures(), 0);
  const std::vector<fakes::ReceivedBatch> batches = server_->Batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].channel, "amazon");
  EXPECT_EQ(batches[0].sent_at_ms, kNow);
  ASSERT_EQ(batches[0].items.size(), 3u);
  EXPECT_EQ(batches[0].items[0].sku, "SKU-1");
  EXPECT_EQ(batches[0].items[0].previous, 7);
  EXPECT_EQ(batches[0].items[1].previous, -1);

  const std::vector<fakes::RequestRecord> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const fakes::RequestRecord& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/stock");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("x-stockd-timestamp"), std::to_string(kNow));
  EXPECT_EQ(r.headers.at("x-stockd-signature"), fakes::WebhookSignature(kSecret, r.body));
  EXPECT_EQ(r.headers.at("x-api-key"), "key-1");
  EXPECT_EQ(r.headers.count("expect"), 0u);
  EXPECT_EQ(r.body, R"({"channel":"amazon","sent_at_ms":1700000000000,"items":[)"
                    R"({"sku":"SKU-1","listing_id":"B000-1","quantity":5,"previous":7},)"
                    R"({"sku":"SKU-2","listing_id":"SKU-2","quantity":0,"previous":-1},)"
                    R"({"sku":"SKU-3","listing_id":"L3","quantity":12,"previous":11}]})");
  EXPECT_EQ(host_.Counter("requests"), 1);
}

TEST_F(WebhookPluginTest, KeepsItsConnectionAlive) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  for (int i = 0; i < 5; ++i) ExpectAll(webhook->Push({{"A", "A", i, i - 1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->ConnectionCount(), 1);
  EXPECT_EQ(server_->Quantity("A"), 4);
  EXPECT_EQ(server_->PushCount("A"), 5);
}

TEST_F(WebhookPluginTest, AWrongSecretIsRejectedByTheReceiver) {
  StartServer("another-secret");
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 401"));
  EXPECT_EQ(server_->SignatureFailures(), 1);
  EXPECT_TRUE(server_->Quantities().empty());
}

TEST_F(WebhookPluginTest, WithoutASecretNothingIsSigned) {
  StartServer("");
  auto webhook = Create(Config({{"secret_file", nullptr}}));
  ASSERT_NE(webhook, nullptr);
  ExpectAll(webhook->Push({{"A", "A", 1, -1}}), STOCKD_PUSH_OK);
  ASSERT_EQ(server_->RequestCount(), 1u);
  EXPECT_EQ(server_->Requests()[0].headers.count("x-stockd-signature"), 0u);
  EXPECT_EQ(server_->Quantity("A"), 1);
}

TEST_F(WebhookPluginTest, TooManyRequestsIsRetryAfterTheChannelsDelay) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(Behaviour::TooManyRequests(2));
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}, {"B", "B", 2, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  for (const stockd_push_result& r : out.results) {
    EXPECT_EQ(r.retry_after_ms, 2000);
    EXPECT_TRUE(Contains(r.message, "HTTP 429"));
  }
  EXPECT_TRUE(server_->Quantities().empty());
  // The next attempt goes through.
  ExpectAll(webhook->Push({{"A", "A", 1, -1}, {"B", "B", 2, -1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("B"), 2);
}

TEST_F(WebhookPluginTest, RetryAfterAsAnHttpDate) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  const time_t later = static_cast<time_t>(kNow / 1000 + 3);
  tm gmt{};
  gmtime_r(&later, &gmt);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &gmt);
  server_->Enqueue(Behaviour::TooManyRequestsUntil(date));
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 3000) << date;
  // Without Retry-After the daemon's own backoff applies.
  server_->Enqueue(Behaviour::TooManyRequests(-1));
  EXPECT_EQ(webhook->Push({{"A", "A", 1, -1}}).results[0].retry_after_ms, 0);
}

TEST_F(WebhookPluginTest, ServerErrorIsRetry) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue({Behaviour::ServerError(), Behaviour::Status(503, "maintenance")});
  PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 0);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 500"));
  out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_STREQ(out.results[0].message, "HTTP 503: maintenance");
  EXPECT_TRUE(server_->Quantities().empty());
}

TEST_F(WebhookPluginTest, ATimeoutIsRetryWithinTheTimeout) {
  auto webhook = Create(Config({{"timeout_ms", 300}}));
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(Behaviour::Timeout(5000));
  const auto start = std::chrono::steady_clock::now();
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  const int64_t elapsed_ms = ElapsedMs(start);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "no answer within 300 ms"));
  EXPECT_GE(elapsed_ms, 250);
  EXPECT_LT(elapsed_ms, 300 + 700);
  // The handle recovers on a new connection.
  ExpectAll(webhook->Push({{"A", "A", 1, -1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("A"), 1);
}

TEST_F(WebhookPluginTest, ASlowAnswerWithinTheTimeoutIsOk) {
  auto webhook = Create(Config({{"timeout_ms", 2000}}));
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(Behaviour::Slow(200));
  ExpectAll(webhook->Push({{"A", "A", 3, -1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("A"), 3);
}

TEST_F(WebhookPluginTest, AConnectionResetIsRetry) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(Behaviour::Reset());
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "POST " + server_->url()));
  EXPECT_TRUE(server_->Quantities().empty());
  ExpectAll(webhook->Push({{"A", "A", 1, -1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("A"), 1);
}

TEST_F(WebhookPluginTest, AResetOfAKeptAliveConnectionIsRetryToo) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  ExpectAll(webhook->Push({{"A", "A", 1, -1}}), STOCKD_PUSH_OK);
  // libcurl may resend once on a fresh connection when a reused one dies before any
  // answer (pushes are absolute quantities, so a resend is harmless); a reset on both
  // connections is a RETRY.
  server_->Enqueue({Behaviour::Reset(), Behaviour::Reset()});
  ExpectAll(webhook->Push({{"A", "A", 2, 1}}), STOCKD_PUSH_RETRY);
  EXPECT_EQ(server_->Quantity("A"), 1);
}

TEST_F(WebhookPluginTest, AResultNeverClaimsWhatTheChannelDoesNotHave) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  ExpectAll(webhook->Push({{"A", "A", 1, -1}}), STOCKD_PUSH_OK);
  // One reset of the kept-alive connection: libcurl (Debian's) resends on a new one and
  // gets OK; either way OK must mean the channel has it, RETRY that it may not.
  server_->Enqueue(Behaviour::Reset());
  const PushOutcome out = webhook->Push({{"A", "A", 2, 1}});
  ASSERT_EQ(out.rc, 0);
  if (out.results[0].status == STOCKD_PUSH_OK) {
    EXPECT_EQ(server_->Quantity("A"), 2);
  } else {
    EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  }
  // Processed but the answer lost: RETRY, and the resend is harmless.
  server_->Enqueue({Behaviour::Timeout(5000, /*apply=*/true)});
  auto impatient = Create(Config({{"timeout_ms", 200}}));
  ASSERT_NE(impatient, nullptr);
  ExpectAll(impatient->Push({{"A", "A", 3, 2}}), STOCKD_PUSH_RETRY);
  EXPECT_EQ(server_->Quantity("A"), 3);
  // The resend through the patient instance: the 200 ms one can miss an answer on a
  // loaded machine (CI beside crash runs did), and what is tested is the resend's result.
  ExpectAll(webhook->Push({{"A", "A", 3, 2}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("A"), 3);
}

TEST_F(WebhookPluginTest, AnUnreachableEndpointIsRetry) {
  auto webhook =
      Create(Config({{"url", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/stock"}}));
  ASSERT_NE(webhook, nullptr);
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "connect"));
}

TEST_F(WebhookPluginTest, OtherClientErrorsArePermanentWithTheBody) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue({Behaviour::Status(404, "{\"error\": \"no such\nendpoint\"}"),
                    Behaviour::Status(400, std::string(500, 'x'))});
  PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message, "HTTP 404: {\"error\": \"no such endpoint\"}");
  EXPECT_EQ(out.results[0].retry_after_ms, 0);
  out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(std::string(out.results[0].message), "HTTP 400: " + std::string(200, 'x'));
  EXPECT_EQ(host_.Counter("requests_rejected"), 2);
}

TEST_F(WebhookPluginTest, PerItemResults) {
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(Behaviour::PerItemError("L2", "no such listing"));
  const PushOutcome out =
      webhook->Push({{"S1", "L1", 1, -1}, {"S2", "L2", 2, -1}, {"S3", "L3", 3, -1}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[1].message, "no such listing");
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantities(), (std::map<std::string, int64_t>{{"L1", 1}, {"L3", 3}}));

  // "retry" per item; items the answer does not mention are OK.
  server_->Enqueue(Behaviour::Status(
      200, R"({"results":[{"listing_id":"L2","status":"retry","message":"locked"}]})"));
  const PushOutcome retry = webhook->Push({{"S1", "L1", 1, -1}, {"S2", "L2", 2, -1}});
  EXPECT_EQ(retry.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(retry.results[1].status, STOCKD_PUSH_RETRY);
  EXPECT_STREQ(retry.results[1].message, "locked");
}

TEST_F(WebhookPluginTest, SplitsALargePushIntoRequestsOfMaxBatch) {
  auto webhook = Create(Config({{"max_batch", 2}}));
  ASSERT_NE(webhook, nullptr);
  std::vector<TestItem> items;
  for (int i = 0; i < 5; ++i)
    items.push_back({"S" + std::to_string(i), "L" + std::to_string(i), i, -1});
  ExpectAll(webhook->Push(items), STOCKD_PUSH_OK);
  const std::vector<fakes::ReceivedBatch> batches = server_->Batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].items.size(), 2u);
  EXPECT_EQ(batches[2].items.size(), 1u);
  EXPECT_EQ(server_->Quantities().size(), 5u);
}

TEST_F(WebhookPluginTest, AFailedRequestLeavesTheRestOfThePushUnsent) {
  auto webhook = Create(Config({{"max_batch", 2}}));
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue({Behaviour::Ok(), Behaviour::TooManyRequests(7)});
  std::vector<TestItem> items;
  for (int i = 0; i < 5; ++i)
    items.push_back({"S" + std::to_string(i), "L" + std::to_string(i), i, -1});
  const PushOutcome out = webhook->Push(items);
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_OK);
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(out.results[i].status, STOCKD_PUSH_RETRY);
    EXPECT_EQ(out.results[i].retry_after_ms, 7000);
  }
  EXPECT_TRUE(Contains(out.results[4].message, "not sent"));
  EXPECT_EQ(server_->RequestCount(), 2u);
}

TEST_F(WebhookPluginTest, FetchReadsTheChannelsQuantities) {
  server_->SetQuantity("A", 5);
  server_->SetQuantity("B", 0);
  server_->SetQuantity("with,comma &space/é", 9);
  auto webhook = Create(Config());
  ASSERT_NE(webhook, nullptr);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(webhook->Fetch({"A", "B", "unknown", "with,comma &space/é"}, &quantities, &error), 0)
      << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{5, 0, -1, 9}));
  const std::vector<fakes::RequestRecord> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target,
            "/stock?channel=amazon&listing_ids=A,B,unknown,with%2Ccomma%20%26space%2F%C3%A9");
  EXPECT_EQ(requests[0].headers.at("x-stockd-signature"), fakes::WebhookSignature(kSecret, ""));
  EXPECT_EQ(requests[0].headers.at("x-stockd-timestamp"), std::to_string(kNow));
  EXPECT_EQ(server_->SignatureFailures(), 0);
}

TEST_F(WebhookPluginTest, FetchSplitsLongListsAndReportsFailures) {
  auto webhook = Create(Config({{"max_batch", 3}}));
  ASSERT_NE(webhook, nullptr);
  server_->SetQuantity("L6", 6);
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back("L" + std::to_string(i));
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(webhook->Fetch(ids, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{-1, -1, -1, -1, -1, -1, 6}));
  EXPECT_EQ(server_->RequestCount(), 3u);

  // The one handle switches between GET and POST.
  ExpectAll(webhook->Push({{"S6", "L6", 8, 6}}), STOCKD_PUSH_OK);
  ASSERT_EQ(webhook->Fetch({"L6"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{8}));
  EXPECT_EQ(server_->Requests().back().method, "GET");

  server_->Enqueue(Behaviour::ServerError());
  EXPECT_NE(webhook->Fetch({"L6"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "HTTP 500"));
  server_->Enqueue(Behaviour::Reset());
  auto cold = Create(Config());
  ASSERT_NE(cold, nullptr);
  EXPECT_NE(cold->Fetch({"L6"}, &quantities, &error), 0);
  EXPECT_EQ(error.rfind("GET " + server_->url() + ": ", 0), 0u) << error;
  EXPECT_EQ(error.find("GET ", 1), std::string::npos) << error;
  server_->Enqueue(Behaviour::Status(200, R"({"nothing": 1})"));
  EXPECT_NE(webhook->Fetch({"L6"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "no \"quantities\" object"));
}

TEST_F(WebhookPluginTest, RejectsBadConfigClearly) {
  EXPECT_EQ(CreateError(R"({"channel": "amazon"})"), "config: \"url\" is required (a string)");
  EXPECT_EQ(CreateError(R"({"url": "ftp://example.com/x"})"),
            "config: \"url\" must be http:// or https://, got \"ftp://example.com/x\"");
  EXPECT_TRUE(Contains(CreateError(R"({"url": "http://"})"), "is not a valid URL"));
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "secret_file": ")" + dir_ + R"(/missing"})"),
            "cannot read secret_file \"" + dir_ + "/missing\": No such file or directory");
  std::ofstream(dir_ + "/empty") << "\n";
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "secret_file": ")" + dir_ + R"(/empty"})"),
            "secret_file \"" + dir_ + "/empty\" is empty");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "timeout_ms": 0})"),
            "config: \"timeout_ms\" must be an integer in [1, 600000], got 0");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "max_batch": "10"})"),
            "config: \"max_batch\" must be an integer in [1, 1000], got \"10\"");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "headers": {"X-Stockd-Signature": "x"}})"),
            "config: \"headers\": \"X-Stockd-Signature\" is set by the adapter itself");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "headers": {"X-Key": "a\r\nInjected: 1"}})"),
            "config: \"headers\": \"X-Key\" holds a line break");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "timeout": 5})"),
            "config: unknown key \"timeout\" (this adapter takes: url, orders_url, "
            "orders_page_size, orders_max_pages, alerts_url, secret_file, timeout_ms, "
            "connect_timeout_ms, max_batch, headers)");
  EXPECT_EQ(CreateError(R"({"url": "http://x/", "alerts_url": "ftp://x/a"})").rfind(
                "config: \"alerts_url\"", 0),
            0u)
      << "a bad alerts_url names the key";
}

TEST_F(WebhookPluginTest, ManyInstancesAndReloadsOfThePlugin) {
  // Instances are independent; the library loads and unloads cleanly.
  for (int round = 0; round < 3; ++round) {
    PluginUnderTest again(fakes::PluginDir(), "webhook");
    ASSERT_TRUE(again.ok()) << again.error();
    std::string error;
    auto a = again.Create(Config().dump(), host_, &error);
    auto b = again.Create(Config().dump(), host_, &error);
    ASSERT_NE(a, nullptr) << error;
    ASSERT_NE(b, nullptr) << error;
    ExpectAll(a->Push({{"A", "A", round, -1}}), STOCKD_PUSH_OK);
    ExpectAll(b->Push({{"B", "B", round, -1}}), STOCKD_PUSH_OK);
  }
  EXPECT_EQ(server_->Quantity("A"), 2);
  EXPECT_EQ(server_->Quantity("B"), 2);
}

TEST_F(WebhookPluginTest, FetchNamesTheChannelSoChannelsOnOneEndpointReadTheirOwn) {
  auto amazon = Create(Config());
  auto ebay = Create(Config({{"channel", "ebay & co"}}));
  ASSERT_NE(amazon, nullptr);
  ASSERT_NE(ebay, nullptr);
  ExpectAll(amazon->Push({{"S", "L", 3, -1}}), STOCKD_PUSH_OK);
  ExpectAll(ebay->Push({{"S", "L", 7, -1}}), STOCKD_PUSH_OK);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(amazon->Fetch({"L"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{3}));
  ASSERT_EQ(ebay->Fetch({"L"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{7}));
  EXPECT_EQ(server_->Requests().back().target, "/stock?channel=ebay%20%26%20co&listing_ids=L");
}

TEST_F(WebhookPluginTest, HungRequestIsAbandonedSoonAfterTheDaemonStops) {
  auto webhook = Create(Config({{"timeout_ms", 20000}}));
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue({Behaviour::Timeout(20000), Behaviour::Timeout(20000)});
  std::thread stop([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    host_.SetCancelled(true);
  });
  const auto start = std::chrono::steady_clock::now();
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(webhook->Fetch({"A"}, &quantities, &error), 0);
  const int64_t took_ms = ElapsedMs(start);
  stop.join();
  EXPECT_EQ(error, "GET " + server_->url() + ": abandoned, stockd is stopping");
  EXPECT_GE(took_ms, 300);
  EXPECT_LT(took_ms, 300 + 400) << "the hung request outlived Stop by far more than ~100 ms";

  // Once stopping, a push gives up at once too, and is retried after the restart.
  const auto push_start = std::chrono::steady_clock::now();
  const PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  EXPECT_LT(ElapsedMs(push_start), 400);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(std::string(out.results[0].message),
            "POST " + server_->url() + ": abandoned, stockd is stopping");
}

TEST_F(WebhookPluginTest, AnOlderHostWithoutTheCancelledCallbackStillWorks) {
  TestHost old_host;
  old_host.SetNowMs(kNow);
  old_host.TruncateStructTo(offsetof(stockd_host, cancelled));
  old_host.SetCancelled(true);  // must not be read: the struct is too small for it
  std::string error;
  auto webhook = plugin_.Create(Config().dump(), old_host, &error);
  ASSERT_NE(webhook, nullptr) << error;
  ExpectAll(webhook->Push({{"A", "A", 4, -1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(server_->Quantity("A"), 4);
}

TEST_F(WebhookPluginTest, UrlCredentialsNeverAppearInMessages) {
  const std::string url = "http://user:s3cr3t@127.0.0.1:" + std::to_string(server_->port()) +
                          "/stock?token=abc&Api_Key=k3y&sku=1";
  const std::string shown = "http://***@127.0.0.1:" + std::to_string(server_->port()) +
                            "/stock?token=***&Api_Key=***&sku=1";
  auto webhook = Create(Config({{"url", url}}));
  ASSERT_NE(webhook, nullptr);
  server_->Enqueue(
      {Behaviour::Status(400, "bad listing"), Behaviour::Reset(), Behaviour::ServerError()});
  std::vector<std::string> messages;
  PushOutcome out = webhook->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_PERMANENT);
  messages.push_back(out.results[0].message);
  auto cold = Create(Config({{"url", url}}));  // a fresh connection: curl does not retry it
  ASSERT_NE(cold, nullptr);
  out = cold->Push({{"A", "A", 1, -1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  messages.push_back(out.results[0].message);
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(webhook->Fetch({"A"}, &quantities, &error), 0);
  messages.push_back(error);
  messages.push_back(CreateError(Config({{"url", "ftp://user:s3cr3t@x/?token=abc"}}).dump()));
  for (const auto& [level, line] : host_.Logs()) messages.push_back(line);
  bool shown_in_a_log = false;
  for (const std::string& m : messages) {
    EXPECT_EQ(m.find("s3cr3t"), std::string::npos) << m;
    EXPECT_EQ(m.find("abc"), std::string::npos) << m;
    EXPECT_EQ(m.find("k3y"), std::string::npos) << m;
    shown_in_a_log = shown_in_a_log || m.rfind("POST " + shown + " rejected 1 items", 0) == 0;
  }
  EXPECT_TRUE(shown_in_a_log);
  EXPECT_EQ(messages[1].rfind("POST " + shown + ": ", 0), 0u) << messages[1];
  EXPECT_EQ(messages[2], "GET " + shown + ": HTTP 500: {\"error\":\"internal error\"}");
  EXPECT_EQ(messages[3],
            "config: \"url\" must be http:// or https://, got \"ftp://***@x/?token=***\"");
}

}  // namespace
}  // namespace stockd
