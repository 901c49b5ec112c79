// EbayAdapter::ParseConfig: the config keys, their defaults and bounds (adapters/README.md,
// "The eBay plugin"), checked in one place for create() and validate_config.
#include <curl/curl.h>

#include <string>

#include "ebay_adapter.h"

namespace stockd::ebay {
namespace {

using stockd::adapters::CheckUrl;
using stockd::adapters::Credential;
using stockd::adapters::Lower;
using stockd::sdk::Error;
using stockd::sdk::GetInt;
using stockd::sdk::GetString;
using stockd::sdk::Json;

constexpr char kDefaultEndpoint[] = "https://api.ebay.com";
constexpr char kDefaultScopes[] =
    "https://api.ebay.com/oauth/api_scope/sell.inventory "
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment";

// An http(s) URL; plain http only to this machine (the fake API of the tests).
std::string CheckEndpoint(const char* key, std::string url) {
  CheckUrl(key, url);
  CURLU* parsed = curl_url();
  char* scheme = nullptr;
  char* host = nullptr;
  std::string scheme_text, host_text;
  if (parsed != nullptr && curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    if (curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) scheme_text = scheme;
    if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK) host_text = host;
  }
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(parsed);
  if (Lower(scheme_text) == "http" && host_text != "127.0.0.1" && Lower(host_text) != "localhost" &&
      host_text != "[::1]") {
    throw Error(std::string("config: \"") + key +
                "\" must be https:// (http:// only for 127.0.0.1 or localhost), got \"" +
                stockd::sdk::RedactUrl(url) + "\"");
  }
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos) {
    throw Error(std::string("config: \"") + key + "\" must not have a query or fragment");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool IsMarketplaceId(const std::string& id) {
  if (id.rfind("EBAY_", 0) != 0 || id.size() > 32) return false;
  for (const char c : id) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  return id.size() > 5;
}

}  // namespace

EbayAdapter::Settings EbayAdapter::ParseConfig(const Json& config) {
  const std::string secret_file = Credential::FileKey("client_secret");
  const std::string secret_env = Credential::EnvKey("client_secret");
  const std::string refresh_file = Credential::FileKey("refresh_token");
  const std::string refresh_env = Credential::EnvKey("refresh_token");
  stockd::sdk::RejectUnknownKeys(
      config, {"endpoint", "token_url", "client_id", secret_file.c_str(), secret_env.c_str(),
               refresh_file.c_str(), refresh_env.c_str(), "scopes", "marketplace_id",
               "mapping_file", "daily_revision_limit", "revision_reserve",
               "min_revision_interval_ms", "requests_per_second", "timeout_ms",
               "connect_timeout_ms", "orders_page_size", "orders_max_pages"});
  Settings s;
  s.endpoint = CheckEndpoint("endpoint", GetString(config, "endpoint", kDefaultEndpoint));
  s.token_url = CheckEndpoint(
      "token_url", GetString(config, "token_url", s.endpoint + "/identity/v1/oauth2/token"));
  s.client_id = stockd::sdk::RequireString(config, "client_id");
  if (s.client_id.find_first_of(": \t\r\n") != std::string::npos) {
    throw Error("config: \"client_id\" must not hold a colon or white space");
  }
  s.client_secret = Credential::FromConfig(config, "client_secret");
  s.refresh_token = Credential::FromConfig(config, "refresh_token");
  s.scopes = GetString(config, "scopes", kDefaultScopes);
  if (s.scopes.find_first_not_of(" ") == std::string::npos) {
    throw Error("config: \"scopes\" must name at least one OAuth scope");
  }
  s.marketplace_id = GetString(config, "marketplace_id", "EBAY_US");
  if (!IsMarketplaceId(s.marketplace_id)) {
    throw Error(
        "config: \"marketplace_id\" must be an eBay marketplace id such as EBAY_US, got \"" +
        s.marketplace_id + "\"");
  }
  const std::string mapping_file = GetString(config, "mapping_file", "");
  if (!mapping_file.empty()) {
    for (auto& [sku, ids] : stockd::adapters::LoadMappingFile(mapping_file, 1, "sku,offer_id")) {
      s.mapping.emplace(sku, ids.front());
    }
  }
  s.revisions.daily_limit = GetInt(config, "daily_revision_limit", 250, 1, 100'000);
  s.revisions.reserve =
      GetInt(config, "revision_reserve", std::min<int64_t>(25, s.revisions.daily_limit - 1), 0,
             s.revisions.daily_limit - 1);
  s.revisions.min_interval_ms = GetInt(config, "min_revision_interval_ms", 60'000, 0, kDayMs);
  s.requests_per_second = GetInt(config, "requests_per_second", 5, 1, 10'000);
  s.http.timeout_ms = GetInt(config, "timeout_ms", 10'000, 1, 600'000);
  s.http.connect_timeout_ms = GetInt(config, "connect_timeout_ms", 3000, 1, 600'000);
  s.http.user_agent = "stockd-ebay/1";
  s.orders_page_size = GetInt(config, "orders_page_size", 100, 1, 200);
  s.orders_max_pages = GetInt(config, "orders_max_pages", 10, 1, 1000);
  return s;
}

}  // namespace stockd::ebay
