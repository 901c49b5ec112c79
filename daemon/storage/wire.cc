#include "daemon/storage/wire.h"

#include <cassert>
#include <cstdint>
#include <cstring>

namespace stockd::storage::wire {
namespace {

// Field numbers, as in proto/stockd/v1/stockd.proto and proto/stockd/storage/v1/records.proto.
namespace hold {
enum : int { kHoldId = 1, kChannel, kState, kLines, kCreatedMs, kDeadlineMs, kUpdatedMs, kReference };
}
namespace line {
enum : int { kSku = 1, kLocation, kQty, kFulfilled };
}
namespace row {
enum : int { kSku = 1, kLocation, kOnHand, kHeld, kCommitted, kFree };
}
namespace audit {
enum : int {
  kSequence = 1, kTimeMs, kActor, kOperation, kRequestId, kChannel, kHoldId, kReason,
  kBefore, kAfter
};
}
namespace outcome {
enum : int {
  kFingerprint = 1, kHold = 2, kBefore = 4, kAfter, kBreach, kBreachUnits, kExpiresMs,
  kRequestId
};
}
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Sizes of fields as proto3 writes them: a zero number or an empty string is left out.
// int64 is a varint of its two's complement (10 bytes when negative), as protobuf does.
size_t IntSize(int field, int64_t v) {
  return v == 0 ? 0 : VarintSize(static_cast<uint64_t>(field) << 3) +
                          VarintSize(static_cast<uint64_t>(v));
}
size_t BytesSize(int field, const std::string& s) {
  return s.empty() ? 0 : VarintSize(static_cast<uint64_t>(field) << 3) + VarintSize(s.size()) +
                             s.size();
}
// A nested message (always written when present, even when empty).
size_t MessageSize(int field, size_t body) {
  return VarintSize(static_cast<uint64_t>(field) << 3) + VarintSize(body) + body;
}

// Writes into a buffer sized beforehand from the *Size functions (one resize per
// message, no per-byte appends).
class Writer {
 public:
  explicit Writer(char* at) : p_(at) {}
  char* at() const { return p_; }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Tag(int field, int type) { Varint((static_cast<uint64_t>(field) << 3) | type); }
  void Int(int field, int64_t v) {
    if (v == 0) return;
    Tag(field, kVarint);
    Varint(static_cast<uint64_t>(v));
  }
  void Bytes(int field, const std::string& s) {
    if (s.empty()) return;
    Tag(field, kLengthDelimited);
    Varint(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void MessageHeader(int field, size_t body) {
    Tag(field, kLengthDelimited);
    Varint(body);
  }

 private:
  char* p_;
};

// Grows `out` by `size` bytes and runs `write` on a Writer at the old end; the sizes and
// the writes must agree (they are checked in debug builds and by tests/wire_test.cc).
template <typename Fn>
void AppendSized(std::string* out, size_t size, Fn&& write) {
  const size_t old = out->size();
  out->resize(old + size);
  Writer w(out->data() + old);
  write(w);
  assert(w.at() == out->data() + out->size());
}

size_t LineSize(const engine::Line& l) {
  return BytesSize(line::kSku, l.sku) + BytesSize(line::kLocation, l.location) +
         IntSize(line::kQty, l.qty) + IntSize(line::kFulfilled, l.fulfilled);
}

size_t HoldSize(const engine::HoldView& h) {
  size_t n = BytesSize(hold::kHoldId, h.hold_id) + BytesSize(hold::kChannel, h.channel) +
             IntSize(hold::kState, static_cast<int64_t>(h.state));
  for (const engine::Line& l : h.lines) n += MessageSize(hold::kLines, LineSize(l));
  return n + IntSize(hold::kCreatedMs, h.created_ms) + IntSize(hold::kDeadlineMs, h.deadline_ms) +
         IntSize(hold::kUpdatedMs, h.updated_ms) + BytesSize(hold::kReference, h.reference);
}

void WriteHold(Writer& w, const engine::HoldView& h) {
  w.Bytes(hold::kHoldId, h.hold_id);
  w.Bytes(hold::kChannel, h.channel);
  // engine::HoldState's values are stockd.v1.HoldState's numbers (tests/wire_test.cc).
  w.Int(hold::kState, static_cast<int64_t>(h.state));
  for (const engine::Line& l : h.lines) {
    w.MessageHeader(hold::kLines, LineSize(l));
    w.Bytes(line::kSku, l.sku);
    w.Bytes(line::kLocation, l.location);
    w.Int(line::kQty, l.qty);
    w.Int(line::kFulfilled, l.fulfilled);
  }
  w.Int(hold::kCreatedMs, h.created_ms);
  w.Int(hold::kDeadlineMs, h.deadline_ms);
  w.Int(hold::kUpdatedMs, h.updated_ms);
  w.Bytes(hold::kReference, h.reference);
}

size_t RowSize(const engine::RowView& r) {
  return BytesSize(row::kSku, r.sku) + BytesSize(row::kLocation, r.location) +
         IntSize(row::kOnHand, r.counters.on_hand) + IntSize(row::kHeld, r.counters.held) +
         IntSize(row::kCommitted, r.counters.committed) + IntSize(row::kFree, r.counters.free());
}

void WriteRows(Writer& w, int field, const std::vector<engine::RowView>& rows) {
  for (const engine::RowView& r : rows) {
    w.MessageHeader(field, RowSize(r));
    w.Bytes(row::kSku, r.sku);
    w.Bytes(row::kLocation, r.location);
    w.Int(row::kOnHand, r.counters.on_hand);
    w.Int(row::kHeld, r.counters.held);
    w.Int(row::kCommitted, r.counters.committed);
    w.Int(row::kFree, r.counters.free());
  }
}

size_t RowsSize(int field, const std::vector<engine::RowView>& rows) {
  size_t n = 0;
  for (const engine::RowView& r : rows) n += MessageSize(field, RowSize(r));
  return n;
}

size_t StoredOutcomeSize(const engine::IdempotencyRecord& r) {
  const engine::Outcome& o = r.outcome;
  size_t n = IntSize(outcome::kFingerprint, static_cast<int64_t>(r.fingerprint));
  if (o.hold) n += MessageSize(outcome::kHold, HoldSize(*o.hold));
  return n + RowsSize(outcome::kBefore, o.before) + RowsSize(outcome::kAfter, o.after) +
         IntSize(outcome::kBreach, o.breach ? 1 : 0) +
         IntSize(outcome::kBreachUnits, o.breach_units) + IntSize(outcome::kExpiresMs, r.expires_ms) +
         BytesSize(outcome::kRequestId, r.request_id);
}

void WriteStoredOutcome(Writer& w, const engine::IdempotencyRecord& r) {
  const engine::Outcome& o = r.outcome;
  w.Int(outcome::kFingerprint, static_cast<int64_t>(r.fingerprint));
  if (o.hold) {
    w.MessageHeader(outcome::kHold, HoldSize(*o.hold));
    WriteHold(w, *o.hold);
  }
  WriteRows(w, outcome::kBefore, o.before);
  WriteRows(w, outcome::kAfter, o.after);
  w.Int(outcome::kBreach, o.breach ? 1 : 0);
  w.Int(outcome::kBreachUnits, o.breach_units);
  w.Int(outcome::kExpiresMs, r.expires_ms);
  w.Bytes(outcome::kRequestId, r.request_id);
}

size_t AuditSize(const engine::AuditEntry& e) {
  return IntSize(audit::kSequence, static_cast<int64_t>(e.sequence)) +
         IntSize(audit::kTimeMs, e.time_ms) + BytesSize(audit::kActor, e.actor) +
         BytesSize(audit::kOperation, e.operation) + BytesSize(audit::kRequestId, e.request_id) +
         BytesSize(audit::kChannel, e.channel) + BytesSize(audit::kHoldId, e.hold_id) +
         BytesSize(audit::kReason, e.reason) + RowsSize(audit::kBefore, e.before) +
         RowsSize(audit::kAfter, e.after);
}

}  // namespace

void AppendHold(const engine::HoldView& hold, std::string* out) {
  AppendSized(out, HoldSize(hold), [&](Writer& w) { WriteHold(w, hold); });
}

void AppendAudit(const engine::AuditEntry& e, std::string* out) {
  AppendSized(out, AuditSize(e), [&](Writer& w) {
    w.Int(audit::kSequence, static_cast<int64_t>(e.sequence));
    w.Int(audit::kTimeMs, e.time_ms);
    w.Bytes(audit::kActor, e.actor);
    w.Bytes(audit::kOperation, e.operation);
    w.Bytes(audit::kRequestId, e.request_id);
    w.Bytes(audit::kChannel, e.channel);
    w.Bytes(audit::kHoldId, e.hold_id);
    w.Bytes(audit::kReason, e.reason);
    WriteRows(w, audit::kBefore, e.before);
    WriteRows(w, audit::kAfter, e.after);
  });
}

void AppendStoredOutcome(const engine::IdempotencyRecord& record, std::string* out) {
  AppendSized(out, StoredOutcomeSize(record), [&](Writer& w) { WriteStoredOutcome(w, record); });
}

void AppendStoredOutcomesEntry(const engine::IdempotencyRecord& record, std::string* out) {
  const size_t body = StoredOutcomeSize(record);
  AppendSized(out, MessageSize(1, body), [&](Writer& w) {
    w.MessageHeader(1, body);
    WriteStoredOutcome(w, record);
  });
}

}  // namespace stockd::storage::wire
