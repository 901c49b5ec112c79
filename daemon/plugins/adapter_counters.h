// The counters adapter plugins report through stockd_host.count (requests, throttled,
// unmapped, auth_failures, ...), per channel, for the metrics endpoint
// (stockd_adapter_<name>_total{channel}; docs/metrics.md). The component that creates a
// channel's plugin instances (the push engine, order ingestion) owns one and hands
// Callback() to each instance it loads.
//
// A plugin names its counters ([a-z0-9_], 1..48 bytes); a name outside that set, a
// negative or non-finite delta, or a channel's 33rd distinct name is dropped (a plugin
// cannot grow the metrics without bound).
//
// Thread safety: every method may be called from any thread.
#ifndef STOCKD_DAEMON_PLUGINS_ADAPTER_COUNTERS_H_
#define STOCKD_DAEMON_PLUGINS_ADAPTER_COUNTERS_H_

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace stockd::plugins {

class AdapterCounters {
 public:
  static constexpr size_t kMaxNamesPerChannel = 32;
  static constexpr size_t kMaxNameBytes = 48;

  void Add(const std::string& channel, const std::string& name, double delta)
      ABSL_LOCKS_EXCLUDED(mu_);
  // For HostCallbacks::count of one of `channel`'s plugin instances. The counters must
  // outlive the instance.
  std::function<void(const std::string&, double)> Callback(std::string channel);
  // (channel, name) -> total so far.
  std::map<std::pair<std::string, std::string>, double> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, double> totals_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, size_t> names_ ABSL_GUARDED_BY(mu_);  // distinct names per channel
};

}  // namespace stockd::plugins

#endif  // STOCKD_DAEMON_PLUGINS_ADAPTER_COUNTERS_H_
