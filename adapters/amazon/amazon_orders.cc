// AmazonAdapter::PollOrders: GET /orders/2026-01-01/orders?lastUpdatedAfter=T&
// marketplaceIds=X&maxResultsPerPage=N&includedData=FULFILLMENT[&paginationToken=P]
// (searchOrders; v0 getOrders is deprecated), following pagination.nextToken for at most
// orders_max_pages pages.
//
// The cursor is the lastUpdatedTime (ISO 8601) of the last order handed over;
// lastUpdatedAfter is inclusive, so an order changed in that same second is read again (a
// replay the daemon ignores) rather than missed. The first poll ("") starts 30 days back.
// Amazon shows a change about two minutes late: the channel's `orders.overlap: 2m` makes
// the daemon re-read that window (docs/orders.md). Orders are handed over oldest change
// first (sorted here: Amazon does not promise an order); a poll cut short by
// orders_max_pages, or by a throttled later page, continues from the last order handed
// over, which assumes Amazon pages in ascending lastUpdatedTime (as the fake does).
//
// searchOrders allows 0.0056 requests/s (one per ~3 minutes) after a burst of 20: the
// adapter paces itself with a bucket of its own and fails the poll (sdk::Error, the daemon
// backs off) rather than wait, or when Amazon answers 429. Set the channel's
// orders.poll_interval accordingly (3m keeps within the plan).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "amazon/amazon_adapter.h"
#include "amazon/amazon_api.h"

namespace stockd::amazon {

using stockd::sdk::Error;
using stockd::sdk::LogLevel;

namespace {
constexpr int64_t kOrdersPaceWaitMs = 1000;  // a poll waits this long for its bucket at most
}  // namespace

std::string AmazonAdapter::PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) {
  const std::string paused = client_.PausedReason();
  if (!paused.empty()) throw Error(paused);
  int64_t after_ms;
  if (cursor.empty()) {
    after_ms = host_.NowMs() - kFirstPollLookbackMs;
  } else {
    const std::optional<int64_t> parsed = ParseIso8601Ms(cursor);
    if (!parsed.has_value()) {
      throw Error("orders cursor \"" + std::string(cursor) + "\" is not an ISO 8601 time");
    }
    after_ms = *parsed;
  }
  HttpClient& http = client_.http();
  const std::string base = settings_.endpoint + "/orders/2026-01-01/orders?lastUpdatedAfter=" +
                           http.Escape(FormatIso8601(after_ms)) +
                           "&marketplaceIds=" + http.Escape(settings_.marketplace_id) +
                           "&maxResultsPerPage=" + std::to_string(settings_.orders_page_size) +
                           "&includedData=FULFILLMENT";
  const std::string what = "searchOrders";
  std::vector<PolledOrder> orders;
  std::string token;
  std::string stopped;
  int64_t pages = 0;
  for (; pages < settings_.orders_max_pages; ++pages) {
    Request request;
    request.url = base + (token.empty() ? "" : "&paginationToken=" + http.Escape(token));
    const CallResult call =
        client_.Send(&orders_bucket_, std::move(request), kOrdersPaceWaitMs, what);
    std::string problem;
    if (!call.answered()) {
      problem = call.message;
    } else if (!call.ok()) {
      problem = what + ": HTTP " + std::to_string(call.response.status) + ": " +
                ErrorsText(call.response.body);
    }
    if (!problem.empty()) {
      if (pages == 0) throw Error(problem);
      stopped = problem;  // hand over what the earlier pages brought
      break;
    }
    OrdersPage page = ParseOrdersPage(call.response.body, what);
    for (const std::string& skipped : page.skipped) {
      host_.Count("orders_skipped");
      host_.Log(LogLevel::kWarn, what + ": skipped " + skipped);
    }
    for (PolledOrder& o : page.orders) orders.push_back(std::move(o));
    token = page.next_token;
    if (token.empty()) break;
  }
  if (stopped.empty() && !token.empty()) {
    stopped = "orders_max_pages (" + std::to_string(settings_.orders_max_pages) + ") reached";
  }
  if (!stopped.empty()) {
    host_.Log(LogLevel::kInfo, what + ": read " + std::to_string(orders.size()) +
                                   " orders, then stopped: " + stopped +
                                   "; the next poll goes on from there");
  }
  std::stable_sort(orders.begin(), orders.end(), [](const PolledOrder& a, const PolledOrder& b) {
    return a.updated_ms != b.updated_ms ? a.updated_ms < b.updated_ms
                                        : a.order.order_id < b.order.order_id;
  });
  int64_t next_ms = after_ms;
  size_t delivered = 0;
  for (const PolledOrder& o : orders) {
    // Not past an order the daemon did not take: the next poll starts at its time.
    next_ms = std::max(next_ms, o.updated_ms);
    if (!sink(o.order)) break;
    ++delivered;
  }
  host_.Count("orders_polled", static_cast<double>(delivered));
  return FormatIso8601(next_ms);
}

}  // namespace stockd::amazon
