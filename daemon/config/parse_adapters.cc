// Parsing a channel's `adapter` (channels[].adapter; keys and bounds: schema.h). The
// plugin itself is not loaded here: config does not depend on push (stockd
// --check-config asks the push layer to validate each adapter's config).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/config/parser.h"
#include "daemon/config/yaml_json.h"

namespace stockd::config::internal {

using yaml::BoundedJsonWriter;
using yaml::Describe;
using yaml::MapReader;
using yaml::ReadString;
using yaml::Truncated;

void ConfigParser::ParseAdapter(const Value& v, const std::string& channel) {
  MapReader map(v, schema::Adapter().names(), errors_);
  AdapterConfig a;
  a.channel = channel;
  a.origin = absl::StrCat(errors_.source(), ":", v.mark.line + 1);
  a.plugin_origin = errors_.Where(v.mark, map.Child("plugin"));
  a.config_origin = errors_.Where(v.mark, map.Child("config"));
  if (auto plugin_value = map.Require("plugin")) {
    a.plugin_origin = errors_.Where(plugin_value->mark, plugin_value->path);
    if (auto plugin = ReadString(*plugin_value, errors_)) {
      const bool ok = !plugin->empty() && plugin->size() <= 64 &&
                      std::all_of(plugin->begin(), plugin->end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                      });
      if (ok) {
        a.plugin = *plugin;
      } else {
        errors_.Add(
            plugin_value->mark, plugin_value->path,
            absl::StrCat("'", Truncated(*plugin), "': a plugin name is 1-64 bytes of [a-z0-9_]"));
      }
    }
  }
  a.config_json = "{}";
  if (auto c = map.Get("config")) {
    a.config_origin = errors_.Where(c->mark, c->path);
    if (c->node.IsMap()) {
      BoundedJsonWriter json(schema::Adapter().Key("config").max, kMaxAdapterConfigDepth);
      if (json.Write(c->node)) {
        if (json.text().size() > adapter_json_bytes_left_) {
          errors_.Add(c->mark, c->path,
                      absl::StrCat("with the adapter configs before it, more than ",
                                   kMaxAdapterConfigsJsonBytes,
                                   " bytes of JSON (16 MiB, all adapters together)"));
        } else {
          adapter_json_bytes_left_ -= json.text().size();
          a.config_json = std::move(json.text());
        }
      } else {
        // Too large: the config as a whole is (named where the count stopped); too
        // deep: the node that is.
        const BoundedJsonWriter::Problem& p = json.problem();
        if (p.too_large) {
          errors_.Add(c->mark, c->path,
                      absl::StrCat(p.what, " (stopped counting at ", c->path, p.where, ")"));
        } else {
          errors_.Add(p.mark.is_null() ? c->mark : p.mark, absl::StrCat(c->path, p.where), p.what);
        }
      }
    } else if (!c->node.IsNull()) {
      errors_.Add(c->mark, c->path, absl::StrCat("expected a mapping, got ", Describe(c->node)));
    }
  }
  // max_batch, rate_limit, burst and the durations
  ReadFields(map, schema::Adapter(), a);
  if (auto file = map.String("listings")) a.listings_file = *file;
  if (a.retry_max_ms < a.retry_initial_ms) {
    errors_.Add(v.mark, v.path, "retry_max is below retry_initial");
  }
  config_.adapters.push_back(std::move(a));
}

}  // namespace stockd::config::internal
