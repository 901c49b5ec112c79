// The Shopify Admin GraphQL API as the Shopify adapter speaks it: the operations' texts,
// their variables, their cost estimates, and the reading of their answers into plain
// structs. Pure functions, no HTTP, so that every answer shape can be tested alone. A
// malformed answer throws sdk::Error naming the field; nothing else is thrown.
//
// API facts relied on (shopify.dev, Admin GraphQL 2026-04):
//  * inventorySetQuantities(input: {name, reason, quantities: [{inventoryItemId, locationId,
//    quantity, changeFromQuantity}]}) @idempotent(key: "<uuid>"): the directive and
//    changeFromQuantity (compare-and-set; an explicit null opts out) are required at run
//    time; at most 250 quantities; quantities 0..1,000,000,000; userErrors[{code, field,
//    message}] with field ["input", "quantities", "<i>", ...] naming the quantity.
//  * inventoryItems(first, after, query: "sku:'A' OR sku:'B'"), nodes(ids: [...]) (at most
//    250 ids), InventoryItem.inventoryLevel(locationId).quantities(names).
//  * orders(first, after, sortKey: UPDATED_AT, query: "updated_at:>='<ISO time>'"),
//    order(id), Order.lineItems(first, after); edges carry a cursor, pageInfo{hasNextPage
//    endCursor}.
//  * Cost: an object is 1 point, a scalar 0, a connection 2 + first x (the cost of one
//    node), a mutation 10; a query whose requested cost exceeds 1,000 points is refused
//    (MAX_COST_EXCEEDED). Every answer carries extensions.cost{requestedQueryCost,
//    actualQueryCost, throttleStatus{maximumAvailable, currentlyAvailable, restoreRate}};
//    a throttled call answers errors[{message: "Throttled", extensions: {code:
//    "THROTTLED"}}] and no data.
//
// Implemented in shopify_api.cc (ids, requests, costs, errors, look-ups, levels) and
// shopify_orders_api.cc (orders, lines, status, times).
//
// Thread safety: pure functions (NewIdempotencyKey draws from OpenSSL's thread-safe RNG).
#ifndef STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_API_H_
#define STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::shopify {

using Json = stockd::sdk::Json;

constexpr size_t kMaxQuantitiesPerCall = 250;  // inventorySetQuantities' input array
constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr double kMutationCost = 10;
constexpr double kMaxQueryCost = 1000;      // a single query's requested cost
constexpr size_t kLookupSkusPerCall = 50;   // SKUs per inventoryItems search
constexpr size_t kLevelsPerCall = 100;      // ids per nodes() read of inventory levels
constexpr int64_t kOrderLinesFirst = 8;     // line items read with each order of a page
constexpr int64_t kOrderLinesMore = 100;    // per follow-up read of a long order's lines
constexpr int64_t kMaxOrdersPageSize = 50;  // 2 + 50 x (3 + 2 x 8) = 952 <= 1000 points

// "gid://shopify/<type>/N" from N or from that gid itself; throws sdk::Error (naming
// `what`) for anything else.
std::string ToGid(std::string_view type, std::string_view id_or_gid, const std::string& what);
// The N of "gid://shopify/<type>/N" (the text after the last '/'), "" when there is none.
std::string GidNumber(std::string_view gid);

// A random (version 4) UUID, e.g. "0b4f3c2e-8a1d-4c55-9e0f-2f6a1b7c9d31".
std::string NewIdempotencyKey();

// ------------------------------------------------------------------ requests

struct QuantityToSet {
  std::string inventory_item_gid;
  int64_t quantity = 0;
  int64_t change_from = -1;  // -1: null (no compare-and-set: the first sync)
};
// The mutation's text with `key` in its @idempotent directive; its one variable is $input.
std::string SetQuantitiesMutation(const std::string& key);
Json SetQuantitiesVariables(const std::string& name, const std::string& reason,
                            const std::string& location_gid,
                            const std::vector<QuantityToSet>& quantities);

// inventoryItems search for `skus` ($first, $after, $query).
extern const char kLookupQuery[];
// "sku:'A' OR sku:'B'" (a ' or \ inside a SKU escaped with \).
std::string SkuSearch(const std::vector<std::string>& skus);
double LookupCost(int64_t first);

// nodes(ids: $ids) { ... on InventoryItem { id sku inventoryLevel(locationId: $location) {
// quantities(names: $names) { name quantity } } } }.
extern const char kLevelsQuery[];
double LevelsCost(size_t ids);

// orders($first, $after, $query, $lines) sorted by UPDATED_AT.
extern const char kOrdersQuery[];
// order(id: $id) { lineItems($first, $after) }: the rest of a long order's lines.
extern const char kOrderLinesQuery[];
double OrdersCost(int64_t first, int64_t lines);
double OrderLinesCost(int64_t lines);
// updated_at:>='T' (all orders when `updated_at` is empty).
std::string OrdersSearch(const std::string& updated_at);

// ------------------------------------------------------------------ answers

// extensions.cost of an answer.
struct Cost {
  bool present = false;
  double requested = 0;
  double maximum = 0;
  double available = 0;
  double restore_rate = 0;
};
Cost ReadCost(const Json& answer);

// True when the answer's errors say THROTTLED.
bool IsThrottled(const Json& answer);
// The first error's extensions.code ("" when none), and all errors' messages joined.
std::string FirstErrorCode(const Json& answer);
std::string ErrorsText(const Json& answer);

// One of inventorySetQuantities' userErrors.
struct UserError {
  std::string code;  // "" when Shopify gave none
  std::string message;
  std::string field;   // the field path joined with '.', for messages
  int64_t index = -1;  // the quantity it names (field input.quantities.<i>), else -1
};
// data.inventorySetQuantities.userErrors (throws when the payload is missing).
std::vector<UserError> ReadUserErrors(const Json& data);

struct LookupPage {
  std::vector<std::pair<std::string, std::string>> items;  // (sku, inventory item gid)
  bool has_next = false;
  std::string end_cursor;
};
LookupPage ReadLookup(const Json& data);

// data.nodes: inventory item gid -> the quantity `name` at the location, -1 when the item
// is not stocked there; items that do not exist are absent.
std::map<std::string, int64_t> ReadLevels(const Json& data, const std::string& name);

// One order of a page, already mapped to the order model (docs/orders.md).
struct PolledOrder {
  stockd::sdk::Order order;
  std::string gid;
  std::string updated_at;   // as Shopify wrote it (the cursor's time)
  std::string cursor;       // of its edge
  bool more_lines = false;  // lineItems has a next page
  std::string lines_cursor;
};
struct OrdersPage {
  std::vector<PolledOrder> orders;
  bool has_next = false;
  std::string end_cursor;
};
OrdersPage ReadOrdersPage(const Json& data);

struct LinesPage {
  std::vector<stockd::sdk::OrderLine> lines;
  bool has_next = false;
  std::string end_cursor;
};
LinesPage ReadOrderLines(const Json& data);

// The order model's status of a Shopify order: cancelledAt set -> cancelled; else
// FULFILLED / PARTIALLY_FULFILLED -> shipped; else PENDING / AUTHORIZED -> pending,
// PAID / PARTIALLY_PAID / PARTIALLY_REFUNDED / REFUNDED -> accepted, VOIDED / EXPIRED ->
// cancelled; an unknown financial status is pending (a hold: the safe side).
std::string OrderStatus(bool cancelled, const std::string& financial,
                        const std::string& fulfillment);

// Unix ms of an ISO-8601 time ("2026-05-01T10:00:00Z", fractions and +hh:mm offsets too);
// throws sdk::Error naming `what`.
int64_t IsoToMs(const std::string& text, const std::string& what);

}  // namespace stockd::shopify

#endif  // STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_API_H_
