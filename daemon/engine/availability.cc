#include "daemon/engine/availability.h"

namespace stockd::engine {

std::shared_ptr<const PolicySet> BuildPolicySet(const Model& model,
                                                const std::vector<int>& matched) {
  auto set = std::make_shared<PolicySet>();
  const size_t num_locations = model.locations.size();
  set->channels.reserve(model.channels.size());
  for (const Channel& ch : model.channels) set->channels.push_back(ch.policy);
  set->applied.resize(model.channels.size());

  for (int index : matched) {
    const PolicyOverride& o = model.overrides[index];
    ChannelPolicy& p = set->channels[o.channel];
    for (const auto& [location, units] : o.protect) p.protect[location] = units;
    if (o.safety_stock) p.safety_stock = *o.safety_stock;
    if (o.share_percent) p.share_percent = *o.share_percent;
    if (o.min_publish) p.min_publish = *o.min_publish;
    if (o.max_publish) p.max_publish = *o.max_publish;
    set->applied[o.channel].push_back(o.origin + " (" + o.pattern + ")");
  }

  set->protect_total.assign(num_locations, 0);
  for (const ChannelPolicy& p : set->channels) {
    for (size_t l = 0; l < num_locations; ++l) set->protect_total[l] += p.protect[l];
  }
  return set;
}

int64_t Reservable(const Model& model, const PolicySet& p, int channel,
                   const std::vector<Counters>& rows) {
  int64_t sum = 0;
  for (int location : model.channels[channel].sources) {
    sum += Avail(p, channel, location, rows[location]);
  }
  return sum;
}

std::vector<LinePart> PlanLine(const Model& model, const PolicySet& p, int channel,
                               const std::vector<Counters>& rows, int64_t qty, bool may_split) {
  const std::vector<int>& sources = model.channels[channel].sources;
  for (int location : sources) {
    if (Avail(p, channel, location, rows[location]) >= qty) return {{location, qty}};
  }
  std::vector<LinePart> parts;
  if (!may_split) return parts;
  int64_t wanted = qty;
  for (int location : sources) {
    const int64_t avail = Avail(p, channel, location, rows[location]);
    if (avail <= 0) continue;
    const int64_t take = avail < wanted ? avail : wanted;
    parts.push_back({location, take});
    wanted -= take;
    if (wanted == 0) return parts;
  }
  parts.clear();  // the sources together hold less than qty
  return parts;
}

int64_t Publish(const ChannelPolicy& policy, int64_t reservable) {
  int64_t x = reservable - policy.safety_stock;
  if (x < 0) x = 0;
  // x <= Σ on_hand <= a few 1e12 and share <= 100: no overflow in the product.
  x = x * policy.share_percent / 100;
  if (x < policy.min_publish) return 0;
  return x < policy.max_publish ? x : policy.max_publish;
}

}  // namespace stockd::engine
