// Shared by the eBay adapter's tests (ebay_push_test.cc, ebay_orders_test.cc): a fixture
// that starts the fake eBay API (tests/fakes/ebay/fake_ebay.h), writes the adapter's
// credential files, loads the plugin as the daemon does (dlopen, the entry symbol, the C
// table) and calls it through the table; a raw HTTP/1.1 client for requests the adapter
// would never send; and a wait on conditions.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/ebay/fake_ebay.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd::ebay_test {

using Json = nlohmann::json;
using fakes::FakeEbay;
using fakes::PushOutcome;
using fakes::TestHost;
using fakes::TestItem;

constexpr char kInventoryScope[] = "https://api.ebay.com/oauth/api_scope/sell.inventory";
constexpr char kFulfillmentScope[] = "https://api.ebay.com/oauth/api_scope/sell.fulfillment";

inline int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits up to `timeout_ms` for `condition`.
inline bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 5000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ---------------------------------------------------------------- raw HTTP

struct RawAnswer {
  int status = 0;
  std::string body;
  std::string head;
};

// One HTTP/1.1 request on a fresh connection (Connection: close).
inline RawAnswer RawHttp(uint16_t port, const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body = "") {
  RawAnswer answer;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return answer;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) request += h + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  request += body;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return answer;
  answer.status = std::stoi(response.substr(9, 3));
  answer.head = response.substr(0, end);
  answer.body = response.substr(end + 4);
  return answer;
}

// ---------------------------------------------------------------- the plugin

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
struct PollResult {
  int rc = -1;
  std::string cursor;
  std::string error;
  std::vector<PolledOrder> orders;
};

// One instance of the eBay plugin, called through the C table.
class EbayInstance {
 public:
  EbayInstance(const stockd_adapter_api* api, void* instance) : api_(api), instance_(instance) {}
  ~EbayInstance() { api_->destroy(instance_); }
  EbayInstance(const EbayInstance&) = delete;
  EbayInstance& operator=(const EbayInstance&) = delete;

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
  // One item whose SKU is its listing id.
  PushOutcome Push(const std::string& sku, int64_t quantity) {
    return Push(std::vector<TestItem>{{sku, sku, quantity, -1}});
  }

  int Fetch(const std::vector<std::string>& listing_ids, std::vector<int64_t>* quantities,
            std::string* error) {
    std::vector<const char*> ids;
    for (const std::string& id : listing_ids) ids.push_back(id.c_str());
    quantities->assign(listing_ids.size(), -2);
    char buffer[512] = {0};
    const int rc =
        api_->fetch(instance_, ids.data(), ids.size(), quantities->data(), buffer, sizeof buffer);
    *error = buffer;
    return rc;
  }

  // poll_order_revisions from `cursor`; the sink takes at most `stop_after` orders.
  PollResult Poll(const std::string& cursor, size_t stop_after = 1'000'000) {
    struct Sink {
      PollResult* result;
      size_t stop_after;
    };
    PollResult result;
    Sink sink{&result, stop_after};
    char next[512] = {0};
    char error[512] = {0};
    result.rc = api_->poll_order_revisions(
        instance_, cursor.c_str(),
        [](void* data, const stockd_order_revision* o) -> int {
          auto* s = static_cast<Sink*>(data);
          if (s->result->orders.size() >= s->stop_after) return 1;
          PolledOrder order{o->order_id, o->revision, o->status, {}};
          for (size_t i = 0; i < o->line_count; ++i) {
            const auto* l = reinterpret_cast<const stockd_order_revision_line*>(
                reinterpret_cast<const char*>(o->lines) + i * o->line_size);
            order.lines.push_back(
                {l->listing_id, l->quantity, l->quantity_shipped, l->quantity_cancelled});
          }
          s->result->orders.push_back(std::move(order));
          return 0;
        },
        &sink, next, sizeof next, error, sizeof error);
    result.cursor = next;
    result.error = error;
    return result;
  }

 private:
  const stockd_adapter_api* api_;
  void* instance_;
};

// ---------------------------------------------------------------- the fixture

class EbayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.ok()) << plugin_.path() << ": " << plugin_.error();
    char tmpl[] = "/tmp/stockd_ebay_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    StartFake(FakeEbay::Options{});
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  // (Re)starts the fake with `options` and writes its credentials into the files.
  void StartFake(FakeEbay::Options options) {
    fake_.reset();
    fake_ = std::make_unique<FakeEbay>(std::move(options));
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
    WriteSecret("client_secret", FakeEbay::Options{}.client_secret);
    WriteSecret("refresh_token", FakeEbay::Options{}.refresh_token);
  }

  // A credential file of mode 0600.
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

  // The config for the fake, plus `extra` keys (a null value removes a key).
  Json Config(const Json& extra = Json::object()) const {
    Json config = {{"endpoint", fake_->base_url()},
                   {"client_id", FakeEbay::Options{}.client_id},
                   {"client_secret_file", dir_ + "/client_secret"},
                   {"refresh_token_file", dir_ + "/refresh_token"},
                   {"requests_per_second", 1000},
                   {"min_revision_interval_ms", 0},
                   {"timeout_ms", 2000},
                   {"channel", "ebay-us"}};
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it->is_null()) {
        config.erase(it.key());
      } else {
        config[it.key()] = *it;
      }
    }
    return config;
  }

  std::unique_ptr<EbayInstance> Create(const Json& config) {
    char error[512];
    std::memset(error, 'x', sizeof error);
    void* instance =
        plugin_.api()->create(config.dump().c_str(), host_.host(), error, sizeof error);
    EXPECT_NE(instance, nullptr) << std::string(error, strnlen(error, sizeof error));
    return instance == nullptr ? nullptr : std::make_unique<EbayInstance>(plugin_.api(), instance);
  }
  std::string CreateError(const Json& config) {
    char error[512];
    std::memset(error, 'x', sizeof error);
    void* instance =
        plugin_.api()->create(config.dump().c_str(), host_.host(), error, sizeof error);
    EXPECT_EQ(instance, nullptr) << config.dump();
    if (instance != nullptr) plugin_.api()->destroy(instance);
    return std::string(error, strnlen(error, sizeof error));
  }

  // A token from the fake's token endpoint for raw requests.
  std::string RawToken() {
    const FakeEbay::Options o;
    const RawAnswer a =
        RawHttp(fake_->port(), "POST", "/identity/v1/oauth2/token",
                {"Authorization: Basic " + fakes::Base64(o.client_id + ":" + o.client_secret),
                 "Content-Type: application/x-www-form-urlencoded"},
                "grant_type=refresh_token&refresh_token=" + FormEncode(o.refresh_token));
    EXPECT_EQ(a.status, 200) << a.body;
    return Json::parse(a.body, nullptr, false).value("access_token", "");
  }

  static std::string FormEncode(const std::string& value) {
    std::string out;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
    return out;
  }

  bool LoggedError(const std::string& part) const {
    for (const auto& [level, message] : host_.Logs()) {
      if (level == STOCKD_LOG_ERROR && message.find(part) != std::string::npos) return true;
    }
    return false;
  }

  fakes::PluginUnderTest plugin_{fakes::PluginDir(), "ebay"};
  TestHost host_;
  std::string dir_;
  std::unique_ptr<FakeEbay> fake_;
};

// Every item of a push has `status`.
inline void ExpectAll(const PushOutcome& out, int32_t status) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, status) << "item " << i << ": " << out.results[i].message;
  }
}

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

}  // namespace stockd::ebay_test

#endif  // STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_
