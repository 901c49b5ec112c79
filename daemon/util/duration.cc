#include "daemon/util/duration.h"

#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace stockd::util {
namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// User text in an error: control bytes escaped, cut to a readable length.
std::string Shown(absl::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return absl::CHexEscape(s);
  return absl::StrCat(absl::CHexEscape(s.substr(0, kMax)), "...");
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration '", Shown(text), "': ", why));
  };
  if (text.empty()) return invalid("empty; expected e.g. \"500ms\", \"30s\", \"15m\", \"24h\"");
  if (text[0] == '-') return invalid("must not be negative");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return invalid("expected an integer followed by ms, s, m, h or d");
  const absl::string_view unit = text.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = kMsPerSecond;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = kMsPerMinute;
  } else if (unit == "h") {
    scale = kMsPerHour;
  } else if (unit == "d") {
    scale = kMsPerDay;
  } else {
    return invalid(absl::StrCat("unknown unit '", Shown(unit), "'; expected ms, s, m, h or d"));
  }
  // Accumulate with an overflow check: the digits alone may exceed int64.
  int64_t value = 0;
  for (char c : text.substr(0, digits)) {
    const int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return invalid("too large");
    value = value * 10 + digit;
  }
  if (value > std::numeric_limits<int64_t>::max() / scale) return invalid("too large");
  return value * scale;
}

}  // namespace stockd::util
