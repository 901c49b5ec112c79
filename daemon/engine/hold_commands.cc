// The hold commands on an existing hold: Extend, Commit, Release, Expire (the reaper's
// Release), Fulfill and Cancel (Reserve, which makes one: reserve_command.cc). Each validates
// its input (validation.h), takes the hold's stripe and then its SKUs' shards (the lock
// order), changes counters and the hold, and Seals.
#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {
namespace {

// What a Commit or Fulfill takes from each line of `hold`, where `open[j]` units of line j
// can be taken (held; committed and not fulfilled) and `open_what` names them in errors
// ("held"). No request lines: everything open. {sku, qty}: qty spread over the SKU's lines
// in the hold's order (the parts of a split line, in source order). {sku, location, qty}
// on a split SKU: from its part at that location; on a SKU held at one location the
// location is ignored, as before lines were split. The lines were checked by
// CheckPickLines; a hold line two request lines would take from is refused here (the one
// check of SKUs named twice: {A} with {A@x}, {A@x} twice, {A@x} with {A@y} on an unsplit A).
absl::StatusOr<std::vector<int64_t>> PickFromHold(const HoldView& hold,
                                                  const std::vector<Line>& request,
                                                  const std::vector<int64_t>& open,
                                                  absl::string_view open_what) {
  if (request.empty()) return open;
  std::vector<int64_t> take(hold.lines.size(), 0);
  std::vector<int> named_by(hold.lines.size(), -1);  // the request line taking from it
  std::vector<size_t> from;                          // the hold lines request line i takes from
  for (size_t i = 0; i < request.size(); ++i) {
    const Line& want = request[i];
    size_t parts = 0;
    for (const Line& l : hold.lines) parts += l.sku == want.sku;
    if (parts == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("lines[", i, "].sku: '", want.sku, "' is not in hold '", hold.hold_id, "'"));
    }
    const bool by_location = !want.location.empty() && parts > 1;
    from.clear();
    int64_t room = 0;
    for (size_t j = 0; j < hold.lines.size(); ++j) {
      if (hold.lines[j].sku != want.sku) continue;
      if (by_location && hold.lines[j].location != want.location) continue;
      if (named_by[j] >= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lines[", i, "]: sku '", want.sku, "' already in lines[", named_by[j], "]",
            parts > 1 ? " (a SKU named twice needs a distinct location on each line)" : ""));
      }
      named_by[j] = static_cast<int>(i);
      from.push_back(j);
      room += open[j];
    }
    const std::string at = by_location ? absl::StrCat(" at '", want.location, "'") : "";
    if (from.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lines[", i, "].location: hold '", hold.hold_id, "' has no '", want.sku, "'", at));
    }
    if (want.qty > room) {
      return absl::InvalidArgumentError(absl::StrCat("lines[", i, "].qty: ", want.qty,
                                                     " exceeds the ", room, " ", open_what, " of '",
                                                     want.sku, "'", at));
    }
    int64_t rest = want.qty;
    for (size_t j : from) {
      take[j] = std::min(open[j], rest);
      rest -= take[j];
    }
  }
  return take;
}

}  // namespace

absl::Status Engine::Impl::RequireState(const HoldRec& h, HoldState want, const char* op) const {
  if (!h.order_key.empty()) {
    const size_t space = h.order_key.find(' ');
    return absl::FailedPreconditionError(
        absl::StrCat("hold '", h.view.hold_id, "' belongs to order '",
                     h.order_key.substr(space + 1), "' of channel '", h.order_key.substr(0, space),
                     "': it follows the order's revisions (change the order on its channel)"));
  }
  if (h.view.state != want) {
    return absl::FailedPreconditionError(absl::StrCat("hold '", h.view.hold_id, "' is ",
                                                      HoldStateName(h.view.state), "; ", op,
                                                      " needs a ", HoldStateName(want), " hold"));
  }
  if (want == HoldState::kHeld && h.view.deadline_ms <= NowMs()) {
    return absl::FailedPreconditionError(
        absl::StrCat("hold '", h.view.hold_id, "' expired at ", h.view.deadline_ms, " ms"));
  }
  return absl::OkStatus();
}

std::vector<Shard*> Engine::Impl::ShardsForHold(const HoldRec& h) {
  std::vector<absl::string_view> skus;
  for (const Line& l : h.view.lines) skus.push_back(l.sku);
  return ShardsFor(skus);
}

SkuState* Engine::Impl::HoldSku(const Line& line) {
  Shard& shard = ShardFor(line.sku);
  LockedByShardLocks(shard);
  SkuState* s = FindSku(shard, line.sku);
  // SKUs are never deleted and a hold only names SKUs that existed when it was made.
  if (s == nullptr) std::abort();
  return s;
}

template <typename Fn>
RecordOr Engine::Impl::WithHold(const std::string& id, HoldState want, const char* op, Fn&& fn) {
  if (absl::Status st = CheckHoldId(id); !st.ok()) return st;
  HoldStripe& stripe = holds_.StripeFor(id);
  absl::MutexLock hold_lock(&stripe.mu);
  absl::StatusOr<HoldRec*> h = HoldTable::Find(stripe, id);
  if (!h.ok()) return h.status();
  if (absl::Status st = RequireState(**h, want, op); !st.ok()) return st;
  ShardLocks locks;
  locks.LockSorted(ShardsForHold(**h));
  return fn(stripe, **h);
}

// ---------------------------------------------------------------- apply

RecordOr Engine::Impl::Apply(ExtendCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int64_t> ttl = ResolveTtl(options_, cmd.ttl_ms);
  if (!ttl.ok()) return ttl.status();
  return WithHold(cmd.hold_id, HoldState::kHeld, "extend",
                  [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
                    LockedByWithHold(stripe);
                    Change change;
                    change.channel = hold.view.channel;
                    for (size_t i = 0; i < hold.view.lines.size(); ++i) {
                      change.Touch(HoldSku(hold.view.lines[i]), hold.locations[i]);
                    }
                    const int64_t now = NowMs();
                    hold.view.deadline_ms = now + *ttl;
                    hold.view.updated_ms = now;
                    HoldTable::Rearm(stripe, hold);
                    change.reason = absl::StrCat("ttl_ms=", *ttl);
                    change.hold = &hold;
                    p->outcome.hold = hold.view;
                    return Seal(change, meta, "extend", p);
                  });
}

RecordOr Engine::Impl::Apply(CommitCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckPickLines(cmd.lines, options_.max_lines); !st.ok()) return st;
  return WithHold(cmd.hold_id, HoldState::kHeld, "commit",
                  [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
                    LockedByWithHold(stripe);
                    std::vector<int64_t> held(hold.view.lines.size());
                    for (size_t i = 0; i < held.size(); ++i) held[i] = hold.view.lines[i].qty;
                    absl::StatusOr<std::vector<int64_t>> picked =
                        PickFromHold(hold.view, cmd.lines, held, "held");
                    if (!picked.ok()) return picked.status();
                    const std::vector<int64_t>& commit = *picked;

                    Change change;
                    change.channel = hold.view.channel;
                    std::vector<Line> lines;
                    std::vector<int> locations;
                    for (size_t i = 0; i < hold.view.lines.size(); ++i) {
                      const Line& line = hold.view.lines[i];
                      SkuState* s = HoldSku(line);
                      change.Touch(s, hold.locations[i]);
                      Counters& row = s->rows[hold.locations[i]];
                      row.held -= line.qty;
                      row.committed += commit[i];
                      if (commit[i] > 0) {
                        lines.push_back({line.sku, line.location, commit[i], 0});
                        locations.push_back(hold.locations[i]);
                      }
                    }
                    hold.view.lines = std::move(lines);
                    hold.locations = std::move(locations);
                    holds_.Resolve(stripe, hold, HoldState::kCommitted, NowMs());
                    change.hold = &hold;
                    p->outcome.hold = hold.view;
                    return Seal(change, meta, "commit", p);
                  });
}

RecordOr Engine::Impl::ReleaseHeld(const std::string& hold_id, HoldState final_state,
                                   const CommandMeta& meta, const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckHoldId(hold_id); !st.ok()) return st;
  HoldStripe& stripe = holds_.StripeFor(hold_id);
  absl::MutexLock hold_lock(&stripe.mu);
  absl::StatusOr<HoldRec*> h = HoldTable::Find(stripe, hold_id);
  if (!h.ok()) return h.status();
  HoldRec& hold = **h;
  if (final_state == HoldState::kExpired) {
    if (hold.view.state != HoldState::kHeld || hold.view.deadline_ms > NowMs()) {
      return absl::FailedPreconditionError(absl::StrCat("hold '", hold_id, "' is not due"));
    }
  } else if (absl::Status st = RequireState(hold, HoldState::kHeld, "release"); !st.ok()) {
    return st;
  }
  ShardLocks locks;
  locks.LockSorted(ShardsForHold(hold));
  Change change;
  change.channel = hold.view.channel;
  for (size_t i = 0; i < hold.view.lines.size(); ++i) {
    SkuState* s = HoldSku(hold.view.lines[i]);
    change.Touch(s, hold.locations[i]);
    s->rows[hold.locations[i]].held -= hold.view.lines[i].qty;
  }
  holds_.Resolve(stripe, hold, final_state, NowMs());
  if (final_state == HoldState::kExpired) expired_.fetch_add(1);
  change.hold = &hold;
  p->outcome.hold = hold.view;
  return Seal(change, meta, final_state == HoldState::kExpired ? "expire" : "release", p);
}

RecordOr Engine::Impl::Apply(ReleaseCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return ReleaseHeld(cmd.hold_id, HoldState::kReleased, meta, p);
}

RecordOr Engine::Impl::Apply(ExpireCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return ReleaseHeld(cmd.hold_id, HoldState::kExpired, meta, p);
}

RecordOr Engine::Impl::Apply(FulfillCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckPickLines(cmd.lines, options_.max_lines); !st.ok()) return st;
  return WithHold(
      cmd.hold_id, HoldState::kCommitted, "fulfill",
      [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
        LockedByWithHold(stripe);
        std::vector<int64_t> open(hold.view.lines.size());
        for (size_t i = 0; i < open.size(); ++i) {
          open[i] = hold.view.lines[i].qty - hold.view.lines[i].fulfilled;
        }
        absl::StatusOr<std::vector<int64_t>> picked =
            PickFromHold(hold.view, cmd.lines, open, "committed and not yet fulfilled");
        if (!picked.ok()) return picked.status();
        const std::vector<int64_t>& take = *picked;

        for (size_t i = 0; i < hold.view.lines.size(); ++i) {
          const Counters& row = HoldSku(hold.view.lines[i])->rows[hold.locations[i]];
          if (row.on_hand < take[i]) {
            return absl::FailedPreconditionError(absl::StrCat(
                "sku '", hold.view.lines[i].sku, "' at '", hold.view.lines[i].location,
                "': on_hand ", row.on_hand, " < ", take[i], " to fulfil; record a Count first"));
          }
        }
        Change change;
        change.channel = hold.view.channel;
        bool all_done = true;
        for (size_t i = 0; i < hold.view.lines.size(); ++i) {
          Line& line = hold.view.lines[i];
          SkuState* s = HoldSku(line);
          change.Touch(s, hold.locations[i]);
          Counters& row = s->rows[hold.locations[i]];
          row.committed -= take[i];
          row.on_hand -= take[i];
          line.fulfilled += take[i];
          if (line.fulfilled < line.qty) all_done = false;
        }
        if (all_done) {
          holds_.Resolve(stripe, hold, HoldState::kFulfilled, NowMs());
        } else {
          hold.view.updated_ms = NowMs();
        }
        change.hold = &hold;
        p->outcome.hold = hold.view;
        return Seal(change, meta, "fulfill", p);
      });
}

RecordOr Engine::Impl::Apply(CancelCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return WithHold(cmd.hold_id, HoldState::kCommitted, "cancel",
                  [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
                    LockedByWithHold(stripe);
                    Change change;
                    change.channel = hold.view.channel;
                    for (size_t i = 0; i < hold.view.lines.size(); ++i) {
                      const Line& line = hold.view.lines[i];
                      SkuState* s = HoldSku(line);
                      change.Touch(s, hold.locations[i]);
                      s->rows[hold.locations[i]].committed -= line.qty - line.fulfilled;
                    }
                    holds_.Resolve(stripe, hold, HoldState::kCancelled, NowMs());
                    change.hold = &hold;
                    p->outcome.hold = hold.view;
                    return Seal(change, meta, "cancel", p);
                  });
}

}  // namespace stockd::engine
