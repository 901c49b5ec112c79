// config::RestartOnlyChanges: a reload names every changed setting it does not apply, and
// none of those it does (the model, the clients, the log level, the adapters).
// config::CompareChannels: what a reload changes in the adapters and order ingestion.
#include <gtest/gtest.h>

#include "daemon/config/channel_changes.h"
#include "daemon/config/reload_rules.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

Config Parse(const std::string& extra) {
  absl::StatusOr<Config> c = ParseConfig(Base("    safety_stock: 1\n" + extra), "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : Config{};
}

TEST(ReloadRulesTest, NamesWhatAReloadDoesNotApply) {
  const Config running = Parse("");
  EXPECT_TRUE(RestartOnlyChanges(running, running).empty());
  EXPECT_EQ(RestartOnlyChanges(running, Parse("server: {max_threads: 8, max_batch: 10}\n"
                                              "holds: {default_ttl: 1m}\n"
                                              "redis: {mode: memory}\n")),
            (std::vector<std::string>{"server.max_threads", "redis", "server.max_batch",
                                      "holds"}));
}

TEST(ReloadRulesTest, AlertsEnabledIsRestartOnlyAndTheOtherAlertOptionsAreApplied) {
  const Config running = Parse("");
  EXPECT_EQ(RestartOnlyChanges(running, Parse("alerts: {enabled: false}\n")),
            (std::vector<std::string>{"alerts.enabled"}));
  EXPECT_TRUE(RestartOnlyChanges(running, Parse("alerts: {hysteresis_percent: 5}\n")).empty());
}

TEST(ReloadRulesTest, TheModelClientsAndLogLevelAreApplied) {
  const Config running = Parse("");
  absl::StatusOr<Config> next = ParseConfig(
      Base("    safety_stock: 5\n"
           "log: {level: debug}\n"
           "clients:\n  - {name: a, token_sha256: \"" + std::string(64, 'a') +
           "\", roles: [read]}\n"),
      "t.yaml");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(RestartOnlyChanges(running, *next).empty());
}

// The web channel's adapter line (and its orders entry), appended to channel 'web'.
Config WithAdapter(const std::string& adapter) { return Parse(adapter); }

ChannelChanges Compare(const Config& a, const Config& b) {
  return CompareChannels(a.adapters, a.OrdersSlice().channels, b.adapters,
                         b.OrdersSlice().channels);
}

TEST(ReloadRulesTest, AdaptersAndOrderIngestionAreApplied) {
  const Config none = Parse("");
  const Config file = WithAdapter("    adapter: {plugin: file, config: {path: /tmp/a}}\n");
  EXPECT_TRUE(RestartOnlyChanges(none, file).empty());
  EXPECT_TRUE(RestartOnlyChanges(file, none).empty());

  ChannelChanges added = Compare(none, file);
  EXPECT_EQ(added.adapters_added, std::vector<std::string>{"web"});
  EXPECT_TRUE(added.adapters_removed.empty());
  EXPECT_EQ(added.orders_changed, std::vector<std::string>{"web"});  // polling starts
  ChannelChanges removed = Compare(file, none);
  EXPECT_EQ(removed.adapters_removed, std::vector<std::string>{"web"});
  EXPECT_EQ(removed.orders_changed, std::vector<std::string>{"web"});
  ChannelChanges same = Compare(file, file);
  EXPECT_TRUE(same.adapters_added.empty() && same.adapters_removed.empty() &&
              same.adapters_changed.empty() && same.orders_changed.empty());
}

TEST(ReloadRulesTest, WhichAdapterChangesRebuildThePusherOrThePoller) {
  const Config a = WithAdapter("    adapter: {plugin: file, config: {path: /tmp/a}}\n");
  const Config b = WithAdapter("    adapter: {plugin: file, config: {path: /tmp/b}}\n");
  const Config rate =
      WithAdapter("    adapter: {plugin: file, rate_limit: 5, config: {path: /tmp/a}}\n");
  const Config period = WithAdapter(
      "    adapter: {plugin: file, reconcile_interval: 1h, config: {path: /tmp/a}}\n");
  const Config poll = WithAdapter(
      "    adapter: {plugin: file, config: {path: /tmp/a}}\n    orders: {poll_interval: 1s}\n");
  ASSERT_EQ(a.adapters.size(), 1u);
  // Every channel with an adapter has order ingestion (OrdersSlice).
  auto orders = [](const Config& c) { return c.OrdersSlice().channels.at(0); };

  EXPECT_TRUE(PusherChanged(a.adapters[0], b.adapters[0]));  // the plugin's config
  EXPECT_TRUE(PollerChanged(orders(a), orders(b)));
  EXPECT_TRUE(PusherChanged(a.adapters[0], rate.adapters[0]));
  EXPECT_FALSE(PollerChanged(orders(a), orders(rate)));
  EXPECT_FALSE(PusherChanged(a.adapters[0], period.adapters[0]));  // applied in place
  EXPECT_TRUE(AdapterChanged(a.adapters[0], period.adapters[0]));
  EXPECT_FALSE(PusherChanged(a.adapters[0], poll.adapters[0]));
  EXPECT_TRUE(PollerChanged(orders(a), orders(poll)));

  ChannelChanges changed = Compare(a, period);
  EXPECT_EQ(changed.adapters_changed, std::vector<std::string>{"web"});
  EXPECT_TRUE(changed.orders_changed.empty());
  changed = Compare(a, poll);
  EXPECT_TRUE(changed.adapters_changed.empty());
  EXPECT_EQ(changed.orders_changed, std::vector<std::string>{"web"});
}

}  // namespace
}  // namespace stockd::config
