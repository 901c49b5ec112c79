// ShopifyAdapter::PollOrders: orders(sortKey: UPDATED_AT, query: "updated_at:>='T'") page by
// page, each order as one revision of the order model (docs/orders.md):
//
//   order_id  the number of the order's gid (the REST webhook's `id`, so a revision that
//             arrives both ways is the same order)
//   revision  updatedAt in Unix ms (Shopify's DateTime has whole seconds: two changes within
//             one second share a revision, and the daemon applies the first it sees until
//             the next change)
//   status    shopify_api.h OrderStatus
//   lines     listing id = the line's SKU, else "variant:<id>", else "line:<id>" (the
//             daemon parks such orders as unmapped); quantity; shipped = currentQuantity -
//             unfulfilledQuantity; cancelled = quantity - currentQuantity (units removed,
//             refunded or cancelled before fulfilment)
//
// A page brings each order's first kOrderLinesFirst lines (a page must stay under Shopify's
// 1,000-point single query limit); a longer order's other lines are read with order(id)
// before the order is handed over. Pages are read first (at most orders_max_pages), then
// the orders are handed over oldest change first. A call that fails after some orders were
// read hands those over and returns a cursor just past them (logged); a failure before any
// is the poll's error.
#include <string>
#include <utility>
#include <vector>

#include "shopify_adapter.h"

namespace stockd::shopify {
namespace {

using stockd::sdk::Error;

constexpr int64_t kPollWaitMs = 10'000;  // longest wait for the bucket before a page
constexpr int kMaxLinePages = 50;        // 5,000 lines: enough for any real order

}  // namespace

std::string ShopifyAdapter::PollOrders(std::string_view cursor,
                                       const stockd::sdk::OrderSink& sink) {
  const std::string paused = api_.PausedReason();
  if (!paused.empty()) throw Error(paused);

  const std::string start(cursor);
  std::string from = start;  // updated_at lower bound of the query ("" = all orders)
  std::string after;         // edge cursor inside that query
  if (const size_t bar = from.find('|'); bar != std::string::npos) {
    after = from.substr(bar + 1);
    from.resize(bar);
  }
  if (!from.empty()) {
    try {
      IsoToMs(from, "cursor");
    } catch (const Error&) {
      throw Error("orders: the cursor \"" + start + "\" is not a Shopify updated_at cursor");
    }
  }

  const std::string search = OrdersSearch(from);
  std::vector<PolledOrder> read;
  bool complete = false;
  std::string failure;
  for (int64_t n = 0; n < settings_.orders_max_pages && failure.empty(); ++n) {
    const Json variables = {{"first", settings_.orders_page_size},
                            {"after", after.empty() ? Json(nullptr) : Json(after)},
                            {"query", search.empty() ? Json(nullptr) : Json(search)},
                            {"lines", kOrderLinesFirst}};
    const Result r =
        api_.Call("orders", kOrdersQuery, variables,
                  OrdersCost(settings_.orders_page_size, kOrderLinesFirst), kPollWaitMs);
    if (!r.ok()) {
      failure = r.message;
      break;
    }
    OrdersPage page;
    try {
      page = ReadOrdersPage(r.data);
    } catch (const Error& e) {
      failure = std::string("orders: ") + e.what();
      break;
    }
    for (PolledOrder& order : page.orders) {
      for (int k = 0; order.more_lines && failure.empty(); ++k) {
        const Json more = {
            {"id", order.gid}, {"first", kOrderLinesMore}, {"after", order.lines_cursor}};
        const Result lines = api_.Call("order lineItems", kOrderLinesQuery, more,
                                       OrderLinesCost(kOrderLinesMore), kPollWaitMs);
        if (!lines.ok()) {
          failure = lines.message;
          break;
        }
        try {
          LinesPage rest = ReadOrderLines(lines.data);
          for (auto& line : rest.lines) order.order.lines.push_back(std::move(line));
          order.more_lines = rest.has_next && k + 1 < kMaxLinePages;
          order.lines_cursor = rest.end_cursor;
        } catch (const Error& e) {
          failure = std::string("order lineItems: ") + e.what();
        }
      }
      if (!failure.empty()) break;  // this order and the rest of the page: next poll
      read.push_back(std::move(order));
    }
    if (!failure.empty()) break;
    if (!page.has_next) {
      complete = true;
      break;
    }
    after = page.end_cursor;
  }
  if (!failure.empty()) {
    if (read.empty()) throw Error(failure);
    host_.Log(stockd::sdk::LogLevel::kWarn,
              failure + " (handing over the " + std::to_string(read.size()) +
                  " orders read before; the next poll goes on after them)");
  }

  size_t delivered = 0;
  for (const PolledOrder& order : read) {
    if (!sink(order.order)) break;
    ++delivered;
  }
  host_.Count("orders_polled", static_cast<double>(delivered));
  if (delivered == 0) return start;
  if (delivered == read.size() && complete) {
    return read.back().updated_at;  // the next poll starts there, inclusively
  }
  return from + "|" + read[delivered - 1].cursor;
}

}  // namespace stockd::shopify
