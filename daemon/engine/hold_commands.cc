// The hold commands: Reserve, Extend, Commit, Release, Expire (the reaper's Release),
// Fulfill and Cancel. Each validates its input (validation.h), takes the hold's stripe and
// then its SKUs' shards (the lock order), changes counters and the hold, and Seals.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {
namespace {

// Index of the hold line for `sku`, or -1.
int FindLine(const HoldView& v, const std::string& sku) {
  for (size_t i = 0; i < v.lines.size(); ++i) {
    if (v.lines[i].sku == sku) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

absl::Status Engine::Impl::RequireState(const HoldRec& h, HoldState want, const char* op) const {
  if (!h.order_key.empty()) {
    const size_t space = h.order_key.find(' ');
    return absl::FailedPreconditionError(absl::StrCat(
        "hold '", h.view.hold_id, "' belongs to order '", h.order_key.substr(space + 1),
        "' of channel '", h.order_key.substr(0, space),
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

RecordOr Engine::Impl::Apply(ReserveCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  // Ids resolve against the model read here; the sources and policies are the ones in
  // force once the shards are locked (engine_impl.h, "The model").
  const Model& unlocked_model = model();
  absl::StatusOr<int> channel = ResolveChannel(unlocked_model, cmd.channel);
  if (!channel.ok()) return channel.status();
  const int c = *channel;
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, true); !st.ok()) return st;
  std::vector<int> wanted(cmd.lines.size(), -1);
  std::vector<absl::string_view> skus;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    skus.push_back(cmd.lines[i].sku);
    if (cmd.lines[i].location.empty()) continue;
    absl::StatusOr<int> l = ResolveLocation(unlocked_model, cmd.lines[i].location);
    if (!l.ok()) return l.status();
    wanted[i] = *l;
  }
  absl::StatusOr<int64_t> ttl = ResolveTtl(options_, cmd.ttl_ms);
  if (!ttl.ok()) return ttl.status();
  if (absl::Status st = CheckText("reference", cmd.reference); !st.ok()) return st;

  const std::string id = absl::StrCat(hold_prefix_, hold_counter_.fetch_add(1) + 1);
  HoldStripe& stripe = holds_.StripeFor(id);
  absl::MutexLock hold_lock(&stripe.mu);
  ShardLocks locks;
  locks.LockSorted(ShardsFor(skus));
  const Model& m = model();
  for (int l : wanted) {
    if (l >= 0 && !IsSource(m, c, l)) return NotASource(m, c, l);
  }

  std::vector<SkuState*> states(cmd.lines.size());
  std::vector<int> chosen(cmd.lines.size(), -1);
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    const Line& line = cmd.lines[i];
    Shard& shard = ShardFor(line.sku);
    LockedByShardLocks(shard);
    SkuState* s = FindSku(shard, line.sku);
    if (s == nullptr) return UnknownSku(line.sku);
    states[i] = s;
    const PolicySet& ps = *s->policies;
    if (wanted[i] >= 0) {
      int64_t avail = Avail(ps, c, wanted[i], s->rows[wanted[i]]);
      if (avail < line.qty) {
        return absl::FailedPreconditionError(
            absl::StrCat("sku '", line.sku, "': channel '", cmd.channel, "' may take ", avail,
                         " at '", m.locations[wanted[i]].id, "', asked ", line.qty));
      }
      chosen[i] = wanted[i];
      continue;
    }
    for (int l : m.channels[c].sources) {
      if (Avail(ps, c, l, s->rows[l]) >= line.qty) {
        chosen[i] = l;
        break;
      }
    }
    if (chosen[i] < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sku '", line.sku, "': no source of channel '", cmd.channel, "' has ", line.qty,
          " available (reservable ", Reservable(m, ps, c, s->rows), " in total)"));
    }
  }

  const int64_t now = NowMs();
  auto rec = std::make_unique<HoldRec>();
  rec->channel = c;
  HoldView& v = rec->view;
  v.hold_id = id;
  v.channel = cmd.channel;
  v.state = HoldState::kHeld;
  v.created_ms = v.updated_ms = now;
  v.deadline_ms = now + *ttl;
  v.reference = cmd.reference;
  Change change;
  change.channel = cmd.channel;
  change.reason = cmd.reference;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    change.Touch(states[i], chosen[i]);
    states[i]->rows[chosen[i]].held += cmd.lines[i].qty;
    // The command is spent: its SKU strings move into the hold (`skus` is not used again).
    v.lines.push_back(
        {std::move(cmd.lines[i].sku), m.locations[chosen[i]].id, cmd.lines[i].qty, 0});
    rec->locations.push_back(chosen[i]);
  }
  HoldRec* raw = holds_.Insert(stripe, std::move(rec));
  change.hold = raw;
  p->outcome.hold = raw->view;
  return Seal(change, meta, "reserve", p);
}

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
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, false); !st.ok()) return st;
  return WithHold(
      cmd.hold_id, HoldState::kHeld, "commit", [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
        LockedByWithHold(stripe);
        std::vector<int64_t> commit(hold.view.lines.size(), 0);
        if (cmd.lines.empty()) {
          for (size_t i = 0; i < commit.size(); ++i) commit[i] = hold.view.lines[i].qty;
        }
        for (size_t i = 0; i < cmd.lines.size(); ++i) {
          int at = FindLine(hold.view, cmd.lines[i].sku);
          if (at < 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "lines[", i, "].sku: '", cmd.lines[i].sku, "' is not in hold '", cmd.hold_id, "'"));
          }
          if (cmd.lines[i].qty > hold.view.lines[at].qty) {
            return absl::InvalidArgumentError(absl::StrCat("lines[", i, "].qty: ", cmd.lines[i].qty,
                                                           " exceeds the ", hold.view.lines[at].qty,
                                                           " held of '", cmd.lines[i].sku, "'"));
          }
          commit[at] = cmd.lines[i].qty;
        }

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
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, false); !st.ok()) return st;
  return WithHold(
      cmd.hold_id, HoldState::kCommitted, "fulfill",
      [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
        LockedByWithHold(stripe);
        std::vector<int64_t> take(hold.view.lines.size(), 0);
        if (cmd.lines.empty()) {
          for (size_t i = 0; i < take.size(); ++i) {
            take[i] = hold.view.lines[i].qty - hold.view.lines[i].fulfilled;
          }
        }
        for (size_t i = 0; i < cmd.lines.size(); ++i) {
          int at = FindLine(hold.view, cmd.lines[i].sku);
          if (at < 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "lines[", i, "].sku: '", cmd.lines[i].sku, "' is not in hold '", cmd.hold_id, "'"));
          }
          int64_t open = hold.view.lines[at].qty - hold.view.lines[at].fulfilled;
          if (cmd.lines[i].qty > open) {
            return absl::InvalidArgumentError(
                absl::StrCat("lines[", i, "].qty: ", cmd.lines[i].qty, " exceeds the ", open,
                             " committed of '", cmd.lines[i].sku, "' not yet fulfilled"));
          }
          take[at] = cmd.lines[i].qty;
        }

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
