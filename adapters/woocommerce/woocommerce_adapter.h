// The woocommerce adapter: publishes stock quantities to a WooCommerce shop through its
// REST API v3 (products/batch, products/{parent}/variations/batch), reads them back
// (products?sku=), and polls the shop's orders (orders?modified_after=...).
//
// Config (a JSON object; base_url and both credentials are required):
//   base_url             https://shop.example.com (the WordPress site; a path is kept, e.g.
//                        https://example.com/shop). https:// only: WooCommerce takes HTTP
//                        Basic only over HTTPS (http:// is allowed for 127.0.0.1 and
//                        localhost, for tests)
//   consumer_key_file / consumer_key_env        the REST API key's consumer key (ck_...)
//   consumer_secret_file / consumer_secret_env  its consumer secret (cs_...)
//   mapping_file         CSV sku,product_id[,variation_id]: ids that override the look-up
//   batch_size           items per batch call, default 100, [1, 100]
//   requests_per_second  calls a second at most, default 10, [1, 1000]
//   timeout_ms           whole-request limit, default 15000, [1, 600000]
//   connect_timeout_ms   TCP/TLS connect limit, default 5000, [1, 600000]
//   orders_page_size     orders per page (per_page), default 100, [1, 100]
//   orders_max_pages     pages one poll reads at most, default 10, [1, 1000]
//
// A push item's listing id is the shop's SKU. It is resolved to the product (or the
// variation and its parent) by the mapping file, else by GET products?sku= (cached); a SKU
// the shop does not have is reported PERMANENT and counted "unmapped", never pushed.
// Writes are blind: WooCommerce has neither idempotency keys nor compare-and-set, so a
// push overwrites the shop's number (a sale between stockd's read and its write is
// overwritten; stockd's order polling brings the sale in and the next push corrects it).
//
// One curl handle (keep-alive), one token bucket for every call. A 401/403 re-reads the
// credentials and tries once more; still refused, the channel pauses (common/auth_pause.h)
// until the credential files change.
//
// Thread safety: the ABI's contract: one thread at a time per instance.
#ifndef STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_ADAPTER_H_
#define STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_ADAPTER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/auth_pause.h"
#include "common/credentials.h"
#include "common/http_client.h"
#include "common/mapping.h"
#include "common/pacing.h"
#include "stockd/adapter_sdk.h"
#include "woocommerce_api.h"

namespace stockd::woocommerce {

using stockd::adapters::Credential;
using stockd::adapters::HttpClient;
using stockd::adapters::Response;

constexpr uint32_t kMaxBatch = 100;      // WooCommerce's batch limit, and the daemon's push
constexpr size_t kMaxLookupSkus = 100;   // SKUs per products?sku= (per_page is at most 100)
constexpr size_t kMaxQueryBytes = 2000;  // keeps GET URLs within common server limits

// A failed answer in words: "HTTP 400: code: message" for a WP_Error body, else the
// transport error or the bare HTTP status (common/http_client.h).
std::string Describe(const Response& r);

class WooCommerceAdapter final : public stockd::sdk::Adapter {
 public:
  struct Settings {
    std::string base_url;  // no trailing slash
    Credential consumer_key;
    Credential consumer_secret;
    std::unordered_map<std::string, ProductIds> mapping;
    size_t batch_size = 100;
    double requests_per_second = 10;
    int64_t orders_page_size = 100;
    int64_t orders_max_pages = 10;
    HttpClient::Options http;
  };

  // The config as create() checks it, without side effects (credential and mapping files
  // are read).
  static Settings ParseConfig(const stockd::sdk::Json& config);
  static void ValidateConfig(const stockd::sdk::Json& config) { ParseConfig(config); }

  WooCommerceAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);

  std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>& items) override;
  // woocommerce_lookup.cc: the shop's stock_quantity per SKU; -1 for a SKU it does not have
  // and for a product that does not manage its stock (stock_quantity null); a negative
  // stock (oversold, backorders) reads as 0.
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override;
  // woocommerce_orders.cc: the orders modified after the cursor (a date_modified_gmt,
  // "2024-01-15T10:30:45"), oldest change first.
  std::string PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) override;

 private:
  // A call that failed as a whole: retry (transport, 408, 429, 5xx, paused) or not (a 4xx
  // that says the request is wrong).
  struct Failure {
    bool retry = true;
    int32_t retry_after_ms = 0;
    std::string message;
  };
  struct Answer {
    Response response;
    int32_t retry_after_ms = 0;  // for a retryable failure: Retry-After, else the backoff
  };

  // One paced, authenticated call of `method` wp-json/wc/v3/`path`. A 401/403 re-reads
  // the credentials and, when they changed, tries once more; refused still, the channel
  // pauses. Never throws but for out of memory.
  Answer Call(const std::string& method, const std::string& path, const std::string& body = "");
  // nullopt when the answer is a 2xx; counts "retries" for a retryable failure.
  std::optional<Failure> Failed(const Answer& answer, const std::string& what);
  // "" when calls may go ahead; the reason the channel is paused otherwise.
  std::string PausedReason();
  std::string Url(const std::string& path) const;

  // woocommerce_lookup.cc: resolves `skus` through products?sku= (kMaxLookupSkus a call),
  // putting every exact match into *found and into the cache, and remembering the others
  // as missing. A failed call leaves its SKUs out of both and returns the failure.
  std::optional<Failure> LookUp(const std::vector<std::string>& skus,
                                std::map<std::string, ProductInfo>* found);
  // Reads products (parent 0) or variations of `parent` by id.
  std::optional<Failure> ReadByIds(int64_t parent, const std::vector<int64_t>& ids,
                                   std::map<int64_t, ProductInfo>* found);

  // One batch call for items[indices] (all under `parent`; 0 = products/batch), splitting
  // on 413. Returns false when the call failed as a whole and retryably (then every item
  // of it is RETRY and the caller sends no more).
  bool PushBatch(const std::vector<stockd::sdk::Item>& items, int64_t parent,
                 const std::vector<size_t>& indices, const std::vector<ProductIds>& ids,
                 std::vector<stockd::sdk::PushResult>* results);
  void ReadBatchAnswer(const Response& r, const std::string& what,
                       const std::vector<stockd::sdk::Item>& items,
                       const std::vector<size_t>& indices, const std::vector<ProductIds>& ids,
                       std::vector<stockd::sdk::PushResult>* results);

  stockd::sdk::Host host_;
  Settings settings_;
  HttpClient http_;
  stockd::adapters::TokenBucket bucket_;
  stockd::adapters::Backoff backoff_{500, 30'000};
  stockd::adapters::AuthPause pause_;
  stockd::adapters::SkuCache<ProductIds> cache_;
};

}  // namespace stockd::woocommerce

#endif  // STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_ADAPTER_H_
