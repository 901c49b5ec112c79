// Parsing the model: `locations`, `channels` (less their adapters: parse_adapters.cc)
// and `overrides`. Keys and bounds: schema.h.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/parser.h"

namespace stockd::config::internal {
namespace {

using engine::kNoCap;
using yaml::Entry;
using yaml::MapReader;
using yaml::Printable;
using yaml::ReadEntries;
using yaml::ReadInt;
using yaml::ReadSequence;
using yaml::ReadString;
using yaml::Truncated;
using Value = yaml::Value;

}  // namespace

std::string ConfigParser::CheckSkuPattern(absl::string_view pattern) {
  if (pattern.empty()) return "the pattern is empty";
  bool in_set = false;
  size_t set_size = 0;
  for (char c : pattern) {
    const bool id_byte = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '/' ||
                         c == '-';
    if (in_set) {
      if (c == ']') {
        if (set_size == 0) return "empty set '[]'";
        in_set = false;
      } else if (id_byte) {
        ++set_size;
      } else {
        return absl::StrCat("'", Printable(std::string(1, c)), "' is not allowed inside a [set]");
      }
      continue;
    }
    if (c == '[') {
      in_set = true;
      set_size = 0;
    } else if (c == ']') {
      return "']' without a matching '['";
    } else if (!id_byte && c != '*' && c != '?') {
      return absl::StrCat("byte '", Printable(std::string(1, c)),
                          "' is not allowed (A-Z a-z 0-9 . _ : / - and the globs * ? [set])");
    }
  }
  if (in_set) return "'[' without a matching ']'";
  return "";
}

std::optional<std::string> ConfigParser::ReadId(const Value& v) {
  std::optional<std::string> s = ReadString(v, errors_);
  if (s.has_value() && !engine::IsValidId(*s)) {
    errors_.Add(v.mark, v.path,
                absl::StrCat("'", Truncated(*s),
                             "' is not a valid id (1 to 128 bytes of A-Z a-z 0-9 . _ : / -)"));
  }
  return s;  // returned even when invalid, so later references do not cascade
}

void ConfigParser::ParseLocations(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  if (v.node.IsSequence())
    CheckCount(v, items.size(), schema::Root().Key("locations").max, "location");
  absl::flat_hash_map<std::string, std::string> first_at;  // id -> "locations[i] (line n)"
  for (const Value& item : items) {
    MapReader map(item, schema::Locations().names(), errors_);
    engine::Location location;
    if (auto id_value = map.Require("id")) {
      if (auto id = ReadId(*id_value)) {
        auto [first, inserted] =
            first_at.emplace(*id, absl::StrCat(item.path, " (line ", id_value->mark.line + 1, ")"));
        if (!inserted) {
          errors_.Add(id_value->mark, id_value->path,
                      absl::StrCat("duplicate location id '", Truncated(*id),
                                   "'; first defined at ", first->second));
        }
        location.id = *id;
      }
    }
    if (auto type_value = map.Require("type")) {
      if (auto type = ReadString(*type_value, errors_)) {
        if (*type == engine::LocationTypeName(engine::LocationType::kWarehouse)) {
          location.type = engine::LocationType::kWarehouse;
        } else if (*type == engine::LocationTypeName(engine::LocationType::kStore)) {
          location.type = engine::LocationType::kStore;
        } else {
          errors_.Add(type_value->mark, type_value->path,
                      absl::StrCat("unknown location type '", Truncated(*type), "'; expected ",
                                   engine::LocationTypeName(engine::LocationType::kWarehouse),
                                   " or ", engine::LocationTypeName(engine::LocationType::kStore)));
        }
      }
    }
    if (auto name = map.String("name")) location.name = *name;
    // Kept even when invalid, so channels that name it report no second error.
    location_index_.emplace(location.id, static_cast<int>(config_.model.locations.size()));
    config_.model.locations.push_back(std::move(location));
  }
}

void ConfigParser::ParseChannels(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  if (v.node.IsSequence())
    CheckCount(v, items.size(), schema::Root().Key("channels").max, "channel");
  absl::flat_hash_map<std::string, std::string> first_at;
  for (const Value& item : items) {
    MapReader map(item, schema::Channels().names(), errors_);
    engine::Channel channel;
    if (auto id_value = map.Require("id")) {
      if (auto id = ReadId(*id_value)) {
        auto [first, inserted] =
            first_at.emplace(*id, absl::StrCat(item.path, " (line ", id_value->mark.line + 1, ")"));
        if (!inserted) {
          errors_.Add(id_value->mark, id_value->path,
                      absl::StrCat("duplicate channel id '", Truncated(*id), "'; first defined at ",
                                   first->second));
        }
        channel.id = *id;
      }
    }
    if (auto type_value = map.Require("type")) ParseChannelType(*type_value, &channel);

    SourceSet sources;
    if (auto sources_value = map.Require("sources")) {
      sources = ParseSources(*sources_value, &channel);
    }
    channel.policy.protect.assign(config_.model.locations.size(), 0);
    if (auto protect_value = map.Get("protect")) {
      std::vector<std::pair<int, int64_t>> protect;
      ParseProtect(*protect_value, channel, sources, &protect);
      for (const auto& [location, units] : protect) channel.policy.protect[location] = units;
    }

    // safety_stock, share_percent, min_publish, max_publish
    const Readings policy = ReadFields(map, schema::Channels(), channel);
    std::optional<int64_t> min_publish = policy.Get("min_publish");
    std::optional<int64_t> max_publish = policy.Get("max_publish");
    if (min_publish.has_value() && max_publish.has_value() && *min_publish > *max_publish) {
      const Value field = *map.Get("max_publish");
      errors_.Add(field.mark, field.path,
                  absl::StrCat(*max_publish, " is below min_publish (", *min_publish, ")"));
    }
    if (std::optional<bool> split = map.Bool("split_lines")) channel.split_lines = *split;
    if (auto adapter = map.Get("adapter")) ParseAdapter(*adapter, channel.id);
    const schema::KeyInfo& every = schema::Channels().Key("reconcile_every");
    if (std::optional<int64_t> ms = map.Duration(every.name, every.min, every.max);
        ms.has_value() && *ms > 0) {
      if (map.Get("adapter").has_value() && !config_.adapters.empty()) {
        config_.adapters.back().reconcile_every_ms = *ms;
      } else {
        const Value field = *map.Get("reconcile_every");
        errors_.Add(field.mark, field.path,
                    "needs the channel's adapter (it reads the channel's own numbers)");
      }
    }
    if (auto orders = map.Get("orders")) ParseChannelOrders(*orders, channel.id);
    channel_index_.emplace(channel.id, static_cast<int>(config_.model.channels.size()));
    config_.model.channels.push_back(std::move(channel));
  }
}

void ConfigParser::ParseChannelType(const Value& v, engine::Channel* channel) {
  std::optional<std::string> type = ReadString(v, errors_);
  if (!type.has_value()) return;
  for (engine::ChannelType t : {engine::ChannelType::kWebshop, engine::ChannelType::kMarketplace,
                                engine::ChannelType::kStore}) {
    if (*type == engine::ChannelTypeName(t)) {
      channel->type = t;
      return;
    }
  }
  errors_.Add(v.mark, v.path,
              absl::StrCat("unknown channel type '", Truncated(*type), "'; expected ",
                           engine::ChannelTypeName(engine::ChannelType::kWebshop), ", ",
                           engine::ChannelTypeName(engine::ChannelType::kMarketplace), " or ",
                           engine::ChannelTypeName(engine::ChannelType::kStore)));
}

ConfigParser::SourceSet ConfigParser::ParseSources(const Value& v, engine::Channel* channel) {
  SourceSet set;
  std::vector<Value> items = ReadSequence(v, errors_);
  if (!v.node.IsSequence()) return set;
  set.valid = true;
  if (items.empty()) {
    errors_.Add(v.mark, v.path, "must list at least one location");
    return set;
  }
  // Location index -> its position in the file's list, to name the first listing.
  std::vector<int> listed_at(config_.model.locations.size(), -1);
  for (size_t position = 0; position < items.size(); ++position) {
    const Value& item = items[position];
    std::optional<std::string> id = ReadString(item, errors_);
    if (!id.has_value()) continue;
    const int index = LocationIndex(*id);
    if (index < 0) {
      errors_.Add(item.mark, item.path, absl::StrCat("unknown location '", Truncated(*id), "'"));
      set.unknown.push_back(*id);
      continue;
    }
    if (listed_at[index] >= 0) {
      errors_.Add(item.mark, item.path,
                  absl::StrCat("duplicate source '", Truncated(*id), "' (already ", v.path, "[",
                               listed_at[index], "])"));
      continue;
    }
    listed_at[index] = static_cast<int>(position);
    channel->sources.push_back(index);
  }
  return set;
}

// Reads `protect` (location id -> units) for `channel`; each key must be one of the
// channel's sources. With `sources.valid` false the membership is not judged (the
// sources themselves were reported).
void ConfigParser::ParseProtect(const Value& v, const engine::Channel& channel,
                                const SourceSet& sources,
                                std::vector<std::pair<int, int64_t>>* out) {
  std::vector<bool> source_locations(config_.model.locations.size(), false);
  for (int source : channel.sources) source_locations[source] = true;
  for (const Entry& entry : ReadEntries(v, errors_)) {
    std::optional<int64_t> units =
        ReadInt(entry.value, 0, schema::Channels().Key("protect").max, errors_);
    const int location = LocationIndex(entry.key);
    const bool is_source = location >= 0 && source_locations[location];
    const bool already_reported = std::find(sources.unknown.begin(), sources.unknown.end(),
                                            entry.key) != sources.unknown.end();
    if (!is_source) {
      if (sources.valid && !already_reported) {
        errors_.Add(entry.key_mark, entry.value.path,
                    absl::StrCat("'", Truncated(entry.key), "' is not a source of channel '",
                                 Truncated(channel.id), "'",
                                 location < 0 ? " (no location has this id)" : ""));
      }
      continue;
    }
    if (units.has_value()) out->emplace_back(location, *units);
  }
}

void ConfigParser::ParseOverrides(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  const int64_t max_overrides = schema::Root().Key("overrides").max;
  if (static_cast<int64_t>(items.size()) > max_overrides) {
    errors_.Add(
        v.mark, v.path,
        absl::StrCat("lists ", items.size(), " entries; at most ", max_overrides, " are allowed"));
    return;
  }
  for (const Value& item : items) {
    MapReader map(item, schema::Overrides().names(), errors_);
    engine::PolicyOverride override_entry;
    override_entry.origin = absl::StrCat(errors_.source(), ":", item.mark.line + 1);
    if (auto sku_value = map.Require("sku")) {
      if (auto pattern = ReadString(*sku_value, errors_)) {
        std::string problem = CheckSkuPattern(*pattern);
        if (!problem.empty()) {
          errors_.Add(sku_value->mark, sku_value->path,
                      absl::StrCat("invalid SKU pattern '", Truncated(*pattern), "': ", problem));
        }
        override_entry.pattern = *pattern;
      }
    }
    const engine::Channel* channel = nullptr;
    if (auto channel_value = map.Require("channel")) {
      if (auto id = ReadString(*channel_value, errors_)) {
        override_entry.channel = ChannelIndex(*id);
        if (override_entry.channel < 0) {
          errors_.Add(channel_value->mark, channel_value->path,
                      absl::StrCat("unknown channel '", Truncated(*id), "'"));
        } else {
          channel = &config_.model.channels[override_entry.channel];
        }
      }
    }
    if (auto protect_value = map.Get("protect")) {
      // With an unknown channel only the values are checked (the channel was reported).
      const engine::Channel no_channel;
      SourceSet sources;
      sources.valid = channel != nullptr;
      ParseProtect(*protect_value, channel != nullptr ? *channel : no_channel, sources,
                   &override_entry.protect);
    }
    // safety_stock, share_percent, min_publish, max_publish
    ReadFields(map, schema::Overrides(), override_entry);
    CheckOverridePublishBounds(map, override_entry, channel);

    const bool sets_something =
        map.Get("protect").has_value() || map.Get("safety_stock").has_value() ||
        map.Get("share_percent").has_value() || map.Get("min_publish").has_value() ||
        map.Get("max_publish").has_value();
    if (!sets_something) {
      errors_.Add(item.mark, item.path,
                  "the override changes nothing; set at least one of protect, safety_stock, "
                  "share_percent, min_publish, max_publish");
    }
    config_.model.overrides.push_back(std::move(override_entry));
  }
}

// min_publish <= max_publish, taking the channel's own value for the field the
// override leaves alone.
void ConfigParser::CheckOverridePublishBounds(const MapReader& map, const engine::PolicyOverride& o,
                                              const engine::Channel* channel) {
  if (!o.min_publish.has_value() && !o.max_publish.has_value()) return;
  if (channel == nullptr && !(o.min_publish.has_value() && o.max_publish.has_value())) return;
  const int64_t min = o.min_publish.value_or(channel ? channel->policy.min_publish : 0);
  const int64_t max = o.max_publish.value_or(channel ? channel->policy.max_publish : kNoCap);
  if (min <= max) return;
  if (o.max_publish.has_value()) {
    const Value field = *map.Get("max_publish");
    errors_.Add(field.mark, field.path,
                absl::StrCat(max, " is below min_publish (", min,
                             o.min_publish.has_value() ? ")" : ", from the channel)"));
  } else {
    const Value field = *map.Get("min_publish");
    errors_.Add(field.mark, field.path,
                absl::StrCat(min, " is above max_publish (", max, ", from the channel)"));
  }
}

void ConfigParser::CheckCount(const Value& v, size_t count, int64_t max, const char* what) {
  if (count == 0) {
    errors_.Add(v.mark, v.path, absl::StrCat("must list at least one ", what));
  } else if (static_cast<int64_t>(count) > max) {
    errors_.Add(v.mark, v.path,
                absl::StrCat("lists ", count, " entries; at most ", max, " are allowed"));
  }
}

int ConfigParser::LocationIndex(absl::string_view id) const {
  auto it = location_index_.find(id);
  return it == location_index_.end() ? -1 : it->second;
}
int ConfigParser::ChannelIndex(absl::string_view id) const {
  auto it = channel_index_.find(id);
  return it == channel_index_.end() ? -1 : it->second;
}

}  // namespace stockd::config::internal
