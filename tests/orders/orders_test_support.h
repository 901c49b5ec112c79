// Shared by the orders tests: a shop model (warehouse wh; channels amazon and web), an
// engine without a journal on a manual clock, order constructors, and ScriptedAdapter, an
// in-process plugins::Adapter whose order log works like the fake marketplace's (each
// order once, at its latest change; a cursor is a decimal position in the log).
//
// Thread safety: ScriptedAdapter locks; the rest is used from the test's thread.
#ifndef STOCKD_TESTS_ORDERS_ORDERS_TEST_SUPPORT_H_
#define STOCKD_TESTS_ORDERS_ORDERS_TEST_SUPPORT_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/plugins/adapter.h"
#include "gtest/gtest.h"
#include "tests/support/test_model.h"

namespace stockd::orders::testing {

inline std::unique_ptr<engine::Engine> MakeEngine(const engine::Clock* clock) {
  engine::Model model = stockd::testing::ModelBuilder()
                            .Location("wh")
                            .Channel("amazon", engine::ChannelType::kMarketplace, {"wh"})
                            .Channel("web", engine::ChannelType::kWebshop, {"wh"})
                            .Build();
  // A kit (docs/kits.md, "Orders"): PAIR = SKU-1 x1 + SKU-3 x2.
  model.kits = {{"PAIR", {{"SKU-1", 1}, {"SKU-3", 2}}, "t.yaml:1"}};
  engine::EngineOptions options;
  options.clock = clock;
  absl::StatusOr<std::unique_ptr<engine::Engine>> e = engine::Engine::Create(model, options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *std::move(e) : nullptr;
}

// Puts `qty` units of `sku` on hand at wh.
inline void Stock(engine::Engine* e, const std::string& sku, int64_t qty) {
  absl::StatusOr<engine::Outcome> out =
      e->ExecuteAndWait(stockd::testing::Cmd(stockd::testing::Adjust("wh", sku, qty)));
  ASSERT_TRUE(out.ok()) << out.status();
}

// "on_hand/held/committed" of `sku` at wh.
inline std::string Counters(engine::Engine* e, const std::string& sku) {
  absl::StatusOr<std::vector<engine::RowView>> rows = e->GetStock(sku, {"wh"});
  if (!rows.ok() || rows->empty()) return "none";
  const engine::Counters& c = (*rows)[0].counters;
  return absl::StrCat(c.on_hand, "/", c.held, "/", c.committed);
}

inline plugins::Order MakeOrder(const std::string& id, int64_t revision,
                                plugins::Order::Status status,
                                std::vector<plugins::OrderLine> lines) {
  plugins::Order o;
  o.order_id = id;
  o.revision = revision;
  o.status = status;
  o.lines = std::move(lines);
  return o;
}
inline plugins::OrderLine Line(const std::string& listing, int64_t qty, int64_t shipped = 0,
                               int64_t cancelled = 0) {
  return {listing, qty, shipped, cancelled, ""};
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// An order-polling adapter over an in-memory change log.
class ScriptedAdapter final : public plugins::Adapter {
 public:
  // Adds (or moves to the end of the log) a revision of an order.
  void Put(plugins::Order order) {
    absl::MutexLock lock(&mu_);
    for (auto it = log_.begin(); it != log_.end(); ++it) {
      if (it->second.order_id == order.order_id) {
        log_.erase(it);
        break;
      }
    }
    log_[next_++] = std::move(order);
  }
  // The next polls deliver a malformed entry first / fail with `error`.
  void DeliverMalformed() {
    absl::MutexLock lock(&mu_);
    malformed_ = true;
  }
  void FailPolls(absl::Status error) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(error);
  }
  // The cursor each poll started from.
  std::vector<std::string> Froms() const {
    absl::MutexLock lock(&mu_);
    return froms_;
  }

  const std::string& name() const override { return name_; }
  int max_batch() const override { return 1; }
  std::vector<plugins::PushResult> Push(const std::vector<plugins::PushItem>& items) override {
    return std::vector<plugins::PushResult>(items.size());
  }
  bool can_fetch() const override { return false; }
  absl::StatusOr<std::vector<int64_t>> Fetch(const std::vector<std::string>&) override {
    return absl::UnimplementedError("no fetch");
  }
  bool can_poll_orders() const override { return true; }
  absl::StatusOr<std::string> PollOrders(const std::string& cursor,
                                         const plugins::OrderSink& sink) override {
    std::vector<plugins::Order> orders;
    int64_t last = 0;
    {
      absl::MutexLock lock(&mu_);
      froms_.push_back(cursor);
      if (!fail_.ok()) return fail_;
      if (!cursor.empty() && !absl::SimpleAtoi(cursor, &last)) {
        return absl::InvalidArgumentError("bad cursor");
      }
      if (malformed_) {
        malformed_ = false;
        if (!sink(absl::InvalidArgumentError("order 'X': no lines"))) return cursor;
      }
      for (auto it = log_.upper_bound(last); it != log_.end(); ++it) {
        orders.push_back(it->second);
        last = it->first;
      }
    }
    for (plugins::Order& o : orders) {
      if (!sink(std::move(o))) break;
    }
    return absl::StrCat(last);
  }

 private:
  const std::string name_ = "scripted";
  mutable absl::Mutex mu_;
  std::map<int64_t, plugins::Order> log_ ABSL_GUARDED_BY(mu_);
  int64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  bool malformed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> froms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::orders::testing

#endif  // STOCKD_TESTS_ORDERS_ORDERS_TEST_SUPPORT_H_
