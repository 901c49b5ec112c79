// Fuzzes the webhook adapter's reading of a channel's answers (adapters/webhook/answers.h):
// an orders page, a push's per-item results and a fetch's quantities, each from the same
// bytes. Properties: no crash, leak or undefined behaviour; a malformed answer throws
// sdk::Error and nothing else; what is accepted obeys the protocol (every order has lines,
// shipped + cancelled within quantity; a page with more has orders; a fetched quantity is
// >= -1).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "answers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const stockd::webhook::OrdersPage page = stockd::webhook::ParseOrdersPage(body, "GET fuzz");
    if (page.has_more && page.orders.empty()) __builtin_trap();
    for (const stockd::sdk::Order& order : page.orders) {
      if (order.lines.empty() || order.revision < 1) __builtin_trap();
      for (const stockd::sdk::OrderLine& line : order.lines) {
        if (line.quantity < 1 || line.quantity_shipped < 0 || line.quantity_cancelled < 0 ||
            line.quantity_shipped > line.quantity - line.quantity_cancelled) {
          __builtin_trap();
        }
      }
    }
  } catch (const stockd::sdk::Error&) {
  }
  (void)stockd::webhook::ParseItemResults(body, 1000);
  const std::vector<std::string_view> ids = {"a", "b", "L-1"};
  std::vector<int64_t> quantities(ids.size(), -1);
  try {
    stockd::webhook::ParseFetchAnswer(body, ids, 0, ids.size(), "GET fuzz", &quantities);
    for (int64_t q : quantities) {
      if (q < -1) __builtin_trap();
    }
  } catch (const stockd::sdk::Error&) {
  }
  return 0;
}
