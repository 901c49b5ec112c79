// What the marketplace adapters' tests (amazon_*, ebay_*, shopify_*, woocommerce_*) share: a
// fixture that loads the adapter plugin as the daemon loads it (tests/fakes/
// plugin_under_test.h) and owns a temporary directory for the credential files (mode 0600)
// and mapping files the adapter configs name; creating instances through the C table; a
// wait on conditions; and a few assertions.
//
// Thread safety: a fixture belongs to its test's thread (an instance may be driven from
// another thread while the test thread drives a fake).
#ifndef STOCKD_TESTS_MARKETPLACE_MARKETPLACE_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_MARKETPLACE_TEST_SUPPORT_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/plugin_under_test.h"

namespace stockd::marketplace_test {

using Json = nlohmann::json;

// Waits up to `timeout_ms` for `condition`; true when it held.
inline bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Every item of a push has `status`.
inline void ExpectAll(const fakes::PushOutcome& out, int32_t status) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, status) << "item " << i << ": " << out.results[i].message;
  }
}

// A polled order line is `listing` with these quantities.
inline void ExpectLine(const fakes::PolledLine& line, const std::string& listing, int64_t quantity,
                       int64_t shipped, int64_t cancelled) {
  EXPECT_EQ(line.listing_id, listing);
  EXPECT_EQ(line.quantity, quantity) << listing;
  EXPECT_EQ(line.shipped, shipped) << listing;
  EXPECT_EQ(line.cancelled, cancelled) << listing;
}

// `config` with `extra`'s keys set (a null value removes the key).
inline Json MergeConfig(Json config, const Json& extra) {
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it->is_null()) {
      config.erase(it.key());
    } else {
      config[it.key()] = *it;
    }
  }
  return config;
}

// The fixture: the plugin "libstockd_adapter_<name>.so", a test host and a temporary
// directory (removed by TearDown). Subclasses call SetUp() / TearDown() first / last.
class MarketplaceTest : public ::testing::Test {
 protected:
  explicit MarketplaceTest(const std::string& name)
      : name_(name), plugin_(fakes::PluginDir(), name) {}

  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    std::string tmpl = "/tmp/stockd_" + name_ + "_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Writes `value` and a newline to <dir>/`name` in place, mode 0600; returns the path.
  std::string WriteSecret(const std::string& name, const std::string& value) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << value << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }
  // The same, written beside and renamed over <dir>/`name` (as an operator's tool rotates it).
  std::string ReplaceSecret(const std::string& name, const std::string& value) const {
    const std::string path = dir_ + "/" + name;
    const std::string tmp = path + ".new";
    std::ofstream(tmp) << value << "\n";
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path);
    return path;
  }
  // Writes `content` to <dir>/`name`; returns the path.
  std::string WriteFile(const std::string& name, const std::string& content) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    return path;
  }

  // An instance from `config` (a test failure and nullptr when the plugin refuses it).
  std::unique_ptr<fakes::PluginInstance> Create(const Json& config) {
    std::string error;
    std::unique_ptr<fakes::PluginInstance> instance = plugin_.Create(config.dump(), host_, &error);
    EXPECT_TRUE(instance != nullptr) << error;
    return instance;
  }
  // The plugin's reason for refusing `config` (a test failure when it takes it).
  std::string CreateError(const Json& config) {
    std::string error;
    EXPECT_TRUE(plugin_.Create(config.dump(), host_, &error) == nullptr)
        << "created with " << config.dump();
    return error;
  }

  // Whether the plugin logged a message at `level` containing `part`.
  bool Logged(int level, const std::string& part) const {
    for (const auto& [l, message] : host_.Logs()) {
      if (l == level && message.find(part) != std::string::npos) return true;
    }
    return false;
  }
  bool LoggedError(const std::string& part) const { return Logged(STOCKD_LOG_ERROR, part); }

  const std::string name_;
  fakes::PluginUnderTest plugin_;
  fakes::TestHost host_;
  std::string dir_;
};

}  // namespace stockd::marketplace_test

#endif  // STOCKD_TESTS_MARKETPLACE_MARKETPLACE_TEST_SUPPORT_H_
