// Tests of the YAML config layer: the shipped example and reference files, defaults,
// the mapping onto engine::Model / EngineOptions, and the exact position and key path of
// every kind of error.
#include "daemon/config/config.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace stockd::config {
namespace {

using engine::ChannelType;
using engine::kNoCap;
using engine::LocationType;

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// EXPECT_TRUE(Contains(text, part)) prints both on failure.
::testing::AssertionResult Contains(absl::string_view text, absl::string_view part) {
  if (text.find(part) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

std::string SourcePath(const std::string& relative) {
  return std::string(STOCKD_SOURCE_DIR) + "/" + relative;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 1-based line of the first line of `text` that equals `line`; 0 if none does.
int LineOf(const std::string& text, const std::string& line) {
  int number = 0;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    ++number;
    if (l == line) return number;
  }
  return 0;
}

// Two locations, one channel; lines 1..9. Error cases append to it, so line 10 is the
// first appended line; appended lines indented by 4 continue channel 'web'.
constexpr char kBase[] =
    "locations:\n"              // 1
    "  - id: wh\n"              // 2
    "    type: warehouse\n"     // 3
    "  - id: st\n"              // 4
    "    type: store\n"         // 5
    "channels:\n"               // 6
    "  - id: web\n"             // 7
    "    type: webshop\n"       // 8
    "    sources: [wh, st]\n";  // 9

std::string Base(const std::string& extra) { return std::string(kBase) + extra; }

// The error message of a config that must be rejected.
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

std::vector<std::string> Lines(const std::string& message) { return absl::StrSplit(message, '\n'); }

// ---------------------------------------------------------------- shipped files

TEST(ConfigExampleTest, ParsesIntoTheDocumentedRetailer) {
  const std::string path = SourcePath("config/example.yaml");
  absl::StatusOr<Config> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->path, path);
  EXPECT_EQ(config->server.listen, "127.0.0.1:50551");
  EXPECT_EQ(config->server.max_batch, 1000);
  EXPECT_EQ(config->server.drain_timeout_ms, 10 * kSecond);
  EXPECT_EQ(config->data_dir, "./data");
  EXPECT_EQ(config->redis.address, "");
  EXPECT_EQ(config->engine.default_ttl_ms, 15 * kMinute);
  EXPECT_EQ(config->engine.max_ttl_ms, 7 * kDay);
  EXPECT_EQ(config->engine.hold_retention_ms, kHour);
  EXPECT_EQ(config->engine.idempotency_ttl_ms, 24 * kHour);
  EXPECT_EQ(config->engine.max_idempotency_records, 10'000'000);

  const engine::Model& model = config->model;
  ASSERT_EQ(model.locations.size(), 4u);
  EXPECT_EQ(model.locations[0].id, "wh-central");
  EXPECT_EQ(model.locations[0].type, LocationType::kWarehouse);
  EXPECT_EQ(model.locations[0].name, "Central warehouse, Leipzig");
  EXPECT_EQ(model.locations[1].id, "store-berlin");
  EXPECT_EQ(model.locations[2].id, "store-hamburg");
  EXPECT_EQ(model.locations[3].id, "store-munich");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(model.locations[i].type, LocationType::kStore);

  ASSERT_EQ(model.channels.size(), 6u);
  const engine::Channel& webshop = model.channels[0];
  EXPECT_EQ(webshop.id, "webshop");
  EXPECT_EQ(webshop.type, ChannelType::kWebshop);
  EXPECT_EQ(webshop.sources, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(webshop.policy.protect, (std::vector<int64_t>{0, 2, 2, 2}));
  EXPECT_EQ(webshop.policy.safety_stock, 0);
  EXPECT_EQ(webshop.policy.share_percent, 100);
  EXPECT_EQ(webshop.policy.min_publish, 0);
  EXPECT_EQ(webshop.policy.max_publish, kNoCap);

  const engine::Channel& amazon = model.channels[1];
  EXPECT_EQ(amazon.id, "amazon");
  EXPECT_EQ(amazon.type, ChannelType::kMarketplace);
  EXPECT_EQ(amazon.sources, (std::vector<int>{0}));
  EXPECT_EQ(amazon.policy.protect, (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(amazon.policy.safety_stock, 3);
  EXPECT_EQ(amazon.policy.share_percent, 80);
  EXPECT_EQ(amazon.policy.min_publish, 2);
  EXPECT_EQ(amazon.policy.max_publish, 50);

  const engine::Channel& ebay = model.channels[2];
  EXPECT_EQ(ebay.id, "ebay");
  EXPECT_EQ(ebay.type, ChannelType::kMarketplace);
  EXPECT_EQ(ebay.sources, (std::vector<int>{0}));
  EXPECT_EQ(ebay.policy.safety_stock, 2);
  EXPECT_EQ(ebay.policy.share_percent, 50);
  EXPECT_EQ(ebay.policy.min_publish, 1);
  EXPECT_EQ(ebay.policy.max_publish, 20);

  const char* pos_ids[] = {"pos-berlin", "pos-hamburg", "pos-munich"};
  for (int i = 0; i < 3; ++i) {
    const engine::Channel& pos = model.channels[3 + i];
    EXPECT_EQ(pos.id, pos_ids[i]);
    EXPECT_EQ(pos.type, ChannelType::kStore);
    EXPECT_EQ(pos.sources, (std::vector<int>{1 + i}));
    EXPECT_EQ(pos.policy.protect, (std::vector<int64_t>{0, 0, 0, 0}));
    EXPECT_EQ(pos.policy.max_publish, kNoCap);
  }

  const std::string text = ReadFile(path);
  ASSERT_EQ(model.overrides.size(), 2u);
  const engine::PolicyOverride& sneakers = model.overrides[0];
  EXPECT_EQ(sneakers.pattern, "SNEAKER-*");
  EXPECT_EQ(sneakers.channel, 1);
  EXPECT_EQ(sneakers.origin, path + ":" + std::to_string(LineOf(text, "  - sku: \"SNEAKER-*\"")));
  EXPECT_EQ(sneakers.max_publish, 10);
  EXPECT_FALSE(sneakers.min_publish.has_value());
  EXPECT_FALSE(sneakers.safety_stock.has_value());
  EXPECT_FALSE(sneakers.share_percent.has_value());
  EXPECT_TRUE(sneakers.protect.empty());

  const engine::PolicyOverride& giftcards = model.overrides[1];
  EXPECT_EQ(giftcards.pattern, "GIFTCARD-*");
  EXPECT_EQ(giftcards.channel, 0);
  EXPECT_EQ(giftcards.origin, path + ":" + std::to_string(LineOf(text, "  - sku: \"GIFTCARD-*\"")));
  EXPECT_EQ(giftcards.protect, (std::vector<std::pair<int, int64_t>>{{1, 0}, {2, 0}, {3, 0}}));
  EXPECT_FALSE(giftcards.max_publish.has_value());
}

TEST(ConfigReferenceTest, IsAValidConfigWithTheDefaults) {
  const std::string path = SourcePath("config/reference.yaml");
  absl::StatusOr<Config> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  const Config defaults;
  const engine::EngineOptions default_engine;
  EXPECT_EQ(config->server.listen, defaults.server.listen);
  EXPECT_EQ(config->server.max_batch, defaults.server.max_batch);
  EXPECT_EQ(config->server.drain_timeout_ms, defaults.server.drain_timeout_ms);
  EXPECT_EQ(config->data_dir, defaults.data_dir);
  EXPECT_EQ(config->redis.address, defaults.redis.address);
  EXPECT_EQ(config->engine.shards, default_engine.shards);
  EXPECT_EQ(config->engine.default_ttl_ms, default_engine.default_ttl_ms);
  EXPECT_EQ(config->engine.max_ttl_ms, default_engine.max_ttl_ms);
  EXPECT_EQ(config->engine.hold_retention_ms, default_engine.hold_retention_ms);
  EXPECT_EQ(config->engine.max_lines, default_engine.max_lines);
  EXPECT_EQ(config->engine.idempotency_ttl_ms, default_engine.idempotency_ttl_ms);
  EXPECT_EQ(config->engine.max_idempotency_records, 10'000'000);
  EXPECT_EQ(config->engine.audit_capacity, default_engine.audit_capacity);

  const engine::Model& model = config->model;
  ASSERT_EQ(model.locations.size(), 2u);
  EXPECT_EQ(model.locations[0].id, "wh-main");
  EXPECT_EQ(model.locations[0].name, "Main warehouse");
  EXPECT_EQ(model.locations[1].type, LocationType::kStore);
  EXPECT_EQ(model.locations[1].name, "");
  ASSERT_EQ(model.channels.size(), 2u);
  EXPECT_EQ(model.channels[0].sources, (std::vector<int>{0, 1}));
  EXPECT_EQ(model.channels[0].policy.protect, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(model.channels[0].policy.max_publish, 1'000'000'000'000);
  EXPECT_EQ(model.channels[1].type, ChannelType::kStore);
  EXPECT_EQ(model.channels[1].sources, (std::vector<int>{1}));
  ASSERT_EQ(model.overrides.size(), 1u);
  const engine::PolicyOverride& o = model.overrides[0];
  EXPECT_EQ(o.pattern, "CLEARANCE-*");
  EXPECT_EQ(o.channel, 0);
  EXPECT_EQ(o.origin,
            path + ":" + std::to_string(LineOf(ReadFile(path), "  - sku: \"CLEARANCE-*\"")));
  EXPECT_EQ(o.protect, (std::vector<std::pair<int, int64_t>>{{1, 0}}));
  EXPECT_EQ(o.safety_stock, 0);
  EXPECT_EQ(o.share_percent, 100);
  EXPECT_EQ(o.min_publish, 0);
  EXPECT_EQ(o.max_publish, 1'000'000'000'000);
}

// ---------------------------------------------------------------- mapping and defaults

TEST(ConfigTest, AbsentKeysTakeTheirDefaults) {
  absl::StatusOr<Config> config = ParseConfig(kBase, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->path, "");
  EXPECT_EQ(config->server.listen, "127.0.0.1:50551");
  EXPECT_EQ(config->server.max_batch, 1000);
  EXPECT_EQ(config->server.drain_timeout_ms, 10 * kSecond);
  EXPECT_EQ(config->data_dir, "/var/lib/stockd");
  EXPECT_EQ(config->redis.address, "");
  EXPECT_EQ(config->engine.shards, 256);
  EXPECT_EQ(config->engine.default_ttl_ms, 15 * kMinute);
  EXPECT_EQ(config->engine.min_ttl_ms, 100);
  EXPECT_EQ(config->engine.max_ttl_ms, 7 * kDay);
  EXPECT_EQ(config->engine.hold_retention_ms, kHour);
  EXPECT_EQ(config->engine.idempotency_ttl_ms, 24 * kHour);
  EXPECT_EQ(config->engine.max_lines, 500);
  EXPECT_EQ(config->engine.audit_capacity, 10'000u);
  EXPECT_EQ(config->engine.clock, nullptr);
  EXPECT_EQ(config->engine.journal, nullptr);
  ASSERT_EQ(config->model.channels.size(), 1u);
  const engine::ChannelPolicy& policy = config->model.channels[0].policy;
  EXPECT_EQ(policy.protect, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(policy.safety_stock, 0);
  EXPECT_EQ(policy.share_percent, 100);
  EXPECT_EQ(policy.min_publish, 0);
  EXPECT_EQ(policy.max_publish, kNoCap);
  EXPECT_TRUE(config->model.overrides.empty());
}

TEST(ConfigTest, EmptySectionsReadAsDefaults) {
  absl::StatusOr<Config> config =
      ParseConfig(Base("server:\nholds:\nengine:\noverrides: []\n"), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.max_batch, 1000);
  EXPECT_EQ(config->engine.shards, 256);
}

TEST(ConfigTest, EverySettingIsMapped) {
  const std::string yaml = Base(
      "    protect: { st: 4 }\n"
      "    safety_stock: 1\n"
      "    share_percent: 0\n"
      "    min_publish: 3\n"
      "    max_publish: 3\n"
      "server:\n"
      "  listen: \"[::1]:0\"\n"
      "  max_batch: 100000\n"
      "  drain_timeout: 0\n"
      "data_dir: /srv/stockd\n"
      "redis:\n"
      "  address: \"unix:/run/redis/redis.sock\"\n"
      "engine:\n"
      "  shards: 65536\n"
      "holds:\n"
      "  default_ttl: 100ms\n"
      "  max_ttl: 30d\n"
      "  retention: 0s\n"
      "  max_lines: 10000\n"
      "idempotency:\n"
      "  ttl: 1m\n"
      "  max_records: 1000\n"
      "audit:\n"
      "  memory_entries: 0\n");
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.listen, "[::1]:0");
  EXPECT_EQ(config->server.max_batch, 100000);
  EXPECT_EQ(config->server.drain_timeout_ms, 0);
  EXPECT_EQ(config->data_dir, "/srv/stockd");
  EXPECT_EQ(config->redis.address, "unix:/run/redis/redis.sock");
  EXPECT_EQ(config->engine.shards, 65536);
  EXPECT_EQ(config->engine.default_ttl_ms, 100);
  EXPECT_EQ(config->engine.max_ttl_ms, 30 * kDay);
  EXPECT_EQ(config->engine.hold_retention_ms, 0);
  EXPECT_EQ(config->engine.max_lines, 10000);
  EXPECT_EQ(config->engine.idempotency_ttl_ms, kMinute);
  EXPECT_EQ(config->engine.max_idempotency_records, 1000);
  EXPECT_EQ(config->engine.audit_capacity, 0u);
  const engine::ChannelPolicy& policy = config->model.channels[0].policy;
  EXPECT_EQ(policy.protect, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(policy.safety_stock, 1);
  EXPECT_EQ(policy.share_percent, 0);
  EXPECT_EQ(policy.min_publish, 3);
  EXPECT_EQ(policy.max_publish, 3);
}

TEST(ConfigTest, RedisHostPortIsAccepted) {
  absl::StatusOr<Config> config =
      ParseConfig(Base("redis:\n  address: redis.internal:6379\n"), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis.address, "redis.internal:6379");
}

TEST(ConfigTest, SectionOrderDoesNotMatter) {
  const std::string yaml =
      "overrides:\n"
      "  - sku: \"A-[0-9]?*\"\n"
      "    channel: pos\n"
      "    protect: { st: 1 }\n"
      "channels:\n"
      "  - id: pos\n"
      "    type: store\n"
      "    sources: [st]\n"
      "locations:\n"
      "  - id: wh\n"
      "    type: warehouse\n"
      "  - id: st\n"
      "    type: store\n";
  absl::StatusOr<Config> config = ParseConfig(yaml, "cfg/x.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->model.channels[0].sources, (std::vector<int>{1}));
  EXPECT_EQ(config->model.channels[0].policy.protect, (std::vector<int64_t>{0, 0}));
  ASSERT_EQ(config->model.overrides.size(), 1u);
  EXPECT_EQ(config->model.overrides[0].origin, "cfg/x.yaml:2");
  EXPECT_EQ(config->model.overrides[0].channel, 0);
  EXPECT_EQ(config->model.overrides[0].protect, (std::vector<std::pair<int, int64_t>>{{1, 1}}));
}

TEST(ConfigTest, OverridesKeepFileOrderAndOrigins) {
  const std::string yaml = Base(
      "  - id: pos\n"            // 10
      "    type: store\n"        // 11
      "    sources: [st]\n"      // 12
      "overrides:\n"             // 13
      "  - sku: \"*\"\n"         // 14
      "    channel: pos\n"       // 15
      "    safety_stock: 5\n"    // 16
      "  - channel: web\n"       // 17
      "    sku: \"B?\"\n"        // 18
      "    share_percent: 10\n"  // 19
      "    min_publish: 1\n");   // 20
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->model.overrides.size(), 2u);
  EXPECT_EQ(config->model.overrides[0].origin, "test.yaml:14");
  EXPECT_EQ(config->model.overrides[0].channel, 1);
  EXPECT_EQ(config->model.overrides[0].safety_stock, 5);
  EXPECT_EQ(config->model.overrides[1].origin, "test.yaml:17");
  EXPECT_EQ(config->model.overrides[1].pattern, "B?");
  EXPECT_EQ(config->model.overrides[1].channel, 0);
  EXPECT_EQ(config->model.overrides[1].share_percent, 10);
  EXPECT_EQ(config->model.overrides[1].min_publish, 1);
  EXPECT_FALSE(config->model.overrides[1].safety_stock.has_value());
}

// ---------------------------------------------------------------- errors

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string expected;  // one full error line, or a prefix of it
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, NamesFileLineColumnAndKeyPath) {
  const ErrorCase& c = GetParam();
  const std::string message = ErrorOf(c.yaml);
  bool found = false;
  for (const std::string& line : Lines(message)) {
    if (line.rfind(c.expected, 0) == 0) found = true;
  }
  EXPECT_TRUE(found) << "expected a line starting with:\n  " << c.expected << "\ngot:\n" << message;
}

const ErrorCase kErrorCases[] = {
    // YAML itself.
    {"Syntax", Base("server: 1\n  listen: 2\n"),
     "test.yaml:11:9: yaml: syntax error: illegal map value"},
    {"EmptyDocument", "", "test.yaml:1:1: (document): the document is empty"},
    {"RootNotAMapping", "- a\n- b\n",
     "test.yaml:1:1: (document): expected a mapping, got a sequence"},
    {"TwoDocuments", Base("---\nserver: {}\n"),
     "test.yaml:11:1: (document): expected one YAML document, found 2"},
    {"DuplicateKey", Base("server:\n  max_batch: 5\n  max_batch: 6\n"),
     "test.yaml:12:3: server.max_batch: duplicate key 'max_batch' (first at line 11)"},
    // Unknown keys.
    {"UnknownTopLevelKey", Base("serverr:\n  listen: x\n"),
     "test.yaml:10:1: serverr: unknown key 'serverr'; allowed keys: server, data_dir, redis, "
     "engine, holds, idempotency, audit, plugin_dir, locations, channels, overrides"},
    {"UnknownNestedKey", Base("server:\n  port: 5\n"),
     "test.yaml:11:3: server.port: unknown key 'port'; allowed keys: listen, max_batch, "
     "drain_timeout"},
    {"UnknownChannelKey", Base("    sorces: [wh]\n"),
     "test.yaml:10:5: channels[0].sorces: unknown key 'sorces'; allowed keys: id, type, "
     "sources, protect, safety_stock, share_percent, min_publish, max_publish"},
    // Wrong types.
    {"QuotedInteger", Base("server:\n  max_batch: \"100\"\n"),
     "test.yaml:11:14: server.max_batch: expected an integer, got the quoted string \"100\""},
    {"DecimalInteger", Base("server:\n  max_batch: 1.5\n"),
     "test.yaml:11:14: server.max_batch: expected an integer, got '1.5'"},
    {"BooleanInteger", Base("    share_percent: true\n"),
     "test.yaml:10:20: channels[0].share_percent: expected an integer, got 'true'"},
    {"WordInteger", Base("    safety_stock: abc\n"),
     "test.yaml:10:19: channels[0].safety_stock: expected an integer, got 'abc'"},
    {"NullInteger", Base("server:\n  max_batch:\n"),
     "test.yaml:11:3: server.max_batch: expected an integer, got nothing (null)"},
    {"HugeInteger", Base("    safety_stock: 99999999999999999999\n"),
     "test.yaml:10:19: channels[0].safety_stock: integer '99999999999999999999' is out of range"},
    {"SectionNotAMapping", Base("server: [1]\n"),
     "test.yaml:10:9: server: expected a mapping, got a sequence"},
    {"SourcesNotASequence", Base("  - id: pos\n    type: store\n    sources: st\n"),
     "test.yaml:12:14: channels[1].sources: expected a sequence, got 'st'"},
    {"LocationsNotASequence", "locations: {}\nchannels: []\n",
     "test.yaml:1:12: locations: expected a sequence, got a mapping"},
    {"IdNotAString", Base("  - id: [x]\n    type: store\n    sources: [st]\n"),
     "test.yaml:10:9: channels[1].id: expected a string, got a sequence"},
    // Out of bounds.
    {"MaxBatchZero", Base("server:\n  max_batch: 0\n"),
     "test.yaml:11:14: server.max_batch: must be between 1 and 100000, got 0"},
    {"ShardsTooMany", Base("engine:\n  shards: 65537\n"),
     "test.yaml:11:11: engine.shards: must be between 1 and 65536, got 65537"},
    {"SharePercentAbove100", Base("    share_percent: 101\n"),
     "test.yaml:10:20: channels[0].share_percent: must be between 0 and 100, got 101"},
    {"MaxLinesZero", Base("holds:\n  max_lines: 0\n"),
     "test.yaml:11:14: holds.max_lines: must be between 1 and 10000, got 0"},
    {"AuditNegative", Base("audit:\n  memory_entries: -1\n"),
     "test.yaml:11:19: audit.memory_entries: must not be negative, got -1"},
    {"AuditTooLarge", Base("audit:\n  memory_entries: 10000001\n"),
     "test.yaml:11:19: audit.memory_entries: must be between 0 and 10000000, got 10000001"},
    {"DrainTimeoutTooLong", Base("server:\n  drain_timeout: 11m\n"),
     "test.yaml:11:18: server.drain_timeout: must be between 0s and 10m, got 11m"},
    {"MaxTtlTooLong", Base("holds:\n  max_ttl: 31d\n"),
     "test.yaml:11:12: holds.max_ttl: must be between 1s and 30d, got 31d"},
    {"DefaultTtlTooShort", Base("holds:\n  default_ttl: 99ms\n"),
     "test.yaml:11:16: holds.default_ttl: must be between 100ms and 30d, got 99ms"},
    {"DefaultTtlAboveMaxTtl", Base("holds:\n  max_ttl: 1h\n  default_ttl: 2h\n"),
     "test.yaml:12:16: holds.default_ttl: 2h exceeds holds.max_ttl (1h)"},
    {"DefaultTtlAboveDefaultMaxTtl", Base("holds:\n  default_ttl: 8d\n"),
     "test.yaml:11:16: holds.default_ttl: 8d exceeds holds.max_ttl (7d, the default)"},
    {"MaxTtlBelowDefaultTtl", Base("holds:\n  max_ttl: 10m\n"),
     "test.yaml:11:12: holds.max_ttl: 10m is below holds.default_ttl (15m, the default)"},
    {"RetentionBadUnit", Base("holds:\n  retention: 1w\n"),
     "test.yaml:11:14: holds.retention: invalid duration '1w': unknown unit 'w'"},
    {"IdempotencyTtlFraction", Base("idempotency:\n  ttl: 1.5h\n"),
     "test.yaml:11:8: idempotency.ttl: invalid duration '1.5h'"},
    {"IdempotencyTtlTooShort", Base("idempotency:\n  ttl: 30s\n"),
     "test.yaml:11:8: idempotency.ttl: must be between 1m and 30d, got 30s"},
    {"IdempotencyMaxRecordsTooFew", Base("idempotency:\n  max_records: 999\n"),
     "test.yaml:11:16: idempotency.max_records: must be between 1000 and 1000000000, got 999"},
    {"IdempotencyMaxRecordsTooMany", Base("idempotency:\n  max_records: 1000000001\n"),
     "test.yaml:11:16: idempotency.max_records: must be between 1000 and 1000000000, got "
     "1000000001"},
    {"DurationNegative", Base("server:\n  drain_timeout: -5s\n"),
     "test.yaml:11:18: server.drain_timeout: invalid duration '-5s': must not be negative"},
    {"DurationMapping", Base("server:\n  drain_timeout: {s: 1}\n"),
     "test.yaml:11:18: server.drain_timeout: expected a duration such as \"15m\", got a mapping"},
    {"ListenWithoutPort", Base("server:\n  listen: localhost\n"),
     "test.yaml:11:11: server.listen: 'localhost': expected host:port"},
    {"ListenPortTooLarge", Base("server:\n  listen: \"0.0.0.0:70000\"\n"),
     "test.yaml:11:11: server.listen: '0.0.0.0:70000': port '70000' must be an integer between "
     "0 and 65535"},
    {"ListenBareIpv6", Base("server:\n  listen: \"::1:50551\"\n"),
     "test.yaml:11:11: server.listen: '::1:50551': an IPv6 host must be in brackets"},
    {"RedisAddressWithoutPort", Base("redis:\n  address: redis\n"),
     "test.yaml:11:12: redis.address: 'redis': expected host:port"},
    {"RedisPortZero", Base("redis:\n  address: \"redis:0\"\n"),
     "test.yaml:11:12: redis.address: 'redis:0': port '0' must be an integer between 1 and "
     "65535"},
    {"RedisUnixWithoutPath", Base("redis:\n  address: \"unix:\"\n"),
     "test.yaml:11:12: redis.address: 'unix:': expected unix:/path/to/redis.sock"},
    {"DataDirEmpty", Base("data_dir: \"\"\n"), "test.yaml:10:11: data_dir: must not be empty"},
    // Missing required keys and empty lists.
    {"LocationsMissing", "channels:\n  - id: web\n    type: webshop\n    sources: [wh]\n",
     "test.yaml:1:1: locations: required key is missing"},
    {"ChannelsMissing", "locations:\n  - id: wh\n    type: warehouse\n",
     "test.yaml:1:1: channels: required key is missing"},
    {"LocationsEmpty",
     "locations: []\nchannels:\n  - id: web\n    type: webshop\n"
     "    sources: [wh]\n",
     "test.yaml:1:12: locations: must list at least one location"},
    {"ChannelsEmpty", "locations:\n  - id: wh\n    type: warehouse\nchannels: []\n",
     "test.yaml:4:11: channels: must list at least one channel"},
    {"LocationTypeMissing", "locations:\n  - id: wh\nchannels: []\n",
     "test.yaml:2:5: locations[0].type: required key is missing"},
    {"ChannelSourcesMissing", Base("  - id: pos\n    type: store\n"),
     "test.yaml:10:5: channels[1].sources: required key is missing"},
    {"ChannelSourcesEmpty", Base("  - id: pos\n    type: store\n    sources: []\n"),
     "test.yaml:12:14: channels[1].sources: must list at least one location"},
    {"ChannelIdMissing", Base("  - type: store\n    sources: [st]\n"),
     "test.yaml:10:5: channels[1].id: required key is missing"},
    {"OverrideSkuMissing", Base("overrides:\n  - channel: web\n    safety_stock: 1\n"),
     "test.yaml:11:5: overrides[0].sku: required key is missing"},
    // Identifiers and enums.
    {"InvalidLocationId", "locations:\n  - id: \"Wh Central\"\n    type: warehouse\nchannels: []\n",
     "test.yaml:2:9: locations[0].id: 'Wh Central' is not a valid id"},
    {"UnknownLocationType", "locations:\n  - id: wh\n    type: depot\nchannels: []\n",
     "test.yaml:3:11: locations[0].type: unknown location type 'depot'; expected warehouse or "
     "store"},
    {"UnknownChannelType", Base("  - id: pos\n    type: till\n    sources: [st]\n"),
     "test.yaml:11:11: channels[1].type: unknown channel type 'till'; expected webshop, "
     "marketplace or store"},
    {"DuplicateLocationId",
     "locations:\n  - id: wh\n    type: warehouse\n  - id: wh\n    type: store\n"
     "channels:\n  - id: web\n    type: webshop\n    sources: [wh]\n",
     "test.yaml:4:9: locations[1].id: duplicate location id 'wh'; first defined at "
     "locations[0] (line 2)"},
    {"DuplicateChannelId", Base("  - id: web\n    type: store\n    sources: [st]\n"),
     "test.yaml:10:9: channels[1].id: duplicate channel id 'web'; first defined at "
     "channels[0] (line 7)"},
    // Cross references.
    {"UnknownSourceLocation", Base("  - id: pos\n    type: store\n    sources: [st, mars]\n"),
     "test.yaml:12:19: channels[1].sources[1]: unknown location 'mars'"},
    {"DuplicateSource", Base("  - id: pos\n    type: store\n    sources: [st, st]\n"),
     "test.yaml:12:19: channels[1].sources[1]: duplicate source 'st' (already "
     "channels[1].sources[0])"},
    {"ProtectNotASource",
     Base("  - id: pos\n    type: store\n    sources: [st]\n    protect: { wh: 1 }\n"),
     "test.yaml:13:16: channels[1].protect.wh: 'wh' is not a source of channel 'pos'"},
    {"ProtectUnknownLocation", Base("    protect: { store-x: 1 }\n"),
     "test.yaml:10:16: channels[0].protect.store-x: 'store-x' is not a source of channel 'web' "
     "(no location has this id)"},
    {"OverrideUnknownChannel",
     Base("overrides:\n  - sku: \"A-*\"\n    channel: nope\n    safety_stock: 1\n"),
     "test.yaml:12:14: overrides[0].channel: unknown channel 'nope'"},
    {"OverrideProtectNotASource",
     Base("  - id: pos\n    type: store\n    sources: [st]\n"
          "overrides:\n  - sku: \"A-*\"\n    channel: pos\n    protect:\n      wh: 0\n"),
     "test.yaml:17:7: overrides[0].protect.wh: 'wh' is not a source of channel 'pos'"},
    // Buffers and publish bounds.
    {"NegativeSafetyStock", Base("    safety_stock: -1\n"),
     "test.yaml:10:19: channels[0].safety_stock: must not be negative, got -1"},
    {"NegativeProtect", Base("    protect: { st: -2 }\n"),
     "test.yaml:10:20: channels[0].protect.st: must not be negative, got -2"},
    {"NegativeMinPublish", Base("    min_publish: -3\n"),
     "test.yaml:10:18: channels[0].min_publish: must not be negative, got -3"},
    {"UnitsAboveEngineBound", Base("    max_publish: 1000000000001\n"),
     "test.yaml:10:18: channels[0].max_publish: must be between 0 and 1000000000000, got "
     "1000000000001"},
    {"MinPublishAboveMaxPublish", Base("    min_publish: 5\n    max_publish: 4\n"),
     "test.yaml:11:18: channels[0].max_publish: 4 is below min_publish (5)"},
    {"OverrideMinAboveChannelMax",
     Base("    max_publish: 5\noverrides:\n  - sku: \"X*\"\n    channel: web\n"
          "    min_publish: 6\n"),
     "test.yaml:14:18: overrides[0].min_publish: 6 is above max_publish (5, from the channel)"},
    {"OverrideMaxBelowOwnMin",
     Base("overrides:\n  - sku: \"X*\"\n    channel: web\n    min_publish: 3\n"
          "    max_publish: 2\n"),
     "test.yaml:14:18: overrides[0].max_publish: 2 is below min_publish (3)"},
    {"OverrideNegativeSafetyStock",
     Base("overrides:\n  - sku: \"X*\"\n    channel: web\n    safety_stock: -1\n"),
     "test.yaml:13:19: overrides[0].safety_stock: must not be negative, got -1"},
    // Override patterns and content.
    {"OverrideSetsNothing", Base("overrides:\n  - sku: \"X*\"\n    channel: web\n"),
     "test.yaml:11:5: overrides[0]: the override changes nothing"},
    {"OverridePatternBadByte",
     Base("overrides:\n  - sku: \"A B*\"\n    channel: web\n    safety_stock: 1\n"),
     "test.yaml:11:10: overrides[0].sku: invalid SKU pattern 'A B*': byte ' ' is not allowed"},
    {"OverridePatternOpenSet",
     Base("overrides:\n  - sku: \"A[0-9\"\n    channel: web\n    safety_stock: 1\n"),
     "test.yaml:11:10: overrides[0].sku: invalid SKU pattern 'A[0-9': '[' without a matching "
     "']'"},
    {"OverridePatternEmpty",
     Base("overrides:\n  - sku: \"\"\n    channel: web\n    safety_stock: 1\n"),
     "test.yaml:11:10: overrides[0].sku: invalid SKU pattern '': the pattern is empty"},
};

INSTANTIATE_TEST_SUITE_P(AllKinds, ConfigErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ConfigTest, EveryErrorIsReportedInFileOrder) {
  const std::string yaml =
      "server:\n"                     // 1
      "  max_batch: 0\n"              // 2
      "  colour: blue\n"              // 3
      "locations:\n"                  // 4
      "  - id: wh\n"                  // 5
      "    type: warehouse\n"         // 6
      "channels:\n"                   // 7
      "  - id: web\n"                 // 8
      "    type: webshop\n"           // 9
      "    sources: [wh, nowhere]\n"  // 10
      "    safety_stock: -4\n"        // 11
      "  - id: web\n"                 // 12
      "    sources: [wh]\n"           // 13
      "overrides:\n"                  // 14
      "  - sku: \"X*\"\n"             // 15
      "    channel: amazon\n"         // 16
      "    max_publish: 1\n";         // 17
  const std::vector<std::string> lines = Lines(ErrorOf(yaml));
  const std::vector<std::string> expected = {
      "test.yaml:2:14: server.max_batch: must be between 1 and 100000, got 0",
      "test.yaml:3:3: server.colour: unknown key 'colour'",
      "test.yaml:10:19: channels[0].sources[1]: unknown location 'nowhere'",
      "test.yaml:11:19: channels[0].safety_stock: must not be negative, got -4",
      "test.yaml:12:5: channels[1].type: required key is missing",
      "test.yaml:12:9: channels[1].id: duplicate channel id 'web'",
      "test.yaml:16:14: overrides[0].channel: unknown channel 'amazon'",
  };
  ASSERT_EQ(lines.size(), expected.size()) << absl::StrJoin(lines, "\n");
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(lines[i].rfind(expected[i], 0), 0u) << "line " << i << ": " << lines[i];
  }
}

TEST(ConfigTest, InvalidIdsDoNotCascadeIntoReferences) {
  // The location id is reported once; the channel that sources from it is not blamed.
  const std::string yaml =
      "locations:\n"
      "  - id: \"bad id\"\n"
      "    type: store\n"
      "channels:\n"
      "  - id: pos\n"
      "    type: store\n"
      "    sources: [\"bad id\"]\n"
      "    protect: { \"bad id\": 1 }\n";
  const std::vector<std::string> lines = Lines(ErrorOf(yaml));
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(Contains(lines[0], "test.yaml:2:9: locations[0].id: 'bad id' is not a valid id"));
}

TEST(ConfigTest, UnknownSourceIsNotReportedAgainInProtect) {
  const std::vector<std::string> lines = Lines(ErrorOf(
      Base("  - id: pos\n    type: store\n    sources: [mars]\n    protect: { mars: 1 }\n")));
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(Contains(lines[0], "test.yaml:12:15: channels[1].sources[0]: unknown location"));
}

TEST(ConfigTest, UserTextCannotBreakTheOneLinePerErrorFormat) {
  const std::vector<std::string> lines = Lines(ErrorOf(Base("server:\n  \"a\\nb\": 1\n")));
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(Contains(lines[0], "test.yaml:11:3: server.a\\nb: unknown key 'a\\nb'"));
}

// ---------------------------------------------------------------- files

TEST(LoadConfigFileTest, MissingFileIsNotFoundWithPathAndReason) {
  const std::string path = SourcePath("config/does-not-exist.yaml");
  absl::StatusOr<Config> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(config.status().message(), path));
  EXPECT_TRUE(Contains(config.status().message(), "No such file or directory"));
}

TEST(LoadConfigFileTest, DirectoryIsNotFound) {
  absl::StatusOr<Config> config = LoadConfigFile(SourcePath("config"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(config.status().message(), "Is a directory"));
}

TEST(LoadConfigFileTest, ErrorsNameThePath) {
  const std::string path = ::testing::TempDir() + "/config_test_bad.yaml";
  {
    std::ofstream out(path);
    out << Base("engine:\n  shards: 0\n");
  }
  absl::StatusOr<Config> config = LoadConfigFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(config.status().message(),
                       path + ":11:11: engine.shards: must be between 1 and 65536, got 0"));
}

// ---------------------------------------------------------------- durations

TEST(ParseDurationMsTest, AcceptsIntegerWithUnit) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},
      {"0ms", 0},
      {"10", 10 * kSecond},
      {"500ms", 500},
      {"30s", 30 * kSecond},
      {"15m", 15 * kMinute},
      {"24h", 24 * kHour},
      {"7d", 7 * kDay},
      {"007s", 7 * kSecond},
      {"9223372036854775807ms", std::numeric_limits<int64_t>::max()},
      {"106751991167d", 106751991167 * kDay},
  };
  for (const auto& [text, ms] : cases) {
    absl::StatusOr<int64_t> parsed = ParseDurationMs(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, ms) << text;
  }
}

TEST(ParseDurationMsTest, RejectsEverythingElse) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"-5s", "must not be negative"},
      {"-0", "must not be negative"},
      {"+5s", "expected an integer"},
      {"s", "expected an integer"},
      {"ms10", "expected an integer"},
      {" 10s", "expected an integer"},
      {"1.5h", "unknown unit '.5h'"},
      {"10x", "unknown unit 'x'"},
      {"10S", "unknown unit 'S'"},
      {"10 s", "unknown unit ' s'"},
      {"10sec", "unknown unit 'sec'"},
      {"1e3", "unknown unit 'e3'"},
      {"10ms5", "unknown unit 'ms5'"},
      {"9223372036854775808ms", "too large"},
      {"9223372036854775807s", "too large"},
      {"106751991168d", "too large"},
      {"99999999999999999999999", "too large"},
  };
  for (const auto& [text, why] : cases) {
    absl::StatusOr<int64_t> parsed = ParseDurationMs(text);
    ASSERT_FALSE(parsed.ok()) << "'" << text << "' parsed as " << *parsed;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(Contains(parsed.status().message(), why)) << text;
    EXPECT_TRUE(Contains(parsed.status().message(), std::string("'") + text + "'")) << text;
  }
}

}  // namespace
}  // namespace stockd::config

// ---------------------------------------------------------------- redis and adapters

namespace stockd::config {
namespace {

TEST(ConfigRedisTest, ModesFsyncAndBounds) {
  absl::StatusOr<Config> c = ParseConfig(Base(""), "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis.mode, RedisConfig::Mode::kEmbedded);
  EXPECT_EQ(c->redis.appendfsync, "always");
  EXPECT_EQ(c->redis.timeout_ms, 2000);
  c = ParseConfig(Base("redis: {address: \"unix:/run/r.sock\", timeout: 500ms, max_batch: 64}\n"),
                  "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis.mode, RedisConfig::Mode::kExternal);
  EXPECT_EQ(c->redis.timeout_ms, 500);
  EXPECT_EQ(c->redis.max_batch, 64);
  c = ParseConfig(Base("redis: {mode: memory, appendfsync: everysec}\n"), "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis.mode, RedisConfig::Mode::kMemory);
  EXPECT_EQ(c->redis.appendfsync, "everysec");

  EXPECT_TRUE(Contains(ErrorOf(Base("redis: {mode: external}\n")),
                       "test.yaml:10:15: redis.mode: 'external' needs redis.address"));
  EXPECT_TRUE(Contains(ErrorOf(Base("redis: {mode: memory, address: \"h:1\"}\n")),
                       "redis.mode: 'memory' takes no redis.address"));
  EXPECT_TRUE(Contains(ErrorOf(Base("redis: {appendfsync: sometimes}\n")),
                       "redis.appendfsync: 'sometimes': expected always, everysec or no"));
  EXPECT_TRUE(Contains(ErrorOf(Base("redis: {timeout: 10ms}\n")), "redis.timeout"));
}

TEST(ConfigAdapterTest, AdapterBecomesPluginConfigJson) {
  absl::StatusOr<Config> c = ParseConfig(Base("    adapter:\n"
                                              "      plugin: webhook\n"
                                              "      config:\n"
                                              "        url: \"http://127.0.0.1:9/stock\"\n"
                                              "        timeout_ms: 250\n"
                                              "        verify: true\n"
                                              "        headers: {X-Key: \"a\\\"b\"}\n"
                                              "        tags: [1, two]\n"
                                              "      rate_limit: 20\n"
                                              "      burst: 40\n"
                                              "      reconcile_interval: 1h\n"
                                              "      coalesce_window: 250ms\n"),
                                         "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->adapters.size(), 1u);
  const AdapterConfig& a = c->adapters[0];
  EXPECT_EQ(a.channel, "web");
  EXPECT_EQ(a.plugin, "webhook");
  EXPECT_EQ(a.config_json,
            "{\"url\":\"http://127.0.0.1:9/stock\",\"timeout_ms\":250,\"verify\":true,"
            "\"headers\":{\"X-Key\":\"a\\\"b\"},\"tags\":[1,\"two\"]}");
  EXPECT_EQ(a.rate_per_second, 20);
  EXPECT_EQ(a.burst, 40);
  EXPECT_EQ(a.reconcile_interval_ms, kHour);
  EXPECT_EQ(a.coalesce_window_ms, 250);
  EXPECT_EQ(a.origin, "test.yaml:11");  // where the adapter mapping starts
}

TEST(ConfigAdapterTest, AdapterErrorsNameTheKey) {
  EXPECT_TRUE(Contains(ErrorOf(Base("    adapter: {config: {}}\n")),
                       "channels[0].adapter.plugin: required key is missing"));
  EXPECT_TRUE(Contains(ErrorOf(Base("    adapter: {plugin: \"Web Hook\"}\n")),
                       "a plugin name is 1-64 bytes of [a-z0-9_]"));
  EXPECT_TRUE(Contains(ErrorOf(Base("    adapter: {plugin: webhook, config: [1]}\n")),
                       "channels[0].adapter.config: expected a mapping"));
  EXPECT_TRUE(
      Contains(ErrorOf(Base("    adapter: {plugin: webhook, rate: 5}\n")), "unknown key 'rate'"));
}

}  // namespace
}  // namespace stockd::config
