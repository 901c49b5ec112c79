// Parsing order ingestion's keys: the top-level `orders` (the webhook receiver) and
// channels[].orders (polling, webhook deliveries); keys and bounds: schema.h. Secret
// files are named here, never read: the receiver reads them at start.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/config/listen.h"
#include "daemon/config/parser.h"

namespace stockd::config {

OrdersConfig Config::OrdersSlice() const {
  OrdersConfig out;
  out.listen = orders_listen;
  out.max_body_bytes = orders_max_body_bytes;
  out.deadline_ms = orders_deadline_ms;
  out.plugin_dir = plugin_dir;
  for (const engine::Channel& c : model.channels) {
    std::optional<OrderChannelConfig> entry;
    for (const OrderChannelConfig& o : order_channels) {
      if (o.channel == c.id) entry = o;
    }
    for (const AdapterConfig& a : adapters) {
      if (a.channel != c.id) continue;
      if (!entry.has_value()) {
        entry.emplace();
        entry->channel = c.id;
        entry->origin = a.origin;
      }
      entry->adapter = a;
    }
    if (entry.has_value()) out.channels.push_back(*std::move(entry));
  }
  return out;
}

namespace internal {

using yaml::MapReader;
using yaml::ReadString;
using yaml::Truncated;

void ConfigParser::ParseOrders(const Value& v) {
  MapReader orders(v, schema::Orders().names(), errors_);
  if (auto listen = orders.String("listen")) {
    const Value field = *orders.Get("listen");
    absl::Status ok = listen->rfind("unix:", 0) == 0
                          ? absl::InvalidArgumentError("expected host:port, not a unix socket")
                          : CheckListenAddress(*listen);
    if (ok.ok() && !listen->empty()) {
      config_.orders_listen = *listen;
    } else if (!listen->empty()) {
      errors_.Add(field.mark, field.path,
                  absl::StrCat("'", Truncated(*listen), "': ", ok.message()));
    }
  }
  ReadFields(orders, schema::Orders(), config_);
}

void ConfigParser::ParseChannelOrders(const Value& v, const std::string& channel) {
  MapReader map(v, schema::ChannelOrders().names(), errors_);
  OrderChannelConfig o;
  o.channel = channel;
  o.origin = absl::StrCat(errors_.source(), ":", v.mark.line + 1);
  ReadFields(map, schema::ChannelOrders(), o);  // poll_interval, overlap
  if (auto webhook = map.Get("webhook")) {
    MapReader hook(*webhook, schema::OrdersWebhook().names(), errors_);
    if (auto signature = hook.Require("signature")) {
      if (auto scheme = ReadString(*signature, errors_)) {
        if (*scheme == "stockd" || *scheme == "shopify" || *scheme == "woocommerce") {
          o.webhook_signature = *scheme;
        } else {
          errors_.Add(
              signature->mark, signature->path,
              absl::StrCat("'", Truncated(*scheme), "': expected stockd, shopify or woocommerce"));
        }
      }
    }
    if (auto file = hook.Require("secret_file")) {
      if (auto path = ReadString(*file, errors_)) {
        if (path->empty()) {
          errors_.Add(file->mark, file->path, "must not be empty");
        } else {
          o.webhook_secret_file = *path;
        }
      }
    }
  }
  config_.order_channels.push_back(std::move(o));
}

}  // namespace internal
}  // namespace stockd::config
