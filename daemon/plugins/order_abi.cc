#include "daemon/plugins/order_abi.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace stockd::plugins {
namespace {

// A plugin's string as text for an error: at most 64 bytes, control bytes escaped.
std::string Shown(const std::string& s) {
  return absl::CHexEscape(s.size() > 64 ? s.substr(0, 64) + "..." : s);
}

std::string Text(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

// Whether a struct of `size` bytes (as the plugin built it) holds the member that ends at
// offset + length.
bool Covers(size_t size, size_t offset, size_t length) { return size >= offset + length; }

#define STOCKD_COVERS(size, type, field) \
  Covers((size), offsetof(type, field), sizeof(static_cast<type*>(nullptr)->field))

absl::Status Invalid(const Order& order, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("order '", Shown(order.order_id), "': ", what));
}

}  // namespace

absl::Status CheckOrder(const Order& order) {
  if (order.order_id.empty()) return absl::InvalidArgumentError("an order without order_id");
  if (order.revision < 1) {
    return Invalid(order, absl::StrCat("revision ", order.revision, " (must be >= 1)"));
  }
  // A cancellation may leave the lines out: it cancels whatever the order still holds.
  if (order.lines.empty() && order.status != Order::Status::kCancelled) {
    return Invalid(order, "no lines");
  }
  for (size_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& l = order.lines[i];
    const std::string at = absl::StrCat("line ", i, ": ");
    if (l.listing_id.empty()) return Invalid(order, at + "no listing_id");
    if (l.quantity < 1) {
      return Invalid(order, absl::StrCat(at, "quantity ", l.quantity, " (must be >= 1)"));
    }
    if (l.quantity_shipped < 0 || l.quantity_shipped > l.quantity) {
      return Invalid(order, absl::StrCat(at, "quantity_shipped ", l.quantity_shipped,
                                         " (must be 0..", l.quantity, ")"));
    }
    const int64_t open = l.quantity - l.quantity_shipped;
    if (l.quantity_cancelled < 0 || l.quantity_cancelled > open) {
      return Invalid(order, absl::StrCat(at, "quantity_cancelled ", l.quantity_cancelled,
                                         " (must be 0..", open, ": quantity - shipped)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Order> DecodeOrderRevision(const stockd_order_revision& c_order) {
  const size_t size = c_order.struct_size;
  if (!STOCKD_COVERS(size, stockd_order_revision, line_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an order revision of ", size, " bytes: too small to carry an order (",
        offsetof(stockd_order_revision, line_size) + sizeof(uint32_t), " bytes or more)"));
  }
  Order order;
  order.order_id = Text(c_order.order_id);
  order.revision = c_order.revision;
  switch (c_order.status) {
    case STOCKD_ORDER_PENDING:
      order.status = Order::Status::kPending;
      break;
    case STOCKD_ORDER_ACCEPTED:
      order.status = Order::Status::kAccepted;
      break;
    case STOCKD_ORDER_SHIPPED:
      order.status = Order::Status::kShipped;
      break;
    case STOCKD_ORDER_CANCELLED:
      order.status = Order::Status::kCancelled;
      break;
    default:
      return Invalid(order, absl::StrCat("status ", c_order.status, " (STOCKD_ORDER_PENDING 1, ",
                                         "ACCEPTED 2, SHIPPED 3 or CANCELLED 4)"));
  }
  const size_t line_size = c_order.line_size;
  if (c_order.line_count > 0) {
    if (c_order.lines == nullptr) return Invalid(order, "line_count > 0 and no lines");
    if (!STOCKD_COVERS(line_size, stockd_order_revision_line, quantity)) {
      return Invalid(order, absl::StrCat("line_size ", line_size,
                                         ": too small for a listing id and a quantity"));
    }
  }
  const auto* base = reinterpret_cast<const unsigned char*>(c_order.lines);
  order.lines.reserve(c_order.line_count);
  for (size_t i = 0; i < c_order.line_count; ++i) {
    // Copy what the plugin's line covers into a zeroed line of ours: fields it lacks
    // read as 0 / NULL, fields we lack are skipped by the stride.
    stockd_order_revision_line c_line;
    std::memset(&c_line, 0, sizeof c_line);
    std::memcpy(&c_line, base + i * line_size, std::min(line_size, sizeof c_line));
    const size_t covered = std::min<size_t>(line_size, c_line.struct_size);
    OrderLine line;
    line.listing_id = Text(c_line.listing_id);
    line.quantity = c_line.quantity;
    if (STOCKD_COVERS(covered, stockd_order_revision_line, quantity_shipped)) {
      line.quantity_shipped = c_line.quantity_shipped;
    }
    if (STOCKD_COVERS(covered, stockd_order_revision_line, quantity_cancelled)) {
      line.quantity_cancelled = c_line.quantity_cancelled;
    }
    if (STOCKD_COVERS(covered, stockd_order_revision_line, location)) {
      line.location = Text(c_line.location);
    }
    order.lines.push_back(std::move(line));
  }
  if (absl::Status st = CheckOrder(order); !st.ok()) return st;
  return order;
}

absl::StatusOr<Order> DecodeOriginalOrder(const stockd_order& c_order) {
  Order order;
  order.order_id = Text(c_order.order_id);
  const std::string status = Text(c_order.status);
  const bool cancelled = status == "cancelled";
  if (!cancelled && status != "placed") {
    return Invalid(order, absl::StrCat("status '", Shown(status), "' (placed or cancelled)"));
  }
  order.status = cancelled ? Order::Status::kCancelled : Order::Status::kAccepted;
  order.revision = cancelled ? 2 : 1;
  if (c_order.line_count > 0 && c_order.lines == nullptr) {
    return Invalid(order, "line_count > 0 and no lines");
  }
  for (size_t i = 0; i < c_order.line_count; ++i) {
    OrderLine line;
    line.listing_id = Text(c_order.lines[i].listing_id);
    line.quantity = c_order.lines[i].quantity;
    if (cancelled) line.quantity_cancelled = line.quantity;
    order.lines.push_back(std::move(line));
  }
  if (absl::Status st = CheckOrder(order); !st.ok()) return st;
  return order;
}

}  // namespace stockd::plugins
