#include "tests/fakes/fake_order_book.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace stockd::fakes {

const char* FakeOrderStatusName(FakeOrderStatus status) {
  switch (status) {
    case FakeOrderStatus::kPending:
      return "pending";
    case FakeOrderStatus::kAccepted:
      return "accepted";
    case FakeOrderStatus::kShipped:
      return "shipped";
    case FakeOrderStatus::kCancelled:
      return "cancelled";
  }
  return "?";
}

nlohmann::ordered_json FakeOrderToJson(const FakeOrder& order) {
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const FakeOrderLine& l : order.lines) {
    lines.push_back({{"listing_id", l.listing_id},
                     {"quantity", l.quantity},
                     {"quantity_shipped", l.quantity_shipped},
                     {"quantity_cancelled", l.quantity_cancelled},
                     {"location", l.location}});
  }
  return {{"order_id", order.order_id},
          {"revision", order.revision},
          {"status", FakeOrderStatusName(order.status)},
          {"lines", std::move(lines)}};
}

std::string FakeOrderPageJson(const FakeOrderPage& page) {
  nlohmann::ordered_json orders = nlohmann::ordered_json::array();
  for (const FakeOrder& order : page.orders) orders.push_back(FakeOrderToJson(order));
  return nlohmann::ordered_json{
      {"orders", std::move(orders)}, {"next_cursor", page.next_cursor}, {"has_more", page.has_more}}
      .dump();
}

FakeOrderBook::FakeOrderBook(Stock stock) : stock_(std::move(stock)) {}

absl::StatusOr<FakeOrderBook::Entry*> FakeOrderBook::Find(const std::string& channel,
                                                          const std::string& order_id) {
  const auto c = channels_.find(channel);
  if (c != channels_.end()) {
    if (const auto it = c->second.orders.find(order_id); it != c->second.orders.end()) {
      return &it->second;
    }
  }
  return absl::NotFoundError(absl::StrCat("no order '", order_id, "' on channel '", channel, "'"));
}

void FakeOrderBook::Changed(const std::string& channel, Entry* entry) {
  Channel& c = channels_[channel];
  if (entry->seq != 0) c.log.erase(entry->seq);
  entry->seq = c.next_seq++;
  ++entry->order.revision;
  c.log[entry->seq] = entry->order.order_id;
}

absl::Status FakeOrderBook::PlaceOrder(const std::string& channel, const std::string& order_id,
                                       const std::vector<NewOrderLine>& lines,
                                       FakeOrderStatus status) {
  if (order_id.empty()) return absl::InvalidArgumentError("an order needs an id");
  if (lines.empty()) return absl::InvalidArgumentError("an order needs at least one line");
  if (status != FakeOrderStatus::kPending && status != FakeOrderStatus::kAccepted) {
    return absl::InvalidArgumentError("an order is placed pending or accepted");
  }
  for (const NewOrderLine& line : lines) {
    if (line.listing_id.empty() || line.quantity < 1) {
      return absl::InvalidArgumentError("each line needs a listing id and a quantity >= 1");
    }
  }
  absl::MutexLock lock(&mu_);
  Channel& c = channels_[channel];
  if (c.orders.count(order_id) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("order '", order_id, "' exists"));
  }
  Entry& entry = c.orders[order_id];
  entry.order.order_id = order_id;
  entry.order.status = status;
  for (const NewOrderLine& line : lines) {
    entry.order.lines.push_back({line.listing_id, line.quantity, 0, 0, line.location});
    const int64_t shown = std::max<int64_t>(stock_.get(channel, line.listing_id), 0);
    const int64_t taken = std::min(shown, line.quantity);
    stock_.set(channel, line.listing_id, shown - taken);
    entry.oversold_left.push_back(line.quantity - taken);
    if (taken < line.quantity) {
      oversells_.push_back({channel, order_id, line.listing_id, line.quantity - taken});
    }
  }
  Changed(channel, &entry);
  return absl::OkStatus();
}

absl::Status FakeOrderBook::AcceptOrder(const std::string& channel, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Entry*> entry = Find(channel, order_id);
  if (!entry.ok()) return entry.status();
  if ((*entry)->order.status != FakeOrderStatus::kPending) {
    return absl::FailedPreconditionError(absl::StrCat("order '", order_id, "' is ",
                                                      FakeOrderStatusName((*entry)->order.status),
                                                      ", not pending"));
  }
  (*entry)->order.status = FakeOrderStatus::kAccepted;
  Changed(channel, *entry);
  return absl::OkStatus();
}

absl::Status FakeOrderBook::CheckMore(const Entry& entry, const std::vector<int64_t>& more,
                                      const char* what) {
  const std::vector<FakeOrderLine>& lines = entry.order.lines;
  if (more.size() != lines.size()) {
    return absl::InvalidArgumentError(absl::StrCat("order '", entry.order.order_id, "' has ",
                                                   lines.size(), " lines, got ", more.size()));
  }
  bool any = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t open =
        lines[i].quantity - lines[i].quantity_shipped - lines[i].quantity_cancelled;
    if (more[i] < 0 || more[i] > open) {
      return absl::InvalidArgumentError(absl::StrCat("cannot ", what, " ", more[i],
                                                     " units of line ", i, " of order '",
                                                     entry.order.order_id, "': ", open, " open"));
    }
    any = any || more[i] > 0;
  }
  if (!any) return absl::InvalidArgumentError(absl::StrCat("nothing to ", what));
  return absl::OkStatus();
}

absl::Status FakeOrderBook::ShipOrder(const std::string& channel, const std::string& order_id,
                                      const std::vector<int64_t>& more) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Entry*> entry = Find(channel, order_id);
  if (!entry.ok()) return entry.status();
  FakeOrder& order = (*entry)->order;
  if (order.status != FakeOrderStatus::kAccepted && order.status != FakeOrderStatus::kShipped) {
    return absl::FailedPreconditionError(absl::StrCat("order '", order_id, "' is ",
                                                      FakeOrderStatusName(order.status),
                                                      ": only an accepted order ships"));
  }
  if (absl::Status s = CheckMore(**entry, more, "ship"); !s.ok()) return s;
  for (size_t i = 0; i < more.size(); ++i) order.lines[i].quantity_shipped += more[i];
  order.status = FakeOrderStatus::kShipped;
  Changed(channel, *entry);
  return absl::OkStatus();
}

void FakeOrderBook::CancelUnits(const std::string& channel, Entry* entry,
                                const std::vector<int64_t>& more) {
  for (size_t i = 0; i < more.size(); ++i) {
    FakeOrderLine& line = entry->order.lines[i];
    line.quantity_cancelled += more[i];
    // The oversold units go first: they never came from the listing.
    const int64_t unsold = std::min(more[i], entry->oversold_left[i]);
    entry->oversold_left[i] -= unsold;
    const int64_t restored = more[i] - unsold;
    if (restored > 0) {
      const int64_t shown = std::max<int64_t>(stock_.get(channel, line.listing_id), 0);
      stock_.set(channel, line.listing_id, shown + restored);
    }
  }
}

absl::Status FakeOrderBook::CancelOrder(const std::string& channel, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Entry*> entry = Find(channel, order_id);
  if (!entry.ok()) return entry.status();
  FakeOrder& order = (*entry)->order;
  std::vector<int64_t> open;
  bool shipped = false;
  for (const FakeOrderLine& line : order.lines) {
    open.push_back(line.quantity - line.quantity_shipped - line.quantity_cancelled);
    shipped = shipped || line.quantity_shipped > 0;
  }
  if (std::all_of(open.begin(), open.end(), [](int64_t n) { return n == 0; })) {
    return absl::FailedPreconditionError(
        absl::StrCat("order '", order_id, "' has no open units to cancel"));
  }
  CancelUnits(channel, *entry, open);
  order.status = shipped ? FakeOrderStatus::kShipped : FakeOrderStatus::kCancelled;
  Changed(channel, *entry);
  return absl::OkStatus();
}

absl::Status FakeOrderBook::CancelLines(const std::string& channel, const std::string& order_id,
                                        const std::vector<int64_t>& more) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Entry*> entry = Find(channel, order_id);
  if (!entry.ok()) return entry.status();
  if (absl::Status s = CheckMore(**entry, more, "cancel"); !s.ok()) return s;
  CancelUnits(channel, *entry, more);
  FakeOrder& order = (*entry)->order;
  if (std::all_of(order.lines.begin(), order.lines.end(), [](const FakeOrderLine& line) {
        return line.quantity_cancelled == line.quantity;
      })) {
    order.status = FakeOrderStatus::kCancelled;
  }
  Changed(channel, *entry);
  return absl::OkStatus();
}

absl::StatusOr<FakeOrderPage> FakeOrderBook::List(const std::string& channel,
                                                  const std::string& after, size_t limit) const {
  int64_t position = 0;
  if (!after.empty() && (!absl::SimpleAtoi(after, &position) || position < 0)) {
    return absl::InvalidArgumentError(absl::StrCat("bad cursor '", after, "'"));
  }
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  absl::MutexLock lock(&mu_);
  FakeOrderPage page;
  page.next_cursor = after;
  const auto c = channels_.find(channel);
  if (c == channels_.end()) return page;
  if (position >= c->second.next_seq) {
    return absl::InvalidArgumentError(absl::StrCat("bad cursor '", after, "'"));
  }
  for (auto it = c->second.log.upper_bound(position); it != c->second.log.end(); ++it) {
    if (page.orders.size() == limit) {
      page.has_more = true;
      break;
    }
    page.orders.push_back(c->second.orders.at(it->second).order);
    page.next_cursor = absl::StrCat(it->first);
  }
  return page;
}

absl::StatusOr<FakeOrder> FakeOrderBook::Get(const std::string& channel,
                                             const std::string& order_id) const {
  absl::MutexLock lock(&mu_);
  const auto c = channels_.find(channel);
  if (c != channels_.end()) {
    if (const auto it = c->second.orders.find(order_id); it != c->second.orders.end()) {
      return it->second.order;
    }
  }
  return absl::NotFoundError(absl::StrCat("no order '", order_id, "' on channel '", channel, "'"));
}

std::vector<Oversell> FakeOrderBook::Oversells() const {
  absl::MutexLock lock(&mu_);
  return oversells_;
}

absl::StatusOr<std::string> FakeOrderBook::RandomStep(const std::string& channel,
                                                      const std::vector<std::string>& listings,
                                                      std::mt19937_64* rng) {
  if (listings.empty()) return absl::InvalidArgumentError("RandomStep needs listings");
  const auto pick = [rng](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(*rng);
  };
  std::vector<FakeOrder> open;  // orders that can still change, in id order
  int64_t number = 0;
  {
    absl::MutexLock lock(&mu_);
    if (const auto c = channels_.find(channel); c != channels_.end()) {
      for (const auto& [id, entry] : c->second.orders) {
        if (entry.order.status == FakeOrderStatus::kCancelled) continue;
        bool any_open = false;
        for (const FakeOrderLine& l : entry.order.lines) {
          any_open = any_open || l.quantity > l.quantity_shipped + l.quantity_cancelled;
        }
        if (any_open) open.push_back(entry.order);
      }
    }
  }
  const int64_t roll = pick(0, 99);
  if (open.empty() || roll < 40) {
    std::vector<NewOrderLine> lines;
    const int64_t count = pick(1, 3);
    for (int64_t i = 0; i < count; ++i) {
      lines.push_back(
          {listings[static_cast<size_t>(pick(0, static_cast<int64_t>(listings.size()) - 1))],
           pick(1, 3), ""});
    }
    {
      absl::MutexLock lock(&mu_);
      number = ++random_orders_;
    }
    const std::string id = absl::StrCat("R-", number);
    const bool paid = pick(0, 1) == 1;
    absl::Status s = PlaceOrder(channel, id, lines,
                                paid ? FakeOrderStatus::kAccepted : FakeOrderStatus::kPending);
    if (!s.ok()) return s;
    return absl::StrCat("placed ", id, paid ? " (accepted)" : " (pending)", " with ", lines.size(),
                        lines.size() == 1 ? " line" : " lines");
  }
  const FakeOrder& order =
      open[static_cast<size_t>(pick(0, static_cast<int64_t>(open.size()) - 1))];
  if (roll >= 90) {
    absl::Status s = CancelOrder(channel, order.order_id);
    if (!s.ok()) return s;
    return absl::StrCat("cancelled ", order.order_id);
  }
  if (order.status == FakeOrderStatus::kPending) {
    absl::Status s = AcceptOrder(channel, order.order_id);
    if (!s.ok()) return s;
    return absl::StrCat("accepted ", order.order_id);
  }
  std::vector<int64_t> more;
  for (const FakeOrderLine& l : order.lines) {
    more.push_back(pick(0, l.quantity - l.quantity_shipped - l.quantity_cancelled));
  }
  if (std::all_of(more.begin(), more.end(), [](int64_t n) { return n == 0; })) {
    for (size_t i = 0; i < more.size(); ++i) {
      const FakeOrderLine& l = order.lines[i];
      more[i] = l.quantity - l.quantity_shipped - l.quantity_cancelled;
    }
  }
  absl::Status s = ShipOrder(channel, order.order_id, more);
  if (!s.ok()) return s;
  return absl::StrCat("shipped part of ", order.order_id);
}

}  // namespace stockd::fakes
