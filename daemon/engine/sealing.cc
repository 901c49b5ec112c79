#include "daemon/engine/sealing.h"

#include <algorithm>
#include <utility>

#include "daemon/engine/alerts.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/count_history.h"
#include "daemon/engine/engine_impl.h"

namespace stockd::engine {

int64_t SealRecord(const Model& model, const Change& change, const CommandMeta& meta,
                   const char* operation, int64_t now, MutationRecord* record, AuditEntry* audit,
                   std::vector<SkuState*>* skus, RaisedCounts* raised_delta) {
  // audit->sequence: with the record's, when it is appended (SequenceAndAppend).
  audit->time_ms = now;
  audit->actor = meta.actor;
  audit->operation = operation;
  audit->request_id = meta.request_id;
  audit->channel = change.channel;
  audit->reason = change.reason;
  audit->observed_at_ms = change.count_observed_at_ms;

  // Every SKU the mutation touched, once, in first-touch order: its published quantities
  // are recomputed below.
  int64_t new_rows = 0;
  FirstSeen<const SkuState*> seen;
  audit->before.reserve(change.rows.size());
  audit->after.reserve(change.rows.size());
  for (const Touched& t : change.rows) {
    if (!t.sku->present[t.location]) {
      t.sku->present[t.location] = true;
      ++new_rows;
    }
    audit->before.push_back({t.sku->sku, model.locations[t.location].id, t.before});
    audit->after.push_back(
        RowView{t.sku->sku, model.locations[t.location].id, t.sku->rows[t.location]});
    if (seen.Add(t.sku) == skus->size()) skus->push_back(t.sku);
  }

  // alerts.enabled: false skips every piece of alert bookkeeping (docs/alerts.md, "Cost").
  const bool alerting = model.alerts.enabled;
  AlertOutput alerts{&record->alerts, {}};
  // The keys raised before, to add what this mutation changed to the engine's gauge.
  std::vector<RaisedCounts> raised_before;
  if (alerting) {
    raised_before.reserve(skus->size());
    for (const SkuState* s : *skus) raised_before.push_back(RaisedOf(*s));
  }
  for (SkuState* s : *skus) {
    for (size_t c = 0; c < model.channels.size(); ++c) {
      int64_t reservable = Reservable(model, *s->policies, static_cast<int>(c), s->rows);
      int64_t published = Publish(s->policies->channels[c], reservable);
      if (published != s->published[c]) {
        record->changes.push_back(
            {model.channels[c].id, s->sku, s->published[c], published, reservable, now});
        if (alerting) {
          EvaluatePublished(model, s, static_cast<int>(c), s->published[c], published, now,
                            &alerts);
        }
        s->published[c] = published;
      }
    }
  }
  if (alerting) {
    if (change.hold != nullptr) TrackOpenHolds(*change.hold, *skus);
    EvaluateAlerts(model, change, operation, now, *skus, &alerts);
    for (const AlertEvent& b : change.breaches) {
      record->alerts.push_back(b);
      record->alerts.back().time_ms = now;
    }
  }
  for (const AlertEvent& a : change.kit_alerts) {
    record->alerts.push_back(a);
    record->alerts.back().time_ms = now;
  }
  record->alert_states = change.kit_alert_states;
  for (const SkuState* s : alerts.changed) {
    record->alert_states.push_back(AlertStateOf(model, *s));
    // Only touched SKUs change state; the first touch order is skus's.
    const size_t i = static_cast<size_t>(std::find(skus->begin(), skus->end(), s) - skus->begin());
    if (i < raised_before.size()) {
      *raised_delta += RaisedOf(*s);
      *raised_delta -= raised_before[i];
    }
  }
  record->order = change.order;
  if (change.hold != nullptr) {
    audit->hold_id = change.hold->view.hold_id;
    record->holds.push_back(change.hold->view);
  }
  return new_rows;
}

std::shared_ptr<const MutationRecord> Engine::Impl::Seal(Change& change, const CommandMeta& meta,
                                                         const char* operation,
                                                         const std::shared_ptr<Pending>& pending) {
  auto record = std::make_shared<MutationRecord>();
  const int64_t now = NowMs();
  auto audit = std::make_shared<AuditEntry>();
  record->audit = audit;
  std::vector<SkuState*> skus;
  RaisedCounts raised_delta;
  if (int64_t new_rows = SealRecord(model(), change, meta, operation, now, record.get(),
                                    audit.get(), &skus, &raised_delta);
      new_rows > 0) {
    rows_.fetch_add(new_rows);
  }
  if (raised_delta.reorder != 0) active_reorder_.fetch_add(raised_delta.reorder);
  if (raised_delta.uncovered != 0) active_uncovered_.fetch_add(raised_delta.uncovered);
  if (raised_delta.sold_out != 0) active_sold_out_.fetch_add(raised_delta.sold_out);
  if (!meta.request_id.empty()) {
    record->idempotency = std::make_shared<const IdempotencyRecord>(
        IdempotencyRecord{meta.request_id, pending->fingerprint, pending->outcome,
                          now + options_.idempotency_ttl_ms});
  }
  RecordMovements(change, now, options_.count_history_ms);
  // A kit's alert has no rows: its entry goes to the kit SKU's shard (held by its Apply).
  const std::string* ring_sku = !skus.empty()                       ? &skus.front()->sku
                                : !change.kit_alert_states.empty() ? &change.kit_alert_states[0].sku
                                                                    : nullptr;
  if (audit_per_shard_ > 0 && ring_sku != nullptr) {
    Shard& shard = ShardFor(*ring_sku);
    LockedByShardLocks(shard);  // or by the command's MutexLock: every touched shard is held
    shard.audit.push_back(record->audit);
    while (shard.audit.size() > audit_per_shard_) shard.audit.pop_front();
  }
  SequenceAndAppend(record, audit.get(), pending);
  return record;
}

void Engine::Impl::SequenceAndAppend(const std::shared_ptr<MutationRecord>& record,
                                     AuditEntry* audit, const std::shared_ptr<Pending>& pending) {
  // Sequence numbers reach the journal in increasing order. Two mutations on disjoint
  // shards seal concurrently; had one taken its number and the other appended first, a
  // group commit would end on a lower number than it holds (meta.sequence going back,
  // and after a restart numbers handed out twice: the second batch's request-id and
  // resolved-hold fields, named by its last sequence, overwrote the first's; found by
  // the crash test under load).
  absl::MutexLock lock(&sequence_mu_);
  record->sequence = mutations_.fetch_add(1) + 1;
  audit->sequence = record->sequence;
  for (AlertEvent& a : record->alerts) a.sequence = record->sequence;
  if (options_.journal != nullptr) {
    options_.journal->Append(record, [this, pending, record](absl::Status st) {
      Complete(pending, record, std::move(st));
    });
  } else {
    pending->announce_after = std::exchange(last_sealed_, record->sequence);
  }
}

}  // namespace stockd::engine
