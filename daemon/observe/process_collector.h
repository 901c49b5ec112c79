// The standard Prometheus process metrics, read from /proc/self at each scrape
// (prometheus-cpp has no process collector): process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds. A value /proc cannot give is left out.
//
// Thread safety: Collect is thread-safe (it keeps no state beyond constants).
#ifndef STOCKD_DAEMON_OBSERVE_PROCESS_COLLECTOR_H_
#define STOCKD_DAEMON_OBSERVE_PROCESS_COLLECTOR_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <optional>
#include <string>
#include <vector>

namespace stockd::observe {

// What /proc says about a process, for the collector and its test.
struct ProcessSample {
  std::optional<double> cpu_seconds;            // utime + stime
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;                // the soft RLIMIT_NOFILE
  std::optional<double> start_time_seconds;     // since the Unix epoch
};

// Reads /proc/<proc_dir> ("/proc/self" for this process) and /proc/stat's btime.
ProcessSample ReadProcess(const std::string& proc_dir = "/proc/self");

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_PROCESS_COLLECTOR_H_
