#include "daemon/reconcile/classify.h"

#include <algorithm>

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
  // A kit line is applied as its components' lines (docs/kits.md, "Orders") and the
  // channel counts kits: the kits taken are the most whole kits' worth any component's
  // units make.
  std::map<std::string, std::map<std::string, int64_t>> kits;  // kit -> component -> kits
  for (const engine::OrderLineView& line : view.lines) {
    if (line.kit.empty() || line.per_kit <= 0) {
      a.taken[line.sku] += line.open + line.fulfilled;
    } else {
      kits[line.kit][line.sku] += (line.open + line.fulfilled) / line.per_kit;
    }
  }
  for (const auto& [kit, components] : kits) {
    int64_t most = 0;
    for (const auto& [sku, n] : components) most = std::max(most, n);
    a.taken[kit] += most;
  }
  return a;
}

}  // namespace stockd::reconcile
