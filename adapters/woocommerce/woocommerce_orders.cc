// WooCommerceAdapter::PollOrders: GET orders?modified_after=T&dates_are_gmt=true&
// orderby=modified&order=asc&per_page=N&page=P (woocommerce_adapter.h).
//
// The cursor is the latest date_modified_gmt handed over ("2024-01-15T10:30:45", UTC).
// modified_after is exclusive and dates have whole seconds, so a poll asks for
// modified_after = cursor - 1 s: the orders of the cursor's own second are read again
// (another order may have changed in that second after the last poll); the daemon treats
// a revision it already has as a no-op. The revision of an order is its date_modified_gmt
// in ms: two changes within one second share a revision, and the second one is seen only
// with the order's next change.
//
// Page-based pagination is not stable while orders change: an order modified while the
// pages are read moves to the end of the list and every later order moves up one place,
// so a plain walk of page=1,2,3... skips the order that moved onto an already read page
// (for good, once the cursor passes it). So a poll restarts from the latest timestamp it
// has read after every page (modified_after = that - 1 s, page=1), which no change can
// shift past; only when a whole page shares one second does it go on with page=2, 3...
// of the same query. Orders read twice within a poll are handed over once (the newest).
//
// Every page is read and checked whole before any order reaches the daemon; then the
// orders are handed over in date_modified order. The cursor returned never passes an
// order the daemon did not take.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "woocommerce_adapter.h"

namespace stockd::woocommerce {

using stockd::sdk::Error;
using stockd::sdk::LogLevel;

std::string WooCommerceAdapter::PollOrders(std::string_view cursor,
                                           const stockd::sdk::OrderSink& sink) {
  const std::string paused = PausedReason();
  if (!paused.empty()) throw Error(paused);
  std::optional<int64_t> after;
  if (!cursor.empty()) {
    after = ParseGmtSeconds(cursor);
    if (!after) throw Error("not a woocommerce cursor: \"" + std::string(cursor) + "\"");
  }
  const std::string what = "GET " + stockd::sdk::RedactUrl(Url("orders"));
  std::vector<WooOrder> read;
  std::map<std::string, size_t> position;  // order id -> its entry in `read`
  std::optional<int64_t> since = after;
  int64_t page = 1;
  for (int64_t n = 0; n < settings_.orders_max_pages; ++n) {
    if (host_.Cancelled()) throw Error(what + ": abandoned, stockd is stopping");
    std::string path = "orders?";
    if (since) path += "modified_after=" + FormatGmt(*since - 1) + "&";
    path += "dates_are_gmt=true&orderby=modified&order=asc&per_page=" +
            std::to_string(settings_.orders_page_size) + "&page=" + std::to_string(page);
    const Answer a = Call("GET", path);
    if (const std::optional<Failure> failure = Failed(a, what)) throw Error(failure->message);
    std::vector<WooOrder> orders = ParseOrdersPage(a.response.body, what);
    int64_t latest = since.value_or(0);
    for (WooOrder& o : orders) {
      latest = std::max(latest, o.modified_s);
      const auto it = position.find(o.order.order_id);
      if (it == position.end()) {
        position.emplace(o.order.order_id, read.size());
        read.push_back(std::move(o));
      } else if (o.modified_s > read[it->second].modified_s) {
        read[it->second] = std::move(o);
      }
    }
    const std::string pages = a.response.Header("x-wp-totalpages");
    const bool more = !pages.empty() && pages.find_first_not_of("0123456789") == std::string::npos
                          ? page < std::stoll(pages.substr(0, 18))
                          : static_cast<int64_t>(orders.size()) == settings_.orders_page_size;
    if (!more || orders.empty()) break;
    if (!since || latest > *since) {
      since = latest;  // restart from the newest timestamp read
      page = 1;
    } else {
      ++page;  // a whole page within one second: the next page of the same query
    }
  }
  std::stable_sort(read.begin(), read.end(), [](const WooOrder& a, const WooOrder& b) {
    return a.modified_s < b.modified_s;
  });
  std::optional<int64_t> handed = after;
  size_t count = 0;
  for (const WooOrder& o : read) {
    if (!o.deliver) {
      host_.Log(LogLevel::kDebug, "woocommerce order " + o.order.order_id + " has status \"" +
                                      o.wc_status + "\": not an order stockd takes, skipped");
    } else if (!sink(o.order)) {
      break;
    } else {
      ++count;
    }
    handed = std::max(handed.value_or(0), o.modified_s);
  }
  host_.Count("orders_polled", static_cast<double>(count));
  return handed ? FormatGmt(*handed) : std::string(cursor);
}

}  // namespace stockd::woocommerce
