// The Shopify fake's insides, shared by its .cc files: the shop's state (inventory, orders,
// cost bucket, idempotency keys, injected faults), the schema helpers the validator and
// the executor share, and the executor's entry points. Not for tests: they use
// fake_shopify.h.
//
// Thread safety: ShopState is guarded by its `mu`; every function taking a ShopState&
// requires it held.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_INTERNAL_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_INTERNAL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/shopify/fake_shopify_schema.h"
#include "tests/fakes/shopify/graphql_doc.h"

namespace stockd::fakes {

using Json = nlohmann::json;

namespace shopify_schema {

struct FieldDef {
  std::string type;                                       // e.g. "[InventoryQuantity!]!"
  std::vector<std::pair<std::string, std::string>> args;  // name, type
};
const FieldDef* FindField(const std::string& object_type, const std::string& field);
bool IsInputType(const std::string& base);
bool IsObjectType(const std::string& base);
// Appends a problem {path, explanation} for each way `value` does not fit `t`.
void Coerce(const TypeRef& t, const Json& value, const Json& path, std::vector<Json>* problems);
void LongestList(const Json& value, const Json& path, size_t* size, Json* at);

}  // namespace shopify_schema

struct ShopLevel {
  int64_t available = 0;
  int64_t committed = 0;  // by open orders; on_hand = available + committed
  int64_t updated_ms = 0;
};

struct ShopItem {
  int64_t id = 0;
  int64_t variant_id = 0;
  std::string sku;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::map<int64_t, ShopLevel> levels;  // by location id: where it is stocked
};

struct ShopLine {
  int64_t id = 0;
  std::string sku;
  int64_t variant_id = 0;
  int64_t item_id = 0;  // 0: no inventory item (nothing is committed)
  int64_t quantity = 0;
  int64_t fulfilled = 0;
  int64_t removed = 0;
};

struct ShopRefundLine {
  int64_t id = 0;
  int64_t line_id = 0;
  int64_t quantity = 0;
  std::string restock_type;  // cancel | return | no_restock
};
struct ShopRefund {
  int64_t id = 0;
  int64_t created_ms = 0;
  std::vector<ShopRefundLine> lines;
};

struct ShopOrder {
  int64_t id = 0;
  int64_t number = 0;  // name = "#<number>"
  int64_t location_id = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t cancelled_ms = 0;  // 0: not cancelled
  std::string financial = "PENDING";
  std::vector<ShopLine> lines;
  std::vector<ShopRefund> refunds;

  std::string FulfillmentStatus() const;  // UNFULFILLED, PARTIALLY_FULFILLED, FULFILLED
};

struct IdempotencyRecord {
  std::string fingerprint;  // the mutation's input, canonical
  bool succeeded = false;
  Json payload;  // the first answer's payload
};

struct InjectedUserError {
  std::string code;
  std::string message;
  int index = -1;
};

struct ShopState {
  mutable std::mutex mu;
  std::string token;
  std::string shop_domain;
  std::map<int64_t, std::string> locations;  // id -> name
  std::map<int64_t, ShopItem> items;
  std::map<int64_t, ShopOrder> orders;
  std::map<std::string, IdempotencyRecord> idempotency;
  int64_t next_id = 1000;  // shared by every kind of object, as Shopify's ids are unique
  int64_t next_order_number = 1001;
  int64_t next_adjustment_group = 1;

  // The app's cost bucket.
  double bucket_size = 1000;
  double restore_rate = 50;
  double available = 1000;
  std::chrono::steady_clock::time_point bucket_at = std::chrono::steady_clock::now();

  int64_t clock_ms = 0;  // 0: the system clock

  std::optional<InjectedUserError> inject;
  bool lose_next_mutation_answer = false;
  std::function<void(const std::string&)> log;  // a change of the shop, one line

  int64_t NowMs() const;  // the clock, whole seconds (Shopify's DateTime)
  void RefillBucket();
  int64_t NewId() { return ++next_id; }
  const ShopItem* FindItem(int64_t id) const;
  ShopItem* FindItem(int64_t id);
};

// ISO-8601 UTC with whole seconds ("2026-05-01T10:00:00Z"), or with an offset.
std::string IsoTime(int64_t ms, int offset_minutes = 0);
// Unix ms of an ISO time; nullopt when unreadable.
std::optional<int64_t> ParseIsoTime(const std::string& text);
// Shopify-like opaque cursors: base64 of {"last_id":..,"last_value":..}.
std::string MakeCursor(int64_t id, const std::string& value);
bool ReadCursor(const std::string& cursor, int64_t* id, std::string* value);

// Runs a validated operation against the state: returns its data, appends execution errors
// to *errors, adds the actual cost to *actual_cost and sets *search to the search warnings
// (extensions.search; an empty list when none).
Json Execute(ShopState& state, const graphql::Operation& op, const Json& variables,
             std::vector<Json>* errors, double* actual_cost, Json* search);

// fake_shopify_mutation.cc: the inventorySetQuantities payload for `input` (coerced).
Json SetQuantities(ShopState& state, const Json& input, const std::string& key,
                   std::vector<Json>* errors, const graphql::Selection& field);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_INTERNAL_H_
