// ShopState's helpers: the clock, the cost bucket, times and cursors.
#include <algorithm>
#include <cstdio>

#include "tests/fakes/http_server.h"
#include "tests/fakes/shopify/fake_shopify_internal.h"

namespace stockd::fakes {
namespace {

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

std::string Unbase64(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) return "";
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::string ShopOrder::FulfillmentStatus() const {
  int64_t fulfilled = 0, open = 0;
  for (const ShopLine& l : lines) {
    fulfilled += l.fulfilled;
    open += l.quantity - l.removed - l.fulfilled;
  }
  if (fulfilled == 0) return "UNFULFILLED";
  return open == 0 ? "FULFILLED" : "PARTIALLY_FULFILLED";
}

int64_t ShopState::NowMs() const {
  const int64_t ms = clock_ms != 0 ? clock_ms
                                   : std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  return ms / 1000 * 1000;
}

void ShopState::RefillBucket() {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - bucket_at).count();
  available = std::min(bucket_size, available + seconds * restore_rate);
  bucket_at = now;
}

const ShopItem* ShopState::FindItem(int64_t id) const {
  const auto it = items.find(id);
  return it == items.end() ? nullptr : &it->second;
}
ShopItem* ShopState::FindItem(int64_t id) {
  const auto it = items.find(id);
  return it == items.end() ? nullptr : &it->second;
}

std::string IsoTime(int64_t ms, int offset_minutes) {
  const int64_t seconds = ms / 1000 + static_cast<int64_t>(offset_minutes) * 60;
  const int64_t days = (seconds >= 0 ? seconds : seconds - 86399) / 86400;
  const int64_t rest = seconds - days * 86400;
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  std::string out = buffer;
  if (offset_minutes == 0) return out + "Z";
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                a % 60);
  return out + buffer;
}

std::optional<int64_t> ParseIsoTime(const std::string& text) {
  int y, mo, d, h = 0, mi = 0, s = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    return std::nullopt;
  }
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &consumed) != 3 ||
        consumed != 8) {
      return std::nullopt;
    }
    pos += 9;
  }
  int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = 100;
    for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t offset = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  }
  if (pos != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  return ((DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) - offset * 60) * 1000 + ms;
}

std::string MakeCursor(int64_t id, const std::string& value) {
  return Base64(Json{{"last_id", id}, {"last_value", value}}.dump());
}

bool ReadCursor(const std::string& cursor, int64_t* id, std::string* value) {
  const Json j = Json::parse(Unbase64(cursor), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("last_id") || !j["last_id"].is_number_integer() ||
      !j.contains("last_value") || !j["last_value"].is_string()) {
    return false;
  }
  *id = j["last_id"].get<int64_t>();
  *value = j["last_value"].get<std::string>();
  if (!value->empty() && value->find_first_not_of("0123456789-") != std::string::npos) {
    return false;
  }
  return true;
}

}  // namespace stockd::fakes
