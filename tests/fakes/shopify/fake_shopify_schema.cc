// The schema tables and input coercion of the Shopify fake (fake_shopify_schema.h).
// Validation and cost: fake_shopify_validate.cc.
#include "tests/fakes/shopify/fake_shopify_schema.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "tests/fakes/shopify/fake_shopify_internal.h"

namespace stockd::fakes::shopify_schema {
namespace {

using Fields = std::map<std::string, FieldDef>;

const std::vector<std::pair<std::string, std::string>> kPageArgs = {{"first", "Int"},
                                                                    {"after", "String"},
                                                                    {"last", "Int"},
                                                                    {"before", "String"},
                                                                    {"reverse", "Boolean"}};

std::vector<std::pair<std::string, std::string>> PageArgs(
    std::vector<std::pair<std::string, std::string>> more) {
  std::vector<std::pair<std::string, std::string>> out = kPageArgs;
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

Fields Connection(const std::string& node) {
  return {{"edges", {"[" + node + "Edge!]!", {}}},
          {"nodes", {"[" + node + "!]!", {}}},
          {"pageInfo", {"PageInfo!", {}}}};
}
Fields Edge(const std::string& node) {
  return {{"cursor", {"String!", {}}}, {"node", {node + "!", {}}}};
}

const std::map<std::string, Fields>& Objects() {
  static const auto* const kObjects = new std::map<std::string, Fields>{
      {"QueryRoot",
       {{"inventoryItems", {"InventoryItemConnection!", PageArgs({{"query", "String"}})}},
        {"inventoryItem", {"InventoryItem", {{"id", "ID!"}}}},
        {"nodes", {"[Node]!", {{"ids", "[ID!]!"}}}},
        {"node", {"Node", {{"id", "ID!"}}}},
        {"orders",
         {"OrderConnection!",
          PageArgs({{"query", "String"}, {"sortKey", "OrderSortKeys"}, {"savedSearchId", "ID"}})}},
        {"order", {"Order", {{"id", "ID!"}}}},
        {"location", {"Location", {{"id", "ID"}}}},
        {"shop", {"Shop!", {}}}}},
      {"Mutation",
       {{"inventorySetQuantities",
         {"InventorySetQuantitiesPayload", {{"input", "InventorySetQuantitiesInput!"}}}}}},
      {"Shop",
       {{"id", {"ID!", {}}}, {"name", {"String!", {}}}, {"myshopifyDomain", {"String!", {}}}}},
      {"InventorySetQuantitiesPayload",
       {{"inventoryAdjustmentGroup", {"InventoryAdjustmentGroup", {}}},
        {"userErrors", {"[InventorySetQuantitiesUserError!]!", {}}}}},
      {"InventoryAdjustmentGroup",
       {{"id", {"ID!", {}}},
        {"createdAt", {"DateTime!", {}}},
        {"reason", {"String!", {}}},
        {"referenceDocumentUri", {"String", {}}},
        {"changes",
         {"[InventoryChange!]!",
          {{"inventoryItemIds", "[ID!]"},
           {"locationIds", "[ID!]"},
           {"quantityNames", "[String!]"}}}}}},
      {"InventoryChange",
       {{"name", {"String!", {}}},
        {"delta", {"Int!", {}}},
        {"quantityAfterChange", {"Int", {}}},
        {"item", {"InventoryItem", {}}},
        {"location", {"Location", {}}}}},
      {"InventorySetQuantitiesUserError",
       {{"code", {"InventorySetQuantitiesUserErrorCode", {}}},
        {"field", {"[String!]", {}}},
        {"message", {"String!", {}}}}},
      {"InventoryItemConnection", Connection("InventoryItem")},
      {"InventoryItemEdge", Edge("InventoryItem")},
      {"InventoryItem",
       {{"id", {"ID!", {}}},
        {"legacyResourceId", {"UnsignedInt64!", {}}},
        {"sku", {"String", {}}},
        {"tracked", {"Boolean!", {}}},
        {"createdAt", {"DateTime!", {}}},
        {"updatedAt", {"DateTime!", {}}},
        {"variant", {"ProductVariant!", {}}},
        {"inventoryLevel", {"InventoryLevel", {{"locationId", "ID!"}}}}}},
      {"InventoryLevel",
       {{"id", {"ID!", {}}},
        {"quantities", {"[InventoryQuantity!]!", {{"names", "[String!]!"}}}},
        {"location", {"Location!", {}}},
        {"item", {"InventoryItem!", {}}}}},
      {"InventoryQuantity",
       {{"id", {"ID!", {}}},
        {"name", {"String!", {}}},
        {"quantity", {"Int!", {}}},
        {"updatedAt", {"DateTime", {}}}}},
      {"PageInfo",
       {{"hasNextPage", {"Boolean!", {}}},
        {"hasPreviousPage", {"Boolean!", {}}},
        {"startCursor", {"String", {}}},
        {"endCursor", {"String", {}}}}},
      {"OrderConnection", Connection("Order")},
      {"OrderEdge", Edge("Order")},
      {"Order",
       {{"id", {"ID!", {}}},
        {"legacyResourceId", {"UnsignedInt64!", {}}},
        {"name", {"String!", {}}},
        {"createdAt", {"DateTime!", {}}},
        {"updatedAt", {"DateTime!", {}}},
        {"cancelledAt", {"DateTime", {}}},
        {"cancelReason", {"OrderCancelReason", {}}},
        {"displayFinancialStatus", {"OrderDisplayFinancialStatus", {}}},
        {"displayFulfillmentStatus", {"OrderDisplayFulfillmentStatus!", {}}},
        {"lineItems", {"LineItemConnection!", PageArgs({})}}}},
      {"LineItemConnection", Connection("LineItem")},
      {"LineItemEdge", Edge("LineItem")},
      {"LineItem",
       {{"id", {"ID!", {}}},
        {"sku", {"String", {}}},
        {"name", {"String!", {}}},
        {"quantity", {"Int!", {}}},
        {"currentQuantity", {"Int!", {}}},
        {"unfulfilledQuantity", {"Int!", {}}},
        {"variant", {"ProductVariant", {}}}}},
      {"ProductVariant",
       {{"id", {"ID!", {}}},
        {"legacyResourceId", {"UnsignedInt64!", {}}},
        {"sku", {"String", {}}},
        {"inventoryItem", {"InventoryItem!", {}}}}},
      {"Location",
       {{"id", {"ID!", {}}},
        {"legacyResourceId", {"UnsignedInt64!", {}}},
        {"name", {"String!", {}}}}},
      {"Node", {{"id", {"ID!", {}}}}},
  };
  return *kObjects;
}

const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& Inputs() {
  static const auto* const kInputs =
      new std::map<std::string, std::vector<std::pair<std::string, std::string>>>{
          {"InventorySetQuantitiesInput",
           {{"name", "String!"},
            {"reason", "String!"},
            {"referenceDocumentUri", "String"},
            {"quantities", "[InventoryQuantityInput!]!"}}},
          {"InventoryQuantityInput",
           {{"inventoryItemId", "ID!"},
            {"locationId", "ID!"},
            {"quantity", "Int!"},
            {"changeFromQuantity", "Int"}}},
      };
  return *kInputs;
}

const std::map<std::string, std::set<std::string>>& Enums() {
  static const auto* const kEnums = new std::map<std::string, std::set<std::string>>{
      {"OrderSortKeys",
       {"CREATED_AT", "CURRENT_TOTAL_PRICE", "CUSTOMER_NAME", "DESTINATION", "FINANCIAL_STATUS",
        "FULFILLMENT_STATUS", "ID", "ORDER_NUMBER", "PO_NUMBER", "PROCESSED_AT", "RELEVANCE",
        "TOTAL_ITEMS_QUANTITY", "TOTAL_PRICE", "UPDATED_AT"}},
      {"OrderDisplayFinancialStatus",
       {"AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING",
        "REFUNDED", "VOIDED"}},
      {"OrderDisplayFulfillmentStatus",
       {"FULFILLED", "IN_PROGRESS", "ON_HOLD", "OPEN", "PARTIALLY_FULFILLED", "PENDING_FULFILLMENT",
        "REQUEST_DECLINED", "RESTOCKED", "SCHEDULED", "UNFULFILLED"}},
      {"OrderCancelReason", {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}},
      {"InventorySetQuantitiesUserErrorCode",
       {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_REQUIRED", "COMPARE_QUANTITY_STALE",
        "IDEMPOTENCY_CONCURRENT_REQUEST", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", "INVALID_INVENTORY_ITEM", "INVALID_LOCATION",
        "INVALID_NAME", "INVALID_QUANTITY_NEGATIVE", "INVALID_QUANTITY_TOO_HIGH",
        "INVALID_QUANTITY_TOO_LOW", "INVALID_REASON", "INVALID_REFERENCE_DOCUMENT",
        "ITEM_NOT_STOCKED_AT_LOCATION", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        "NON_MUTABLE_INVENTORY_ITEM"}},
  };
  return *kEnums;
}

const std::set<std::string>& Scalars() {
  static const auto* const kScalars = new std::set<std::string>{
      "ID", "String", "Int", "Float", "Boolean", "DateTime", "URL", "UnsignedInt64"};
  return *kScalars;
}

std::string Shown(const Json& v) { return v.dump(); }

}  // namespace

TypeRef ParseType(const std::string& text) {
  TypeRef t;
  std::string s = text;
  if (!s.empty() && s.back() == '!') {
    t.non_null = true;
    s.pop_back();
  }
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
    t.list = true;
    s = s.substr(1, s.size() - 2);
    if (!s.empty() && s.back() == '!') {
      t.item_non_null = true;
      s.pop_back();
    }
  }
  t.base = s;
  return t;
}

std::string ToString(const TypeRef& t) {
  std::string s = t.base;
  if (t.list) s = "[" + s + (t.item_non_null ? "!" : "") + "]";
  return s + (t.non_null ? "!" : "");
}

bool IsLeafType(const std::string& base) {
  return Scalars().count(base) != 0 || Enums().count(base) != 0;
}
bool IsConnection(const std::string& base) {
  return base.size() > 10 && base.compare(base.size() - 10, 10, "Connection") == 0;
}
bool IsInputType(const std::string& base) { return IsLeafType(base) || Inputs().count(base) != 0; }
bool IsObjectType(const std::string& base) { return Objects().count(base) != 0; }

const FieldDef* FindField(const std::string& object_type, const std::string& field) {
  const auto type = Objects().find(object_type);
  if (type == Objects().end()) return nullptr;
  const auto it = type->second.find(field);
  return it == type->second.end() ? nullptr : &it->second;
}

std::string FieldType(const std::string& object_type, const std::string& field, TypeRef* type) {
  const FieldDef* def = FindField(object_type, field);
  if (def == nullptr) return "";
  const TypeRef t = ParseType(def->type);
  if (type != nullptr) *type = t;
  return t.base;
}

bool Implements(const std::string& object_type, const std::string& abstract) {
  static const std::set<std::string> kNodes = {
      "InventoryItem", "InventoryLevel", "Order", "LineItem", "ProductVariant", "Location", "Shop"};
  return object_type == abstract || (abstract == "Node" && kNodes.count(object_type) != 0);
}

bool ParseGid(const std::string& gid, std::string* type, int64_t* number) {
  constexpr std::string_view kPrefix = "gid://shopify/";
  if (gid.rfind(kPrefix, 0) != 0) return false;
  const size_t slash = gid.find('/', kPrefix.size());
  if (slash == std::string::npos || slash == kPrefix.size()) return false;
  const std::string t = gid.substr(kPrefix.size(), slash - kPrefix.size());
  std::string n = gid.substr(slash + 1);
  if (const size_t q = n.find('?'); q != std::string::npos) n.resize(q);
  if (n.empty() || n.size() > 18 ||
      !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::all_of(t.begin(), t.end(),
                   [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    return false;
  }
  *type = t;
  *number = std::stoll(n);
  return true;
}

std::string Gid(const std::string& type, int64_t number) {
  return "gid://shopify/" + type + "/" + std::to_string(number);
}

void Coerce(const TypeRef& t, const Json& value, const Json& path, std::vector<Json>* problems) {
  const auto problem = [&](const Json& at, const std::string& explanation) {
    problems->push_back({{"path", at}, {"explanation", explanation}});
  };
  if (value.is_null()) {
    if (t.non_null) problem(path, "Expected value to not be null");
    return;
  }
  if (t.list) {
    TypeRef item{t.base, false, t.item_non_null, false};
    if (!value.is_array()) {
      Coerce(item, value, path, problems);  // a single value is a list of one
      return;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      Json at = path;
      at.push_back(i);
      Coerce(item, value[i], at, problems);
    }
    return;
  }
  const std::string& b = t.base;
  if (b == "Int") {
    if (!value.is_number_integer() || value.get<int64_t>() > INT_MAX ||
        value.get<int64_t>() < INT_MIN) {
      problem(path, "Could not coerce value " + Shown(value) + " to Int");
    }
  } else if (b == "Float") {
    if (!value.is_number()) problem(path, "Could not coerce value " + Shown(value) + " to Float");
  } else if (b == "Boolean") {
    if (!value.is_boolean()) {
      problem(path, "Could not coerce value " + Shown(value) + " to Boolean");
    }
  } else if (b == "ID") {
    std::string type;
    int64_t number = 0;
    if (!value.is_string() && !value.is_number_integer()) {
      problem(path, "Could not coerce value " + Shown(value) + " to ID");
    } else if (!value.is_string() || !ParseGid(value.get<std::string>(), &type, &number)) {
      problem(path, "Invalid global id '" +
                        (value.is_string() ? value.get<std::string>() : value.dump()) + "'");
    }
  } else if (Scalars().count(b) != 0) {  // String, DateTime, URL, UnsignedInt64
    if (!value.is_string()) problem(path, "Could not coerce value " + Shown(value) + " to " + b);
  } else if (const auto e = Enums().find(b); e != Enums().end()) {
    if (!value.is_string() || e->second.count(value.get<std::string>()) == 0) {
      std::string list;
      for (const std::string& v : e->second) list += (list.empty() ? "" : ", ") + v;
      problem(path, "Expected " + Shown(value) + " to be one of: " + list);
    }
  } else if (const auto in = Inputs().find(b); in != Inputs().end()) {
    if (!value.is_object()) {
      problem(path, "Expected " + Shown(value) + " to be a key-value object.");
      return;
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      const bool known = std::any_of(in->second.begin(), in->second.end(),
                                     [&](const auto& f) { return f.first == it.key(); });
      if (!known) {
        Json at = path;
        at.push_back(it.key());
        problem(at, "Field is not defined on " + b);
      }
    }
    for (const auto& [name, type] : in->second) {
      Json at = path;
      at.push_back(name);
      const auto it = value.find(name);
      Coerce(ParseType(type), it == value.end() ? Json(nullptr) : *it, at, problems);
    }
  } else {
    problem(path, "Unknown type " + b);
  }
}

// The longest list inside `value` (for the 250-entry input limit): its size and path.
void LongestList(const Json& value, const Json& path, size_t* size, Json* at) {
  if (value.is_array()) {
    if (value.size() > *size) {
      *size = value.size();
      *at = path;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      Json p = path;
      p.push_back(i);
      LongestList(value[i], p, size, at);
    }
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Json p = path;
      p.push_back(it.key());
      LongestList(*it, p, size, at);
    }
  }
}

Json Error(const std::string& message, int line, int column, const Json& path,
           const Json& extensions) {
  Json e = {{"message", message}};
  if (line > 0) e["locations"] = Json::array({{{"line", line}, {"column", column}}});
  if (!path.is_null()) e["path"] = path;
  if (!extensions.is_null()) e["extensions"] = extensions;
  return e;
}

}  // namespace stockd::fakes::shopify_schema
