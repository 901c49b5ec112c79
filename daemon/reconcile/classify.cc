#include "daemon/reconcile/classify.h"

namespace stockd::reconcile {

const char* SkuClassName(SkuClass c) {
  switch (c) {
    case SkuClass::kOk:
      return "ok";
    case SkuClass::kInFlight:
      return "in_flight";
    case SkuClass::kDrift:
      return "drift";
    case SkuClass::kUnknownListing:
      return "unknown_listing";
  }
  return "?";
}

SkuClass Classify(const SkuFacts& f) {
  if (f.channel < 0) return SkuClass::kUnknownListing;
  if (f.channel == f.published) return SkuClass::kOk;
  if (f.dirty || f.acked != f.published) return SkuClass::kInFlight;
  if (f.uningested != 0 &&
      (f.channel == f.acked - f.uningested || f.channel == f.published - f.uningested)) {
    return SkuClass::kInFlight;
  }
  return SkuClass::kDrift;
}

std::map<std::string, int64_t> ChannelTakes(const plugins::Order& order,
                                            const ListingSkuFn& sku_of) {
  std::map<std::string, int64_t> takes;
  for (const plugins::OrderLine& line : order.lines) {
    std::optional<std::string> sku = sku_of(line.listing_id);
    if (!sku.has_value()) continue;
    takes[*sku] += order.status == plugins::Order::Status::kCancelled
                       ? line.quantity_shipped
                       : line.quantity - line.quantity_cancelled;
  }
  return takes;
}

std::map<std::string, int64_t> Uningested(const std::vector<plugins::Order>& polled,
                                          const ListingSkuFn& sku_of,
                                          const AppliedOrderFn& applied) {
  std::map<std::string, const plugins::Order*> newest;  // order id -> its newest revision
  for (const plugins::Order& order : polled) {
    const plugins::Order*& slot = newest[order.order_id];
    if (slot == nullptr || slot->revision < order.revision) slot = &order;
  }
  std::map<std::string, int64_t> out;
  for (const auto& [order_id, order] : newest) {
    std::optional<AppliedOrder> have = applied(order_id);
    if (have.has_value() && have->revision >= order->revision) continue;  // ingested
    std::map<std::string, int64_t> diff = ChannelTakes(*order, sku_of);
    if (have.has_value()) {
      for (const auto& [sku, units] : have->taken) diff[sku] -= units;
    }
    for (const auto& [sku, units] : diff) {
      if (units != 0) out[sku] += units;
    }
  }
  for (auto it = out.begin(); it != out.end();) {
    it = it->second == 0 ? out.erase(it) : std::next(it);
  }
  return out;
}

AppliedOrder FromView(const engine::OrderView& view) {
  AppliedOrder a;
  a.revision = view.revision;
  for (const engine::OrderLineView& line : view.lines)
    a.taken[line.sku] += line.open + line.fulfilled;
  return a;
}

}  // namespace stockd::reconcile
