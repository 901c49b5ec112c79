// EbayAdapter::PollOrders: the Fulfillment API's getOrders with
// filter=lastmodifieddate:[CURSOR..], limit/offset pages, every page checked whole before
// any order reaches the daemon.
//
// eBay does not document the order of getOrders' list, so a poll reads every page of its
// window and sorts by lastModifiedDate before delivering, oldest change first. When the
// window holds more orders than one poll reads (orders_page_size x orders_max_pages), it
// is narrowed to [CURSOR..END], END the latest time up to which the orders fit, found by
// bisection (one request per step, at most kMaxNarrowings); the next poll goes on from
// there. It fails only when more orders than that changed within the cursor's millisecond
// and the next one. The cursor is the latest lastModifiedDate delivered,
// queried inclusively (a re-delivered revision changes nothing in the daemon), but never
// later than this poll's start: an order created while the pages were read, that the read
// missed, is not skipped. A read that could not see its whole window (orders kept arriving)
// delivers what it read and keeps the cursor.
//
// eBay keeps 90 days of orders and refuses a filter older than that (30830): an empty
// cursor, or one older than that, starts 90 days ago (less kWindowMarginMs).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ebay_adapter.h"

namespace stockd::ebay {
namespace {

using stockd::sdk::Error;
using stockd::sdk::LogLevel;
using stockd::sdk::Order;

constexpr int64_t kOrderWindowMs = 90 * kDayMs;
constexpr int64_t kWindowMarginMs = 600'000;  // clock skew between us and eBay
constexpr int kMaxNarrowings = 40;            // 90 days in ms is < 2^33

}  // namespace

std::string EbayAdapter::PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) {
  const std::string paused = PausedReason();
  if (!paused.empty()) throw Error(paused);
  const int64_t poll_start = host_.NowMs();
  const int64_t oldest = poll_start - kOrderWindowMs + kWindowMarginMs;
  int64_t start = oldest;
  bool clamped = false;
  if (!cursor.empty()) {
    const std::optional<int64_t> parsed = ParseIsoMs(cursor);
    if (!parsed) {
      throw Error("order cursor \"" + std::string(cursor) + "\" is not an ISO 8601 timestamp");
    }
    start = *parsed;
    if (start < oldest) {
      host_.Log(LogLevel::kWarn, "order cursor " + std::string(cursor) +
                                     " is older than the 90 days of orders eBay keeps: "
                                     "reading from " +
                                     FormatIsoMs(oldest));
      start = oldest;
      clamped = true;
    }
  }
  const std::string start_iso = FormatIsoMs(start);
  const std::string shown = shown_endpoint_ + "/sell/fulfillment/v1/order";
  const auto read_page = [&](const std::string& end_iso, int64_t offset) {
    if (host_.Cancelled()) throw Error("GET " + shown + ": abandoned, stockd is stopping");
    Request request;
    request.url = settings_.endpoint + "/sell/fulfillment/v1/order?filter=lastmodifieddate:%5B" +
                  start_iso + ".." + end_iso +
                  "%5D&limit=" + std::to_string(settings_.orders_page_size) +
                  "&offset=" + std::to_string(offset);
    request.shown_url = shown;
    const std::string what = "GET " + shown;
    const Call call =
        Send(request, Clock::now() + std::chrono::milliseconds(settings_.http.timeout_ms));
    if (call.kind != Call::Kind::kAnswered) throw Error(call.message);
    const Response& r = call.response;
    if (!r.answered()) throw Error(r.transport_error);
    if (r.status != 200) {
      if (r.status == 429) TransientDelay(r);
      throw Error(AnswerError(what, r));
    }
    return ParseOrdersPage(r.body, what);
  };

  const int64_t capacity = settings_.orders_page_size * settings_.orders_max_pages;
  std::string end_iso;  // "" = open: everything changed since `start`
  OrdersPage page = read_page(end_iso, 0);
  if (page.total > capacity) {
    // The latest END for which [start..END] holds at most `capacity` orders: every order
    // up to END is read now, and the next poll starts at the latest of them.
    int64_t fits = start - 1;   // [start..fits] fits (empty)
    int64_t over = poll_start;  // [start..over] does not
    for (const PolledOrder& o : page.orders) over = std::max(over, o.order.revision + 1);
    std::optional<OrdersPage> best;
    for (int n = 0; n < kMaxNarrowings && over - fits > 1; ++n) {
      const int64_t mid = fits + (over - fits) / 2;
      OrdersPage probe = read_page(FormatIsoMs(mid), 0);
      if (probe.total > capacity) {
        over = mid;
      } else {
        fits = mid;
        best = std::move(probe);
      }
    }
    if (!best || best->total == 0) {
      throw Error("more than " + std::to_string(capacity) + " eBay orders changed at " +
                  FormatIsoMs(over) + ": raise orders_max_pages or orders_page_size");
    }
    page = std::move(*best);
    end_iso = FormatIsoMs(fits);
  }
  std::map<std::string, PolledOrder> by_id;  // an order seen twice (pages shifted): the latest
  const auto keep = [&by_id](PolledOrder&& o) {
    auto [it, added] = by_id.try_emplace(o.order.order_id, o);
    if (!added && it->second.order.revision < o.order.revision) it->second = std::move(o);
  };
  int64_t read = static_cast<int64_t>(page.orders.size());
  int64_t total = page.total;
  for (PolledOrder& o : page.orders) keep(std::move(o));
  for (int64_t pages = 1; read < total && pages < settings_.orders_max_pages; ++pages) {
    OrdersPage next = read_page(end_iso, read);
    if (next.orders.empty()) break;
    read += static_cast<int64_t>(next.orders.size());
    total = next.total;
    for (PolledOrder& o : next.orders) keep(std::move(o));
  }
  const bool complete = read >= total;

  std::vector<PolledOrder> orders;
  orders.reserve(by_id.size());
  for (auto& [id, o] : by_id) orders.push_back(std::move(o));
  std::sort(orders.begin(), orders.end(), [](const PolledOrder& a, const PolledOrder& b) {
    return a.order.revision != b.order.revision ? a.order.revision < b.order.revision
                                                : a.order.order_id < b.order.order_id;
  });
  // The cursor after delivering orders up to `revision`: never before where we started,
  // never after this poll's start.
  const auto cursor_at = [&](int64_t revision) {
    return FormatIsoMs(std::max(start, std::min(revision, poll_start)));
  };
  // With nothing delivered, a cursor older than eBay's window moves up to its start.
  const std::string kept = clamped ? FormatIsoMs(start) : std::string(cursor);
  std::string next_cursor = kept;
  size_t delivered = 0;
  for (const PolledOrder& o : orders) {
    if (!sink(o.order)) break;
    ++delivered;
    next_cursor = cursor_at(o.order.revision);
  }
  host_.Count("orders_polled", static_cast<double>(delivered));
  if (!complete) {
    host_.Log(LogLevel::kDebug,
              "eBay orders kept arriving while a poll read them: the next "
              "poll reads the same window again");
    return kept;
  }
  return next_cursor;
}

}  // namespace stockd::ebay
