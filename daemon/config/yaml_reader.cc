// Typed YAML access for the config parser (yaml_reader.h).
#include "daemon/config/yaml_reader.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/util/duration.h"

namespace stockd::config::yaml {
namespace {

constexpr char kIntTag[] = "tag:yaml.org,2002:int";
constexpr char kStrTag[] = "tag:yaml.org,2002:str";

bool IsPlainOrTagged(const YAML::Node& node, const char* tag) {
  return node.Tag() == "?" || node.Tag() == tag;
}

// Parses [+-]?[0-9]+ into an int64; nullopt on anything else or on overflow.
std::optional<int64_t> ParseDecimal(absl::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    // Accumulate negatively so that INT64_MIN is representable.
    if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) return std::nullopt;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == std::numeric_limits<int64_t>::min()) return std::nullopt;
    value = -value;
  }
  return value;
}

std::string BoundsText(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max()) return absl::StrCat("at least ", min);
  return absl::StrCat("between ", min, " and ", max);
}

}  // namespace

// ---------------------------------------------------------------- ErrorList

void ErrorList::Add(const YAML::Mark& mark, absl::string_view path, absl::string_view what) {
  if (out_of_values_) return;  // what follows would only be consequences of it
  if (entries_.size() >= kMaxReportedErrors) {
    ++unreported_;
    return;
  }
  Append(mark, path, what);
}

bool ErrorList::TakeValues(size_t count, const YAML::Mark& mark, absl::string_view path) {
  if (out_of_values_) return false;
  if (count <= values_left_) {
    values_left_ -= count;
    return true;
  }
  Append(mark, path,  // reported even beyond kMaxReportedErrors
         absl::StrCat("the document holds more than ", kMaxDocumentValues,
                      " values once YAML aliases (*name) are expanded; stopped reading here"));
  out_of_values_ = true;
  return false;
}

absl::Status ErrorList::ToStatus() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string> lines;
  lines.reserve(sorted.size() + 1);
  for (const Entry& e : sorted) lines.push_back(e.text);
  if (unreported_ > 0) {
    lines.push_back(absl::StrCat(source_, ": ", unreported_, " more errors not shown (at most ",
                                 kMaxReportedErrors, " are reported)"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

std::string ErrorList::Where(const YAML::Mark& mark, absl::string_view path) const {
  // yaml-cpp marks are 0-based; a null mark (no position known) reads as 1:1.
  const int line = mark.is_null() ? 1 : mark.line + 1;
  const int column = mark.is_null() ? 1 : mark.column + 1;
  return absl::StrCat(source_, ":", line, ":", column, ": ", path);
}

void ErrorList::Append(const YAML::Mark& mark, absl::string_view path, absl::string_view what) {
  const int line = mark.is_null() ? 1 : mark.line + 1;
  const int column = mark.is_null() ? 1 : mark.column + 1;
  entries_.push_back({line, column, absl::StrCat(Where(mark, path), ": ", what)});
}

// ---------------------------------------------------------------- text

std::string Printable(absl::string_view s) { return absl::CHexEscape(s); }

std::string Truncated(absl::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return Printable(s);
  return absl::StrCat(Printable(s.substr(0, kMax)), "...");
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing (null)";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  if (node.Tag() == "!") {
    return absl::StrCat("the quoted string \"", Truncated(node.Scalar()), "\"");
  }
  return absl::StrCat("'", Truncated(node.Scalar()), "'");
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  if (ms % kMsPerDay == 0) return absl::StrCat(ms / kMsPerDay, "d");
  if (ms % kMsPerHour == 0) return absl::StrCat(ms / kMsPerHour, "h");
  if (ms % kMsPerMinute == 0) return absl::StrCat(ms / kMsPerMinute, "m");
  if (ms % kMsPerSecond == 0) return absl::StrCat(ms / kMsPerSecond, "s");
  return absl::StrCat(ms, "ms");
}

// ---------------------------------------------------------------- typed readers

std::optional<int64_t> ReadInt(const Value& v, int64_t min, int64_t max, ErrorList& errors) {
  std::optional<int64_t> n;
  if (v.node.IsScalar() && IsPlainOrTagged(v.node, kIntTag)) n = ParseDecimal(v.node.Scalar());
  if (!n.has_value()) {
    // A plain scalar made only of a sign and digits failed by overflow, not by type.
    const std::string& s = v.node.IsScalar() ? v.node.Scalar() : std::string();
    const bool digits = v.node.IsScalar() && v.node.Tag() == "?" && !s.empty() &&
                        s.find_first_not_of("+-0123456789") == std::string::npos;
    errors.Add(v.mark, v.path,
               digits ? absl::StrCat("integer '", Truncated(s), "' is out of range (must be ",
                                     BoundsText(min, max), ")")
                      : absl::StrCat("expected an integer, got ", Describe(v.node)));
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    errors.Add(v.mark, v.path,
               min == 0 && *n < 0 ? absl::StrCat("must not be negative, got ", *n)
                                  : absl::StrCat("must be ", BoundsText(min, max), ", got ", *n));
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> ReadDuration(const Value& v, int64_t min_ms, int64_t max_ms,
                                    ErrorList& errors) {
  if (!v.node.IsScalar() ||
      !(IsPlainOrTagged(v.node, kIntTag) || v.node.Tag() == "!" || v.node.Tag() == kStrTag)) {
    errors.Add(v.mark, v.path,
               absl::StrCat("expected a duration such as \"15m\", got ", Describe(v.node)));
    return std::nullopt;
  }
  absl::StatusOr<int64_t> ms = util::ParseDurationMs(v.node.Scalar());
  if (!ms.ok()) {
    errors.Add(v.mark, v.path, ms.status().message());
    return std::nullopt;
  }
  if (*ms < min_ms || *ms > max_ms) {
    errors.Add(v.mark, v.path,
               absl::StrCat("must be between ", FormatDuration(min_ms), " and ",
                            FormatDuration(max_ms), ", got ", Truncated(v.node.Scalar())));
    return std::nullopt;
  }
  return *ms;
}

std::optional<std::string> ReadString(const Value& v, ErrorList& errors) {
  if (!v.node.IsScalar()) {
    errors.Add(v.mark, v.path, absl::StrCat("expected a string, got ", Describe(v.node)));
    return std::nullopt;
  }
  return v.node.Scalar();
}

std::vector<Value> ReadSequence(const Value& v, ErrorList& errors) {
  std::vector<Value> items;
  if (!v.node.IsSequence()) {
    errors.Add(v.mark, v.path, absl::StrCat("expected a sequence, got ", Describe(v.node)));
    return items;
  }
  if (!errors.TakeValues(v.node.size(), v.mark, v.path)) return items;
  items.reserve(v.node.size());
  int index = 0;
  for (YAML::const_iterator it = v.node.begin(); it != v.node.end(); ++it, ++index) {
    YAML::Node item = *it;
    YAML::Mark mark = item.IsNull() || item.Mark().is_null() ? v.mark : item.Mark();
    items.push_back({item, mark, absl::StrCat(v.path, "[", index, "]")});
  }
  return items;
}

std::vector<Entry> ReadEntries(const Value& v, ErrorList& errors, bool* is_map) {
  std::vector<Entry> entries;
  if (is_map != nullptr) *is_map = v.node.IsMap() || v.node.IsNull();
  if (v.node.IsNull()) return entries;
  if (!v.node.IsMap()) {
    errors.Add(v.mark, v.path, absl::StrCat("expected a mapping, got ", Describe(v.node)));
    return entries;
  }
  if (!errors.TakeValues(v.node.size(), v.mark, v.path)) return entries;
  absl::flat_hash_map<std::string, YAML::Mark> seen;
  for (YAML::const_iterator it = v.node.begin(); it != v.node.end(); ++it) {
    // Copies: `it->first` is a member of a temporary the iterator's operator-> returns,
    // gone at the end of the statement (a reference to it dangles).
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      errors.Add(key.Mark(), v.path, absl::StrCat("keys must be strings, got ", Describe(key)));
      continue;
    }
    const std::string key_text = Printable(key.Scalar());
    std::string path = v.path.empty() ? key_text : absl::StrCat(v.path, ".", key_text);
    auto [first, inserted] = seen.emplace(key.Scalar(), key.Mark());
    if (!inserted) {
      errors.Add(key.Mark(), path,
                 absl::StrCat("duplicate key '", Truncated(key.Scalar()), "' (first at line ",
                              first->second.line + 1, ")"));
      continue;
    }
    YAML::Mark mark = value.IsNull() || value.Mark().is_null() ? key.Mark() : value.Mark();
    entries.push_back({key.Scalar(), key.Mark(), Value{value, mark, std::move(path)}});
  }
  return entries;
}

// ---------------------------------------------------------------- MapReader

MapReader::MapReader(const Value& map, absl::Span<const absl::string_view> allowed,
                     ErrorList& errors)
    : map_(map), errors_(errors) {
  for (Entry& entry : ReadEntries(map, errors, &is_map_)) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      errors.Add(entry.key_mark, entry.value.path,
                 absl::StrCat("unknown key '", Truncated(entry.key),
                              "'; allowed keys: ", absl::StrJoin(allowed, ", ")));
      continue;
    }
    entries_.push_back(std::move(entry));
  }
}

std::optional<Value> MapReader::Get(absl::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.value;
  }
  return std::nullopt;
}

std::optional<Value> MapReader::Require(absl::string_view key) const {
  std::optional<Value> v = Get(key);
  if (!v.has_value() && is_map_) errors_.Add(map_.mark, Child(key), "required key is missing");
  return v;
}

std::optional<int64_t> MapReader::Int(absl::string_view key, int64_t min, int64_t max) const {
  std::optional<Value> v = Get(key);
  return v.has_value() ? ReadInt(*v, min, max, errors_) : std::nullopt;
}

std::optional<int64_t> MapReader::Duration(absl::string_view key, int64_t min_ms,
                                           int64_t max_ms) const {
  std::optional<Value> v = Get(key);
  return v.has_value() ? ReadDuration(*v, min_ms, max_ms, errors_) : std::nullopt;
}

std::optional<std::string> MapReader::String(absl::string_view key) const {
  std::optional<Value> v = Get(key);
  return v.has_value() ? ReadString(*v, errors_) : std::nullopt;
}

std::optional<bool> MapReader::Bool(absl::string_view key) const {
  std::optional<std::string> word = String(key);
  if (!word.has_value()) return std::nullopt;
  if (*word == "true" || *word == "false") return *word == "true";
  const Value field = *Get(key);
  errors_.Add(field.mark, field.path,
              absl::StrCat("'", Truncated(*word), "': expected true or false"));
  return std::nullopt;
}

std::string MapReader::Child(absl::string_view key) const {
  return map_.path.empty() ? std::string(key) : absl::StrCat(map_.path, ".", key);
}

}  // namespace stockd::config::yaml
