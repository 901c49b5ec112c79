// Tests of the YAML config layer: the shipped example and reference files, defaults,
// the mapping onto engine::Model / EngineOptions, files, durations, Redis and adapters
// (the exact position and key path of every kind of error: errors_test.cc).
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
#include "tests/config/config_test_support.h"
#include "tests/support/temp_dir.h"

namespace stockd::config {
namespace {

// ---------------------------------------------------------------- shipped files

// config/stockd.yaml: what the Debian package installs as /etc/stockd/stockd.yaml (the
// package test runs the installed stockd's --check-config on it, plugin included).
TEST(ConfigExampleTest, TheInstalledExampleParses) {
  absl::StatusOr<Config> config = LoadConfigFile(SourcePath("config/stockd.yaml"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "/var/lib/stockd");
  EXPECT_EQ(config->plugin_dir, "");
  EXPECT_EQ(config->log.level, log::Level::kInfo);
  EXPECT_EQ(config->redis.timeout_ms, 2 * kSecond);
  EXPECT_EQ(config->model.locations.size(), 2u);
  EXPECT_EQ(config->model.channels.size(), 3u);
  ASSERT_EQ(config->adapters.size(), 1u);
  EXPECT_EQ(config->adapters[0].plugin, "file");
}

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

  // Stock alerts: hoodies at a fixed point, sneakers by velocity (docs/alerts.md).
  ASSERT_EQ(model.reorder.size(), 2u);
  EXPECT_EQ(model.reorder[0].pattern, "HOODIE-*");
  EXPECT_EQ(model.reorder[0].point, 3);
  EXPECT_EQ(model.reorder[1].lead_time_days, 14);
  EXPECT_EQ(model.reorder[1].cover_days, 7);
  EXPECT_EQ(model.alerts.hysteresis_percent, 20);

  ASSERT_EQ(model.channels.size(), 8u);
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

  // The second storefront on Shopify and the WooCommerce outlet: warehouse stock only.
  const engine::Channel& shopify = model.channels[3];
  EXPECT_EQ(shopify.id, "shopify");
  EXPECT_EQ(shopify.type, ChannelType::kWebshop);
  EXPECT_EQ(shopify.sources, (std::vector<int>{0}));
  EXPECT_EQ(shopify.policy.safety_stock, 1);
  const engine::Channel& outlet = model.channels[4];
  EXPECT_EQ(outlet.id, "outlet");
  EXPECT_EQ(outlet.sources, (std::vector<int>{0}));
  EXPECT_EQ(outlet.policy.share_percent, 20);

  const char* pos_ids[] = {"pos-berlin", "pos-hamburg", "pos-munich"};
  for (int i = 0; i < 3; ++i) {
    const engine::Channel& pos = model.channels[5 + i];
    EXPECT_EQ(pos.id, pos_ids[i]);
    EXPECT_EQ(pos.type, ChannelType::kStore);
    EXPECT_EQ(pos.sources, (std::vector<int>{1 + i}));
    EXPECT_EQ(pos.policy.protect, (std::vector<int64_t>{0, 0, 0, 0}));
    EXPECT_EQ(pos.policy.max_publish, kNoCap);
  }

  const std::string text = ReadFile(path);
  ASSERT_EQ(model.overrides.size(), 6u);
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

  // Clearance: the marketplaces' margins dropped (scripts/demo's inbound-order scene).
  const engine::PolicyOverride& clearance_amazon = model.overrides[2];
  EXPECT_EQ(clearance_amazon.pattern, "CLEARANCE-*");
  EXPECT_EQ(clearance_amazon.channel, 1);
  EXPECT_EQ(clearance_amazon.safety_stock, 0);
  EXPECT_EQ(clearance_amazon.share_percent, 100);
  EXPECT_EQ(clearance_amazon.min_publish, 1);
  const engine::PolicyOverride& clearance_ebay = model.overrides[3];
  EXPECT_EQ(clearance_ebay.channel, 2);
  EXPECT_EQ(clearance_ebay.safety_stock, 0);
  EXPECT_EQ(clearance_ebay.share_percent, 100);
  EXPECT_FALSE(clearance_ebay.min_publish.has_value());
  EXPECT_EQ(model.overrides[4].channel, 3);  // shopify: no safety stock
  EXPECT_EQ(model.overrides[4].safety_stock, 0);
  EXPECT_EQ(model.overrides[5].channel, 4);  // the outlet: all of it
  EXPECT_EQ(model.overrides[5].share_percent, 100);
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
  EXPECT_EQ(config->log.level, log::Level::kInfo);
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

TEST(ConfigTest, LogLevelIsMapped) {
  for (const auto& [text, level] :
       {std::pair{"debug", log::Level::kDebug}, std::pair{"info", log::Level::kInfo},
        std::pair{"warn", log::Level::kWarn}, std::pair{"error", log::Level::kError}}) {
    absl::StatusOr<Config> config =
        ParseConfig(Base(std::string("log:\n  level: ") + text + "\n"), "test.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->log.level, level) << text;
  }
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
  stockd::testing::TempDir dir("config-test");
  const std::string path = dir.path() + "/config_test_bad.yaml";
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

TEST(ConfigAdapterTest, ReconcileEveryGoesWithTheChannelsAdapter) {
  absl::StatusOr<Config> c = ParseConfig(Base("    adapter: {plugin: webhook}\n"
                                              "    reconcile_every: 15m\n"),
                                         "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->adapters.size(), 1u);
  EXPECT_EQ(c->adapters[0].reconcile_every_ms, 15 * 60'000);
  c = ParseConfig(Base("    adapter: {plugin: webhook}\n"), "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->adapters[0].reconcile_every_ms, 0);  // off by default

  EXPECT_TRUE(Contains(ErrorOf(Base("    reconcile_every: 1h\n")),
                       "channels[0].reconcile_every: needs the channel's adapter"));
  EXPECT_TRUE(Contains(ErrorOf(Base("    adapter: {plugin: webhook}\n"
                                    "    reconcile_every: 31d\n")),
                       "channels[0].reconcile_every"));
  EXPECT_TRUE(Contains(ErrorOf(Base("    adapter: {plugin: webhook}\n"
                                    "    reconcile_every: soon\n")),
                       "channels[0].reconcile_every"));
}

}  // namespace
}  // namespace stockd::config
