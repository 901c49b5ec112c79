// ShopifyAdapter: its config and construction. Push is in shopify_push.cc, Fetch and the
// SKU look-up in shopify_fetch.cc, PollOrders in shopify_orders.cc.
#include "shopify_adapter.h"

#include <curl/curl.h>

#include <algorithm>
#include <set>
#include <utility>

namespace stockd::shopify {
namespace {

using stockd::sdk::Error;
using stockd::sdk::Json;

// The reasons Shopify accepts for an inventory change (InventorySetQuantitiesInput.reason).
const std::set<std::string>& Reasons() {
  static const std::set<std::string> kReasons = {"correction",
                                                 "cycle_count_available",
                                                 "damaged",
                                                 "movement_canceled",
                                                 "movement_created",
                                                 "movement_received",
                                                 "movement_updated",
                                                 "other",
                                                 "promotion",
                                                 "quality_control",
                                                 "received",
                                                 "reservation_created",
                                                 "reservation_deleted",
                                                 "reservation_updated",
                                                 "restock",
                                                 "safety_stock",
                                                 "shrinkage"};
  return kReasons;
}

std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  std::string out;
  if (curl_url_get(url, part, &value, 0) == CURLUE_OK && value != nullptr) out = value;
  curl_free(value);
  return out;
}

// https://<shop>.myshopify.com, or http://127.0.0.1[:port] / http://localhost[:port] (a
// test double); returned without a trailing '/'.
std::string CheckShopUrl(const std::string& url) {
  stockd::adapters::CheckUrl("shop_url", url);
  CURLU* parsed = curl_url();
  if (parsed == nullptr) throw Error("out of memory");
  curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  const std::string scheme = stockd::adapters::Lower(UrlPart(parsed, CURLUPART_SCHEME));
  const std::string host = stockd::adapters::Lower(UrlPart(parsed, CURLUPART_HOST));
  const std::string path = UrlPart(parsed, CURLUPART_PATH);
  const bool extra = !UrlPart(parsed, CURLUPART_USER).empty() ||
                     !UrlPart(parsed, CURLUPART_QUERY).empty() ||
                     !UrlPart(parsed, CURLUPART_FRAGMENT).empty();
  curl_url_cleanup(parsed);
  const std::string shown = stockd::sdk::RedactUrl(url);
  if (extra || (!path.empty() && path != "/")) {
    throw Error(
        "config: \"shop_url\" must be the shop's base URL (https://<shop>.myshopify.com), "
        "without a path, query or user: \"" +
        shown + "\"");
  }
  if (scheme == "http") {
    if (host != "127.0.0.1" && host != "localhost") {
      throw Error(
          "config: \"shop_url\" must be https:// (http:// is only for 127.0.0.1 or "
          "localhost): \"" +
          shown + "\"");
    }
  } else {
    constexpr std::string_view kDomain = ".myshopify.com";
    const std::string shop =
        host.size() > kDomain.size() &&
                host.compare(host.size() - kDomain.size(), kDomain.size(), kDomain) == 0
            ? host.substr(0, host.size() - kDomain.size())
            : "";
    const bool valid = !shop.empty() && std::all_of(shop.begin(), shop.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!valid) {
      throw Error(
          "config: \"shop_url\" must be https://<shop>.myshopify.com (the Admin API "
          "answers on the shop's myshopify.com domain only): \"" +
          shown + "\"");
    }
  }
  std::string out = url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

void CheckApiVersion(const std::string& version) {
  const bool dated = version.size() == 7 && version[4] == '-' &&
                     std::all_of(version.begin(), version.begin() + 4, ::isdigit) &&
                     ::isdigit(version[5]) && ::isdigit(version[6]);
  if (!dated && version != "unstable") {
    throw Error("config: \"api_version\" must be YYYY-MM (e.g. 2026-04) or unstable, got \"" +
                version + "\"");
  }
  if (dated && version < "2026-04") {
    throw Error("config: \"api_version\" " + version +
                " predates 2026-04, whose @idempotent keys and changeFromQuantity this "
                "adapter relies on");
  }
}

}  // namespace

ShopifyAdapter::Settings ShopifyAdapter::ParseConfig(const Json& config) {
  stockd::sdk::RejectUnknownKeys(
      config, {"shop_url", "api_version", "access_token", "access_token_file", "access_token_env",
               "location_id", "quantity_name", "reason", "mapping_file", "timeout_ms",
               "connect_timeout_ms", "orders_page_size", "orders_max_pages", "min_available_cost"});
  Settings s;
  s.shop_url = CheckShopUrl(stockd::sdk::RequireString(config, "shop_url"));
  s.api_version = stockd::sdk::GetString(config, "api_version", s.api_version);
  CheckApiVersion(s.api_version);
  s.endpoint = s.shop_url + "/admin/api/" + s.api_version + "/graphql.json";

  const Json* location = config.contains("location_id") ? &config["location_id"] : nullptr;
  if (location == nullptr || location->is_null()) {
    throw Error("config: \"location_id\" is required (N or gid://shopify/Location/N)");
  }
  const std::string location_text = location->is_number_unsigned()
                                        ? std::to_string(location->get<uint64_t>())
                                        : stockd::sdk::RequireString(config, "location_id");
  s.location_gid = ToGid("Location", location_text, "config: \"location_id\"");

  s.quantity_name = stockd::sdk::GetString(config, "quantity_name", s.quantity_name);
  if (s.quantity_name != "available" && s.quantity_name != "on_hand") {
    throw Error("config: \"quantity_name\" must be \"available\" or \"on_hand\", got \"" +
                s.quantity_name + "\"");
  }
  s.reason = stockd::sdk::GetString(config, "reason", s.reason);
  if (Reasons().count(s.reason) == 0) {
    std::string list;
    for (const std::string& r : Reasons()) list += (list.empty() ? "" : ", ") + r;
    throw Error("config: \"reason\" \"" + s.reason + "\" is not one of Shopify's: " + list);
  }
  const std::string channel = stockd::sdk::GetString(config, "channel", "");
  if (!channel.empty() && channel.size() <= 64 &&
      std::all_of(channel.begin(), channel.end(), [](char c) {
        return ::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    s.reference_uri = "gid://stockd/Channel/" + channel;
  }

  const std::string mapping_file = stockd::sdk::GetString(config, "mapping_file", "");
  if (!mapping_file.empty()) {
    for (auto& [sku, ids] :
         stockd::adapters::LoadMappingFile(mapping_file, 1, "sku,inventory_item_id")) {
      s.mapping[sku] = ToGid("InventoryItem", ids[0], mapping_file + ": SKU \"" + sku + "\"");
    }
  }
  s.http.timeout_ms = stockd::sdk::GetInt(config, "timeout_ms", 10'000, 1, 600'000);
  s.http.connect_timeout_ms = stockd::sdk::GetInt(config, "connect_timeout_ms", 3000, 1, 600'000);
  s.http.user_agent = "stockd-shopify/1";
  s.orders_page_size =
      stockd::sdk::GetInt(config, "orders_page_size", s.orders_page_size, 1, kMaxOrdersPageSize);
  s.orders_max_pages = stockd::sdk::GetInt(config, "orders_max_pages", 10, 1, 1000);
  s.min_available_cost =
      static_cast<double>(stockd::sdk::GetInt(config, "min_available_cost", 0, 0, 100'000));
  s.access_token = stockd::adapters::Credential::FromConfig(config, "access_token");
  return s;
}

ShopifyAdapter::ShopifyAdapter(const Json& config, stockd::sdk::Host host)
    : host_(host),
      settings_(ParseConfig(config)),
      api_(GraphqlClient::Options{settings_.endpoint, settings_.api_version,
                                  settings_.min_available_cost, 2000, settings_.http},
           settings_.access_token, host) {
  for (const auto& [sku, gid] : settings_.mapping) mapped_[sku] = ItemIds{gid, 1};
}

}  // namespace stockd::shopify

STOCKD_ADAPTER(stockd::shopify::ShopifyAdapter, "shopify", stockd::shopify::kMaxBatch,
               /*has_fetch=*/true, /*has_poll=*/true);
