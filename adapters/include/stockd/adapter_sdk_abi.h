// The SDK's side of the C ABI: the trampolines that turn a stockd::sdk::Adapter class into
// a stockd_adapter_api table (exceptions become error returns, C structs become C++
// values and back), MakeApi, and the STOCKD_ADAPTER macro a plugin declares itself with.
// Included by stockd/adapter_sdk.h at its end; include that header, not this one.
//
// Thread safety: as stockd/adapter_sdk.h (the trampolines keep no state of their own).
#ifndef STOCKD_ADAPTER_SDK_ABI_H_
#define STOCKD_ADAPTER_SDK_ABI_H_

#include "stockd/adapter_sdk.h"

namespace stockd::sdk {

// ---------------------------------------------------------------- C trampolines
namespace internal {

// Copies `text` into a C buffer of `capacity` bytes, NUL-terminated, without splitting a
// UTF-8 sequence. Returns false when it had to cut.
inline bool CopyOut(std::string_view text, char* out, size_t capacity) noexcept {
  if (out == nullptr || capacity == 0) return text.empty();
  size_t n = text.size();
  const bool fits = n < capacity;
  if (!fits) {
    n = capacity - 1;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
  return fits;
}

inline std::string_view View(const char* s) noexcept {
  return s == nullptr ? std::string_view() : std::string_view(s);
}

// The message of the exception being handled (call inside a catch block only).
inline std::string CurrentExceptionMessage() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

template <typename T>
struct Trampolines {
  static void* Create(const char* config_json, const stockd_host* host, char* error,
                      size_t error_len) noexcept {
    try {
      Json config = Json::parse(View(config_json).empty() ? "{}" : config_json);
      if (!config.is_object()) throw Error("config must be a JSON object");
      Adapter* adapter = new T(static_cast<const Json&>(config), Host(host));
      return static_cast<void*>(adapter);
    } catch (const Json::parse_error& e) {
      CopyOut(std::string("config is not valid JSON: ") + e.what(), error, error_len);
    } catch (...) {
      CopyOut(CurrentExceptionMessage(), error, error_len);
    }
    return nullptr;
  }

  static int Validate(const char* config_json, char* error, size_t error_size) noexcept {
    try {
      Json config = Json::parse(View(config_json).empty() ? "{}" : config_json);
      if (!config.is_object()) throw Error("config must be a JSON object");
      T::ValidateConfig(static_cast<const Json&>(config));
      CopyOut("", error, error_size);
      return 0;
    } catch (const Json::parse_error& e) {
      CopyOut(std::string("config is not valid JSON: ") + e.what(), error, error_size);
    } catch (...) {
      CopyOut(CurrentExceptionMessage(), error, error_size);
    }
    return 1;
  }

  static void Destroy(void* instance) noexcept {
    try {
      delete static_cast<Adapter*>(instance);
    } catch (...) {
    }
  }

  static void Fill(const PushResult& from, stockd_push_result* to) noexcept {
    switch (from.status) {
      case PushResult::Status::kOk:
      case PushResult::Status::kRetry:
      case PushResult::Status::kPermanent:
      case PushResult::Status::kConflict:
        to->status = static_cast<int32_t>(from.status);
        break;
      default:
        to->status = STOCKD_PUSH_RETRY;
    }
    to->retry_after_ms =
        to->status == STOCKD_PUSH_RETRY && from.retry_after_ms > 0 ? from.retry_after_ms : 0;
    CopyOut(from.message, to->message, sizeof to->message);
  }

  static void FillAll(stockd_push_result* results, size_t count, const char* message) noexcept {
    for (size_t i = 0; i < count; ++i) {
      results[i].status = STOCKD_PUSH_RETRY;
      results[i].retry_after_ms = 0;
      CopyOut(message, results[i].message, sizeof results[i].message);
    }
  }

  static int Push(void* instance, const stockd_push_item* items, size_t count,
                  stockd_push_result* results) noexcept {
    if (instance == nullptr || (count > 0 && (items == nullptr || results == nullptr))) return 1;
    try {
      std::vector<Item> batch(count);
      for (size_t i = 0; i < count; ++i) {
        batch[i] = {View(items[i].sku), View(items[i].listing_id), items[i].quantity,
                    items[i].previous};
      }
      const std::vector<PushResult> out = static_cast<Adapter*>(instance)->Push(batch);
      if (out.size() != count) {
        const std::string message = "adapter bug: " + std::to_string(out.size()) + " results for " +
                                    std::to_string(count) + " items";
        FillAll(results, count, message.c_str());
        return 0;
      }
      for (size_t i = 0; i < count; ++i) Fill(out[i], &results[i]);
    } catch (...) {
      FillAll(results, count, CurrentExceptionMessage().c_str());
    }
    return 0;
  }

  static int Fetch(void* instance, const char* const* listing_ids, size_t count,
                   int64_t* quantities, char* error, size_t error_len) noexcept {
    if (instance == nullptr || (count > 0 && (listing_ids == nullptr || quantities == nullptr))) {
      CopyOut("invalid arguments", error, error_len);
      return 1;
    }
    try {
      std::vector<std::string_view> ids(count);
      for (size_t i = 0; i < count; ++i) ids[i] = View(listing_ids[i]);
      const std::vector<int64_t> out = static_cast<Adapter*>(instance)->Fetch(ids);
      if (out.size() != count) {
        throw Error("adapter bug: " + std::to_string(out.size()) + " quantities for " +
                    std::to_string(count) + " listings");
      }
      for (size_t i = 0; i < count; ++i) quantities[i] = out[i] < 0 ? -1 : out[i];
      return 0;
    } catch (...) {
      CopyOut(CurrentExceptionMessage(), error, error_len);
      return 1;
    }
  }

  // The original ABI's poll_orders (for a daemon built before poll_order_revisions):
  // every status but "cancelled" reads as "placed".
  static int PollOrders(void* instance, const char* cursor, stockd_order_sink sink, void* sink_data,
                        char* next_cursor, size_t next_cursor_len, char* error,
                        size_t error_len) noexcept {
    if (sink == nullptr) {
      CopyOut("invalid arguments", error, error_len);
      return 1;
    }
    const OrderSink to_daemon = [sink, sink_data](const Order& order) {
      (void)OrderStatusCode(order);  // throws on a status the ABI does not know
      std::vector<stockd_order_line> lines(order.lines.size());
      for (size_t i = 0; i < lines.size(); ++i) {
        lines[i] = {order.lines[i].listing_id.c_str(), order.lines[i].quantity};
      }
      const stockd_order c_order{order.order_id.c_str(),
                                 order.status == "cancelled" ? "cancelled" : "placed", lines.data(),
                                 lines.size()};
      return sink(sink_data, &c_order) == 0;
    };
    return Poll(instance, cursor, to_daemon, next_cursor, next_cursor_len, error, error_len);
  }

  static int PollOrderRevisions(void* instance, const char* cursor, stockd_order_revision_sink sink,
                                void* sink_data, char* next_cursor, size_t next_cursor_len,
                                char* error, size_t error_len) noexcept {
    if (sink == nullptr) {
      CopyOut("invalid arguments", error, error_len);
      return 1;
    }
    const OrderSink to_daemon = [sink, sink_data](const Order& order) {
      const int32_t status = OrderStatusCode(order);
      std::vector<stockd_order_revision_line> lines(order.lines.size());
      for (size_t i = 0; i < lines.size(); ++i) {
        const OrderLine& l = order.lines[i];
        lines[i] = {static_cast<uint32_t>(sizeof(stockd_order_revision_line)),
                    l.listing_id.c_str(),
                    l.quantity,
                    l.quantity_shipped,
                    l.quantity_cancelled,
                    l.location.c_str()};
      }
      const int64_t revision =
          order.revision > 0 ? order.revision : (status == STOCKD_ORDER_CANCELLED ? 2 : 1);
      const stockd_order_revision c_order{
          static_cast<uint32_t>(sizeof(stockd_order_revision)),
          order.order_id.c_str(),
          revision,
          status,
          lines.data(),
          lines.size(),
          static_cast<uint32_t>(sizeof(stockd_order_revision_line))};
      return sink(sink_data, &c_order) == 0;
    };
    return Poll(instance, cursor, to_daemon, next_cursor, next_cursor_len, error, error_len);
  }

  static int NotifyAlerts(void* instance, const char* alerts_json, char* error,
                          size_t error_len) noexcept {
    if (instance == nullptr) {
      CopyOut("invalid arguments", error, error_len);
      return 1;
    }
    try {
      Adapter* adapter = static_cast<Adapter*>(instance);
      if (alerts_json == nullptr) return adapter->TakesAlerts() ? 0 : 1;
      if (!adapter->TakesAlerts()) throw Error("this adapter takes no alerts");
      const Json alerts = Json::parse(alerts_json);
      if (!alerts.is_array()) throw Error("alerts must be a JSON array");
      adapter->NotifyAlerts(alerts);
      return 0;
    } catch (...) {
      CopyOut(CurrentExceptionMessage(), error, error_len);
      return 1;
    }
  }

 private:
  static int32_t OrderStatusCode(const Order& order) {
    if (order.status == "pending") return STOCKD_ORDER_PENDING;
    if (order.status == "accepted" || order.status == "placed") return STOCKD_ORDER_ACCEPTED;
    if (order.status == "shipped") return STOCKD_ORDER_SHIPPED;
    if (order.status == "cancelled") return STOCKD_ORDER_CANCELLED;
    throw Error("adapter bug: order '" + order.order_id + "' has status '" + order.status +
                "' (pending, accepted, placed, shipped or cancelled)");
  }

  static int Poll(void* instance, const char* cursor, const OrderSink& to_daemon, char* next_cursor,
                  size_t next_cursor_len, char* error, size_t error_len) noexcept {
    if (instance == nullptr) {
      CopyOut("invalid arguments", error, error_len);
      return 1;
    }
    try {
      const std::string next = static_cast<Adapter*>(instance)->PollOrders(View(cursor), to_daemon);
      if (!CopyOut(next, next_cursor, next_cursor_len)) {
        throw Error("the new cursor (" + std::to_string(next.size()) +
                    " bytes) does not fit the daemon's buffer");
      }
      return 0;
    } catch (...) {
      CopyOut(CurrentExceptionMessage(), error, error_len);
      return 1;
    }
  }
};

// Whether adapter class T declares `static void ValidateConfig(const Json&)`.
template <typename T, typename = void>
struct HasValidateConfig : std::false_type {};
template <typename T>
struct HasValidateConfig<T, std::void_t<decltype(T::ValidateConfig(std::declval<const Json&>()))>>
    : std::true_type {};

template <typename T>
constexpr auto ValidateFor() -> int (*)(const char*, char*, size_t) {
  if constexpr (HasValidateConfig<T>::value) {
    return &Trampolines<T>::Validate;
  } else {
    return nullptr;
  }
}

// The API table for adapter class T (STOCKD_ADAPTER uses this; tests may too).
template <typename T>
constexpr stockd_adapter_api MakeApi(const char* name, uint32_t max_batch, bool has_fetch,
                                     bool has_poll) {
  static_assert(std::is_base_of_v<Adapter, T>, "an adapter derives from stockd::sdk::Adapter");
  static_assert(std::is_constructible_v<T, const Json&, Host>,
                "an adapter is constructible from (const stockd::sdk::Json&, stockd::sdk::Host)");
  return stockd_adapter_api{
      STOCKD_ADAPTER_ABI_VERSION,
      static_cast<uint32_t>(sizeof(stockd_adapter_api)),
      name,
      max_batch,
      &Trampolines<T>::Create,
      &Trampolines<T>::Destroy,
      &Trampolines<T>::Push,
      has_fetch ? &Trampolines<T>::Fetch : nullptr,
      has_poll ? &Trampolines<T>::PollOrders : nullptr,
      ValidateFor<T>(),
      has_poll ? &Trampolines<T>::PollOrderRevisions : nullptr,
      &Trampolines<T>::NotifyAlerts,
  };
}

}  // namespace internal
}  // namespace stockd::sdk

// Declares the plugin's adapter: its class, its name (the `plugin:` of the config, which
// is also the file name libstockd_adapter_<name>.so), the largest batch it takes, and
// whether it implements Fetch and PollOrders. Use exactly once per shared object, at
// namespace scope.
#define STOCKD_ADAPTER(ClassName, name, max_batch, has_fetch, has_poll)                          \
  static_assert((max_batch) >= 1, "max_batch must be at least 1");                               \
  extern "C" STOCKD_ADAPTER_EXPORT const stockd_adapter_api* stockd_adapter_entry(               \
      uint32_t host_abi_version) {                                                               \
    (void)host_abi_version;                                                                      \
    static constexpr stockd_adapter_api kStockdAdapterApi =                                      \
        ::stockd::sdk::internal::MakeApi<ClassName>(name, (max_batch), (has_fetch), (has_poll)); \
    return &kStockdAdapterApi;                                                                   \
  }                                                                                              \
  static_assert(true, "")

#endif  // STOCKD_ADAPTER_SDK_ABI_H_
