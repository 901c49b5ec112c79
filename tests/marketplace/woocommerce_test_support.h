// What the woocommerce adapter's tests share: the plugin loaded as the daemon loads it,
// an instance wrapper that can also poll orders through the C table, and a fixture with a
// fake WooCommerce shop (tests/fakes/woocommerce/fake_woocommerce.h), credential files and
// a config.
//
// Thread safety: a fixture belongs to its test's thread (Poll may run on another thread
// while the test thread drives the fake).
#ifndef STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_

#include <sys/stat.h>
#include <unistd.h>

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
#include "tests/fakes/plugin_under_test.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/fakes/woocommerce/raw_http.h"
#include "tests/fakes/woocommerce/wordpress.h"

namespace stockd::woocommerce_test {

using fakes::FakeWooCommerce;
using fakes::PluginUnderTest;
using fakes::TestHost;
using fakes::TestItem;
using Json = nlohmann::json;

constexpr char kKey[] = "ck_4f1e0c2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
constexpr char kSecret[] = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
constexpr int64_t kStart = 1'700'000'000;  // the fake's clock: 2023-11-14T22:13:20

struct PolledLine {
  std::string listing_id;
  int64_t quantity = 0;
  int64_t shipped = 0;
  int64_t cancelled = 0;
};
struct PolledOrder {
  std::string id;
  int64_t revision = 0;
  int32_t status = 0;
  std::vector<PolledLine> lines;
};
struct PollOutcome {
  int rc = -1;
  std::string cursor;
  std::string error;
  std::vector<PolledOrder> orders;
};

// "12@1700000001000:accepted" per order.
inline std::vector<std::string> Summary(const std::vector<PolledOrder>& orders) {
  static constexpr const char* kNames[] = {"?", "pending", "accepted", "shipped", "cancelled"};
  std::vector<std::string> out;
  for (const PolledOrder& o : orders) {
    out.push_back(o.id + "@" + std::to_string(o.revision) + ":" +
                  kNames[o.status >= 1 && o.status <= 4 ? o.status : 0]);
  }
  return out;
}

// One instance through the C table: push, fetch and poll_order_revisions.
class Instance {
 public:
  Instance(const stockd_adapter_api* api, void* instance) : api_(api), instance_(instance) {}
  ~Instance() { api_->destroy(instance_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  fakes::PushOutcome Push(const std::vector<TestItem>& items) {
    std::vector<stockd_push_item> c_items;
    for (const TestItem& item : items) {
      c_items.push_back({item.sku.c_str(), item.listing_id.c_str(), item.quantity, item.previous});
    }
    fakes::PushOutcome out;
    out.results.resize(items.size());
    std::memset(out.results.data(), 0, out.results.size() * sizeof(stockd_push_result));
    out.rc = api_->push(instance_, c_items.data(), c_items.size(), out.results.data());
    return out;
  }
  // SKUs pushed as themselves (listing id = SKU).
  fakes::PushOutcome PushSkus(const std::vector<std::pair<std::string, int64_t>>& skus) {
    std::vector<TestItem> items;
    for (const auto& [sku, q] : skus) items.push_back({sku, sku, q, -1});
    return Push(items);
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

  // Polls from `cursor`; the sink takes at most `take` orders.
  PollOutcome Poll(const std::string& cursor, size_t take = 1'000'000) {
    struct Sink {
      PollOutcome* out;
      size_t take;
    };
    PollOutcome out;
    Sink sink{&out, take};
    char next[512] = {0};
    char error[512] = {0};
    out.rc = api_->poll_order_revisions(
        instance_, cursor.c_str(),
        [](void* data, const stockd_order_revision* o) -> int {
          auto* s = static_cast<Sink*>(data);
          if (s->out->orders.size() >= s->take) return 1;
          PolledOrder order{o->order_id, o->revision, o->status, {}};
          for (size_t i = 0; i < o->line_count; ++i) {
            const auto* l = reinterpret_cast<const stockd_order_revision_line*>(
                reinterpret_cast<const char*>(o->lines) + i * o->line_size);
            order.lines.push_back(
                {l->listing_id, l->quantity, l->quantity_shipped, l->quantity_cancelled});
          }
          s->out->orders.push_back(std::move(order));
          return 0;
        },
        &sink, next, sizeof next, error, sizeof error);
    out.cursor = next;
    out.error = error;
    return out;
  }

 private:
  const stockd_adapter_api* api_;
  void* instance_;
};

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Waits up to `ms` for `condition`.
inline bool WaitFor(const std::function<bool()>& condition, int ms = 5000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class WooCommerceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_woocommerce_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WriteSecret("key", kKey);
    WriteSecret("secret", kSecret);
    StartShop(ShopOptions());
  }
  void TearDown() override {
    shop_.reset();
    std::filesystem::remove_all(dir_);
  }

  static FakeWooCommerce::Options ShopOptions() {
    FakeWooCommerce::Options o;
    o.consumer_key = kKey;
    o.consumer_secret = kSecret;
    o.start_time = kStart;
    return o;
  }
  void StartShop(const FakeWooCommerce::Options& options) {
    shop_ = std::make_unique<FakeWooCommerce>(options);
    std::string error;
    ASSERT_TRUE(shop_->Start(&error)) << error;
  }

  // A credential file of mode 0600 under the test's directory.
  void WriteSecret(const std::string& name, const std::string& value) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << value << "\n";
    ::chmod(path.c_str(), 0600);
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    return path;
  }

  // The config for the fake shop, plus `extra` keys (a null value removes a key).
  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"base_url", shop_->base_url()},
                   {"consumer_key_file", dir_ + "/key"},
                   {"consumer_secret_file", dir_ + "/secret"},
                   {"channel", "woo"},
                   {"timeout_ms", 2000},
                   {"requests_per_second", 1000}};
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
    if (instance == nullptr) return nullptr;
    return std::make_unique<Instance>(plugin_.api(), instance);
  }
  std::string CreateError(const Json& config) {
    char error[512] = {0};
    void* instance =
        plugin_.api()->create(config.dump().c_str(), host_.host(), error, sizeof error);
    EXPECT_EQ(instance, nullptr) << config.dump();
    if (instance != nullptr) plugin_.api()->destroy(instance);
    return error;
  }

  // The requests the shop got whose path ends with `suffix` (and method).
  std::vector<FakeWooCommerce::Recorded> RequestsTo(const std::string& method,
                                                    const std::string& suffix) const {
    std::vector<FakeWooCommerce::Recorded> out;
    for (const FakeWooCommerce::Recorded& r : shop_->Requests()) {
      if (r.method == method && r.path.size() >= suffix.size() &&
          r.path.compare(r.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(r);
      }
    }
    return out;
  }

  bool Logged(int level, const std::string& part) const {
    for (const auto& [l, message] : host_.Logs()) {
      if (l == level && message.find(part) != std::string::npos) return true;
    }
    return false;
  }

  PluginUnderTest plugin_{fakes::PluginDir(), "woocommerce"};
  TestHost host_;
  std::string dir_;
  std::unique_ptr<FakeWooCommerce> shop_;
};

}  // namespace stockd::woocommerce_test

#endif  // STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_
