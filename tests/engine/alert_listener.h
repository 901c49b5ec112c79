// A listener that records every alert the engine announces (alerts_test.cc,
// kit_alerts_test.cc). Called from the engine's threads: it locks.
#ifndef STOCKD_TESTS_ENGINE_ALERT_LISTENER_H_
#define STOCKD_TESTS_ENGINE_ALERT_LISTENER_H_

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"

namespace stockd::engine {

// Records every alert the engine announces, in order, and the last published quantity
// announced per SKU and channel.
class AlertListener : public ChangeListener {
 public:
  void OnPublishedChanges(const std::vector<PublishedChange>& changes) override {
    absl::MutexLock lock(&mu_);
    for (const PublishedChange& c : changes) published_[c.sku + " " + c.channel] = c.published;
  }
  // Waits up to 5 s until `value` is the last quantity announced for `sku` on `channel`
  // (a kit's are announced by the announcer's thread, a moment after the mutation).
  bool AwaitPublished(const std::string& sku, const std::string& channel, int64_t value) {
    for (int i = 0; i < 1000; ++i) {
      {
        absl::MutexLock lock(&mu_);
        auto it = published_.find(sku + " " + channel);
        if (it != published_.end() && it->second == value) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  void OnAlerts(const std::vector<AlertEvent>& alerts) override {
    absl::MutexLock lock(&mu_);
    alerts_.insert(alerts_.end(), alerts.begin(), alerts.end());
  }
  // The alerts since the last call, one "kind sku@location/channel ..." string each.
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const AlertEvent& a : alerts_) out.push_back(Describe(a));
    alerts_.clear();
    return out;
  }
  // Kit alerts come from the announcer's thread: waits up to 5 s until at least `want`
  // alerts of `sku` are recorded, then 50 ms more for any that should not come, and takes
  // them (every other SKU's are dropped).
  std::vector<std::string> Await(const std::string& sku, size_t want) {
    std::vector<std::string> out;
    auto collect = [&] {
      absl::MutexLock lock(&mu_);
      for (const AlertEvent& a : alerts_) {
        if (a.sku == sku) out.push_back(Describe(a));
      }
      alerts_.clear();
    };
    for (int i = 0; i < 1000 && out.size() < want; ++i) {
      collect();
      if (out.size() < want) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    collect();
    return out;
  }
  static std::string Describe(const AlertEvent& a) {
    switch (a.kind) {
      case AlertKind::kReorder:
      case AlertKind::kUncovered:
        return absl::StrCat(
            AlertKindName(a.kind), " ", a.sku, "@", a.location.empty() ? "*" : a.location, " free ",
            a.free, " point ", a.point,
            a.holds_at_risk == 0
                ? ""
                : absl::StrCat(" at risk ", a.holds_at_risk, ": ", absl::StrJoin(a.hold_ids, ",")));
      case AlertKind::kBreach:
        return absl::StrCat("breach ", a.sku, "@", a.location, " ", a.channel, " ", a.units,
                            a.order_id.empty() ? "" : " order " + a.order_id);
      case AlertKind::kSoldOut:
      case AlertKind::kBackInStock:
        return absl::StrCat(AlertKindName(a.kind), " ", a.sku, " ", a.channel, " ",
                            a.previous_published, "->", a.published);
    }
    return "?";
  }

 private:
  absl::Mutex mu_;
  std::vector<AlertEvent> alerts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> published_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::engine

#endif  // STOCKD_TESTS_ENGINE_ALERT_LISTENER_H_
