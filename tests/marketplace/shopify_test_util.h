// What the Shopify adapter's tests share: the plugin loaded as the daemon loads it, one
// instance called through the C table (push, fetch, poll_order_revisions), a FakeShopify
// with one location, an access token file, and a raw GraphQL client for the fake's own
// tests.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_
#define STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/plugin_under_test.h"
#include "tests/fakes/shopify/fake_shopify.h"

namespace stockd::shopify_test {

using Json = nlohmann::json;
using fakes::FakeShopify;
using fakes::TestHost;
using fakes::TestItem;

constexpr char kToken[] = "shpat_0123456789abcdef";

struct PolledLine {
  std::string listing_id;
  int64_t quantity = 0;
  int64_t shipped = 0;
  int64_t cancelled = 0;
};
struct PolledOrder {
  std::string order_id;
  int64_t revision = 0;
  int32_t status = 0;  // STOCKD_ORDER_*
  std::vector<PolledLine> lines;
};
struct PollOutcome {
  int rc = -1;
  std::string cursor;
  std::string error;
  std::vector<PolledOrder> orders;
};

struct PushOutcome {
  int rc = -1;
  std::vector<stockd_push_result> results;
};

// One plugin instance, called as the daemon calls it.
class Instance {
 public:
  Instance(const stockd_adapter_api* api, void* instance) : api_(api), instance_(instance) {}
  ~Instance() { api_->destroy(instance_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  PushOutcome Push(const std::vector<TestItem>& items) {
    std::vector<stockd_push_item> c_items;
    for (const TestItem& item : items) {
      c_items.push_back({item.sku.c_str(), item.listing_id.c_str(), item.quantity, item.previous});
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

  // Polls from `cursor`; the sink takes at most `take` orders (-1: all).
  PollOutcome Poll(const std::string& cursor, int take = -1) {
    struct Sink {
      PollOutcome* out;
      int take;
    } sink{nullptr, take};
    PollOutcome out;
    sink.out = &out;
    char next[1024] = {0};
    char error[512] = {0};
    out.rc = api_->poll_order_revisions(
        instance_, cursor.c_str(),
        [](void* data, const stockd_order_revision* o) -> int {
          auto* s = static_cast<Sink*>(data);
          if (s->take >= 0 && static_cast<int>(s->out->orders.size()) >= s->take) return 1;
          PolledOrder p{o->order_id, o->revision, o->status, {}};
          for (size_t i = 0; i < o->line_count; ++i) {
            const auto* l = reinterpret_cast<const stockd_order_revision_line*>(
                reinterpret_cast<const char*>(o->lines) + i * o->line_size);
            p.lines.push_back(
                {l->listing_id, l->quantity, l->quantity_shipped, l->quantity_cancelled});
          }
          s->out->orders.push_back(std::move(p));
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

// A raw answer of the fake to a hand-made request.
struct RawAnswer {
  long status = 0;
  std::string body;
  Json json;
};

// POSTs `body` to `url` with the given headers (libcurl, no adapter code).
inline RawAnswer RawPost(const std::string& url, const std::string& body,
                         const std::vector<std::string>& headers) {
  RawAnswer a;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* user) {
        static_cast<std::string*>(user)->append(data, size * count);
        return size * count;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
  if (curl_easy_perform(curl) == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  a.json = Json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  return a;
}

class ShopifyTest : public ::testing::Test {
 protected:
  virtual FakeShopify::Options FakeOptions() {
    FakeShopify::Options o;
    o.access_token = kToken;
    return o;
  }

  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_shopify_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    token_file_ = dir_ + "/token";
    WriteToken(kToken);
    fake_ = std::make_unique<FakeShopify>(FakeOptions());
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
    location_ = fake_->AddLocation("Warehouse");
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  void WriteToken(const std::string& token) {
    const std::string tmp = token_file_ + ".new";
    std::ofstream(tmp) << token << "\n";
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, token_file_);
  }

  std::string Endpoint() const { return fake_->shop_url() + "/admin/api/2026-04/graphql.json"; }

  // The adapter config for the fake, plus `extra` keys (a null removes a key).
  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"shop_url", fake_->shop_url()},
                   {"location_id", std::to_string(location_)},
                   {"access_token_file", token_file_},
                   {"channel", "shopify"},
                   {"timeout_ms", 3000}};
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
    EXPECT_EQ(instance, nullptr) << config.dump();
    if (instance != nullptr) plugin_.api()->destroy(instance);
    return error;
  }

  // Requests of one root field ("inventorySetQuantities", "inventoryItems", "orders", ...).
  std::vector<fakes::ShopifyRequestRecord> RequestsOf(const std::string& operation) const {
    std::vector<fakes::ShopifyRequestRecord> out;
    for (const auto& r : fake_->Requests()) {
      if (r.operation.rfind(operation, 0) == 0) out.push_back(r);
    }
    return out;
  }

  fakes::PluginUnderTest plugin_{fakes::PluginDir(), "shopify"};
  TestHost host_;
  std::string dir_;
  std::string token_file_;
  std::unique_ptr<FakeShopify> fake_;
  int64_t location_ = 0;
};

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

}  // namespace stockd::shopify_test

#endif  // STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_
