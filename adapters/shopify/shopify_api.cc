// The Shopify adapter's requests and their answers (shopify_api.h); the orders' answers
// are in shopify_orders_api.cc.
#include "shopify_api.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "shopify_json.h"

namespace stockd::shopify {

using json::Array;
using json::Find;
using json::Integer;
using json::Number;
using json::Object;
using json::ReadPageInfo;
using json::String;
using stockd::sdk::Error;

// ---------------------------------------------------------------- ids and keys

std::string ToGid(std::string_view type, std::string_view id_or_gid, const std::string& what) {
  const std::string prefix = "gid://shopify/" + std::string(type) + "/";
  std::string_view number = id_or_gid;
  if (id_or_gid.substr(0, prefix.size()) == prefix) number = id_or_gid.substr(prefix.size());
  const bool digits =
      !number.empty() && number.size() <= 19 &&
      std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      number != "0";
  if (!digits) {
    throw Error(what + ": \"" + std::string(id_or_gid) + "\" is not a Shopify " +
                std::string(type) + " id (N or " + prefix + "N)");
  }
  return prefix + std::string(number);
}

std::string GidNumber(std::string_view gid) {
  const size_t slash = gid.rfind('/');
  return std::string(slash == std::string_view::npos ? std::string_view() : gid.substr(slash + 1));
}

std::string NewIdempotencyKey() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    static thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (unsigned char& c : b) c = static_cast<unsigned char>(fallback());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

// ---------------------------------------------------------------- requests

std::string SetQuantitiesMutation(const std::string& key) {
  return "mutation SetQuantities($input: InventorySetQuantitiesInput!) {\n"
         "  inventorySetQuantities(input: $input) @idempotent(key: \"" +
         key +
         "\") {\n"
         "    inventoryAdjustmentGroup { id }\n"
         "    userErrors { code field message }\n"
         "  }\n"
         "}\n";
}

Json SetQuantitiesVariables(const std::string& name, const std::string& reason,
                            const std::string& location_gid,
                            const std::vector<QuantityToSet>& quantities) {
  Json list = Json::array();
  for (const QuantityToSet& q : quantities) {
    list.push_back(
        {{"inventoryItemId", q.inventory_item_gid},
         {"locationId", location_gid},
         {"quantity", q.quantity},
         // Required from 2026-04: null says "no compare" (the first sync).
         {"changeFromQuantity", q.change_from < 0 ? Json(nullptr) : Json(q.change_from)}});
  }
  return {{"input", {{"name", name}, {"reason", reason}, {"quantities", std::move(list)}}}};
}

const char kLookupQuery[] =
    "query Lookup($first: Int!, $after: String, $query: String!) {\n"
    "  inventoryItems(first: $first, after: $after, query: $query) {\n"
    "    edges { node { id sku } }\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "  }\n"
    "}\n";

std::string SkuSearch(const std::vector<std::string>& skus) {
  std::string out;
  for (const std::string& sku : skus) {
    if (!out.empty()) out += " OR ";
    out += "sku:'";
    for (char c : sku) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += "'";
  }
  return out;
}

double LookupCost(int64_t first) { return 2.0 + static_cast<double>(first); }

const char kLevelsQuery[] =
    "query Levels($ids: [ID!]!, $location: ID!, $names: [String!]!) {\n"
    "  nodes(ids: $ids) {\n"
    "    ... on InventoryItem {\n"
    "      id\n"
    "      sku\n"
    "      inventoryLevel(locationId: $location) { quantities(names: $names) { name quantity } }\n"
    "    }\n"
    "  }\n"
    "}\n";

double LevelsCost(size_t ids) { return 3.0 * static_cast<double>(ids); }

#define STOCKD_SHOPIFY_LINE_FIELDS \
  "id sku quantity currentQuantity unfulfilledQuantity variant { id }"

const char kOrdersQuery[] =
    "query Orders($first: Int!, $after: String, $query: String, $lines: Int!) {\n"
    "  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "    edges {\n"
    "      cursor\n"
    "      node {\n"
    "        id name createdAt updatedAt cancelledAt\n"
    "        displayFinancialStatus displayFulfillmentStatus\n"
    "        lineItems(first: $lines) {\n"
    "          pageInfo { hasNextPage endCursor }\n"
    "          edges { node { " STOCKD_SHOPIFY_LINE_FIELDS
    " } }\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

const char kOrderLinesQuery[] =
    "query OrderLines($id: ID!, $first: Int!, $after: String) {\n"
    "  order(id: $id) {\n"
    "    lineItems(first: $first, after: $after) {\n"
    "      pageInfo { hasNextPage endCursor }\n"
    "      edges { node { " STOCKD_SHOPIFY_LINE_FIELDS
    " } }\n"
    "    }\n"
    "  }\n"
    "}\n";

#undef STOCKD_SHOPIFY_LINE_FIELDS

// An order is 1, its lineItems connection 2 + lines x (a line 1 + its variant 1).
double OrdersCost(int64_t first, int64_t lines) {
  return 2.0 + static_cast<double>(first) * (3.0 + 2.0 * static_cast<double>(lines));
}
double OrderLinesCost(int64_t lines) { return 3.0 + 2.0 * static_cast<double>(lines); }

std::string OrdersSearch(const std::string& updated_at) {
  return updated_at.empty() ? "" : "updated_at:>='" + updated_at + "'";
}

// ---------------------------------------------------------------- answers

Cost ReadCost(const Json& answer) {
  Cost c;
  const Json* extensions = Find(answer, "extensions");
  const Json* cost = extensions != nullptr ? Find(*extensions, "cost") : nullptr;
  const Json* status = cost != nullptr ? Find(*cost, "throttleStatus") : nullptr;
  if (status == nullptr || !status->is_object()) return c;
  c.present = true;
  c.requested = Number(*cost, "requestedQueryCost");
  c.maximum = Number(*status, "maximumAvailable");
  c.available = Number(*status, "currentlyAvailable");
  c.restore_rate = Number(*status, "restoreRate");
  return c;
}

std::string FirstErrorCode(const Json& answer) {
  const Json* errors = Find(answer, "errors");
  if (errors == nullptr || !errors->is_array()) return "";
  for (const Json& e : *errors) {
    const Json* extensions = Find(e, "extensions");
    const Json* code = extensions != nullptr ? Find(*extensions, "code") : nullptr;
    if (code != nullptr && code->is_string()) return code->get<std::string>();
  }
  return "";
}

bool IsThrottled(const Json& answer) {
  const Json* errors = Find(answer, "errors");
  if (errors == nullptr || !errors->is_array()) return false;
  for (const Json& e : *errors) {
    const Json* extensions = Find(e, "extensions");
    const Json* code = extensions != nullptr ? Find(*extensions, "code") : nullptr;
    if (code != nullptr && code->is_string() && code->get<std::string>() == "THROTTLED") {
      return true;
    }
  }
  return false;
}

std::string ErrorsText(const Json& answer) {
  const Json* errors = Find(answer, "errors");
  if (errors == nullptr) return "";
  if (errors->is_string()) return errors->get<std::string>();  // REST-style: "errors": "..."
  std::string out;
  if (errors->is_array()) {
    for (const Json& e : *errors) {
      const Json* message = Find(e, "message");
      if (message == nullptr || !message->is_string()) continue;
      std::string m = message->get<std::string>();
      m = m.substr(0, m.find('\n'));  // Shopify's messages may add paragraphs of advice
      out += (out.empty() ? "" : "; ") + m;
    }
  }
  return out.empty() ? errors->dump() : out;
}

std::vector<UserError> ReadUserErrors(const Json& data) {
  const Json& payload = Object(data, "inventorySetQuantities", "data");
  const Json& list = Array(payload, "userErrors", "data.inventorySetQuantities");
  std::vector<UserError> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "data.inventorySetQuantities.userErrors[" + std::to_string(i) + "]";
    UserError e;
    e.code = String(list[i], "code", where, false);
    e.message = String(list[i], "message", where, true);
    const Json* field = Find(list[i], "field");
    if (field != nullptr && field->is_array()) {
      std::vector<std::string> parts;
      for (const Json& p : *field) {
        parts.push_back(p.is_string() ? p.get<std::string>() : p.dump());
      }
      for (size_t k = 0; k < parts.size(); ++k) e.field += (k == 0 ? "" : ".") + parts[k];
      // ["input", "quantities", "3", ...]: the fourth quantity of the call.
      for (size_t k = 0; k + 1 < parts.size(); ++k) {
        if (parts[k] != "quantities") continue;
        const std::string& n = parts[k + 1];
        if (!n.empty() && n.size() < 6 &&
            std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          e.index = std::stoll(n);
        }
        break;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

LookupPage ReadLookup(const Json& data) {
  LookupPage page;
  const Json& connection = Object(data, "inventoryItems", "data");
  const Json& edges = Array(connection, "edges", "data.inventoryItems");
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::string where = "data.inventoryItems.edges[" + std::to_string(i) + "].node";
    const Json& node = Object(edges[i], "node", "");
    page.items.emplace_back(String(node, "sku", where, false), String(node, "id", where, true));
  }
  ReadPageInfo(connection, "data.inventoryItems", &page.has_next, &page.end_cursor);
  return page;
}

std::map<std::string, int64_t> ReadLevels(const Json& data, const std::string& name) {
  std::map<std::string, int64_t> out;
  const Json& nodes = Array(data, "nodes", "data");
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].is_null()) continue;  // no such item
    const std::string where = "data.nodes[" + std::to_string(i) + "]";
    const std::string id = String(nodes[i], "id", where, true);
    const Json* level = Find(nodes[i], "inventoryLevel");
    int64_t quantity = -1;  // not stocked at the location
    if (level != nullptr) {
      const Json& quantities = Array(*level, "quantities", where + ".inventoryLevel");
      for (size_t k = 0; k < quantities.size(); ++k) {
        const std::string at = where + ".inventoryLevel.quantities[" + std::to_string(k) + "]";
        if (String(quantities[k], "name", at, true) == name) {
          quantity = std::max<int64_t>(0, Integer(quantities[k], "quantity", at));
        }
      }
    }
    out[id] = quantity;
  }
  return out;
}

}  // namespace stockd::shopify
