// AlertSender (daemon/push/alert_sender.h): a failed delivery is sent again, the same
// array, before any later one (at least once, in order); with kMaxQueued arrays waiting
// for a dead endpoint the oldest after the one in flight is dropped and counted; Stop
// interrupts a delivery in flight.
#include "daemon/push/alert_sender.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stockd::push {
namespace {

using namespace std::chrono_literals;

// Takes alerts; fails the first `failures` attempts; can be held closed (a hung endpoint).
class AlertAdapter final : public plugins::Adapter {
 public:
  explicit AlertAdapter(int failures) : failures_(failures) {}
  const std::string& name() const override { return name_; }
  int max_batch() const override { return 1; }
  bool can_fetch() const override { return false; }
  absl::StatusOr<std::vector<int64_t>> Fetch(const std::vector<std::string>&) override {
    return absl::UnimplementedError("no fetch");
  }
  std::vector<plugins::PushResult> Push(const std::vector<plugins::PushItem>&) override {
    return {};
  }
  bool takes_alerts() const override { return true; }
  absl::Status NotifyAlerts(const std::string& alerts_json) override {
    std::unique_lock<std::mutex> lock(mu_);
    entered_.push_back(alerts_json);
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_ || interrupted_; });
    attempts_.push_back(alerts_json);
    cv_.notify_all();
    if (interrupted_) return absl::UnavailableError("interrupted");
    if (failures_ > 0) {
      --failures_;
      return absl::UnavailableError("HTTP 500");
    }
    delivered_.push_back(alerts_json);
    return absl::OkStatus();
  }
  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
    cv_.notify_all();
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until `n` arrays were delivered (or attempted); returns them.
  std::vector<std::string> WaitDelivered(size_t n) { return Wait(&delivered_, n); }
  std::vector<std::string> WaitAttempts(size_t n) { return Wait(&attempts_, n); }
  // Waits until `n` calls have entered NotifyAlerts (held ones too).
  std::vector<std::string> WaitEntered(size_t n) { return Wait(&entered_, n); }

 private:
  std::vector<std::string> Wait(const std::vector<std::string>* v, size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return v->size() >= n; });
    return *v;
  }
  const std::string name_ = "alerts";
  std::mutex mu_;
  std::condition_variable cv_;
  int failures_;
  bool open_ = true;
  bool interrupted_ = false;
  std::vector<std::string> entered_, attempts_, delivered_;
};

TEST(AlertSenderTest, AFailedArrayIsSentAgainBeforeTheNextInOrder) {
  auto owned = std::make_unique<AlertAdapter>(/*failures=*/2);
  AlertAdapter* adapter = owned.get();
  engine::SystemClock clock;
  AlertSender sender("web", std::move(owned), /*retry_initial_ms=*/1, /*retry_max_ms=*/5, &clock,
                     {});
  sender.Offer("[1]");
  sender.Offer("[2]");
  sender.Start();
  EXPECT_EQ(adapter->WaitDelivered(2), (std::vector<std::string>{"[1]", "[2]"}));
  EXPECT_EQ(adapter->WaitAttempts(4), (std::vector<std::string>{"[1]", "[1]", "[1]", "[2]"}));
  // The sender counts a delivery once the adapter has returned: wait for its books.
  AlertSenderStats stats = sender.Stats();
  for (int i = 0; i < 1000 && stats.delivered < 2; ++i) {
    std::this_thread::sleep_for(10ms);
    stats = sender.Stats();
  }
  EXPECT_EQ(stats.delivered, 2);
  EXPECT_EQ(stats.failures, 2);
  EXPECT_EQ(stats.dropped, 0);
  EXPECT_EQ(stats.queued, 0);
}

TEST(AlertSenderTest, ADeadEndpointDropsTheOldestWaitingNeverTheOneInFlight) {
  auto owned = std::make_unique<AlertAdapter>(/*failures=*/0);
  AlertAdapter* adapter = owned.get();
  engine::SystemClock clock;
  AlertSender sender("web", std::move(owned), 1, 5, &clock, {});
  adapter->Hold();
  sender.Start();
  sender.Offer("first");
  ASSERT_EQ(adapter->WaitEntered(1).size(), 1u);  // "first" is in flight, held by the endpoint
  for (size_t i = 0; i < AlertSender::kMaxQueued + 2; ++i) sender.Offer(std::to_string(i));
  AlertSenderStats stats = sender.Stats();
  EXPECT_EQ(stats.dropped, 3);
  EXPECT_EQ(stats.queued, static_cast<int64_t>(AlertSender::kMaxQueued));
  adapter->Release();
  std::vector<std::string> got = adapter->WaitDelivered(AlertSender::kMaxQueued);
  ASSERT_EQ(got.size(), AlertSender::kMaxQueued);
  EXPECT_EQ(got.front(), "first") << "the array in flight is never dropped";
  EXPECT_EQ(got[1], "3") << "0, 1 and 2 were the oldest waiting";
  EXPECT_EQ(got.back(), std::to_string(AlertSender::kMaxQueued + 1));
}

TEST(AlertSenderTest, StopInterruptsADeliveryInFlight) {
  auto owned = std::make_unique<AlertAdapter>(0);
  AlertAdapter* adapter = owned.get();
  engine::SystemClock clock;
  AlertSender sender("web", std::move(owned), 1, 5, &clock, {});
  adapter->Hold();
  sender.Start();
  sender.Offer("[1]");
  // In flight and held: only the interrupt can end it (without it Stop would wait forever).
  ASSERT_EQ(adapter->WaitEntered(1).size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  sender.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(adapter->WaitAttempts(1), std::vector<std::string>{"[1]"}) << "returned interrupted";
  sender.Offer("[2]");  // after Stop: ignored
  EXPECT_EQ(sender.Stats().delivered, 0);
}

}  // namespace
}  // namespace stockd::push
