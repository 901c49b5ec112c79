#include "tests/crash/orders_oracle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <utility>

#include "tests/crash/harness.h"
#include "tests/crash/orders_market.h"

namespace stockd::crash {

namespace {

// A checker call with a deadline, retried a few times on UNAVAILABLE (a transport hiccup
// must not hide the verdict).
grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
  grpc::Status st;
  for (int attempt = 0; attempt < 5; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(kCheckDeadlineMs));
    st = fn(&ctx);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
    SleepMs(100);
  }
  return st;
}

v1::OrderStatus StatusOf(fakes::FakeOrderStatus s) {
  switch (s) {
    case fakes::FakeOrderStatus::kPending:
      return v1::ORDER_STATUS_PENDING;
    case fakes::FakeOrderStatus::kAccepted:
      return v1::ORDER_STATUS_ACCEPTED;
    case fakes::FakeOrderStatus::kShipped:
      return v1::ORDER_STATUS_SHIPPED;
    case fakes::FakeOrderStatus::kCancelled:
      return v1::ORDER_STATUS_CANCELLED;
  }
  return v1::ORDER_STATUS_UNSPECIFIED;
}

int64_t OrderOpen(const fakes::FakeOrder& order) {
  if (order.status == fakes::FakeOrderStatus::kCancelled) return 0;
  int64_t open = 0;
  for (const fakes::FakeOrderLine& l : order.lines) open += OpenUnits(l);
  return open;
}

}  // namespace

int64_t OpenUnits(const fakes::FakeOrderLine& line) {
  return line.quantity - line.quantity_shipped - line.quantity_cancelled;
}

std::map<std::string, ExpectedRow> ExpectedStock(const std::map<std::string, int64_t>& initial,
                                                 const std::vector<fakes::FakeOrder>& orders) {
  std::map<std::string, ExpectedRow> rows;
  for (const auto& [sku, on_hand] : initial) rows[sku].on_hand = on_hand;
  for (const fakes::FakeOrder& order : orders) {
    for (const fakes::FakeOrderLine& l : order.lines) {
      ExpectedRow& row = rows[l.listing_id];
      row.on_hand -= l.quantity_shipped;
      if (order.status == fakes::FakeOrderStatus::kCancelled) continue;
      (order.status == fakes::FakeOrderStatus::kPending ? row.held : row.committed) += OpenUnits(l);
    }
  }
  return rows;
}

std::vector<fakes::FakeOrder> AllFakeOrders(const fakes::FakeOrderBook& book) {
  std::vector<fakes::FakeOrder> all;
  std::string after;
  for (;;) {
    absl::StatusOr<fakes::FakeOrderPage> page = book.List(kOrdersChannel, after, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return all;
    for (fakes::FakeOrder& o : page->orders) all.push_back(std::move(o));
    if (!page->has_more) return all;
    after = page->next_cursor;
  }
}

grpc::Status ListAllOrders(v1::Stock::Stub& stub, std::vector<v1::Order>* out) {
  out->clear();
  v1::ListOrdersRequest req;
  req.set_channel(kOrdersChannel);
  req.set_limit(1000);
  for (;;) {
    v1::ListOrdersResponse resp;
    grpc::Status st =
        Call([&](grpc::ClientContext* ctx) { return stub.ListOrders(ctx, req, &resp); });
    if (!st.ok()) return st;
    for (v1::Order& o : *resp.mutable_orders()) out->push_back(std::move(o));
    if (resp.next_page_token().empty()) return st;
    req.set_page_token(resp.next_page_token());
  }
}

void OrdersOracle::WaitIngested(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
                                int64_t deadline_ms, OrdersCheckSummary* summary) {
  const int64_t start = NowUs();
  std::string missing;
  for (;;) {
    std::vector<v1::Order> listed;
    grpc::Status st = ListAllOrders(stub, &listed);
    ASSERT_TRUE(st.ok()) << "ListOrders: " << st.error_message();
    std::map<std::string, int64_t> revision;
    for (const v1::Order& o : listed) revision[o.order_id()] = o.revision();
    size_t behind = 0;
    missing.clear();
    for (const fakes::FakeOrder& o : orders) {
      const auto it = revision.find(o.order_id);
      if (it != revision.end() && it->second >= o.revision) continue;
      if (++behind <= 5) {
        missing += " " + o.order_id + "@" + std::to_string(o.revision) +
                   " (stockd: " + (it == revision.end() ? "none" : std::to_string(it->second)) +
                   ")";
      }
    }
    if (behind == 0) break;
    ASSERT_LT(NowUs() - start, deadline_ms * 1000)
        << behind << " orders not ingested at their latest revision after " << deadline_ms
        << " ms, e.g." << missing;
    SleepMs(kOrdersPollMs);  // re-checked after each poll interval
  }
  summary->ingest_wait_ms = (NowUs() - start) / 1000;
}

void OrdersOracle::Check(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
                         OrdersCheckSummary* summary) {
  std::vector<v1::Order> listed;
  grpc::Status st = ListAllOrders(stub, &listed);
  ASSERT_TRUE(st.ok()) << "ListOrders: " << st.error_message();
  CheckOrders(orders, listed);
  CheckStock(stub, orders);
  CheckHolds(stub, orders, listed);
  v1::CheckInvariantsResponse inv;
  st = Call([&](grpc::ClientContext* ctx) {
    return stub.CheckInvariants(ctx, v1::CheckInvariantsRequest(), &inv);
  });
  ASSERT_TRUE(st.ok()) << "CheckInvariants: " << st.error_message();
  EXPECT_TRUE(inv.ok()) << "invariants violated: " << inv.DebugString();

  summary->orders = static_cast<int64_t>(orders.size());
  summary->open_orders = 0;
  summary->revisions = 0;
  for (const fakes::FakeOrder& o : orders) {
    summary->open_orders += OrderOpen(o) > 0;
    summary->revisions += o.revision;
  }
  summary->skus = static_cast<int64_t>(initial_.size());
}

void OrdersOracle::CheckOrders(const std::vector<fakes::FakeOrder>& orders,
                               const std::vector<v1::Order>& listed) {
  std::map<std::string, const v1::Order*> by_id;
  for (const v1::Order& o : listed) {
    EXPECT_EQ(o.channel(), kOrdersChannel);
    EXPECT_TRUE(by_id.emplace(o.order_id(), &o).second)
        << "order " << o.order_id() << " listed twice";
  }
  EXPECT_EQ(listed.size(), orders.size()) << "stockd has orders the fake never had";
  int reported = 0;
  for (const fakes::FakeOrder& want : orders) {
    const auto it = by_id.find(want.order_id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "order " << want.order_id << " is not in stockd";
      continue;
    }
    const v1::Order& got = *it->second;
    const std::string at = "order " + want.order_id + ": ";
    std::string diff;
    if (got.revision() != want.revision) {
      diff += " revision " + std::to_string(got.revision()) +
              " != " + std::to_string(want.revision) + ";";
    }
    if (got.status() != StatusOf(want.status)) {
      diff += std::string(" status ") + v1::OrderStatus_Name(got.status()) +
              " != " + fakes::FakeOrderStatusName(want.status) + ";";
    }
    if (got.closed() != (OrderOpen(want) == 0)) diff += " closed differs;";
    if (got.has_problem()) diff += " has a problem;";
    if (got.lines_size() != static_cast<int>(want.lines.size())) {
      diff += " " + std::to_string(got.lines_size()) + " lines;";
    } else {
      for (size_t i = 0; i < want.lines.size(); ++i) {
        const fakes::FakeOrderLine& w = want.lines[i];
        const v1::OrderLine& g = got.lines(static_cast<int>(i));
        const int64_t open = want.status == fakes::FakeOrderStatus::kCancelled ? 0 : OpenUnits(w);
        if (g.sku() != w.listing_id || g.location() != kOrdersLocation || g.qty() != w.quantity ||
            g.shipped() != w.quantity_shipped || g.cancelled() != w.quantity_cancelled ||
            g.open() != open || g.fulfilled() != w.quantity_shipped || g.breach() != 0 ||
            g.backorder() != 0 || g.unstocked() != 0) {
          diff += " line " + std::to_string(i) + " {" + g.ShortDebugString() + "} != {sku " +
                  w.listing_id + " qty " + std::to_string(w.quantity) + " shipped " +
                  std::to_string(w.quantity_shipped) + " cancelled " +
                  std::to_string(w.quantity_cancelled) + " open " + std::to_string(open) + "};";
        }
      }
    }
    if (!diff.empty() && ++reported <= 20) ADD_FAILURE() << at << diff;
  }
  EXPECT_EQ(reported, 0) << reported << " orders differ from the fake's";
}

void OrdersOracle::CheckStock(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders) {
  for (const auto& [sku, want] : ExpectedStock(initial_, orders)) {
    v1::GetStockRequest req;
    req.set_sku(sku);
    req.add_locations(kOrdersLocation);
    v1::GetStockResponse resp;
    grpc::Status st =
        Call([&](grpc::ClientContext* ctx) { return stub.GetStock(ctx, req, &resp); });
    ASSERT_TRUE(st.ok()) << "GetStock " << sku << ": " << st.error_message();
    ASSERT_EQ(resp.rows_size(), 1) << sku;
    const v1::StockRow& row = resp.rows(0);
    EXPECT_EQ(row.on_hand(), want.on_hand) << sku << " on_hand";
    EXPECT_EQ(row.held(), want.held) << sku << " held";
    EXPECT_EQ(row.committed(), want.committed) << sku << " committed";
  }
}

void OrdersOracle::CheckHolds(v1::Stock::Stub& stub, const std::vector<fakes::FakeOrder>& orders,
                              const std::vector<v1::Order>& listed) {
  std::vector<v1::Hold> holds;
  v1::ListHoldsRequest req;  // every channel, open holds
  req.set_limit(1000);
  for (;;) {
    v1::ListHoldsResponse resp;
    grpc::Status st =
        Call([&](grpc::ClientContext* ctx) { return stub.ListHolds(ctx, req, &resp); });
    ASSERT_TRUE(st.ok()) << "ListHolds: " << st.error_message();
    for (v1::Hold& h : *resp.mutable_holds()) holds.push_back(std::move(h));
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  std::map<std::string, const v1::Order*> order_of_hold;
  for (const v1::Order& o : listed) {
    if (!o.closed()) order_of_hold[o.hold_id()] = &o;
  }
  std::map<std::string, const fakes::FakeOrder*> fake_by_id;
  for (const fakes::FakeOrder& o : orders) fake_by_id[o.order_id] = &o;

  size_t open_orders = 0;
  for (const fakes::FakeOrder& o : orders) open_orders += OrderOpen(o) > 0;
  EXPECT_EQ(holds.size(), open_orders) << "open holds vs orders with open units";
  std::set<std::string> seen;
  int reported = 0;
  for (const v1::Hold& h : holds) {
    EXPECT_TRUE(seen.insert(h.hold_id()).second) << "hold " << h.hold_id() << " listed twice";
    const auto it = order_of_hold.find(h.hold_id());
    if (it == order_of_hold.end()) {
      if (++reported <= 20) ADD_FAILURE() << "hold of no open order: " << h.ShortDebugString();
      continue;
    }
    const fakes::FakeOrder& want = *fake_by_id.at(it->second->order_id());
    const v1::HoldState state =
        want.status == fakes::FakeOrderStatus::kPending ? v1::HELD : v1::COMMITTED;
    // The hold keeps the order's open units per SKU (committed lines count what is left
    // of them once `fulfilled` is taken off).
    std::map<std::string, int64_t> kept, open;
    for (const v1::HoldLine& l : h.lines()) kept[l.sku()] += l.qty() - l.fulfilled();
    for (const fakes::FakeOrderLine& l : want.lines) {
      if (OpenUnits(l) > 0) open[l.listing_id] += OpenUnits(l);
    }
    for (auto k = kept.begin(); k != kept.end();) k = k->second == 0 ? kept.erase(k) : ++k;
    if ((h.channel() != kOrdersChannel || h.state() != state ||
         h.reference() != "order " + want.order_id || kept != open) &&
        ++reported <= 20) {
      ADD_FAILURE() << "hold of order " << want.order_id << " ("
                    << fakes::FakeOrderStatusName(want.status) << "): " << h.ShortDebugString();
    }
  }
  EXPECT_EQ(reported, 0) << reported << " holds differ";
}

}  // namespace stockd::crash
