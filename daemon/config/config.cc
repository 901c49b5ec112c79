// Parsing the configuration: the document, its root mapping and the small sections
// (engine, holds, idempotency, audit, log), and reading the file. The keys and their bounds
// are declared in schema.h; the other sections are parsed in parse_server_redis.cc,
// parse_model.cc and parse_adapters.cc. Parsing never stops at the first problem: every
// error is collected with its file:line:column and key path, and all of them are
// returned together.
#include "daemon/config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/parser.h"
#include "daemon/engine/response_size.h"
#include "daemon/util/duration.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace stockd::config {
namespace internal {
namespace {

using yaml::Describe;
using yaml::FormatDuration;
using yaml::MapReader;
using yaml::ReadString;

// A config file larger than this is a mistake (e.g. pointing at a log or a device).
constexpr size_t kMaxFileBytes = 16 << 20;
constexpr char kDocumentPath[] = "(document)";

// Where each document of a YAML stream starts (and its root node, where the document's
// errors point), without building it.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;  // each document's start
  std::vector<YAML::Mark> roots;  // each document's root node (as many as have one)

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (roots.size() < marks.size()) roots.push_back(mark);
  }
};

// Documents counted at most (a config has one; the count is only for the message).
constexpr size_t kMaxDocumentsCounted = 1000;

}  // namespace

absl::StatusOr<Config> ConfigParser::Parse(absl::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    // Not YAML::LoadAll: on some malformed streams (a lone ",") yaml-cpp 0.7's parser
    // starts a new empty document again and again without moving, and LoadAll collects
    // them until memory runs out (found by tests/fuzz/config_fuzz.cc). The documents are
    // counted here, stopping where the parser stops moving; then the first is built.
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (starts.marks.size() < kMaxDocumentsCounted && parser.HandleNextDocument(starts)) {
      const size_t n = starts.marks.size();
      if (n >= 2 && starts.marks[n - 1].pos == starts.marks[n - 2].pos) {
        errors_.Add(starts.marks[n - 1], "yaml",
                    "syntax error: the YAML parser cannot read past this point (a stray ',' "
                    "or similar outside a [flow] or {flow} collection?)");
        return errors_.ToStatus();
      }
    }
    if (!starts.marks.empty()) documents.push_back(YAML::Load(std::string(text)));
    if (starts.marks.size() > 1) {
      errors_.Add(starts.roots.size() > 1 ? starts.roots[1] : starts.marks[1], kDocumentPath,
                  absl::StrCat("expected one YAML document, found ", starts.marks.size(),
                               starts.marks.size() >= kMaxDocumentsCounted ? " or more" : ""));
    }
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

void ConfigParser::ParseRoot(const Value& root) {
  if (!root.node.IsMap()) {
    errors_.Add(root.mark, kDocumentPath,
                root.node.IsNull()
                    ? "the document is empty; expected a mapping with at least 'locations' "
                      "and 'channels'"
                    : absl::StrCat("expected a mapping, got ", Describe(root.node)));
    return;
  }
  MapReader map(root, schema::Root().names(), errors_);
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
    ReadFields(MapReader(*v, schema::Engine().names(), errors_), schema::Engine(), config_);
  }
  if (auto v = map.Get("holds")) ParseHolds(*v);
  if (auto v = map.Get("idempotency")) {
    ReadFields(MapReader(*v, schema::Idempotency().names(), errors_), schema::Idempotency(),
               config_);
  }
  if (auto v = map.Get("audit")) {
    ReadFields(MapReader(*v, schema::Audit().names(), errors_), schema::Audit(), config_);
  }
  // Channels refer to locations and overrides to channels: parse in that order,
  // whatever the order of the keys in the file.
  if (auto v = map.Require("locations")) ParseLocations(*v);
  if (auto v = map.Require("channels")) ParseChannels(*v);
  if (auto v = map.Get("overrides")) ParseOverrides(*v);
  if (auto v = map.Get("kits")) ParseKits(*v);
  if (auto v = map.Get("alerts")) ParseAlerts(*v);
  if (auto v = map.Get("reorder")) ParseReorder(*v);
  if (auto v = map.Get("orders")) ParseOrders(*v);
  if (auto v = map.Get("metrics")) ParseMetrics(*v);
  if (auto v = map.Get("log")) ParseLog(*v);
  if (auto v = map.Get("clients")) ParseClients(*v);
  CheckListen();
  CheckResponseFitsHolds(map);
}

void ConfigParser::ParseLog(const Value& v) {
  MapReader reader(v, schema::Log().names(), errors_);
  if (std::optional<std::string> level = reader.String("level")) {
    if (std::optional<log::Level> parsed = log::ParseLevel(*level)) {
      config_.log.level = *parsed;
    } else {
      const Value field = *reader.Get("level");
      errors_.Add(
          field.mark, field.path,
          absl::StrCat("'", yaml::Truncated(*level), "': expected debug, info, warn or error"));
    }
  }
}

// The largest hold must fit in one response (Reserve, Commit, GetHold, ...).
void ConfigParser::CheckResponseFitsHolds(const MapReader& root) {
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

void ConfigParser::ParseHolds(const Value& v) {
  const schema::Table<Config>& table = schema::Holds();
  MapReader holds(v, table.names(), errors_);
  engine::EngineOptions& options = config_.engine;
  const schema::KeyInfo& max_key = table.Key("max_ttl");
  const schema::KeyInfo& default_key = table.Key("default_ttl");
  std::optional<int64_t> max_ttl = holds.Duration("max_ttl", max_key.min, max_key.max);
  if (max_ttl.has_value()) options.max_ttl_ms = *max_ttl;
  std::optional<int64_t> default_ttl =
      holds.Duration("default_ttl", default_key.min, default_key.max);
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
      errors_.Add(field.mark, field.path,
                  absl::StrCat(FormatDuration(options.max_ttl_ms), " is below holds.default_ttl (",
                               FormatDuration(options.default_ttl_ms),
                               ", the default); set holds.default_ttl too"));
    }
  }
  ReadFields(holds, table, config_);  // retention, max_lines
}

}  // namespace internal

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  return util::ParseDurationMs(text);
}

absl::StatusOr<Config> ParseConfig(std::string_view yaml_text, std::string_view source_name) {
  return internal::ConfigParser(absl::string_view(source_name.data(), source_name.size()))
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
    if (text.size() > internal::kMaxFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than ",
                                                     internal::kMaxFileBytes >> 20,
                                                     " MiB; is this really the config file?"));
    }
  }
  ::close(fd);
  absl::StatusOr<Config> config = ParseConfig(text, path);
  if (config.ok()) config->path = path;
  return config;
}

}  // namespace stockd::config
