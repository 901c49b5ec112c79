// The fake marketplace's signed order webhooks (tests/fakes/order_delivery.h) against a
// tiny local receiver: one event per order change, signed over the raw body, duplicates
// and out-of-order delivery on request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_channel_server.h"

namespace stockd::fakes {
namespace {

using Json = nlohmann::json;

// Accepts connections on 127.0.0.1, reads one request each, answers 200 and keeps it.
class TinyReceiver {
 public:
  struct Received {
    std::string head;
    std::string body;
  };

  TinyReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TinyReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/orders"; }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string data;
      char chunk[4096];
      size_t need = std::string::npos;
      while (need == std::string::npos || data.size() < need) {
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        data.append(chunk, static_cast<size_t>(n));
        const size_t end = data.find("\r\n\r\n");
        const size_t cl = data.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos && cl < end) {
          need = end + 4 + std::strtoul(data.c_str() + cl + 16, nullptr, 10);
        }
      }
      const size_t end = data.find("\r\n\r\n");
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(
            {data.substr(0, end), end == std::string::npos ? "" : data.substr(end + 4)});
      }
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> received_;
};

std::string Header(const std::string& head, const std::string& name) {
  const size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 4;
  return head.substr(start, head.find("\r\n", start) - start);
}

class OrderDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.SetChannelQuantity("shop", "L-1", 10);
    for (const char* id : {"O-1", "O-2", "O-3"}) {
      ASSERT_TRUE(server_.orders().PlaceOrder("shop", id, {{"L-1", 1, ""}}).ok());
    }
    ASSERT_TRUE(server_.orders().AcceptOrder("shop", "O-1").ok());  // now the latest change
  }
  FakeChannelServer server_;  // not started: only its order book is used
  TinyReceiver receiver_;
};

TEST_F(OrderDeliveryTest, SignedEventsInChangeOrderWithDuplicatesAndReversed) {
  DeliveryOptions options;
  options.channel = "shop";
  options.duplicates = 1;
  options.reverse = true;
  absl::StatusOr<DeliveryReport> report = server_.DeliverOrders(receiver_.url(), "k3y", options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->event_ids,
            (std::vector<std::string>{"shop/O-1/2", "shop/O-1/2", "shop/O-3/1", "shop/O-3/1",
                                      "shop/O-2/1", "shop/O-2/1"}));
  EXPECT_EQ(report->statuses, std::vector<int>(6, 200));
  const std::vector<TinyReceiver::Received> got = receiver_.received();
  ASSERT_EQ(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].head.rfind("POST /hooks/orders HTTP/1.1", 0), 0u) << got[i].head;
    EXPECT_EQ(Header(got[i].head, "X-Stockd-Signature"), WebhookSignature("k3y", got[i].body));
    EXPECT_EQ(Header(got[i].head, "X-Stockd-Event-Id"), report->event_ids[i]);
    const Json event = Json::parse(got[i].body);
    EXPECT_EQ(event["event_id"], report->event_ids[i]);
    EXPECT_EQ(std::to_string(event["sent_at_ms"].get<int64_t>()),
              Header(got[i].head, "X-Stockd-Timestamp"));
    EXPECT_EQ(event["channel"], "shop");
  }
  const Json first = Json::parse(got[0].body)["order"];
  EXPECT_EQ(first["order_id"], "O-1");
  EXPECT_EQ(first["revision"], 2);
  EXPECT_EQ(first["status"], "accepted");
  EXPECT_EQ(first["lines"][0]["listing_id"], "L-1");
  EXPECT_EQ(first["lines"][0]["quantity"], 1);
}

TEST_F(OrderDeliveryTest, ShuffledFromACursorIsAPermutationOfTheLaterChanges) {
  absl::StatusOr<FakeOrderPage> page = server_.orders().List("shop", "", 1);
  ASSERT_TRUE(page.ok());  // O-2 changed first now
  DeliveryOptions options;
  options.channel = "shop";
  options.after = page->next_cursor;
  options.shuffle_seed = 42;
  absl::StatusOr<DeliveryReport> report = server_.DeliverOrders(receiver_.url(), "", options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> ids = report->event_ids;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"shop/O-1/2", "shop/O-3/1"}));
  // Unsigned without a secret.
  for (const auto& r : receiver_.received()) EXPECT_EQ(Header(r.head, "X-Stockd-Signature"), "");
}

TEST_F(OrderDeliveryTest, BadUrlsAndDeadReceivers) {
  DeliveryOptions options;
  options.channel = "shop";
  EXPECT_EQ(server_.DeliverOrders("https://127.0.0.1/x", "", options).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_.DeliverOrders("http://localhost:1/x", "", options).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nothing listens on port 1: every request is reported unanswered.
  absl::StatusOr<DeliveryReport> report =
      server_.DeliverOrders("http://127.0.0.1:1/x", "", options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->statuses, std::vector<int>(3, 0));
}

}  // namespace
}  // namespace stockd::fakes
