// The file adapter plugin, loaded as the daemon loads it; and the SDK's C trampolines
// (exceptions, result counts, truncation) on adapters built in this test.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "stockd/adapter_sdk.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd {
namespace {

using fakes::PluginInstance;
using fakes::PluginUnderTest;
using fakes::TestHost;
using fakes::TestItem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class FilePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_file_plugin_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/stock.jsonl";
    host_.SetNowMs(1700000000123);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<PluginInstance> Create(const std::string& config) {
    std::string error;
    auto instance = plugin_.Create(config, host_, &error);
    EXPECT_NE(instance, nullptr) << error;
    return instance;
  }
  std::string CreateError(const std::string& config) {
    std::string error;
    EXPECT_EQ(plugin_.Create(config, host_, &error), nullptr) << config;
    return error;
  }

  PluginUnderTest plugin_{fakes::PluginDir(), "file"};
  TestHost host_;
  std::string dir_;
  std::string path_;
};

TEST_F(FilePluginTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_EQ(api->abi_version, STOCKD_ADAPTER_ABI_VERSION);
  EXPECT_EQ(api->struct_size, sizeof(stockd_adapter_api));
  EXPECT_STREQ(api->name, "file");
  EXPECT_GE(api->max_batch, 1u);
  EXPECT_NE(api->create, nullptr);
  EXPECT_NE(api->destroy, nullptr);
  EXPECT_NE(api->push, nullptr);
  EXPECT_EQ(api->fetch, nullptr);
  EXPECT_EQ(api->poll_orders, nullptr);
  EXPECT_EQ(api->poll_order_revisions, nullptr);
  // Nothing but the entry symbol is exported (e.g. not the SDK base class's vtable).
  EXPECT_EQ(dlsym(plugin_.handle(), "_ZTVN6stockd3sdk7AdapterE"), nullptr);
}

TEST_F(FilePluginTest, WritesExactJsonLines) {
  auto file = Create(R"({"path": ")" + path_ + R"(", "channel": "erp"})");
  ASSERT_NE(file, nullptr);
  const fakes::PushOutcome out = file->Push({{"SKU-1", "L-1", 5, 7}, {"SKU-2", "SKU-2", 0, -1}});
  ASSERT_EQ(out.rc, 0);
  for (const stockd_push_result& r : out.results) {
    EXPECT_EQ(r.status, STOCKD_PUSH_OK);
    EXPECT_STREQ(r.message, "");
  }
  EXPECT_EQ(ReadAll(path_),
            "{\"ts_ms\":1700000000123,\"channel\":\"erp\",\"sku\":\"SKU-1\",\"listing_id\":\"L-1\","
            "\"quantity\":5,\"previous\":7}\n"
            "{\"ts_ms\":1700000000123,\"channel\":\"erp\",\"sku\":\"SKU-2\",\"listing_id\":"
            "\"SKU-2\",\"quantity\":0,\"previous\":-1}\n");
}

TEST_F(FilePluginTest, AppendsAndEscapes) {
  auto file = Create(R"({"path": ")" + path_ + R"(", "fsync": true, "channel": "erp"})");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->Push({{"A", "A", 1, -1}}).results[0].status, STOCKD_PUSH_OK);
  host_.SetNowMs(1700000000999);
  ASSERT_EQ(file->Push({{"B", "quote\"d\\", 2, 1}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(ReadAll(path_),
            "{\"ts_ms\":1700000000123,\"channel\":\"erp\",\"sku\":\"A\",\"listing_id\":\"A\","
            "\"quantity\":1,\"previous\":-1}\n"
            "{\"ts_ms\":1700000000999,\"channel\":\"erp\",\"sku\":\"B\",\"listing_id\":"
            "\"quote\\\"d\\\\\",\"quantity\":2,\"previous\":1}\n");
}

TEST_F(FilePluginTest, StartsANewFileWhenTheOldOneWasTakenAway) {
  auto file = Create(R"({"path": ")" + path_ + R"("})");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->Push({{"A", "A", 1, -1}}).results[0].status, STOCKD_PUSH_OK);
  ASSERT_EQ(std::rename(path_.c_str(), (dir_ + "/taken.jsonl").c_str()), 0);
  ASSERT_EQ(file->Push({{"B", "B", 2, -1}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(ReadAll(path_),
            "{\"ts_ms\":1700000000123,\"channel\":\"\",\"sku\":\"B\",\"listing_id\":\"B\","
            "\"quantity\":2,\"previous\":-1}\n");
}

TEST_F(FilePluginTest, CreateMakesTheFileAndNamesAMissingDirectory) {
  auto file = Create(R"({"path": ")" + path_ + R"("})");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path_));

  const std::string error = CreateError(R"({"path": ")" + dir_ + R"(/no/such/dir/out.jsonl"})");
  EXPECT_NE(error.find("directory \"" + dir_ + "/no/such/dir\" does not exist"), std::string::npos)
      << error;
}

TEST_F(FilePluginTest, RejectsBadConfig) {
  EXPECT_EQ(CreateError("{}"), "config: \"path\" is required (a string)");
  EXPECT_EQ(CreateError(R"({"path": 5})"), "config: \"path\" must be a string, got 5");
  EXPECT_EQ(CreateError(R"({"path": "/tmp/x", "fsync": "yes"})"),
            "config: \"fsync\" must be true or false, got \"yes\"");
  EXPECT_EQ(CreateError(R"({"path": "/tmp/x", "fsnyc": true})"),
            "config: unknown key \"fsnyc\" (this adapter takes: path, fsync)");
  EXPECT_NE(CreateError("{not json").find("config is not valid JSON"), std::string::npos);
  EXPECT_EQ(CreateError("[1]"), "config must be a JSON object");
  const std::string error = CreateError(R"({"path": ")" + dir_ + R"("})");  // a directory
  EXPECT_NE(error.find("cannot open \"" + dir_ + "\" for appending: Is a directory"),
            std::string::npos)
      << error;
}

TEST_F(FilePluginTest, AFailedWriteIsRetry) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  auto file = Create(R"({"path": "/dev/full"})");
  ASSERT_NE(file, nullptr);
  const fakes::PushOutcome out = file->Push({{"A", "A", 1, -1}, {"B", "B", 2, -1}});
  ASSERT_EQ(out.rc, 0);
  for (const stockd_push_result& r : out.results) {
    EXPECT_EQ(r.status, STOCKD_PUSH_RETRY);
    EXPECT_NE(std::string(r.message).find("No space left on device"), std::string::npos)
        << r.message;
  }
}

// ---------------------------------------------------------------- the SDK's trampolines

class ScriptedAdapter final : public sdk::Adapter {
 public:
  ScriptedAdapter(const sdk::Json& config, sdk::Host host) : host_(host) {
    sdk::RejectUnknownKeys(config, {"mode", "limit"});
    mode_ = sdk::GetString(config, "mode", "ok");
    (void)sdk::GetInt(config, "limit", 10, 1, 100);
    if (mode_ == "throw_in_constructor") throw std::runtime_error("boom in constructor");
    host_.Log(sdk::LogLevel::kInfo, "created in mode " + mode_);
    host_.Count("created");
  }
  std::vector<sdk::PushResult> Push(const std::vector<sdk::Item>& items) override {
    if (mode_ == "throw") throw std::runtime_error("the channel library threw");
    if (mode_ == "throw_int") throw 42;
    if (mode_ == "short") return {sdk::PushResult::Ok()};
    std::vector<sdk::PushResult> out;
    for (const sdk::Item& item : items) {
      if (item.quantity < 0) {
        out.push_back(
            sdk::PushResult::Permanent(std::string(STOCKD_MESSAGE_MAX - 2, 'e') + "\xC3\xA9 tail"));
      } else if (item.quantity == 0) {
        out.push_back(sdk::PushResult::Retry("later", 1500));
      } else {
        out.push_back(sdk::PushResult::Ok());
      }
    }
    return out;
  }
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& ids) override {
    if (mode_ == "throw") throw sdk::Error("the channel is down");
    std::vector<int64_t> out;
    for (std::string_view id : ids) out.push_back(id == "known" ? 7 : -5);
    return out;
  }
  std::string PollOrders(std::string_view cursor, const sdk::OrderSink& sink) override {
    sink({"order-1", "placed", {{"L-1", 2}}});
    sink({"order-2", "cancelled", {}});
    return std::string(cursor) + "+2";
  }

 private:
  sdk::Host host_;
  std::string mode_;
};

constexpr stockd_adapter_api kScriptedApi =
    sdk::internal::MakeApi<ScriptedAdapter>("scripted", 10, true, true);

class AdapterSdkTest : public ::testing::Test {
 protected:
  void* Create(const std::string& config) {
    char error[128];
    void* instance = kScriptedApi.create(config.c_str(), host_.host(), error, sizeof error);
    error_ = instance == nullptr ? error : "";
    return instance;
  }
  TestHost host_;
  std::string error_;
};

TEST_F(AdapterSdkTest, TableAndHostCallbacks) {
  EXPECT_EQ(kScriptedApi.abi_version, STOCKD_ADAPTER_ABI_VERSION);
  EXPECT_STREQ(kScriptedApi.name, "scripted");
  EXPECT_EQ(kScriptedApi.max_batch, 10u);
  void* instance = Create(R"({"channel": "c"})");
  ASSERT_NE(instance, nullptr) << error_;
  EXPECT_EQ(host_.Counter("created"), 1);
  ASSERT_EQ(host_.Logs().size(), 1u);
  EXPECT_EQ(host_.Logs()[0], std::make_pair(STOCKD_LOG_INFO, std::string("created in mode ok")));
  kScriptedApi.destroy(instance);
}

TEST_F(AdapterSdkTest, ConstructorErrorsBecomeCreateErrors) {
  EXPECT_EQ(Create(R"({"mode": "throw_in_constructor"})"), nullptr);
  EXPECT_EQ(error_, "boom in constructor");
  EXPECT_EQ(Create(R"({"limit": 1000})"), nullptr);
  EXPECT_EQ(error_, "config: \"limit\" must be an integer in [1, 100], got 1000");
  EXPECT_EQ(Create(R"({"limit": 2.5})"), nullptr);
  EXPECT_EQ(error_, "config: \"limit\" must be an integer in [1, 100], got 2.5");
  // A long reason is cut to the daemon's buffer, NUL-terminated.
  EXPECT_EQ(Create(R"({")" + std::string(300, 'k') + R"(": 1})"), nullptr);
  EXPECT_EQ(error_.size(), 127u);
}

TEST_F(AdapterSdkTest, ResultsAreCopiedAndMessagesCutOnACharacterBoundary) {
  void* instance = Create("{}");
  ASSERT_NE(instance, nullptr);
  const stockd_push_item items[] = {{"A", "A", 1, -1}, {"B", "B", 0, 1}, {"C", "C", -1, 1}};
  stockd_push_result results[3] = {};
  ASSERT_EQ(kScriptedApi.push(instance, items, 3, results), 0);
  EXPECT_EQ(results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(results[1].status, STOCKD_PUSH_RETRY);
  EXPECT_EQ(results[1].retry_after_ms, 1500);
  EXPECT_STREQ(results[1].message, "later");
  EXPECT_EQ(results[2].status, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(std::string(results[2].message), std::string(STOCKD_MESSAGE_MAX - 2, 'e'));
  kScriptedApi.destroy(instance);
}

TEST_F(AdapterSdkTest, ExceptionsAndShortResultsBecomeRetry) {
  for (const char* mode : {"throw", "throw_int", "short"}) {
    void* instance = Create(std::string(R"({"mode": ")") + mode + "\"}");
    ASSERT_NE(instance, nullptr);
    const stockd_push_item items[] = {{"A", "A", 1, -1}, {"B", "B", 2, -1}};
    stockd_push_result results[2] = {};
    ASSERT_EQ(kScriptedApi.push(instance, items, 2, results), 0) << mode;
    for (const stockd_push_result& r : results) {
      EXPECT_EQ(r.status, STOCKD_PUSH_RETRY) << mode;
      EXPECT_NE(r.message[0], '\0') << mode;
    }
    kScriptedApi.destroy(instance);
  }
}

TEST_F(AdapterSdkTest, FetchAndPollOrders) {
  void* instance = Create("{}");
  ASSERT_NE(instance, nullptr);
  const char* ids[] = {"known", "unknown"};
  int64_t quantities[2] = {0, 0};
  char error[64] = "";
  ASSERT_EQ(kScriptedApi.fetch(instance, ids, 2, quantities, error, sizeof error), 0);
  EXPECT_EQ(quantities[0], 7);
  EXPECT_EQ(quantities[1], -1);  // negative means "no such listing"

  std::vector<std::string> seen;
  const stockd_order_sink sink = [](void* data, const stockd_order* order) {
    auto* out = static_cast<std::vector<std::string>*>(data);
    std::string line = std::string(order->order_id) + ":" + order->status;
    for (size_t i = 0; i < order->line_count; ++i) {
      line += " " + std::string(order->lines[i].listing_id) + "x" +
              std::to_string(order->lines[i].quantity);
    }
    out->push_back(line);
    return 0;
  };
  char cursor[8];
  ASSERT_EQ(kScriptedApi.poll_orders(instance, "c1", sink, &seen, cursor, sizeof cursor, error,
                                     sizeof error),
            0)
      << error;
  EXPECT_EQ(seen, (std::vector<std::string>{"order-1:placed L-1x2", "order-2:cancelled"}));
  EXPECT_STREQ(cursor, "c1+2");

  // The same orders through the lifecycle entry point: "placed" is accepted at revision 1,
  // "cancelled" at revision 2 (the SDK's numbering when the adapter gives none).
  std::vector<std::string> revisions;
  const stockd_order_revision_sink revision_sink = [](void* data,
                                                      const stockd_order_revision* order) {
    auto* out = static_cast<std::vector<std::string>*>(data);
    std::string line = std::string(order->order_id) + ":" + std::to_string(order->status) + "@" +
                       std::to_string(order->revision);
    for (size_t i = 0; i < order->line_count; ++i) {
      line += " " + std::string(order->lines[i].listing_id) + "x" +
              std::to_string(order->lines[i].quantity);
    }
    EXPECT_EQ(order->line_size, sizeof(stockd_order_revision_line));
    out->push_back(line);
    return 0;
  };
  ASSERT_EQ(kScriptedApi.poll_order_revisions(instance, "c1", revision_sink, &revisions, cursor,
                                              sizeof cursor, error, sizeof error),
            0)
      << error;
  EXPECT_EQ(revisions, (std::vector<std::string>{"order-1:2@1 L-1x2", "order-2:4@2"}));
  // A cursor that does not fit is an error, not a silently cut cursor.
  EXPECT_NE(kScriptedApi.poll_orders(instance, "long-cursor", sink, &seen, cursor, sizeof cursor,
                                     error, sizeof error),
            0);
  EXPECT_NE(std::string(error).find("does not fit"), std::string::npos) << error;
  kScriptedApi.destroy(instance);

  instance = Create(R"({"mode": "throw"})");
  ASSERT_NE(instance, nullptr);
  EXPECT_NE(kScriptedApi.fetch(instance, ids, 2, quantities, error, sizeof error), 0);
  EXPECT_STREQ(error, "the channel is down");
  kScriptedApi.destroy(instance);
}

TEST_F(AdapterSdkTest, HostWithoutCallbacksIsSafe) {
  stockd_host empty{};
  empty.struct_size = sizeof empty;
  char error[64];
  void* instance = kScriptedApi.create("{}", &empty, error, sizeof error);
  ASSERT_NE(instance, nullptr);
  kScriptedApi.destroy(instance);
  instance = kScriptedApi.create("{}", nullptr, error, sizeof error);
  ASSERT_NE(instance, nullptr);
  kScriptedApi.destroy(instance);
}

}  // namespace
}  // namespace stockd
