// Typed, bounded reading of a YAML document with yaml-cpp, for the config parser: the
// error list (every problem as "<source>:<line>:<col>: <key.path>: <what>"), values with
// their key path and position, typed readers (int, duration, string, sequence, mapping),
// and a reader for mappings with a fixed set of keys (the bounded YAML -> JSON writer:
// yaml_json.h). It knows nothing of stockd's configuration (daemon/config/schema.h
// declares the keys).
//
// Thread safety: no shared state; an ErrorList and the readers built on it belong to
// one parse on one thread.
#ifndef STOCKD_DAEMON_CONFIG_YAML_READER_H_
#define STOCKD_DAEMON_CONFIG_YAML_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "yaml-cpp/yaml.h"

namespace stockd::config::yaml {

inline constexpr int64_t kMsPerSecond = 1000;
inline constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// List items and mapping entries one parse reads, aliases expanded: 4 Mi, more than
// twice a config at the schema's maxima (4096 locations, 256 channels each selling from
// and protecting all of them: 2.1 Mi), and far more than any real override list holds.
// Reading all of them takes ~6 s (ConfigLimitsTest.AliasedOverridesStopAtTheValueBudget).
// The fuzzer (tests/fuzz/config_fuzz.cc) builds with a smaller budget, so that the inputs
// that reach it stay fast under its sanitizers; the daemon never overrides it.
#ifndef STOCKD_MAX_DOCUMENT_VALUES
#define STOCKD_MAX_DOCUMENT_VALUES (4 << 20)
#endif
inline constexpr size_t kMaxDocumentValues = STOCKD_MAX_DOCUMENT_VALUES;
// Errors listed in full; the rest are counted.
inline constexpr size_t kMaxReportedErrors = 1000;

// The errors found so far, and the parse's budget of values (the one thing every reader
// already has at hand, so it is kept here).
class ErrorList {
 public:
  explicit ErrorList(absl::string_view source) : source_(source) {}

  void Add(const YAML::Mark& mark, absl::string_view path, absl::string_view what);

  // Takes `count` values (the items of a collection) from the budget; false, reporting it
  // once, when the budget is spent. A YAML alias (*name) is read as a full copy of its
  // anchor each time it is used: without the budget a small file of aliases could make
  // the parser read billions of values.
  bool TakeValues(size_t count, const YAML::Mark& mark, absl::string_view path);

  bool empty() const { return entries_.empty(); }

  // All errors, in file order, one per line (INVALID_ARGUMENT).
  absl::Status ToStatus() const;

  const std::string& source() const { return source_; }
  // "<source>:<line>:<col>: <path>", as an error at `mark` begins.
  std::string Where(const YAML::Mark& mark, absl::string_view path) const;

 private:
  void Append(const YAML::Mark& mark, absl::string_view path, absl::string_view what);

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

// A YAML value with the key path and position used to report problems with it.
struct Value {
  YAML::Node node;
  YAML::Mark mark;  // the value's position; its key's when the value is empty (null)
  std::string path;
};

// One key of a mapping.
struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Value value;
};

// User text as it appears in an error: control bytes escaped, so that every error stays
// on one line.
std::string Printable(absl::string_view s);
// Printable, and cut to a length that keeps the error readable.
std::string Truncated(absl::string_view s);
// "a mapping", "the quoted string \"5\"", "'abc'": what was found instead of what was
// expected.
std::string Describe(const YAML::Node& node);
// "15m", "7d", "250ms": the largest unit that divides `ms` exactly.
std::string FormatDuration(int64_t ms);

// Typed readers: nullopt after reporting why the value is not what was asked for.
std::optional<int64_t> ReadInt(const Value& v, int64_t min, int64_t max, ErrorList& errors);
std::optional<int64_t> ReadDuration(const Value& v, int64_t min_ms, int64_t max_ms,
                                    ErrorList& errors);
std::optional<std::string> ReadString(const Value& v, ErrorList& errors);
// The items of a sequence, each with its path "<path>[i]".
std::vector<Value> ReadSequence(const Value& v, ErrorList& errors);
// The entries of a mapping, in file order. Reports non-scalar and duplicate keys (which
// are then skipped). An empty value (null) reads as an empty mapping.
std::vector<Entry> ReadEntries(const Value& v, ErrorList& errors, bool* is_map = nullptr);

// A mapping with a fixed set of keys: reports unknown keys (naming the allowed ones, in
// the order given), then serves typed lookups. Lookups return nullopt when the key is
// absent or its value is invalid (reported).
class MapReader {
 public:
  MapReader(const Value& map, absl::Span<const absl::string_view> allowed, ErrorList& errors);

  std::optional<Value> Get(absl::string_view key) const;
  // Like Get, and reports a missing key (unless the map itself was not a mapping).
  std::optional<Value> Require(absl::string_view key) const;

  std::optional<int64_t> Int(absl::string_view key, int64_t min, int64_t max) const;
  std::optional<int64_t> Duration(absl::string_view key, int64_t min_ms, int64_t max_ms) const;
  std::optional<std::string> String(absl::string_view key) const;
  // The words true or false (config booleans are written as those two words only).
  std::optional<bool> Bool(absl::string_view key) const;

  std::string Child(absl::string_view key) const;
  const Value& value() const { return map_; }
  bool empty() const { return entries_.empty(); }

 private:
  Value map_;
  ErrorList& errors_;
  bool is_map_ = false;
  std::vector<Entry> entries_;
};

}  // namespace stockd::config::yaml

#endif  // STOCKD_DAEMON_CONFIG_YAML_READER_H_
