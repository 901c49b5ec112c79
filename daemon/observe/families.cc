#include "daemon/observe/families.h"

#include <limits>

namespace stockd::observe {

prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

namespace {
prometheus::ClientMetric& Sample(prometheus::MetricFamily* family, const Labels& labels) {
  prometheus::ClientMetric m;
  for (const auto& [name, value] : labels) m.label.push_back({name, value});
  family->metric.push_back(std::move(m));
  return family->metric.back();
}
}  // namespace

void AddValue(prometheus::MetricFamily* family, const Labels& labels, double value) {
  prometheus::ClientMetric& m = Sample(family, labels);
  switch (family->type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
      break;
  }
}

void AddHistogram(prometheus::MetricFamily* family, const Labels& labels,
                  const std::vector<double>& bounds, const std::vector<int64_t>& counts,
                  double sum) {
  prometheus::ClientMetric& m = Sample(family, labels);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += static_cast<uint64_t>(counts[i]);
    const double bound =
        i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = sum;
}

}  // namespace stockd::observe
