// The Amazon Selling Partner API adapter: publishes each listing's quantity for one
// fulfillment channel (merchant-fulfilled "DEFAULT") of one marketplace, reads it back,
// and polls the marketplace's orders. adapters/README.md ("The amazon plugin") documents
// the config; the API facts are in amazon_api.h and sp_api_client.h.
//
//   Push      fewer than `feed_threshold` items: one patchListingsItem per SKU
//             (PATCH /listings/2021-08-01/items/{sellerId}/{sku}, 5/s burst 5), paced;
//             at least `feed_threshold`: one JSON_LISTINGS_FEED (Feeds 2021-06-30), waited
//             for up to `feed_timeout_ms` (amazon_feed.cc).
//   Fetch     searchListingsItems by SKU, 20 a call (getListingsItem for a SKU with a
//             comma), includedData=fulfillmentAvailability (amazon_listings.cc).
//   Orders    searchOrders 2026-01-01 by lastUpdatedAfter (amazon_orders.cc).
//
// The seller SKU is Amazon's id for a listing; the item's listing id is it (or a
// `mapping_file` maps it to another seller SKU). Amazon accepts a PATCH for a SKU it has
// no listing for (it starts a new, incomplete listing), so a SKU is looked up before its
// first push (searchListingsItems, 20 a call, cached): a SKU Amazon does not have is never
// patched, it is reported PERMANENT and counted "unmapped".
//
// Thread safety: the ABI's contract: one thread at a time per instance, no shared state.
#ifndef STOCKD_ADAPTERS_AMAZON_AMAZON_ADAPTER_H_
#define STOCKD_ADAPTERS_AMAZON_AMAZON_ADAPTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "amazon/sp_api_client.h"
#include "common/credentials.h"
#include "common/mapping.h"
#include "common/pacing.h"
#include "stockd/adapter_sdk.h"

namespace stockd::amazon {

constexpr uint32_t kMaxBatch = 10'000;      // a JSON_LISTINGS_FEED takes 10,000 messages
constexpr size_t kSearchBatch = 20;         // searchListingsItems: at most 20 identifiers
constexpr int64_t kMaxPaceWaitMs = 60'000;  // a Push waits this long for a token at most
constexpr int64_t kFirstPollLookbackMs = 30LL * 86'400'000;  // cursor "": the last 30 days

class AmazonAdapter final : public stockd::sdk::Adapter {
 public:
  // The config as create() checks it (reads the credential and mapping files).
  struct Settings {
    std::string endpoint;
    std::string seller_id;
    std::string marketplace_id;
    std::string product_type = "PRODUCT";
    std::string channel_code = "DEFAULT";
    double requests_per_second = 5;
    double burst = 5;
    int64_t feed_threshold = 200;
    int64_t feed_timeout_ms = 600'000;
    int64_t orders_page_size = 100;
    int64_t orders_max_pages = 10;
    double orders_requests_per_second = 0.0056;  // searchOrders' usage plan
    double orders_burst = 20;
    std::unordered_map<std::string, std::string> mapping;  // listing id -> seller SKU
    adapters::OAuthToken::Options oauth;
    adapters::HttpClient::Options http;
  };

  static Settings ParseConfig(const stockd::sdk::Json& config);
  static void ValidateConfig(const stockd::sdk::Json& config) { ParseConfig(config); }

  AmazonAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);

  std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>& items) override;
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override;
  std::string PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) override;

 private:
  using PushResult = stockd::sdk::PushResult;

  // One item of a push on its way: the seller SKU, and where its result goes.
  struct Pending {
    size_t index;
    std::string sku;
    int64_t quantity;
  };

  std::string SellerSku(std::string_view listing_id) const;
  std::string ListingUrl(const std::string& sku);  // .../items/{sellerId}/{sku}

  // amazon_listings.cc: looks `skus` up (searchListingsItems, 20 a call; getListingsItem for
  // a SKU with a comma), caching found and missing ones and filling *quantities for the
  // found. Returns false (with why, and a wait) when the API failed before all were seen.
  bool Lookup(const std::vector<std::string>& skus,
              std::unordered_map<std::string, int64_t>* quantities, std::string* failure,
              int32_t* retry_after_ms);

  // amazon_adapter.cc: one PATCH per item.
  void PushByPatch(const std::vector<Pending>& pending, std::vector<PushResult>* results);
  // amazon_feed.cc: one JSON_LISTINGS_FEED for all of them.
  void PushByFeed(const std::vector<Pending>& pending, std::vector<PushResult>* results);

  // Marks every item of `pending` from `from` on as RETRY (`message`, `retry_after_ms`).
  static void RetryRest(const std::vector<Pending>& pending, size_t from,
                        const std::string& message, int32_t retry_after_ms,
                        std::vector<PushResult>* results);

  stockd::sdk::Host host_;
  Settings settings_;
  SpApiClient client_;
  adapters::SkuCache<bool> skus_;  // seller SKUs Amazon has (found) or lacks (missing)
  // Per-operation usage plans (Amazon's defaults; the listings ones from the config).
  TokenBucket patch_bucket_;  // patchListingsItem 5/s burst 5
  TokenBucket read_bucket_;   // searchListingsItems 5/5, getListingsItem 5/10
  TokenBucket create_document_bucket_{0.5, 15, host_};
  TokenBucket create_feed_bucket_{0.0083, 15, host_};
  TokenBucket get_feed_bucket_{2, 15, host_};
  TokenBucket get_document_bucket_{0.0222, 10, host_};
  TokenBucket orders_bucket_;  // searchOrders 0.0056/s burst 20 (configurable)
};

}  // namespace stockd::amazon

#endif  // STOCKD_ADAPTERS_AMAZON_AMAZON_ADAPTER_H_
