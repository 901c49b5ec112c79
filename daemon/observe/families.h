// Building prometheus::MetricFamily values by hand, for the collectors that read their
// values at scrape time (state_collector.h, process_collector.h).
//
// Thread safety: pure functions on the caller's values.
#ifndef STOCKD_DAEMON_OBSERVE_FAMILIES_H_
#define STOCKD_DAEMON_OBSERVE_FAMILIES_H_

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stockd::observe {

using Labels = std::vector<std::pair<std::string, std::string>>;

// An empty family (the caller adds samples, then moves it into its list).
prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type);
// One counter or gauge sample of `family` (its type decides which field is set).
void AddValue(prometheus::MetricFamily* family, const Labels& labels, double value);
// One histogram sample: `counts[i]` observations in bucket i (not cumulative), bucket i
// bounded above by `bounds[i]`; the last count (counts.size() == bounds.size() + 1) is
// above every bound. `sum` is the sum of the observations.
void AddHistogram(prometheus::MetricFamily* family, const Labels& labels,
                  const std::vector<double>& bounds, const std::vector<int64_t>& counts,
                  double sum);

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_FAMILIES_H_
