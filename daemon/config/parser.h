// The config parser's internals, shared by the files that parse one part of the file
// each: config.cc (the document, the root and the small sections), parse_server_redis.cc,
// parse_model.cc (locations, channels, overrides) and parse_adapters.cc. Not a public
// header: everything else uses config.h. Keys, kinds and bounds come from schema.h; the
// YAML machinery from yaml_reader.h.
//
// Thread safety: a ConfigParser is one parse on one thread.
#ifndef STOCKD_DAEMON_CONFIG_PARSER_H_
#define STOCKD_DAEMON_CONFIG_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/config/config.h"
#include "daemon/config/schema.h"
#include "daemon/config/yaml_reader.h"

namespace stockd::config::internal {

// An adapter's `config` as handed to its plugin: at most this many levels of nested
// mappings and sequences (the `config` mapping itself is level 1); its size bound is
// the schema's (channels[].adapter.config).
inline constexpr int kMaxAdapterConfigDepth = 64;
// All adapters' configs together (256 channels could each alias a 1 MiB config).
inline constexpr size_t kMaxAdapterConfigsJsonBytes = 16 << 20;

// The int and duration keys a generic read found valid, by name.
class Readings {
 public:
  void Add(absl::string_view name, int64_t value) { values_.emplace_back(name, value); }
  std::optional<int64_t> Get(absl::string_view name) const {
    for (const auto& [n, v] : values_) {
      if (n == name) return v;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::pair<absl::string_view, int64_t>> values_;
};

// Reads every key of `table` that has a target field (schema::Field::set) and is
// present in `map`: bounded by the schema, reported if invalid, stored if valid.
template <typename T>
Readings ReadFields(const yaml::MapReader& map, const schema::Table<T>& table, T& target) {
  Readings readings;
  for (const schema::Field<T>& f : table.fields()) {
    if (f.set == nullptr) continue;
    std::optional<int64_t> value;
    switch (f.key.kind) {
      case schema::Kind::kInt:
        value = map.Int(f.key.name, f.key.min, f.key.max);
        break;
      case schema::Kind::kDuration:
        value = map.Duration(f.key.name, f.key.min, f.key.max);
        break;
      default:
        continue;  // only ints and durations have a generic reader
    }
    if (!value.has_value()) continue;
    f.set(target, *value);
    readings.Add(f.key.name, *value);
  }
  return readings;
}

class ConfigParser {
 public:
  explicit ConfigParser(absl::string_view source_name) : errors_(source_name) {}

  absl::StatusOr<Config> Parse(absl::string_view text);

 private:
  using Value = yaml::Value;

  // config.cc
  void ParseRoot(const Value& root);
  void ParseHolds(const Value& v);
  void ParseLog(const Value& v);
  void CheckResponseFitsHolds(const yaml::MapReader& root);
  // parse_server_redis.cc
  void ParseServer(const Value& v);
  void ParseRedis(const Value& v);
  void ParseRedisSecurity(const yaml::MapReader& redis, bool address_invalid);
  void ParseRedisTls(const Value& v);
  // parse_security.cc
  void ParseServerTls(const Value& v);
  void ParseClients(const Value& v);
  void CheckListen();
  // parse_model.cc
  // What the file listed as a channel's sources, to judge protect keys against.
  struct SourceSet {
    bool valid = false;                // sources parsed as a sequence
    std::vector<std::string> unknown;  // names already reported as unknown locations
  };
  void ParseLocations(const Value& v);
  void ParseChannels(const Value& v);
  void ParseChannelType(const Value& v, engine::Channel* channel);
  SourceSet ParseSources(const Value& v, engine::Channel* channel);
  void ParseProtect(const Value& v, const engine::Channel& channel, const SourceSet& sources,
                    std::vector<std::pair<int, int64_t>>* out);
  void ParseOverrides(const Value& v);
  // "" when `pattern` is a well-formed SKU glob (overrides, reorder rules), else what is
  // wrong.
  static std::string CheckSkuPattern(absl::string_view pattern);
  // parse_kits.cc
  void ParseKits(const Value& v);
  // parse_alerts.cc
  void ParseAlerts(const Value& v);
  void ParseReorder(const Value& v);
  void CheckOverridePublishBounds(const yaml::MapReader& map, const engine::PolicyOverride& o,
                                  const engine::Channel* channel);
  void CheckCount(const Value& v, size_t count, int64_t max, const char* what);
  std::optional<std::string> ReadId(const Value& v);
  // engine::Model's LocationIndex/ChannelIndex, in constant time: a channel names up to
  // 4096 locations in sources and protect, and there are up to 256 channels (a linear
  // lookup each made a config at those maxima take 20 s to check). The first definition
  // of an id wins, as in the model (duplicates are reported).
  int LocationIndex(absl::string_view id) const;
  int ChannelIndex(absl::string_view id) const;
  // parse_adapters.cc
  void ParseAdapter(const Value& v, const std::string& channel);
  // parse_orders.cc
  void ParseOrders(const Value& v);
  void ParseChannelOrders(const Value& v, const std::string& channel);
  // parse_metrics.cc
  void ParseMetrics(const Value& v);

  yaml::ErrorList errors_;
  Config config_;
  absl::flat_hash_map<std::string, int> location_index_;
  absl::flat_hash_map<std::string, int> channel_index_;
  size_t adapter_json_bytes_left_ = kMaxAdapterConfigsJsonBytes;
  // server.listen as written (judged by CheckListen once TLS and clients are known).
  std::optional<Value> listen_value_;
  bool server_tls_present_ = false;  // the file has server.tls (valid or not)
  bool clients_invalid_ = false;     // a client entry was reported
};

}  // namespace stockd::config::internal

#endif  // STOCKD_DAEMON_CONFIG_PARSER_H_
