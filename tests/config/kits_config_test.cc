// kits: (docs/kits.md): each kit's SKU and components are read into the model; every rule
// is an error at its file:line:column, all reported at once: a kit defined twice, a
// component listed twice, a component that is a kit (also the kit itself), qty outside
// 1..10000, no components, an unknown key.
#include <string>

#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

TEST(KitsConfigTest, KitsAndTheirComponentsAreRead) {
  absl::StatusOr<Config> config = ParseConfig(Base(R"(kits:
  - sku: BIKE
    components:
      - {sku: FRAME}
      - {sku: PEDAL, qty: 2}
  - sku: 3PACK
    components: [{sku: SOCK, qty: 3}]
)"),
                                              "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->model.kits.size(), 2u);
  const engine::Kit& bike = config->model.kits[0];
  EXPECT_EQ(bike.sku, "BIKE");
  EXPECT_EQ(bike.origin, "test.yaml:11");
  ASSERT_EQ(bike.components.size(), 2u);
  EXPECT_EQ(bike.components[0].sku, "FRAME");
  EXPECT_EQ(bike.components[0].qty, 1) << "qty defaults to 1";
  EXPECT_EQ(bike.components[1].qty, 2);
  EXPECT_EQ(config->model.kits[1].components[0].qty, 3);
}

TEST(KitsConfigTest, EveryRuleIsAnErrorAtItsLineAllAtOnce) {
  const std::string message = ErrorOf(Base(R"(kits:
  - sku: BIKE
    components:
      - {sku: FRAME}
      - {sku: FRAME, qty: 2}
      - {sku: SET}
  - sku: SET
    components: [{sku: BELL, qty: 0}, {sku: SET}]
  - sku: BIKE
    components: []
  - sku: EMPTY
    colour: red
)"));
  EXPECT_TRUE(Contains(message,
                       "test.yaml:14:15: kits[0].components[1].sku: component 'FRAME' is listed "
                       "twice in kit 'BIKE' (first at line 13)"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "test.yaml:15:15: kits[0].components[2].sku: component 'SET' is "
                       "a kit (kits[1] (line 16))"))
      << message;
  EXPECT_TRUE(Contains(message, "test.yaml:17:35: kits[1].components[0].qty:")) << message;
  EXPECT_TRUE(
      Contains(message, "test.yaml:17:45: kits[1].components[1].sku: component 'SET' is a kit"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "test.yaml:18:10: kits[2].sku: kit 'BIKE' is defined twice; "
                       "first at kits[0] (line 11)"))
      << message;
  EXPECT_TRUE(Contains(message, "kits[2].components: must list at least one component")) << message;
  EXPECT_TRUE(Contains(message, "kits[3].components: required key is missing")) << message;
  EXPECT_TRUE(Contains(message, "kits[3].colour")) << message;
}

}  // namespace
}  // namespace stockd::config
