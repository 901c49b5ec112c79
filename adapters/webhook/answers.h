// The channel's answers to the webhook adapter's requests (adapters/README.md), read into
// the SDK's types: pure functions, no HTTP, so that every shape a channel may answer can
// be tested and fuzzed (tests/fuzz/webhook_answers_fuzz.cc). A malformed answer throws
// sdk::Error naming the request and the field; nothing else is thrown.
//
// Thread safety: pure functions.
#ifndef STOCKD_ADAPTERS_WEBHOOK_ANSWERS_H_
#define STOCKD_ADAPTERS_WEBHOOK_ANSWERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::webhook {

// One page of GET /orders: {"orders": [...], "next_cursor": "...", "has_more": bool}.
struct OrdersPage {
  std::vector<stockd::sdk::Order> orders;
  std::string next_cursor;
  bool has_more = false;
};
// Checks the page whole (every order, every line); `request` ("GET <url>") starts every
// message.
OrdersPage ParseOrdersPage(const std::string& body, const std::string& request);

// A push's 2xx answer: the items {"results": [{listing_id, status, message}]} names, by
// listing id (ok, error -> permanent, conflict, retry with `retry_after_ms`, anything else
// -> retry). A body without such a list names none (every item OK). Never throws.
using ItemResults = std::map<std::string, stockd::sdk::PushResult, std::less<>>;
ItemResults ParseItemResults(const std::string& body, int32_t retry_after_ms);

// A fetch's answer {"quantities": {"<listing id>": n | null}}: sets (*quantities)[i] for
// i in [start, end) to the channel's number of listing_ids[i] (null or absent: left as
// is; negative: -1; above INT64_MAX: INT64_MAX). Throws when there is no such object or a
// quantity is not an integer.
void ParseFetchAnswer(const std::string& body, const std::vector<std::string_view>& listing_ids,
                      size_t start, size_t end, const std::string& request,
                      std::vector<int64_t>* quantities);

}  // namespace stockd::webhook

#endif  // STOCKD_ADAPTERS_WEBHOOK_ANSWERS_H_
