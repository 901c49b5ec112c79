// The YAML schema of stockd's configuration, in one place (config/reference.yaml is its
// documentation). Parsing never stops at the first problem: every error is collected
// with its file:line:column and key path, and all of them are returned together.
#include "daemon/config/config.h"

#include "daemon/config/listen.h"
#include "daemon/engine/response_size.h"
#include "daemon/util/duration.h"
#include "daemon/util/json.h"
#include "daemon/util/secret_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/yaml.h"

namespace stockd::config {
namespace {

using engine::kNoCap;

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// Bounds of the schema (config/reference.yaml documents each one).
constexpr int64_t kMaxBatch = 100'000;
constexpr int64_t kMaxDrainTimeoutMs = 10 * kMsPerMinute;
constexpr int64_t kMaxShards = 65'536;
constexpr int64_t kMinMessageBytes = 64 << 10;
constexpr int64_t kMaxMessageBytes = 32 << 20;
constexpr int64_t kMaxWatchStreams = 100'000;
constexpr int64_t kMaxConcurrentStreams = 100'000;
constexpr int64_t kMinServerThreads = 4;
constexpr int64_t kMaxServerThreads = 4096;
constexpr int64_t kMinTtlMs = 100;
constexpr int64_t kMinMaxTtlMs = kMsPerSecond;
constexpr int64_t kMaxTtlMs = 30 * kMsPerDay;
constexpr int64_t kMaxRetentionMs = 30 * kMsPerDay;
constexpr int64_t kMaxLines = 10'000;
constexpr int64_t kMinIdempotencyTtlMs = kMsPerMinute;
constexpr int64_t kMaxIdempotencyTtlMs = 30 * kMsPerDay;
constexpr int64_t kMaxAuditEntries = 10'000'000;
constexpr int64_t kMinIdempotencyRecords = 1'000;
constexpr int64_t kMaxIdempotencyRecords = 1'000'000'000;
constexpr int64_t kMinRedisTimeoutMs = 100;
constexpr int64_t kMaxRedisTimeoutMs = 60'000;
constexpr int64_t kMaxRedisBatch = 100'000;
constexpr int64_t kMaxAuditStreamEntries = 100'000'000;
constexpr int64_t kMaxLocations = 4096;
constexpr int64_t kMaxChannels = 256;
// Unit counts (protect, safety_stock, min/max_publish) share the engine's quantity bound,
// so sums over channels cannot overflow.
constexpr int64_t kMaxUnits = engine::kMaxQuantity;
// A config file larger than this is a mistake (e.g. pointing at a log or a device).
constexpr size_t kMaxFileBytes = 16 << 20;
// An adapter's `config` as handed to its plugin: at most this much JSON once YAML aliases
// are expanded, and at most this many levels of nested mappings and sequences (the
// `config` mapping itself is level 1).
constexpr size_t kMaxAdapterConfigJsonBytes = 1 << 20;
constexpr int kMaxAdapterConfigDepth = 64;
// All adapters' configs together (256 channels could each alias a 1 MiB config).
constexpr size_t kMaxAdapterConfigsJsonBytes = 16 << 20;
// List items and mapping entries the parser reads, aliases expanded: 4 Mi, more than
// twice a config at the schema's maxima (4096 locations, 256 channels each selling from
// and protecting all of them: 2.1 Mi), and far more than any real override list holds.
constexpr size_t kMaxDocumentValues = 4 << 20;
// Errors listed in full; the rest are counted.
constexpr size_t kMaxReportedErrors = 1000;
constexpr int64_t kMaxOverrides = 100'000;

constexpr char kIntTag[] = "tag:yaml.org,2002:int";
constexpr char kStrTag[] = "tag:yaml.org,2002:str";
constexpr char kDocumentPath[] = "(document)";

// ---------------------------------------------------------------- errors

// The errors found so far, and the parse's budget of values (the one thing every reader
// already has at hand, so it is kept here).
class ErrorList {
 public:
  explicit ErrorList(absl::string_view source) : source_(source) {}

  void Add(const YAML::Mark& mark, absl::string_view path, absl::string_view what) {
    if (out_of_values_) return;  // what follows would only be consequences of it
    if (entries_.size() >= kMaxReportedErrors) {
      ++unreported_;
      return;
    }
    Append(mark, path, what);
  }

  // Takes `count` values (the items of `collection`) from the budget; false, reporting it
  // once, when the budget is spent. A YAML alias (*name) is read as a full copy of its
  // anchor each time it is used: without the budget a small file of aliases could make
  // the parser read billions of values.
  bool TakeValues(size_t count, const YAML::Mark& mark, absl::string_view path) {
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

  bool empty() const { return entries_.empty(); }

  // All errors, in file order, one per line.
  absl::Status ToStatus() const {
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

  const std::string& source() const { return source_; }

 private:
  void Append(const YAML::Mark& mark, absl::string_view path, absl::string_view what) {
    // yaml-cpp marks are 0-based; a null mark (no position known) reads as 1:1.
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    entries_.push_back(
        {line, column, absl::StrCat(source_, ":", line, ":", column, ": ", path, ": ", what)});
  }

  struct Entry {
    int line;
    int column;
    std::string text;
  };
  std::string source_;
  std::vector<Entry> entries_;
  size_t unreported_ = 0;
  size_t values_left_ = kMaxDocumentValues;
  bool out_of_values_ = false;
};

// ---------------------------------------------------------------- typed YAML access

// A YAML value with the key path and position used to report problems with it.
struct Value {
  YAML::Node node;
  YAML::Mark mark;  // the value's position; its key's when the value is empty (null)
  std::string path;
};

// User text as it appears in an error: control bytes escaped, so that every error stays
// on one line.
std::string Printable(absl::string_view s) { return absl::CHexEscape(s); }

// Printable, and cut to a length that keeps the error readable.
std::string Truncated(absl::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return Printable(s);
  return absl::StrCat(Printable(s.substr(0, kMax)), "...");
}

// A YAML subtree as JSON text (adapter configs are handed to plugins as JSON). Plain
// scalars that read as integers, reals, booleans or null keep their type; everything
// else is a string.
//
// YAML aliases (*name) repeat their anchor's content wherever they are used, so a file of
// a few hundred bytes can describe gigabytes ("billion laughs"). The writer counts the
// bytes and the nesting as it goes and stops at the first bound crossed: it never builds
// more than kMaxAdapterConfigJsonBytes (plus one scalar) of text.
class BoundedJsonWriter {
 public:
  // Appends `node` as JSON; false when a bound was crossed (then problem() says which and
  // at what node, and the text is incomplete).
  bool Write(const YAML::Node& node) { return Append(node, 1); }

  std::string& text() { return out_; }

  struct Problem {
    YAML::Mark mark;    // the node at which the bound was crossed
    std::string where;  // its path below the config: ".a[2].b" ("" for the config itself)
    std::string what;
    bool too_large = false;  // the size bound (else the depth bound)
  };
  const Problem& problem() const { return problem_; }

 private:
  bool Append(const YAML::Node& node, int depth) {
    const bool collection = node.IsMap() || node.IsSequence();
    if (collection && depth > kMaxAdapterConfigDepth) {
      return Fail(node, absl::StrCat("nested deeper than ", kMaxAdapterConfigDepth,
                                     " levels of mappings and sequences"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        out_.push_back('{');
        bool first = true;
        for (const auto& kv : node) {
          if (!first) out_.push_back(',');
          first = false;
          Quote(kv.first.Scalar());
          out_.push_back(':');
          if (!Append(kv.second, depth + 1)) {
            return Unwind(absl::StrCat(".", Truncated(kv.first.Scalar())));
          }
        }
        out_.push_back('}');
        break;
      }
      case YAML::NodeType::Sequence: {
        out_.push_back('[');
        size_t index = 0;
        for (const auto& item : node) {
          if (index > 0) out_.push_back(',');
          if (!Append(item, depth + 1)) return Unwind(absl::StrCat("[", index, "]"));
          ++index;
        }
        out_.push_back(']');
        break;
      }
      case YAML::NodeType::Scalar:
        AppendScalar(node);
        break;
      default:
        out_ += "null";
    }
    if (out_.size() > kMaxAdapterConfigJsonBytes) {
      problem_.too_large = true;
      return Fail(node, absl::StrCat("expands to more than ", kMaxAdapterConfigJsonBytes,
                                     " bytes of JSON (1 MiB); YAML aliases (*name) repeat "
                                     "their anchor's content each time they are used"));
    }
    return true;
  }

  void AppendScalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") {  // quoted in the YAML: always a string
      Quote(text);
      return;
    }
    int64_t i;
    double d;
    if (text == "true" || text == "false" || text == "null") {
      out_ += text;
    } else if (absl::SimpleAtoi(text, &i)) {
      absl::StrAppend(&out_, i);
    } else if (absl::SimpleAtod(text, &d) && std::isfinite(d) &&
               text.find_first_not_of("0123456789.eE+-") == std::string::npos) {
      out_ += text;
    } else {
      Quote(text);
    }
  }

  void Quote(const std::string& s) {
    out_.push_back('"');
    out_ += util::JsonEscape(s);
    out_.push_back('"');
  }

  bool Fail(const YAML::Node& node, std::string what) {
    problem_.mark = node.Mark();
    problem_.what = std::move(what);
    return false;
  }

  // Called by each enclosing level on the way out of a failure: builds the path.
  bool Unwind(const std::string& step) {
    problem_.where.insert(0, step);
    return false;
  }

  std::string out_;
  Problem problem_;
};

// "a mapping", "the string \"5\"", "'abc'": what was found instead of what was expected.
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
  if (node.Tag() == "!")
    return absl::StrCat("the quoted string \"", Truncated(node.Scalar()), "\"");
  return absl::StrCat("'", Truncated(node.Scalar()), "'");
}

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

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  if (ms % kMsPerDay == 0) return absl::StrCat(ms / kMsPerDay, "d");
  if (ms % kMsPerHour == 0) return absl::StrCat(ms / kMsPerHour, "h");
  if (ms % kMsPerMinute == 0) return absl::StrCat(ms / kMsPerMinute, "m");
  if (ms % kMsPerSecond == 0) return absl::StrCat(ms / kMsPerSecond, "s");
  return absl::StrCat(ms, "ms");
}

std::string BoundsText(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max()) return absl::StrCat("at least ", min);
  return absl::StrCat("between ", min, " and ", max);
}

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
  absl::StatusOr<int64_t> ms = ParseDurationMs(v.node.Scalar());
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

std::optional<std::string> ReadId(const Value& v, ErrorList& errors) {
  std::optional<std::string> s = ReadString(v, errors);
  if (s.has_value() && !engine::IsValidId(*s)) {
    errors.Add(v.mark, v.path,
               absl::StrCat("'", Truncated(*s),
                            "' is not a valid id (1 to 128 bytes of A-Z a-z 0-9 . _ : / -)"));
  }
  return s;  // returned even when invalid, so later references do not cascade
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

// One key of a mapping.
struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Value value;
};

// The entries of a mapping, in file order. Reports non-scalar and duplicate keys (which
// are then skipped). An empty value (null) reads as an empty mapping.
std::vector<Entry> ReadEntries(const Value& v, ErrorList& errors, bool* is_map = nullptr) {
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

// A mapping with a fixed set of keys: reports unknown keys, then serves typed lookups.
// Lookups return nullopt when the key is absent or its value is invalid (reported).
class MapReader {
 public:
  MapReader(const Value& map, std::initializer_list<const char*> allowed, ErrorList& errors)
      : map_(map), errors_(errors) {
    for (Entry& entry : ReadEntries(map, errors, &is_map_)) {
      if (std::find_if(allowed.begin(), allowed.end(),
                       [&](const char* k) { return entry.key == k; }) == allowed.end()) {
        errors.Add(entry.key_mark, entry.value.path,
                   absl::StrCat("unknown key '", Truncated(entry.key),
                                "'; allowed keys: ", absl::StrJoin(allowed, ", ")));
        continue;
      }
      entries_.push_back(std::move(entry));
    }
  }

  std::optional<Value> Get(absl::string_view key) const {
    for (const Entry& e : entries_) {
      if (e.key == key) return e.value;
    }
    return std::nullopt;
  }

  // Like Get, and reports a missing key (unless the map itself was not a mapping).
  std::optional<Value> Require(absl::string_view key) const {
    std::optional<Value> v = Get(key);
    if (!v.has_value() && is_map_) {
      errors_.Add(map_.mark, Child(key), "required key is missing");
    }
    return v;
  }

  std::optional<int64_t> Int(absl::string_view key, int64_t min, int64_t max) const {
    std::optional<Value> v = Get(key);
    return v.has_value() ? ReadInt(*v, min, max, errors_) : std::nullopt;
  }

  std::optional<int64_t> Duration(absl::string_view key, int64_t min_ms, int64_t max_ms) const {
    std::optional<Value> v = Get(key);
    return v.has_value() ? ReadDuration(*v, min_ms, max_ms, errors_) : std::nullopt;
  }

  std::optional<std::string> String(absl::string_view key) const {
    std::optional<Value> v = Get(key);
    return v.has_value() ? ReadString(*v, errors_) : std::nullopt;
  }

  std::string Child(absl::string_view key) const {
    return map_.path.empty() ? std::string(key) : absl::StrCat(map_.path, ".", key);
  }
  const Value& value() const { return map_; }
  bool empty() const { return entries_.empty(); }

 private:
  Value map_;
  ErrorList& errors_;
  bool is_map_ = false;
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------- value checks

// "" when `pattern` is a well-formed SKU glob, else what is wrong.
std::string CheckSkuPattern(absl::string_view pattern) {
  if (pattern.empty()) return "the pattern is empty";
  bool in_set = false;
  size_t set_size = 0;
  for (char c : pattern) {
    const bool id_byte = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '/' ||
                         c == '-';
    if (in_set) {
      if (c == ']') {
        if (set_size == 0) return "empty set '[]'";
        in_set = false;
      } else if (id_byte) {
        ++set_size;
      } else {
        return absl::StrCat("'", Printable(std::string(1, c)), "' is not allowed inside a [set]");
      }
      continue;
    }
    if (c == '[') {
      in_set = true;
      set_size = 0;
    } else if (c == ']') {
      return "']' without a matching '['";
    } else if (!id_byte && c != '*' && c != '?') {
      return absl::StrCat("byte '", Printable(std::string(1, c)),
                          "' is not allowed (A-Z a-z 0-9 . _ : / - and the globs * ? [set])");
    }
  }
  if (in_set) return "'[' without a matching ']'";
  return "";
}

// ---------------------------------------------------------------- the schema

class ConfigParser {
 public:
  explicit ConfigParser(absl::string_view source_name) : errors_(source_name) {}

  absl::StatusOr<Config> Parse(absl::string_view text) {
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::DeepRecursion& e) {
      // yaml-cpp's own message is "bad file"; its mark is where its parser stopped.
      errors_.Add(e.mark, "yaml",
                  absl::StrCat("nesting is too deep: more than ", e.depth(),
                               " levels of mappings and sequences (the YAML parser's limit; "
                               "adapter configs allow ",
                               kMaxAdapterConfigDepth, ")"));
      return errors_.ToStatus();
    } catch (const YAML::Exception& e) {
      errors_.Add(e.mark, "yaml", absl::StrCat("syntax error: ", e.msg));
      return errors_.ToStatus();
    }
    if (documents.size() > 1) {
      errors_.Add(documents[1].Mark(), kDocumentPath,
                  absl::StrCat("expected one YAML document, found ", documents.size()));
    }
    YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    try {
      ParseRoot(Value{root, root.Mark(), ""});
    } catch (const YAML::Exception& e) {
      // Not expected (only non-throwing accessors are used); reported, never propagated.
      errors_.Add(e.mark, kDocumentPath, e.msg);
    }
    if (!errors_.empty()) return errors_.ToStatus();
    return std::move(config_);
  }

 private:
  void ParseRoot(const Value& root) {
    if (!root.node.IsMap()) {
      errors_.Add(root.mark, kDocumentPath,
                  root.node.IsNull()
                      ? "the document is empty; expected a mapping with at least 'locations' "
                        "and 'channels'"
                      : absl::StrCat("expected a mapping, got ", Describe(root.node)));
      return;
    }
    MapReader map(root,
                  {"server", "data_dir", "redis", "engine", "holds", "idempotency", "audit",
                   "plugin_dir", "locations", "channels", "overrides"},
                  errors_);
    if (auto v = map.Get("server")) ParseServer(*v);
    if (auto v = map.Get("data_dir")) {
      if (auto dir = ReadString(*v, errors_)) {
        if (dir->empty()) {
          errors_.Add(v->mark, v->path, "must not be empty");
        } else {
          config_.data_dir = *dir;
        }
      }
    }
    if (auto v = map.Get("redis")) ParseRedis(*v);
    if (auto v = map.Get("plugin_dir")) {
      if (auto dir = ReadString(*v, errors_)) config_.plugin_dir = *dir;
    }
    if (auto v = map.Get("engine")) {
      MapReader engine_section(*v, {"shards"}, errors_);
      if (auto n = engine_section.Int("shards", 1, kMaxShards)) config_.engine.shards = *n;
    }
    if (auto v = map.Get("holds")) ParseHolds(*v);
    if (auto v = map.Get("idempotency")) {
      MapReader idempotency(*v, {"ttl", "max_records"}, errors_);
      if (auto ms = idempotency.Duration("ttl", kMinIdempotencyTtlMs, kMaxIdempotencyTtlMs)) {
        config_.engine.idempotency_ttl_ms = *ms;
      }
      if (auto n = idempotency.Int("max_records", kMinIdempotencyRecords, kMaxIdempotencyRecords)) {
        config_.engine.max_idempotency_records = *n;
      }
    }
    if (auto v = map.Get("audit")) {
      MapReader audit(*v, {"memory_entries"}, errors_);
      if (auto n = audit.Int("memory_entries", 0, kMaxAuditEntries)) {
        config_.engine.audit_capacity = static_cast<size_t>(*n);
      }
    }
    // Channels refer to locations and overrides to channels: parse in that order,
    // whatever the order of the keys in the file.
    if (auto v = map.Require("locations")) ParseLocations(*v);
    if (auto v = map.Require("channels")) ParseChannels(*v);
    if (auto v = map.Get("overrides")) ParseOverrides(*v);
    CheckResponseFitsHolds(map);
  }

  // The largest hold must fit in one response (Reserve, Commit, GetHold, ...).
  void CheckResponseFitsHolds(const MapReader& root) {
    const int64_t need = engine::response_size::MaxHoldBytes(config_.engine.max_lines) +
                         engine::response_size::kResultOverheadBytes;
    if (need <= config_.server.max_response_bytes) return;
    std::optional<Value> where = root.Get("server");
    errors_.Add(where.has_value() ? where->mark : YAML::Mark::null_mark(),
                "server.max_response_bytes",
                absl::StrCat(config_.server.max_response_bytes, " bytes cannot hold a hold of ",
                             config_.engine.max_lines, " lines (holds.max_lines), which may need ",
                             need, " bytes: raise it or lower holds.max_lines"));
  }

  void ParseServer(const Value& v) {
    MapReader server(v,
                     {"listen", "max_batch", "drain_timeout", "max_request_bytes",
                      "max_response_bytes", "max_watch_streams", "max_concurrent_streams",
                      "max_threads"},
                     errors_);
    if (auto listen = server.String("listen")) {
      absl::Status listenable = CheckListenAddress(*listen);
      if (listenable.ok()) {
        config_.server.listen = *listen;
      } else {
        const Value field = *server.Get("listen");
        errors_.Add(field.mark, field.path,
                    absl::StrCat("'", Truncated(*listen), "': ", listenable.message()));
      }
    }
    if (auto n = server.Int("max_batch", 1, kMaxBatch)) config_.server.max_batch = *n;
    if (auto ms = server.Duration("drain_timeout", 0, kMaxDrainTimeoutMs)) {
      config_.server.drain_timeout_ms = *ms;
    }
    if (auto n = server.Int("max_request_bytes", kMinMessageBytes, kMaxMessageBytes)) {
      config_.server.max_request_bytes = *n;
    }
    if (auto n = server.Int("max_response_bytes", kMinMessageBytes, kMaxMessageBytes)) {
      config_.server.max_response_bytes = *n;
    }
    if (auto n = server.Int("max_watch_streams", 1, kMaxWatchStreams)) {
      config_.server.max_watch_streams = static_cast<int>(*n);
    }
    if (auto n = server.Int("max_concurrent_streams", 1, kMaxConcurrentStreams)) {
      config_.server.max_concurrent_streams = static_cast<int>(*n);
    }
    if (auto n = server.Int("max_threads", kMinServerThreads, kMaxServerThreads)) {
      config_.server.max_threads = static_cast<int>(*n);
    }
  }

  void ParseRedis(const Value& v) {
    MapReader redis(v,
                    {"mode", "address", "appendfsync", "timeout", "max_batch", "audit_entries",
                     "username", "password_file", "tls"},
                    errors_);
    RedisConfig& rc = config_.redis;
    bool address_invalid = false;  // reported already; the mode is then unknown
    std::optional<std::string> address = redis.String("address");
    if (address.has_value()) {
      std::string problem;
      if (address->starts_with("unix:")) {
        if (address->size() == 5) problem = "expected unix:/path/to/redis.sock; the path is empty";
      } else if (!address->empty()) {
        absl::StatusOr<HostPort> host_port = ParseHostPort(*address, /*min_port=*/1);
        if (!host_port.ok()) {
          problem =
              absl::StrCat(host_port.status().message(), " (or unix:/path, or \"\" for embedded)");
        }
      }
      if (problem.empty()) {
        rc.address = *address;
      } else {
        address_invalid = true;
        const Value field = *redis.Get("address");
        errors_.Add(field.mark, field.path, absl::StrCat("'", Truncated(*address), "': ", problem));
      }
    }
    rc.mode = rc.address.empty() ? RedisConfig::Mode::kEmbedded : RedisConfig::Mode::kExternal;
    if (std::optional<std::string> mode = redis.String("mode")) {
      const Value field = *redis.Get("mode");
      if (*mode == "embedded" || *mode == "memory") {
        rc.mode = *mode == "embedded" ? RedisConfig::Mode::kEmbedded : RedisConfig::Mode::kMemory;
        if (!rc.address.empty()) {
          errors_.Add(field.mark, field.path,
                      absl::StrCat("'", *mode, "' takes no redis.address; remove it or use 'external'"));
        }
      } else if (*mode == "external") {
        rc.mode = RedisConfig::Mode::kExternal;
        if (rc.address.empty()) {
          errors_.Add(field.mark, field.path, "'external' needs redis.address");
        }
      } else {
        errors_.Add(field.mark, field.path,
                    absl::StrCat("'", Truncated(*mode), "': expected embedded, external or memory"));
      }
    }
    if (std::optional<std::string> fsync = redis.String("appendfsync")) {
      if (*fsync == "always" || *fsync == "everysec" || *fsync == "no") {
        rc.appendfsync = *fsync;
      } else {
        const Value field = *redis.Get("appendfsync");
        errors_.Add(field.mark, field.path,
                    absl::StrCat("'", Truncated(*fsync), "': expected always, everysec or no"));
      }
    }
    if (auto ms = redis.Duration("timeout", kMinRedisTimeoutMs, kMaxRedisTimeoutMs)) {
      rc.timeout_ms = *ms;
    }
    if (auto n = redis.Int("max_batch", 1, kMaxRedisBatch)) rc.max_batch = static_cast<int>(*n);
    if (auto n = redis.Int("audit_entries", 0, kMaxAuditStreamEntries)) {
      rc.audit_stream_entries = *n;
    }
    ParseRedisSecurity(redis, address_invalid);
  }

  // redis.username, redis.password_file and redis.tls: an external Redis only. Files are
  // checked now (file:line) and read again at every connect; the password is not kept.
  void ParseRedisSecurity(const MapReader& redis, bool address_invalid) {
    RedisConfig& rc = config_.redis;
    auto external_only = [&](const char* key) -> std::optional<Value> {
      std::optional<Value> field = redis.Get(key);
      if (!field.has_value() || address_invalid) return std::nullopt;
      if (rc.mode == RedisConfig::Mode::kExternal) return field;
      errors_.Add(field->mark, field->path,
                  rc.mode == RedisConfig::Mode::kEmbedded
                      ? "only for an external Redis (redis.address): the embedded "
                        "redis-server listens on a private unix socket without AUTH or TLS; "
                        "remove it"
                      : "only for an external Redis (redis.address); redis.mode is memory; "
                        "remove it");
      return std::nullopt;
    };
    if (std::optional<Value> field = external_only("password_file")) {
      if (std::optional<std::string> path = ReadString(*field, errors_)) {
        if (path->empty()) {
          errors_.Add(field->mark, field->path, "is empty; remove the key for no AUTH");
        } else if (absl::StatusOr<std::string> secret = util::ReadSecretFile(*path); !secret.ok()) {
          errors_.Add(field->mark, field->path, secret.status().message());
        } else {
          std::fill(secret->begin(), secret->end(), '\0');  // the client reads it at connect
          rc.password_file = *path;
        }
      }
    }
    if (std::optional<Value> field = external_only("username")) {
      if (std::optional<std::string> user = ReadString(*field, errors_)) {
        if (user->empty() || user->find_first_of(" \t\r\n") != std::string::npos) {
          errors_.Add(field->mark, field->path,
                      absl::StrCat("'", Truncated(*user),
                                   "': expected an ACL user name (non-empty, no spaces)"));
        } else if (!redis.Get("password_file").has_value()) {
          errors_.Add(field->mark, field->path, "needs redis.password_file (AUTH user password)");
        } else {
          rc.username = *user;
        }
      }
    }
    if (std::optional<Value> field = external_only("tls")) ParseRedisTls(*field);
  }

  void ParseRedisTls(const Value& v) {
    if (config_.redis.address.starts_with("unix:")) {
      errors_.Add(v.mark, v.path, "needs a host:port redis.address; a unix socket has no TLS");
      return;
    }
    MapReader tls(v, {"ca_file", "cert_file", "key_file", "server_name"}, errors_);
    RedisTlsConfig out;
    bool ok = true;
    // A readable file's path, or nullopt after reporting why not.
    auto file = [&](const Value& field) -> std::optional<std::string> {
      std::optional<std::string> path = ReadString(field, errors_);
      if (!path.has_value()) return std::nullopt;
      std::string problem;
      if (path->empty()) {
        problem = "is empty; expected the path of a PEM file";
      } else if (const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
        problem = absl::StrCat("cannot read '", Truncated(*path), "': ", std::strerror(errno));
      } else {
        ::close(fd);
        return path;
      }
      errors_.Add(field.mark, field.path, problem);
      return std::nullopt;
    };
    if (std::optional<Value> field = tls.Require("ca_file")) {
      std::optional<std::string> path = file(*field);
      ok = ok && path.has_value();
      if (path.has_value()) out.ca_file = *path;
    } else {
      ok = false;
    }
    std::optional<Value> cert = tls.Get("cert_file");
    std::optional<Value> key = tls.Get("key_file");
    if (cert.has_value() != key.has_value()) {
      const Value& only = cert.has_value() ? *cert : *key;
      errors_.Add(only.mark, only.path,
                  cert.has_value()
                      ? "needs redis.tls.key_file too (mTLS: a certificate and its key)"
                      : "needs redis.tls.cert_file too (mTLS: a certificate and its key)");
      ok = false;
    } else if (cert.has_value()) {
      std::optional<std::string> cert_path = file(*cert);
      std::optional<std::string> key_path = file(*key);
      ok = ok && cert_path.has_value() && key_path.has_value();
      if (ok) {
        out.cert_file = *cert_path;
        out.key_file = *key_path;
      }
    }
    if (std::optional<Value> field = tls.Get("server_name")) {
      std::optional<std::string> name = ReadString(*field, errors_);
      if (name.has_value() &&
          (name->empty() || name->find_first_of(" \t\r\n/") != std::string::npos)) {
        errors_.Add(field->mark, field->path,
                    absl::StrCat("'", Truncated(*name), "': expected a DNS name or an IP address"));
        ok = false;
      } else if (name.has_value()) {
        out.server_name = *name;
      } else {
        ok = false;
      }
    }
    if (ok) config_.redis.tls = std::move(out);
  }

  void ParseHolds(const Value& v) {
    MapReader holds(v, {"default_ttl", "max_ttl", "retention", "max_lines"}, errors_);
    engine::EngineOptions& options = config_.engine;
    std::optional<int64_t> max_ttl = holds.Duration("max_ttl", kMinMaxTtlMs, kMaxTtlMs);
    if (max_ttl.has_value()) options.max_ttl_ms = *max_ttl;
    std::optional<int64_t> default_ttl = holds.Duration("default_ttl", kMinTtlMs, kMaxTtlMs);
    if (default_ttl.has_value()) options.default_ttl_ms = *default_ttl;
    // default_ttl <= max_ttl, checked only when both are valid; reported at the key the
    // file sets (default_ttl when both are set).
    const bool max_ttl_ok = max_ttl.has_value() || !holds.Get("max_ttl").has_value();
    const bool default_ttl_ok = default_ttl.has_value() || !holds.Get("default_ttl").has_value();
    if (max_ttl_ok && default_ttl_ok && options.default_ttl_ms > options.max_ttl_ms) {
      if (default_ttl.has_value()) {
        const Value field = *holds.Get("default_ttl");
        errors_.Add(field.mark, field.path,
                    absl::StrCat(FormatDuration(options.default_ttl_ms), " exceeds holds.max_ttl (",
                                 FormatDuration(options.max_ttl_ms),
                                 max_ttl.has_value() ? ")" : ", the default)"));
      } else {
        const Value field = *holds.Get("max_ttl");
        errors_.Add(
            field.mark, field.path,
            absl::StrCat(FormatDuration(options.max_ttl_ms), " is below holds.default_ttl (",
                         FormatDuration(options.default_ttl_ms),
                         ", the default); set holds.default_ttl too"));
      }
    }
    if (auto ms = holds.Duration("retention", 0, kMaxRetentionMs)) {
      options.hold_retention_ms = *ms;
    }
    if (auto n = holds.Int("max_lines", 1, kMaxLines)) options.max_lines = *n;
  }

  void ParseLocations(const Value& v) {
    std::vector<Value> items = ReadSequence(v, errors_);
    if (v.node.IsSequence()) CheckCount(v, items.size(), kMaxLocations, "location");
    absl::flat_hash_map<std::string, std::string> first_at;  // id -> "locations[i] (line n)"
    for (const Value& item : items) {
      MapReader map(item, {"id", "type", "name"}, errors_);
      engine::Location location;
      if (auto id_value = map.Require("id")) {
        if (auto id = ReadId(*id_value, errors_)) {
          auto [first, inserted] = first_at.emplace(
              *id, absl::StrCat(item.path, " (line ", id_value->mark.line + 1, ")"));
          if (!inserted) {
            errors_.Add(id_value->mark, id_value->path,
                        absl::StrCat("duplicate location id '", Truncated(*id),
                                     "'; first defined at ", first->second));
          }
          location.id = *id;
        }
      }
      if (auto type_value = map.Require("type")) {
        if (auto type = ReadString(*type_value, errors_)) {
          if (*type == engine::LocationTypeName(engine::LocationType::kWarehouse)) {
            location.type = engine::LocationType::kWarehouse;
          } else if (*type == engine::LocationTypeName(engine::LocationType::kStore)) {
            location.type = engine::LocationType::kStore;
          } else {
            errors_.Add(
                type_value->mark, type_value->path,
                absl::StrCat("unknown location type '", Truncated(*type), "'; expected ",
                             engine::LocationTypeName(engine::LocationType::kWarehouse), " or ",
                             engine::LocationTypeName(engine::LocationType::kStore)));
          }
        }
      }
      if (auto name = map.String("name")) location.name = *name;
      // Kept even when invalid, so channels that name it report no second error.
      location_index_.emplace(location.id, static_cast<int>(config_.model.locations.size()));
      config_.model.locations.push_back(std::move(location));
    }
  }

  void ParseChannels(const Value& v) {
    std::vector<Value> items = ReadSequence(v, errors_);
    if (v.node.IsSequence()) CheckCount(v, items.size(), kMaxChannels, "channel");
    absl::flat_hash_map<std::string, std::string> first_at;
    for (const Value& item : items) {
      MapReader map(item,
                    {"id", "type", "sources", "protect", "safety_stock", "share_percent",
                     "min_publish", "max_publish", "adapter"},
                    errors_);
      engine::Channel channel;
      if (auto id_value = map.Require("id")) {
        if (auto id = ReadId(*id_value, errors_)) {
          auto [first, inserted] = first_at.emplace(
              *id, absl::StrCat(item.path, " (line ", id_value->mark.line + 1, ")"));
          if (!inserted) {
            errors_.Add(id_value->mark, id_value->path,
                        absl::StrCat("duplicate channel id '", Truncated(*id),
                                     "'; first defined at ", first->second));
          }
          channel.id = *id;
        }
      }
      if (auto type_value = map.Require("type")) ParseChannelType(*type_value, &channel);

      SourceSet sources;
      if (auto sources_value = map.Require("sources")) {
        sources = ParseSources(*sources_value, &channel);
      }
      channel.policy.protect.assign(config_.model.locations.size(), 0);
      if (auto protect_value = map.Get("protect")) {
        std::vector<std::pair<int, int64_t>> protect;
        ParseProtect(*protect_value, channel, sources, &protect);
        for (const auto& [location, units] : protect) channel.policy.protect[location] = units;
      }

      engine::ChannelPolicy& policy = channel.policy;
      if (auto n = map.Int("safety_stock", 0, kMaxUnits)) policy.safety_stock = *n;
      if (auto n = map.Int("share_percent", 0, 100)) policy.share_percent = *n;
      std::optional<int64_t> min_publish = map.Int("min_publish", 0, kMaxUnits);
      std::optional<int64_t> max_publish = map.Int("max_publish", 0, kMaxUnits);
      if (min_publish.has_value()) policy.min_publish = *min_publish;
      if (max_publish.has_value()) policy.max_publish = *max_publish;
      if (min_publish.has_value() && max_publish.has_value() && *min_publish > *max_publish) {
        const Value field = *map.Get("max_publish");
        errors_.Add(field.mark, field.path,
                    absl::StrCat(*max_publish, " is below min_publish (", *min_publish, ")"));
      }
      if (auto adapter = map.Get("adapter")) ParseAdapter(*adapter, channel.id);
      channel_index_.emplace(channel.id, static_cast<int>(config_.model.channels.size()));
      config_.model.channels.push_back(std::move(channel));
    }
  }

  void ParseAdapter(const Value& v, const std::string& channel) {
    MapReader map(v,
                  {"plugin", "config", "max_batch", "rate_limit", "burst", "listings",
                   "reconcile_interval", "retry_initial", "retry_max", "coalesce_window"},
                  errors_);
    AdapterConfig a;
    a.channel = channel;
    a.origin = absl::StrCat(errors_.source(), ":", v.mark.line + 1);
    if (auto plugin_value = map.Require("plugin")) {
      if (auto plugin = ReadString(*plugin_value, errors_)) {
        const bool ok = !plugin->empty() && plugin->size() <= 64 &&
                        std::all_of(plugin->begin(), plugin->end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                        });
        if (ok) {
          a.plugin = *plugin;
        } else {
          errors_.Add(plugin_value->mark, plugin_value->path,
                      absl::StrCat("'", Truncated(*plugin),
                                   "': a plugin name is 1-64 bytes of [a-z0-9_]"));
        }
      }
    }
    a.config_json = "{}";
    if (auto c = map.Get("config")) {
      if (c->node.IsMap()) {
        BoundedJsonWriter json;
        if (json.Write(c->node)) {
          if (json.text().size() > adapter_json_bytes_left_) {
            errors_.Add(c->mark, c->path,
                        absl::StrCat("with the adapter configs before it, more than ",
                                     kMaxAdapterConfigsJsonBytes,
                                     " bytes of JSON (16 MiB, all adapters together)"));
          } else {
            adapter_json_bytes_left_ -= json.text().size();
            a.config_json = std::move(json.text());
          }
        } else {
          // Too large: the config as a whole is (named where the count stopped); too
          // deep: the node that is.
          const BoundedJsonWriter::Problem& p = json.problem();
          if (p.too_large) {
            errors_.Add(c->mark, c->path,
                        absl::StrCat(p.what, " (stopped counting at ", c->path, p.where, ")"));
          } else {
            errors_.Add(p.mark.is_null() ? c->mark : p.mark, absl::StrCat(c->path, p.where),
                        p.what);
          }
        }
      } else if (!c->node.IsNull()) {
        errors_.Add(c->mark, c->path, absl::StrCat("expected a mapping, got ", Describe(c->node)));
      }
    }
    if (auto n = map.Int("max_batch", 1, 100'000)) a.max_batch = static_cast<int>(*n);
    if (auto n = map.Int("rate_limit", 0, 1'000'000)) a.rate_per_second = static_cast<double>(*n);
    if (auto n = map.Int("burst", 1, 1'000'000)) a.burst = static_cast<int>(*n);
    if (auto file = map.String("listings")) a.listings_file = *file;
    if (auto ms = map.Duration("reconcile_interval", 0, 30 * kMsPerDay)) {
      a.reconcile_interval_ms = *ms;
    }
    if (auto ms = map.Duration("retry_initial", 10, kMsPerMinute * 10)) a.retry_initial_ms = *ms;
    if (auto ms = map.Duration("retry_max", 100, kMsPerDay)) a.retry_max_ms = *ms;
    if (auto ms = map.Duration("coalesce_window", 0, kMsPerMinute)) a.coalesce_window_ms = *ms;
    if (a.retry_max_ms < a.retry_initial_ms) {
      errors_.Add(v.mark, v.path, "retry_max is below retry_initial");
    }
    config_.adapters.push_back(std::move(a));
  }

  // What the file listed as a channel's sources, to judge protect keys against.
  struct SourceSet {
    bool valid = false;                // sources parsed as a sequence
    std::vector<std::string> unknown;  // names already reported as unknown locations
  };

  void ParseChannelType(const Value& v, engine::Channel* channel) {
    std::optional<std::string> type = ReadString(v, errors_);
    if (!type.has_value()) return;
    for (engine::ChannelType t : {engine::ChannelType::kWebshop, engine::ChannelType::kMarketplace,
                                  engine::ChannelType::kStore}) {
      if (*type == engine::ChannelTypeName(t)) {
        channel->type = t;
        return;
      }
    }
    errors_.Add(v.mark, v.path,
                absl::StrCat("unknown channel type '", Truncated(*type), "'; expected ",
                             engine::ChannelTypeName(engine::ChannelType::kWebshop), ", ",
                             engine::ChannelTypeName(engine::ChannelType::kMarketplace), " or ",
                             engine::ChannelTypeName(engine::ChannelType::kStore)));
  }

  SourceSet ParseSources(const Value& v, engine::Channel* channel) {
    SourceSet set;
    std::vector<Value> items = ReadSequence(v, errors_);
    if (!v.node.IsSequence()) return set;
    set.valid = true;
    if (items.empty()) {
      errors_.Add(v.mark, v.path, "must list at least one location");
      return set;
    }
    // Location index -> its position in the file's list, to name the first listing.
    std::vector<int> listed_at(config_.model.locations.size(), -1);
    for (size_t position = 0; position < items.size(); ++position) {
      const Value& item = items[position];
      std::optional<std::string> id = ReadString(item, errors_);
      if (!id.has_value()) continue;
      const int index = LocationIndex(*id);
      if (index < 0) {
        errors_.Add(item.mark, item.path, absl::StrCat("unknown location '", Truncated(*id), "'"));
        set.unknown.push_back(*id);
        continue;
      }
      if (listed_at[index] >= 0) {
        errors_.Add(item.mark, item.path,
                    absl::StrCat("duplicate source '", Truncated(*id), "' (already ", v.path, "[",
                                 listed_at[index], "])"));
        continue;
      }
      listed_at[index] = static_cast<int>(position);
      channel->sources.push_back(index);
    }
    return set;
  }

  // Reads `protect` (location id -> units) for `channel`; each key must be one of the
  // channel's sources. With `sources.valid` false the membership is not judged (the
  // sources themselves were reported).
  void ParseProtect(const Value& v, const engine::Channel& channel, const SourceSet& sources,
                    std::vector<std::pair<int, int64_t>>* out) {
    std::vector<bool> source_locations(config_.model.locations.size(), false);
    for (int source : channel.sources) source_locations[source] = true;
    for (const Entry& entry : ReadEntries(v, errors_)) {
      std::optional<int64_t> units = ReadInt(entry.value, 0, kMaxUnits, errors_);
      const int location = LocationIndex(entry.key);
      const bool is_source = location >= 0 && source_locations[location];
      const bool already_reported = std::find(sources.unknown.begin(), sources.unknown.end(),
                                              entry.key) != sources.unknown.end();
      if (!is_source) {
        if (sources.valid && !already_reported) {
          errors_.Add(entry.key_mark, entry.value.path,
                      absl::StrCat("'", Truncated(entry.key), "' is not a source of channel '",
                                   Truncated(channel.id), "'",
                                   location < 0 ? " (no location has this id)" : ""));
        }
        continue;
      }
      if (units.has_value()) out->emplace_back(location, *units);
    }
  }

  void ParseOverrides(const Value& v) {
    std::vector<Value> items = ReadSequence(v, errors_);
    if (static_cast<int64_t>(items.size()) > kMaxOverrides) {
      errors_.Add(v.mark, v.path,
                  absl::StrCat("lists ", items.size(), " entries; at most ", kMaxOverrides,
                               " are allowed"));
      return;
    }
    for (const Value& item : items) {
      MapReader map(item,
                    {"sku", "channel", "protect", "safety_stock", "share_percent", "min_publish",
                     "max_publish"},
                    errors_);
      engine::PolicyOverride override_entry;
      override_entry.origin = absl::StrCat(errors_.source(), ":", item.mark.line + 1);
      if (auto sku_value = map.Require("sku")) {
        if (auto pattern = ReadString(*sku_value, errors_)) {
          std::string problem = CheckSkuPattern(*pattern);
          if (!problem.empty()) {
            errors_.Add(sku_value->mark, sku_value->path,
                        absl::StrCat("invalid SKU pattern '", Truncated(*pattern), "': ", problem));
          }
          override_entry.pattern = *pattern;
        }
      }
      const engine::Channel* channel = nullptr;
      if (auto channel_value = map.Require("channel")) {
        if (auto id = ReadString(*channel_value, errors_)) {
          override_entry.channel = ChannelIndex(*id);
          if (override_entry.channel < 0) {
            errors_.Add(channel_value->mark, channel_value->path,
                        absl::StrCat("unknown channel '", Truncated(*id), "'"));
          } else {
            channel = &config_.model.channels[override_entry.channel];
          }
        }
      }
      if (auto protect_value = map.Get("protect")) {
        // With an unknown channel only the values are checked (the channel was reported).
        const engine::Channel no_channel;
        SourceSet sources;
        sources.valid = channel != nullptr;
        ParseProtect(*protect_value, channel != nullptr ? *channel : no_channel, sources,
                     &override_entry.protect);
      }
      override_entry.safety_stock = map.Int("safety_stock", 0, kMaxUnits);
      if (auto n = map.Int("share_percent", 0, 100)) override_entry.share_percent = *n;
      override_entry.min_publish = map.Int("min_publish", 0, kMaxUnits);
      override_entry.max_publish = map.Int("max_publish", 0, kMaxUnits);
      CheckOverridePublishBounds(map, override_entry, channel);

      const bool sets_something =
          map.Get("protect").has_value() || map.Get("safety_stock").has_value() ||
          map.Get("share_percent").has_value() || map.Get("min_publish").has_value() ||
          map.Get("max_publish").has_value();
      if (!sets_something) {
        errors_.Add(item.mark, item.path,
                    "the override changes nothing; set at least one of protect, safety_stock, "
                    "share_percent, min_publish, max_publish");
      }
      config_.model.overrides.push_back(std::move(override_entry));
    }
  }

  // min_publish <= max_publish, taking the channel's own value for the field the
  // override leaves alone.
  void CheckOverridePublishBounds(const MapReader& map, const engine::PolicyOverride& o,
                                  const engine::Channel* channel) {
    if (!o.min_publish.has_value() && !o.max_publish.has_value()) return;
    if (channel == nullptr && !(o.min_publish.has_value() && o.max_publish.has_value())) return;
    const int64_t min = o.min_publish.value_or(channel ? channel->policy.min_publish : 0);
    const int64_t max = o.max_publish.value_or(channel ? channel->policy.max_publish : kNoCap);
    if (min <= max) return;
    if (o.max_publish.has_value()) {
      const Value field = *map.Get("max_publish");
      errors_.Add(field.mark, field.path,
                  absl::StrCat(max, " is below min_publish (", min,
                               o.min_publish.has_value() ? ")" : ", from the channel)"));
    } else {
      const Value field = *map.Get("min_publish");
      errors_.Add(field.mark, field.path,
                  absl::StrCat(min, " is above max_publish (", max, ", from the channel)"));
    }
  }

  void CheckCount(const Value& v, size_t count, int64_t max, const char* what) {
    if (count == 0) {
      errors_.Add(v.mark, v.path, absl::StrCat("must list at least one ", what));
    } else if (static_cast<int64_t>(count) > max) {
      errors_.Add(v.mark, v.path,
                  absl::StrCat("lists ", count, " entries; at most ", max, " are allowed"));
    }
  }

  // engine::Model's LocationIndex/ChannelIndex, in constant time: a channel names up to
  // 4096 locations in sources and protect, and there are up to 256 channels (a linear
  // lookup each made a config at those maxima take 20 s to check). The first definition
  // of an id wins, as in the model (duplicates are reported).
  int LocationIndex(absl::string_view id) const {
    auto it = location_index_.find(id);
    return it == location_index_.end() ? -1 : it->second;
  }
  int ChannelIndex(absl::string_view id) const {
    auto it = channel_index_.find(id);
    return it == channel_index_.end() ? -1 : it->second;
  }

  ErrorList errors_;
  Config config_;
  absl::flat_hash_map<std::string, int> location_index_;
  absl::flat_hash_map<std::string, int> channel_index_;
  size_t adapter_json_bytes_left_ = kMaxAdapterConfigsJsonBytes;
};

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  return util::ParseDurationMs(text);
}

absl::StatusOr<Config> ParseConfig(std::string_view yaml_text, std::string_view source_name) {
  return ConfigParser(absl::string_view(source_name.data(), source_name.size()))
      .Parse(absl::string_view(yaml_text.data(), yaml_text.size()));
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  auto unreadable = [&](int error) {
    return absl::NotFoundError(
        absl::StrCat("cannot read config file ", path, ": ", std::strerror(error)));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(errno);
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return unreadable(error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than ", kMaxFileBytes >> 20,
                                                     " MiB; is this really the config file?"));
    }
  }
  ::close(fd);
  absl::StatusOr<Config> config = ParseConfig(text, path);
  if (config.ok()) config->path = path;
  return config;
}

}  // namespace stockd::config
