// Reading the stored state back (records.h: ScanKeys, ScanHash, LoadSnapshot); the key
// layout and the encoding are in records.cc.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/storage/records.h"
#include "daemon/util/clock.h"

namespace stockd::storage {

absl::StatusOr<std::vector<std::string>> ScanKeys(RedisConnection& redis,
                                                  const std::string& pattern, int page) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    absl::StatusOr<Reply> r =
        redis.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", absl::StrCat(page)});
    if (!r.ok()) return r.status();
    if (r->type != Reply::Type::kArray || r->elements.size() != 2) {
      return absl::UnavailableError(absl::StrCat("SCAN failed: ", r->str));
    }
    cursor = r->elements[0].str;
    for (Reply& k : r->elements[1].elements) keys.push_back(std::move(k.str));
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat
  return keys;
}

absl::Status ScanHash(RedisConnection& redis, const std::string& key, int page,
                      const std::function<absl::Status(std::string&, std::string&)>& fn) {
  std::string cursor = "0";
  do {
    absl::StatusOr<Reply> r = redis.Command({"HSCAN", key, cursor, "COUNT", absl::StrCat(page)});
    if (!r.ok()) return r.status();
    if (r->type == Reply::Type::kError) {
      return absl::DataLossError(absl::StrCat("redis key '", key, "': ", r->str));
    }
    if (r->type != Reply::Type::kArray || r->elements.size() != 2 ||
        r->elements[1].elements.size() % 2 != 0) {
      return absl::UnavailableError(absl::StrCat("HSCAN ", key, " failed"));
    }
    cursor = r->elements[0].str;
    std::vector<Reply>& kv = r->elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (absl::Status st = fn(kv[i].str, kv[i + 1].str); !st.ok()) return st;
    }
  } while (cursor != "0");
  return absl::OkStatus();
}

namespace {

absl::Status Corrupt(const std::string& key, const std::string& field, const absl::Status& why) {
  return absl::DataLossError(
      absl::StrCat("redis key '", key, "' field '", field, "': ", why.message()));
}

using FieldFn =
    std::function<absl::Status(const std::string& key, std::string& field, std::string& value)>;

// Every field of the hash `key`.
absl::Status ForEachField(RedisConnection& redis, const std::string& key, int page,
                          const FieldFn& fn) {
  return ScanHash(redis, key, page,
                  [&](std::string& field, std::string& value) { return fn(key, field, value); });
}

// Every field of every hash whose key matches the SCAN `pattern`.
absl::Status ForEachFieldOfKeys(RedisConnection& redis, const std::string& pattern, int page,
                                const FieldFn& fn) {
  absl::StatusOr<std::vector<std::string>> keys = ScanKeys(redis, pattern, page);
  if (!keys.ok()) return keys.status();
  for (const std::string& key : *keys) {
    if (absl::Status st = ForEachField(redis, key, page, fn); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// A field of a hash of hold id -> Hold (the open holds; schema 2's resolved buckets).
template <typename Keep>
absl::Status KeepHold(const std::string& key, const std::string& id, const std::string& value,
                      Keep& keep) {
  absl::StatusOr<engine::HoldView> h = DecodeHold(value);
  if (!h.ok()) return Corrupt(key, id, h.status());
  if (h->hold_id != id) return Corrupt(key, id, absl::DataLossError("hold id mismatch"));
  keep(std::move(*h));
  return absl::OkStatus();
}

// The movement history (moves:* buckets) into snap->movements, in apply order: by the
// sequence that names each group commit's field, then as the commit wrote them.
absl::Status LoadMovements(RedisConnection& redis, const KeyLayout& keys, int page,
                           engine::Snapshot* snap) {
  std::vector<std::pair<uint64_t, std::vector<engine::MovementRecord>>> batches;
  absl::Status st = ForEachFieldOfKeys(
      redis, keys.MovementsPattern(), page,
      [&](const std::string& key, std::string& field, std::string& value) {
        uint64_t sequence = 0;
        if (!absl::SimpleAtoi(field, &sequence)) {
          return Corrupt(key, field, absl::DataLossError("not a sequence"));
        }
        absl::StatusOr<std::vector<engine::MovementRecord>> ms = DecodeMovements(value);
        if (!ms.ok()) return Corrupt(key, field, ms.status());
        batches.emplace_back(sequence, std::move(*ms));
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  // stable: HSCAN may return a field twice (rehashing); the copies are equal, keep one
  std::stable_sort(batches.begin(), batches.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i > 0 && batches[i].first == batches[i - 1].first) continue;
    for (engine::MovementRecord& m : batches[i].second) snap->movements.push_back(std::move(m));
  }
  return absl::OkStatus();
}

// Stock alerts (docs/alerts.md): every SKU's alert state, and the newest alerts of the
// alerts stream (at most engine::Engine::kRecentAlerts, newest first).
absl::Status LoadAlerts(RedisConnection& redis, const KeyLayout& keys, int page,
                        engine::Snapshot* snap) {
  absl::flat_hash_map<std::string, engine::AlertStateView> states;
  const std::string state_key = keys.AlertState();
  absl::Status st = ScanHash(redis, state_key, page, [&](std::string& sku, std::string& value) {
    absl::StatusOr<engine::AlertStateView> v = DecodeAlertState(sku, value);
    if (!v.ok()) return Corrupt(state_key, sku, v.status());
    states[sku] = std::move(*v);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  for (auto& [sku, v] : states) snap->alert_states.push_back(std::move(v));

  const std::string stream = keys.Alerts();
  absl::StatusOr<Reply> read =
      redis.Command({"XREVRANGE", stream, "+", "-", "COUNT", absl::StrCat(kAlertStreamEntries)});
  if (!read.ok()) return read.status();
  if (read->is_error()) {
    return absl::UnavailableError(absl::StrCat("XREVRANGE ", stream, ": ", read->str));
  }
  for (const Reply& entry : read->elements) {
    if (entry.elements.size() != 2 || entry.elements[1].elements.size() != 2) {
      return absl::DataLossError(absl::StrCat("redis key '", stream, "': malformed entry"));
    }
    const std::string& id = entry.elements[0].str;
    absl::StatusOr<std::vector<engine::AlertEvent>> alerts =
        DecodeAlerts(entry.elements[1].elements[1].str);
    if (!alerts.ok()) return Corrupt(stream, id, alerts.status());
    // Newest entry first; within an entry the newest alert is last.
    for (auto it = alerts->rbegin(); it != alerts->rend(); ++it) {
      if (snap->recent_alerts.size() >= engine::Engine::kRecentAlerts) return absl::OkStatus();
      snap->recent_alerts.push_back(std::move(*it));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<engine::Snapshot> LoadSnapshot(RedisConnection& redis, const KeyLayout& keys,
                                              int page, LoadTimings* timings) {
  LoadTimings ignored;
  LoadTimings& t = timings != nullptr ? *timings : ignored;
  int64_t phase_start = util::MonotonicMs();
  // The time since the last call (or the start): the phase that just ended.
  auto lap = [&phase_start] {
    const int64_t now = util::MonotonicMs();
    const int64_t ms = now - phase_start;
    phase_start = now;
    return ms;
  };
  engine::Snapshot snap;
  absl::StatusOr<Reply> meta = redis.Command({"HGET", keys.Meta(), "sequence"});
  if (!meta.ok()) return meta.status();
  if (meta->type == Reply::Type::kString && !absl::SimpleAtoi(meta->str, &snap.sequence)) {
    return absl::DataLossError(absl::StrCat("redis key '", keys.Meta(), "': bad sequence"));
  }

  absl::flat_hash_map<std::string, engine::Counters> rows;
  const std::string stock_key = keys.Stock();
  absl::Status st = ScanHash(redis, stock_key, page, [&](std::string& field, std::string& value) {
    absl::StatusOr<engine::Counters> c = DecodeCounters(value);
    if (!c.ok()) return Corrupt(stock_key, field, c.status());
    std::string sku, location;
    if (!KeyLayout::SplitRowField(field, &sku, &location)) {
      return Corrupt(stock_key, field, absl::DataLossError("not \"<sku> <location>\""));
    }
    rows[field] = *c;
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  snap.rows.reserve(rows.size());
  for (auto& [field, counters] : rows) {
    engine::RowView row;
    KeyLayout::SplitRowField(field, &row.sku, &row.location);
    row.counters = counters;
    snap.rows.push_back(std::move(row));
  }
  t.rows_ms = lap();

  // Holds: the open hash and every resolved bucket; should a hold be in two places (a
  // crash can't do that, a hand edit can), the most recently updated copy wins.
  absl::flat_hash_map<std::string, engine::HoldView> holds;
  auto keep_hold = [&holds](engine::HoldView h) {
    auto [it, inserted] = holds.try_emplace(h.hold_id);
    if (inserted || h.updated_ms >= it->second.updated_ms) it->second = std::move(h);
  };
  st = ForEachField(redis, keys.OpenHolds(), page,
                    [&](const std::string& key, std::string& id, std::string& value) {
                      return KeepHold(key, id, value, keep_hold);
                    });
  if (!st.ok()) return st;
  st = ForEachFieldOfKeys(redis, keys.ResolvedPattern(), page,
                          [&](const std::string& key, std::string& field, std::string& value) {
                            absl::StatusOr<std::vector<engine::HoldView>> hs =
                                DecodeResolvedHolds(value);
                            if (!hs.ok()) return Corrupt(key, field, hs.status());
                            for (engine::HoldView& h : *hs) keep_hold(std::move(h));
                            return absl::OkStatus();
                          });
  if (!st.ok()) return st;
  st = ForEachFieldOfKeys(redis, keys.ResolvedHoldsPattern(), page,  // schema 2
                          [&](const std::string& key, std::string& id, std::string& value) {
                            return KeepHold(key, id, value, keep_hold);
                          });
  if (!st.ok()) return st;
  snap.holds.reserve(holds.size());
  for (auto& [id, hold] : holds) snap.holds.push_back(std::move(hold));
  t.holds_ms = lap();

  // Idempotency records: per group commit (schema 3), then per request (schema 2 data not
  // yet expired). A request id stored twice (used again after its record expired, the old
  // bucket not gone yet) is left to engine::Restore, which keeps the record that expires
  // last: a restart reads every request id of the idempotency window, and one record
  // each, shared with the engine, is what keeps that cheap (docs/storage.md).
  auto keep = [&snap](engine::IdempotencyRecord r) {
    snap.idempotency.push_back(std::make_shared<const engine::IdempotencyRecord>(std::move(r)));
  };
  st = ForEachFieldOfKeys(redis, keys.RequestsPattern(), page,
                          [&](const std::string& key, std::string& field, std::string& value) {
                            absl::StatusOr<std::vector<engine::IdempotencyRecord>> rs =
                                DecodeIdempotencyBatch(value);
                            if (!rs.ok()) return Corrupt(key, field, rs.status());
                            for (engine::IdempotencyRecord& r : *rs) keep(std::move(r));
                            return absl::OkStatus();
                          });
  if (!st.ok()) return st;
  st = ForEachFieldOfKeys(redis, keys.IdempotencyPattern(), page,  // schema 2
                          [&](const std::string& key, std::string& id, std::string& value) {
                            absl::StatusOr<engine::IdempotencyRecord> r =
                                DecodeIdempotency(id, value);
                            if (!r.ok()) return Corrupt(key, id, r.status());
                            keep(std::move(*r));
                            return absl::OkStatus();
                          });
  if (!st.ok()) return st;
  t.requests_ms = lap();

  // Orders: the open hash and every closed bucket; the latest revision wins (a closed
  // order revised again is in two buckets).
  absl::flat_hash_map<std::string, engine::OrderView> orders;
  auto keep_order = [&orders](engine::OrderView o) {
    auto [it, inserted] = orders.try_emplace(absl::StrCat(o.channel, " ", o.order_id));
    if (inserted || o.revision >= it->second.revision) it->second = std::move(o);
  };
  st = ForEachField(redis, keys.OpenOrders(), page,
                    [&](const std::string& key, std::string& field, std::string& value) {
                      absl::StatusOr<engine::OrderView> o = DecodeOrder(value);
                      if (!o.ok()) return Corrupt(key, field, o.status());
                      if (field != absl::StrCat(o->channel, " ", o->order_id)) {
                        return Corrupt(key, field, absl::DataLossError("order key mismatch"));
                      }
                      keep_order(std::move(*o));
                      return absl::OkStatus();
                    });
  if (!st.ok()) return st;
  st = ForEachFieldOfKeys(redis, keys.ClosedOrdersPattern(), page,
                          [&](const std::string& key, std::string& field, std::string& value) {
                            absl::StatusOr<std::vector<engine::OrderView>> os =
                                DecodeClosedOrders(value);
                            if (!os.ok()) return Corrupt(key, field, os.status());
                            for (engine::OrderView& o : *os) keep_order(std::move(o));
                            return absl::OkStatus();
                          });
  if (!st.ok()) return st;
  snap.orders.reserve(orders.size());
  for (auto& [key, order] : orders) snap.orders.push_back(std::move(order));
  t.orders_ms = lap();
  if (absl::Status st = LoadMovements(redis, keys, page, &snap); !st.ok()) return st;
  if (absl::Status st = LoadAlerts(redis, keys, page, &snap); !st.ok()) return st;
  t.history_ms = lap();
  return snap;
}

}  // namespace stockd::storage
