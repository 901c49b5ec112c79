// The order webhook receiver (daemon/orders/webhook_receiver.h), a real server on port 0
// spoken to over real HTTP: every refusal's exact status with nothing submitted, event-id
// de-duplication, the intake's answers, a deadline that passes (and a `done` that runs
// after the receiver is gone), and the fake marketplace's signed deliveries end to end.
#include "daemon/orders/webhook_receiver.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/order_delivery.h"

namespace stockd::orders {
namespace {

using plugins::Order;

constexpr char kSecret[] = "s3cret-key";
constexpr char kShopSecret[] = "shop-secret";

// An OrderIntake that records every Submit and answers from a script: each Submit takes
// the next scripted answer (OK when the script is empty), or is held when Hold() was
// asked, its `done` run later by Release.
class ScriptedIntake : public OrderIntake {
 public:
  struct Submitted {
    std::string channel;
    Order order;
  };

  void Submit(const std::string& channel, Order order,
              std::function<void(absl::Status)> done) override {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      submitted_.push_back({channel, std::move(order)});
      if (hold_) {
        held_.push_back(std::move(done));
        return;
      }
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
    }
    done(answer);
  }

  void Script(absl::Status answer) {
    absl::MutexLock lock(&mu_);
    script_.push_back(std::move(answer));
  }
  void Hold() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
  }
  // Answers every held Submit with `answer` and stops holding.
  void Release(const absl::Status& answer) {
    std::vector<std::function<void(absl::Status)>> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
      hold_ = false;
    }
    for (auto& done : held) done(answer);
  }
  std::vector<Submitted> submitted() {
    absl::MutexLock lock(&mu_);
    return submitted_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Submitted> submitted_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> script_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void(absl::Status)>> held_ ABSL_GUARDED_BY(mu_);
};

class WebhookReceiverTest : public ::testing::Test {
 protected:
  void StartReceiver(int64_t deadline_ms = 5000, size_t max_body_bytes = 4096) {
    WebhookReceiverOptions options;
    options.channels = {{"amazon", SignatureScheme::kStockd, kSecret},
                        {"shop", SignatureScheme::kShopify, kShopSecret},
                        {"woo", SignatureScheme::kWooCommerce, "woo-secret"}};
    options.deadline_ms = deadline_ms;
    options.max_body_bytes = max_body_bytes;
    absl::StatusOr<std::unique_ptr<WebhookReceiver>> r =
        WebhookReceiver::Start(options, &intake_, [this](log::Level level, const std::string& m) {
          absl::MutexLock lock(&log_mu_);
          if (level == log::Level::kWarn) warnings_.push_back(m);
        });
    ASSERT_TRUE(r.ok()) << r.status();
    receiver_ = std::move(*r);
    ASSERT_GT(receiver_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", receiver_->port());
  }

  // A stockd event body for order `id` at `revision` on `channel`.
  static std::string StockdBody(const std::string& id, int64_t revision,
                                const std::string& channel = "amazon") {
    return nlohmann::ordered_json{{"event_id", channel + "/" + id + "/" + std::to_string(revision)},
                                  {"channel", channel},
                                  {"sent_at_ms", 1700000000000},
                                  {"order",
                                   {{"order_id", id},
                                    {"revision", revision},
                                    {"status", "accepted"},
                                    {"lines", {{{"listing_id", "B000123"}, {"quantity", 2}}}}}}}
        .dump();
  }

  httplib::Result Post(const std::string& path, const std::string& body, httplib::Headers headers) {
    return client_->Post(path, headers, body, "application/json");
  }
  httplib::Result PostSigned(const std::string& body, const std::string& path = "/orders/amazon") {
    return Post(path, body,
                {{"X-Stockd-Signature", SignBody(SignatureScheme::kStockd, kSecret, body)}});
  }

  // The status of the answer, 0 when there was none.
  static int StatusOf(const httplib::Result& r) { return r ? r->status : 0; }

  std::vector<std::string> warnings() {
    absl::MutexLock lock(&log_mu_);
    return warnings_;
  }

  ScriptedIntake intake_;  // outlives the receiver
  absl::Mutex log_mu_;
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(log_mu_);
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebhookReceiverTest, AppliesASignedDelivery) {
  StartReceiver();
  const httplib::Result r = PostSigned(StockdBody("A-1", 2));
  ASSERT_EQ(StatusOf(r), 200);
  EXPECT_EQ(r->body, R"({"status":"applied"})");
  const auto submitted = intake_.submitted();
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].channel, "amazon");
  EXPECT_EQ(submitted[0].order.order_id, "A-1");
  EXPECT_EQ(submitted[0].order.revision, 2);
  EXPECT_EQ(submitted[0].order.status, Order::Status::kAccepted);
  ASSERT_EQ(submitted[0].order.lines.size(), 1u);
  EXPECT_EQ(submitted[0].order.lines[0].listing_id, "B000123");
  EXPECT_EQ(submitted[0].order.lines[0].quantity, 2);
  EXPECT_TRUE(warnings().empty());
}

TEST_F(WebhookReceiverTest, RefusesWithExactStatusesAndSubmitsNothing) {
  StartReceiver(/*deadline_ms=*/5000, /*max_body_bytes=*/1024);
  const std::string body = StockdBody("A-1", 1);
  const std::string good = SignBody(SignatureScheme::kStockd, kSecret, body);
  struct Case {
    std::string name;
    std::function<httplib::Result()> send;
    int status;
    std::string error;
  };
  const std::string big(2000, ' ');
  const Case cases[] = {
      {"bad signature",
       [&] {
         return Post("/orders/amazon", body,
                     {{"X-Stockd-Signature", SignBody(SignatureScheme::kStockd, "other", body)}});
       },
       401, "X-Stockd-Signature: does not match the body"},
      {"signature of another body",
       [&] {
         return Post("/orders/amazon", body + " ", {{"X-Stockd-Signature", good}});
       },
       401, "X-Stockd-Signature: does not match the body"},
      {"missing signature", [&] { return Post("/orders/amazon", body, {}); }, 401,
       "no X-Stockd-Signature header"},
      {"another scheme's header",
       [&] {
         return Post("/orders/shop", body, {{"X-Stockd-Signature", good}});
       },
       401, "no X-Shopify-Hmac-SHA256 header"},
      {"oversize body", [&] { return PostSigned(big + body); }, 413, "body over 1024 bytes"},
      {"malformed JSON", [&] { return PostSigned("{\"order\": "); }, 400, "body: not valid JSON"},
      {"invalid order", [&] { return PostSigned(R"({"order": {"order_id": "A"}})"); }, 400,
       "order.revision: missing"},
      {"unknown channel", [&] { return PostSigned(body, "/orders/ebay"); }, 404, "unknown channel"},
      {"another path", [&] { return PostSigned(body, "/stock"); }, 404, "no route POST /stock"},
      {"wrong method", [&] { return client_->Get("/orders/amazon"); }, 405, "GET (only POST)"},
  };
  size_t expected_warnings = 0;
  for (const Case& c : cases) {
    const httplib::Result r = c.send();
    ASSERT_EQ(StatusOf(r), c.status) << c.name;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << c.name;
    EXPECT_EQ(nlohmann::json::parse(r->body).value("error", ""), c.error) << c.name;
    const std::vector<std::string> w = warnings();
    ASSERT_EQ(w.size(), ++expected_warnings) << c.name;  // one line per refusal
    EXPECT_TRUE(absl::StrContains(w.back(), c.error)) << w.back();
    EXPECT_FALSE(absl::StrContains(w.back(), kSecret)) << w.back();
  }
  EXPECT_TRUE(absl::StrContains(warnings()[0], "channel 'amazon'")) << warnings()[0];
  EXPECT_TRUE(intake_.submitted().empty());
}

TEST_F(WebhookReceiverTest, AnAppliedEventIdIsSubmittedOnce) {
  StartReceiver();
  const std::string body = StockdBody("A-1", 1);
  ASSERT_EQ(StatusOf(PostSigned(body)), 200);
  const httplib::Result again = PostSigned(body);
  ASSERT_EQ(StatusOf(again), 200);
  EXPECT_EQ(again->body, R"({"status":"duplicate"})");
  EXPECT_EQ(intake_.submitted().size(), 1u);
  // The next revision is another event.
  ASSERT_EQ(StatusOf(PostSigned(StockdBody("A-1", 2))), 200);
  EXPECT_EQ(intake_.submitted().size(), 2u);
}

// The answer's head and body are two writes: with Nagle's algorithm on, the body waits
// for the client's delayed ACK of the head (~40 ms on Linux) on every delivery after the
// first few of a kept-alive connection (40 deliveries took 1.1 s that way, a few ms
// without; docs/orders.md "Measured"). So every connection the receiver accepts has
// TCP_NODELAY set: checked on the receiver's own socket (it runs in this process), not
// by timing.
TEST_F(WebhookReceiverTest, AcceptedConnectionsDoNotWaitForDelayedAcks) {
  StartReceiver();
  client_->set_keep_alive(true);
  ASSERT_EQ(StatusOf(PostSigned(StockdBody("A-1", 1))), 200);
  int accepted = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &fd)) continue;
    sockaddr_in local{}, peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != receiver_->port()) {
      continue;
    }
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;  // listener
    int nodelay = 0;
    len = sizeof nodelay;
    ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    EXPECT_EQ(nodelay, 1) << "fd " << fd;
    ++accepted;
  }
  EXPECT_EQ(accepted, 1);  // the kept-alive connection
}

TEST_F(WebhookReceiverTest, UnavailableIs503AndTheSameDeliveryLaterSucceeds) {
  StartReceiver();
  intake_.Script(absl::UnavailableError("redis down"));
  const std::string body = StockdBody("A-1", 1);
  const httplib::Result first = PostSigned(body);
  ASSERT_EQ(StatusOf(first), 503);
  EXPECT_EQ(nlohmann::json::parse(first->body).value("error", ""), "redis down");
  const httplib::Result second = PostSigned(body);  // not remembered: submitted again
  ASSERT_EQ(StatusOf(second), 200);
  EXPECT_EQ(second->body, R"({"status":"applied"})");
  EXPECT_EQ(intake_.submitted().size(), 2u);
}

TEST_F(WebhookReceiverTest, IntakeRefusalsMapToTheirStatuses) {
  StartReceiver();
  intake_.Script(absl::InvalidArgumentError("listing B000123: bad"));
  intake_.Script(absl::NotFoundError("no channel amazon"));
  EXPECT_EQ(StatusOf(PostSigned(StockdBody("A-1", 1))), 400);
  EXPECT_EQ(StatusOf(PostSigned(StockdBody("A-2", 1))), 404);
  // Neither was applied: both come through again.
  EXPECT_EQ(StatusOf(PostSigned(StockdBody("A-1", 1))), 200);
  EXPECT_EQ(StatusOf(PostSigned(StockdBody("A-2", 1))), 200);
  EXPECT_EQ(intake_.submitted().size(), 4u);
}

TEST_F(WebhookReceiverTest, PastTheDeadlineIs503AndALateDoneStillCounts) {
  StartReceiver(/*deadline_ms=*/100);
  intake_.Hold();
  const std::string body = StockdBody("A-1", 1);
  const httplib::Result r = PostSigned(body);
  ASSERT_EQ(StatusOf(r), 503);
  EXPECT_EQ(nlohmann::json::parse(r->body).value("error", ""),
            "the order was not durable within 100 ms; deliver it again");
  intake_.Release(absl::OkStatus());  // durable after all: the re-delivery is a duplicate
  const httplib::Result again = PostSigned(body);
  ASSERT_EQ(StatusOf(again), 200);
  EXPECT_EQ(again->body, R"({"status":"duplicate"})");
  EXPECT_EQ(intake_.submitted().size(), 1u);
}

TEST_F(WebhookReceiverTest, ADoneAfterTheReceiverIsGoneTouchesNothingFreed) {
  StartReceiver(/*deadline_ms=*/50);
  intake_.Hold();
  ASSERT_EQ(StatusOf(PostSigned(StockdBody("A-1", 1))), 503);
  receiver_->Stop();
  receiver_->Stop();  // idempotent
  receiver_.reset();
  intake_.Release(absl::OkStatus());  // under ASan, a use after free would fail here
  EXPECT_EQ(intake_.submitted().size(), 1u);
}

TEST_F(WebhookReceiverTest, ShopifyDeliveryIsVerifiedAndDecoded) {
  StartReceiver();
  const std::string body = R"({"id": 450789469, "updated_at": "2024-01-15T10:30:45-05:00",
    "financial_status": "paid", "fulfillment_status": null, "cancelled_at": null,
    "line_items": [{"id": 1, "variant_id": 7, "sku": "S-1", "quantity": 2,
                    "fulfillable_quantity": 2}]})";
  const httplib::Headers headers = {
      {"X-Shopify-Hmac-SHA256", SignBody(SignatureScheme::kShopify, kShopSecret, body)},
      {"X-Shopify-Event-Id", "ev-1"},
      {"X-Shopify-Topic", "orders/updated"}};
  ASSERT_EQ(StatusOf(Post("/orders/shop", body, headers)), 200);
  ASSERT_EQ(StatusOf(Post("/orders/shop", body, headers)), 200);  // duplicate
  const auto submitted = intake_.submitted();
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].channel, "shop");
  EXPECT_EQ(submitted[0].order.order_id, "450789469");
  EXPECT_EQ(submitted[0].order.revision, 1705332645000);
  EXPECT_EQ(submitted[0].order.status, Order::Status::kAccepted);
  // The signed revision is part of the key: an applied event id sent again with another
  // revision (a forged header) does not hide that revision.
  const std::string next = absl::StrReplaceAll(body, {{"10:30:45", "10:31:00"}});
  const httplib::Headers reused = {
      {"X-Shopify-Hmac-SHA256", SignBody(SignatureScheme::kShopify, kShopSecret, next)},
      {"X-Shopify-Event-Id", "ev-1"}};
  ASSERT_EQ(StatusOf(Post("/orders/shop", next, reused)), 200);
  EXPECT_EQ(intake_.submitted().size(), 2u);
}

TEST_F(WebhookReceiverTest, TheFakeMarketplacesDeliveriesArriveOncePerRevision) {
  StartReceiver();
  std::map<std::string, int64_t> stock;
  absl::Mutex stock_mu;
  fakes::FakeOrderBook book(
      fakes::FakeOrderBook::Stock{[&](const std::string&, const std::string& listing) {
                                    absl::MutexLock lock(&stock_mu);
                                    return stock[listing];
                                  },
                                  [&](const std::string&, const std::string& listing, int64_t q) {
                                    absl::MutexLock lock(&stock_mu);
                                    stock[listing] = q;
                                  }});
  ASSERT_TRUE(book.PlaceOrder("amazon", "R-1", {{"B000123", 2, "wh-1"}}).ok());
  ASSERT_TRUE(
      book.PlaceOrder("amazon", "R-2", {{"SKU-2", 1, ""}}, fakes::FakeOrderStatus::kAccepted).ok());
  ASSERT_TRUE(book.AcceptOrder("amazon", "R-1").ok());
  fakes::DeliveryOptions options;
  options.channel = "amazon";
  options.duplicates = 2;
  options.reverse = true;
  absl::StatusOr<fakes::DeliveryReport> report = fakes::DeliverOrders(
      book, "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/orders/amazon", kSecret,
      options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->statuses, std::vector<int>(6, 200));
  const auto submitted = intake_.submitted();
  ASSERT_EQ(submitted.size(), 2u);  // R-1 at revision 2, R-2 at revision 1
  EXPECT_EQ(submitted[0].order.order_id, "R-1");
  EXPECT_EQ(submitted[0].order.revision, 2);
  EXPECT_EQ(submitted[0].order.status, Order::Status::kAccepted);
  EXPECT_EQ(submitted[0].order.lines[0].location, "wh-1");
  EXPECT_EQ(submitted[1].order.order_id, "R-2");

  // Unsigned deliveries of the same book: 401 each, nothing more submitted.
  absl::StatusOr<fakes::DeliveryReport> unsigned_report = fakes::DeliverOrders(
      book, "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/orders/amazon", "",
      fakes::DeliveryOptions{.channel = "amazon"});
  ASSERT_TRUE(unsigned_report.ok());
  EXPECT_EQ(unsigned_report->statuses, std::vector<int>(2, 401));
  EXPECT_EQ(intake_.submitted().size(), 2u);
}

TEST(WebhookReceiverOptionsTest, RefusesBadOptions) {
  ScriptedIntake intake;
  const auto start = [&](std::function<void(WebhookReceiverOptions&)> edit) {
    WebhookReceiverOptions o;
    o.channels = {{"a", SignatureScheme::kStockd, "k"}};
    edit(o);
    return WebhookReceiver::Start(o, &intake, nullptr).status();
  };
  EXPECT_EQ(start([](auto& o) { o.channels.clear(); }).message(), "channels: none");
  EXPECT_EQ(start([](auto& o) { o.channels.push_back(o.channels[0]); }).message(),
            "channels[1].channel: 'a' is also channels[0]");
  EXPECT_EQ(start([](auto& o) { o.channels[0].secret.clear(); }).message(),
            "channels[0].secret: empty");
  EXPECT_EQ(start([](auto& o) { o.channels[0].channel = "a/b"; }).message(),
            "channels[0].channel: 'a/b' (non-empty, without '/')");
  EXPECT_EQ(start([](auto& o) { o.listen = "127.0.0.1"; }).message(),
            "listen: '127.0.0.1' is not host:port (port 0..65535)");
  EXPECT_EQ(start([](auto& o) { o.listen = "127.0.0.1:65536"; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start([](auto& o) { o.deadline_ms = 0; }).message(), "deadline_ms: must be >= 1");
  EXPECT_EQ(start([](auto& o) { o.threads = 0; }).message(), "threads: must be >= 1");
  EXPECT_EQ(start([](auto& o) { o.max_body_bytes = 0; }).message(), "max_body_bytes: must be >= 1");
  EXPECT_EQ(start([](auto& o) { o.listen = "192.0.2.1:0"; }).code(),  // not this host's
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(intake.submitted().empty());
}

}  // namespace
}  // namespace stockd::orders
