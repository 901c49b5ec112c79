// FakeEbay's Inventory API: inventory items and offers, bulkUpdatePriceQuantity with the
// daily revision cap, getOffers and getInventoryItem.
#include <algorithm>
#include <set>

#include "tests/fakes/ebay/ebay_answers.h"
#include "tests/fakes/ebay/fake_ebay.h"

namespace stockd::fakes {
namespace {

using ebay_answers::CannotSerialize;
using ebay_answers::ErrorAnswer;
using ebay_answers::InventoryError;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr size_t kMaxRequests = 25;
constexpr size_t kMaxSku = 50;
constexpr int64_t kDayMs = 86'400'000;

HttpAnswer InvalidValue(const std::string& field, const std::string& info) {
  return ErrorAnswer(400, InventoryError(25709, "Invalid value for " + field + ". " + info,
                                         {{"fieldName", field}}));
}

bool IsCount(const Json& v) { return v.is_number_integer(); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// One element of "requests", checked for eBay's types and bounds.
struct Element {
  std::string sku;
  bool has_quantity = false;
  int64_t quantity = 0;
  std::vector<std::pair<std::string, int64_t>> offers;  // offerId, availableQuantity (-1: none)
};

}  // namespace

// ---------------------------------------------------------------- test methods

void FakeEbay::AddListing(const std::string& sku, const std::string& offer_id, int64_t quantity,
                          const std::string& marketplace_id, bool published) {
  std::lock_guard<std::mutex> lock(mu_);
  Item& item = items_[sku];
  item.quantity = quantity;
  if (std::find(item.offer_ids.begin(), item.offer_ids.end(), offer_id) == item.offer_ids.end()) {
    item.offer_ids.push_back(offer_id);
  }
  Offer& offer = offers_[offer_id];
  offer.offer_id = offer_id;
  offer.sku = sku;
  offer.marketplace_id = marketplace_id;
  offer.published = published;
  offer.available = quantity;
  offer.listing_id = published
                         ? "1" + std::string(11 - std::min<size_t>(11, offer_id.size()), '0') +
                               offer_id.substr(0, 11)
                         : "";
}

void FakeEbay::RemoveListing(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = items_.find(sku);
  if (it == items_.end()) return;
  for (const std::string& id : it->second.offer_ids) offers_.erase(id);
  items_.erase(it);
}

int64_t FakeEbay::Quantity(const std::string& sku) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = items_.find(sku);
  return it == items_.end() ? -1 : it->second.quantity;
}

int64_t FakeEbay::OfferQuantity(const std::string& offer_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = offers_.find(offer_id);
  return it == offers_.end() ? -1 : it->second.available;
}

void FakeEbay::SetQuantity(const std::string& sku, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = items_.find(sku);
  if (it == items_.end()) return;
  it->second.quantity = quantity;
  for (const std::string& id : it->second.offer_ids) offers_[id].available = quantity;
}

int64_t FakeEbay::RevisionsToday(const std::string& offer_id) const {
  const int64_t day = NowMs() / kDayMs;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = offers_.find(offer_id);
  return it == offers_.end() || it->second.revision_day != day ? 0 : it->second.revisions_today;
}

int64_t FakeEbay::Revisions(const std::string& offer_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = offers_.find(offer_id);
  return it == offers_.end() ? 0 : it->second.revisions;
}

void FakeEbay::InjectItemError(const std::string& sku, int64_t error_id) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_[sku] = error_id;
}

// ---------------------------------------------------------------- bulkUpdatePriceQuantity

HttpAnswer FakeEbay::BulkUpdate(const HttpRequest& request) {
  if (Lower(request.Header("content-type")).rfind("application/json", 0) != 0) {
    return ErrorAnswer(
        415, ebay_answers::Error(2004, "ACCESS", "REQUEST", "Invalid request",
                                 "The request has errors. For help, see the documentation for "
                                 "this API.",
                                 {{"reason", "Unsupported Media Type: use application/json"}}));
  }
  const Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return CannotSerialize("body");
  const auto list = body.find("requests");
  if (list != body.end() && !list->is_array() && !list->is_null()) {
    return CannotSerialize("requests");
  }
  if (list == body.end() || list->is_null() || list->empty() || list->size() > kMaxRequests) {
    return InvalidValue("requests", "Provide 1 to 25 requests (inventory items) per call.");
  }
  std::vector<Element> elements;
  std::set<std::string> offer_ids;
  for (const Json& r : *list) {
    if (!r.is_object()) return CannotSerialize("requests");
    Element e;
    if (const auto sku = r.find("sku"); sku != r.end() && !sku->is_null()) {
      if (!sku->is_string()) return CannotSerialize("sku");
      e.sku = sku->get<std::string>();
    }
    if (const auto ship = r.find("shipToLocationAvailability");
        ship != r.end() && !ship->is_null()) {
      if (!ship->is_object()) return CannotSerialize("shipToLocationAvailability");
      const auto q = ship->find("quantity");
      if (q != ship->end() && !q->is_null()) {
        if (!IsCount(*q)) return CannotSerialize("quantity");
        if (q->get<int64_t>() < 0) {
          return InvalidValue("shipToLocationAvailability.quantity",
                              "The quantity must be 0 or more.");
        }
        e.has_quantity = true;
        e.quantity = q->get<int64_t>();
      }
      if (e.sku.empty())
        return InvalidValue("sku", "A SKU is required with shipToLocationAvailability.");
    }
    if (const auto offers = r.find("offers"); offers != r.end() && !offers->is_null()) {
      if (!offers->is_array()) return CannotSerialize("offers");
      for (const Json& o : *offers) {
        if (!o.is_object()) return CannotSerialize("offers");
        const auto id = o.find("offerId");
        if (id == o.end() || id->is_null())
          return InvalidValue("offerId", "An offerId is required.");
        if (!id->is_string()) return CannotSerialize("offerId");
        int64_t available = -1;
        if (const auto a = o.find("availableQuantity"); a != o.end() && !a->is_null()) {
          if (!IsCount(*a)) return CannotSerialize("availableQuantity");
          if (a->get<int64_t>() < 0) {
            return InvalidValue("availableQuantity", "The quantity must be 0 or more.");
          }
          available = a->get<int64_t>();
        }
        if (available < 0 && o.find("price") == o.end()) {
          return InvalidValue("offers", "availableQuantity or price is required.");
        }
        if (!offer_ids.insert(id->get<std::string>()).second) {
          return InvalidValue("offerId", "Duplicate offerId " + id->get<std::string>() + ".");
        }
        e.offers.emplace_back(id->get<std::string>(), available);
      }
    }
    if (!e.has_quantity && e.offers.empty()) {
      return InvalidValue("requests", "shipToLocationAvailability or offers is required.");
    }
    elements.push_back(std::move(e));
  }

  const int64_t now = NowMs();
  const int64_t day = now / kDayMs;
  OrderedJson responses = OrderedJson::array();
  bool all_ok = true;
  std::vector<std::string> logs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Element& e : elements) {
      std::optional<OrderedJson> error;
      int status = 400;
      if (auto injected = injected_.find(e.sku); !e.sku.empty() && injected != injected_.end()) {
        const int64_t id = injected->second;
        injected_.erase(injected);
        status = id == 25001 || id == 25025 ? 500 : 400;
        error = InventoryError(id, id == 25001   ? "A system error has occurred."
                                   : id == 25025 ? "Concurrent access of Inventory or "
                                                   "InventoryItemGroup. Please try again later"
                                   : id == 25709 ? "Invalid value for availableQuantity."
                                                 : "Any User error.");
      } else if (e.sku.size() > kMaxSku) {
        error = InventoryError(25707,
                               "This is an invalid value for a SKU. Only alphanumeric "
                               "characters can be used for SKUs, and their length must "
                               "not exceed 50 characters.");
      } else if (!e.sku.empty() && items_.count(e.sku) == 0) {
        error = InventoryError(25702,
                               e.sku +
                                   " could not be found or is not available in the "
                                   "system.",
                               {{"skuValue", e.sku}});
        status = 404;
      }
      for (size_t i = 0; !error && i < e.offers.size(); ++i) {
        const auto offer = offers_.find(e.offers[i].first);
        if (offer == offers_.end()) {
          error = InventoryError(25713, "This Offer is not available : " + e.offers[i].first + ".");
          status = 404;
        } else if (!e.sku.empty() && offer->second.sku != e.sku) {
          error = InventoryError(25754,
                                 "One or more provided offerId(s) are invalid. All "
                                 "offerId(s) in the request should belong to an "
                                 "inventoryItem or inventoryItemGroup for a specific "
                                 "marketplaceId");
        } else if (offer->second.revision_day == day &&
                   offer->second.revisions_today >= options_.daily_revision_limit) {
          error = InventoryError(
              kEbayRevisionCapErrorId,
              "Cannot revise listing. This listing has been revised " +
                  std::to_string(options_.daily_revision_limit) +
                  " times today, the maximum number of revisions in one calendar day.");
        }
      }
      if (!error) {
        if (e.has_quantity) {
          Item& item = items_[e.sku];
          logs.push_back("set " + e.sku + "=" + std::to_string(e.quantity) + " (was " +
                         std::to_string(item.quantity) + ")");
          item.quantity = e.quantity;
        }
        for (const auto& [id, available] : e.offers) {
          Offer& offer = offers_[id];
          if (available >= 0) offer.available = available;
          if (offer.revision_day != day) {
            offer.revision_day = day;
            offer.revisions_today = 0;
          }
          ++offer.revisions_today;
          ++offer.revisions;
        }
        status = 200;
      }
      all_ok = all_ok && !error;
      const auto entry = [&](const std::string& offer_id) {
        OrderedJson r = {{"statusCode", status}, {"sku", e.sku}};
        if (!offer_id.empty()) r["offerId"] = offer_id;
        if (error) r["errors"] = OrderedJson::array({*error});
        r["warnings"] = OrderedJson::array();
        return r;
      };
      if (e.offers.empty()) responses.push_back(entry(""));
      for (const auto& o : e.offers) responses.push_back(entry(o.first));
    }
  }
  for (const std::string& line : logs) Log(line);
  const OrderedJson answer = {{"responses", std::move(responses)}};
  return HttpAnswer::Json(all_ok ? 200 : 207, answer.dump());
}

// ---------------------------------------------------------------- getOffers, getInventoryItem

HttpAnswer FakeEbay::GetOffers(const HttpRequest& request) {
  const std::optional<std::map<std::string, std::string>> query = ParseQuery(request.query);
  if (!query) return InvalidValue("sku", "The query is not URL-encoded.");
  const auto get = [&query](const char* name) {
    const auto it = query->find(name);
    return it == query->end() ? std::string() : it->second;
  };
  const std::string sku = get("sku");
  if (sku.empty() || sku.size() > kMaxSku) return InvalidValue("sku", "");
  const std::string marketplace = get("marketplace_id");
  for (const char* name : {"limit", "offset"}) {
    const std::string v = get(name);
    if (!v.empty() && (v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9 ||
                       (std::string(name) == "limit" && std::stoll(v) == 0))) {
      return ErrorAnswer(400, InventoryError(25706,
                                             "You have provided invalid pagination "
                                             "values. " +
                                                 std::string(name) + "."));
    }
  }
  OrderedJson offers = OrderedJson::array();
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto item = items_.find(sku);
    if (item != items_.end()) {
      for (const std::string& id : item->second.offer_ids) {
        const Offer& o = offers_.at(id);
        if (!marketplace.empty() && o.marketplace_id != marketplace) continue;
        OrderedJson offer = {{"offerId", o.offer_id},
                             {"sku", o.sku},
                             {"marketplaceId", o.marketplace_id},
                             {"format", "FIXED_PRICE"},
                             {"availableQuantity", o.available},
                             {"status", o.published ? "PUBLISHED" : "UNPUBLISHED"}};
        if (o.published)
          offer["listing"] = {{"listingId", o.listing_id}, {"listingStatus", "ACTIVE"}};
        offers.push_back(std::move(offer));
      }
    }
  }
  if (offers.empty()) {
    return ErrorAnswer(404, InventoryError(25713, "This Offer is not available : ."));
  }
  const size_t size = offers.size();
  const OrderedJson answer = {{"href", base_url() + request.target},
                              {"limit", 100},
                              {"offers", std::move(offers)},
                              {"size", size},
                              {"total", size}};
  return HttpAnswer::Json(200, answer.dump());
}

HttpAnswer FakeEbay::GetInventoryItem(const HttpRequest& request) {
  const std::optional<std::string> sku =
      UrlDecode(request.path.substr(std::string("/sell/inventory/v1/inventory_item/").size()));
  const auto not_found = [] {
    return ErrorAnswer(404, InventoryError(25710,
                                           "We didn't find the resource/entity you are "
                                           "requesting. Please verify the request"));
  };
  if (!sku || sku->empty() || sku->size() > kMaxSku) return not_found();
  std::lock_guard<std::mutex> lock(mu_);
  const auto item = items_.find(*sku);
  if (item == items_.end()) return not_found();
  const OrderedJson answer = {
      {"availability", {{"shipToLocationAvailability", {{"quantity", item->second.quantity}}}}},
      {"condition", "NEW"},
      {"product", {{"title", "Item " + *sku}}},
      {"sku", *sku},
      {"locale", "en_US"}};
  return HttpAnswer::Json(200, answer.dump());
}

}  // namespace stockd::fakes
