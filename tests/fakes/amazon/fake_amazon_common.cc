// FakeAmazon's shared answers and helpers (amazon_fake:: in fake_amazon.h): SP-API error
// bodies, ISO 8601 times, path segments.
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "tests/fakes/amazon/fake_amazon.h"

namespace stockd::fakes {

using Json = nlohmann::json;

namespace amazon_fake {

HttpAnswer Errors(int status, const std::string& code, const std::string& message,
                  const std::string& details) {
  const Json body = {
      {"errors", Json::array({{{"code", code}, {"message", message}, {"details", details}}})}};
  return HttpAnswer::Json(status, body.dump());
}

HttpAnswer InvalidInput(const std::string& details) {
  return Errors(400, "InvalidInput",
                "Request has missing or invalid parameters and cannot be parsed.", details);
}

std::string Iso8601(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::optional<int64_t> ParseIso8601(const std::string& s) {
  int year, month, day, hour, minute, second, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &n) != 6 ||
      n != 19 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100;
    const size_t start = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10) {
      ms += (s[pos] - '0') * scale;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos + 1 == s.size() && s[pos] == 'Z') {
    pos += 1;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    const int oh = std::atoi(s.substr(pos + 1, 2).c_str());
    const int om = std::atoi(s.substr(pos + 4, 2).c_str());
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return (static_cast<int64_t>(timegm(&tm)) - offset) * 1000 + ms;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> DecodeSegment(const std::string& segment) {
  std::string plus_kept;
  for (char c : segment) plus_kept += c == '+' ? std::string("%2B") : std::string(1, c);
  return UrlDecode(plus_kept);
}

}  // namespace amazon_fake

}  // namespace stockd::fakes
