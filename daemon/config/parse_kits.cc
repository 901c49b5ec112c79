// kits: (docs/kits.md). Each entry names a kit SKU and its components; every rule the
// engine enforces (engine/kits.h ValidateKits) is reported here first, at file:line:
// a kit defined twice, a component listed twice in one kit, a component that is itself a
// kit (also the kit itself), qty outside 1..10,000, no components or more than 64.
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/parser.h"

namespace stockd::config::internal {

using yaml::MapReader;
using yaml::ReadSequence;
using Value = yaml::Value;

void ConfigParser::ParseKits(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  const int64_t max_kits = schema::Root().Key("kits").max;
  if (static_cast<int64_t>(items.size()) > max_kits) {
    errors_.Add(
        v.mark, v.path,
        absl::StrCat("lists ", items.size(), " entries; at most ", max_kits, " are allowed"));
    return;
  }
  absl::flat_hash_map<std::string, std::string> first_at;  // kit sku -> "kits[i] (line n)"
  // Every component's value, to judge "is a kit" once every kit is known.
  std::vector<std::pair<Value, std::string>> component_skus;
  for (const Value& item : items) {
    MapReader map(item, schema::Kits().names(), errors_);
    engine::Kit kit;
    kit.origin = absl::StrCat(errors_.source(), ":", item.mark.line + 1);
    if (auto sku_value = map.Require("sku")) {
      if (auto sku = ReadId(*sku_value)) {
        auto [first, inserted] = first_at.emplace(
            *sku, absl::StrCat(item.path, " (line ", sku_value->mark.line + 1, ")"));
        if (!inserted) {
          errors_.Add(sku_value->mark, sku_value->path,
                      absl::StrCat("kit '", *sku, "' is defined twice; first at ", first->second));
        }
        kit.sku = *sku;
      }
    }
    if (auto list = map.Require("components")) {
      std::vector<Value> components = ReadSequence(*list, errors_);
      if (list->node.IsSequence()) {
        CheckCount(*list, components.size(), schema::Kits().Key("components").max, "component");
      }
      absl::flat_hash_map<std::string, int> seen;  // component sku -> line
      for (const Value& entry : components) {
        MapReader component_map(entry, schema::KitComponents().names(), errors_);
        engine::KitComponent component;
        ReadFields(component_map, schema::KitComponents(), component);  // qty
        if (auto sku_value = component_map.Require("sku")) {
          if (auto sku = ReadId(*sku_value)) {
            auto [first, inserted] = seen.emplace(*sku, sku_value->mark.line + 1);
            if (!inserted) {
              errors_.Add(
                  sku_value->mark, sku_value->path,
                  absl::StrCat("component '", *sku, "' is listed twice in kit '", kit.sku,
                               "' (first at line ", first->second, "); give it once with its qty"));
            }
            component_skus.emplace_back(*sku_value, *sku);
            component.sku = *sku;
          }
        }
        kit.components.push_back(std::move(component));
      }
    }
    config_.model.kits.push_back(std::move(kit));
  }
  for (const auto& [value, sku] : component_skus) {
    if (auto it = first_at.find(sku); it != first_at.end()) {
      errors_.Add(value.mark, value.path,
                  absl::StrCat("component '", sku, "' is a kit (", it->second,
                               "); a kit cannot contain a kit: list that kit's components"));
    }
  }
}

}  // namespace stockd::config::internal
