#include "tests/fakes/ebay/ebay_answers.h"

#include <cstdio>
#include <ctime>

namespace stockd::fakes::ebay_answers {

nlohmann::ordered_json Error(int64_t error_id, const std::string& domain,
                             const std::string& category, const std::string& message,
                             const std::string& long_message, const Params& params) {
  nlohmann::ordered_json e = {
      {"errorId", error_id}, {"domain", domain}, {"category", category}, {"message", message}};
  if (!long_message.empty()) e["longMessage"] = long_message;
  if (!params.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& [name, value] : params) list.push_back({{"name", name}, {"value", value}});
    e["parameters"] = std::move(list);
  }
  return e;
}

HttpAnswer ErrorAnswer(int status, const nlohmann::ordered_json& error) {
  const nlohmann::ordered_json body = {{"errors", nlohmann::ordered_json::array({error})}};
  return HttpAnswer::Json(status, body.dump());
}

nlohmann::ordered_json InventoryError(int64_t error_id, const std::string& message,
                                      const Params& params) {
  nlohmann::ordered_json e = {
      {"errorId", error_id},
      {"domain", "API_INVENTORY"},
      {"subdomain", "Selling"},
      {"category", error_id == 25001 || error_id == 25025 ? "APPLICATION" : "REQUEST"},
      {"message", message}};
  if (!params.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& [name, value] : params) list.push_back({{"name", name}, {"value", value}});
    e["parameters"] = std::move(list);
  }
  return e;
}

HttpAnswer CannotSerialize(const std::string& field) {
  return ErrorAnswer(400, Error(2004, "ACCESS", "REQUEST", "Invalid request",
                                "The request has errors. For help, see the documentation for "
                                "this API.",
                                {{"reason", "Could not serialize field [" + field + "]"}}));
}

std::string FormatIso(int64_t epoch_ms) {
  const time_t seconds = static_cast<time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buffer;
}

std::optional<int64_t> ParseIso(const std::string& text) {
  int year, month, day, hour, minute, second, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  int millis = 0;
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    if (pos + 4 > text.size()) return std::nullopt;
    for (size_t i = pos + 1; i < pos + 4; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      millis = millis * 10 + (text[i] - '0');
    }
    pos += 4;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace stockd::fakes::ebay_answers
