// Loading adapter plugins through the C ABI (daemon/plugins/adapter.h).
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "daemon/plugins/adapter.h"
#include "daemon/plugins/order_abi.h"
#include "stockd/adapter.h"

namespace stockd::plugins {
namespace {

// Fields of stockd_adapter_api a version-1 plugin must provide.
constexpr size_t kMinApiSize = offsetof(stockd_adapter_api, fetch);

struct HostContext {
  HostCallbacks callbacks;
  std::atomic<bool> interrupted{false};  // what stockd_host.cancelled reports
  stockd_host host{};
};

void HostLog(void* data, int level, const char* msg) {
  auto* ctx = static_cast<HostContext*>(data);
  if (ctx->callbacks.log) ctx->callbacks.log(level, msg != nullptr ? msg : "");
}
void HostCount(void* data, const char* name, double delta) {
  auto* ctx = static_cast<HostContext*>(data);
  if (ctx->callbacks.count && name != nullptr) ctx->callbacks.count(name, delta);
}
int64_t HostNow(void* data) {
  auto* ctx = static_cast<HostContext*>(data);
  return ctx->callbacks.now_ms ? ctx->callbacks.now_ms() : 0;
}
int HostCancelled(void* data) {
  return static_cast<HostContext*>(data)->interrupted.load(std::memory_order_relaxed) ? 1 : 0;
}

// Owns the dlopen handle, the host context and the instance; destroys in that order's
// reverse.
class PluginAdapter final : public Adapter {
 public:
  PluginAdapter(void* handle, const stockd_adapter_api* api, std::unique_ptr<HostContext> host)
      : handle_(handle), api_(api), host_(std::move(host)), name_(api->name ? api->name : "?") {}

  ~PluginAdapter() override {
    if (instance_ != nullptr) api_->destroy(instance_);
    dlclose(handle_);
  }

  absl::Status Create(const std::string& config_json) {
    char error[512] = {0};
    instance_ = api_->create(config_json.c_str(), &host_->host, error, sizeof error);
    if (instance_ == nullptr) {
      error[sizeof error - 1] = '\0';
      return absl::InvalidArgumentError(
          absl::StrCat("adapter '", name_,
                       "' rejected its config: ", error[0] != '\0' ? error : "(no reason given)"));
    }
    takes_alerts_ = STOCKD_API_HAS(api_, notify_alerts) &&
                    api_->notify_alerts(instance_, nullptr, error, sizeof error) == 0;
    return absl::OkStatus();
  }

  bool takes_alerts() const override { return takes_alerts_; }
  absl::Status NotifyAlerts(const std::string& alerts_json) override {
    if (!takes_alerts_) {
      return absl::UnimplementedError(absl::StrCat("adapter '", name_, "' takes no alerts"));
    }
    char error[512] = {0};
    if (api_->notify_alerts(instance_, alerts_json.c_str(), error, sizeof error) != 0) {
      error[sizeof error - 1] = '\0';
      return absl::UnavailableError(absl::StrCat("adapter '", name_, "' notify_alerts: ",
                                                 error[0] != '\0' ? error : "(no reason given)"));
    }
    return absl::OkStatus();
  }

  // The plugin sees it through stockd_host.cancelled (if it knows that field).
  void Interrupt() override { host_->interrupted.store(true, std::memory_order_relaxed); }

  const std::string& name() const override { return name_; }
  int max_batch() const override {
    return api_->max_batch > 0 ? static_cast<int>(api_->max_batch) : 1;
  }
  bool can_fetch() const override { return HasFetch() && api_->fetch != nullptr; }

  std::vector<PushResult> Push(const std::vector<PushItem>& items) override {
    std::vector<stockd_push_item> c_items(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      c_items[i] = {items[i].sku.c_str(), items[i].listing_id.c_str(), items[i].quantity,
                    items[i].previous};
    }
    std::vector<stockd_push_result> c_results(items.size());
    std::memset(c_results.data(), 0, c_results.size() * sizeof(stockd_push_result));
    const int rc = api_->push(instance_, c_items.data(), c_items.size(), c_results.data());
    std::vector<PushResult> out(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      if (rc != 0) {
        out[i] = {PushResult::Status::kRetry, 0, "adapter push failed as a whole"};
        continue;
      }
      const stockd_push_result& r = c_results[i];
      switch (r.status) {
        case STOCKD_PUSH_OK:
          out[i].status = PushResult::Status::kOk;
          break;
        case STOCKD_PUSH_PERMANENT:
          out[i].status = PushResult::Status::kPermanent;
          break;
        case STOCKD_PUSH_CONFLICT:
          out[i].status = PushResult::Status::kConflict;
          break;
        default:
          out[i].status = PushResult::Status::kRetry;
      }
      out[i].retry_after_ms = r.retry_after_ms > 0 ? r.retry_after_ms : 0;
      out[i].message.assign(r.message, strnlen(r.message, STOCKD_MESSAGE_MAX));
    }
    return out;
  }

  absl::StatusOr<std::vector<int64_t>> Fetch(const std::vector<std::string>& listing_ids) override {
    if (!can_fetch())
      return absl::UnimplementedError(absl::StrCat("adapter '", name_, "' cannot fetch"));
    std::vector<const char*> ids(listing_ids.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = listing_ids[i].c_str();
    std::vector<int64_t> quantities(listing_ids.size(), -1);
    char error[512] = {0};
    if (api_->fetch(instance_, ids.data(), ids.size(), quantities.data(), error, sizeof error) !=
        0) {
      error[sizeof error - 1] = '\0';
      return absl::UnavailableError(absl::StrCat("adapter '", name_, "' fetch: ", error));
    }
    return quantities;
  }

  bool can_poll_orders() const override {
    return STOCKD_API_HAS(api_, poll_order_revisions) || HasOriginalPoll();
  }

  // The lifecycle entry point when the plugin has it, else the original one.
  absl::StatusOr<std::string> PollOrders(const std::string& cursor,
                                         const OrderSink& sink) override {
    if (!can_poll_orders()) {
      return absl::UnimplementedError(absl::StrCat("adapter '", name_, "' cannot poll orders"));
    }
    char next[1024] = {0};
    char error[512] = {0};
    int rc;
    if (STOCKD_API_HAS(api_, poll_order_revisions)) {
      rc = api_->poll_order_revisions(
          instance_, cursor.c_str(), &Deliver<stockd_order_revision, DecodeOrderRevision>,
          const_cast<OrderSink*>(&sink), next, sizeof next, error, sizeof error);
    } else {
      rc = api_->poll_orders(instance_, cursor.c_str(), &Deliver<stockd_order, DecodeOriginalOrder>,
                             const_cast<OrderSink*>(&sink), next, sizeof next, error, sizeof error);
    }
    if (rc != 0) {
      error[sizeof error - 1] = '\0';
      return absl::UnavailableError(absl::StrCat(
          "adapter '", name_, "' poll_orders: ", error[0] != '\0' ? error : "(no reason given)"));
    }
    next[sizeof next - 1] = '\0';
    return std::string(next);
  }

 private:
  // The sink a plugin calls with each order: decoded (or the decoding error) and handed to
  // the OrderSink in `data`. Returns non-zero to stop the poll. Nothing may unwind
  // through the plugin's C frames, so an exception stops the poll instead.
  template <typename COrder, absl::StatusOr<Order> (*Decode)(const COrder&)>
  static int Deliver(void* data, const COrder* order) {
    if (order == nullptr) return 0;
    try {
      return (*static_cast<const OrderSink*>(data))(Decode(*order)) ? 0 : 1;
    } catch (...) {
      return 1;
    }
  }

  bool HasOriginalPoll() const {
    return api_->struct_size >=
               offsetof(stockd_adapter_api, poll_orders) + sizeof(api_->poll_orders) &&
           api_->poll_orders != nullptr;
  }

  bool HasFetch() const {
    return api_->struct_size >= offsetof(stockd_adapter_api, fetch) + sizeof(api_->fetch);
  }

  void* handle_;
  const stockd_adapter_api* api_;
  std::unique_ptr<HostContext> host_;
  std::string name_;
  void* instance_ = nullptr;
  bool takes_alerts_ = false;  // the instance said so at creation (notify_alerts(NULL))
};

}  // namespace

std::string DefaultPluginDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "plugins";
  std::string exe(buf, static_cast<size_t>(n));
  size_t slash = exe.rfind('/');
  const std::string bin_dir = slash == std::string::npos ? std::string(".") : exe.substr(0, slash);
  // 1. plugins/ next to the binary: the build tree (build/stockd, build/plugins/).
  const std::string beside = bin_dir + "/plugins";
  // 2. The installed layout: <prefix>/sbin/stockd -> <prefix>/lib/stockd/plugins
  //    (CMake passes the path from the binary's directory to the plugins' one).
  const std::string installed = bin_dir + "/" + STOCKD_PLUGIN_DIR_FROM_BINARY;
  struct stat st {};
  if (::stat(beside.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return beside;
  if (::stat(installed.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return installed;
  return beside;  // neither exists: the load error names the build tree's folder
}

namespace {

// A plugin's shared object, opened and checked: its ABI version and required entries.
struct OpenedPlugin {
  void* handle;
  const stockd_adapter_api* api;
};

absl::StatusOr<OpenedPlugin> OpenPlugin(const std::string& plugin_dir, const std::string& plugin) {
  const std::string path = absl::StrCat(plugin_dir, "/libstockd_adapter_", plugin, ".so");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("adapter plugin '", plugin, "': ", path, ": ", std::strerror(errno)));
  }
  // RTLD_NODELETE: a plugin's code, and the libraries it pulls in (libcurl -> GnuTLS,
  // Kerberos, LDAP), stay mapped until exit even after its last adapter is gone. An
  // unloaded library leaves its thread-local block in every thread's DTV; the sanitizer
  // build's LeakSanitizer walked such a stale entry and crashed at exit (2026-12-05), and
  // nothing stockd does needs a plugin's memory back: a reload that drops an adapter
  // and adds it again gets the same mapping.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("adapter plugin '", plugin, "': cannot load ", path, ": ", dlerror()));
  }
  auto entry =
      reinterpret_cast<stockd_adapter_entry_fn>(dlsym(handle, STOCKD_ADAPTER_ENTRY_SYMBOL));
  if (entry == nullptr) {
    dlclose(handle);
    return absl::FailedPreconditionError(absl::StrCat("adapter plugin '", plugin, "': ", path,
                                                      " exports no ", STOCKD_ADAPTER_ENTRY_SYMBOL,
                                                      " (not a stockd adapter)"));
  }
  const stockd_adapter_api* api = entry(STOCKD_ADAPTER_ABI_VERSION);
  if (api == nullptr) {
    dlclose(handle);
    return absl::FailedPreconditionError(
        absl::StrCat("adapter plugin '", plugin, "': its entry returned no API table"));
  }
  if (api->abi_version != STOCKD_ADAPTER_ABI_VERSION) {
    const uint32_t theirs = api->abi_version;
    dlclose(handle);
    return absl::FailedPreconditionError(absl::StrCat(
        "adapter plugin '", plugin, "' (", path, ") was built for adapter ABI version ", theirs,
        "; this stockd speaks ABI version ", STOCKD_ADAPTER_ABI_VERSION, ": rebuild the plugin"));
  }
  if (api->struct_size < kMinApiSize || api->create == nullptr || api->destroy == nullptr ||
      api->push == nullptr) {
    dlclose(handle);
    return absl::FailedPreconditionError(
        absl::StrCat("adapter plugin '", plugin, "': API table lacks create, destroy or push"));
  }
  return OpenedPlugin{handle, api};
}

}  // namespace

absl::StatusOr<bool> ValidatePluginConfig(const std::string& plugin_dir, const std::string& plugin,
                                          const std::string& config_json) {
  absl::StatusOr<OpenedPlugin> opened = OpenPlugin(plugin_dir, plugin);
  if (!opened.ok()) return opened.status();
  const stockd_adapter_api* api = opened->api;
  if (!STOCKD_API_HAS(api, validate_config)) {
    dlclose(opened->handle);
    return false;  // a plugin built before validate_config: nothing to ask
  }
  char error[512] = {0};
  const int rc = api->validate_config(config_json.c_str(), error, sizeof error);
  error[sizeof error - 1] = '\0';
  const std::string reason = error[0] != '\0' ? error : "(no reason given)";
  dlclose(opened->handle);
  if (rc != 0) return absl::InvalidArgumentError(reason);
  return true;
}

absl::StatusOr<std::unique_ptr<Adapter>> LoadPlugin(const std::string& plugin_dir,
                                                    const std::string& plugin,
                                                    const std::string& config_json,
                                                    HostCallbacks host) {
  absl::StatusOr<OpenedPlugin> opened = OpenPlugin(plugin_dir, plugin);
  if (!opened.ok()) return opened.status();
  void* handle = opened->handle;
  const stockd_adapter_api* api = opened->api;
  auto ctx = std::make_unique<HostContext>();
  ctx->callbacks = std::move(host);
  ctx->host.struct_size = sizeof(stockd_host);
  ctx->host.host_data = ctx.get();
  ctx->host.log = &HostLog;
  ctx->host.count = &HostCount;
  ctx->host.now_ms = &HostNow;
  ctx->host.cancelled = &HostCancelled;
  auto adapter = std::make_unique<PluginAdapter>(handle, api, std::move(ctx));
  if (absl::Status s = adapter->Create(config_json); !s.ok()) return s;
  return adapter;
}

}  // namespace stockd::plugins
