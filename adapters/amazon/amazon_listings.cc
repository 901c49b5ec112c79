// AmazonAdapter::Lookup and ::Fetch: which seller SKUs Amazon has, and their quantities on
// the configured fulfillment channel.
//
// searchListingsItems (GET /listings/2021-08-01/items/{sellerId}?identifiers=a,b&
// identifiersType=SKU, at most 20 identifiers, 5/s burst 5) answers for 20 SKUs a call; a
// SKU with a comma cannot be one of a comma-delimited list and is read alone with
// getListingsItem (GET .../items/{sellerId}/{sku}, 404 when Amazon has no such listing).
// Both take includedData=fulfillmentAvailability -> [{fulfillmentChannelCode, quantity}].
// ACCEPTED patches can take minutes to show here: a fetch right after a push may read the
// number from before it.
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "amazon/amazon_adapter.h"
#include "amazon/amazon_api.h"

namespace stockd::amazon {

using stockd::sdk::Error;

bool AmazonAdapter::Lookup(const std::vector<std::string>& skus,
                           std::unordered_map<std::string, int64_t>* quantities,
                           std::string* failure, int32_t* retry_after_ms) {
  HttpClient& http = client_.http();
  const std::string marketplace = "marketplaceIds=" + http.Escape(settings_.marketplace_id);
  // Sends one read; false (with *failure) when no usable answer came.
  const auto read = [&](const std::string& url, const std::string& what, Response* answer) {
    Request request;
    request.url = url;
    CallResult call = client_.Send(&read_bucket_, request, kMaxPaceWaitMs, what);
    // Throttled: the bucket waits out its pause before the same read goes again, so that
    // one 429 does not cost a whole push its look-ups.
    for (int retry = 0; retry < 2 && call.kind == CallResult::Kind::kThrottled; ++retry) {
      call = client_.Send(&read_bucket_, request, kMaxPaceWaitMs, what);
    }
    if (!call.answered()) {
      *failure = call.message;
      *retry_after_ms = call.retry_after_ms;
      return false;
    }
    *answer = call.response;
    if (answer->status == 200 || answer->status == 404) return true;
    *failure = what + ": HTTP " + std::to_string(answer->status) + ": " + ErrorsText(answer->body);
    *retry_after_ms = 0;
    return false;
  };
  const auto found = [&](const std::string& sku, int64_t quantity) {
    skus_.Put(sku, true);
    if (quantities != nullptr) (*quantities)[sku] = quantity;
  };

  std::vector<std::string> batch;
  const auto search = [&]() {
    if (batch.empty()) return true;
    std::string identifiers;
    for (const std::string& sku : batch)
      identifiers += (identifiers.empty() ? "" : ",") + http.Escape(sku);
    const std::string url = settings_.endpoint + "/listings/2021-08-01/items/" +
                            http.Escape(settings_.seller_id) + "?" + marketplace +
                            "&identifiers=" + identifiers +
                            "&identifiersType=SKU&includedData=fulfillmentAvailability&pageSize=" +
                            std::to_string(kSearchBatch);
    const std::string what = "searchListingsItems (" + std::to_string(batch.size()) + " SKUs)";
    Response answer;
    if (!read(url, what, &answer)) return false;
    std::map<std::string, int64_t> items;
    try {
      if (answer.status != 200) throw Error(what + ": HTTP " + std::to_string(answer.status));
      items = ParseSearchItems(answer.body, settings_.channel_code, what);
    } catch (const Error& e) {
      *failure = e.what();
      return false;
    }
    for (const std::string& sku : batch) {
      const auto it = items.find(sku);
      if (it == items.end()) {
        skus_.PutMissing(sku);
      } else {
        found(sku, it->second);
      }
    }
    batch.clear();
    return true;
  };

  for (const std::string& sku : skus) {
    if (sku.find(',') == std::string::npos) {
      batch.push_back(sku);
      if (batch.size() == kSearchBatch && !search()) return false;
      continue;
    }
    const std::string what = "getListingsItem " + sku;
    Response answer;
    if (!read(ListingUrl(sku) + "?" + marketplace + "&includedData=fulfillmentAvailability", what,
              &answer)) {
      return false;
    }
    if (answer.status == 404) {
      skus_.PutMissing(sku);
      continue;
    }
    try {
      found(sku, ParseItemQuantity(answer.body, settings_.channel_code, what));
    } catch (const Error& e) {
      *failure = e.what();
      return false;
    }
  }
  return search();
}

std::vector<int64_t> AmazonAdapter::Fetch(const std::vector<std::string_view>& listing_ids) {
  const std::string paused = client_.PausedReason();
  if (!paused.empty()) throw Error(paused);
  std::vector<std::string> skus;
  std::vector<std::string> unique;
  std::unordered_map<std::string, int64_t> seen;
  for (std::string_view id : listing_ids) {
    skus.push_back(SellerSku(id));
    if (seen.emplace(skus.back(), -1).second) unique.push_back(skus.back());
  }
  std::unordered_map<std::string, int64_t> quantities;
  std::string failure;
  int32_t retry_after_ms = 0;
  if (!Lookup(unique, &quantities, &failure, &retry_after_ms)) throw Error(failure);
  std::vector<int64_t> out;
  out.reserve(skus.size());
  for (const std::string& sku : skus) {
    const auto it = quantities.find(sku);
    out.push_back(it == quantities.end() ? -1 : it->second);
  }
  return out;
}

}  // namespace stockd::amazon
