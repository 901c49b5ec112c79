// The configuration schema's tables (schema.h) for the model: locations, channels with
// their adapter and order ingestion, overrides, kits, alerts and reorder points. The
// daemon's own sections and the list of every key are in schema.cc.
#include "daemon/config/schema.h"
#include "daemon/config/schema_fields.h"

namespace stockd::config::schema {
namespace {

using namespace fields;  // NOLINT(google-build-using-namespace): the tables' shorthand

const Field<engine::Location> kLocations[] = {
    {{"id", Kind::kId, kRestart, true, 0, 0, 0, "", "unique among locations"}},
    {{"type", Kind::kEnum, kRestart, true, 0, 0, 0, "", "warehouse | store"}},
    {{"name", Kind::kString, kRestart, false, 0, 0, 0, "\"\"", "shown to operators only"},
     STOCKD_TEXT(engine::Location, name)},
};

const Field<engine::Channel> kChannels[] = {
    {{"id", Kind::kId, kRestart, true, 0, 0, 0, "", "unique among channels"}},
    {{"type", Kind::kEnum, kRestart, true, 0, 0, 0, "", "webshop | marketplace | store"}},
    {{"sources", Kind::kIdList, kRestart, true, 1, 0, 0, "",
      "the locations the channel sells from, in the order Reserve tries them"}},
    {{"protect", Kind::kUnitsMap, kRestart, false, 0, kMaxUnits, 0, "",
      "units per source location only this channel may take"}},
    {{"safety_stock", Kind::kInt, kRestart, false, 0, kMaxUnits, 0, "0",
      "subtracted from what is published"},
     STOCKD_TARGET(engine::Channel, policy.safety_stock)},
    {{"share_percent", Kind::kInt, kRestart, false, 0, 100, 100, "100",
      "percentage of the rest that is published"},
     STOCKD_TARGET(engine::Channel, policy.share_percent)},
    {{"min_publish", Kind::kInt, kRestart, false, 0, kMaxUnits, 0, "0",
      "below this, 0 is published"},
     STOCKD_TARGET(engine::Channel, policy.min_publish)},
    {{"max_publish", Kind::kInt, kRestart, false, 0, kMaxUnits, engine::kNoCap, "",
      "the most ever published; >= min_publish; default no cap"},
     STOCKD_TARGET(engine::Channel, policy.max_publish)},
    {{"split_lines", Kind::kEnum, kRestart, false, 0, 0, 0, "true",
      "true | false: a Reserve line no single source covers is split over the sources"},
     nullptr,
     nullptr,
     [](const engine::Channel& c) { return std::string(c.split_lines ? "true" : "false"); }},
    {{"adapter", Kind::kSection, kLive, false, 0, 0, 0, "",
      "the plugin that pushes to this channel"}},
    {{"orders", Kind::kSection, kLive, false, 0, 0, 0, "",
      "how the channel's orders come in (polling, webhook deliveries)"}},
    {{"reconcile_every", Kind::kDuration, kLive, false, 0, 30 * kMsPerDay, 0, "0s",
      "three-way reconcile (stockctl reconcile) this often, logged; needs an adapter; 0 = off"}},
};

const Field<OrderChannelConfig> kChannelOrders[] = {
    {{"poll_interval", Kind::kDuration, kLive, false, 0, kMsPerDay, 5000, "5s",
      "poll the adapter for orders this often (when it can); 0 = never poll"},
     STOCKD_TARGET(OrderChannelConfig, poll_interval_ms)},
    {{"overlap", Kind::kDuration, kLive, false, 0, kMsPerDay, 0, "0s",
      "each poll re-reads this much of the recent past (a channel whose data lags)"},
     STOCKD_TARGET(OrderChannelConfig, overlap_ms)},
    {{"webhook", Kind::kSection, kLive, false, 0, 0, 0, "",
      "this channel's order deliveries to the receiver (orders.listen)"}},
};

const Field<OrderChannelConfig> kOrdersWebhook[] = {
    {{"signature", Kind::kEnum, kLive, true, 0, 0, 0, "",
      "stockd | shopify | woocommerce: how deliveries are signed"}},
    {{"secret_file", Kind::kString, kLive, true, 0, 0, 0, "",
      "file holding the signing secret (mode 0600), read at start and reload"}},
};

const Field<AdapterConfig> kAdapter[] = {
    {{"plugin", Kind::kString, kLive, true, 0, 0, 0, "",
      "1-64 bytes of [a-z0-9_]: <plugin_dir>/libstockd_adapter_<plugin>.so"}},
    {{"config", Kind::kJson, kLive, false, 0, 1 << 20, 0, "{}",
      "handed to the plugin as JSON (at most 1 MiB, 64 levels)"}},
    {{"max_batch", Kind::kInt, kLive, false, 1, 100'000, 0, "",
      "items per push; default the plugin's own maximum"},
     STOCKD_TARGET(AdapterConfig, max_batch)},
    {{"rate_limit", Kind::kInt, kLive, false, 0, 1'000'000, 0, "0",
      "items pushed per second; 0 = unlimited"},
     STOCKD_TARGET(AdapterConfig, rate_per_second)},
    {{"burst", Kind::kInt, kLive, false, 1, 1'000'000, 0, "",
      "token bucket size; default max(1, rate_limit)"},
     STOCKD_TARGET(AdapterConfig, burst)},
    {{"listings", Kind::kString, kLive, false, 0, 0, 0, "\"\"",
      "CSV sku,listing_id read at start and reload; \"\" = the listing id is the SKU"},
     STOCKD_TEXT(AdapterConfig, listings_file)},
    {{"reconcile_interval", Kind::kDuration, kLive, false, 0, 30 * kMsPerDay, 0, "0s",
      "periodic resync; 0 = off"},
     STOCKD_TARGET(AdapterConfig, reconcile_interval_ms)},
    {{"retry_initial", Kind::kDuration, kLive, false, 10, 10 * kMsPerMinute, 200, "200ms",
      "first backoff after a failed push"},
     STOCKD_TARGET(AdapterConfig, retry_initial_ms)},
    {{"retry_max", Kind::kDuration, kLive, false, 100, kMsPerDay, kMsPerMinute, "1m",
      "backoff cap; >= retry_initial"},
     STOCKD_TARGET(AdapterConfig, retry_max_ms)},
    {{"coalesce_window", Kind::kDuration, kLive, false, 0, kMsPerMinute, 1000, "1s",
      "a SKU pushed this recently waits (the latest value wins)"},
     STOCKD_TARGET(AdapterConfig, coalesce_window_ms)},
};

const Field<engine::Kit> kKits[] = {
    {{"sku", Kind::kId, kRestart, true, 0, 0, 0, "",
      "the kit's SKU: no stock of its own, not a component of another kit"}},
    {{"components", Kind::kList, kRestart, true, 1, 64, 0, "",
      "what one kit is made of, all taken from one location"}},
};

const Field<engine::KitComponent> kKitComponents[] = {
    {{"sku", Kind::kId, kRestart, true, 0, 0, 0, "", "a SKU with stock (not a kit), once per kit"}},
    {{"qty", Kind::kInt, kRestart, false, 1, 10'000, 1, "1", "units of it in one kit"},
     STOCKD_TARGET(engine::KitComponent, qty)},
};

const Field<Config> kAlerts[] = {
    {{"enabled", Kind::kEnum, kRestart, false, 0, 0, 0, "true",
      "true | false: keep sales velocities, raise alerts and index the open holds per SKU"},
     nullptr,
     nullptr,
     [](const Config& c) { return std::string(c.model.alerts.enabled ? "true" : "false"); }},
    {{"velocity_half_life", Kind::kDuration, kLive, false, kMsPerHour, 365 * kMsPerDay,
      7 * kMsPerDay, "7d", "a sale's weight in the sales velocity halves this often"},
     STOCKD_TARGET(Config, model.alerts.velocity_half_life_ms)},
    {{"hysteresis_percent", Kind::kInt, kLive, false, 0, 100, 20, "20",
      "a raised reorder alert re-arms at point + this share of it (at least 1 unit)"},
     STOCKD_TARGET(Config, model.alerts.hysteresis_percent)},
    {{"back_in_stock_at", Kind::kInt, kLive, false, 1, kMaxUnits, 1, "1",
      "published units that end a sold-out (back_in_stock)"},
     STOCKD_TARGET(Config, model.alerts.back_in_stock_at)},
};

const Field<engine::ReorderRule> kReorder[] = {
    {{"skus", Kind::kString, kLive, true, 0, 0, 0, "", "SKU pattern, as overrides[].sku"}},
    {{"point", Kind::kInt, kLive, false, 1, kMaxUnits, 0, "",
      "fixed reorder point at each location"},
     STOCKD_SET_ONLY(engine::ReorderRule, point)},
    {{"total_point", Kind::kInt, kLive, false, 1, kMaxUnits, 0, "",
      "fixed reorder point of the SKU over every location"},
     STOCKD_SET_ONLY(engine::ReorderRule, total_point)},
    {{"lead_time_days", Kind::kInt, kLive, false, 0, 3650, 0, "0",
      "days a reorder takes to arrive (point = velocity x (lead_time_days + cover_days))"},
     STOCKD_TARGET(engine::ReorderRule, lead_time_days)},
    {{"cover_days", Kind::kInt, kLive, false, 0, 3650, 0, "0",
      "days of sales wanted in stock on top of the lead time"},
     STOCKD_TARGET(engine::ReorderRule, cover_days)},
    {{"locations", Kind::kIdList, kLive, false, 1, 0, 0, "",
      "the locations the per-location point applies to; default every location"}},
};

const Field<engine::PolicyOverride> kOverrides[] = {
    {{"sku", Kind::kString, kRestart, true, 0, 0, 0, "", "SKU pattern: * ? [set] and id bytes"}},
    {{"channel", Kind::kId, kRestart, true, 0, 0, 0, "", "the channel whose policy changes"}},
    {{"protect", Kind::kUnitsMap, kRestart, false, 0, kMaxUnits, 0, "",
      "as channels[].protect, for the locations named"}},
    {{"safety_stock", Kind::kInt, kRestart, false, 0, kMaxUnits, 0, "",
      "as channels[].safety_stock"},
     STOCKD_SET_ONLY(engine::PolicyOverride, safety_stock)},
    {{"share_percent", Kind::kInt, kRestart, false, 0, 100, 0, "", "as channels[].share_percent"},
     [](engine::PolicyOverride& t, int64_t v) { t.share_percent = static_cast<int32_t>(v); },
     nullptr},
    {{"min_publish", Kind::kInt, kRestart, false, 0, kMaxUnits, 0, "", "as channels[].min_publish"},
     STOCKD_SET_ONLY(engine::PolicyOverride, min_publish)},
    {{"max_publish", Kind::kInt, kRestart, false, 0, kMaxUnits, 0, "", "as channels[].max_publish"},
     STOCKD_SET_ONLY(engine::PolicyOverride, max_publish)},
};

}  // namespace

STOCKD_TABLE(Locations, engine::Location, "locations[]", kLocations)
STOCKD_TABLE(Channels, engine::Channel, "channels[]", kChannels)
STOCKD_TABLE(Adapter, AdapterConfig, "channels[].adapter", kAdapter)
STOCKD_TABLE(Overrides, engine::PolicyOverride, "overrides[]", kOverrides)
STOCKD_TABLE(Alerts, Config, "alerts", kAlerts)
STOCKD_TABLE(Reorder, engine::ReorderRule, "reorder[]", kReorder)
STOCKD_TABLE(Kits, engine::Kit, "kits[]", kKits)
STOCKD_TABLE(KitComponents, engine::KitComponent, "kits[].components[]", kKitComponents)
STOCKD_TABLE(ChannelOrders, OrderChannelConfig, "channels[].orders", kChannelOrders)
STOCKD_TABLE(OrdersWebhook, OrderChannelConfig, "channels[].orders.webhook", kOrdersWebhook)

}  // namespace stockd::config::schema
