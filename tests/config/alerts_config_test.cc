// alerts: and reorder: (docs/alerts.md): the options and rules are read into the model
// (locations by index, days and points as given, defaults kept); every rule is an error
// at its file:line:column, all at once: a fixed point with lead/cover days, a rule with
// neither, an unknown location, a bad SKU pattern, values out of bounds.
#include <string>

#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

TEST(AlertsConfigTest, OptionsAndRulesAreRead) {
  absl::StatusOr<Config> config = ParseConfig(Base(R"(alerts:
  enabled: false
  velocity_half_life: 14d
  hysteresis_percent: 10
  back_in_stock_at: 5
reorder:
  - {skus: "TEE-*", lead_time_days: 5, cover_days: 10, locations: [st]}
  - {skus: "MUG-?", point: 12, total_point: 40}
)"),
                                              "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const engine::Model& m = config->model;
  EXPECT_FALSE(m.alerts.enabled);
  EXPECT_EQ(m.alerts.velocity_half_life_ms, 14LL * 24 * 3600 * 1000);
  EXPECT_EQ(m.alerts.hysteresis_percent, 10);
  EXPECT_EQ(m.alerts.back_in_stock_at, 5);
  ASSERT_EQ(m.reorder.size(), 2u);
  EXPECT_EQ(m.reorder[0].pattern, "TEE-*");
  EXPECT_EQ(m.reorder[0].lead_time_days, 5);
  EXPECT_EQ(m.reorder[0].cover_days, 10);
  EXPECT_FALSE(m.reorder[0].fixed());
  EXPECT_EQ(m.reorder[0].locations, std::vector<int>{1});
  EXPECT_EQ(m.reorder[0].origin, "test.yaml:16");
  EXPECT_EQ(m.reorder[1].point, 12);
  EXPECT_EQ(m.reorder[1].total_point, 40);
  EXPECT_TRUE(m.reorder[1].locations.empty());
}

TEST(AlertsConfigTest, WithoutTheSectionsTheDefaultsHold) {
  absl::StatusOr<Config> config = ParseConfig(Base(""), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->model.alerts.enabled);
  EXPECT_EQ(config->model.alerts.velocity_half_life_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(config->model.alerts.hysteresis_percent, 20);
  EXPECT_EQ(config->model.alerts.back_in_stock_at, 1);
  EXPECT_TRUE(config->model.reorder.empty());
}

TEST(AlertsConfigTest, EveryRuleIsAnErrorAtItsLineAllAtOnce) {
  const std::string message = ErrorOf(Base(R"(alerts:
  hysteresis_percent: 101
  velocity_half_life: 10m
  enabled: yes
reorder:
  - {skus: "TEE-*", point: 3, cover_days: 10}
  - {skus: "MUG-*"}
  - {skus: "A*", point: 1, locations: [nowhere]}
  - {skus: "B[", point: 0}
  - {point: 4}
)"));
  EXPECT_TRUE(Contains(message, "test.yaml:11:23: alerts.hysteresis_percent:")) << message;
  EXPECT_TRUE(Contains(message, "test.yaml:12:23: alerts.velocity_half_life:")) << message;
  EXPECT_TRUE(Contains(message, "test.yaml:13:12: alerts.enabled: 'yes': expected true or false"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "test.yaml:15:5: reorder[0]: give either a fixed point (point, "
                       "total_point) or lead_time_days and cover_days, not both"))
      << message;
  EXPECT_TRUE(Contains(message, "test.yaml:16:5: reorder[1]: the rule gives no reorder point"))
      << message;
  EXPECT_TRUE(
      Contains(message, "test.yaml:17:40: reorder[2].locations[0]: unknown location 'nowhere'"))
      << message;
  EXPECT_TRUE(Contains(message, "test.yaml:18:12: reorder[3].skus: invalid SKU pattern 'B['"))
      << message;
  EXPECT_TRUE(Contains(message, "test.yaml:18:25: reorder[3].point:")) << message;
  EXPECT_TRUE(Contains(message, "test.yaml:19:5: reorder[4].skus: required key is missing"))
      << message;
  EXPECT_FALSE(Contains(message, "18:5: reorder[3]: the rule gives no reorder point"))
      << "an invalid point is reported once, as invalid\n"
      << message;
}

}  // namespace
}  // namespace stockd::config
