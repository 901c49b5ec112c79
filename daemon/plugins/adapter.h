// Adapter plugins as the daemon sees them: the C++ Adapter (push, fetch, poll orders)
// and the loader of plugins (shared objects behind the C ABI of
// adapters/include/stockd/adapter.h). The push engine and, to come, order ingestion use
// them (docs/orders.md).
//
// Thread safety: an Adapter is used by one thread at a time (its channel's worker).
// LoadPlugin and ValidatePluginConfig are thread-safe.
#ifndef STOCKD_DAEMON_PLUGINS_ADAPTER_H_
#define STOCKD_DAEMON_PLUGINS_ADAPTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/util/log.h"

namespace stockd::plugins {

struct PushItem {
  std::string sku;
  std::string listing_id;
  int64_t quantity = 0;
  int64_t previous = -1;  // last acknowledged; -1 = never
};

struct PushResult {
  // kConflict: the channel refused a compare-and-set against `previous` (it moved: a sale
  // or an edit); nothing was written (adapter.h STOCKD_PUSH_CONFLICT).
  enum class Status { kOk, kRetry, kPermanent, kConflict };
  Status status = Status::kRetry;
  int64_t retry_after_ms = 0;  // kRetry: the channel's Retry-After; 0 = our backoff
  std::string message;
};

// One revision of an order on the channel (docs/orders.md): the whole order as the
// channel has it now. Decoded and checked from the plugin's C structs (order_abi.h).
struct OrderLine {
  std::string listing_id;
  int64_t quantity = 0;            // ordered, >= 1
  int64_t quantity_shipped = 0;    // 0..quantity
  int64_t quantity_cancelled = 0;  // 0..quantity - quantity_shipped
  std::string location;            // where the channel ships it from; "" = not said
};
struct Order {
  enum class Status { kPending, kAccepted, kShipped, kCancelled };
  std::string order_id;
  int64_t revision = 0;  // >= 1; grows with every change on the channel
  Status status = Status::kPending;
  std::vector<OrderLine> lines;  // at least one
};
// The model's rules for an order, wherever it was decoded (plugin ABI, webhook body):
// INVALID_ARGUMENT naming the order and what is wrong for an empty order id, revision
// < 1, no lines (unless cancelled), a line without listing id, quantity < 1, shipped
// outside 0..quantity, cancelled outside 0..quantity - shipped. Thread-safe.
absl::Status CheckOrder(const Order& order);
// Receives each order a poll delivers, in the plugin's order; an order the plugin got
// wrong arrives as INVALID_ARGUMENT naming it. Returns false to stop the poll early.
using OrderSink = std::function<bool(absl::StatusOr<Order>)>;

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual const std::string& name() const = 0;
  virtual int max_batch() const = 0;
  // One result per item, in order.
  virtual std::vector<PushResult> Push(const std::vector<PushItem>& items) = 0;
  virtual bool can_fetch() const = 0;
  // The channel's quantity per listing id; -1 where it has none.
  virtual absl::StatusOr<std::vector<int64_t>> Fetch(
      const std::vector<std::string>& listing_ids) = 0;
  virtual bool can_poll_orders() const { return false; }
  // Hands every order that changed on the channel after `cursor` ("" = from the start of
  // the channel's change log, as far back as it keeps it: a first poll) to `sink` and
  // returns the new cursor. UNAVAILABLE (the plugin's message) when the poll
  // failed; UNIMPLEMENTED when !can_poll_orders().
  virtual absl::StatusOr<std::string> PollOrders(const std::string& cursor, const OrderSink& sink) {
    return absl::UnimplementedError("this adapter cannot poll orders");
  }
  // Whether this instance takes stock alerts (asked once, at creation: adapter.h
  // notify_alerts).
  virtual bool takes_alerts() const { return false; }
  // Delivers a JSON array of alerts; UNAVAILABLE (the plugin's message) when it failed
  // (send the same again later), UNIMPLEMENTED when !takes_alerts().
  virtual absl::Status NotifyAlerts(const std::string& alerts_json) {
    return absl::UnimplementedError("this adapter takes no alerts");
  }
  // Asks the Push or Fetch in progress, and every later one, to give up promptly (the
  // daemon is stopping); irreversible. The ONE method that may be called from another
  // thread while a call is in progress. Adapters that cannot be interrupted ignore it.
  virtual void Interrupt() {}
};

// The daemon's level of a plugin's stockd_host.log level: STOCKD_LOG_DEBUG -> debug,
// INFO -> info, WARN -> warn, ERROR (and above) -> error; below DEBUG -> debug.
inline log::Level HostLogLevel(int abi_level) {
  // The ABI's STOCKD_LOG_DEBUG 0, INFO 1, WARN 2, ERROR 3 (stockd/adapter.h).
  return abi_level >= 3   ? log::Level::kError
         : abi_level == 2 ? log::Level::kWarn
         : abi_level == 1 ? log::Level::kInfo
                          : log::Level::kDebug;
}

// What a plugin instance may call back into. Each may be empty.
struct HostCallbacks {
  std::function<void(int level, const std::string& msg)> log;
  std::function<void(const std::string& counter, double delta)> count;
  std::function<int64_t()> now_ms;
};

// Loads <plugin_dir>/libstockd_adapter_<plugin>.so (dlopen RTLD_NOW|RTLD_LOCAL), checks
// its ABI version and entries, and creates an instance from `config_json`.
// Errors: NOT_FOUND (no such file), FAILED_PRECONDITION (not a stockd adapter, another ABI
// version — both versions named — or missing required entries), INVALID_ARGUMENT (the
// plugin rejected its config; its message is included).
absl::StatusOr<std::unique_ptr<Adapter>> LoadPlugin(const std::string& plugin_dir,
                                                    const std::string& plugin,
                                                    const std::string& config_json,
                                                    HostCallbacks host);

// Loads the plugin as LoadPlugin does (same errors) and asks its validate_config about
// `config_json` without creating an instance. True: the plugin accepted it; false: the
// plugin has no validate_config (built before the ABI grew it); INVALID_ARGUMENT with
// the plugin's own text as the message: rejected.
absl::StatusOr<bool> ValidatePluginConfig(const std::string& plugin_dir, const std::string& plugin,
                                          const std::string& config_json);

// The directory plugins are loaded from when the config names none (plugin_dir: ""), the
// first that exists of:
//   1. <directory of the running binary>/plugins            the build tree (build/plugins)
//   2. <directory of the running binary>/../lib/stockd/plugins   the installed layout
//      (/usr/sbin/stockd -> /usr/lib/stockd/plugins; CMake's STOCKD_PLUGIN_INSTALL_DIR)
// and 1. when neither does (the load error then names it).
std::string DefaultPluginDir();

}  // namespace stockd::plugins

#endif  // STOCKD_DAEMON_PLUGINS_ADAPTER_H_
