// Tests of the config layer's resource bounds: YAML alias expansion and nesting in adapter
// configs, the parser's own nesting limit, the document-wide value budget, list and error
// counts, and a config at (a sixteenth of) the schema's maxima.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "gtest/gtest.h"

namespace stockd::config {
namespace {

// One location, one channel whose adapter config starts at line 7 (column 9).
constexpr char kAdapterBase[] =
    "locations: [{id: wh, type: warehouse}]\n"  // 1
    "channels:\n"                               // 2
    "  - id: web\n"                             // 3
    "    type: webshop\n"                       // 4
    "    sources: [wh]\n"                       // 5
    "    adapter:\n"                            // 6
    "      plugin: webhook\n"                   // 7
    "      config:\n";                          // 8; the config's keys from line 9

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  EXPECT_FALSE(config.ok()) << "accepted";
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

// "Billion laughs": nine levels of nine aliases of the level below, 9^9 strings (over
// 2 GB of JSON) described in under 900 bytes.
std::string AliasBomb() {
  std::string yaml = kAdapterBase;
  yaml += "        l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";  // line 9
  for (int level = 1; level <= 8; ++level) {
    const std::string below = absl::StrCat("*l", level - 1);
    absl::StrAppend(&yaml, "        l", level, ": &l", level, " [", below);
    for (int i = 1; i < 9; ++i) absl::StrAppend(&yaml, ", ", below);
    yaml += "]\n";
  }
  return yaml;
}

TEST(ConfigLimitsTest, AliasBombInAdapterConfigIsRejectedAtTheConfigKey) {
  const std::string yaml = AliasBomb();
  ASSERT_LT(yaml.size(), 900u);
  const std::string message = ErrorOf(yaml);
  EXPECT_EQ(message.rfind("test.yaml:9:9: channels[0].adapter.config: expands to more than "
                          "1048576 bytes of JSON (1 MiB); YAML aliases (*name) repeat their "
                          "anchor's content each time they are used (stopped counting at "
                          "channels[0].adapter.config.l",
                          0),
            0u)
      << message;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(message, '\n')).size(), 1u) << message;
}

TEST(ConfigLimitsTest, AdapterConfigJustBelowTheSizeBoundIsAccepted) {
  // {"s":"xxx..."}: 8 bytes around the string.
  const std::string yaml =
      absl::StrCat(kAdapterBase, "        s: ", std::string((1 << 20) - 8, 'x'), "\n");
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message().substr(0, 300);
  ASSERT_EQ(config->adapters.size(), 1u);
  EXPECT_EQ(config->adapters[0].config_json.size(), 1u << 20);

  const std::string over =
      absl::StrCat(kAdapterBase, "        s: ", std::string((1 << 20) - 7, 'x'), "\n");
  EXPECT_EQ(ErrorOf(over).rfind("test.yaml:9:9: channels[0].adapter.config: expands to more "
                                "than 1048576 bytes of JSON (1 MiB);",
                                0),
            0u);
}

// `config: {a: [[...]]}` with `brackets` nested sequences.
std::string NestedAdapterConfig(int brackets) {
  return absl::StrCat(kAdapterBase, "        a: ", std::string(brackets, '['),
                      std::string(brackets, ']'), "\n");
}

TEST(ConfigLimitsTest, AdapterConfigNestingIsBoundedAt64Levels) {
  // The config mapping is level 1, so 63 brackets reach level 64.
  absl::StatusOr<Config> config = ParseConfig(NestedAdapterConfig(63), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->adapters[0].config_json,
            absl::StrCat("{\"a\":", std::string(63, '['), std::string(63, ']'), "}"));

  std::string path = "channels[0].adapter.config.a";
  for (int i = 0; i < 63; ++i) path += "[0]";
  // The 64th bracket (level 65) is at column 12 + 63 of line 9.
  EXPECT_EQ(ErrorOf(NestedAdapterConfig(64)),
            absl::StrCat("test.yaml:9:75: ", path,
                         ": nested deeper than 64 levels of mappings and sequences"));
}

TEST(ConfigLimitsTest, SelfReferentialAliasIsTooDeepNotEndless) {
  // yaml-cpp lets an anchor's own content use its alias: a cycle.
  std::string path = "channels[0].adapter.config.a";
  for (int i = 0; i < 63; ++i) path += "[1]";
  EXPECT_EQ(ErrorOf(absl::StrCat(kAdapterBase, "        a: &a [1, *a]\n")),
            absl::StrCat("test.yaml:9:12: ", path,
                         ": nested deeper than 64 levels of mappings and sequences"));
}

TEST(ConfigLimitsTest, NestingBeyondTheParserLimitIsReportedAsSuch) {
  // 10,000 unclosed '[': yaml-cpp gives up at its depth limit (its message: "bad file").
  const std::string yaml =
      absl::StrCat(kAdapterBase, "        a: ", std::string(10'000, '['), "\n");
  EXPECT_EQ(ErrorOf(yaml),
            "test.yaml:10:1: yaml: nesting is too deep: more than 500 levels of mappings and "
            "sequences (the YAML parser's limit; adapter configs allow 64)");
  const std::string closed =
      absl::StrCat("locations: ", std::string(10'000, '['), std::string(10'000, ']'), "\n");
  EXPECT_EQ(ErrorOf(closed).rfind("test.yaml:1:", 0), 0u);
  EXPECT_NE(ErrorOf(closed).find(": yaml: nesting is too deep: more than 500 levels"),
            std::string::npos);
}

// A config of `locations` locations and `channels` channels, each channel selling from
// every location and every other channel protecting one unit at each of them.
std::string LargeConfig(int locations, int channels) {
  std::string yaml = "locations:\n";
  for (int l = 0; l < locations; ++l) absl::StrAppend(&yaml, "  - {id: l", l, ", type: store}\n");
  yaml += "channels:\n";
  for (int c = 0; c < channels; ++c) {
    absl::StrAppend(&yaml, "  - id: c", c, "\n    type: webshop\n    sources: [");
    for (int l = 0; l < locations; ++l) absl::StrAppend(&yaml, l > 0 ? ", l" : "l", l);
    yaml += "]\n";
    if (c % 2 == 0) {
      yaml += "    protect: {";
      for (int l = 0; l < locations; ++l) absl::StrAppend(&yaml, l > 0 ? ", l" : "l", l, ": 1");
      yaml += "}\n";
    }
  }
  return yaml;
}

TEST(ConfigLimitsTest, LargeConfigIsMappedCompletely) {
  // The schema's maxima (4096 x 256) are checked by scripts/config-scale-check; a unit
  // test keeps to a sixteenth of that.
  constexpr int kLocations = 1024;
  constexpr int kChannels = 64;
  absl::StatusOr<Config> config = ParseConfig(LargeConfig(kLocations, kChannels), "big.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message().substr(0, 500);
  ASSERT_EQ(config->model.locations.size(), static_cast<size_t>(kLocations));
  ASSERT_EQ(config->model.channels.size(), static_cast<size_t>(kChannels));
  for (int c = 0; c < kChannels; ++c) {
    const engine::Channel& channel = config->model.channels[c];
    ASSERT_EQ(channel.id, absl::StrCat("c", c));
    ASSERT_EQ(channel.sources.size(), static_cast<size_t>(kLocations));
    ASSERT_EQ(channel.policy.protect.size(), static_cast<size_t>(kLocations));
    for (int l = 0; l < kLocations; ++l) {
      ASSERT_EQ(channel.sources[l], l);
      ASSERT_EQ(channel.policy.protect[l], c % 2 == 0 ? 1 : 0) << c << " " << l;
    }
  }
}

// One location `wh`, one channel `web` selling from it; `extra` follows at line 3.
std::string OneChannel(const std::string& extra) {
  return "locations: [{id: wh, type: warehouse}]\n"
         "channels: [{id: web, type: webshop, sources: [wh]}]\n" +
         extra;
}

TEST(ConfigLimitsTest, AliasedOverridesStopAtTheValueBudget) {
  // An override whose protect lists 1024 locations, then 4100 aliases of it: 4.2 million
  // protect entries from 40 KB. Reading stops at 4 Mi values (and the errors about them
  // at 1000 listed).
  std::string yaml = OneChannel("overrides:\n  - &o {sku: \"A*\", channel: web, protect: {");
  for (int l = 0; l < 1024; ++l) absl::StrAppend(&yaml, l > 0 ? ", l" : "l", l, ": 1");
  yaml += "}}\n";
  for (int i = 0; i < 4100; ++i) yaml += "  - *o\n";
  const std::vector<std::string> lines = absl::StrSplit(ErrorOf(yaml), '\n');
  ASSERT_EQ(lines.size(), 1002u);
  // 4194304 values: the overrides list takes 4101, then each override 3 + 1024: 4080 of
  // them fit, and the protect map of overrides[4080] does not. yaml-cpp gives an alias
  // the position of its anchor (line 4).
  EXPECT_EQ(lines[0],
            "test.yaml:4:43: overrides[4080].protect: the document holds more than 4194304 "
            "values once YAML aliases (*name) are expanded; stopped reading here");
  EXPECT_EQ(lines[1],
            "test.yaml:4:44: overrides[0].protect.l0: 'l0' is not a source of channel 'web' (no "
            "location has this id)");
  // 4080 x 1024 errors, of which 1000 are listed.
  EXPECT_EQ(lines[1001], "test.yaml: 4176920 more errors not shown (at most 1000 are reported)");
}

TEST(ConfigLimitsTest, AtMost1000ErrorsAreListed) {
  std::string yaml =
      "locations: [{id: wh, type: warehouse}]\nchannels: [{id: web, type: webshop, sources: [";
  for (int i = 0; i < 1002; ++i) absl::StrAppend(&yaml, i > 0 ? ", x" : "x", i);
  yaml += "]}]\n";
  const std::vector<std::string> lines = absl::StrSplit(ErrorOf(yaml), '\n');
  ASSERT_EQ(lines.size(), 1001u);
  EXPECT_EQ(lines[0], "test.yaml:2:47: channels[0].sources[0]: unknown location 'x0'");
  EXPECT_EQ(lines[1000], "test.yaml: 2 more errors not shown (at most 1000 are reported)");
}

TEST(ConfigLimitsTest, AtMost100000Overrides) {
  std::string yaml = OneChannel("overrides:\n  - &o {sku: \"A*\", channel: web, max_publish: 1}\n");
  for (int i = 0; i < 100'000; ++i) yaml += "  - *o\n";
  EXPECT_EQ(ErrorOf(yaml),
            "test.yaml:4:3: overrides: lists 100001 entries; at most 100000 are allowed");
}

TEST(ConfigLimitsTest, AllAdapterConfigsTogetherAreBoundedAt16MiB) {
  // Channel c0 anchors a config of 1 MiB - 8 bytes of JSON; c1..c16 alias it: the 17th
  // copy crosses 16 MiB.
  std::string yaml =
      absl::StrCat("locations: [{id: wh, type: warehouse}]\nchannels:\n",
                   "  - {id: c0, type: webshop, sources: [wh], adapter: {plugin: webhook, "
                   "config: &cfg {s: ",
                   std::string((1 << 20) - 16, 'x'), "}}}\n");
  for (int c = 1; c <= 16; ++c) {
    absl::StrAppend(&yaml, "  - {id: c", c,
                    ", type: webshop, sources: [wh], adapter: {plugin: webhook, config: *cfg}}\n");
  }
  // yaml-cpp gives an alias the position of its anchor.
  EXPECT_EQ(ErrorOf(yaml),
            "test.yaml:3:79: channels[16].adapter.config: with the adapter configs before it, "
            "more than 16777216 bytes of JSON (16 MiB, all adapters together)");
}

}  // namespace
}  // namespace stockd::config
