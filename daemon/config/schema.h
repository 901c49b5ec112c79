// The configuration schema: every key of the YAML file declared once, in tables (one per
// mapping of the file), with its kind, bounds, default, one-line documentation, whether
// it is reloadable, and the field of the parsed value it fills. The parser walks these
// tables: the keys a mapping allows are its table's names, in table order (the order
// "unknown key" errors list them in), and every int or duration key with a target field
// is read, bounded and stored by one generic reader. Keys with checks beyond their
// bounds (addresses, files, enums, cross-key rules) have no generic target: their
// section's parser reads them, with the bounds from here. tests/config/schema_test.cc
// checks the tables against config/reference.yaml and against the structs' defaults.
//
// Reloadable (Reload::kLive): a live reload (SIGHUP, ReloadConfig) applies the new value
// to the running daemon. The rule: a key is kLive when it only changes how future calls,
// pushes or records are handled (limits, rates, intervals, retention bounds) or names a
// part the reload rebuilds (a channel's adapter and order ingestion); it is kRestart when
// it names or shapes something built once at start: a listening socket, a directory, the
// Redis connection and its security, the engine's shards, gRPC's thread pool and stream
// limits. The model (locations, channels, overrides) is applied by the engine's own
// reconfiguration, whatever its keys say. Some kLive keys are still reported as needing a
// restart by config::RestartOnlyChanges (docs/reload.md).
//
// Thread safety: constant tables, built on first use (thread-safe statics); read-only.
#ifndef STOCKD_DAEMON_CONFIG_SCHEMA_H_
#define STOCKD_DAEMON_CONFIG_SCHEMA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "daemon/config/config.h"

namespace stockd::config::schema {

enum class Kind {
  kInt,       // a plain YAML integer within [min, max]
  kDuration,  // "500ms", "15m", ... within [min, max] milliseconds
  kString,    // any scalar (paths, addresses, names)
  kEnum,      // one of the words listed in the doc
  kId,        // 1 to 128 bytes of A-Z a-z 0-9 . _ : / -
  kIdList,    // a sequence of ids (channels[].sources)
  kUnitsMap,  // a mapping id -> units whose keys are data (protect)
  kJson,      // a mapping handed on as JSON (channels[].adapter.config)
  kSection,   // a mapping of the keys of another table
  kList,      // a sequence of mappings of the keys of another table
};

enum class Reload { kRestart, kLive };

// What every key declares, whatever it fills.
struct KeyInfo {
  absl::string_view name;  // the key in its mapping
  Kind kind;
  Reload reload;
  bool required = false;
  int64_t min = 0;  // kInt: the value; kDuration: milliseconds
  int64_t max = 0;
  int64_t default_value = 0;       // kInt, kDuration: what an absent key leaves
  absl::string_view default_text;  // as config/reference.yaml shows it ("" when none)
  absl::string_view doc;           // one line
};

// A key of a mapping whose parsed value is a T. `set`/`get` bind the target field once:
// set != nullptr means the generic reader reads and stores the key; get (possibly
// without set) lets the schema test compare the default with the struct's.
template <typename T>
struct Field {
  KeyInfo key;
  void (*set)(T&, int64_t) = nullptr;
  int64_t (*get)(const T&) = nullptr;
  std::string (*get_text)(const T&) = nullptr;  // kString/kEnum defaults
};

// One table: the keys of one mapping of the file.
template <typename T>
class Table {
 public:
  Table(absl::string_view path, absl::Span<const Field<T>> fields) : path_(path), fields_(fields) {
    for (const Field<T>& f : fields) names_.push_back(f.key.name);
  }
  // "server", "redis.tls", "channels[]", "channels[].adapter" ("" for the root).
  absl::string_view path() const { return path_; }
  absl::Span<const Field<T>> fields() const { return fields_; }
  // The allowed keys, in table order (MapReader's list).
  absl::Span<const absl::string_view> names() const { return names_; }
  const KeyInfo& Key(absl::string_view name) const;  // dies on a name not in the table

 private:
  absl::string_view path_;
  absl::Span<const Field<T>> fields_;
  std::vector<absl::string_view> names_;
};

const Table<Config>& Root();
const Table<Config>& Server();
const Table<Config>& Redis();
const Table<RedisTlsConfig>& RedisTls();
const Table<ServerTlsConfig>& ServerTls();
const Table<ClientConfig>& Clients();
const Table<Config>& Engine();
const Table<Config>& Holds();
const Table<Config>& Idempotency();
const Table<Config>& Audit();
const Table<engine::Location>& Locations();
const Table<engine::Channel>& Channels();
const Table<AdapterConfig>& Adapter();
const Table<engine::PolicyOverride>& Overrides();
const Table<Config>& Alerts();
const Table<engine::ReorderRule>& Reorder();
const Table<engine::Kit>& Kits();
const Table<engine::KitComponent>& KitComponents();
const Table<Config>& Orders();
const Table<OrderChannelConfig>& ChannelOrders();
const Table<OrderChannelConfig>& OrdersWebhook();
const Table<Config>& Log();
const Table<Config>& Metrics();

// Every key of every table, by its full path ("server.max_batch", "channels[].adapter.plugin"),
// for tests and documentation.
struct KeyView {
  std::string path;
  const KeyInfo* info;
};
std::vector<KeyView> AllKeys();

template <typename T>
const KeyInfo& Table<T>::Key(absl::string_view name) const {
  for (const Field<T>& f : fields_) {
    if (f.key.name == name) return f.key;
  }
  __builtin_trap();  // a parser asked for a key its table lacks: a bug
}

}  // namespace stockd::config::schema

#endif  // STOCKD_DAEMON_CONFIG_SCHEMA_H_
