// The per-channel push scheduler against an in-process adapter that records every call:
// coalescing, the sold-out priority lane, Retry-After, backoff, permanent errors, the rate
// limit, durable acknowledgements across a restart, and a hung adapter never blocking
// Offer. (The real plugins and the HTTP fault schedule are exercised in push/e2e_test.cc.)
#include "daemon/push/channel_pusher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace stockd::push {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Records pushes; answers from a programmable function; can be held closed.
class RecordingAdapter final : public Adapter {
 public:
  struct Call {
    Clock::time_point at;
    std::vector<PushItem> items;
  };
  std::function<PushResult(const PushItem&, int call_index)> answer = [](const PushItem&, int) {
    return PushResult{PushResult::Status::kOk, 0, ""};
  };
  std::chrono::milliseconds delay{0};

  const std::string& name() const override { return name_; }
  int max_batch() const override { return max_batch_; }
  bool can_fetch() const override { return false; }
  absl::StatusOr<std::vector<int64_t>> Fetch(const std::vector<std::string>&) override {
    return absl::UnimplementedError("no fetch");
  }
  std::vector<PushResult> Push(const std::vector<PushItem>& items) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      gate_cv_.wait(lock, [this] { return open_; });
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::lock_guard<std::mutex> lock(mu_);
    const int index = static_cast<int>(calls_.size());
    calls_.push_back({Clock::now(), items});
    std::vector<PushResult> out;
    for (const PushItem& item : items) out.push_back(answer(item, index));
    return out;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    gate_cv_.notify_all();
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int PushesOf(const std::string& sku) {
    int n = 0;
    for (const Call& c : calls()) {
      for (const PushItem& i : c.items) n += i.sku == sku;
    }
    return n;
  }
  void set_max_batch(int n) { max_batch_ = n; }

 private:
  std::string name_ = "recording";
  int max_batch_ = 100;
  std::mutex mu_;
  std::condition_variable gate_cv_;
  bool open_ = true;
  std::vector<Call> calls_;
};

struct Fixture {
  engine::SystemClock clock;
  MemoryAckStore acks;
  RecordingAdapter* adapter = nullptr;  // owned by the pusher
  std::unique_ptr<ChannelPusher> pusher;

  explicit Fixture(PusherOptions options = {}, std::function<void(RecordingAdapter&)> setup = {}) {
    auto a = std::make_unique<RecordingAdapter>();
    adapter = a.get();
    if (setup) setup(*a);
    if (options.channel.empty()) options.channel = "amazon";
    pusher = std::make_unique<ChannelPusher>(options, std::move(a), &acks, &clock);
  }
  bool WaitIdle(std::chrono::milliseconds timeout = 10s) {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      if (pusher->Idle()) return true;
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }
};

TEST(ChannelPusherTest, ThousandChangesOfOneSkuBecomeFewPushes) {
  Fixture f({}, [](RecordingAdapter& a) { a.delay = 20ms; });  // a realistic round trip
  f.pusher->Start();
  const auto start = Clock::now();
  for (int i = 1; i <= 1000; ++i) {
    f.pusher->Offer("HOT", i);
    std::this_thread::sleep_for(900us);  // ~1,000 changes within about a second
  }
  ASSERT_TRUE(f.WaitIdle());
  const auto took = Clock::now() - start;
  EXPECT_LT(took, 5s);
  const int pushes = f.adapter->PushesOf("HOT");
  // The first change goes at once; the rest wait out the 1 s coalescing window.
  EXPECT_LE(pushes, 3) << "changes are not coalesced";
  EXPECT_EQ(f.pusher->Acked("HOT"), 1000);  // the last value, not a stale one
  EXPECT_EQ(f.adapter->calls().back().items.back().quantity, 1000);
}

TEST(ChannelPusherTest, ChangesWithinOnePushCoalesceIntoAtMostTwoMore) {
  Fixture f;
  f.pusher->Start();
  f.adapter->Close();  // the first push hangs at the channel
  f.pusher->Offer("HOT", 1);
  std::this_thread::sleep_for(50ms);
  for (int i = 2; i <= 1000; ++i) f.pusher->Offer("HOT", i);
  f.adapter->Open();
  ASSERT_TRUE(f.WaitIdle());
  EXPECT_LE(f.adapter->PushesOf("HOT"), 3);
  EXPECT_EQ(f.pusher->Acked("HOT"), 1000);
}

TEST(ChannelPusherTest, SoldOutCrossingOvertakesBacklog) {
  PusherOptions options;
  options.max_batch = 100;
  Fixture f(options);
  absl::flat_hash_map<std::string, int64_t> acked;
  for (int i = 0; i < 10'000; ++i) acked["SKU-" + std::to_string(i)] = 10;
  acked["LAST-ONE"] = 1;
  f.pusher->LoadAcked(acked);
  f.pusher->Start();
  f.adapter->Close();
  for (int i = 0; i < 10'000; ++i) f.pusher->Offer("SKU-" + std::to_string(i), 9);  // ordinary
  f.pusher->Offer("LAST-ONE", 0);  // sold out: must not wait behind 10,000 changes
  f.adapter->Open();
  ASSERT_TRUE(f.WaitIdle(30s));
  std::vector<RecordingAdapter::Call> calls = f.adapter->calls();
  int call_with_sold_out = -1;
  for (size_t c = 0; c < calls.size() && call_with_sold_out < 0; ++c) {
    for (const PushItem& i : calls[c].items) {
      if (i.sku == "LAST-ONE") call_with_sold_out = static_cast<int>(c);
    }
  }
  // The first batch may already have been taken when the crossing arrived; the next
  // one carries it. 10,000 / 100 = 100 batches would be its place without the lane.
  ASSERT_GE(call_with_sold_out, 0);
  EXPECT_LE(call_with_sold_out, 1);
  EXPECT_EQ(f.pusher->Stats().priority_items, 1);
  EXPECT_EQ(f.pusher->Acked("LAST-ONE"), 0);
  EXPECT_EQ(f.pusher->Acked("SKU-9999"), 9);
}

TEST(ChannelPusherTest, IsolatedChangesOfDifferentSkusGoAtOnce) {
  Fixture f;
  f.pusher->Start();
  for (int i = 0; i < 20; ++i) {
    const auto offered = Clock::now();
    f.pusher->Offer("ONE-" + std::to_string(i), 5);
    ASSERT_TRUE(f.WaitIdle());
    EXPECT_LT(Clock::now() - offered, 200ms);  // the window only holds back repeats
  }
}

TEST(ChannelPusherTest, RetryAfterIsHonoured) {
  Fixture f({}, [](RecordingAdapter& a) {
    a.answer = [](const PushItem&, int call) {
      return call == 0 ? PushResult{PushResult::Status::kRetry, 400, "429"}
                       : PushResult{PushResult::Status::kOk, 0, ""};
    };
  });
  f.pusher->Start();
  f.pusher->Offer("A", 5);
  ASSERT_TRUE(f.WaitIdle());
  std::vector<RecordingAdapter::Call> calls = f.adapter->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_GE(calls[1].at - calls[0].at, 390ms);
  EXPECT_EQ(f.pusher->Acked("A"), 5);
  EXPECT_EQ(f.pusher->Stats().items_retry, 1);
}

TEST(ChannelPusherTest, FailuresBackOffWithJitterThenSucceed) {
  PusherOptions options;
  options.retry_initial_ms = 20;
  options.retry_max_ms = 200;
  Fixture f(options, [](RecordingAdapter& a) {
    a.answer = [](const PushItem&, int call) {
      return call < 4 ? PushResult{PushResult::Status::kRetry, 0, "500"}
                      : PushResult{PushResult::Status::kOk, 0, ""};
    };
  });
  f.pusher->Start();
  f.pusher->Offer("A", 3);
  ASSERT_TRUE(f.WaitIdle());
  std::vector<RecordingAdapter::Call> calls = f.adapter->calls();
  ASSERT_EQ(calls.size(), 5u);
  // Gaps grow: >= initial/2 * 2^(n-1) (jitter keeps each within [d/2, d]).
  for (size_t i = 1; i < calls.size(); ++i) {
    const auto gap =
        std::chrono::duration_cast<std::chrono::milliseconds>(calls[i].at - calls[i - 1].at);
    const int64_t d = std::min<int64_t>(200, 20LL << (i - 1));
    EXPECT_GE(gap.count(), d / 2 - 2) << "retry " << i;
  }
  EXPECT_EQ(f.pusher->Acked("A"), 3);
}

TEST(ChannelPusherTest, PermanentErrorIsNotRetriedUntilTheQuantityChanges) {
  Fixture f({}, [](RecordingAdapter& a) {
    a.answer = [](const PushItem& item, int) {
      return item.quantity == 7 ? PushResult{PushResult::Status::kPermanent, 0, "unknown listing"}
                                : PushResult{PushResult::Status::kOk, 0, ""};
    };
  });
  f.pusher->Start();
  f.pusher->Offer("A", 7);
  ASSERT_TRUE(f.WaitIdle());
  f.pusher->Offer("A", 7);  // same value again: still rejected, not re-sent
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(f.WaitIdle());
  EXPECT_EQ(f.adapter->PushesOf("A"), 1);
  EXPECT_EQ(f.pusher->Stats().items_permanent, 1);
  EXPECT_NE(f.pusher->Stats().last_error.find("unknown listing"), std::string::npos);
  f.pusher->Offer("A", 8);  // a new value is tried
  ASSERT_TRUE(f.WaitIdle());
  EXPECT_EQ(f.adapter->PushesOf("A"), 2);
  EXPECT_EQ(f.pusher->Acked("A"), 8);
}

TEST(ChannelPusherTest, RateLimitSpacesItems) {
  PusherOptions options;
  options.rate_per_second = 100;
  options.burst = 10;
  Fixture f(options);
  f.pusher->Start();
  const auto start = Clock::now();
  for (int i = 0; i < 60; ++i) f.pusher->Offer("R-" + std::to_string(i), 1);
  ASSERT_TRUE(f.WaitIdle());
  // 10 from the burst, 50 more at 100/s: at least ~0.5 s.
  EXPECT_GE(Clock::now() - start, 450ms);
  for (const RecordingAdapter::Call& c : f.adapter->calls()) EXPECT_LE(c.items.size(), 10u);
}

TEST(ChannelPusherTest, RestartResendsNothingAcknowledged) {
  engine::SystemClock clock;
  MemoryAckStore acks;
  {
    auto a = std::make_unique<RecordingAdapter>();
    PusherOptions o;
    o.channel = "ebay";
    ChannelPusher p(o, std::move(a), &acks, &clock);
    p.Start();
    for (int i = 0; i < 50; ++i) p.Offer("S-" + std::to_string(i), i + 1);
    for (int i = 0; i < 500 && !p.Idle(); ++i) std::this_thread::sleep_for(2ms);
    ASSERT_TRUE(p.Idle());
    std::this_thread::sleep_for(20ms);  // the ack save follows the push
  }
  absl::StatusOr<AckMap> loaded = acks.LoadAll();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ((*loaded)["ebay"].size(), 50u);
  auto a = std::make_unique<RecordingAdapter>();
  RecordingAdapter* raw = a.get();
  PusherOptions o;
  o.channel = "ebay";
  ChannelPusher p(o, std::move(a), &acks, &clock);
  p.LoadAcked((*loaded)["ebay"]);
  p.Start();
  for (int i = 0; i < 50; ++i) p.Offer("S-" + std::to_string(i), i + 1);  // unchanged
  p.Offer("S-0", 99);                                                     // changed
  for (int i = 0; i < 500 && !p.Idle(); ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(raw->calls().size(), 1u);
  ASSERT_EQ(raw->calls()[0].items.size(), 1u);
  EXPECT_EQ(raw->calls()[0].items[0].sku, "S-0");
  EXPECT_EQ(raw->calls()[0].items[0].previous, 1);
}

// An AckStore whose saves fail while `down` (Redis unreachable), counting attempts.
class FlakyAckStore final : public AckStore {
 public:
  std::atomic<bool> down{true};
  std::atomic<int> saves{0};
  MemoryAckStore inner;

  absl::StatusOr<AckMap> LoadAll() override { return inner.LoadAll(); }
  absl::Status Save(const std::string& channel,
                    const std::vector<std::pair<std::string, int64_t>>& acked) override {
    ++saves;
    if (down) return absl::UnavailableError("redis at 'unix:/x': connection refused");
    return inner.Save(channel, acked);
  }
};

// A failed ack save is retried on its own, with backoff (no busy loop while Redis is
// down), and the newest acknowledged quantity of a SKU is the one saved.
TEST(ChannelPusherTest, FailedAckSaveIsRetriedWithBackoffUntilSaved) {
  engine::SystemClock clock;
  FlakyAckStore acks;
  auto a = std::make_unique<RecordingAdapter>();
  RecordingAdapter* raw = a.get();
  PusherOptions o;
  o.channel = "ebay";
  o.retry_initial_ms = 50;
  o.retry_max_ms = 200;
  ChannelPusher p(o, std::move(a), &acks, &clock);
  p.Start();
  for (int i = 0; i < 10; ++i) p.Offer("S-" + std::to_string(i), i + 1);
  for (int i = 0; i < 500 && !p.Idle(); ++i) std::this_thread::sleep_for(2ms);
  ASSERT_TRUE(p.Idle());
  p.Offer("S-0", 42);  // a newer quantity of a SKU whose first ack is still unsaved
  for (int i = 0; i < 500 && !p.Idle(); ++i) std::this_thread::sleep_for(2ms);
  ASSERT_TRUE(p.Idle());

  std::this_thread::sleep_for(1s);
  // Backoff 50 ms doubling to 200 ms: about 6-8 attempts in a second, never thousands.
  EXPECT_GE(acks.saves.load(), 2);
  EXPECT_LE(acks.saves.load(), 30) << "the pusher retries the save in a busy loop";
  EXPECT_GE(p.Stats().ack_save_failures, 2);
  EXPECT_TRUE(acks.inner.LoadAll()->empty());

  acks.down = false;  // Redis is back: the next attempt saves everything, no new push
  const size_t pushes = raw->calls().size();
  absl::StatusOr<AckMap> saved;
  for (int i = 0; i < 200; ++i) {
    saved = acks.inner.LoadAll();
    if (saved.ok() && (*saved)["ebay"].size() == 10) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ((*saved)["ebay"].size(), 10u);
  EXPECT_EQ((*saved)["ebay"]["S-0"], 42) << "an older ack overwrote a newer one";
  EXPECT_EQ((*saved)["ebay"]["S-9"], 10);
  EXPECT_EQ(raw->calls().size(), pushes) << "saving must not re-push";
  const int after = acks.saves.load();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(acks.saves.load(), after) << "nothing left to save, yet it keeps saving";
}

TEST(ChannelPusherTest, HungAdapterNeverBlocksOffer) {
  Fixture f;
  f.pusher->Start();
  f.adapter->Close();  // the channel hangs
  f.pusher->Offer("X", 1);
  std::this_thread::sleep_for(20ms);
  const auto start = Clock::now();
  for (int i = 0; i < 20'000; ++i) f.pusher->Offer("Y-" + std::to_string(i % 500), i);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_GE(f.pusher->Stats().dirty, 500);
  f.adapter->Open();
  ASSERT_TRUE(f.WaitIdle());
}

// Queues a Resync and waits for its answer (tests only: the daemon never waits).
absl::StatusOr<DriftReport> ResyncAndWait(ChannelPusher& pusher,
                                          std::vector<std::pair<std::string, int64_t>> desired,
                                          bool force) {
  std::promise<absl::StatusOr<DriftReport>> answer;
  pusher.Resync([desired] { return desired; }, force,
                [&answer](absl::StatusOr<DriftReport> r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

TEST(ChannelPusherTest, ResyncWithoutFetchComparesAcknowledged) {
  Fixture f;
  f.pusher->LoadAcked({{"A", 5}, {"B", 3}});
  f.pusher->Start();
  absl::StatusOr<DriftReport> answer =
      ResyncAndWait(*f.pusher, {{"A", 5}, {"B", 4}, {"C", 2}}, /*force=*/false);
  ASSERT_TRUE(answer.ok()) << answer.status();
  const DriftReport& r = *answer;
  EXPECT_FALSE(r.fetched);
  EXPECT_EQ(r.checked, 3);
  EXPECT_EQ(r.drifted, 2);
  ASSERT_EQ(r.largest.size(), 2u);
  ASSERT_TRUE(f.WaitIdle());
  EXPECT_EQ(f.pusher->Acked("B"), 4);
  EXPECT_EQ(f.pusher->Acked("C"), 2);
  EXPECT_EQ(f.adapter->PushesOf("A"), 0);
}

// An adapter whose fetch hangs until it is interrupted, like a channel that accepts the
// connection and never answers.
class HangingFetchAdapter final : public Adapter {
 public:
  const std::string& name() const override { return name_; }
  int max_batch() const override { return 100; }
  bool can_fetch() const override { return true; }
  std::vector<PushResult> Push(const std::vector<PushItem>& items) override {
    return std::vector<PushResult>(items.size(), PushResult{PushResult::Status::kOk, 0, ""});
  }
  absl::StatusOr<std::vector<int64_t>> Fetch(const std::vector<std::string>&) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++fetches_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return interrupted_; });
    return absl::UnavailableError("fetch: abandoned, stockd is stopping");
  }
  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
    cv_.notify_all();
  }
  bool WaitForFetch() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 5s, [this] { return fetches_ > 0; });
  }

 private:
  std::string name_ = "hanging";
  std::mutex mu_;
  std::condition_variable cv_;
  int fetches_ = 0;
  bool interrupted_ = false;
};

TEST(ChannelPusherTest, ResyncQueueIsBoundedAndStopAnswersEveryResync) {
  engine::SystemClock clock;
  MemoryAckStore acks;
  PusherOptions options;
  options.channel = "amazon";
  options.max_queued_resyncs = 3;
  auto adapter = std::make_unique<HangingFetchAdapter>();
  HangingFetchAdapter* hanging = adapter.get();
  auto pusher = std::make_unique<ChannelPusher>(options, std::move(adapter), &acks, &clock);
  pusher->Start();

  std::mutex mu;
  std::vector<absl::Status> answers;  // in the order they came
  const auto record = [&](absl::StatusOr<DriftReport> r) {
    std::lock_guard<std::mutex> lock(mu);
    answers.push_back(r.status());
  };
  const auto desired = [] { return std::vector<std::pair<std::string, int64_t>>{{"A", 1}}; };
  pusher->Resync(desired, false, record);  // runs, and hangs in fetch
  ASSERT_TRUE(hanging->WaitForFetch());
  for (int i = 0; i < 3; ++i) pusher->Resync(desired, false, record);  // queued
  pusher->Resync(desired, false, record);  // one too many: refused at once
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(answers[0].message(),
              "channel 'amazon' already has 3 resyncs waiting (at most 3; its adapter may be "
              "slow or hung): retry later");
  }

  const auto start = Clock::now();
  pusher->Stop();
  EXPECT_LT(Clock::now() - start, 1s);
  const std::string draining =
      "channel 'amazon': the daemon is stopping (draining); resync not run, retry after the "
      "restart";
  ASSERT_EQ(answers.size(), 5u);
  for (size_t i = 1; i < answers.size(); ++i) {
    EXPECT_EQ(answers[i].code(), absl::StatusCode::kUnavailable) << i;
    EXPECT_EQ(answers[i].message(), draining) << i;
  }
  // After Stop a Resync is answered at once.
  pusher->Resync(desired, false, record);
  ASSERT_EQ(answers.size(), 6u);
  EXPECT_EQ(answers[5].code(), absl::StatusCode::kUnavailable);
}

TEST(ChannelPusherTest, LastErrorIsRedacted) {
  Fixture f({}, [](RecordingAdapter& a) {
    a.answer = [](const PushItem&, int) {
      return PushResult{PushResult::Status::kRetry, 60'000,
                        "POST https://user:s3cr3t@shop.example/stock?token=abc: HTTP 503"};
    };
  });
  f.pusher->Start();
  f.pusher->Offer("A", 1);
  const auto end = Clock::now() + 5s;
  while (f.pusher->Stats().items_retry == 0 && Clock::now() < end) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(f.pusher->Stats().last_error,
            "A: POST https://***@shop.example/stock?token=***: HTTP 503");
}

}  // namespace
}  // namespace stockd::push

namespace stockd::push {
namespace {

// Push failures reach the log at warn (options.log): each failed whole batch (with the
// pause and the adapter's message), permanent rejections; a success logs nothing.
TEST(ChannelPusherTest, FailuresAreLoggedAtWarn) {
  struct Line {
    log::Level level;
    std::string msg;
  };
  std::mutex mu;
  std::vector<Line> lines;
  PusherOptions options;
  options.retry_initial_ms = 10;
  options.retry_max_ms = 20;
  options.log = [&](log::Level level, const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back({level, msg});
  };
  Fixture f(options, [](RecordingAdapter& a) {
    a.answer = [](const PushItem& item, int call) {
      if (item.sku == "R") return PushResult{PushResult::Status::kPermanent, 0, "unknown listing"};
      return call < 2 ? PushResult{PushResult::Status::kRetry, 0, "connection refused"}
                      : PushResult{PushResult::Status::kOk, 0, ""};
    };
  });
  f.pusher->Start();
  f.pusher->Offer("A", 3);
  ASSERT_TRUE(f.WaitIdle());
  f.pusher->Offer("R", 1);
  ASSERT_TRUE(f.WaitIdle());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(lines.size(), 3u);
  for (const Line& line : lines) EXPECT_EQ(line.level, log::Level::kWarn) << line.msg;
  EXPECT_EQ(
      lines[0].msg.rfind("push[amazon]: a batch of 1 failed (1 in a row), channel paused for ", 0),
      0u)
      << lines[0].msg;
  EXPECT_NE(lines[0].msg.find("A: connection refused"), std::string::npos) << lines[0].msg;
  EXPECT_NE(lines[1].msg.find("failed (2 in a row)"), std::string::npos) << lines[1].msg;
  EXPECT_EQ(
      lines[2].msg,
      "push[amazon]: 1 rejected for good (not retried until they change): R: unknown listing");
}

}  // namespace
}  // namespace stockd::push
