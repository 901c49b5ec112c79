// Crash test of inbound orders (issue 13, docs/orders.md "Cursor durability"): exactly
// once across SIGKILL. The test process runs the fake marketplace (FakeChannelServer and
// its order book) whose customers place, pay, partly ship, ship and cancel orders at a
// steady rate; the real `stockd` binary (embedded redis-server, appendfsync always) polls
// it every 20 ms with a 100 ms overlap, so most revisions are delivered more than once
// (the overlap re-reads them, and so does a restart from the stored cursor). The test
// SIGKILLs stockd at random moments (half of them aimed 0-3 ms after the fake has served
// a page of orders, while stockd applies it; once in a while again during its start-up)
// and restarts it. After the last cycle it stops the customers, waits until stockd has
// ingested every order's latest revision, and checks exactly (orders_oracle.h): every
// order once at its revision and status, the counters of every SKU as the fake's orders
// imply from the initial stock, one hold per open order and no other, CheckInvariants. A
// last SIGKILL and restart re-reads the overlap window and must change nothing.
//
// A SIGKILL "in the window" is one after which the daemon's append-only file has order
// writes after its last cursor save: revisions applied that the stored cursor does not
// cover (orders_market.h). The summary counts them.
//
// Environment: STOCKD_CRASH_CYCLES (default 40 here), STOCKD_CRASH_SEED (default random;
// printed), STOCKD_CRASH_KEEP=1, STOCKD_CRASH_VERBOSE=1 (as crash_test.cc);
// `scripts/crash-test --orders` runs this case alone.
//
// Thread safety: the fixture runs on the GoogleTest thread; Customers runs its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/harness.h"
#include "tests/crash/load.h"
#include "tests/crash/orders_market.h"
#include "tests/crash/orders_oracle.h"
#include "tests/fakes/fake_channel_server.h"

namespace stockd::crash {
namespace {

constexpr int kListings = 6;
constexpr int64_t kCustomerStepMs = 5;
constexpr int64_t kIngestDeadlineMs = 30'000;

class OrdersCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(process_.SetUp());
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
  }

  void TearDown() override {
    if (customers_) customers_->Stop();
    process_.TearDown(HasFailure() || EnvInt("STOCKD_CRASH_KEEP", 0) != 0);
    fake_.Stop();
  }

  void StartStockd() { ASSERT_NO_FATAL_FAILURE(process_.Start(&stub_)); }

  // The initial stock take: enough of every SKU that no order needs a breach or a
  // backorder, so the counters follow the orders alone.
  void SeedStock(std::mt19937_64& rng) {
    for (int i = 0; i < kListings; ++i) {
      const std::string sku = "ORD-" + std::to_string(i);
      v1::CountRequest req;
      req.set_request_id("seed-" + sku);
      req.set_location(kOrdersLocation);
      req.set_sku(sku);
      req.set_on_hand(std::uniform_int_distribution<int64_t>(50'000, 100'000)(rng));
      v1::StockRowResponse resp;
      grpc::Status st;
      for (int attempt = 0; attempt < 5; ++attempt) {
        st = Invoke(*stub_, Kind::kCount, req, &resp, kCheckDeadlineMs);
        if (st.ok()) break;
        SleepMs(100);
      }
      ASSERT_TRUE(st.ok()) << "seed " << sku << ": " << st.error_message();
      initial_[sku] = req.on_hand();
    }
  }

  // SIGKILLs stockd and reads its append-only file: was it in the window?
  void KillAndClassify() {
    ASSERT_NO_FATAL_FAILURE(process_.Kill());
    // Its redis-server (SIGTERM by PDEATHSIG) may still append what stockd had sent it:
    // read the file once that has exited.
    const pid_t redis = ReadPidFile(process_.data_dir() + "/redis.pid");
    if (redis > 0 && CommOf(redis).rfind("redis-server", 0) == 0) {
      const int64_t until = NowUs() + 10'000'000;
      while (Alive(redis) && CommOf(redis).rfind("redis-server", 0) == 0) {
        ASSERT_LT(NowUs(), until) << "redis-server " << redis << " still runs 10 s after stockd";
        SleepMs(5);
      }
    }
    const CursorWindow w = ReadCursorWindow(process_.data_dir(), kOrdersChannel);
    if (!w.readable || !w.cursor_saved) {
      ++kills_undetermined_;
      if (!w.error.empty() && first_aof_error_.empty()) first_aof_error_ = w.error;
    } else if (w.order_writes_after_save > 0) {
      ++kills_in_window_;
      unsaved_writes_ += w.order_writes_after_save;
    } else {
      ++kills_between_polls_;
    }
  }

  StockdProcess process_;
  fakes::FakeChannelServer fake_;
  std::unique_ptr<Customers> customers_;
  std::shared_ptr<v1::Stock::Stub> stub_;
  std::map<std::string, int64_t> initial_;
  int kills_in_window_ = 0;
  int kills_between_polls_ = 0;
  int kills_undetermined_ = 0;
  int startup_kills_ = 0;
  int aimed_kills_ = 0;
  int64_t unsaved_writes_ = 0;
  std::string first_aof_error_;
};

TEST_F(OrdersCrashTest, ExactlyOnce) {
  const int cycles = std::max(1, EnvInt("STOCKD_CRASH_CYCLES", 40));
  const uint64_t seed = std::getenv("STOCKD_CRASH_SEED")
                            ? std::strtoull(std::getenv("STOCKD_CRASH_SEED"), nullptr, 10)
                            : std::random_device{}();
  const bool verbose = EnvInt("STOCKD_CRASH_VERBOSE", 0) != 0;
  std::mt19937_64 rng(seed);
  std::printf(
      "[orders-crash] SIGKILL stockd polling orders every %lld ms (overlap %lld ms), "
      "appendfsync always, %d cycles, seed %llu, dir %s\n",
      static_cast<long long>(kOrdersPollMs), static_cast<long long>(kOrdersOverlapMs), cycles,
      static_cast<unsigned long long>(seed), process_.dir().c_str());
  const int64_t run_start = NowUs();

  process_.WriteConfigText(OrdersYaml(process_.port(), process_.data_dir(), "always", fake_.url()));
  ASSERT_NO_FATAL_FAILURE(StartStockd());
  ASSERT_NO_FATAL_FAILURE(SeedStock(rng));
  std::vector<std::string> listings;
  for (const auto& [sku, on_hand] : initial_) listings.push_back(sku);
  customers_ = std::make_unique<Customers>(&fake_.orders(), listings, seed, kCustomerStepMs);
  customers_->Start();

  for (int cycle = 1; cycle <= cycles; ++cycle) {
    const int run_ms = std::uniform_int_distribution<int>(50, 400)(rng);
    SleepMs(run_ms);
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
      // Aimed: right after the fake has served a page with orders, 0-3 ms into its apply.
      const int64_t served = fake_.OrdersServedCount().revisions;
      const int64_t until = NowUs() + 5'000'000;
      while (fake_.OrdersServedCount().revisions == served && NowUs() < until) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
      ++aimed_kills_;
    }
    const int64_t killed_at = WallMs();
    ASSERT_NO_FATAL_FAILURE(KillAndClassify());
    if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
      // During its start-up: restoring, then its first polls catching up on the orders
      // placed while it was down.
      ASSERT_NO_FATAL_FAILURE(process_.SpawnOnly());
      SleepMs(std::uniform_int_distribution<int>(0, 400)(rng));
      ASSERT_NO_FATAL_FAILURE(KillAndClassify());
      ++startup_kills_;
    }
    if (cycle == cycles) customers_->Stop();
    ASSERT_NO_FATAL_FAILURE(StartStockd());
    if (verbose) {
      std::printf("[orders-crash] cycle %d: SIGKILL after %d ms, ready +%lld ms\n", cycle, run_ms,
                  static_cast<long long>(WallMs() - killed_at));
    }
  }
  const double run_s = static_cast<double>(NowUs() - run_start) / 1e6;
  EXPECT_EQ(customers_->failed_steps(), 0) << customers_->first_error();

  OrdersOracle oracle(initial_);
  OrdersCheckSummary summary;
  const std::vector<fakes::FakeOrder> orders = AllFakeOrders(fake_.orders());
  ASSERT_FALSE(orders.empty());
  ASSERT_NO_FATAL_FAILURE(oracle.WaitIngested(*stub_, orders, kIngestDeadlineMs, &summary));
  ASSERT_NO_FATAL_FAILURE(oracle.Check(*stub_, orders, &summary));

  // A last SIGKILL and restart with no new orders: the restart re-reads the overlap window
  // from the stored cursor (revisions already applied) and must change nothing.
  ASSERT_NO_FATAL_FAILURE(KillAndClassify());
  const size_t requests_before = fake_.RequestCount();
  ASSERT_NO_FATAL_FAILURE(StartStockd());
  const auto orders_polls = [&] {
    size_t n = 0;
    const std::vector<fakes::RequestRecord> requests = fake_.Requests();
    for (size_t i = requests_before; i < requests.size(); ++i) {
      n += requests[i].target.rfind("/orders", 0) == 0 && requests[i].status == 200;
    }
    return n;
  };
  const int64_t wait_until = NowUs() + kIngestDeadlineMs * 1000;
  while (orders_polls() < 3) {
    ASSERT_LT(NowUs(), wait_until) << "the restarted stockd did not poll orders";
    SleepMs(kOrdersPollMs);
  }
  ASSERT_NO_FATAL_FAILURE(oracle.Check(*stub_, orders, &summary));

  const fakes::FakeChannelServer::OrdersServed served = fake_.OrdersServedCount();
  std::printf("[orders-crash] summary: %d cycles in %.1f s (customers: %lld changes)\n", cycles,
              run_s, static_cast<long long>(customers_->steps()));
  std::printf(
      "[orders-crash]   orders: %lld (%lld open at the end), %lld revisions on the fake, "
      "%lld SKUs; all ingested %lld ms after the customers stopped\n",
      static_cast<long long>(summary.orders), static_cast<long long>(summary.open_orders),
      static_cast<long long>(summary.revisions), static_cast<long long>(summary.skus),
      static_cast<long long>(summary.ingest_wait_ms));
  std::printf(
      "[orders-crash]   revisions polled: %lld, distinct %lld: %lld delivered again "
      "(overlap, re-poll after a restart)\n",
      static_cast<long long>(served.revisions), static_cast<long long>(served.distinct),
      static_cast<long long>(served.revisions - served.distinct));
  std::printf(
      "[orders-crash]   SIGKILLs: %d (%d during start-up, %d aimed just after a page of "
      "orders was served); between applying orders and saving the cursor: %d (%lld order "
      "writes not covered by the stored cursor), between polls: %d, undetermined: %d%s%s\n",
      cycles + startup_kills_ + 1, startup_kills_, aimed_kills_, kills_in_window_,
      static_cast<long long>(unsaved_writes_), kills_between_polls_, kills_undetermined_,
      first_aof_error_.empty() ? "" : " — ", first_aof_error_.c_str());
  std::printf("[orders-crash]   stockd start to ready: %s\n", Spread(process_.start_ms()).c_str());
}

}  // namespace
}  // namespace stockd::crash
