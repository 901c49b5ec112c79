// RPC metrics: a gRPC server interceptor that counts every finished call once, under its
// service, method and final status code (stockd_rpc_requests_total), and observes its
// duration from arrival to the status being sent (stockd_rpc_duration_seconds, by service
// and method). Install it after DecodeErrorInterceptor: server interceptors see
// PRE_SEND_STATUS in installation order, so the status counted is the one the client gets.
// A call that ends without sending a status (the client went away) counts as CANCELLED.
//
// Label sets are bounded: the methods are the ones named at construction (the services
// the daemon registers); a call to any other name counts under service="other",
// method="other".
//
// Thread safety: the interceptors run on gRPC's threads; the per-call path is lock-free
// (a read-only method table, atomically published counters) except the first call of a
// (method, code) pair, which creates its counter under a mutex. RpcMetrics must outlive
// the server it is installed in.
#ifndef STOCKD_DAEMON_OBSERVE_RPC_METRICS_H_
#define STOCKD_DAEMON_OBSERVE_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace stockd::observe {

class RpcMetrics {
 public:
  // `methods`: full method names as gRPC routes them ("/stockd.v1.Stock/Reserve").
  RpcMetrics(prometheus::Registry& registry, const std::vector<std::string>& methods);
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // The interceptor factory for grpc::ServerBuilder (this must outlive the server).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Interceptor();

  // One method's series.
  struct Method {
    std::string service;
    std::string name;
    prometheus::Histogram* duration = nullptr;
    // Per grpc::StatusCode (0..16): created on the first call that ends with it.
    std::array<std::atomic<prometheus::Counter*>, 17> by_code{};
  };
  // The method's series; the "other" series for a name not given at construction.
  Method* Find(absl::string_view full_name);
  // A finished call: counted once under `code`, its duration observed.
  void Finish(Method* method, grpc::StatusCode code, double seconds);

 private:
  Method* Add(const std::string& service, const std::string& name);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  std::vector<std::unique_ptr<Method>> methods_;  // fixed after construction
  absl::flat_hash_map<std::string, Method*> by_name_;  // read-only after construction
  Method* other_ = nullptr;
  absl::Mutex create_mu_;  // creating a (method, code) counter
};

// The name of a status code as the metrics label it ("OK", "INVALID_ARGUMENT", ...).
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_RPC_METRICS_H_
