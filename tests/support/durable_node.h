// An engine wired to a DurableStore on a real Redis, as the daemon wires them: the storage
// tests' node (durability_test.cc, resync_test.cc, order_durability_test.cc). A node that
// goes away without an orderly shutdown is a crash as far as Redis can tell.
//
// Thread safety: Open/Close from the test thread; the log sink may be called from the
// store's threads (it locks).
#ifndef STOCKD_TESTS_SUPPORT_DURABLE_NODE_H_
#define STOCKD_TESTS_SUPPORT_DURABLE_NODE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/engine.h"
#include "daemon/storage/durable_store.h"
#include "daemon/util/log.h"

namespace stockd::testing {

struct DurableNode {
  std::unique_ptr<storage::DurableStore> store;
  std::unique_ptr<engine::Engine> engine;
  std::mutex logs_mu;
  std::vector<std::string> logs;
  // With address "": the store starts its own embedded redis-server here, as the daemon
  // does with no redis.address.
  std::string data_dir;
  // > 0: the re-sync's wait between attempts, first and cap (the store's default otherwise).
  int64_t resync_backoff_ms = 0;

  absl::Status Open(const std::string& address, engine::Model model,
                    engine::EngineOptions options = {}, int64_t timeout_ms = 1000,
                    storage::WriteOptions write = {}) {
    storage::DurableStoreOptions so;
    so.address = address;
    so.data_dir = data_dir;
    if (resync_backoff_ms > 0) {
      so.resync_backoff_initial_ms = so.resync_backoff_max_ms = resync_backoff_ms;
    }
    so.timeout_ms = timeout_ms;
    so.write = write;
    so.write.count_history_ms = options.count_history_ms;  // one setting, as in the daemon
    so.log = [this](log::Level level, const std::string& msg) {
      std::lock_guard<std::mutex> lock(logs_mu);
      logs.push_back(std::string(log::LevelName(level)) + ": " + msg);
    };
    absl::StatusOr<std::unique_ptr<storage::DurableStore>> s = storage::DurableStore::Open(so);
    if (!s.ok()) return s.status();
    store = std::move(*s);
    options.journal = store->journal();
    absl::StatusOr<std::unique_ptr<engine::Engine>> e =
        engine::Engine::Create(std::move(model), options);
    if (!e.ok()) return e.status();
    engine = std::move(*e);
    return store->Attach(engine.get());
  }
  void Close() {
    if (store) store->Stop();
    engine.reset();
    store.reset();
  }
  ~DurableNode() { Close(); }
  bool Logged(const std::string& needle) {
    std::lock_guard<std::mutex> lock(logs_mu);
    for (const std::string& l : logs) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  // Waits until the engine takes writes again (after a Redis outage and re-sync).
  bool WaitWritable(std::chrono::seconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (engine->writable()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return engine->writable();
  }
};

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_DURABLE_NODE_H_
