// Reading Shopify's JSON answers: member lookups that throw sdk::Error naming the field
// ("Shopify's answer: data.orders.edges[2].node.updatedAt is missing"). Internal to the
// Shopify adapter (shopify_api.cc, shopify_orders_api.cc).
//
// Thread safety: pure functions.
#ifndef STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_JSON_H_
#define STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_JSON_H_

#include <cstdint>
#include <string>

#include "stockd/adapter_sdk.h"

namespace stockd::shopify::json {

using Json = stockd::sdk::Json;
using stockd::sdk::Error;

inline std::string Path(const std::string& where, const char* key) {
  return where.empty() ? std::string(key) : where + "." + key;
}

// The member `key` of object `o` (at `where`), or nullptr when absent or null.
inline const Json* Find(const Json& o, const char* key) {
  if (!o.is_object()) return nullptr;
  const auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

inline const Json& Object(const Json& o, const char* key, const std::string& where) {
  const Json* v = Find(o, key);
  if (v == nullptr || !v->is_object()) {
    throw Error("Shopify's answer: " + Path(where, key) + " is not an object");
  }
  return *v;
}

inline const Json& Array(const Json& o, const char* key, const std::string& where) {
  const Json* v = Find(o, key);
  if (v == nullptr || !v->is_array()) {
    throw Error("Shopify's answer: " + Path(where, key) + " is not a list");
  }
  return *v;
}

inline std::string String(const Json& o, const char* key, const std::string& where, bool required) {
  const Json* v = Find(o, key);
  if (v == nullptr) {
    if (required) throw Error("Shopify's answer: " + Path(where, key) + " is missing");
    return "";
  }
  if (!v->is_string()) throw Error("Shopify's answer: " + Path(where, key) + " is not a string");
  return v->get<std::string>();
}

inline int64_t Integer(const Json& o, const char* key, const std::string& where) {
  const Json* v = Find(o, key);
  if (v == nullptr || !v->is_number_integer()) {
    throw Error("Shopify's answer: " + Path(where, key) + " is not an integer");
  }
  return v->get<int64_t>();
}

inline bool Boolean(const Json& o, const char* key, const std::string& where) {
  const Json* v = Find(o, key);
  if (v == nullptr || !v->is_boolean()) {
    throw Error("Shopify's answer: " + Path(where, key) + " is not true or false");
  }
  return v->get<bool>();
}

inline double Number(const Json& o, const char* key) {
  const Json* v = Find(o, key);
  return v != nullptr && v->is_number() ? v->get<double>() : 0;
}

// pageInfo{hasNextPage endCursor} of a connection.
inline void ReadPageInfo(const Json& connection, const std::string& where, bool* has_next,
                         std::string* end_cursor) {
  const Json& info = Object(connection, "pageInfo", where);
  *has_next = Boolean(info, "hasNextPage", where + ".pageInfo");
  *end_cursor = String(info, "endCursor", where + ".pageInfo", /*required=*/*has_next);
}

// One LineItem node as a line of the order model; nullopt for a line with no units.

}  // namespace stockd::shopify::json

#endif  // STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_JSON_H_
