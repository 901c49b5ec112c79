// inventorySetQuantities as the Shopify fake runs it (fake_shopify.h): the @idempotent key,
// every quantity checked, all applied or none.
#include <set>

#include "tests/fakes/shopify/fake_shopify_internal.h"

namespace stockd::fakes {
namespace {

using shopify_schema::Error;
using shopify_schema::Gid;
using shopify_schema::ParseGid;

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

Json UserError(const std::string& code, const Json& field, const std::string& message) {
  return {{"__typename", "InventorySetQuantitiesUserError"},
          {"code", code.empty() ? Json(nullptr) : Json(code)},
          {"field", field},
          {"message", message}};
}

Json QuantityField(size_t i, const char* name) {
  Json f = Json::array({"input", "quantities", std::to_string(i)});
  if (name != nullptr) f.push_back(name);
  return f;
}

Json Payload(const Json& group, const Json& user_errors) {
  return {{"__typename", "InventorySetQuantitiesPayload"},
          {"inventoryAdjustmentGroup", group},
          {"userErrors", user_errors}};
}

// The userErrors of `input` against the state (empty: it can be applied).
Json Check(const ShopState& s, const Json& input) {
  Json errors = Json::array();
  const std::string name = input.value("name", "");
  if (name != "available" && name != "on_hand") {
    errors.push_back(UserError("INVALID_NAME", Json::array({"input", "name"}),
                               "The quantity name must be either 'available' or 'on_hand'."));
  }
  if (Reasons().count(input.value("reason", "")) == 0) {
    errors.push_back(UserError("INVALID_REASON", Json::array({"input", "reason"}),
                               "The specified reason is invalid."));
  }
  const auto uri = input.find("referenceDocumentUri");
  if (uri != input.end() && uri->is_string()) {
    const std::string u = uri->get<std::string>();
    const size_t scheme = u.find("://");
    if (scheme == std::string::npos || scheme == 0 || scheme + 3 >= u.size()) {
      errors.push_back(UserError("INVALID_REFERENCE_DOCUMENT",
                                 Json::array({"input", "referenceDocumentUri"}),
                                 "The specified reference document is invalid."));
    }
  }
  std::set<std::pair<int64_t, int64_t>> pairs;
  const Json& quantities = input["quantities"];
  for (size_t i = 0; i < quantities.size(); ++i) {
    const Json& q = quantities[i];
    std::string type;
    int64_t item_id = 0, location_id = 0;
    const bool item_ok = ParseGid(q["inventoryItemId"].get<std::string>(), &type, &item_id) &&
                         type == "InventoryItem" && s.FindItem(item_id) != nullptr;
    const bool location_ok = ParseGid(q["locationId"].get<std::string>(), &type, &location_id) &&
                             type == "Location" && s.locations.count(location_id) != 0;
    const int64_t quantity = q["quantity"].get<int64_t>();
    if (!q.contains("changeFromQuantity")) {
      errors.push_back(UserError("", QuantityField(i, "changeFromQuantity"),
                                 "changeFromQuantity is required: pass the quantity you expect, "
                                 "or null to skip the compare-and-swap check."));
    }
    if (!item_ok) {
      errors.push_back(UserError("INVALID_INVENTORY_ITEM", QuantityField(i, "inventoryItemId"),
                                 "The specified inventory item could not be found."));
    }
    if (!location_ok) {
      errors.push_back(UserError("INVALID_LOCATION", QuantityField(i, "locationId"),
                                 "The specified location could not be found."));
    }
    if (item_ok && location_ok && s.FindItem(item_id)->levels.count(location_id) == 0) {
      errors.push_back(UserError("ITEM_NOT_STOCKED_AT_LOCATION", QuantityField(i, "locationId"),
                                 "The specified inventory item is not stocked at the location."));
    }
    if (quantity < 0) {
      errors.push_back(UserError("INVALID_QUANTITY_NEGATIVE", QuantityField(i, "quantity"),
                                 "The quantity can't be negative."));
    } else if (quantity > 1'000'000'000) {
      errors.push_back(UserError("INVALID_QUANTITY_TOO_HIGH", QuantityField(i, "quantity"),
                                 "The total quantity can't be higher than 1,000,000,000."));
    }
    if (!pairs.emplace(item_id, location_id).second) {
      errors.push_back(UserError("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                                 QuantityField(i, nullptr),
                                 "The combination of inventoryItemId and locationId must be "
                                 "unique."));
    }
    const auto change_from = q.find("changeFromQuantity");
    if (item_ok && location_ok && change_from != q.end() && !change_from->is_null()) {
      const auto level = s.FindItem(item_id)->levels.find(location_id);
      if (level != s.FindItem(item_id)->levels.end()) {
        const int64_t current = name == "on_hand"
                                    ? level->second.available + level->second.committed
                                    : level->second.available;
        if (change_from->get<int64_t>() != current) {
          errors.push_back(UserError("CHANGE_FROM_QUANTITY_STALE",
                                     QuantityField(i, "changeFromQuantity"),
                                     "The changeFromQuantity value does not match persisted "
                                     "value."));
        }
      }
    }
  }
  return errors;
}

}  // namespace

Json SetQuantities(ShopState& s, const Json& input, const std::string& key,
                   std::vector<Json>* errors, const graphql::Selection& field) {
  if (key.empty()) {
    // From 2026-04 the directive is required at run time (not in the schema).
    errors->push_back(
        Error("The @idempotent directive is required for inventorySetQuantities "
              "(API version 2026-04 and later).",
              field.line, field.column, Json::array({field.key()}), {{"code", "BAD_REQUEST"}}));
    return nullptr;
  }
  const std::string fingerprint = input.dump();
  if (const auto seen = s.idempotency.find(key); seen != s.idempotency.end()) {
    if (seen->second.fingerprint != fingerprint) {
      return Payload(
          nullptr, Json::array({UserError("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", nullptr,
                                          "The same idempotency key cannot be used with different "
                                          "operation parameters.")}));
    }
    if (seen->second.succeeded) return seen->second.payload;  // the first answer, again
    return Payload(
        nullptr,
        Json::array({UserError("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", nullptr,
                               "A previous request with this idempotency key failed. Retry "
                               "with a new idempotency key.")}));
  }

  Json user_errors = Check(s, input);
  if (s.inject.has_value()) {
    user_errors.push_back(UserError(
        s.inject->code,
        s.inject->index < 0 ? Json(nullptr)
                            : QuantityField(static_cast<size_t>(s.inject->index), nullptr),
        s.inject->message));
    s.inject.reset();
  }
  if (!user_errors.empty()) {
    const Json payload = Payload(nullptr, user_errors);
    s.idempotency[key] = {fingerprint, false, payload};
    return payload;
  }

  const std::string name = input["name"];
  const int64_t now = s.NowMs();
  Json changes = Json::array();
  for (const Json& q : input["quantities"]) {
    std::string type;
    int64_t item_id = 0, location_id = 0;
    ParseGid(q["inventoryItemId"].get<std::string>(), &type, &item_id);
    ParseGid(q["locationId"].get<std::string>(), &type, &location_id);
    ShopItem& item = *s.FindItem(item_id);
    ShopLevel& level = item.levels.at(location_id);
    const int64_t quantity = q["quantity"].get<int64_t>();
    const int64_t before_available = level.available;
    const int64_t before_on_hand = level.available + level.committed;
    level.available = name == "on_hand" ? quantity - level.committed : quantity;
    level.updated_ms = now;
    item.updated_ms = now;
    const Json item_json = {
        {"__typename", "InventoryItem"}, {"id", Gid("InventoryItem", item_id)}, {"sku", item.sku}};
    const Json location_json = {{"__typename", "Location"},
                                {"id", Gid("Location", location_id)},
                                {"name", s.locations.at(location_id)}};
    for (const auto& [changed, before, after] :
         {std::make_tuple("available", before_available, level.available),
          std::make_tuple("on_hand", before_on_hand, level.available + level.committed)}) {
      if (before == after) continue;
      changes.push_back({{"__typename", "InventoryChange"},
                         {"name", changed},
                         {"delta", after - before},
                         {"quantityAfterChange", after},
                         {"item", item_json},
                         {"location", location_json}});
    }
    if (s.log) {
      s.log("shopify: set " + (item.sku.empty() ? Gid("InventoryItem", item_id) : item.sku) + "=" +
            std::to_string(quantity) + " (was " +
            std::to_string(name == "on_hand" ? before_on_hand : before_available) + ")");
    }
  }
  const Json group = {
      {"__typename", "InventoryAdjustmentGroup"},
      {"id", Gid("InventoryAdjustmentGroup", s.next_adjustment_group++)},
      {"createdAt", IsoTime(now)},
      {"reason", input["reason"]},
      {"referenceDocumentUri",
       input.contains("referenceDocumentUri") ? input["referenceDocumentUri"] : Json(nullptr)},
      {"changes", changes}};
  const Json payload = Payload(group, Json::array());
  s.idempotency[key] = {fingerprint, true, payload};
  return payload;
}

}  // namespace stockd::fakes
