#include "daemon/observe/rpc_metrics.h"

#include <chrono>

namespace stockd::observe {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Seconds: from 0.5 ms (an in-memory read) to 10 s (a write waiting out a Redis timeout).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

class CallMetrics final : public grpc::experimental::Interceptor {
 public:
  CallMetrics(RpcMetrics* metrics, RpcMetrics::Method* method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {}
  // gRPC destroys the interceptors when the call is done: one that never sent a status
  // (the client cancelled, or the server shut down under it) counts now.
  ~CallMetrics() override {
    if (!counted_) Count(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!counted_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Count(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Count(grpc::StatusCode code) {
    counted_ = true;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
    metrics_->Finish(method_, code, took.count());
  }

  RpcMetrics* const metrics_;
  RpcMetrics::Method* const method_;
  const std::chrono::steady_clock::time_point start_;
  bool counted_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    return new CallMetrics(metrics_, metrics_->Find(method == nullptr ? "" : method));
  }

 private:
  RpcMetrics* const metrics_;
};

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {
      "OK",          "CANCELLED",         "UNKNOWN",         "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",   "ALREADY_EXISTS",  "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",     "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry, const std::vector<std::string>& methods)
    : requests_(prometheus::BuildCounter()
                    .Name("stockd_rpc_requests_total")
                    .Help("gRPC calls finished, by service, method and status code")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("stockd_rpc_duration_seconds")
                     .Help("gRPC call duration, arrival to status sent, by service and method")
                     .Register(registry)) {
  for (const std::string& full : methods) {
    // "/package.Service/Method"
    const size_t slash = full.rfind('/');
    if (full.empty() || full[0] != '/' || slash == 0 || slash == std::string::npos) continue;
    if (by_name_.contains(full)) continue;
    by_name_[full] = Add(full.substr(1, slash - 1), full.substr(slash + 1));
  }
  other_ = Add("other", "other");
}

RpcMetrics::Method* RpcMetrics::Add(const std::string& service, const std::string& name) {
  auto m = std::make_unique<Method>();
  m->service = service;
  m->name = name;
  m->duration = &durations_.Add({{"service", service}, {"method", name}}, DurationBuckets());
  methods_.push_back(std::move(m));
  return methods_.back().get();
}

RpcMetrics::Method* RpcMetrics::Find(absl::string_view full_name) {
  auto it = by_name_.find(full_name);
  return it == by_name_.end() ? other_ : it->second;
}

void RpcMetrics::Finish(Method* method, grpc::StatusCode code, double seconds) {
  int i = static_cast<int>(code);
  if (i < 0 || i >= 17) i = static_cast<int>(grpc::StatusCode::UNKNOWN);
  prometheus::Counter* counter = method->by_code[i].load(std::memory_order_acquire);
  if (counter == nullptr) {
    absl::MutexLock lock(&create_mu_);
    counter = method->by_code[i].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &requests_.Add({{"service", method->service},
                                {"method", method->name},
                                {"code", StatusCodeName(static_cast<grpc::StatusCode>(i))}});
      method->by_code[i].store(counter, std::memory_order_release);
    }
  }
  counter->Increment();
  method->duration->Observe(seconds);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcMetrics::Interceptor() {
  return std::make_unique<Factory>(this);
}

}  // namespace stockd::observe
