#include "daemon/engine/idempotency_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace stockd::engine {

size_t IdempotencyTable::StripeIndex(const std::string& request_id) {
  return StripeOf(request_id, kIdemStripes);
}

IdempotencyTable::Lookup IdempotencyTable::LookUp(const std::shared_ptr<Pending>& pending,
                                                  Outcome* replay, bool* drained) {
  IdemStripe& stripe = StripeFor(pending->request_id);
  absl::MutexLock lock(&stripe.mu);
  auto it = stripe.entries.find(pending->request_id);
  if (it == stripe.entries.end()) {
    if (!TakeSlot(drained)) return Lookup::kFull;
    stripe.entries[pending->request_id].fingerprint = pending->fingerprint;
    return Lookup::kNew;
  }
  IdemEntry& e = it->second;
  if (e.fingerprint != pending->fingerprint) return Lookup::kMisuse;
  if (!e.done) {
    e.waiters.push_back(std::move(pending->done));
    return Lookup::kInFlight;
  }
  *replay = e.record->outcome;
  return Lookup::kReplay;
}

bool IdempotencyTable::TakeSlot(bool* drained) {
  const int64_t max = max_records_;
  int64_t n = records_.load(std::memory_order_relaxed);
  while (n < max) {
    if (records_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) {
      // The warning is re-armed once the table has drained below 90% of the cap (not
      // logged again for every record while it hovers at the cap).
      *drained =
          (n + 1) * 10 < max * 9 && full_.load(std::memory_order_relaxed) && full_.exchange(false);
      return true;
    }
  }
  return false;
}

void IdempotencyTable::PurgeExpired(int64_t now) {
  for (IdemStripe& stripe : stripes_) {
    absl::MutexLock lock(&stripe.mu);
    while (!stripe.expiry.empty() && stripe.expiry.front().first <= now) {
      auto it = stripe.entries.find(stripe.expiry.front().second);
      if (it != stripe.entries.end() && it->second.done && it->second.record->expires_ms <= now) {
        stripe.entries.erase(it);
        records_.fetch_sub(1, std::memory_order_relaxed);
      }
      stripe.expiry.pop_front();
    }
  }
}

bool IdempotencyTable::Begin(const std::shared_ptr<Pending>& pending) {
  Outcome replay;
  bool drained = false;
  Lookup found = LookUp(pending, &replay, &drained);
  if (found == Lookup::kFull) {
    PurgeExpired(clock_->NowMs());
    found = LookUp(pending, &replay, &drained);
  }
  if (drained) {
    Log(log::Level::kInfo, absl::StrCat("idempotency records below idempotency.max_records (",
                                        max_records_, ") again: new request ids are accepted"));
  }
  switch (found) {
    case Lookup::kNew:
      return true;
    case Lookup::kInFlight:
      return false;
    case Lookup::kMisuse:
      pending->done(absl::InvalidArgumentError(absl::StrCat(
          "request_id '", pending->request_id, "' was already used for a different request")));
      return false;
    case Lookup::kReplay:
      replay.replayed = true;
      pending->done(std::move(replay));
      return false;
    case Lookup::kFull:
      break;
  }
  const std::string why = absl::StrCat(
      "idempotency.max_records: ", max_records_,
      " request ids are recorded and not yet expired (idempotency.ttl ", ttl_ms_ / 1000,
      "s); a new request_id is refused until older ones "
      "expire (a replay of a recorded one still answers)");
  if (!full_.exchange(true)) {
    Log(log::Level::kWarn, absl::StrCat(why, "; refused request_id '", pending->request_id, "'"));
  }
  pending->done(absl::ResourceExhaustedError(why));
  return false;
}

std::vector<Engine::Done> IdempotencyTable::Finish(const Pending& pending,
                                                   const MutationRecord* record, bool ok) {
  std::vector<Engine::Done> waiters;
  IdemStripe& stripe = StripeFor(pending.request_id);
  absl::MutexLock lock(&stripe.mu);
  auto it = stripe.entries.find(pending.request_id);
  if (it == stripe.entries.end()) return waiters;
  waiters = std::move(it->second.waiters);
  if (ok) {
    it->second.done = true;
    // An OK completion always comes with its record (Seal); the fallback keeps a replay
    // answerable should that ever change.
    it->second.record = record != nullptr && record->idempotency
                            ? record->idempotency
                            : std::make_shared<const IdempotencyRecord>(
                                  IdempotencyRecord{pending.request_id, pending.fingerprint,
                                                    pending.outcome, clock_->NowMs() + ttl_ms_});
    stripe.expiry.emplace_back(it->second.record->expires_ms, pending.request_id);
  } else if (!it->second.done) {
    stripe.entries.erase(it);  // failed calls are not recorded
    records_.fetch_sub(1, std::memory_order_relaxed);
  }
  return waiters;
}

IdempotencyTable::Contents IdempotencyTable::Build(
    const std::vector<std::shared_ptr<const IdempotencyRecord>>& records) {
  Contents out;
  // Stripe of each record, computed once; each stripe's map sized once.
  static_assert(kIdemStripes <= 256, "a stripe index is kept in a byte");
  std::vector<uint8_t> stripe_of(records.size());
  std::array<size_t, kIdemStripes> per_stripe{};
  for (size_t i = 0; i < records.size(); ++i) {
    stripe_of[i] = static_cast<uint8_t>(StripeIndex(records[i]->request_id));
    ++per_stripe[stripe_of[i]];
  }
  for (size_t s = 0; s < kIdemStripes; ++s) out.entries[s].reserve(per_stripe[s]);
  std::vector<uint32_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&records](uint32_t a, uint32_t b) {
    return records[a]->expires_ms < records[b]->expires_ms;
  });
  // In expiry order, so a request id's later record replaces its earlier one; the earlier
  // one's expiry entry stays and is skipped by PurgeExpired (the entry expires later).
  for (const uint32_t i : order) {
    const std::shared_ptr<const IdempotencyRecord>& r = records[i];
    IdemEntry& e = out.entries[stripe_of[i]][r->request_id];
    e.fingerprint = r->fingerprint;
    e.done = true;
    e.record = r;
    out.expiry[stripe_of[i]].emplace_back(r->expires_ms, r->request_id);
  }
  return out;
}

void IdempotencyTable::InstallLocked(Contents contents) {
  int64_t total = 0;
  for (size_t i = 0; i < kIdemStripes; ++i) {
    all_stripes_.AssertMemberHeld(stripes_[i].mu);
    auto& entries = contents.entries[i];
    for (auto& [id, e] : stripes_[i].entries) {
      if (!e.done && !entries.contains(id)) entries.emplace(id, std::move(e));
    }
    stripes_[i].entries = std::move(entries);
    stripes_[i].expiry = std::move(contents.expiry[i]);
    total += static_cast<int64_t>(stripes_[i].entries.size());
  }
  records_.store(total);
}

void IdempotencyTable::AdoptLocked(
    const std::vector<std::shared_ptr<const MutationRecord>>& records) {
  for (const auto& record : records) {
    if (!record->idempotency) continue;
    const IdempotencyRecord& r = *record->idempotency;
    IdemStripe& stripe = StripeFor(r.request_id);
    all_stripes_.AssertMemberHeld(stripe.mu);
    auto [it, inserted] = stripe.entries.try_emplace(r.request_id);
    if (inserted) records_.fetch_add(1, std::memory_order_relaxed);
    IdemEntry& e = it->second;
    if (e.done) continue;  // answered from Redis's copy already (cannot happen: gate closed)
    e.fingerprint = r.fingerprint;
    e.done = true;
    e.record = record->idempotency;
    stripe.expiry.emplace_back(r.expires_ms, r.request_id);
  }
}

}  // namespace stockd::engine
