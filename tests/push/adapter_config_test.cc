// The adapter config a plugin receives (push::AdapterConfigWithChannel). The host-side
// redaction of adapter messages is tested in tests/util/redact_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/push/push_engine.h"

namespace stockd {
namespace {

TEST(AdapterConfigTest, ChannelIsAddedOnlyWhenTheTopLevelLacksIt) {
  using nlohmann::json;
  // A header whose value (or name) is "channel" is not the channel key.
  absl::StatusOr<std::string> config = push::AdapterConfigWithChannel(
      R"({"url":"http://h/","headers":{"X-Tag":"channel","channel":"x"}})", "amazon");
  ASSERT_TRUE(config.ok()) << config.status();
  json parsed = json::parse(*config);
  EXPECT_EQ(parsed["channel"], "amazon");
  EXPECT_EQ(parsed["headers"]["X-Tag"], "channel");
  EXPECT_EQ(parsed["headers"]["channel"], "x");
  EXPECT_EQ(parsed["url"], "http://h/");

  config = push::AdapterConfigWithChannel(R"({"channel":"amzn-eu","url":"x"})", "amazon");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(json::parse(*config)["channel"], "amzn-eu");  // the config's own wins

  config = push::AdapterConfigWithChannel("{}", "ebay");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(json::parse(*config), json({{"channel", "ebay"}}));

  for (const char* bad : {"[1]", "\"channel\"", "{", ""}) {
    config = push::AdapterConfigWithChannel(bad, "ebay");
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(config.status().message(), "the adapter config is not a JSON object") << bad;
  }
}

}  // namespace
}  // namespace stockd
