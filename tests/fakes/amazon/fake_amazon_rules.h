// The validation rules FakeAmazon applies to listings data, shared by patchListingsItem and
// JSON_LISTINGS_FEED messages, as Amazon's models state them:
//   ListingsItemPatchRequest {productType (required string), patches (required, >= 1)}
//   PatchOperation {op: add|replace|merge|delete (required), path (required, a JSON pointer
//   to /attributes/<name>), value: array of objects (required except for delete)}
// and, for the attribute the adapter writes, the product type definition's constraints on
// fulfillment_availability [{fulfillment_channel_code (required), quantity (integer >= 0),
// lead_time_to_ship_max_days, restock_date, is_inventory_available, marketplace_id}].
//
// Thread safety: pure functions.
#ifndef STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_RULES_H_
#define STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_RULES_H_

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace stockd::fakes::amazon_fake {

// "" when `body` is a well-formed ListingsItemPatchRequest; otherwise what is wrong.
std::string PatchRequestProblem(const nlohmann::json& body);
// "" when `patches` is a well-formed array of PatchOperation; otherwise what is wrong.
std::string PatchesProblem(const nlohmann::json& patches);
// Amazon's attribute validation of well-formed `patches`: an array of Issue objects
// ({code, message, severity "ERROR", attributeNames, categories}); empty when valid.
nlohmann::json AttributeIssues(const nlohmann::json& patches);
// marketplaceIds of `query`: "" when every one is `known` (and, if `required`, there is
// one); otherwise the 400's details.
std::string CheckMarketplaces(const std::map<std::string, std::string>& query,
                              const std::vector<std::string>& known, bool required);

}  // namespace stockd::fakes::amazon_fake

#endif  // STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_RULES_H_
