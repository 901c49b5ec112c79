#include "daemon/engine/commands.h"

#include <limits>
#include <type_traits>

namespace stockd::engine {

const char* HoldStateName(HoldState state) {
  switch (state) {
    case HoldState::kHeld:
      return "HELD";
    case HoldState::kCommitted:
      return "COMMITTED";
    case HoldState::kReleased:
      return "RELEASED";
    case HoldState::kExpired:
      return "EXPIRED";
    case HoldState::kFulfilled:
      return "FULFILLED";
    case HoldState::kCancelled:
      return "CANCELLED";
  }
  return "?";
}

const char* AdjustReasonName(AdjustReason reason) {
  switch (reason) {
    case AdjustReason::kUnspecified:
      return "unspecified";
    case AdjustReason::kReceipt:
      return "receipt";
    case AdjustReason::kReturn:
      return "return";
    case AdjustReason::kDamage:
      return "damage";
    case AdjustReason::kShrinkage:
      return "shrinkage";
    case AdjustReason::kCorrection:
      return "correction";
  }
  return "?";
}

const char* AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kReorder:
      return "reorder";
    case AlertKind::kSoldOut:
      return "sold_out";
    case AlertKind::kBackInStock:
      return "back_in_stock";
    case AlertKind::kUncovered:
      return "uncovered";
    case AlertKind::kBreach:
      return "breach";
  }
  return "unknown";
}

double DaysOfCover(const AlertEvent& a) {
  if (a.free <= 0) return 0;
  if (a.velocity <= 0) return std::numeric_limits<double>::infinity();
  return static_cast<double>(a.free) / a.velocity;
}

const char* OrderStatusName(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPending:
      return "pending";
    case OrderStatus::kAccepted:
      return "accepted";
    case OrderStatus::kShipped:
      return "shipped";
    case OrderStatus::kCancelled:
      return "cancelled";
  }
  return "?";
}

bool OrderView::has_problem() const {
  for (const OrderLineView& l : lines) {
    if (l.breach > 0 || l.backorder > 0 || l.unstocked > 0) return true;
  }
  return false;
}

const char* CommandName(const CommandBody& body) {
  static constexpr const char* kNames[] = {"reserve", "extend",   "commit", "release",
                                           "fulfill", "cancel",   "sell",   "adjust",
                                           "count",   "transfer", "expire", "order",
                                           "alert"};
  static_assert(std::size(kNames) == std::variant_size_v<CommandBody>);
  return kNames[body.index()];
}

namespace {

// FNV-1a over a length-prefixed field encoding: stable across processes and builds.
class Fnv {
 public:
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ULL;
    }
  }
  void Int(int64_t v) { Bytes(&v, sizeof v); }
  void Str(const std::string& s) {
    Int(static_cast<int64_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Lines(const std::vector<Line>& lines) {
    Int(static_cast<int64_t>(lines.size()));
    for (const Line& l : lines) {
      Str(l.sku);
      Str(l.location);
      Int(l.qty);
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

uint64_t Fingerprint(const CommandBody& body) {
  Fnv f;
  f.Int(static_cast<int64_t>(body.index()));
  std::visit(
      [&f](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, ReserveCmd>) {
          f.Str(c.channel);
          f.Lines(c.lines);
          f.Int(c.ttl_ms);
          f.Str(c.reference);
          // Only when set: the fingerprints of requests stored before the flag existed
          // stay what they were.
          if (c.single_location) f.Int(1);
        } else if constexpr (std::is_same_v<T, ExtendCmd>) {
          f.Str(c.hold_id);
          f.Int(c.ttl_ms);
        } else if constexpr (std::is_same_v<T, CommitCmd> || std::is_same_v<T, FulfillCmd>) {
          f.Str(c.hold_id);
          f.Lines(c.lines);
        } else if constexpr (std::is_same_v<T, ReleaseCmd> || std::is_same_v<T, CancelCmd> ||
                             std::is_same_v<T, ExpireCmd>) {
          f.Str(c.hold_id);
        } else if constexpr (std::is_same_v<T, SellCmd>) {
          f.Str(c.channel);
          f.Str(c.location);
          f.Str(c.sku);
          f.Int(c.qty);
          f.Int(c.override_limit ? 1 : 0);
          f.Str(c.reference);
        } else if constexpr (std::is_same_v<T, AdjustCmd>) {
          f.Str(c.location);
          f.Str(c.sku);
          f.Int(c.delta);
          f.Int(static_cast<int64_t>(c.reason));
          f.Str(c.note);
        } else if constexpr (std::is_same_v<T, CountCmd>) {
          f.Str(c.location);
          f.Str(c.sku);
          f.Int(c.on_hand);
          f.Int(c.expected ? 1 : 0);
          f.Int(c.expected.value_or(0));
          f.Str(c.note);
          // Only when set: a count without it keeps the fingerprint it had before the
          // field existed (request ids stored by an older daemon still replay).
          if (c.observed_at_ms != 0) f.Int(c.observed_at_ms);
        } else if constexpr (std::is_same_v<T, TransferCmd>) {
          f.Str(c.from_location);
          f.Str(c.to_location);
          f.Str(c.sku);
          f.Int(c.qty);
          f.Str(c.note);
        } else if constexpr (std::is_same_v<T, ApplyOrderCmd>) {
          f.Str(c.channel);
          f.Str(c.order_id);
          f.Int(c.revision);
          f.Int(static_cast<int64_t>(c.status));
          f.Int(static_cast<int64_t>(c.lines.size()));
          for (const OrderLineCmd& l : c.lines) {
            f.Str(l.sku);
            f.Str(l.location);
            f.Int(l.qty);
            f.Int(l.shipped);
            f.Int(l.cancelled);
          }
          f.Int(c.recheck ? 1 : 0);
        } else if constexpr (std::is_same_v<T, KitAlertCmd>) {
          f.Int(c.kit);
          f.Int(c.channel);
          f.Int(c.sold_out ? 1 : 0);
          f.Int(c.previous);
          f.Int(c.published);
        }
      },
      body);
  return f.value();
}

}  // namespace stockd::engine
