#include "daemon/storage/records.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/api/convert.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd::storage {

std::string KeyLayout::SkuOfStockKey(const std::string& key) const {
  const std::string head = prefix_ + ":{";
  const std::string tail = "}:stock";
  if (key.size() <= head.size() + tail.size() || key.compare(0, head.size(), head) != 0 ||
      key.compare(key.size() - tail.size(), tail.size(), tail) != 0) {
    return "";
  }
  return key.substr(head.size(), key.size() - head.size() - tail.size());
}

std::string EncodeCounters(const engine::Counters& c) {
  return absl::StrCat(c.on_hand, " ", c.held, " ", c.committed);
}

absl::StatusOr<engine::Counters> DecodeCounters(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ');
  engine::Counters c;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c.on_hand) ||
      !absl::SimpleAtoi(parts[1], &c.held) || !absl::SimpleAtoi(parts[2], &c.committed) ||
      c.on_hand < 0 || c.held < 0 || c.committed < 0) {
    return absl::DataLossError(absl::StrCat("bad counters '", text, "'"));
  }
  return c;
}

std::string EncodeHold(const engine::HoldView& hold) {
  v1::Hold h;
  api::ToProto(hold, &h);
  return h.SerializeAsString();
}

absl::StatusOr<engine::HoldView> DecodeHold(const std::string& bytes) {
  v1::Hold h;
  if (!h.ParseFromString(bytes) || h.hold_id().empty() ||
      h.state() == v1::HOLD_STATE_UNSPECIFIED) {
    return absl::DataLossError("undecodable hold");
  }
  return api::FromProto(h);
}

std::string EncodeIdempotency(const engine::IdempotencyRecord& record) {
  records::v1::StoredOutcome s;
  s.set_fingerprint(record.fingerprint);
  if (record.outcome.hold) {
    api::ToProto(*record.outcome.hold, s.mutable_hold());
  }
  for (const engine::RowView& r : record.outcome.before) api::ToProto(r, s.add_before());
  for (const engine::RowView& r : record.outcome.after) api::ToProto(r, s.add_after());
  s.set_breach(record.outcome.breach);
  s.set_breach_units(record.outcome.breach_units);
  s.set_expires_ms(record.expires_ms);
  return s.SerializeAsString();
}

absl::StatusOr<engine::IdempotencyRecord> DecodeIdempotency(const std::string& request_id,
                                                           const std::string& bytes) {
  records::v1::StoredOutcome s;
  if (!s.ParseFromString(bytes)) return absl::DataLossError("undecodable idempotency record");
  engine::IdempotencyRecord r;
  r.request_id = request_id;
  r.fingerprint = s.fingerprint();
  if (s.has_hold()) r.outcome.hold = api::FromProto(s.hold());
  for (const v1::StockRow& row : s.before()) r.outcome.before.push_back(api::FromProto(row));
  for (const v1::StockRow& row : s.after()) r.outcome.after.push_back(api::FromProto(row));
  r.outcome.breach = s.breach();
  r.outcome.breach_units = s.breach_units();
  r.expires_ms = s.expires_ms();
  return r;
}

std::string EncodeAudit(const engine::AuditEntry& entry) {
  v1::AuditEntry e;
  api::ToProto(entry, &e);
  return e.SerializeAsString();
}

void AppendRecordCommands(const KeyLayout& keys, const WriteOptions& options,
                          const engine::MutationRecord& record, std::vector<Args>* out) {
  for (const engine::RowView& row : record.rows) {
    out->push_back({"HSET", keys.Stock(row.sku), row.location, EncodeCounters(row.counters)});
  }
  for (const engine::HoldView& hold : record.holds) {
    if (engine::IsOpen(hold.state)) {
      out->push_back({"SET", keys.Hold(hold.hold_id), EncodeHold(hold)});
    } else {
      out->push_back({"SET", keys.Hold(hold.hold_id), EncodeHold(hold), "PXAT",
                      absl::StrCat(hold.updated_ms + options.hold_retention_ms)});
    }
  }
  if (record.idempotency) {
    out->push_back({"SET", keys.Idempotency(record.idempotency->request_id),
                    EncodeIdempotency(*record.idempotency), "PXAT",
                    absl::StrCat(record.idempotency->expires_ms)});
  }
  if (options.audit_max_len > 0) {
    out->push_back({"XADD", keys.Audit(), "MAXLEN", "~", absl::StrCat(options.audit_max_len), "*",
                    "e", EncodeAudit(record.audit)});
  }
}

namespace {

// SCANs every key matching `pattern`, handing each page of keys to `page_fn`.
absl::Status ScanAll(RedisConnection& redis, const std::string& pattern, int page,
                     const std::function<absl::Status(const std::vector<std::string>&)>& page_fn) {
  std::string cursor = "0";
  do {
    absl::StatusOr<Reply> r =
        redis.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", absl::StrCat(page)});
    if (!r.ok()) return r.status();
    if (r->type != Reply::Type::kArray || r->elements.size() != 2) {
      return absl::UnavailableError(absl::StrCat("SCAN failed: ", r->str));
    }
    cursor = r->elements[0].str;
    std::vector<std::string> keys;
    keys.reserve(r->elements[1].elements.size());
    for (const Reply& k : r->elements[1].elements) keys.push_back(k.str);
    if (!keys.empty()) {
      if (absl::Status st = page_fn(keys); !st.ok()) return st;
    }
  } while (cursor != "0");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> FetchAll(RedisConnection& redis, const char* command,
                                            const std::vector<std::string>& keys) {
  std::vector<Args> cmds;
  cmds.reserve(keys.size());
  for (const std::string& k : keys) cmds.push_back({command, k});
  return redis.Pipeline(cmds);
}

absl::Status Corrupt(const std::string& key, const absl::Status& why) {
  return absl::DataLossError(absl::StrCat("redis key '", key, "': ", why.message()));
}

}  // namespace

absl::StatusOr<engine::Snapshot> LoadSnapshot(RedisConnection& redis, const KeyLayout& keys,
                                              int page) {
  engine::Snapshot snap;
  absl::StatusOr<Reply> meta = redis.Command({"HGET", keys.Meta(), "sequence"});
  if (!meta.ok()) return meta.status();
  if (meta->type == Reply::Type::kString && !absl::SimpleAtoi(meta->str, &snap.sequence)) {
    return absl::DataLossError(absl::StrCat("redis key '", keys.Meta(), "': bad sequence"));
  }

  absl::Status st = ScanAll(redis, keys.StockPattern(), page, [&](const auto& page_keys) {
    absl::StatusOr<std::vector<Reply>> values = FetchAll(redis, "HGETALL", page_keys);
    if (!values.ok()) return values.status();
    for (size_t i = 0; i < page_keys.size(); ++i) {
      const Reply& v = (*values)[i];
      const std::string sku = keys.SkuOfStockKey(page_keys[i]);
      if (sku.empty() || v.type != Reply::Type::kArray || v.elements.size() % 2 != 0) {
        return Corrupt(page_keys[i], absl::DataLossError("not a stock hash"));
      }
      for (size_t f = 0; f + 1 < v.elements.size(); f += 2) {
        absl::StatusOr<engine::Counters> c = DecodeCounters(v.elements[f + 1].str);
        if (!c.ok()) return Corrupt(page_keys[i], c.status());
        snap.rows.push_back({sku, v.elements[f].str, *c});
      }
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;

  st = ScanAll(redis, keys.HoldPattern(), page, [&](const auto& page_keys) {
    absl::StatusOr<std::vector<Reply>> values = FetchAll(redis, "GET", page_keys);
    if (!values.ok()) return values.status();
    for (size_t i = 0; i < page_keys.size(); ++i) {
      if ((*values)[i].type == Reply::Type::kNil) continue;  // expired meanwhile
      absl::StatusOr<engine::HoldView> h = DecodeHold((*values)[i].str);
      if (!h.ok()) return Corrupt(page_keys[i], h.status());
      snap.holds.push_back(std::move(*h));
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;

  const std::string idem_head = keys.Idempotency("");  // "<p>:idem:{}"
  st = ScanAll(redis, keys.IdempotencyPattern(), page, [&](const auto& page_keys) {
    absl::StatusOr<std::vector<Reply>> values = FetchAll(redis, "GET", page_keys);
    if (!values.ok()) return values.status();
    for (size_t i = 0; i < page_keys.size(); ++i) {
      if ((*values)[i].type == Reply::Type::kNil) continue;
      const std::string& key = page_keys[i];
      // "<p>:idem:{" + id + "}"
      const size_t open = idem_head.size() - 1;
      if (key.size() < idem_head.size() || key.back() != '}') {
        return Corrupt(key, absl::DataLossError("not an idempotency key"));
      }
      std::string id = key.substr(open, key.size() - open - 1);
      absl::StatusOr<engine::IdempotencyRecord> r = DecodeIdempotency(id, (*values)[i].str);
      if (!r.ok()) return Corrupt(key, r.status());
      snap.idempotency.push_back(std::move(*r));
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return snap;
}

}  // namespace stockd::storage
