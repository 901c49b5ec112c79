// The shapes of eBay's answers for the fake (fake_ebay.h): the REST error object and its
// common instances, and eBay's UTC timestamps. Written apart from the adapter's own code
// (adapters/ebay/ebay_api.cc), so that a test compares two readings of the API.
//
// Thread safety: pure functions.
#ifndef STOCKD_TESTS_FAKES_EBAY_EBAY_ANSWERS_H_
#define STOCKD_TESTS_FAKES_EBAY_EBAY_ANSWERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/http_server.h"

namespace stockd::fakes::ebay_answers {

using Params = std::vector<std::pair<std::string, std::string>>;

// One entry of eBay's "errors" array.
nlohmann::ordered_json Error(int64_t error_id, const std::string& domain,
                             const std::string& category, const std::string& message,
                             const std::string& long_message = "", const Params& params = {});
// {"errors":[error]} with `status`.
HttpAnswer ErrorAnswer(int status, const nlohmann::ordered_json& error);

// The Inventory API's errors ("API_INVENTORY", subdomain "Selling").
nlohmann::ordered_json InventoryError(int64_t error_id, const std::string& message,
                                      const Params& params = {});
// 400 errorId 2004: eBay's JSON binding could not read `field` as the type it has.
HttpAnswer CannotSerialize(const std::string& field);

std::string FormatIso(int64_t epoch_ms);                   // 2026-01-02T03:04:05.678Z
std::optional<int64_t> ParseIso(const std::string& text);  // that format (Z, 3 digits) only

}  // namespace stockd::fakes::ebay_answers

#endif  // STOCKD_TESTS_FAKES_EBAY_EBAY_ANSWERS_H_
