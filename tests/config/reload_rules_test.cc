// config::RestartOnlyChanges: a reload names every changed setting it does not apply, and
// none of those it does (the model, the clients, the log level).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace stockd::config
