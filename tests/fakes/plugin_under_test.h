// Loads an adapter plugin for a test exactly as the daemon does: dlopen(RTLD_NOW |
// RTLD_LOCAL) of <dir>/libstockd_adapter_<name>.so, the one entry symbol, the ABI version
// check; then creates instances with a test host (captured logs and counters, a settable
// clock) and calls them through the C table.
//
// Thread safety: a PluginUnderTest and its instances belong to one test thread; the test
// host's callbacks may be called from any thread.
#ifndef STOCKD_TESTS_FAKES_PLUGIN_UNDER_TEST_H_
#define STOCKD_TESTS_FAKES_PLUGIN_UNDER_TEST_H_

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "stockd/adapter.h"

namespace stockd::fakes {

// The host side of the ABI, recording what the plugin reports.
class TestHost {
 public:
  TestHost() {
    host_.struct_size = sizeof(stockd_host);
    host_.host_data = this;
    host_.log = [](void* data, int level, const char* msg) {
      auto* self = static_cast<TestHost*>(data);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->logs_.emplace_back(level, msg != nullptr ? msg : "");
    };
    host_.count = [](void* data, const char* name, double delta) {
      auto* self = static_cast<TestHost*>(data);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->counters_[name != nullptr ? name : ""] += delta;
    };
    host_.now_ms = [](void* data) -> int64_t {
      auto* self = static_cast<TestHost*>(data);
      const int64_t fixed = self->now_ms_.load();
      if (fixed != 0) return fixed;
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
    host_.cancelled = [](void* data) -> int {
      return static_cast<TestHost*>(data)->cancelled_.load() ? 1 : 0;
    };
  }
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  const stockd_host* host() const { return &host_; }
  void SetNowMs(int64_t now_ms) { now_ms_.store(now_ms); }  // 0: the system clock
  // What stockd_host.cancelled answers (the daemon stopping); any thread.
  void SetCancelled(bool cancelled) { cancelled_.store(cancelled); }
  // Poses as an older daemon whose stockd_host ends before `field_offset` (call before
  // creating instances).
  void TruncateStructTo(size_t field_offset) {
    host_.struct_size = static_cast<uint32_t>(field_offset);
  }

  std::vector<std::pair<int, std::string>> Logs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }
  double Counter(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  }

 private:
  stockd_host host_{};
  std::atomic<int64_t> now_ms_{0};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::vector<std::pair<int, std::string>> logs_;
  std::map<std::string, double> counters_;
};

struct TestItem {
  std::string sku;
  std::string listing_id;
  int64_t quantity = 0;
  int64_t previous = -1;
};

struct PushOutcome {
  int rc = -1;
  std::vector<stockd_push_result> results;
};

// One order revision as the plugin handed it to poll_order_revisions' sink.
struct PolledLine {
  std::string listing_id;
  int64_t quantity = 0;
  int64_t shipped = 0;
  int64_t cancelled = 0;
  std::string location;  // "" when not said (or the plugin's line struct predates it)
};
struct PolledOrder {
  using Line = PolledLine;
  std::string order_id;
  int64_t revision = 0;
  int32_t status = 0;  // STOCKD_ORDER_*
  std::vector<PolledLine> lines;
};
struct PollResult {
  int rc = -1;
  std::string cursor;  // the next cursor the plugin wrote
  std::string error;
  std::vector<PolledOrder> orders;
};

// One instance of a loaded plugin; destroy()ed by the destructor.
class PluginInstance {
 public:
  PluginInstance(const stockd_adapter_api* api, void* instance) : api_(api), instance_(instance) {}
  ~PluginInstance() { api_->destroy(instance_); }
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

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

  // Returns fetch()'s code; fills *quantities (pre-set to -2 to catch unwritten slots).
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

  // Every SKU pushed as its own listing id.
  PushOutcome Push(const std::string& sku, int64_t quantity) {
    return Push(std::vector<TestItem>{{sku, sku, quantity, -1}});
  }
  PushOutcome PushSkus(const std::vector<std::pair<std::string, int64_t>>& skus) {
    std::vector<TestItem> items;
    for (const auto& [sku, quantity] : skus) items.push_back({sku, sku, quantity, -1});
    return Push(items);
  }

  static constexpr size_t kAll = std::numeric_limits<size_t>::max();

  // poll_order_revisions from `cursor`; the sink takes at most `stop_after` orders and
  // answers 1 (stop) to the next one.
  PollResult PollRevisions(const std::string& cursor, size_t stop_after = kAll) {
    struct Sink {
      PollResult* result;
      size_t stop_after;
    };
    PollResult result;
    Sink sink{&result, stop_after};
    char next[1024] = {0};
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
            PolledLine line{l->listing_id, l->quantity, l->quantity_shipped, l->quantity_cancelled,
                            ""};
            if (l->struct_size >=
                    offsetof(stockd_order_revision_line, location) + sizeof(l->location) &&
                l->location != nullptr) {
              line.location = l->location;
            }
            order.lines.push_back(std::move(line));
          }
          s->result->orders.push_back(std::move(order));
          return 0;
        },
        &sink, next, sizeof next, error, sizeof error);
    result.cursor = next;
    result.error = error;
    return result;
  }
  // The same, appending the orders to *orders; take < 0: all.
  int PollRevisions(const std::string& cursor, std::vector<PolledOrder>* orders,
                    std::string* next_cursor, std::string* error, int take = -1) {
    PollResult result = PollRevisions(cursor, take < 0 ? kAll : static_cast<size_t>(take));
    for (PolledOrder& order : result.orders) orders->push_back(std::move(order));
    *next_cursor = result.cursor;
    *error = result.error;
    return result.rc;
  }

 private:
  const stockd_adapter_api* api_;
  void* instance_;
};

class PluginUnderTest {
 public:
  // Loads <dir>/libstockd_adapter_<name>.so; check ok() / error().
  PluginUnderTest(const std::string& dir, const std::string& name) {
    path_ = dir + "/libstockd_adapter_" + name + ".so";
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      error_ = std::string("dlopen: ") + dlerror();
      return;
    }
    auto entry =
        reinterpret_cast<stockd_adapter_entry_fn>(dlsym(handle_, STOCKD_ADAPTER_ENTRY_SYMBOL));
    if (entry == nullptr) {
      error_ = path_ + " exports no " STOCKD_ADAPTER_ENTRY_SYMBOL;
      return;
    }
    api_ = entry(STOCKD_ADAPTER_ABI_VERSION);
    if (api_ == nullptr) {
      error_ = "the entry returned no table";
    } else if (api_->abi_version != STOCKD_ADAPTER_ABI_VERSION) {
      error_ = "built for ABI version " + std::to_string(api_->abi_version) + ", not " +
               std::to_string(STOCKD_ADAPTER_ABI_VERSION);
      api_ = nullptr;
    }
  }
  ~PluginUnderTest() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  PluginUnderTest(const PluginUnderTest&) = delete;
  PluginUnderTest& operator=(const PluginUnderTest&) = delete;

  bool ok() const { return api_ != nullptr; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  const stockd_adapter_api* api() const { return api_; }
  void* handle() const { return handle_; }

  // create(); nullptr with *error = the plugin's reason on failure.
  std::unique_ptr<PluginInstance> Create(const std::string& config_json, const TestHost& host,
                                         std::string* error) const {
    char buffer[512];
    std::memset(buffer, 'x', sizeof buffer);  // the plugin must NUL-terminate
    void* instance = api_->create(config_json.c_str(), host.host(), buffer, sizeof buffer);
    if (instance == nullptr) {
      *error = std::string(buffer, strnlen(buffer, sizeof buffer));
      return nullptr;
    }
    error->clear();
    return std::make_unique<PluginInstance>(api_, instance);
  }

 private:
  std::string path_;
  void* handle_ = nullptr;
  const stockd_adapter_api* api_ = nullptr;
  std::string error_;
};

// Where the build puts the plugins.
inline std::string PluginDir() { return std::string(STOCKD_BINARY_DIR) + "/plugins"; }

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_PLUGIN_UNDER_TEST_H_
