#include "daemon/storage/wire.h"

#include <cassert>
#include <cstdint>
#include <cstring>

namespace stockd::storage::wire {
namespace {

// Field numbers, as in proto/stockd/v1/stockd.proto and proto/stockd/storage/v1/records.proto.
namespace hold {
enum : int {
  kHoldId = 1,
  kChannel,
  kState,
  kLines,
  kCreatedMs,
  kDeadlineMs,
  kUpdatedMs,
  kReference
};
}
namespace line {
enum : int { kSku = 1, kLocation, kQty, kFulfilled };
}
namespace row {
enum : int { kSku = 1, kLocation, kOnHand, kHeld, kCommitted, kFree };
}
namespace audit {
enum : int {
  kSequence = 1,
  kTimeMs,
  kActor,
  kOperation,
  kRequestId,
  kChannel,
  kHoldId,
  kReason,
  kBefore,
  kAfter,
  kObservedAtMs
};
}
namespace outcome {
enum : int {
  kFingerprint = 1,
  kHold = 2,
  kBefore = 4,
  kAfter,
  kBreach,
  kBreachUnits,
  kExpiresMs,
  kRequestId
};
}
namespace holds {
enum : int { kHolds = 1 };
}
namespace outcomes {
enum : int { kOutcomes = 1 };
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

// Every message is described once, by a Visit* function over a Sink, and run twice: by a
// Sizer (its encoded size, so the buffer grows once and a nested message's length prefix
// is known before its body) and by a Writer. Both follow proto3's rules: a zero number or
// an empty string is left out; int64 is the varint of its two's complement (ten bytes
// when negative); a nested message is written whenever it is present.
class Sizer {
 public:
  size_t size() const { return size_; }
  void Int(int field, int64_t v) {
    if (v != 0) size_ += VarintSize(Tag(field)) + VarintSize(static_cast<uint64_t>(v));
  }
  void Bytes(int field, const std::string& s) {
    if (!s.empty()) size_ += VarintSize(Tag(field)) + VarintSize(s.size()) + s.size();
  }
  template <typename Body>
  void Message(int field, Body&& body) {
    Sizer inner;
    body(inner);
    size_ += VarintSize(Tag(field)) + VarintSize(inner.size()) + inner.size();
  }

 private:
  static uint64_t Tag(int field) { return static_cast<uint64_t>(field) << 3; }
  size_t size_ = 0;
};

// Writes into a buffer the Sizer sized (no per-byte appends).
class Writer {
 public:
  explicit Writer(char* at) : p_(at) {}
  char* at() const { return p_; }
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
  template <typename Body>
  void Message(int field, Body&& body) {
    Sizer inner;
    body(inner);
    Tag(field, kLengthDelimited);
    Varint(inner.size());
    body(*this);
  }

 private:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Tag(int field, int type) { Varint((static_cast<uint64_t>(field) << 3) | type); }
  char* p_;
};

template <typename Sink>
void VisitHold(Sink& s, const engine::HoldView& h) {
  s.Bytes(hold::kHoldId, h.hold_id);
  s.Bytes(hold::kChannel, h.channel);
  // engine::HoldState's values are StoredHoldState's numbers (tests/storage/wire_test.cc).
  s.Int(hold::kState, static_cast<int64_t>(h.state));
  for (const engine::Line& l : h.lines) {
    s.Message(hold::kLines, [&](auto& m) {
      m.Bytes(line::kSku, l.sku);
      m.Bytes(line::kLocation, l.location);
      m.Int(line::kQty, l.qty);
      m.Int(line::kFulfilled, l.fulfilled);
    });
  }
  s.Int(hold::kCreatedMs, h.created_ms);
  s.Int(hold::kDeadlineMs, h.deadline_ms);
  s.Int(hold::kUpdatedMs, h.updated_ms);
  s.Bytes(hold::kReference, h.reference);
}

template <typename Sink>
void VisitRows(Sink& s, int field, const std::vector<engine::RowView>& rows) {
  for (const engine::RowView& r : rows) {
    s.Message(field, [&](auto& m) {
      m.Bytes(row::kSku, r.sku);
      m.Bytes(row::kLocation, r.location);
      m.Int(row::kOnHand, r.counters.on_hand);
      m.Int(row::kHeld, r.counters.held);
      m.Int(row::kCommitted, r.counters.committed);
      m.Int(row::kFree, r.counters.free());
    });
  }
}

template <typename Sink>
void VisitAudit(Sink& s, const engine::AuditEntry& e) {
  s.Int(audit::kSequence, static_cast<int64_t>(e.sequence));
  s.Int(audit::kTimeMs, e.time_ms);
  s.Bytes(audit::kActor, e.actor);
  s.Bytes(audit::kOperation, e.operation);
  s.Bytes(audit::kRequestId, e.request_id);
  s.Bytes(audit::kChannel, e.channel);
  s.Bytes(audit::kHoldId, e.hold_id);
  s.Bytes(audit::kReason, e.reason);
  VisitRows(s, audit::kBefore, e.before);
  VisitRows(s, audit::kAfter, e.after);
  s.Int(audit::kObservedAtMs, e.observed_at_ms);
}

template <typename Sink>
void VisitStoredOutcome(Sink& s, const engine::IdempotencyRecord& r) {
  const engine::Outcome& o = r.outcome;
  s.Int(outcome::kFingerprint, static_cast<int64_t>(r.fingerprint));
  if (o.hold) s.Message(outcome::kHold, [&](auto& m) { VisitHold(m, *o.hold); });
  VisitRows(s, outcome::kBefore, o.before);
  VisitRows(s, outcome::kAfter, o.after);
  s.Int(outcome::kBreach, o.breach ? 1 : 0);
  s.Int(outcome::kBreachUnits, o.breach_units);
  s.Int(outcome::kExpiresMs, r.expires_ms);
  s.Bytes(outcome::kRequestId, r.request_id);
}

// Sizes `visit`'s message, grows `out` once by that much, and writes it at the old end.
template <typename Visit>
void Append(std::string* out, Visit&& visit) {
  Sizer sizer;
  visit(sizer);
  const size_t old = out->size();
  out->resize(old + sizer.size());
  Writer writer(out->data() + old);
  visit(writer);
  assert(writer.at() == out->data() + out->size());
}

}  // namespace

void AppendHold(const engine::HoldView& hold, std::string* out) {
  Append(out, [&](auto& s) { VisitHold(s, hold); });
}

void AppendAudit(const engine::AuditEntry& entry, std::string* out) {
  Append(out, [&](auto& s) { VisitAudit(s, entry); });
}

void AppendStoredOutcome(const engine::IdempotencyRecord& record, std::string* out) {
  Append(out, [&](auto& s) { VisitStoredOutcome(s, record); });
}

void AppendStoredHoldsEntry(const engine::HoldView& hold, std::string* out) {
  Append(out, [&](auto& s) { s.Message(holds::kHolds, [&](auto& m) { VisitHold(m, hold); }); });
}

void AppendStoredOutcomesEntry(const engine::IdempotencyRecord& record, std::string* out) {
  Append(out, [&](auto& s) {
    s.Message(outcomes::kOutcomes, [&](auto& m) { VisitStoredOutcome(m, record); });
  });
}

}  // namespace stockd::storage::wire
