#include "daemon/plugins/adapter_counters.h"

#include <cmath>

namespace stockd::plugins {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > AdapterCounters::kMaxNameBytes) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

void AdapterCounters::Add(const std::string& channel, const std::string& name, double delta) {
  if (!ValidName(name) || !std::isfinite(delta) || delta < 0) return;
  absl::MutexLock lock(&mu_);
  auto key = std::make_pair(channel, name);
  auto it = totals_.find(key);
  if (it == totals_.end()) {
    size_t& names = names_[channel];
    if (names >= kMaxNamesPerChannel) return;
    ++names;
    it = totals_.emplace(std::move(key), 0.0).first;
  }
  it->second += delta;
}

std::function<void(const std::string&, double)> AdapterCounters::Callback(std::string channel) {
  return [this, channel = std::move(channel)](const std::string& name, double delta) {
    Add(channel, name, delta);
  };
}

std::map<std::pair<std::string, std::string>, double> AdapterCounters::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return totals_;
}

}  // namespace stockd::plugins
