#include "daemon/engine/model.h"

namespace stockd::engine {

const char* LocationTypeName(LocationType type) {
  switch (type) {
    case LocationType::kWarehouse:
      return "warehouse";
    case LocationType::kStore:
      return "store";
  }
  return "?";
}

const char* ChannelTypeName(ChannelType type) {
  switch (type) {
    case ChannelType::kWebshop:
      return "webshop";
    case ChannelType::kMarketplace:
      return "marketplace";
    case ChannelType::kStore:
      return "store";
  }
  return "?";
}

int Model::LocationIndex(std::string_view id) const {
  for (size_t i = 0; i < locations.size(); ++i) {
    if (locations[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

int Model::ChannelIndex(std::string_view id) const {
  for (size_t i = 0; i < channels.size(); ++i) {
    if (channels[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

bool IsValidId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '/' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

// Matches one byte against a "[...]" set starting at pattern[p] == '['. Sets `end` to the
// index after ']'. A set without ']' is treated as a literal '['.
bool MatchSet(std::string_view pattern, size_t p, char ch, size_t* end) {
  size_t i = p + 1;
  bool matched = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      if (ch >= pattern[i] && ch <= pattern[i + 2]) matched = true;
      i += 3;
    } else {
      if (ch == pattern[i]) matched = true;
      ++i;
    }
  }
  if (i >= pattern.size()) {  // unterminated: literal '['
    *end = p + 1;
    return ch == '[';
  }
  *end = i + 1;
  return matched;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking: O(|pattern| * |text|) worst case.
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        size_t end = 0;
        if (MatchSet(pattern, p, text[t], &end)) {
          p = end;
          ++t;
          continue;
        }
      } else if (pc == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace stockd::engine
