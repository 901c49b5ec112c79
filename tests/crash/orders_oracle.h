// The orders crash case's oracle (orders_crash_test.cc): once the customers have stopped,
// waits until stockd has ingested the fake marketplace's final orders, then checks exactly
//   - every order of the fake is in stockd once (ListOrders), at its latest revision, with
//     its status and, per line, its SKU, quantities, open and fulfilled units, and no
//     breach, backorder or unstocked units (the stock covers every order);
//   - per SKU, on_hand / held / committed equal what the fake's final orders imply from
//     the initial stock: a pending order's open units held, an accepted or shipped one's
//     committed, shipped units off on_hand, cancelled units released;
//   - the open holds (ListHolds, every channel) are exactly one per order with open
//     units: its hold, in the state its status implies, keeping its open units;
//   - CheckInvariants is ok.
//
// Thread safety: an OrdersOracle is used by the GoogleTest thread only.
#ifndef STOCKD_TESTS_CRASH_ORDERS_ORACLE_H_
#define STOCKD_TESTS_CRASH_ORDERS_ORACLE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_order_book.h"

namespace stockd::crash {

// What stockd should hold per SKU at kOrdersLocation.
struct ExpectedRow {
  int64_t on_hand = 0;
  int64_t held = 0;
  int64_t committed = 0;
};

// Units of a fake order line not shipped and not cancelled.
int64_t OpenUnits(const fakes::FakeOrderLine& line);

// The counters the fake's `orders` imply from `initial` on_hand per SKU (a listing id is
// its SKU).
std::map<std::string, ExpectedRow> ExpectedStock(const std::map<std::string, int64_t>& initial,
                                                 const std::vector<fakes::FakeOrder>& orders);

// Every order of kOrdersChannel in the fake's book, as it is now.
std::vector<fakes::FakeOrder> AllFakeOrders(const fakes::FakeOrderBook& book);

// Every order stockd lists for kOrdersChannel (all pages).
grpc::Status ListAllOrders(v1::Stock::Stub& stub, std::vector<v1::Order>* out);

// What the final check saw, for the summary.
struct OrdersCheckSummary {
  int64_t orders = 0;
  int64_t open_orders = 0;
  int64_t revisions = 0;  // Σ latest revision: every change of every order
  int64_t skus = 0;
  int64_t ingest_wait_ms = 0;
};

class OrdersOracle {
 public:
  explicit OrdersOracle(std::map<std::string, int64_t> initial) : initial_(std::move(initial)) {}

  // Waits (at most `deadline_ms`) until ListOrders shows every one of `orders` at its
  // revision; fails the test naming what is missing when it does not.
  void WaitIngested(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
                    int64_t deadline_ms, OrdersCheckSummary* summary);
  // The checks of the header comment, on the daemon behind `stub` against `orders` (the
  // fake's final state).
  void Check(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
             OrdersCheckSummary* summary);

 private:
  void CheckOrders(const std::vector<fakes::FakeOrder>& orders,
                   const std::vector<v1::Order>& listed);
  void CheckStock(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders);
  void CheckHolds(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
                  const std::vector<v1::Order>& listed);

  const std::map<std::string, int64_t> initial_;
};

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_ORDERS_ORACLE_H_
