#include "daemon/engine/hold_table.h"

#include <algorithm>
#include <limits>

#include "daemon/engine/validation.h"

namespace stockd::engine {

HoldTable::HoldTable() : all_stripes_(MutexesOf(stripes_)) {}

size_t HoldTable::StripeIndex(absl::string_view hold_id) { return StripeOf(hold_id, kHoldStripes); }

absl::StatusOr<HoldRec*> HoldTable::Find(HoldStripe& stripe, const std::string& id) {
  auto it = stripe.holds.find(id);
  if (it == stripe.holds.end()) return UnknownHold(id);
  return it->second.get();
}

HoldRec* HoldTable::Insert(HoldStripe& stripe, std::unique_ptr<HoldRec> hold) {
  HoldRec* raw = hold.get();
  stripe.deadlines.emplace(raw->view.deadline_ms, raw->view.hold_id);  // priority_queue::emplace
  stripe.holds.emplace(raw->view.hold_id, std::move(hold));
  open_.fetch_add(1);
  return raw;
}

void HoldTable::Rearm(HoldStripe& stripe, const HoldRec& hold) {
  stripe.deadlines.emplace(hold.view.deadline_ms, hold.view.hold_id);
}

void HoldTable::Resolve(HoldStripe& stripe, HoldRec& hold, HoldState state, int64_t now) {
  hold.view.state = state;
  hold.view.deadline_ms = 0;
  hold.view.updated_ms = now;
  if (!IsOpen(state)) {
    stripe.resolved.emplace_back(now, hold.view.hold_id);
    open_.fetch_sub(1);
  }
}

int64_t HoldTable::CollectDue(int64_t now, int64_t retention_ms, std::vector<Deadline>* due) {
  int64_t next_due = std::numeric_limits<int64_t>::max();
  for (HoldStripe& stripe : stripes_) {
    absl::MutexLock lock(&stripe.mu);
    while (!stripe.deadlines.empty() && stripe.deadlines.top().first <= now) {
      Deadline entry = stripe.deadlines.top();
      stripe.deadlines.pop();
      auto it = stripe.holds.find(entry.second);
      if (it == stripe.holds.end() || it->second->view.state != HoldState::kHeld ||
          it->second->view.deadline_ms != entry.first) {
        continue;  // stale: extended or resolved since
      }
      due->push_back(std::move(entry));
    }
    if (!stripe.deadlines.empty()) next_due = std::min(next_due, stripe.deadlines.top().first);
    while (!stripe.resolved.empty() && stripe.resolved.front().first + retention_ms <= now) {
      auto it = stripe.holds.find(stripe.resolved.front().second);
      if (it != stripe.holds.end() && !IsOpen(it->second->view.state)) stripe.holds.erase(it);
      stripe.resolved.pop_front();
    }
  }
  return next_due;
}

void HoldTable::Requeue(const Deadline& entry) {
  HoldStripe& stripe = StripeFor(entry.second);
  absl::MutexLock lock(&stripe.mu);
  stripe.deadlines.push(entry);
}

void HoldTable::AddTo(Contents* contents, std::unique_ptr<HoldRec> hold) {
  const HoldView& v = hold->view;
  const size_t stripe = StripeIndex(v.hold_id);
  if (v.state == HoldState::kHeld)
    contents->deadlines[stripe].emplace_back(v.deadline_ms, v.hold_id);
  if (!IsOpen(v.state)) contents->resolved[stripe].emplace_back(v.updated_ms, v.hold_id);
  if (IsOpen(v.state)) ++contents->open;
  contents->holds[stripe][v.hold_id] = std::move(hold);
}

void HoldTable::InstallLocked(Contents contents) {
  for (size_t i = 0; i < kHoldStripes; ++i) {
    all_stripes_.AssertMemberHeld(stripes_[i].mu);
    stripes_[i].holds = std::move(contents.holds[i]);
    stripes_[i].deadlines =
        decltype(HoldStripe::deadlines)(std::greater<>(), std::move(contents.deadlines[i]));
    std::sort(contents.resolved[i].begin(), contents.resolved[i].end());
    stripes_[i].resolved.assign(contents.resolved[i].begin(), contents.resolved[i].end());
  }
  open_.store(contents.open);
}

}  // namespace stockd::engine
