// The Shopify adapter: publishes quantities to one location of a Shopify shop through the
// Admin GraphQL API (inventorySetQuantities, compare-and-set, idempotent), reads them back
// for reconciliation, and polls the shop's orders. adapters/README.md ("shopify") is the
// operator's page; shopify_api.h lists the API facts it relies on.
//
// Config (a JSON object; shop_url, location_id and the access token are required):
//   shop_url            https://<shop>.myshopify.com (http:// only for 127.0.0.1 or
//                       localhost: a test double)
//   api_version         Admin API version, default "2026-04" (the first that requires
//                       @idempotent and changeFromQuantity; older ones are refused)
//   access_token_file / access_token_env
//                       the Admin API access token (X-Shopify-Access-Token)
//   location_id         the location the quantities are for: N or gid://shopify/Location/N
//   quantity_name       "available" (default) or "on_hand"
//   reason              the adjustment reason shown in Shopify's history, default
//                       "correction" (one of Shopify's reasons)
//   mapping_file        CSV sku,inventory_item_id (N or gid): overrides the SKU look-up
//   timeout_ms          whole-request limit, default 10000, [1, 600000]
//   connect_timeout_ms  TCP/TLS connect limit, default 3000, [1, 600000]
//   orders_page_size    orders per page, default 25, [1, 50] (each order brings its first 8
//                       lines; a page must stay under Shopify's 1,000-point query limit)
//   orders_max_pages    pages one poll reads at most, default 10, [1, 1000]
//   min_available_cost  points every call leaves in the shop's bucket for other callers
//                       (e.g. the order poller while a backlog drains), default 0
//
// Push: items are resolved SKU -> inventory item (mapping file, else a cached
// inventoryItems search); a SKU Shopify does not have is PERMANENT and counted "unmapped".
// Quantities go out 250 per mutation with changeFromQuantity = the item's previous (null
// for the first sync, previous == -1) under a fresh @idempotent key per batch; a resend of
// the same batch (after a lost answer) keeps its key. Shopify's userErrors make a batch
// all-or-nothing: CHANGE_FROM_QUANTITY_STALE is a CONFLICT for its item, other per-item
// codes are PERMANENT with Shopify's message, and the items not at fault are sent once
// more, under a new key, in the same push.
//
// Thread safety: the ABI's contract: one thread at a time per instance, no shared state.
#ifndef STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_ADAPTER_H_
#define STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_ADAPTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/credentials.h"
#include "common/http_client.h"
#include "common/mapping.h"
#include "shopify_client.h"
#include "stockd/adapter_sdk.h"

namespace stockd::shopify {

constexpr uint32_t kMaxBatch = 1000;  // what the daemon may hand over; sent 250 per call

class ShopifyAdapter final : public stockd::sdk::Adapter {
 public:
  struct Settings {
    std::string shop_url;  // without a trailing '/'
    std::string api_version = "2026-04";
    std::string endpoint;  // <shop_url>/admin/api/<api_version>/graphql.json
    std::string location_gid;
    std::string quantity_name = "available";
    std::string reason = "correction";
    std::string reference_uri;  // gid://stockd/Channel/<channel>, when the id allows it
    std::unordered_map<std::string, std::string> mapping;  // SKU -> inventory item gid
    int64_t orders_page_size = 25;
    int64_t orders_max_pages = 10;
    double min_available_cost = 0;
    stockd::adapters::HttpClient::Options http;
    stockd::adapters::Credential access_token;
  };

  // The config as create() checks it, without side effects (the token and mapping files
  // are read).
  static Settings ParseConfig(const stockd::sdk::Json& config);
  static void ValidateConfig(const stockd::sdk::Json& config) { ParseConfig(config); }

  ShopifyAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);

  std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>& items) override;
  // shopify_fetch.cc: the quantity `quantity_name` of each listing at the location.
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override;
  // shopify_orders.cc: orders by updated_at, oldest change first. The cursor is the
  // updatedAt of the last order read ("T": the next poll reads updated_at >= T again, so
  // nothing at the boundary is lost), or "T|C" while a poll stopped inside a query (C is
  // the edge cursor of the last order handed over, to resume that query after it).
  std::string PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) override;

 private:
  using Result = GraphqlClient::Result;
  using PushResult = stockd::sdk::PushResult;

  struct ItemIds {
    std::string gid;  // when exactly one inventory item has the SKU
    int matches = 0;  // how many inventory items have it (> 1: ambiguous, never pushed)
  };
  struct Entry {  // one item of a push on its way to Shopify
    size_t index = 0;
    QuantityToSet quantity;
  };

  // shopify_fetch.cc: looks up the SKUs not known yet (SkuCache, mapping file). Returns
  // the failure of a search when one failed (the SKUs it had not answered stay unknown).
  Result Resolve(const std::vector<std::string>& skus, int64_t max_wait_ms);
  // What is known of `sku` (the mapping file's item, or the look-up's); nullptr when it
  // was never looked up (or its "missing" expired).
  const ItemIds* Known(const std::string& sku) const;

  // shopify_push.cc
  PushResult ResultOfResolve(const stockd::sdk::Item& item, const Result& lookup);
  // Sends entries (<= 250) and writes their results; returns false when Shopify could not
  // be asked at all (throttled for long, unreachable, paused): the rest of the push waits.
  bool SendBatch(const std::vector<Entry>& entries, const std::vector<stockd::sdk::Item>& items,
                 std::vector<PushResult>* results);
  PushResult ResultOfCall(const Result& r) const;

  stockd::sdk::Host host_;
  Settings settings_;
  GraphqlClient api_;
  stockd::adapters::SkuCache<ItemIds> cache_;
  std::unordered_map<std::string, ItemIds> mapped_;  // the mapping file's, as ItemIds
};

}  // namespace stockd::shopify

#endif  // STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_ADAPTER_H_
