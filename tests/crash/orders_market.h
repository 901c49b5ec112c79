// The orders crash case's marketplace side (orders_crash_test.cc): the shop stockd runs
// with (one warehouse; a marketplace channel whose webhook adapter polls the fake
// marketplace's order book often, with an overlap window), the scripted customers that
// place, pay, ship and cancel orders on the fake at a steady rate, and a reader of the
// killed daemon's append-only file that tells whether the SIGKILL landed between applying
// orders and saving the order cursor.
//
// Thread safety: Customers runs its own thread; Start/Stop and the counters are called
// from the GoogleTest thread (the counters are atomic). The free functions are reentrant.
#ifndef STOCKD_TESTS_CRASH_ORDERS_MARKET_H_
#define STOCKD_TESTS_CRASH_ORDERS_MARKET_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tests/fakes/fake_order_book.h"

namespace stockd::crash {

constexpr char kOrdersChannel[] = "market";
constexpr char kOrdersLocation[] = "wh";
constexpr int64_t kOrdersPollMs = 20;
constexpr int64_t kOrdersOverlapMs = 100;

// stockd.yaml for the orders case: embedded redis-server with `appendfsync`, location
// kOrdersLocation, channel kOrdersChannel (marketplace) whose `webhook` adapter pushes to
// and polls `fake_url` (no listings file: a listing id is its SKU) every kOrdersPollMs
// with kOrdersOverlapMs of overlap, and a webshop without an adapter.
std::string OrdersYaml(int port, const std::string& data_dir, const std::string& appendfsync,
                       const std::string& fake_url);

// Customers on the fake marketplace: a seeded stream of FakeOrderBook::RandomStep on
// kOrdersChannel over `listings` (place 1-3 lines, pay, ship partly or wholly, cancel),
// one step every `step_ms`, until Stop().
class Customers {
 public:
  Customers(fakes::FakeOrderBook* book, std::vector<std::string> listings, uint64_t seed,
            int64_t step_ms)
      : book_(book), listings_(std::move(listings)), rng_(seed), step_ms_(step_ms) {}
  ~Customers() { Stop(); }
  Customers(const Customers&) = delete;
  Customers& operator=(const Customers&) = delete;

  void Start();
  // Returns once no step runs any more; idempotent.
  void Stop();

  int64_t steps() const { return steps_; }
  int64_t failed_steps() const { return failed_; }
  std::string first_error() const {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

 private:
  void Run();

  fakes::FakeOrderBook* const book_;
  const std::vector<std::string> listings_;
  std::mt19937_64 rng_;  // the customers' thread only
  const int64_t step_ms_;
  std::thread thread_;
  std::atomic<int64_t> steps_{0};
  std::atomic<int64_t> failed_{0};
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// What the append-only file of a killed daemon says about the order cursor of `channel`.
struct CursorWindow {
  bool readable = false;      // the AOF manifest and its incremental files were read
  bool cursor_saved = false;  // a cursor save of the channel is in the incremental files
  std::string cursor;         // the last one saved
  // Order writes (`{stockd}:orders`, `{stockd}:closed-orders:*`) after that save: applied
  // revisions the stored cursor does not cover yet, i.e. the SIGKILL landed between
  // applying a poll's orders and saving its cursor (> 0), or between polls (0).
  int64_t order_writes_after_save = 0;
  std::string error;  // why not readable
};

// Reads `<data_dir>/appendonlydir` (the incremental files its manifest lists, in order).
// Call it once the daemon is dead: nothing writes to it any more.
CursorWindow ReadCursorWindow(const std::string& data_dir, const std::string& channel);

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_ORDERS_MARKET_H_
