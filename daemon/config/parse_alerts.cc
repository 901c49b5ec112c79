// alerts: and reorder: (docs/alerts.md). Every rule the engine enforces
// (engine/alerts.h ValidateAlerts) is reported here first, at file:line: a rule with a
// fixed point and lead/cover days, a rule with neither, an unknown location, a malformed
// SKU pattern.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/parser.h"

namespace stockd::config::internal {

using yaml::MapReader;
using yaml::ReadSequence;
using yaml::ReadString;
using yaml::Truncated;
using Value = yaml::Value;

void ConfigParser::ParseAlerts(const Value& v) {
  MapReader map(v, schema::Alerts().names(), errors_);
  ReadFields(map, schema::Alerts(), config_);
  if (std::optional<bool> enabled = map.Bool("enabled")) config_.model.alerts.enabled = *enabled;
}

void ConfigParser::ParseReorder(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  const int64_t max_rules = schema::Root().Key("reorder").max;
  if (static_cast<int64_t>(items.size()) > max_rules) {
    errors_.Add(
        v.mark, v.path,
        absl::StrCat("lists ", items.size(), " entries; at most ", max_rules, " are allowed"));
    return;
  }
  for (const Value& item : items) {
    MapReader map(item, schema::Reorder().names(), errors_);
    engine::ReorderRule rule;
    rule.origin = absl::StrCat(errors_.source(), ":", item.mark.line + 1);
    if (auto sku_value = map.Require("skus")) {
      if (auto pattern = ReadString(*sku_value, errors_)) {
        if (std::string problem = CheckSkuPattern(*pattern); !problem.empty()) {
          errors_.Add(sku_value->mark, sku_value->path,
                      absl::StrCat("invalid SKU pattern '", Truncated(*pattern), "': ", problem));
        }
        rule.pattern = *pattern;
      }
    }
    ReadFields(map, schema::Reorder(), rule);  // point, total_point, lead_time_days, cover_days
    if (auto list = map.Get("locations")) {
      for (const Value& entry : ReadSequence(*list, errors_)) {
        std::optional<std::string> id = ReadString(entry, errors_);
        if (!id) continue;
        const int index = LocationIndex(*id);
        if (index < 0) {
          errors_.Add(entry.mark, entry.path,
                      absl::StrCat("unknown location '", Truncated(*id), "'"));
        } else {
          rule.locations.push_back(index);
        }
      }
    }
    // A point given with an invalid value was reported as such: it still counts as given.
    const bool fixed = map.Get("point").has_value() || map.Get("total_point").has_value();
    const bool days = rule.lead_time_days > 0 || rule.cover_days > 0;
    if (fixed && days) {
      errors_.Add(item.mark, item.path,
                  "give either a fixed point (point, total_point) or lead_time_days and "
                  "cover_days, not both");
    } else if (!fixed && !days) {
      errors_.Add(item.mark, item.path,
                  "the rule gives no reorder point: set point or total_point, or "
                  "lead_time_days + cover_days > 0");
    }
    config_.model.reorder.push_back(std::move(rule));
  }
}

}  // namespace stockd::config::internal
