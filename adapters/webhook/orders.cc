// WebhookAdapter::PollOrders: GET <orders_url>?channel=C&after=CURSOR&limit=N, following
// next_cursor while has_more (adapters/README.md, "Orders").
//
// A poll reads its pages first (at most orders_max_pages) and checks each whole: a page
// that is not the documented JSON fails the poll, naming the field, before any order of
// the poll reached the daemon. Then it hands the orders over in change order. When the
// daemon takes no more, the poll returns the cursor of the last page handed over whole (or
// the cursor it started from), never one past an order not delivered: the daemon treats a
// revision delivered twice as a replay.
#include <string>
#include <utility>
#include <vector>

#include "answers.h"
#include "webhook_adapter.h"

namespace stockd::webhook {

using stockd::adapters::HttpError;
using stockd::sdk::Error;
using stockd::sdk::Order;

std::string WebhookAdapter::PollOrders(std::string_view cursor,
                                       const stockd::sdk::OrderSink& sink) {
  const std::string base =
      settings_.orders_url + (settings_.orders_url.find('?') == std::string::npos ? "?" : "&") +
      (settings_.channel.empty() ? "" : "channel=" + http_.Escape(settings_.channel) + "&") +
      "limit=" + std::to_string(settings_.orders_page_size);
  std::vector<OrdersPage> pages;
  std::string after(cursor);
  for (int64_t n = 0; n < settings_.orders_max_pages; ++n) {
    if (host_.Cancelled())
      throw Error("GET " + shown_orders_url_ + ": abandoned, stockd is stopping");
    const std::string url = base + (after.empty() ? "" : "&after=" + http_.Escape(after));
    const Response r = Send(/*post=*/false, url, shown_orders_url_, "", host_.NowMs());
    if (r.code != CURLE_OK) throw Error(r.transport_error);
    const std::string request = "GET " + shown_orders_url_;
    if (r.status < 200 || r.status >= 300) throw Error(request + ": " + HttpError(r));
    OrdersPage page = ParseOrdersPage(r.body, request);
    if (page.has_more && (page.next_cursor.empty() || page.next_cursor == after)) {
      throw Error(request + ": answer.next_cursor does not move past the page (has_more)");
    }
    if (page.orders.empty() && page.next_cursor.empty()) page.next_cursor = after;
    const bool more = page.has_more;
    after = page.next_cursor;
    pages.push_back(std::move(page));
    if (!more) break;
  }
  std::string delivered(cursor);
  size_t count = 0;
  for (const OrdersPage& page : pages) {
    for (const Order& order : page.orders) {
      if (!sink(order)) {
        host_.Count("orders_polled", static_cast<double>(count));
        return delivered;
      }
      ++count;
    }
    delivered = page.next_cursor;
  }
  host_.Count("orders_polled", static_cast<double>(count));
  return delivered;
}

}  // namespace stockd::webhook
