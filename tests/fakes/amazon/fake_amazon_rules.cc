#include "tests/fakes/amazon/fake_amazon_rules.h"

#include <cstdint>
#include <set>

namespace stockd::fakes::amazon_fake {

using Json = nlohmann::json;

namespace {

constexpr char kAttributesPrefix[] = "/attributes/";

const std::set<std::string> kAvailabilityFields = {"fulfillment_channel_code",   "quantity",
                                                   "lead_time_to_ship_max_days", "restock_date",
                                                   "is_inventory_available",     "marketplace_id"};

Json Issue(const std::string& code, const std::string& message, const std::string& category) {
  return {{"code", code},
          {"message", message},
          {"severity", "ERROR"},
          {"attributeNames", Json::array({"fulfillment_availability"})},
          {"categories", Json::array({category})}};
}

}  // namespace

std::string PatchesProblem(const Json& patches) {
  if (!patches.is_array() || patches.empty()) return "patches must be a non-empty array";
  static const std::set<std::string> kOps = {"add", "replace", "merge", "delete"};
  for (size_t i = 0; i < patches.size(); ++i) {
    const Json& p = patches[i];
    const std::string where = "patches[" + std::to_string(i) + "]";
    if (!p.is_object()) return where + " must be an object";
    for (auto it = p.begin(); it != p.end(); ++it) {
      if (it.key() != "op" && it.key() != "path" && it.key() != "value") {
        return where + " has an unknown member \"" + it.key() + "\"";
      }
    }
    if (!p.contains("op") || !p["op"].is_string() || kOps.count(p["op"].get<std::string>()) == 0) {
      return where + ".op must be add, replace, merge or delete";
    }
    if (!p.contains("path") || !p["path"].is_string()) return where + ".path is required";
    const std::string path = p["path"].get<std::string>();
    if (path.rfind(kAttributesPrefix, 0) != 0 || path.size() == sizeof kAttributesPrefix - 1 ||
        path.find('/', sizeof kAttributesPrefix - 1) != std::string::npos) {
      return where + ".path must be /attributes/<name>, got \"" + path + "\"";
    }
    if (!p.contains("value")) {
      if (p["op"] != "delete") return where + ".value is required";
      continue;
    }
    if (!p["value"].is_array()) return where + ".value must be an array";
    for (const Json& v : p["value"]) {
      if (!v.is_object()) return where + ".value must be an array of objects";
    }
  }
  return "";
}

std::string PatchRequestProblem(const Json& body) {
  if (!body.is_object()) return "the body must be a JSON object";
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "productType" && it.key() != "patches") {
      return "unknown member \"" + it.key() + "\"";
    }
  }
  if (!body.contains("productType") || !body["productType"].is_string() ||
      body["productType"].get<std::string>().empty()) {
    return "productType is required";
  }
  if (!body.contains("patches")) return "patches is required";
  return PatchesProblem(body["patches"]);
}

Json AttributeIssues(const Json& patches) {
  Json issues = Json::array();
  for (const Json& p : patches) {
    if (p["path"] != "/attributes/fulfillment_availability" || p["op"] == "delete" ||
        !p.contains("value")) {
      continue;
    }
    for (const Json& v : p["value"]) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (kAvailabilityFields.count(it.key()) == 0) {
          issues.push_back(Issue("4000001",
                                 "The provided value for 'fulfillment_availability' is invalid: "
                                 "'" +
                                     it.key() + "' is not one of its fields.",
                                 "INVALID_ATTRIBUTE"));
        }
      }
      if (!v.contains("fulfillment_channel_code") || !v["fulfillment_channel_code"].is_string() ||
          v["fulfillment_channel_code"].get<std::string>().empty()) {
        issues.push_back(Issue("90220", "'fulfillment_channel_code' is required but not supplied.",
                               "MISSING_ATTRIBUTE"));
      }
      if (!v.contains("quantity")) continue;
      const Json& q = v["quantity"];
      if (!q.is_number_integer() || (q.is_number_unsigned() && q.get<uint64_t>() > 2147483647ull)) {
        issues.push_back(
            Issue("4000001", "The provided value for 'Quantity' is invalid.", "INVALID_ATTRIBUTE"));
      } else if (q.get<int64_t>() < 0) {
        issues.push_back(Issue("90004114",
                               "Value for 'Quantity' is lesser than the required minimum '0'.",
                               "INVALID_ATTRIBUTE"));
      } else if (q.get<int64_t>() > 2147483647) {
        issues.push_back(
            Issue("4000001", "The provided value for 'Quantity' is invalid.", "INVALID_ATTRIBUTE"));
      }
    }
  }
  return issues;
}

}  // namespace stockd::fakes::amazon_fake
