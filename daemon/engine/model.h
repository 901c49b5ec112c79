// The static model the engine runs on: locations, channels and their policies, and
// per-SKU policy overrides. Built by the config layer (daemon/config), validated there
// with file:line errors; Engine::Create re-checks the structural rules below and fails
// with INVALID_ARGUMENT if the model breaks them.
//
// Layering: this file (and all of daemon/engine) knows nothing of gRPC, Redis, YAML or
// adapters. Everything above depends on the engine, never the reverse.
//
// Thread safety: a Model is an immutable value once handed to the engine.
#ifndef STOCKD_DAEMON_ENGINE_MODEL_H_
#define STOCKD_DAEMON_ENGINE_MODEL_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace stockd::engine {

// "No cap" for max_publish.
inline constexpr int64_t kNoCap = std::numeric_limits<int64_t>::max();

enum class LocationType { kWarehouse, kStore };
enum class ChannelType { kWebshop, kMarketplace, kStore };

const char* LocationTypeName(LocationType type);
const char* ChannelTypeName(ChannelType type);

struct Location {
  std::string id;
  LocationType type = LocationType::kWarehouse;
  std::string name;  // human-readable, optional
};

// The publishing policy of one channel (docs/design.md "Availability").
struct ChannelPolicy {
  // Units per location index that only this channel may take. Size = number of
  // locations; non-zero only at the channel's own sources.
  std::vector<int64_t> protect;
  int64_t safety_stock = 0;      // >= 0
  int32_t share_percent = 100;   // 0..100
  int64_t min_publish = 0;       // >= 0; below it, publish 0
  int64_t max_publish = kNoCap;  // >= 0; cap on what is published
};

struct Channel {
  std::string id;
  ChannelType type = ChannelType::kWebshop;
  std::vector<int> sources;  // location indices, in the order Reserve tries them
  ChannelPolicy policy;
  // A Reserve line that no single source covers is split over the sources, in order
  // (docs/design.md, "Operations"). False: every line comes whole from one location
  // (click & collect), as a request's `single_location` asks.
  bool split_lines = true;
};

// A per-SKU override of some policy fields of one channel. Every override whose
// pattern matches a SKU applies, in model order; a later one wins for a field it sets.
struct PolicyOverride {
  std::string pattern;  // glob over the SKU: '*' any run, '?' one byte, [abc] a set
  int channel = -1;     // channel index
  std::string origin;   // where it was defined, e.g. "stockd.yaml:88"
  // Location index -> units; only the named locations change.
  std::vector<std::pair<int, int64_t>> protect;
  std::optional<int64_t> safety_stock;
  std::optional<int32_t> share_percent;
  std::optional<int64_t> min_publish;
  std::optional<int64_t> max_publish;
};

// A kit (a gift set, a 3-pack, a bike with its pedals): a SKU without stock of its own,
// `qty` units of each component per kit, all taken from one location (docs/kits.md).
struct KitComponent {
  std::string sku;
  int64_t qty = 1;  // >= 1
};
struct Kit {
  std::string sku;
  std::vector<KitComponent> components;  // distinct SKUs, none of them a kit
  std::string origin;                    // where it was defined, e.g. "stockd.yaml:120"
};

// Stock alerts (docs/alerts.md): how velocity is weighted and how wide the hysteresis
// bands are.
struct AlertOptions {
  // false: the engine keeps no sales velocity, raises no alert and keeps no open-hold
  // index (alerts.enabled; its cost: docs/alerts.md "Cost"). Fixed at start: a reload
  // keeps the running value (config::RestartOnlyChanges names it).
  bool enabled = true;
  int64_t velocity_half_life_ms = 7LL * 24 * 3600 * 1000;  // > 0
  int32_t hysteresis_percent = 20;                         // 0..100
  int64_t back_in_stock_at = 1;                            // >= 1
};

// When a SKU should be reordered (docs/alerts.md, "Reorder points"). The last rule whose
// pattern matches a SKU applies. Either the fixed points (point, total_point: either may
// be unset) or the demand over lead_time_days + cover_days at the SKU's velocity.
struct ReorderRule {
  std::string pattern;                 // glob over the SKU, as PolicyOverride::pattern
  std::optional<int64_t> point;        // per location, >= 1
  std::optional<int64_t> total_point;  // the SKU over every location, >= 1
  double lead_time_days = 0;           // >= 0; with cover_days, when no fixed point is set
  double cover_days = 0;               // >= 0
  std::vector<int> locations;          // location indices the per-location point applies
                                       // to; empty = every location
  std::string origin;                  // where it was defined, e.g. "stockd.yaml:140"

  bool fixed() const { return point.has_value() || total_point.has_value(); }
};

struct Model {
  std::vector<Location> locations;
  std::vector<Channel> channels;
  std::vector<PolicyOverride> overrides;
  std::vector<Kit> kits;
  AlertOptions alerts;
  std::vector<ReorderRule> reorder;

  // Index lookups; -1 when unknown. Linear: models have tens of entries.
  int LocationIndex(std::string_view id) const;
  int ChannelIndex(std::string_view id) const;
};

// True when `s` is a valid identifier: 1..128 bytes of [A-Za-z0-9._:/-].
bool IsValidId(std::string_view s);

// Glob match used by overrides: '*' matches any run (also empty), '?' one byte,
// "[abc]" / "[a-z]" one byte of a set. No escapes (identifiers have no glob bytes).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_MODEL_H_
