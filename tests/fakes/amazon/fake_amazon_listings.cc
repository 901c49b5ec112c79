// FakeAmazon's Listings Items API 2021-08-01: patchListingsItem, getListingsItem,
// searchListingsItems, and the listing state they share with the feeds and the orders.
// Request checks follow Amazon's model: schema violations are 400 InvalidInput, attribute
// problems are 200 INVALID with issues. Every handler runs with mu_ held.
#include <algorithm>
#include <set>

#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/amazon/fake_amazon_rules.h"

namespace stockd::fakes {

using amazon_fake::Errors;
using amazon_fake::InvalidInput;
using Json = nlohmann::json;

namespace {

const std::set<std::string> kItemIncludedData = {
    "summaries",   "attributes",    "issues",      "offers", "fulfillmentAvailability",
    "procurement", "relationships", "productTypes"};

std::string Param(const std::map<std::string, std::string>& query, const char* name) {
  const auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

std::vector<std::string> Csv(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

namespace amazon_fake {

// marketplaceIds: required, every one known. "" = fine, else the 400 details.
std::string CheckMarketplaces(const std::map<std::string, std::string>& query,
                              const std::vector<std::string>& known, bool required) {
  const auto it = query.find("marketplaceIds");
  if (it == query.end() || it->second.empty()) {
    return required ? "marketplaceIds is required" : "";
  }
  for (const std::string& id : Csv(it->second)) {
    if (std::find(known.begin(), known.end(), id) == known.end()) {
      return "marketplaceIds: \"" + id + "\" is not a marketplace of this seller";
    }
  }
  return "";
}

}  // namespace amazon_fake

std::optional<int64_t> FakeAmazon::QuantityLocked(const std::string& sku,
                                                  const std::string& channel) const {
  const auto it = listings_.find(sku);
  if (it == listings_.end()) return std::nullopt;
  const Json& attributes = it->second.attributes;
  const auto availability = attributes.find("fulfillment_availability");
  if (availability == attributes.end() || !availability->is_array()) return std::nullopt;
  for (const Json& entry : *availability) {
    if (entry.value("fulfillment_channel_code", "") == channel && entry.contains("quantity") &&
        entry["quantity"].is_number_integer()) {
      return entry["quantity"].get<int64_t>();
    }
  }
  return std::nullopt;
}

void FakeAmazon::AddListing(const std::string& sku, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  Listing& listing = listings_[sku];
  listing.incomplete = false;
  listing.created_ms = listing.updated_ms = amazon_fake::NowMs();
  listing.attributes["fulfillment_availability"] =
      Json::array({{{"fulfillment_channel_code", "DEFAULT"}, {"quantity", quantity}}});
}

void FakeAmazon::RemoveListing(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  listings_.erase(sku);
}

bool FakeAmazon::HasListing(const std::string& sku) const {
  std::lock_guard<std::mutex> lock(mu_);
  return listings_.count(sku) != 0;
}

void FakeAmazon::AdjustQuantityLocked(const std::string& sku, int64_t delta) {
  const auto it = listings_.find(sku);
  if (it == listings_.end()) return;
  Json& availability = it->second.attributes["fulfillment_availability"];
  if (!availability.is_array()) return;
  for (Json& entry : availability) {
    if (entry.value("fulfillment_channel_code", "") != "DEFAULT" ||
        !entry["quantity"].is_number_integer()) {
      continue;
    }
    const int64_t was = entry["quantity"].get<int64_t>();
    entry["quantity"] = std::max<int64_t>(0, was + delta);
    LogLocked("set " + sku + "=" + std::to_string(entry["quantity"].get<int64_t>()) + " (was " +
              std::to_string(was) + ", order)");
  }
}

void FakeAmazon::ApplyPatchesLocked(const std::string& sku, const std::string& product_type,
                                    const Json& patches) {
  if (patches.is_null()) {  // a feed's DELETE message
    listings_.erase(sku);
    LogLocked("deleted listing " + sku);
    return;
  }
  const std::optional<int64_t> was = QuantityLocked(sku, "DEFAULT");
  auto [it, created] = listings_.try_emplace(sku);
  Listing& listing = it->second;
  if (created) {
    listing.incomplete = true;
    listing.product_type = product_type;
    listing.created_ms = amazon_fake::NowMs();
    LogLocked("started an incomplete listing for unknown SKU " + sku);
  }
  for (const Json& patch : patches) {
    const std::string op = patch["op"].get<std::string>();
    const std::string name =
        patch["path"].get<std::string>().substr(std::string("/attributes/").size());
    const Json value = patch.contains("value") ? patch["value"] : Json();
    Json& attribute = listing.attributes[name];
    if (op == "delete") {
      if (value.is_null() || name != "fulfillment_availability" || !attribute.is_array()) {
        listing.attributes.erase(name);
        continue;
      }
      Json kept = Json::array();
      for (const Json& entry : attribute) {
        const bool named = std::any_of(value.begin(), value.end(), [&](const Json& v) {
          return v.value("fulfillment_channel_code", "") ==
                 entry.value("fulfillment_channel_code", "");
        });
        if (!named) kept.push_back(entry);
      }
      attribute = kept;
    } else if (op == "merge" && name == "fulfillment_availability" && attribute.is_array()) {
      for (const Json& v : value) {
        const std::string code = v.value("fulfillment_channel_code", "");
        auto same = std::find_if(attribute.begin(), attribute.end(), [&](const Json& entry) {
          return entry.value("fulfillment_channel_code", "") == code;
        });
        if (same == attribute.end()) {
          attribute.push_back(v);
        } else {
          same->update(v);
        }
      }
    } else {
      attribute = value;  // add, replace, or merge into nothing
    }
  }
  listing.updated_ms = amazon_fake::NowMs();
  const std::optional<int64_t> now = QuantityLocked(sku, "DEFAULT");
  if (now != was && now.has_value()) {
    LogLocked("set " + sku + "=" + std::to_string(*now) +
              (was.has_value() ? " (was " + std::to_string(*was) + ")" : ""));
  }
}

HttpAnswer FakeAmazon::PatchItem(const HttpRequest& request, const std::string& sku,
                                 const std::map<std::string, std::string>& query) {
  const std::string marketplaces =
      amazon_fake::CheckMarketplaces(query, options_.marketplace_ids, true);
  if (!marketplaces.empty()) return InvalidInput(marketplaces);
  const std::string mode = Param(query, "mode");
  if (!mode.empty() && mode != "VALIDATION_PREVIEW") return InvalidInput("mode: \"" + mode + "\"");
  const Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return InvalidInput("the body is not JSON");
  const std::string problem = amazon_fake::PatchRequestProblem(body);
  if (!problem.empty()) return InvalidInput(problem);
  const Json issues = amazon_fake::AttributeIssues(body["patches"]);
  const std::string submission = RandomHexLocked(32);
  if (!issues.empty()) {
    return HttpAnswer::Json(
        200,
        Json(
            {{"sku", sku}, {"status", "INVALID"}, {"submissionId", submission}, {"issues", issues}})
            .dump());
  }
  if (listings_.count(sku) == 0 && options_.unknown_sku == UnknownSku::kNotFound) {
    return Errors(404, "NOT_FOUND",
                  "SKU '" + sku + "' not found in marketplace " + options_.marketplace_ids[0]);
  }
  if (mode.empty()) {
    pending_.push_back({Clock::now() + std::chrono::milliseconds(options_.apply_delay_ms), sku,
                        body["productType"].get<std::string>(), body["patches"]});
    if (options_.apply_delay_ms <= 0) ApplyDueLocked();
  }
  return HttpAnswer::Json(200, Json({{"sku", sku},
                                     {"status", mode.empty() ? "ACCEPTED" : "VALID"},
                                     {"submissionId", submission},
                                     {"issues", Json::array()}})
                                   .dump());
}

Json FakeAmazon::ItemJson(const std::string& sku, const Listing& listing,
                          const std::string& included) const {
  Json item = {{"sku", sku}};
  for (const std::string& part : Csv(included.empty() ? "summaries" : included)) {
    if (part == "summaries") {
      item["summaries"] =
          Json::array({{{"marketplaceId", options_.marketplace_ids[0]},
                        {"asin", "B0" + std::to_string(std::hash<std::string>()(sku) % 100000000)},
                        {"productType", listing.product_type},
                        {"conditionType", "new_new"},
                        {"status", listing.incomplete ? Json::array()
                                                      : Json::array({"BUYABLE", "DISCOVERABLE"})},
                        {"itemName", "Item " + sku},
                        {"createdDate", amazon_fake::Iso8601(listing.created_ms)},
                        {"lastUpdatedDate", amazon_fake::Iso8601(listing.updated_ms)}}});
    } else if (part == "attributes") {
      item["attributes"] = listing.attributes;
    } else if (part == "fulfillmentAvailability") {
      Json availability = Json::array();
      const auto it = listing.attributes.find("fulfillment_availability");
      if (it != listing.attributes.end() && it->is_array()) {
        for (const Json& entry : *it) {
          Json out = {{"fulfillmentChannelCode", entry.value("fulfillment_channel_code", "")}};
          if (entry.contains("quantity")) out["quantity"] = entry["quantity"];
          availability.push_back(out);
        }
      }
      item["fulfillmentAvailability"] = availability;
    } else if (part == "issues" || part == "offers" || part == "procurement") {
      item[part] = Json::array();
    }
  }
  return item;
}

HttpAnswer FakeAmazon::GetItem(const std::string& sku,
                               const std::map<std::string, std::string>& query) {
  const std::string marketplaces =
      amazon_fake::CheckMarketplaces(query, options_.marketplace_ids, true);
  if (!marketplaces.empty()) return InvalidInput(marketplaces);
  const std::string included = Param(query, "includedData");
  for (const std::string& part : Csv(included)) {
    if (kItemIncludedData.count(part) == 0) return InvalidInput("includedData: \"" + part + "\"");
  }
  const auto it = listings_.find(sku);
  if (it == listings_.end()) {
    return Errors(404, "NOT_FOUND",
                  "SKU '" + sku + "' not found in marketplace " + options_.marketplace_ids[0]);
  }
  return HttpAnswer::Json(200, ItemJson(sku, it->second, included).dump());
}

HttpAnswer FakeAmazon::SearchItems(const std::map<std::string, std::string>& query) {
  const std::string marketplaces =
      amazon_fake::CheckMarketplaces(query, options_.marketplace_ids, true);
  if (!marketplaces.empty()) return InvalidInput(marketplaces);
  const std::string included = Param(query, "includedData");
  for (const std::string& part : Csv(included)) {
    if (kItemIncludedData.count(part) == 0) return InvalidInput("includedData: \"" + part + "\"");
  }
  const std::string identifiers = Param(query, "identifiers");
  const std::string type = Param(query, "identifiersType");
  if (identifiers.empty() != type.empty()) {
    return InvalidInput("identifiers and identifiersType go together");
  }
  static const std::set<std::string> kTypes = {"ASIN", "EAN",    "FNSKU", "GTIN", "ISBN",
                                               "JAN",  "MINSAN", "SKU",   "UPC"};
  if (!type.empty() && kTypes.count(type) == 0)
    return InvalidInput("identifiersType: \"" + type + "\"");
  const std::vector<std::string> wanted = Csv(identifiers);
  if (wanted.size() > 20)
    return InvalidInput("identifiers: at most 20, got " + std::to_string(wanted.size()));
  int64_t page_size = 10;
  if (!Param(query, "pageSize").empty()) {
    page_size = std::atoll(Param(query, "pageSize").c_str());
    if (page_size < 1 || page_size > 20) return InvalidInput("pageSize must be 1..20");
  }
  std::vector<std::string> skus;
  if (type.empty()) {
    for (const auto& [sku, listing] : listings_) skus.push_back(sku);
  } else if (type == "SKU") {
    for (const std::string& sku : wanted) {
      if (listings_.count(sku) != 0 && std::find(skus.begin(), skus.end(), sku) == skus.end()) {
        skus.push_back(sku);
      }
    }
  }  // other identifier types: this fake has no catalog, so nothing matches
  size_t offset = 0;
  const std::string token = Param(query, "pageToken");
  if (!token.empty()) {
    if (token.rfind("page-", 0) != 0) return InvalidInput("pageToken is invalid");
    offset = static_cast<size_t>(std::atoll(token.c_str() + 5));
  }
  Json items = Json::array();
  for (size_t i = offset; i < skus.size() && i < offset + static_cast<size_t>(page_size); ++i) {
    items.push_back(ItemJson(skus[i], listings_.at(skus[i]), included));
  }
  Json answer = {{"numberOfResults", skus.size()}, {"items", items}};
  if (offset + static_cast<size_t>(page_size) < skus.size()) {
    answer["pagination"] = {{"nextToken", "page-" + std::to_string(offset + page_size)}};
  }
  return HttpAnswer::Json(200, answer.dump());
}

}  // namespace stockd::fakes
