// Loading adapter plugins the way the daemon does: the built-in file plugin loads and
// pushes; a plugin of another ABI version, a missing plugin and a rejected config are
// refused with precise errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "daemon/plugins/adapter.h"
#include "tests/support/temp_dir.h"

namespace stockd::plugins {
namespace {

const std::string kPlugins = std::string(STOCKD_BINARY_DIR) + "/plugins";
const std::string kTestPlugins = std::string(STOCKD_BINARY_DIR) + "/test-plugins";

TEST(PluginLoaderTest, RefusesAnotherAbiVersionNamingBoth) {
  absl::StatusOr<std::unique_ptr<Adapter>> a = LoadPlugin(kTestPlugins, "badabi", "{}", {});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(a.status().message().find("ABI version 2"), std::string::npos) << a.status();
  EXPECT_NE(a.status().message().find("ABI version 1"), std::string::npos) << a.status();
}

TEST(PluginLoaderTest, MissingPluginIsNotFound) {
  absl::StatusOr<std::unique_ptr<Adapter>> a = LoadPlugin(kPlugins, "nosuchplugin", "{}", {});
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound) << a.status();
  EXPECT_NE(a.status().message().find("libstockd_adapter_nosuchplugin.so"), std::string::npos);
}

TEST(PluginLoaderTest, RejectedConfigIsInvalidArgumentWithThePluginsReason) {
  absl::StatusOr<std::unique_ptr<Adapter>> a = LoadPlugin(kPlugins, "webhook", "{}", {});
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << a.status();
  EXPECT_NE(a.status().message().find("url"), std::string::npos) << a.status();
}

TEST(PluginLoaderTest, FilePluginLoadsAndPushes) {
  stockd::testing::TempDir dir("loader-test");
  const std::string path = dir.path() + "/stockd-file-plugin-test.jsonl";
  std::remove(path.c_str());
  absl::StatusOr<std::unique_ptr<Adapter>> a =
      LoadPlugin(kPlugins, "file", "{\"path\": \"" + path + "\", \"channel\": \"erp\"}", {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->name(), "file");
  std::vector<PushResult> r = (*a)->Push({{"SKU-1", "L-1", 7, -1}, {"SKU-2", "SKU-2", 0, 3}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, PushResult::Status::kOk);
  EXPECT_EQ(r[1].status, PushResult::Status::kOk);
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("\"sku\":\"SKU-"), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 2);
}

}  // namespace
}  // namespace stockd::plugins
