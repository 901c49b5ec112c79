// Order webhook bodies decoded into the order model (plugins::Order, docs/orders.md) plus
// the delivery's event id, one decoder per signature scheme (docs/orders.md, "Webhook
// delivery", has the field mapping of each):
//
//   stockd       {"event_id","channel","sent_at_ms","order":{order_id, revision, status,
//                lines[{listing_id, quantity, quantity_shipped, quantity_cancelled,
//                location}]}} (tests/fakes/order_delivery.h); X-Stockd-Event-Id
//   shopify      the REST Order of orders/create|updated|cancelled|fulfilled|paid;
//                X-Shopify-Event-Id, else X-Shopify-Webhook-Id
//   woocommerce  the REST v3 order of order.created|updated; X-WC-Webhook-Delivery-ID
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_ORDERS_WEBHOOK_PAYLOAD_H_
#define STOCKD_DAEMON_ORDERS_WEBHOOK_PAYLOAD_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/orders/signature.h"
#include "daemon/plugins/adapter.h"

namespace stockd::orders {

struct WebhookDelivery {
  plugins::Order order;
  std::string event_id;  // "" when the sender gave none (then nothing is de-duplicated)
};

// A request header's value by name (case-insensitive), "" when absent.
using HeaderLookup = absl::FunctionRef<std::string(const char* name)>;

// Decodes the body of a delivery to `channel` (the route's). INVALID_ARGUMENT naming the
// field and what is wrong ("line_items[2].quantity: -1 (must be >= 1)"; "body: not
// JSON ..."), or when the order breaks the model (plugins::CheckOrder). A stockd body
// naming another channel than the route is INVALID_ARGUMENT too.
absl::StatusOr<WebhookDelivery> DecodeWebhook(SignatureScheme scheme, absl::string_view channel,
                                              absl::string_view body, HeaderLookup header);

// An ISO-8601 / RFC 3339 time ("2024-01-15T10:30:45-05:00", "...45.123Z") as Unix ms;
// without an offset ("2024-01-15T10:30:45", WooCommerce's *_gmt) it is read as UTC.
// INVALID_ARGUMENT when it is not one.
absl::StatusOr<int64_t> ParseIsoTimeMs(absl::string_view text);

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_WEBHOOK_PAYLOAD_H_
