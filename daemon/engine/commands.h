// Mutation commands the engine executes and the values it returns. Plain data, copied
// freely. Names (sku, location, channel) are strings here; the engine resolves them and
// answers NOT_FOUND / INVALID_ARGUMENT for unknown or malformed ones.
#ifndef STOCKD_DAEMON_ENGINE_COMMANDS_H_
#define STOCKD_DAEMON_ENGINE_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/engine/availability.h"

namespace stockd::engine {

enum class HoldState { kHeld = 1, kCommitted, kReleased, kExpired, kFulfilled, kCancelled };
const char* HoldStateName(HoldState state);
inline bool IsOpen(HoldState s) { return s == HoldState::kHeld || s == HoldState::kCommitted; }

enum class AdjustReason { kUnspecified = 0, kReceipt, kReturn, kDamage, kShrinkage, kCorrection };
const char* AdjustReasonName(AdjustReason reason);

// Largest quantity (or |delta|) accepted anywhere; larger is INVALID_ARGUMENT.
inline constexpr int64_t kMaxQuantity = 1'000'000'000'000;
// Longest free text (reference, note) accepted; longer is INVALID_ARGUMENT.
inline constexpr size_t kMaxTextBytes = 256;

struct Line {
  std::string sku;
  std::string location;  // optional on Reserve; always set in results
  int64_t qty = 0;
  int64_t fulfilled = 0;  // holds only: units of qty already fulfilled
};

// Fields every mutation carries.
struct CommandMeta {
  std::string request_id;  // empty = not idempotent
  std::string actor;       // who, for the audit log
};

struct ReserveCmd {
  std::string channel;
  std::vector<Line> lines;
  int64_t ttl_ms = 0;  // 0 = default
  std::string reference;
  // Every line whole from one location, even where the channel splits lines (click &
  // collect: the customer collects one parcel).
  bool single_location = false;
};
struct ExtendCmd {
  std::string hold_id;
  int64_t ttl_ms = 0;
};
// Commit and Fulfill lines name a SKU of the hold and a quantity; a location picks that
// location's part of a line split over sources (a SKU held at one location ignores it),
// none spreads the quantity over the SKU's parts in the hold's order.
struct CommitCmd {
  std::string hold_id;
  std::vector<Line> lines;  // empty = whole hold
};
struct ReleaseCmd {
  std::string hold_id;
};
struct FulfillCmd {
  std::string hold_id;
  std::vector<Line> lines;  // empty = everything committed
};
struct CancelCmd {
  std::string hold_id;
};
struct SellCmd {
  std::string channel;
  std::string location;
  std::string sku;
  int64_t qty = 0;
  bool override_limit = false;
  std::string reference;
};
struct AdjustCmd {
  std::string location;
  std::string sku;
  int64_t delta = 0;
  AdjustReason reason = AdjustReason::kUnspecified;
  std::string note;
};
struct CountCmd {
  std::string location;
  std::string sku;
  int64_t on_hand = 0;
  std::optional<int64_t> expected;
  std::string note;
  // When the units were counted (ms since the epoch); 0 = now. A count observed in the
  // past sets on_hand to the counted units plus every on_hand movement at the location
  // recorded after it (docs/design.md, "Counts observed in the past").
  int64_t observed_at_ms = 0;
};
struct TransferCmd {
  std::string from_location;
  std::string to_location;
  std::string sku;
  int64_t qty = 0;
  std::string note;
};
// Internal: the daemon releasing a HELD hold at its deadline.
struct ExpireCmd {
  std::string hold_id;
};
// Internal: a kit's published quantity on a channel dropped to 0 (sold out) or came back
// to AlertOptions::back_in_stock_at (docs/kits.md, "Alerts"). Raised by the kit
// announcer, sealed as a mutation without rows (a kit has no stock of its own).
struct KitAlertCmd {
  int kit = -1;      // index into the model's kits (fixed until a restart)
  int channel = -1;  // index into the model's channels (a reload only appends)
  bool sold_out = false;  // false: back in stock
  int64_t previous = 0;   // the published quantity it had (sold out: the last above 0)
  int64_t published = 0;
};

// ---------------------------------------------------------------- orders (docs/orders.md)

// An order's status on its channel.
enum class OrderStatus { kPending = 1, kAccepted, kShipped, kCancelled };
const char* OrderStatusName(OrderStatus status);  // "pending", "accepted", ...

// One line of an order revision, its listing already mapped to a SKU. A line naming a
// kit (docs/kits.md, "Orders") counts kits; the engine applies it as one line per
// component, in component units, every component from one location.
struct OrderLineCmd {
  std::string sku;
  std::string location;   // where the channel ships it from; "" = the channel's sources
  int64_t qty = 0;        // ordered, >= 1
  int64_t shipped = 0;    // 0..qty
  int64_t cancelled = 0;  // 0..qty - shipped
  // Set by the engine on the component lines it makes of a kit line (callers leave them
  // empty: the engine overwrites them): the kit's SKU and this component's units per kit.
  std::string kit;
  int64_t per_kit = 0;
};

// Applies one revision of a channel's order: the engine moves the order's one hold to
// what the revision says (pending: held; accepted: committed; shipped quantities
// fulfilled; cancelled quantities released or cancelled). Orders are facts and never
// refused for want of stock: what the channel's avail cannot cover is taken from free
// stock and recorded as a breach; what free stock cannot cover is a backorder. A
// revision not newer than the last one applied changes nothing (the outcome says
// `order_stale`) unless `recheck` is set and the revision is the last one: then the
// order's backorders are covered again from the stock there is now.
struct ApplyOrderCmd {
  std::string channel;
  std::string order_id;  // the channel's; 1..128 bytes, no whitespace or control bytes
  int64_t revision = 0;  // >= 1
  OrderStatus status = OrderStatus::kPending;
  std::vector<OrderLineCmd> lines;  // 1..max_lines
  bool recheck = false;
};

using CommandBody =
    std::variant<ReserveCmd, ExtendCmd, CommitCmd, ReleaseCmd, FulfillCmd, CancelCmd, SellCmd,
                 AdjustCmd, CountCmd, TransferCmd, ExpireCmd, ApplyOrderCmd, KitAlertCmd>;

struct Command {
  CommandMeta meta;
  CommandBody body;
};

// Operation name for logs and audit ("reserve", "sell", ...).
const char* CommandName(const CommandBody& body);

// Stable 64-bit fingerprint of a command's body (not its meta), used to tell a replay
// from a misuse of a request_id. Stable across processes and versions of the daemon
// that keep the field set.
uint64_t Fingerprint(const CommandBody& body);

// ---------------------------------------------------------------- results

struct RowView {
  std::string sku;
  std::string location;
  Counters counters;
};

struct HoldView {
  std::string hold_id;
  std::string channel;
  HoldState state = HoldState::kHeld;
  std::vector<Line> lines;
  int64_t created_ms = 0;
  int64_t deadline_ms = 0;
  int64_t updated_ms = 0;
  std::string reference;
};

// One line of an order as stockd applied it.
struct OrderLineView {
  std::string sku;
  std::string location;  // where its units are taken from (fixed at first sight)
  int64_t qty = 0;       // as the last applied revision said
  int64_t shipped = 0;
  int64_t cancelled = 0;
  int64_t open = 0;       // units the order's hold keeps for it (held or committed)
  int64_t fulfilled = 0;  // units it took off on_hand
  int64_t breach = 0;     // units taken beyond the channel's avail, over the order's life
  int64_t backorder = 0;  // open units no stock covers now
  int64_t unstocked = 0;  // shipped units that were never in stock here (count needed)
  // A component line of a kit the channel's line named: the kit's SKU and this
  // component's units per kit (qty and the counts above are in component units).
  std::string kit;
  int64_t per_kit = 0;
};

// An order as stockd applied it: the engine's order table entry (durable, restored).
struct OrderView {
  std::string channel;
  std::string order_id;
  int64_t revision = 0;  // the last applied
  OrderStatus status = OrderStatus::kPending;
  std::string hold_id;  // the order's hold
  std::vector<OrderLineView> lines;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // Breach, backorder or unstocked units on any line: shown as a problem.
  bool has_problem() const;
  // The hold no longer keeps anything and nothing is owed (fulfilled, cancelled).
  bool closed = false;
};

// An applied order revision, as ChangeListeners and the journal see it.
struct OrderEvent {
  // What the revision changed on one line of the order (only lines with a change here).
  struct LineChange {
    size_t line = 0;               // index into order.lines
    int64_t new_breach = 0;        // units taken beyond the channel's avail
    int64_t new_unstocked = 0;     // shipped units no stock was found for
    int64_t backorder_before = 0;  // open units uncovered before the revision
    int64_t backorder_after = 0;   // and after it
  };
  OrderView order;                 // after the revision
  int64_t new_breach = 0;          // units this revision took beyond the channel's avail
  int64_t new_unstocked = 0;       // shipped units this revision found no stock for
  int64_t backorder = 0;           // open units uncovered after the revision
  int64_t previous_backorder = 0;  // and before it
  std::vector<LineChange> lines;   // per line: the four above, where one of them moved
  int64_t time_ms = 0;
};

// The result of a successful mutation. Which fields are set depends on the command:
// hold commands set `hold`; Sell/Adjust/Count set one row in before/after; Transfer sets
// before/after for {from, to}.
struct Outcome {
  std::optional<HoldView> hold;
  std::vector<RowView> before;
  std::vector<RowView> after;
  bool breach = false;
  int64_t breach_units = 0;
  // ApplyOrder: the order after it; `order_stale` when the revision was not newer than
  // the last applied (nothing changed). Not kept in the stored idempotency record: a
  // replay answers without them.
  std::optional<OrderView> order;
  bool order_stale = false;
  // Answered from the idempotency table: the first result of this request id, returned
  // again; nothing was applied by this call.
  bool replayed = false;
};

struct AuditEntry {
  uint64_t sequence = 0;
  int64_t time_ms = 0;
  std::string actor;
  std::string operation;
  std::string request_id;
  std::string channel;
  std::string hold_id;
  std::string reason;
  std::vector<RowView> before;
  std::vector<RowView> after;
  // A Count: when its units were counted (time_ms for a count of now); 0 otherwise.
  int64_t observed_at_ms = 0;
};

// A published quantity that changed.
struct PublishedChange {
  std::string channel;
  std::string sku;
  int64_t previous = 0;
  int64_t published = 0;
  int64_t reservable = 0;
  int64_t time_ms = 0;
};

// A stock alert a mutation raised (docs/alerts.md).
enum class AlertKind { kReorder = 1, kSoldOut, kBackInStock, kUncovered, kBreach };
inline constexpr AlertKind kAlertKinds[] = {AlertKind::kReorder, AlertKind::kSoldOut,
                                            AlertKind::kBackInStock, AlertKind::kUncovered,
                                            AlertKind::kBreach};
const char* AlertKindName(AlertKind kind);  // "reorder", "sold_out", ...

struct AlertEvent {
  AlertKind kind = AlertKind::kReorder;
  std::string sku;
  std::string location;  // reorder at a location, uncovered; "" for a SKU overall
  std::string channel;   // sold_out, back_in_stock, breach (the channel that sold)
  int64_t time_ms = 0;
  uint64_t sequence = 0;  // the mutation's
  // reorder, uncovered: the free units (on_hand - held - committed) at the location, or
  // summed over every location; the reorder point; the velocity in units per day.
  int64_t free = 0;
  int64_t point = 0;
  double velocity = 0;
  // sold_out, back_in_stock: the channel's published quantity before and after.
  int64_t previous_published = 0;
  int64_t published = 0;
  // breach: the units taken beyond the channel's avail; the order, for an inbound order.
  int64_t units = 0;
  std::string order_id;
  // uncovered: the open holds with units at the location, the holds at risk (sorted, at
  // most kMaxHoldsNamed), and how many there are in all.
  static constexpr size_t kMaxHoldsNamed = 100;
  std::vector<std::string> hold_ids;
  int64_t holds_at_risk = 0;
};
// Days the free units last at the velocity: 0 when none are free, infinity when the SKU
// has not sold (ListAlerts' order; the API shows infinity as -1).
double DaysOfCover(const AlertEvent& a);

// A SKU's alert state as it is stored (docs/alerts.md): each row's velocity and raised
// keys, the overall reorder key, and the channels it is sold out on.
struct AlertRowStateView {
  std::string location;
  double velocity = 0;  // units per day as of velocity_at_ms
  int64_t velocity_at_ms = 0;
  bool reorder_raised = false;
  bool uncovered_raised = false;
};
struct AlertStateView {
  std::string sku;
  std::vector<AlertRowStateView> rows;  // rows with a velocity or a raised key
  bool total_reorder_raised = false;
  std::vector<std::string> sold_out;  // channel ids
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_COMMANDS_H_
