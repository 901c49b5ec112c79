#include "tests/crash/model.h"

#include <algorithm>

namespace stockd::crash {

using google::protobuf::Message;

// ---------------------------------------------------------------- the formula

std::string ToString(const Row& r) {
  return std::to_string(r.on_hand) + "/" + std::to_string(r.held) + "/" +
         std::to_string(r.committed);
}

std::pair<int64_t, int64_t> ExpectedAvailability(const Shop& shop, const ChannelSpec& channel,
                                                 const std::string& sku, const SkuRows& rows) {
  int64_t reservable = 0;
  for (const std::string& location : channel.sources) {
    int64_t protected_by_others = 0;
    for (const ChannelSpec& other : shop.channels) {
      if (other.id == channel.id) continue;
      Policy p = shop.PolicyFor(other, sku);
      auto it = p.protect.find(location);
      if (it != p.protect.end()) protected_by_others += it->second;
    }
    auto row = rows.find(location);
    const Row r = row == rows.end() ? Row{} : row->second;
    reservable += std::max<int64_t>(0, r.free() - protected_by_others);
  }
  const Policy p = shop.PolicyFor(channel, sku);
  int64_t x = std::max<int64_t>(0, reservable - p.safety_stock);
  x = x * p.share_percent / 100;
  int64_t published = x < p.min_publish ? 0 : (p.max_publish < 0 ? x : std::min(x, p.max_publish));
  return {reservable, published};
}

// ---------------------------------------------------------------- the model

void Model::Apply(Kind kind, const Message& request, const Message& response) {
  switch (kind) {
    case Kind::kCount: {
      const auto& req = static_cast<const v1::CountRequest&>(request);
      on_hand_[{req.sku(), req.location()}] = req.on_hand();
      break;
    }
    case Kind::kReserve: {
      const v1::Hold& hold = static_cast<const v1::ReserveResponse&>(response).hold();
      if (!holds_.emplace(hold.hold_id(), hold).second) {
        problems_.push_back("hold id " + hold.hold_id() + " handed out twice");
      }
      break;
    }
    case Kind::kCommit:
    case Kind::kRelease:
    case Kind::kCancel:
    case Kind::kFulfill: {
      const v1::Hold& hold = static_cast<const v1::HoldResponse&>(response).hold();
      auto it = holds_.find(hold.hold_id());
      if (it == holds_.end()) {
        problems_.push_back(std::string(KindName(kind)) +
                            " of a hold never reserved: " + hold.hold_id());
        break;
      }
      if (kind == Kind::kFulfill) {
        ApplyFulfill(static_cast<const v1::FulfillRequest&>(request), it->second, hold);
      }
      it->second = hold;
      break;
    }
    case Kind::kSell: {
      const auto& req = static_cast<const v1::SellRequest&>(request);
      on_hand_[{req.sku(), req.location()}] -= req.qty();
      break;
    }
    case Kind::kAdjust: {
      const auto& req = static_cast<const v1::AdjustRequest&>(request);
      on_hand_[{req.sku(), req.location()}] += req.delta();
      break;
    }
    case Kind::kTransfer: {
      const auto& req = static_cast<const v1::TransferRequest&>(request);
      on_hand_[{req.sku(), req.from_location()}] -= req.qty();
      on_hand_[{req.sku(), req.to_location()}] += req.qty();
      break;
    }
  }
}

SkuRows Model::Expected(const std::string& sku) const {
  SkuRows rows;
  for (const auto& [key, on_hand] : on_hand_) {
    if (key.first == sku) rows[key.second].on_hand = on_hand;
  }
  for (const auto& [id, hold] : holds_) {
    for (const v1::HoldLine& l : hold.lines()) {
      if (l.sku() != sku) continue;
      if (hold.state() == v1::HELD) rows[l.location()].held += l.qty();
      if (hold.state() == v1::COMMITTED) rows[l.location()].committed += l.qty() - l.fulfilled();
    }
  }
  return rows;
}

std::map<std::string, v1::Hold> Model::OpenHolds(const std::string& sku) const {
  std::map<std::string, v1::Hold> out;
  for (const auto& [id, hold] : holds_) {
    if (hold.state() != v1::HELD && hold.state() != v1::COMMITTED) continue;
    for (const v1::HoldLine& l : hold.lines()) {
      if (l.sku() == sku) out.emplace(id, hold);
    }
  }
  return out;
}

void Model::ApplyFulfill(const v1::FulfillRequest& req, const v1::Hold& before,
                         const v1::Hold& after) {
  // What each line of `before` gives, as the contract says: no request lines, everything
  // open; {sku, location, qty} on a split SKU from that location's part; {sku, qty} (or a
  // SKU held at one location) spread over the SKU's lines in the hold's order.
  std::vector<int64_t> take(before.lines_size(), 0);
  for (int j = 0; j < before.lines_size() && req.lines().empty(); ++j) {
    take[j] = before.lines(j).qty() - before.lines(j).fulfilled();
  }
  for (const v1::HoldLine& want : req.lines()) {
    int parts = 0;  // a location picks a part of a split SKU only
    for (const v1::HoldLine& l : before.lines()) parts += l.sku() == want.sku();
    const bool by_location = !want.location().empty() && parts > 1;
    int64_t rest = want.qty();
    for (int j = 0; j < before.lines_size() && rest > 0; ++j) {
      const v1::HoldLine& l = before.lines(j);
      if (l.sku() != want.sku()) continue;
      if (by_location && l.location() != want.location()) continue;
      take[j] = std::min(l.qty() - l.fulfilled(), rest);
      rest -= take[j];
    }
  }
  for (int j = 0; j < before.lines_size(); ++j) {
    const v1::HoldLine& l = before.lines(j);
    const std::string line = l.sku() + "@" + l.location();
    on_hand_[{l.sku(), l.location()}] -= take[j];
    bool seen = false;
    for (const v1::HoldLine& a : after.lines()) {
      if (a.sku() != l.sku() || a.location() != l.location()) continue;
      seen = true;
      if (a.fulfilled() != l.fulfilled() + take[j]) {
        problems_.push_back("fulfill of " + before.hold_id() + " line " + line + ": fulfilled " +
                            std::to_string(a.fulfilled()) + ", expected " +
                            std::to_string(l.fulfilled() + take[j]));
      }
    }
    if (!seen) problems_.push_back("fulfill of " + before.hold_id() + " dropped line " + line);
  }
}

}  // namespace stockd::crash
