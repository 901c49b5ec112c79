// Fuzzes the order webhook receiver's parsing (daemon/orders): the signature check and
// the body decoders of the three schemes, as the receiver calls them on an untrusted
// request. The first byte picks the scheme and whether the event-id header is present;
// the rest is the body (and, signed with a known key, also the signature header).
// Properties: no crash, leak or undefined behaviour; a body whose signature is checked
// is only accepted with the right signature; a decoded order is one the model takes
// (plugins::CheckOrder) on the route's channel.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/orders/signature.h"
#include "daemon/orders/webhook_payload.h"
#include "daemon/plugins/adapter.h"

namespace {

using stockd::orders::SignatureScheme;

constexpr SignatureScheme kSchemes[] = {SignatureScheme::kStockd, SignatureScheme::kShopify,
                                        SignatureScheme::kWooCommerce};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const SignatureScheme scheme = kSchemes[data[0] % 3];
  const bool with_event_id = (data[0] & 4) != 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The right signature verifies; the body taken as a signature header never does.
  if (!stockd::orders::VerifySignature(scheme, "s3cret", body,
                                       stockd::orders::SignBody(scheme, "s3cret", body))
           .ok() ||
      stockd::orders::VerifySignature(scheme, "s3cret", body, body).ok()) {
    __builtin_trap();
  }

  absl::StatusOr<stockd::orders::WebhookDelivery> delivery = stockd::orders::DecodeWebhook(
      scheme, "web", body, [with_event_id](const char* name) -> std::string {
        (void)name;
        return with_event_id ? "evt-1" : "";
      });
  if (delivery.ok() && !stockd::plugins::CheckOrder(delivery->order).ok()) {
    __builtin_trap();  // the decoder passed an order the model refuses
  }
  return 0;
}
