// Order polling of the webhook adapter, loaded as the daemon loads it (plugins::LoadPlugin,
// Adapter::PollOrders), against the fake marketplace's order book over HTTP (GET /orders):
// revisions and per-line quantities in change order, pagination, resuming from a cursor,
// the fake's own quantities on placement and cancellation, malformed answers, failures.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/plugins/adapter.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_channel_server.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd {
namespace {

using fakes::Behaviour;
using fakes::FakeChannelServer;
using fakes::FakeOrderStatus;
using fakes::NewOrderLine;
using plugins::Order;
using Json = nlohmann::json;

constexpr char kSecret[] = "orders-secret";

struct Polled {
  std::vector<Order> orders;
  std::vector<std::string> errors;
};

plugins::OrderSink Collect(Polled* out, size_t stop_after = 1000) {
  return [out, stop_after](absl::StatusOr<Order> order) {
    if (order.ok()) {
      out->orders.push_back(*std::move(order));
    } else {
      out->errors.push_back(std::string(order.status().message()));
    }
    return out->orders.size() + out->errors.size() < stop_after;
  };
}

// "O-1@3:shipped" per order, in the order delivered.
std::vector<std::string> Summary(const Polled& polled) {
  std::vector<std::string> out;
  for (const Order& o : polled.orders) {
    static constexpr const char* kNames[] = {"pending", "accepted", "shipped", "cancelled"};
    out.push_back(o.order_id + "@" + std::to_string(o.revision) + ":" +
                  kNames[static_cast<int>(o.status)]);
  }
  return out;
}

class WebhookOrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd_webhook_orders_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/secret") << kSecret << "\n";
    server_ = std::make_unique<FakeChannelServer>(FakeChannelServer::Options{kSecret, 0});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    server_->SetChannelQuantity("amazon", "L-1", 5);
    server_->SetChannelQuantity("amazon", "L-2", 2);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"url", server_->url()},
                   {"secret_file", dir_ + "/secret"},
                   {"channel", "amazon"},
                   {"timeout_ms", 2000}};
    for (auto it = extra.begin(); it != extra.end(); ++it) config[it.key()] = *it;
    return config;
  }

  std::unique_ptr<plugins::Adapter> Load(const Json& config) {
    absl::StatusOr<std::unique_ptr<plugins::Adapter>> adapter =
        plugins::LoadPlugin(fakes::PluginDir(), "webhook", config.dump(), {});
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? *std::move(adapter) : nullptr;
  }

  void Place(const std::string& id, std::vector<NewOrderLine> lines,
             FakeOrderStatus status = FakeOrderStatus::kPending) {
    ASSERT_TRUE(server_->orders().PlaceOrder("amazon", id, lines, status).ok());
  }

  std::string dir_;
  std::unique_ptr<FakeChannelServer> server_;
};

TEST_F(WebhookOrdersTest, LifecycleArrivesInChangeOrderWithExactRevisionsAndLines) {
  std::unique_ptr<plugins::Adapter> adapter = Load(Config());
  ASSERT_NE(adapter, nullptr);
  EXPECT_TRUE(adapter->can_poll_orders());

  Place("O-1", {{"L-1", 2, "store-1"}, {"L-2", 1, ""}});
  Place("O-2", {{"L-1", 1, ""}}, FakeOrderStatus::kAccepted);
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-1"), 2);  // 5 - 2 - 1
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-2"), 1);

  Polled first;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&first));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(Summary(first), (std::vector<std::string>{"O-1@1:pending", "O-2@1:accepted"}));
  EXPECT_TRUE(first.errors.empty());
  ASSERT_EQ(first.orders[0].lines.size(), 2u);
  EXPECT_EQ(first.orders[0].lines[0].listing_id, "L-1");
  EXPECT_EQ(first.orders[0].lines[0].quantity, 2);
  EXPECT_EQ(first.orders[0].lines[0].location, "store-1");

  // Accept and partly ship O-1, cancel O-2's line: O-2 changed last.
  ASSERT_TRUE(server_->orders().AcceptOrder("amazon", "O-1").ok());
  ASSERT_TRUE(server_->orders().ShipOrder("amazon", "O-1", {1, 0}).ok());
  ASSERT_TRUE(server_->orders().CancelLines("amazon", "O-2", {1}).ok());
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-1"), 3);  // the cancelled unit is back

  Polled second;
  absl::StatusOr<std::string> next = adapter->PollOrders(*cursor, Collect(&second));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Summary(second), (std::vector<std::string>{"O-1@3:shipped", "O-2@2:cancelled"}));
  EXPECT_EQ(second.orders[0].lines[0].quantity_shipped, 1);
  EXPECT_EQ(second.orders[0].lines[1].quantity_shipped, 0);
  EXPECT_EQ(second.orders[1].lines[0].quantity_cancelled, 1);

  // Nothing changed since: an empty poll keeps the cursor.
  Polled none;
  absl::StatusOr<std::string> same = adapter->PollOrders(*next, Collect(&none));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(none.orders.empty());
  EXPECT_EQ(*same, *next);

  // Every GET /orders was signed over the empty body and named the channel.
  for (const fakes::RequestRecord& r : server_->Requests()) {
    EXPECT_EQ(r.status, 200) << r.target;
    EXPECT_EQ(r.target.rfind("/orders?channel=amazon&limit=100", 0), 0u) << r.target;
  }
  EXPECT_EQ(server_->SignatureFailures(), 0);
}

TEST_F(WebhookOrdersTest, OversoldOrderIsTakenAndCancellationRestoresOnlyRealUnits) {
  Place("O-1", {{"L-2", 3, ""}});  // the listing shows 2
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-2"), 0);
  ASSERT_EQ(server_->orders().Oversells().size(), 1u);
  EXPECT_EQ(server_->orders().Oversells()[0].units, 1);
  ASSERT_TRUE(server_->orders().CancelLines("amazon", "O-1", {1}).ok());
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-2"), 0);  // the oversold unit goes first
  ASSERT_TRUE(server_->orders().CancelOrder("amazon", "O-1").ok());
  EXPECT_EQ(server_->ChannelQuantity("amazon", "L-2"), 2);

  std::unique_ptr<plugins::Adapter> adapter = Load(Config());
  ASSERT_NE(adapter, nullptr);
  Polled polled;
  ASSERT_TRUE(adapter->PollOrders("", Collect(&polled)).ok());
  EXPECT_EQ(Summary(polled), (std::vector<std::string>{"O-1@3:cancelled"}));
  EXPECT_EQ(polled.orders[0].lines[0].quantity_cancelled, 3);
}

TEST_F(WebhookOrdersTest, PagesAreFollowedUpToTheLimitAndTheCursorResumes) {
  for (int i = 1; i <= 5; ++i) Place("O-" + std::to_string(i), {{"L-1", 1, ""}});
  std::unique_ptr<plugins::Adapter> adapter =
      Load(Config({{"orders_page_size", 2}, {"orders_max_pages", 2}}));
  ASSERT_NE(adapter, nullptr);

  Polled first;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&first));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(Summary(first), (std::vector<std::string>{"O-1@1:pending", "O-2@1:pending",
                                                      "O-3@1:pending", "O-4@1:pending"}));
  EXPECT_EQ(server_->RequestCount(), 2u);

  ASSERT_TRUE(server_->orders().AcceptOrder("amazon", "O-2").ok());
  Polled second;
  absl::StatusOr<std::string> next = adapter->PollOrders(*cursor, Collect(&second));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Summary(second), (std::vector<std::string>{"O-5@1:pending", "O-2@2:accepted"}));
  EXPECT_EQ(server_->RequestCount(), 3u);  // one page, has_more false
}

TEST_F(WebhookOrdersTest, ASinkThatStopsKeepsTheCursorBeforeUndeliveredOrders) {
  for (int i = 1; i <= 4; ++i) Place("O-" + std::to_string(i), {{"L-1", 1, ""}});
  std::unique_ptr<plugins::Adapter> adapter = Load(Config({{"orders_page_size", 2}}));
  ASSERT_NE(adapter, nullptr);
  Polled head;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&head, 3));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(head.orders.size(), 3u);
  // The cursor is the end of the first page: O-3 comes again, then O-4.
  Polled rest;
  ASSERT_TRUE(adapter->PollOrders(*cursor, Collect(&rest)).ok());
  EXPECT_EQ(Summary(rest), (std::vector<std::string>{"O-3@1:pending", "O-4@1:pending"}));
}

TEST_F(WebhookOrdersTest, MalformedAnswersFailThePollNamingTheField) {
  const std::string good_line =
      R"({"listing_id":"L-1","quantity":2,"quantity_shipped":0,"quantity_cancelled":0})";
  const struct {
    std::string body;
    std::string message;
  } cases[] = {
      {"not json", "the answer is not a JSON object: not json"},
      {R"({"next_cursor":"1","has_more":false})", "answer: no \"orders\""},
      {R"({"orders":{},"next_cursor":"1","has_more":false})", "answer.orders is not an array"},
      {R"({"orders":[{"order_id":"O-1","revision":"7","status":"pending","lines":[)" + good_line +
           R"(]}],"next_cursor":"1","has_more":false})",
       "answer.orders[0] (\"O-1\").revision is not an integer"},
      {R"({"orders":[{"order_id":"O-1","revision":7,"status":"paid","lines":[)" + good_line +
           R"(]}],"next_cursor":"1","has_more":false})",
       "answer.orders[0] (\"O-1\").status is \"paid\""},
      {R"({"orders":[{"order_id":"O-1","revision":7,"status":"pending","lines":[{"listing_id":"L-1"}]}],"next_cursor":"1","has_more":false})",
       "answer.orders[0] (\"O-1\").lines[0]: no \"quantity\""},
      {R"({"orders":[],"next_cursor":5,"has_more":false})", "answer.next_cursor is not a string"},
      {R"({"orders":[],"next_cursor":"1"})", "answer: no \"has_more\""},
  };
  std::unique_ptr<plugins::Adapter> adapter = Load(Config());
  ASSERT_NE(adapter, nullptr);
  for (const auto& c : cases) {
    server_->Enqueue(Behaviour::Status(200, c.body));
    Polled polled;
    absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&polled));
    ASSERT_FALSE(cursor.ok()) << c.body;
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable) << cursor.status();
    EXPECT_NE(cursor.status().message().find("GET " + server_->orders_url() + ": "),
              std::string::npos)
        << cursor.status();
    EXPECT_NE(cursor.status().message().find(c.message), std::string::npos) << cursor.status();
    EXPECT_TRUE(polled.orders.empty());
  }
}

TEST_F(WebhookOrdersTest, ABadSecondPageDeliversNothing) {
  for (int i = 1; i <= 3; ++i) Place("O-" + std::to_string(i), {{"L-1", 1, ""}});
  std::unique_ptr<plugins::Adapter> adapter = Load(Config({{"orders_page_size", 2}}));
  ASSERT_NE(adapter, nullptr);
  server_->Enqueue({Behaviour::Ok(), Behaviour::ServerError()});
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&polled));
  ASSERT_FALSE(cursor.ok());
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cursor.status().message().find("HTTP 500"), std::string::npos) << cursor.status();
  EXPECT_TRUE(polled.orders.empty());
}

TEST_F(WebhookOrdersTest, ServerErrorsTimeoutsAndBadSignaturesFailThePoll) {
  Place("O-1", {{"L-1", 1, ""}});
  std::unique_ptr<plugins::Adapter> adapter = Load(Config({{"timeout_ms", 300}}));
  ASSERT_NE(adapter, nullptr);
  Polled polled;

  server_->Enqueue(Behaviour::Status(503, "maintenance"));
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&polled));
  ASSERT_FALSE(cursor.ok());
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cursor.status().message().find("HTTP 503: maintenance"), std::string::npos)
      << cursor.status();

  server_->Enqueue(Behaviour::Timeout(3000));
  cursor = adapter->PollOrders("", Collect(&polled));
  ASSERT_FALSE(cursor.ok());
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cursor.status().message().find("no answer within 300 ms"), std::string::npos)
      << cursor.status();

  // A cursor the marketplace never handed out is its 400.
  cursor = adapter->PollOrders("999", Collect(&polled));
  ASSERT_FALSE(cursor.ok());
  EXPECT_NE(cursor.status().message().find("HTTP 400"), std::string::npos) << cursor.status();
  EXPECT_TRUE(polled.orders.empty());

  // Signed with another key: 401.
  std::ofstream(dir_ + "/other") << "wrong\n";
  std::unique_ptr<plugins::Adapter> unsigned_adapter =
      Load(Config({{"secret_file", dir_ + "/other"}}));
  ASSERT_NE(unsigned_adapter, nullptr);
  cursor = unsigned_adapter->PollOrders("", Collect(&polled));
  ASSERT_FALSE(cursor.ok());
  EXPECT_NE(cursor.status().message().find("HTTP 401"), std::string::npos) << cursor.status();
}

TEST_F(WebhookOrdersTest, APollIsAbandonedWhenTheDaemonStops) {
  std::unique_ptr<plugins::Adapter> adapter = Load(Config({{"timeout_ms", 20000}}));
  ASSERT_NE(adapter, nullptr);
  server_->Enqueue(Behaviour::Timeout(10000));
  std::thread stopper([&] {
    ASSERT_TRUE(server_->WaitForRequests(1, std::chrono::seconds(5)));
    adapter->Interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("", Collect(&polled));
  stopper.join();
  ASSERT_FALSE(cursor.ok());
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cursor.status().message().find("abandoned, stockd is stopping"), std::string::npos)
      << cursor.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(WebhookOrdersTest, OrdersConfigIsCheckedAndDefaultsNextToUrl) {
  // Default: .../stock -> .../orders (the fake's path).
  std::unique_ptr<plugins::Adapter> adapter = Load(Config());
  ASSERT_NE(adapter, nullptr);
  Polled polled;
  ASSERT_TRUE(adapter->PollOrders("", Collect(&polled)).ok());
  ASSERT_EQ(server_->Requests().size(), 1u);
  EXPECT_EQ(server_->Requests()[0].target.rfind("/orders?", 0), 0u);

  const struct {
    Json extra;
    std::string message;
  } bad[] = {
      {{{"orders_url", "ftp://x/orders"}}, "\"orders_url\" must be http:// or https://"},
      {{{"orders_max_pages", 0}}, "\"orders_max_pages\" must be an integer in [1, 1000]"},
      {{{"orders_page_size", 1001}}, "\"orders_page_size\" must be an integer in [1, 1000]"},
  };
  for (const auto& b : bad) {
    absl::StatusOr<bool> valid =
        plugins::ValidatePluginConfig(fakes::PluginDir(), "webhook", Config(b.extra).dump());
    ASSERT_FALSE(valid.ok()) << b.extra;
    EXPECT_NE(valid.status().message().find(b.message), std::string::npos) << valid.status();
  }
  absl::StatusOr<bool> explicit_url = plugins::ValidatePluginConfig(
      fakes::PluginDir(), "webhook", Config({{"orders_url", server_->orders_url()}}).dump());
  EXPECT_TRUE(explicit_url.ok() && *explicit_url) << explicit_url.status();
}

}  // namespace
}  // namespace stockd
