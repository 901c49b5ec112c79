// `stockd --check-config`'s adapter check: each adapter's plugin, loaded as the daemon
// loads it, judges its own config through the ABI's optional validate_config, and the
// verdict is reported at the config's line; a plugin built before validate_config still
// loads and is simply not asked.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "daemon/config/config.h"
#include "daemon/plugins/adapter.h"
#include "daemon/push/push_engine.h"
#include "tests/support/temp_dir.h"

namespace stockd::push {
namespace {

const std::string kPlugins = std::string(STOCKD_BINARY_DIR) + "/plugins";
const std::string kTestPlugins = std::string(STOCKD_BINARY_DIR) + "/test-plugins";

TEST(AdapterConfigCheckTest, WebhookValidatesAsCreateDoes) {
  absl::StatusOr<bool> missing = plugins::ValidatePluginConfig(kPlugins, "webhook", "{}");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument) << missing.status();
  EXPECT_EQ(missing.status().message(), "config: \"url\" is required (a string)");

  absl::StatusOr<bool> bad_url =
      plugins::ValidatePluginConfig(kPlugins, "webhook", R"({"url": "ftp://example.com/x"})");
  EXPECT_EQ(bad_url.status().code(), absl::StatusCode::kInvalidArgument) << bad_url.status();
  EXPECT_NE(bad_url.status().message().find("must be http:// or https://"), std::string::npos)
      << bad_url.status();

  absl::StatusOr<bool> good = plugins::ValidatePluginConfig(
      kPlugins, "webhook", R"({"url": "http://127.0.0.1:1/stock", "channel": "web"})");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(*good);  // the plugin has validate_config and accepted the config
}

TEST(AdapterConfigCheckTest, FileValidatesWithoutCreatingTheFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.jsonl";
  absl::StatusOr<bool> good =
      plugins::ValidatePluginConfig(kPlugins, "file", "{\"path\": \"" + path + "\"}");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(*good);
  EXPECT_FALSE(std::filesystem::exists(path));  // no side effect

  absl::StatusOr<bool> no_dir = plugins::ValidatePluginConfig(
      kPlugins, "file", "{\"path\": \"" + dir.path() + "/no/out.jsonl\"}");
  EXPECT_EQ(no_dir.status().code(), absl::StatusCode::kInvalidArgument) << no_dir.status();
  EXPECT_NE(no_dir.status().message().find("does not exist"), std::string::npos) << no_dir.status();
}

// A version-1 plugin whose table ends before validate_config: it loads and pushes as
// before, and its (deliberately rejecting) field past struct_size is never called.
TEST(AdapterConfigCheckTest, PluginBuiltBeforeValidateConfigStillLoads) {
  absl::StatusOr<std::unique_ptr<Adapter>> adapter =
      plugins::LoadPlugin(kTestPlugins, "v1old", "{}", {});
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  std::vector<PushResult> results = (*adapter)->Push({{"SKU-1", "SKU-1", 5, -1}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, PushResult::Status::kOk);

  absl::StatusOr<bool> checked = plugins::ValidatePluginConfig(kTestPlugins, "v1old", "{}");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_FALSE(*checked);  // not asked
}

// The daemon's --check-config path: errors at the adapter's config or plugin line.
TEST(AdapterConfigCheckTest, CheckAdapterConfigsNamesFileLineAndKey) {
  const std::string yaml = "plugin_dir: " + kPlugins +
                           "\n"                                        // 1
                           "locations: [{id: wh, type: warehouse}]\n"  // 2
                           "channels:\n"                               // 3
                           "  - id: web\n"                             // 4
                           "    type: webshop\n"                       // 5
                           "    sources: [wh]\n"                       // 6
                           "    adapter:\n"                            // 7
                           "      plugin: webhook\n"                   // 8
                           "      config: {timeout_ms: 100}\n"         // 9
                           "  - id: pos\n"                             // 10
                           "    type: store\n"                         // 11
                           "    sources: [wh]\n"                       // 12
                           "    adapter: {plugin: nosuchplugin}\n";    // 13
  absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status checked = CheckAdapterConfigs(config->PushSlice());
  ASSERT_EQ(checked.code(), absl::StatusCode::kInvalidArgument) << checked;
  const std::string message(checked.message());
  EXPECT_NE(message.find("t.yaml:9:15: channels[0].adapter.config: config: \"url\" is required "
                         "(a string)\n"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("t.yaml:13:23: channels[1].adapter.plugin: adapter plugin "
                         "'nosuchplugin': "),
            std::string::npos)
      << message;

  // Without adapters there is nothing to ask.
  config::PushConfig none;
  EXPECT_TRUE(CheckAdapterConfigs(none).ok());
}

}  // namespace
}  // namespace stockd::push
