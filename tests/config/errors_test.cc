// The config layer's errors: the exact file:line:column and key path of every kind of
// error, all errors reported in file order, and user text kept on one line.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "daemon/config/config.h"
#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

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
    // yaml-cpp 0.7 starts empty documents forever here (LoadAll ran out of memory on it:
    // found by tests/fuzz/config_fuzz.cc).
    {"StrayComma", "# stockd\n\n,\nserver: {}\n",
     "test.yaml:3:1: yaml: syntax error: the YAML parser cannot read past this point (a "
     "stray ',' or similar outside a [flow] or {flow} collection?)"},
    {"ALoneComma", ",",
     "test.yaml:1:1: yaml: syntax error: the YAML parser cannot read past this point (a "
     "stray ',' or similar outside a [flow] or {flow} collection?)"},
    {"DuplicateKey", Base("server:\n  max_batch: 5\n  max_batch: 6\n"),
     "test.yaml:12:3: server.max_batch: duplicate key 'max_batch' (first at line 11)"},
    // Unknown keys.
    {"UnknownTopLevelKey", Base("serverr:\n  listen: x\n"),
     "test.yaml:10:1: serverr: unknown key 'serverr'; allowed keys: server, data_dir, redis, "
     "engine, holds, idempotency, audit, plugin_dir, locations, channels, overrides"},
    {"LogLevel", Base("log:\n  level: verbose\n"),
     "test.yaml:11:10: log.level: 'verbose': expected debug, info, warn or error"},
    {"UnknownLogKey", Base("log:\n  lvl: debug\n"),
     "test.yaml:11:3: log.lvl: unknown key 'lvl'; allowed keys: level"},
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

}  // namespace
}  // namespace stockd::config
