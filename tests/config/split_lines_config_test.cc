// channels[].split_lines (docs/design.md, "Operations"): true by default; false keeps every
// Reserve line whole from one location; anything else is an error at its file:line:column.
#include <string>

#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

TEST(SplitLinesConfigTest, AbsentMeansLinesAreSplit) {
  absl::StatusOr<Config> config = ParseConfig(Base(""), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->model.channels[0].split_lines);
}

TEST(SplitLinesConfigTest, TrueAndFalseAreRead) {
  for (const bool split : {true, false}) {
    absl::StatusOr<Config> config = ParseConfig(
        Base(std::string("    split_lines: ") + (split ? "true" : "false") + "\n"), "test.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->model.channels[0].split_lines, split);
  }
}

TEST(SplitLinesConfigTest, AnythingElseIsAnErrorAtItsLine) {
  const std::string message = ErrorOf(Base("    split_lines: sometimes\n"));  // line 10
  EXPECT_TRUE(Contains(message,
                       "test.yaml:10:18: channels[0].split_lines: 'sometimes': expected true or "
                       "false"))
      << message;
}

}  // namespace
}  // namespace stockd::config
