#include "daemon/plugins/adapter_config.h"

#include <nlohmann/json.hpp>

namespace stockd::plugins {

absl::StatusOr<std::string> AdapterConfigWithChannel(const std::string& config_json,
                                                     const std::string& channel) {
  nlohmann::json config = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) {
    return absl::InvalidArgumentError("the adapter config is not a JSON object");
  }
  if (!config.contains("channel")) config["channel"] = channel;
  return config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace stockd::plugins
