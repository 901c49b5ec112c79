// stockd adapter SDK: write an adapter plugin as one C++ class.
//
// Header-only, C++17, over the C ABI of stockd/adapter.h. A plugin author derives a class
// from stockd::sdk::Adapter, gives it a constructor `(const stockd::sdk::Json& config,
// stockd::sdk::Host host)`, overrides Push (and Fetch / PollOrders where the channel can),
// and names it once with STOCKD_ADAPTER in one .cc file of the shared object:
//
//   class MyAdapter final : public stockd::sdk::Adapter {
//    public:
//     MyAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);
//     std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>&) override;
//   };
//   STOCKD_ADAPTER(MyAdapter, "my", /*max_batch=*/100, /*has_fetch=*/false,
//                  /*has_poll=*/false)
//
// A class may also declare `static void ValidateConfig(const stockd::sdk::Json& config)`:
// the config checks of its constructor without their side effects (throw to reject).
// The ABI's validate_config then calls it (stockd --check-config); without it the table
// leaves validate_config NULL. Call it from the constructor, so both check the same.
//
// The macro emits the one exported symbol, `stockd_adapter_entry`, and the C trampolines.
// No exception crosses the C boundary: a constructor that throws makes create() return
// NULL with the exception's message as the reason (throw stockd::sdk::Error for config
// errors); a Push that throws marks every item RETRY with the message; a Fetch or
// PollOrders that throws returns non-zero with the message.
//
// Threading (the ABI's contract): the daemon calls an instance from one thread at a time,
// so an Adapter needs no locking of its own unless it starts threads. Host is a small
// value wrapper; its callbacks may be called from any thread.
//
// Dependencies: the C header stockd/adapter.h and nlohmann/json (Debian:
// nlohmann-json3-dev), which parses the config.
#ifndef STOCKD_ADAPTER_SDK_H_
#define STOCKD_ADAPTER_SDK_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "stockd/adapter.h"
#include "stockd/secret_names.h"

#if defined(__GNUC__) || defined(__clang__)
#define STOCKD_ADAPTER_EXPORT __attribute__((visibility("default")))
#else
#define STOCKD_ADAPTER_EXPORT
#endif

namespace stockd::sdk {

using Json = nlohmann::json;

// An error whose message is meant for the operator: a rejected config, a failed fetch.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class LogLevel : int {
  kDebug = STOCKD_LOG_DEBUG,
  kInfo = STOCKD_LOG_INFO,
  kWarn = STOCKD_LOG_WARN,
  kError = STOCKD_LOG_ERROR,
};

// The daemon's callbacks. Cheap to copy; valid for the life of the instance it was given
// to. Every call is safe when the daemon left a callback out (older or smaller host).
class Host {
 public:
  explicit Host(const stockd_host* host) noexcept : host_(host) {}

  void Log(LogLevel level, const std::string& message) const noexcept {
    if (Has(offsetof(stockd_host, log), sizeof host_->log) && host_->log != nullptr) {
      host_->log(host_->host_data, static_cast<int>(level), message.c_str());
    }
  }

  // Adds `delta` to the daemon's counter `name` ([a-z0-9_]; the daemon prefixes it).
  void Count(const char* name, double delta = 1) const noexcept {
    if (Has(offsetof(stockd_host, count), sizeof host_->count) && host_->count != nullptr) {
      host_->count(host_->host_data, name, delta);
    }
  }

  // Unix epoch milliseconds from the daemon's clock (the system clock if it has none).
  int64_t NowMs() const noexcept {
    if (Has(offsetof(stockd_host, now_ms), sizeof host_->now_ms) && host_->now_ms != nullptr) {
      return host_->now_ms(host_->host_data);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // True once the daemon asks the call in progress to give up (it is stopping). False
  // when the daemon predates the callback. Cheap: poll it from long waits (e.g. an HTTP
  // client's progress callback) and return promptly once it is true.
  bool Cancelled() const noexcept {
    if (Has(offsetof(stockd_host, cancelled), sizeof host_->cancelled) &&
        host_->cancelled != nullptr) {
      return host_->cancelled(host_->host_data) != 0;
    }
    return false;
  }

 private:
  bool Has(size_t offset, size_t size) const noexcept {
    return host_ != nullptr && host_->struct_size >= offset + size;
  }

  const stockd_host* host_;
};

// One quantity to publish. The views are valid during Push only: copy what you keep.
struct Item {
  std::string_view sku;
  std::string_view listing_id;  // the channel's id (mapping file; default: the SKU)
  int64_t quantity = 0;         // what the channel must show
  int64_t previous = -1;        // what the channel last acknowledged; -1 if never
};

// The outcome of one item of a Push.
struct PushResult {
  enum class Status : int32_t {
    kOk = STOCKD_PUSH_OK,                // the channel has the quantity
    kRetry = STOCKD_PUSH_RETRY,          // transient: the daemon retries
    kPermanent = STOCKD_PUSH_PERMANENT,  // rejected: not retried until the quantity changes
    kConflict = STOCKD_PUSH_CONFLICT,    // compare-and-set refused: the channel moved
  };

  Status status = Status::kOk;
  int32_t retry_after_ms = 0;  // kRetry: the channel's Retry-After; 0 = the daemon's backoff
  std::string message;         // why (cut to STOCKD_MESSAGE_MAX - 1 bytes); empty when OK

  static PushResult Ok() { return {}; }
  static PushResult Retry(std::string message, int32_t retry_after_ms = 0) {
    return {Status::kRetry, retry_after_ms, std::move(message)};
  }
  static PushResult Permanent(std::string message) {
    return {Status::kPermanent, 0, std::move(message)};
  }
  static PushResult Conflict(std::string message) {
    return {Status::kConflict, 0, std::move(message)};
  }
};

// An order seen on the channel (PollOrders): its current revision (docs/orders.md).
struct OrderLine {
  std::string listing_id;
  int64_t quantity = 0;            // ordered
  int64_t quantity_shipped = 0;    // shipped so far
  int64_t quantity_cancelled = 0;  // cancelled so far
  std::string location;            // where the channel ships it from; "" = not said
};
struct Order {
  std::string order_id;  // unique on the channel
  // "pending" (not paid), "accepted" (paid), "shipped", "cancelled"; "placed" (the
  // original ABI's word) is "accepted".
  std::string status;
  std::vector<OrderLine> lines;
  // Grows with every change of the order (updated-at in ms, or a counter); 0 = the SDK
  // numbers it as the original ABI did: 1, or 2 when cancelled. (Last, so that
  // {id, status, lines} written for the original ABI still compiles.)
  int64_t revision = 0;
};
// Hands one order to the daemon; returns false when the daemon wants no more this round.
using OrderSink = std::function<bool(const Order&)>;

// The base class of every adapter. The constructor takes the parsed config object and
// the host; it throws (preferably Error) to reject the config.
class Adapter {
 public:
  Adapter() = default;
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;
  virtual ~Adapter() = default;

  // Publishes 1..max_batch items; returns one result per item, in order. Must return in
  // bounded time: put timeouts on every remote call.
  virtual std::vector<PushResult> Push(const std::vector<Item>& items) = 0;

  // The channel's own quantity per listing id, in order; -1 where it has no such listing.
  // Only called when STOCKD_ADAPTER says has_fetch. Throw to fail the whole call.
  virtual std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) {
    (void)listing_ids;
    throw Error("this adapter cannot fetch quantities");
  }

  // Hands every order that changed after `cursor` ("" = from the start of the channel's
  // change log, as far back as it keeps it) to `sink`, oldest change first, and returns
  // the new cursor. Only called when STOCKD_ADAPTER says has_poll.
  virtual std::string PollOrders(std::string_view cursor, const OrderSink& sink) {
    (void)cursor;
    (void)sink;
    throw Error("this adapter cannot poll orders");
  }

  // Whether this instance takes stock alerts (its config says where to send them).
  virtual bool TakesAlerts() const { return false; }
  // Delivers `alerts` (a JSON array of stockd.v1.Alert objects, adapter.h notify_alerts);
  // throw to have the daemon send them again later. Only called when TakesAlerts().
  virtual void NotifyAlerts(const Json& alerts) {
    (void)alerts;
    throw Error("this adapter takes no alerts");
  }
};

// ---------------------------------------------------------------- config helpers
// Typed reads of the config object with errors that name the key. A missing key or a
// null value takes the default.

namespace internal {
inline std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}
inline const Json* Find(const Json& config, const char* key) {
  if (!config.is_object()) return nullptr;
  auto it = config.find(key);
  return it == config.end() || it->is_null() ? nullptr : &*it;
}
}  // namespace internal

inline std::string GetString(const Json& config, const char* key, std::string default_value) {
  const Json* value = internal::Find(config, key);
  if (value == nullptr) return default_value;
  if (!value->is_string()) {
    throw Error(std::string("config: \"") + key + "\" must be a string, got " +
                internal::Shown(*value));
  }
  return value->get<std::string>();
}

inline std::string RequireString(const Json& config, const char* key) {
  if (internal::Find(config, key) == nullptr) {
    throw Error(std::string("config: \"") + key + "\" is required (a string)");
  }
  std::string value = GetString(config, key, "");
  if (value.empty()) throw Error(std::string("config: \"") + key + "\" must not be empty");
  return value;
}

inline bool GetBool(const Json& config, const char* key, bool default_value) {
  const Json* value = internal::Find(config, key);
  if (value == nullptr) return default_value;
  if (!value->is_boolean()) {
    throw Error(std::string("config: \"") + key + "\" must be true or false, got " +
                internal::Shown(*value));
  }
  return value->get<bool>();
}

inline int64_t GetInt(const Json& config, const char* key, int64_t default_value, int64_t min,
                      int64_t max) {
  const Json* value = internal::Find(config, key);
  if (value == nullptr) return default_value;
  const auto out_of_range = [&] {
    return Error(std::string("config: \"") + key + "\" must be an integer in [" +
                 std::to_string(min) + ", " + std::to_string(max) + "], got " +
                 internal::Shown(*value));
  };
  if (value->is_number_unsigned()) {
    const uint64_t n = value->get<uint64_t>();
    if (n > static_cast<uint64_t>(max) || static_cast<int64_t>(n) < min) throw out_of_range();
    return static_cast<int64_t>(n);
  }
  if (!value->is_number_integer()) throw out_of_range();
  const int64_t n = value->get<int64_t>();
  if (n < min || n > max) throw out_of_range();
  return n;
}

// Rejects a key the adapter does not know (a typo must not silently take a default).
// "channel" is always allowed: the daemon adds the channel's id under that key.
inline void RejectUnknownKeys(const Json& config, std::initializer_list<const char*> known) {
  if (!config.is_object()) throw Error("config must be a JSON object");
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (it.key() == "channel") continue;
    bool found = false;
    for (const char* k : known) found = found || it.key() == k;
    if (found) continue;
    std::string list;
    for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw Error("config: unknown key \"" + it.key() + "\" (this adapter takes: " + list + ")");
  }
}

// ---------------------------------------------------------------- message helpers

// Whether a URL query parameter's name looks like it carries a secret (case-insensitive):
// it ends in token, key, secret, password, passwd, pwd, signature or sig, or contains
// "secret", "password" or "token" (access_token, api_key, X-Api-Key, clientSecret, ...).
inline bool LooksSecret(std::string_view name) { return LooksSecretName(name); }

// `url` as it may appear in a message or log: its userinfo replaced by "***"
// ("https://user:pw@host/x" -> "https://***@host/x") and the value of every query
// parameter whose name LooksSecret too ("?token=abc&a=1" -> "?token=***&a=1"). Use it
// wherever an adapter echoes a configured URL: the daemon redacts again, but only as a
// safety net.
inline std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t host = scheme + 3;
    const size_t authority_end = std::min(out.find_first_of("/?#", host), out.size());
    const size_t at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at != std::string::npos && at >= host && at < authority_end) {
      out.replace(host, at - host, "***");
    }
  }
  const size_t query = out.find('?');
  if (query == std::string::npos) return out;
  const size_t fragment = std::min(out.find('#', query), out.size());
  std::string rebuilt;
  size_t start = query + 1;
  while (start <= fragment) {
    const size_t end = std::min(out.find('&', start), fragment);
    std::string part = out.substr(start, end - start);
    const size_t eq = part.find('=');
    if (eq != std::string::npos && eq + 1 < part.size() && LooksSecret(part.substr(0, eq))) {
      part = part.substr(0, eq + 1) + "***";
    }
    rebuilt += (start == query + 1 ? "" : "&") + part;
    start = end + 1;
  }
  return out.substr(0, query + 1) + rebuilt + out.substr(fragment);
}

}  // namespace stockd::sdk

// The C trampolines behind the API table, MakeApi and the STOCKD_ADAPTER macro.
#include "stockd/adapter_sdk_abi.h"  // IWYU pragma: export

#endif  // STOCKD_ADAPTER_SDK_H_
