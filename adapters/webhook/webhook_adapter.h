// The webhook adapter: publishes quantities as signed JSON batches to one HTTP endpoint,
// reads them back from it for reconciliation, and polls the orders placed on the channel.
// The protocol is in adapters/README.md.
//
// Config (a JSON object; only `url` is required):
//   url                 http(s) endpoint; pushes POST to it, fetches GET it
//   orders_url          http(s) endpoint of GET /orders; default: `url` with the last
//                       segment of its path replaced by `orders` (.../stock -> .../orders)
//   orders_page_size    orders per page (the `limit` parameter), default 100, [1, 1000]
//   orders_max_pages    pages one poll reads at most, default 10, [1, 1000]
//   alerts_url          http(s) endpoint the channel's stock alerts are POSTed to (docs/alerts.md;
//                       the body in adapters/README.md); without it the adapter takes none
//   secret_file         file whose content (less trailing newlines) is the HMAC-SHA256 key;
//                       without it requests are not signed
//   timeout_ms          whole-request limit, default 5000, [1, 600000]
//   connect_timeout_ms  TCP/TLS connect limit, default 1000, [1, 600000]
//   max_batch           items per request, default 100, [1, 1000]; a larger push is split
//   headers             extra request headers, {"X-Api-Key": "..."}
//   channel             the channel id, set by the daemon; sent in every batch and as the
//                       `channel` query parameter of every fetch and order poll
//
// One curl easy handle per instance (common/http_client.h) keeps its connection alive between
// requests. Every request is bounded by timeout_ms, so Push, Fetch and PollOrders always
// return; and when the daemon stops (stockd_host.cancelled) a request in progress is
// abandoned within kCancelPollMs. URLs appear in messages only through sdk::RedactUrl: no
// userinfo, no secret-looking query values.
//
// Thread safety: the ABI's contract: one thread at a time per instance, no shared state.
#ifndef STOCKD_ADAPTERS_WEBHOOK_WEBHOOK_ADAPTER_H_
#define STOCKD_ADAPTERS_WEBHOOK_WEBHOOK_ADAPTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_client.h"
#include "stockd/adapter_sdk.h"

namespace stockd::webhook {

using stockd::adapters::HttpClient;
using stockd::adapters::Response;

constexpr uint32_t kMaxBatch = 1000;  // the most the daemon may hand us at once

class WebhookAdapter final : public stockd::sdk::Adapter {
 public:
  // The config as create() checks it, without side effects (the secret file is read).
  struct Settings {
    std::string url;
    std::string orders_url;
    int64_t orders_page_size = 100;
    int64_t orders_max_pages = 10;
    std::string alerts_url;  // empty: no alerts
    size_t max_batch = 100;
    std::string channel;
    std::string secret;                      // HMAC key; empty: requests are not signed
    std::vector<std::string> extra_headers;  // "Name: value"
    HttpClient::Options http;
  };

  static Settings ParseConfig(const stockd::sdk::Json& config);
  // The ABI's validate_config (stockd --check-config).
  static void ValidateConfig(const stockd::sdk::Json& config) { ParseConfig(config); }

  WebhookAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);

  std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>& items) override;
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override;
  // orders.cc: GET orders_url page by page (at most orders_max_pages), every page checked
  // whole before any order of the poll reaches the sink.
  std::string PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) override;
  bool TakesAlerts() const override { return !settings_.alerts_url.empty(); }
  // POST {"channel", "sent_at_ms", "alerts": [...]} to alerts_url, signed as a push. A
  // 2xx delivers; unreachable, 408, 429 or 5xx throws (the daemon sends it again); any
  // other answer is logged and counted (alerts_rejected) and not sent again.
  void NotifyAlerts(const stockd::sdk::Json& alerts) override;

 private:
  // One request for items[start, end), appending one result per item. Returns false when
  // the endpoint failed as a whole (unreachable, timed out, 429, 5xx).
  bool PushChunk(const std::vector<stockd::sdk::Item>& items, size_t start, size_t end,
                 std::vector<stockd::sdk::PushResult>* results);
  // A 2xx answer: every item is OK unless {"results": [...]} says otherwise for it.
  // GET `url` or POST `body` to it, stamped with X-Stockd-Timestamp and signed.
  Response Send(bool post, const std::string& url, const std::string& shown_url,
                const std::string& body, int64_t timestamp_ms);
  void ReadItemResults(const Response& r, const std::vector<stockd::sdk::Item>& items, size_t start,
                       size_t end, std::vector<stockd::sdk::PushResult>* results);

  stockd::sdk::Host host_;
  Settings settings_;
  std::string shown_url_;         // settings_.url for messages: RedactUrl
  std::string shown_orders_url_;  // settings_.orders_url for messages
  std::string shown_alerts_url_;  // settings_.alerts_url for messages
  HttpClient http_;
};

}  // namespace stockd::webhook

#endif  // STOCKD_ADAPTERS_WEBHOOK_WEBHOOK_ADAPTER_H_
