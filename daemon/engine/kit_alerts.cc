// A kit's sold out and back in stock alerts (docs/kits.md, "Alerts"; docs/alerts.md). A
// SKU's are raised inside the mutation that moved its published quantity (sealing.cc); a
// kit's published quantity is computed apart from its components' mutations, by the kit
// announcer, so a kit's alert is a mutation of its own: the announcer submits a
// KitAlertCmd through Execute, which seals it as a record without rows (the alert, the
// kit's alert state, an audit entry "alert") and acknowledges it once durable, like every
// other. The raised flags are the once-per-crossing state: set when the command applies,
// stored with the record, taken back by Restore.
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/engine/alerts.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/kits.h"

namespace stockd::engine {

void Engine::Impl::WantKitAlerts(int k, const std::vector<AvailabilityItem>& items,
                                 const std::vector<int64_t>& previous) {
  const Model& m = model();
  std::vector<int64_t>& stock = kit_last_stock_[k];
  stock.resize(items.size(), 0);
  std::vector<bool> raised;
  {
    absl::MutexLock lock(&kit_alerts_mu_);
    raised = kit_sold_out_[k];
  }
  raised.resize(items.size(), false);
  for (size_t c = 0; c < items.size(); ++c) {
    const int64_t published = items[c].published;
    // Against the last quantity above 0 shown since the start, not only the last
    // announcement: an alert refused at the write gate is still wanted at the next one.
    const std::optional<AlertKind> crossing =
        PublishedCrossing(raised[c], stock[c], published, m.alerts.back_in_stock_at);
    if (crossing) {
      KitAlertCmd& cmd = kit_alerts_wanted_.emplace_back();
      cmd.kit = k;
      cmd.channel = static_cast<int>(c);
      cmd.sold_out = *crossing == AlertKind::kSoldOut;
      cmd.previous = cmd.sold_out ? stock[c] : c < previous.size() ? previous[c] : 0;
      cmd.published = published;
    }
    if (published > 0) stock[c] = published;
  }
}

void Engine::Impl::SubmitKitAlerts() {
  for (KitAlertCmd& cmd : kit_alerts_wanted_) {
    // Refused (UNAVAILABLE: the write gate is shut during a Redis outage) it is wanted
    // again at the kit's next announcement; SetWritable(true) marks every kit.
    Execute(Command{{"", "stockd"}, std::move(cmd)}, [](const absl::StatusOr<Outcome>&) {});
  }
  kit_alerts_wanted_.clear();
}

RecordOr Engine::Impl::Apply(KitAlertCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  const Model& m = model();
  const Kit& kit = m.kits[cmd.kit];
  Change change;
  change.channel = m.channels[cmd.channel].id;
  {
    // The announcer is the only submitter, so two alerts of one kit do not race; the
    // check stays so that an alert already raised (a Restore in between) seals nothing.
    absl::MutexLock lock(&kit_alerts_mu_);
    std::vector<bool>& raised = kit_sold_out_[cmd.kit];
    if (raised.size() < m.channels.size()) raised.resize(m.channels.size(), false);
    if (raised[cmd.channel] == cmd.sold_out) return nullptr;  // nothing crosses
    raised[cmd.channel] = cmd.sold_out;
    AlertStateView state;
    state.sku = kit.sku;
    for (size_t c = 0; c < raised.size(); ++c) {
      if (raised[c]) state.sold_out.push_back(m.channels[c].id);
    }
    change.kit_alert_states.push_back(std::move(state));
  }
  active_sold_out_.fetch_add(cmd.sold_out ? 1 : -1);
  AlertEvent& e = change.kit_alerts.emplace_back();
  e.kind = cmd.sold_out ? AlertKind::kSoldOut : AlertKind::kBackInStock;
  e.sku = kit.sku;
  e.channel = change.channel;
  e.previous_published = cmd.previous;
  e.published = cmd.published;
  change.reason = absl::StrCat("kit '", kit.sku, "' ", cmd.sold_out ? "sold out" : "back in stock",
                               " on channel '", change.channel, "': published ", cmd.previous,
                               " -> ", cmd.published);
  // The kit SKU's shard (it holds no state of the kit) keeps the in-memory audit entry.
  Shard& shard = ShardFor(kit.sku);
  absl::MutexLock lock(&shard.mu);
  return Seal(change, meta, "alert", p);
}

void Engine::Impl::ActiveKitAlerts(std::vector<AlertEvent>* out) const {
  const Model& m = model();
  std::vector<std::vector<bool>> raised;
  {
    absl::MutexLock lock(&kit_alerts_mu_);
    raised = kit_sold_out_;
  }
  for (size_t k = 0; k < raised.size() && k < m.kits.size(); ++k) {
    std::vector<int> channels;
    for (size_t c = 0; c < raised[k].size() && c < m.channels.size(); ++c) {
      if (raised[k][c]) channels.push_back(static_cast<int>(c));
    }
    if (channels.empty()) continue;
    std::vector<AvailabilityItem> items;
    KitAvailability(m.kits[k], channels, &items);
    for (const AvailabilityItem& a : items) {
      AlertEvent& e = out->emplace_back();
      e.kind = AlertKind::kSoldOut;
      e.sku = a.sku;
      e.channel = a.channel;
      e.published = a.published;
    }
  }
}

int64_t Engine::Impl::RestoreKitAlerts(const std::vector<const AlertStateView*>& states) {
  const Model& m = model();
  const KitIndex& index = generation().kits();
  int64_t raised = 0;
  absl::MutexLock lock(&kit_alerts_mu_);
  kit_sold_out_.assign(m.kits.size(), {});
  for (const AlertStateView* v : states) {
    const Kit* kit = index.Find(v->sku);
    if (kit == nullptr) continue;
    std::vector<bool>& flags = kit_sold_out_[kit - m.kits.data()];
    flags.assign(m.channels.size(), false);
    for (const std::string& channel : v->sold_out) {
      if (const int c = m.ChannelIndex(channel); c >= 0 && !flags[c]) {
        flags[c] = true;
        ++raised;
      }
    }
  }
  return raised;
}

}  // namespace stockd::engine
