// How WordPress (its REST server) and PHP read a request and word an error, for the fake
// WooCommerce shop (fake_woocommerce.h): WP_Error bodies, rest_invalid_param with its
// params and details, PHP's intval and parse_str, wc_string_to_bool, rest_parse_date,
// and the query parameter checks of a collection route.
//
// Thread safety: pure functions.
#ifndef STOCKD_TESTS_FAKES_WOOCOMMERCE_WORDPRESS_H_
#define STOCKD_TESTS_FAKES_WOOCOMMERCE_WORDPRESS_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/http_server.h"

namespace stockd::fakes::wp {

using Json = nlohmann::ordered_json;

// {"code": code, "message": message, "data": {"status": status, ...data}}.
Json ErrorBody(int status, const std::string& code, const std::string& message,
               const Json& data = Json::object());
HttpAnswer Error(int status, const std::string& code, const std::string& message,
                 const Json& data = Json::object());
// 404 rest_no_route.
HttpAnswer NoRoute();

// Collects invalid query parameters as WP_REST_Request::has_valid_params does.
class InvalidParams {
 public:
  void Add(const std::string& name, const std::string& code, const std::string& message);
  bool empty() const { return names_.empty(); }
  // 400 rest_invalid_param "Invalid parameter(s): a, b" with data.params and data.details.
  HttpAnswer Answer() const;

 private:
  std::vector<std::string> names_;
  Json params_ = Json::object();
  Json details_ = Json::object();
};

// The query parameters of a collection route, checked as the route's args schema does.
// Each returns the value (the default when absent) and records a failure.
int64_t IntegerParam(const std::map<std::string, std::string>& query, const std::string& name,
                     int64_t default_value, int64_t min, std::optional<int64_t> max,
                     InvalidParams* invalid);
bool BooleanParam(const std::map<std::string, std::string>& query, const std::string& name,
                  bool default_value, InvalidParams* invalid);
std::optional<int64_t> DateParam(const std::map<std::string, std::string>& query,
                                 const std::string& name, InvalidParams* invalid);
std::string EnumParam(const std::map<std::string, std::string>& query, const std::string& name,
                      const std::string& default_value, const std::vector<std::string>& values,
                      InvalidParams* invalid);
// wp_parse_id_list: "1,2 3" or include[]=1&include[]=2 (the map holds the last of those).
std::vector<int64_t> IdListParam(const std::map<std::string, std::string>& query,
                                 const std::string& name);

// PHP (int)$value: integers as they are, floats truncated, strings by their leading
// number ("12abc" 12, "x" 0, "7.9" 7), true 1, null and false 0, arrays 0 when empty else 1.
int64_t Intval(const Json& value);
// wc_string_to_bool: true, "yes", "true", "1" and the integer 1.
bool StringToBool(const Json& value);
// PHP's parse_str of a form body: a[b][]=1 nested into objects (list keys as "0", "1", ...).
Json ParseStr(const std::string& body);
// rest_parse_date: "2024-01-15T10:30:45[.fff][Z|+01:00]" -> Unix seconds (no zone: UTC,
// the fake site's timezone).
std::optional<int64_t> ParseDate(const std::string& text);
// "2024-01-15T10:30:45" (wc_rest_prepare_date_response).
std::string FormatDate(int64_t unix_seconds);
std::optional<std::string> Base64Decode(const std::string& text);

}  // namespace stockd::fakes::wp

#endif  // STOCKD_TESTS_FAKES_WOOCOMMERCE_WORDPRESS_H_
