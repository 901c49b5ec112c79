// What the amazon plugin tests share: the plugin loaded as the daemon loads it, an instance
// driven through the C table (push, fetch and poll_order_revisions), and a fixture with a
// FakeAmazon and the credential files (mode 0600) the adapter config names.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/amazon/raw_http.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd::amazon_test {

using fakes::FakeAmazon;
using fakes::PluginUnderTest;
using fakes::PushOutcome;
using fakes::TestHost;
using fakes::TestItem;
using Json = nlohmann::json;

constexpr char kSecret[] = "lwa-client-secret";
constexpr char kRefresh[] = "Atzr|stockd-test-refresh-token";

// One order revision as the plugin handed it to the daemon.
struct Revision {
  struct Line {
    std::string listing_id;
    int64_t quantity, shipped, cancelled;
  };
  std::string order_id;
  int64_t revision = 0;
  int32_t status = 0;
  std::vector<Line> lines;
};

// An instance created through the plugin's C table; destroy()ed by the destructor.
class Instance {
 public:
  Instance(const stockd_adapter_api* api, void* instance) : api_(api), instance_(instance) {}
  ~Instance() { api_->destroy(instance_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  PushOutcome Push(const std::vector<TestItem>& items) {
    std::vector<stockd_push_item> c_items;
    for (const TestItem& i : items) {
      c_items.push_back({i.sku.c_str(), i.listing_id.c_str(), i.quantity, i.previous});
    }
    PushOutcome out;
    out.results.resize(items.size());
    std::memset(out.results.data(), 0, out.results.size() * sizeof(stockd_push_result));
    out.rc = api_->push(instance_, c_items.data(), c_items.size(), out.results.data());
    return out;
  }

  int Fetch(const std::vector<std::string>& ids, std::vector<int64_t>* quantities,
            std::string* error) {
    std::vector<const char*> c_ids;
    for (const std::string& id : ids) c_ids.push_back(id.c_str());
    quantities->assign(ids.size(), -2);
    char buffer[512] = {0};
    const int rc = api_->fetch(instance_, c_ids.data(), c_ids.size(), quantities->data(), buffer,
                               sizeof buffer);
    *error = buffer;
    return rc;
  }

  // poll_order_revisions from `cursor`; the sink takes `take` revisions (-1: all).
  int Poll(const std::string& cursor, std::vector<Revision>* out, std::string* next_cursor,
           std::string* error, int take = -1) {
    struct Sink {
      std::vector<Revision>* out;
      int take;
    } sink{out, take};
    char next[256] = {0};
    char buffer[512] = {0};
    const int rc = api_->poll_order_revisions(
        instance_, cursor.c_str(),
        [](void* data, const stockd_order_revision* o) -> int {
          auto* s = static_cast<Sink*>(data);
          if (s->take == 0) return 1;
          if (s->take > 0) --s->take;
          Revision r{o->order_id, o->revision, o->status, {}};
          const char* line = reinterpret_cast<const char*>(o->lines);
          for (size_t i = 0; i < o->line_count; ++i, line += o->line_size) {
            const auto* l = reinterpret_cast<const stockd_order_revision_line*>(line);
            r.lines.push_back(
                {l->listing_id, l->quantity, l->quantity_shipped, l->quantity_cancelled});
          }
          s->out->push_back(std::move(r));
          return 0;
        },
        &sink, next, sizeof next, buffer, sizeof buffer);
    *next_cursor = next;
    *error = buffer;
    return rc;
  }

 private:
  const stockd_adapter_api* api_;
  void* instance_;
};

// Waits up to `timeout_ms` for `condition`; true when it held.
inline bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

class AmazonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_amazon_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    secret_file_ = dir_ + "/client_secret";
    refresh_file_ = dir_ + "/refresh_token";
    WriteSecret(secret_file_, kSecret);
    WriteSecret(refresh_file_, kRefresh);
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  static void WriteSecret(const std::string& path, const std::string& value) {
    std::ofstream(path, std::ios::trunc) << value << "\n";
    ::chmod(path.c_str(), 0600);
  }

  // Starts the fake with `options` (port, credentials and delays as the test wants).
  void StartFake(FakeAmazon::Options options = {}) {
    fake_ = std::make_unique<FakeAmazon>(std::move(options));
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
  }
  // Faster usage plans for the listings operations (tests with many items).
  static FakeAmazon::Options FastListings(FakeAmazon::Options options = {}) {
    options.rates[FakeAmazon::Operation::kPatchListingsItem] = {1000, 10};
    options.rates[FakeAmazon::Operation::kSearchListingsItems] = {1000, 10};
    options.rates[FakeAmazon::Operation::kGetListingsItem] = {1000, 10};
    return options;
  }

  // The adapter config for the fake, plus `extra` keys (null removes a key).
  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"endpoint", fake_->base_url()},
                   {"token_url", fake_->token_url()},
                   {"seller_id", fake_->options().seller_id},
                   {"marketplace_id", fake_->options().marketplace_ids[0]},
                   {"client_id", fake_->options().client_id},
                   {"client_secret_file", secret_file_},
                   {"refresh_token_file", refresh_file_},
                   {"timeout_ms", 3000},
                   {"channel", "amazon-de"}};
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it->is_null()) {
        config.erase(it.key());
      } else {
        config[it.key()] = *it;
      }
    }
    return config;
  }

  std::unique_ptr<Instance> Create(const Json& config) {
    char error[512] = {0};
    void* instance =
        plugin_.api()->create(config.dump().c_str(), host_.host(), error, sizeof error);
    EXPECT_NE(instance, nullptr) << error;
    return instance == nullptr ? nullptr : std::make_unique<Instance>(plugin_.api(), instance);
  }
  std::string CreateError(const Json& config) {
    char error[512] = {0};
    void* instance =
        plugin_.api()->create(config.dump().c_str(), host_.host(), error, sizeof error);
    if (instance != nullptr) {
      plugin_.api()->destroy(instance);
      ADD_FAILURE() << "created with " << config.dump();
    }
    return error;
  }

  // Requests the fake recorded for `operation`.
  std::vector<FakeAmazon::Recorded> Recorded(FakeAmazon::Operation operation) const {
    std::vector<FakeAmazon::Recorded> out;
    for (const FakeAmazon::Recorded& r : fake_->Requests()) {
      if (r.operation == operation) out.push_back(r);
    }
    return out;
  }

  // A live access token from the fake's LWA endpoint (for raw requests).
  std::string AccessToken() {
    const fakes::RawHttpResponse r = fakes::RawHttp(
        fake_->port(), "POST", "/auth/o2/token",
        {"Content-Type: application/x-www-form-urlencoded"},
        "grant_type=refresh_token&refresh_token=Atzr%7Cstockd-test-refresh-token&client_id=" +
            fake_->options().client_id + "&client_secret=" + kSecret);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false).value("access_token", "");
  }

  PluginUnderTest plugin_{fakes::PluginDir(), "amazon"};
  TestHost host_;
  std::string dir_;
  std::string secret_file_;
  std::string refresh_file_;
  std::unique_ptr<FakeAmazon> fake_;
};

inline void ExpectAll(const PushOutcome& out, int32_t status) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, status) << "item " << i << ": " << out.results[i].message;
  }
}

}  // namespace stockd::amazon_test

#endif  // STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_
