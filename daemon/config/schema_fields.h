// Private to the schema's tables (schema.cc, schema_model.cc): the shorthand the tables are
// written in. Nothing else includes this header.
#ifndef STOCKD_DAEMON_CONFIG_SCHEMA_FIELDS_H_
#define STOCKD_DAEMON_CONFIG_SCHEMA_FIELDS_H_

#include <cstdint>
#include <string>
#include <type_traits>

#include "daemon/config/schema.h"
#include "daemon/config/yaml_reader.h"

namespace stockd::config::schema::fields {

using yaml::kMsPerDay;
using yaml::kMsPerHour;
using yaml::kMsPerMinute;
using yaml::kMsPerSecond;
constexpr Reload kLive = Reload::kLive;
constexpr Reload kRestart = Reload::kRestart;
// Unit counts (protect, safety_stock, min/max_publish) share the engine's quantity bound,
// so sums over channels cannot overflow.
constexpr int64_t kMaxUnits = engine::kMaxQuantity;

// The target field of an int or duration key, named once: read and stored generically.
#define STOCKD_TARGET(T, member)                                                        \
  [](T& t, int64_t v) { t.member = static_cast<std::decay_t<decltype(t.member)>>(v); }, \
      [](const T& t) { return static_cast<int64_t>(t.member); }
// The same for a field without a default to compare (std::optional overrides).
#define STOCKD_SET_ONLY(T, member) [](T& t, int64_t v) { t.member = v; }, nullptr
// A field the section's parser fills (checks beyond bounds); its default is compared.
#define STOCKD_READ_ONLY(T, member) \
  nullptr, [](const T& t) { return static_cast<int64_t>(t.member); }
#define STOCKD_TEXT(T, member) nullptr, nullptr, [](const T& t) { return std::string(t.member); }

// A table's accessor: a function-local static, built once, thread-safe, never destroyed
// (no exit-order issue).
#define STOCKD_TABLE(Name, T, path, fields)                \
  const Table<T>& Name() {                                 \
    static const auto* table = new Table<T>(path, fields); \
    return *table;                                         \
  }

}  // namespace stockd::config::schema::fields

#endif  // STOCKD_DAEMON_CONFIG_SCHEMA_FIELDS_H_
