// The fake marketplace's orders: an order book per channel with a change log, served by
// FakeChannelServer as `GET /orders` (the webhook protocol, adapters/README.md) and driven
// by tests and the demo (scripted calls, or RandomStep for a seeded random stream).
//
// An order follows the model of docs/orders.md: id, revision, status pending / accepted /
// shipped / cancelled, and lines with quantity, quantity_shipped, quantity_cancelled and
// location. Every change (placing, accepting, shipping, cancelling) gives the order the
// next revision (1, 2, 3, ... per order) and moves it to the end of its channel's change
// log: the log holds each order once, at its latest change. A cursor is a position in that
// log (opaque to readers; today a decimal sequence number): List(after) returns the orders
// whose latest change came after it, oldest change first.
//
// Like a real marketplace, the book lowers its own listing quantity (through `Stock`) when
// an order is placed, by each line's quantity, and gives units back when they are
// cancelled. The quantity never goes below 0: a line for more units than the listing
// shows is still taken (a marketplace that oversold), the units it could not take are
// recorded as an Oversell, and cancelling units of that line first cancels the oversold
// units (which give nothing back), then restores the rest. Shipping changes no quantity.
//
// Thread safety: every public method may be called from any thread. The Stock callbacks
// run with the book's lock held: they must not call back into the book.
#ifndef STOCKD_TESTS_FAKES_FAKE_ORDER_BOOK_H_
#define STOCKD_TESTS_FAKES_FAKE_ORDER_BOOK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace stockd::fakes {

enum class FakeOrderStatus { kPending, kAccepted, kShipped, kCancelled };

// "pending", "accepted", "shipped", "cancelled" (the protocol's words).
const char* FakeOrderStatusName(FakeOrderStatus status);

struct FakeOrderLine {
  std::string listing_id;
  int64_t quantity = 0;
  int64_t quantity_shipped = 0;
  int64_t quantity_cancelled = 0;
  std::string location;  // "" = not said
};

struct FakeOrder {
  std::string order_id;
  int64_t revision = 0;
  FakeOrderStatus status = FakeOrderStatus::kPending;
  std::vector<FakeOrderLine> lines;
};

// A line of PlaceOrder.
struct NewOrderLine {
  std::string listing_id;
  int64_t quantity = 1;  // >= 1
  std::string location;
};

// Units an order took that its listing did not show (the marketplace oversold).
struct Oversell {
  std::string channel;
  std::string order_id;
  std::string listing_id;
  int64_t units = 0;
};

// One page of List.
struct FakeOrderPage {
  std::vector<FakeOrder> orders;
  std::string next_cursor;  // the position of the page's last order (`after` if none)
  bool has_more = false;    // orders changed after next_cursor exist
};

// One order as `GET /orders` lists it (below).
nlohmann::ordered_json FakeOrderToJson(const FakeOrder& order);

// The page as `GET /orders` answers it: {"orders":[{"order_id","revision","status",
// "lines":[{"listing_id","quantity","quantity_shipped","quantity_cancelled","location"}]}],
// "next_cursor":"...","has_more":bool}.
std::string FakeOrderPageJson(const FakeOrderPage& page);

class FakeOrderBook {
 public:
  // The marketplace's own listing quantity per channel: `get` answers what it shows now
  // (0 when it has none), `set` stores a new value.
  struct Stock {
    std::function<int64_t(const std::string& channel, const std::string& listing_id)> get;
    std::function<void(const std::string& channel, const std::string& listing_id, int64_t quantity)>
        set;
  };

  explicit FakeOrderBook(Stock stock);
  FakeOrderBook(const FakeOrderBook&) = delete;
  FakeOrderBook& operator=(const FakeOrderBook&) = delete;

  // Places a new order (revision 1) as pending or accepted, lowering the listing
  // quantities. AlreadyExists for a known id; InvalidArgument for no lines, a quantity < 1
  // or an empty listing id, or a status other than pending / accepted.
  absl::Status PlaceOrder(const std::string& channel, const std::string& order_id,
                          const std::vector<NewOrderLine>& lines,
                          FakeOrderStatus status = FakeOrderStatus::kPending);
  // pending -> accepted (paid). FailedPrecondition from any other status.
  absl::Status AcceptOrder(const std::string& channel, const std::string& order_id);
  // Ships `more[i]` further units of line i (partial shipments allowed; status ->
  // shipped). The order must be accepted or shipped, `more` one entry per line, each >= 0,
  // not past the line's open units (quantity - shipped - cancelled), not all 0.
  absl::Status ShipOrder(const std::string& channel, const std::string& order_id,
                         const std::vector<int64_t>& more);
  // Cancels every open unit. The status becomes cancelled, or stays shipped when some units
  // were shipped. FailedPrecondition when no unit is open.
  absl::Status CancelOrder(const std::string& channel, const std::string& order_id);
  // Cancels `more[i]` further units of line i (rules as ShipOrder). The status becomes
  // cancelled once every unit of the order is cancelled, else it stays.
  absl::Status CancelLines(const std::string& channel, const std::string& order_id,
                           const std::vector<int64_t>& more);

  // The orders whose latest change came after `after` ("" = the start of the log), at most
  // `limit` (>= 1), oldest change first. InvalidArgument for a cursor it did not hand out.
  absl::StatusOr<FakeOrderPage> List(const std::string& channel, const std::string& after,
                                     size_t limit) const;
  // The order as it is now; NotFound when unknown.
  absl::StatusOr<FakeOrder> Get(const std::string& channel, const std::string& order_id) const;
  std::vector<Oversell> Oversells() const;

  // One random change on `channel` for the demo: place an order of 1-3 lines over
  // `listings` (1-3 units each), or accept, ship (partly) or cancel (whole or a line of) an
  // existing one. The same seed and calls give the same stream. Returns a one-line
  // description of the change.
  absl::StatusOr<std::string> RandomStep(const std::string& channel,
                                         const std::vector<std::string>& listings,
                                         std::mt19937_64* rng);

 private:
  struct Entry {
    FakeOrder order;
    int64_t seq = 0;                     // its position in the change log
    std::vector<int64_t> oversold_left;  // per line: oversold units not yet cancelled
  };
  struct Channel {
    int64_t next_seq = 1;
    std::map<int64_t, std::string> log;  // seq -> order id; one entry per order
    std::map<std::string, Entry> orders;
  };

  absl::StatusOr<Entry*> Find(const std::string& channel, const std::string& order_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives the order its next revision and moves it to the end of the change log.
  void Changed(const std::string& channel, Entry* entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks `more` against the open units of each line (what = "ship" / "cancel").
  static absl::Status CheckMore(const Entry& entry, const std::vector<int64_t>& more,
                                const char* what);
  // Cancels `more[i]` units of each line (checked), giving units back to the stock.
  void CancelUnits(const std::string& channel, Entry* entry, const std::vector<int64_t>& more)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Stock stock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Channel> channels_ ABSL_GUARDED_BY(mu_);
  std::vector<Oversell> oversells_ ABSL_GUARDED_BY(mu_);
  int64_t random_orders_ ABSL_GUARDED_BY(mu_) = 0;  // RandomStep's order numbers
};

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_FAKE_ORDER_BOOK_H_
