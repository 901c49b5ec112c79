// The stock commands: Sell, Adjust, Count and Transfer. Each touches one SKU: it validates
// its input (validation.h), takes that SKU's shard, changes counters and Seals.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/count_history.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

RecordOr Engine::Impl::Apply(SellCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> channel = ResolveChannel(model(), cmd.channel);
  if (!channel.ok()) return channel.status();
  absl::StatusOr<int> location = ResolveLocation(model(), cmd.location);
  if (!location.ok()) return location.status();
  const int c = *channel, l = *location;
  if (absl::Status st = CheckId("sku", cmd.sku); !st.ok()) return st;
  if (absl::Status st = CheckQty("qty", cmd.qty); !st.ok()) return st;
  if (absl::Status st = CheckText("reference", cmd.reference); !st.ok()) return st;
  if (const Kit* kit = generation().kits().Find(cmd.sku)) return SellKit(*kit, cmd, c, l, meta, p);

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  // The sources in force now (engine_impl.h, "The model").
  if (!IsSource(model(), c, l)) return NotASource(model(), c, l);
  SkuState* s = FindSku(shard, cmd.sku);
  if (s == nullptr) return UnknownSku(cmd.sku);
  Counters& row = s->rows[l];
  const int64_t avail = Avail(*s->policies, c, l, row);
  if (cmd.qty > avail && !cmd.override_limit) {
    return absl::FailedPreconditionError(
        absl::StrCat("sku '", cmd.sku, "': channel '", cmd.channel, "' may sell ", avail, " at '",
                     cmd.location, "' (free ", row.free(), ", protected for other channels ",
                     ProtectedByOthers(*s->policies, c, l), "), asked ", cmd.qty,
                     "; set override to record a physical sale"));
  }
  if (cmd.qty > row.on_hand) {
    return absl::FailedPreconditionError(absl::StrCat("sku '", cmd.sku, "': only ", row.on_hand,
                                                      " on hand at '", cmd.location, "', sold ",
                                                      cmd.qty, "; record a Count first"));
  }
  Change change;
  change.channel = cmd.channel;
  change.Touch(s, l);
  row.on_hand -= cmd.qty;
  change.reason = cmd.reference;
  if (cmd.qty > avail) {
    p->outcome.breach = true;
    p->outcome.breach_units = cmd.qty - avail;
    breaches_.fetch_add(1);
    RecordBreach({NowMs(), cmd.channel, "sell", cmd.sku, cmd.location, "", cmd.qty - avail});
    change.Breach(cmd.sku, cmd.location, cmd.qty - avail);
    change.reason = absl::StrCat("BREACH: ", cmd.qty - avail, " units beyond avail ", avail,
                                 cmd.reference.empty() ? "" : "; ", cmd.reference);
  }
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "sell", p);
}

RecordOr Engine::Impl::Apply(AdjustCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> location = ResolveLocation(model(), cmd.location);
  if (!location.ok()) return location.status();
  const int l = *location;
  if (absl::Status st = CheckId("sku", cmd.sku); !st.ok()) return st;
  if (absl::Status st = NotAKit(cmd.sku, "adjust", true); !st.ok()) return st;
  if (absl::Status st = CheckAdjust(cmd); !st.ok()) return st;

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  const int64_t current = s ? s->rows[l].on_hand : 0;
  if (s == nullptr && cmd.delta < 0) return UnknownSku(cmd.sku);
  if (current + cmd.delta < 0) {
    return absl::FailedPreconditionError(absl::StrCat("sku '", cmd.sku, "': on_hand at '",
                                                      cmd.location, "' is ", current, "; delta ",
                                                      cmd.delta, " would take it below 0"));
  }
  if (current + cmd.delta > kMaxQuantity) {
    return absl::FailedPreconditionError(absl::StrCat("on_hand would exceed ", kMaxQuantity));
  }
  if (s == nullptr) s = FindOrCreateSku(shard, cmd.sku);
  Change change;
  change.Touch(s, l);
  s->rows[l].on_hand += cmd.delta;
  change.reason =
      absl::StrCat(AdjustReasonName(cmd.reason), cmd.note.empty() ? "" : ": ", cmd.note);
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "adjust", p);
}

RecordOr Engine::Impl::Apply(CountCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> location = ResolveLocation(model(), cmd.location);
  if (!location.ok()) return location.status();
  const int l = *location;
  if (absl::Status st = CheckId("sku", cmd.sku); !st.ok()) return st;
  if (absl::Status st = NotAKit(cmd.sku, "count", true); !st.ok()) return st;
  if (absl::Status st = CheckCount(cmd); !st.ok()) return st;
  // When the units were counted: now (read under the SKU's lock below), or a time in the
  // past (count_history.h).
  const bool past = cmd.observed_at_ms != 0;
  const int64_t now = NowMs();
  int64_t observed_at = past ? cmd.observed_at_ms : now;
  if (observed_at > now + kCountClockSlackMs) {
    return absl::InvalidArgumentError(absl::StrCat("observed_at ", FormatUtcMs(observed_at),
                                                   " is in the future (now ", FormatUtcMs(now),
                                                   ")"));
  }
  observed_at = std::min(observed_at, now);
  // A count of now nets nothing: it needs no history (and the history's start, stamped by
  // the storage layer's clock, must not refuse it).
  if (const int64_t oldest = OldestCountableMs(now); past && observed_at < oldest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "observed_at ", FormatUtcMs(observed_at), " is older than the movement history stockd ",
        "keeps: the oldest count it can net was observed at ", FormatUtcMs(oldest), " (", oldest,
        " ms; engine.count_history ", options_.count_history_ms / 1000, " s, history kept since ",
        FormatUtcMs(history_since_ms_.load()), ")"));
  }

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  const int64_t current = s ? s->rows[l].on_hand : 0;
  if (cmd.expected && *cmd.expected != current) {
    return absl::AbortedError(absl::StrCat("sku '", cmd.sku, "': on_hand at '", cmd.location,
                                           "' is ", current, ", expected ", *cmd.expected));
  }
  // A count of now is what is on the shelf as it is applied: it nets nothing and no
  // count is newer. Its time is read here, under the lock, so the movements of one SKU
  // keep the order they were applied in (two tills counting at once both succeed).
  if (!past) observed_at = NowMs();
  // Every movement at the location after the count was taken moves the counted units
  // too: sales and fulfilments out, receipts, returns and transfers in.
  const CountNetting net = s && past ? NetAfter(*s, l, observed_at) : CountNetting{};
  if (net.newer_count_ms != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sku '", cmd.sku, "': a count at '", cmd.location, "' observed at ",
        FormatUtcMs(net.newer_count_ms), " was applied already; this one, observed at ",
        FormatUtcMs(observed_at), ", is older"));
  }
  // A counted shelf that sold more than was counted is empty, not negative.
  const int64_t on_hand = std::clamp<int64_t>(cmd.on_hand + net.netted, 0, kMaxQuantity);
  if (s == nullptr) s = FindOrCreateSku(shard, cmd.sku);
  Change change;
  change.Touch(s, l);
  s->rows[l].on_hand = on_hand;
  change.count_observed_at_ms = observed_at;
  if (!past) {
    change.reason = absl::StrCat("count", cmd.note.empty() ? "" : ": ", cmd.note);
  } else {
    change.reason =
        absl::StrCat("count ", cmd.on_hand, " observed at ", FormatUtcMs(observed_at), "; netted ",
                     net.netted > 0 ? "+" : "", net.netted, " from ", net.movements,
                     net.movements == 1 ? " movement" : " movements", " since -> on_hand ", on_hand,
                     cmd.on_hand + net.netted < 0 ? " (not below 0)" : "",
                     cmd.note.empty() ? "" : ": ", cmd.note);
  }
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "count", p);
}

RecordOr Engine::Impl::Apply(TransferCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> from = ResolveLocation(model(), cmd.from_location);
  if (!from.ok()) return from.status();
  absl::StatusOr<int> to = ResolveLocation(model(), cmd.to_location);
  if (!to.ok()) return to.status();
  if (*from == *to) return absl::InvalidArgumentError("to_location must differ from from_location");
  if (absl::Status st = CheckId("sku", cmd.sku); !st.ok()) return st;
  if (absl::Status st = NotAKit(cmd.sku, "transfer", true); !st.ok()) return st;
  if (absl::Status st = CheckQty("qty", cmd.qty); !st.ok()) return st;
  if (absl::Status st = CheckText("note", cmd.note); !st.ok()) return st;

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  if (s == nullptr) return UnknownSku(cmd.sku);
  if (s->rows[*from].free() < cmd.qty) {
    return absl::FailedPreconditionError(
        absl::StrCat("sku '", cmd.sku, "': only ", std::max<int64_t>(0, s->rows[*from].free()),
                     " free at '", cmd.from_location, "', asked ", cmd.qty));
  }
  if (s->rows[*to].on_hand + cmd.qty > kMaxQuantity) {
    return absl::FailedPreconditionError(absl::StrCat("on_hand would exceed ", kMaxQuantity));
  }
  Change change;
  change.Touch(s, *from);
  change.Touch(s, *to);
  s->rows[*from].on_hand -= cmd.qty;
  s->rows[*to].on_hand += cmd.qty;
  change.reason = absl::StrCat("transfer ", cmd.from_location, " -> ", cmd.to_location,
                               cmd.note.empty() ? "" : ": ", cmd.note);
  p->outcome.before = {{cmd.sku, cmd.from_location, change.rows[0].before},
                       {cmd.sku, cmd.to_location, change.rows[1].before}};
  p->outcome.after = {View(*s, *from), View(*s, *to)};
  return Seal(change, meta, "transfer", p);
}

}  // namespace stockd::engine
