#include "daemon/server/watch_hub.h"

#include <utility>

#include "daemon/api/convert.h"

namespace stockd::server {

WatchHub::WatchHub(uint64_t first_sequence, size_t history)
    : sequence_(first_sequence), history_limit_(history) {}

void WatchHub::OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) {
  absl::MutexLock lock(&mu_);
  for (const engine::PublishedChange& change : changes) {
    const uint64_t seq = ++sequence_;
    for (Subscriber* s : subscribers_) s->Offer(change, seq);
    RememberLocked(Announced{seq, change, {}});
  }
}

void WatchHub::OnOrderApplied(const engine::OrderEvent& event) {
  std::vector<v1::OrderProblem> problems = api::ToWatchProblems(event);
  if (problems.empty()) return;
  std::vector<std::string> skus;
  for (const engine::OrderLineView& l : event.order.lines) {
    skus.push_back(l.sku);
    if (!l.kit.empty()) skus.push_back(l.kit);  // a watcher of the kit hears of its orders too
  }
  absl::MutexLock lock(&mu_);
  for (const v1::OrderProblem& p : problems) {
    AnnounceLocked({std::make_shared<const v1::WatchEvent>(api::ToWatchNotice(p)), skus});
  }
}

void WatchHub::OnAlerts(const std::vector<engine::AlertEvent>& alerts) {
  absl::MutexLock lock(&mu_);
  for (const engine::AlertEvent& a : alerts) {
    AnnounceLocked({std::make_shared<const v1::WatchEvent>(api::ToWatchNotice(a)), {a.sku}});
  }
}

void WatchHub::AnnounceLocked(Notice notice) {
  const uint64_t seq = ++sequence_;
  for (Subscriber* s : subscribers_) s->OfferNotice(notice, seq);
  RememberLocked(Announced{seq, {}, std::move(notice)});
}

void WatchHub::RememberLocked(Announced a) {
  if (history_limit_ == 0) return;
  history_.push_back(std::move(a));
  if (history_.size() > history_limit_) history_.pop_front();
}

WatchHub::Registration WatchHub::Add(Subscriber* s, uint64_t resume_after) {
  Registration r;
  absl::MutexLock lock(&mu_);
  r.sequence = sequence_;
  if (closed_) {
    s->Close();
    return r;
  }
  if (resume_after > 0) {
    // Covered when nothing after resume_after has left the history. The backlog is
    // offered before the subscriber joins, under the lock: no live change can overtake it.
    const uint64_t oldest = history_.empty() ? sequence_ + 1 : history_.front().sequence;
    if (resume_after <= sequence_ && resume_after + 1 >= oldest) {
      r.resumed = true;
      for (const Announced& a : history_) {
        if (a.sequence <= resume_after) continue;
        if (a.notice.event != nullptr) {
          s->OfferNotice(a.notice, a.sequence);
        } else {
          s->Offer(a.change, a.sequence);
        }
      }
    }
  }
  subscribers_.insert(s);
  return r;
}

void WatchHub::Remove(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(s);
}

void WatchHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (Subscriber* s : subscribers_) s->Close();
  subscribers_.clear();
}

void WatchHub::Reset() {
  absl::MutexLock lock(&mu_);
  for (Subscriber* s : subscribers_) s->Close();
  subscribers_.clear();
  history_.clear();
}

uint64_t WatchHub::sequence() const {
  absl::MutexLock lock(&mu_);
  return sequence_;
}

size_t WatchHub::subscribers() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

}  // namespace stockd::server
