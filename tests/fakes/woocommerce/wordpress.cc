// WordPress's and PHP's ways with a request, for the fake WooCommerce shop (wordpress.h).
#include "tests/fakes/woocommerce/wordpress.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

namespace stockd::fakes::wp {
namespace {

// PHP's is_numeric (leading whitespace allowed, trailing whitespace allowed as of PHP 8).
bool IsNumeric(const std::string& s, double* value) {
  size_t start = s.find_first_not_of(" \t\n\r\v\f");
  if (start == std::string::npos) return false;
  const char* begin = s.c_str() + start;
  const char first = *begin == '+' || *begin == '-' ? begin[1] : *begin;
  if (!((first >= '0' && first <= '9') || first == '.')) return false;  // no inf, nan
  if (first == '0' && (begin[1] == 'x' || begin[1] == 'X')) return false;
  char* end = nullptr;
  *value = std::strtod(begin, &end);
  if (end == begin) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' || *end == '\v' ||
         *end == '\f') {
    ++end;
  }
  return *end == '\0';
}

// "a, b, and c" (wp_sprintf_l).
std::string ListText(const std::vector<std::string>& values) {
  if (values.size() == 1) return values[0];
  if (values.size() == 2) return values[0] + " and " + values[1];
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += values[i];
    if (i + 2 < values.size()) out += ", ";
    if (i + 2 == values.size()) out += ", and ";
  }
  return out;
}

int Digits(const std::string& s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

Json ErrorBody(int status, const std::string& code, const std::string& message, const Json& data) {
  Json body = {{"code", code}, {"message", message}, {"data", {{"status", status}}}};
  for (auto it = data.begin(); it != data.end(); ++it) body["data"][it.key()] = it.value();
  return body;
}

HttpAnswer Error(int status, const std::string& code, const std::string& message,
                 const Json& data) {
  return HttpAnswer::Json(status, ErrorBody(status, code, message, data).dump());
}

HttpAnswer NoRoute() {
  return Error(404, "rest_no_route", "No route was found matching the URL and request method.");
}

void InvalidParams::Add(const std::string& name, const std::string& code,
                        const std::string& message) {
  if (params_.contains(name)) return;
  names_.push_back(name);
  params_[name] = message;
  details_[name] = {{"code", code}, {"message", message}, {"data", nullptr}};
}

HttpAnswer InvalidParams::Answer() const {
  std::string list;
  for (const std::string& n : names_) list += (list.empty() ? "" : ", ") + n;
  return Error(400, "rest_invalid_param", "Invalid parameter(s): " + list,
               {{"params", params_}, {"details", details_}});
}

int64_t IntegerParam(const std::map<std::string, std::string>& query, const std::string& name,
                     int64_t default_value, int64_t min, std::optional<int64_t> max,
                     InvalidParams* invalid) {
  const auto it = query.find(name);
  if (it == query.end()) return default_value;
  double value = 0;
  if (!IsNumeric(it->second, &value) || std::round(value) != value) {
    invalid->Add(name, "rest_invalid_type", name + " is not of type integer.");
    return default_value;
  }
  const auto n = static_cast<int64_t>(value);
  if (max.has_value() && (n < min || n > *max)) {
    invalid->Add(name, "rest_out_of_bounds",
                 name + " must be between " + std::to_string(min) + " (inclusive) and " +
                     std::to_string(*max) + " (inclusive)");
    return default_value;
  }
  if (n < min) {
    invalid->Add(name, "rest_out_of_bounds",
                 name + " must be greater than or equal to " + std::to_string(min));
    return default_value;
  }
  return n;
}

bool BooleanParam(const std::map<std::string, std::string>& query, const std::string& name,
                  bool default_value, InvalidParams* invalid) {
  const auto it = query.find(name);
  if (it == query.end()) return default_value;
  std::string v = it->second;
  for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0" || v.empty()) return false;
  invalid->Add(name, "rest_invalid_type", name + " is not of type boolean.");
  return default_value;
}

std::optional<int64_t> DateParam(const std::map<std::string, std::string>& query,
                                 const std::string& name, InvalidParams* invalid) {
  const auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  const std::optional<int64_t> t = ParseDate(it->second);
  if (!t) invalid->Add(name, "rest_invalid_date", "Invalid date.");
  return t;
}

std::string EnumParam(const std::map<std::string, std::string>& query, const std::string& name,
                      const std::string& default_value, const std::vector<std::string>& values,
                      InvalidParams* invalid) {
  const auto it = query.find(name);
  if (it == query.end()) return default_value;
  for (const std::string& v : values) {
    if (v == it->second) return v;
  }
  invalid->Add(name, "rest_not_in_enum", name + " is not one of " + ListText(values) + ".");
  return default_value;
}

std::vector<int64_t> IdListParam(const std::map<std::string, std::string>& query,
                                 const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) it = query.find(name + "[]");
  std::vector<int64_t> out;
  if (it == query.end()) return out;
  std::string part;
  const auto flush = [&] {
    if (!part.empty()) {
      const int64_t id = std::llabs(Intval(Json(part)));  // absint
      if (id != 0) out.push_back(id);
    }
    part.clear();
  };
  for (char c : it->second) {
    if (c == ',' || c == ' ') {
      flush();
    } else {
      part += c;
    }
  }
  flush();
  return out;
}

int64_t Intval(const Json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return 0;  // PHP 8: undefined
    return static_cast<int64_t>(d);
  }
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_array() || value.is_object()) return value.empty() ? 0 : 1;
  if (!value.is_string()) return 0;
  const std::string s = value.get<std::string>();
  const size_t start = s.find_first_not_of(" \t\n\r\v\f");
  if (start == std::string::npos) return 0;
  const char* begin = s.c_str() + start;
  const char first = *begin == '+' || *begin == '-' ? begin[1] : *begin;
  if (!((first >= '0' && first <= '9') || first == '.')) return 0;
  if (first == '0' && (begin[1] == 'x' || begin[1] == 'X')) {
    return 0;  // PHP reads "0x1A" as 0
  }
  char* end = nullptr;
  const double d = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return 0;
  return static_cast<int64_t>(d);
}

bool StringToBool(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<int64_t>() == 1;
  if (!value.is_string()) return false;
  std::string s = value.get<std::string>();
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s == "yes" || s == "true" || s == "1";
}

Json ParseStr(const std::string& body) {
  Json out = Json::object();
  size_t start = 0;
  while (start <= body.size()) {
    const size_t amp = std::min(body.find('&', start), body.size());
    const std::string pair = body.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::optional<std::string> raw_key = UrlDecode(pair.substr(0, eq));
    const std::optional<std::string> value =
        eq == std::string::npos ? std::optional<std::string>("") : UrlDecode(pair.substr(eq + 1));
    if (!raw_key || !value || raw_key->empty()) continue;
    // "a[b][]" -> base "a", segments "b", "".
    const std::string& key = *raw_key;
    const size_t bracket = key.find('[');
    std::vector<std::string> path = {key.substr(0, bracket)};
    size_t at = bracket;
    while (at != std::string::npos && at < key.size() && key[at] == '[') {
      const size_t close = key.find(']', at);
      if (close == std::string::npos) break;
      path.push_back(key.substr(at + 1, close - at - 1));
      at = close + 1;
    }
    Json* node = &out;
    for (size_t i = 0; i < path.size(); ++i) {
      std::string segment = path[i];
      if (!node->is_object()) *node = Json::object();
      if (segment.empty()) segment = std::to_string(node->size());  // "[]" appends
      if (i + 1 == path.size()) {
        (*node)[segment] = *value;
      } else {
        node = &(*node)[segment];
      }
    }
  }
  return out;
}

std::optional<int64_t> ParseDate(const std::string& s) {
  const int year = Digits(s, 0, 4), month = Digits(s, 5, 2), day = Digits(s, 8, 2);
  const int hour = Digits(s, 11, 2), minute = Digits(s, 14, 2), second = Digits(s, 17, 2);
  if (s.size() < 19 || year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 || s[4] != '-' ||
      s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  size_t at = 19;
  if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
    ++at;
    const size_t digits = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
    if (at == digits) return std::nullopt;
  }
  int64_t offset = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int oh = Digits(s, at + 1, 2);
    if (oh < 0) return std::nullopt;
    int om = 0;
    size_t next = at + 3;
    if (next < s.size() && s[next] == ':') {
      om = Digits(s, next + 1, 2);
      next += 3;
    } else if (next < s.size()) {
      om = Digits(s, next, 2);
      next += 2;
    }
    if (om < 0) return std::nullopt;
    offset = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at = next;
  }
  if (at != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

std::string FormatDate(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return buffer;
}

std::optional<std::string> Base64Decode(const std::string& text) {
  std::string out;
  int bits = 0;
  uint32_t buffer = 0;
  size_t padding = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      ++padding;
      continue;
    } else {
      return std::nullopt;
    }
    if (padding != 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace stockd::fakes::wp
