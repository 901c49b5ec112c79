#include "tests/fakes/order_commands.h"

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace stockd::fakes {

namespace {

absl::StatusOr<std::vector<NewOrderLine>> ParseLines(const std::string& text) {
  std::vector<NewOrderLine> lines;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
    int64_t quantity = 0;
    if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &quantity) ||
        quantity < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", item, "': expected LISTING:QTY with QTY >= 1"));
    }
    lines.push_back({std::string(parts[0]), quantity, ""});
  }
  return lines;
}

}  // namespace

absl::StatusOr<std::string> RunOrderCommand(FakeOrderBook& book, const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (words.empty()) return absl::InvalidArgumentError("empty command");
  const std::string& verb = words[0];
  const bool place = verb == "place";
  if (words.size() < 3 || words.size() > (place ? 5u : 3u)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", line,
                     "': expected place CHANNEL ORDER-ID LISTING:QTY[,...] [pending|accepted], "
                     "or accept|ship|cancel CHANNEL ORDER-ID"));
  }
  const std::string& channel = words[1];
  const std::string& order_id = words[2];
  if (place) {
    if (words.size() < 4) return absl::InvalidArgumentError("place: no lines");
    absl::StatusOr<std::vector<NewOrderLine>> lines = ParseLines(words[3]);
    if (!lines.ok()) return lines.status();
    FakeOrderStatus status = FakeOrderStatus::kPending;
    if (words.size() == 5) {
      if (words[4] == "accepted") {
        status = FakeOrderStatus::kAccepted;
      } else if (words[4] != "pending") {
        return absl::InvalidArgumentError(
            absl::StrCat("'", words[4], "': expected pending or accepted"));
      }
    }
    if (absl::Status st = book.PlaceOrder(channel, order_id, *lines, status); !st.ok()) return st;
    return absl::StrCat("placed ", order_id, " (",
                        status == FakeOrderStatus::kAccepted ? "accepted" : "pending", ") with ",
                        lines->size(), lines->size() == 1 ? " line" : " lines");
  }
  if (verb == "accept") {
    if (absl::Status st = book.AcceptOrder(channel, order_id); !st.ok()) return st;
    return absl::StrCat("accepted ", order_id);
  }
  if (verb == "cancel") {
    if (absl::Status st = book.CancelOrder(channel, order_id); !st.ok()) return st;
    return absl::StrCat("cancelled ", order_id);
  }
  if (verb == "ship") {
    absl::StatusOr<FakeOrder> order = book.Get(channel, order_id);
    if (!order.ok()) return order.status();
    std::vector<int64_t> more;
    for (const FakeOrderLine& l : order->lines) {
      more.push_back(l.quantity - l.quantity_shipped - l.quantity_cancelled);
    }
    if (absl::Status st = book.ShipOrder(channel, order_id, more); !st.ok()) return st;
    return absl::StrCat("shipped ", order_id);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", verb, "': expected place, accept, ship or cancel"));
}

}  // namespace stockd::fakes
