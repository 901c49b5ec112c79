// Webhook signatures (docs/orders.md, "Webhook delivery"): the HMAC-SHA256 of the raw
// request body that each channel's scheme puts in one header, and its constant-time
// check.
//
//   stockd       X-Stockd-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//                (the webhook adapter protocol, adapters/README.md)
//   shopify      X-Shopify-Hmac-SHA256: <base64 HMAC-SHA256(secret, body)>
//   woocommerce  X-WC-Webhook-Signature: <base64 HMAC-SHA256(secret, body)>
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_ORDERS_SIGNATURE_H_
#define STOCKD_DAEMON_ORDERS_SIGNATURE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace stockd::orders {

enum class SignatureScheme { kStockd, kShopify, kWooCommerce };

// "stockd" | "shopify" | "woocommerce"; INVALID_ARGUMENT naming the three otherwise.
absl::StatusOr<SignatureScheme> ParseSignatureScheme(absl::string_view name);
const char* SignatureSchemeName(SignatureScheme scheme);

// The request header that carries the scheme's signature.
const char* SignatureHeader(SignatureScheme scheme);

// HMAC-SHA256(key, data): 32 raw bytes.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// The header value a sender of `scheme` puts on `body` (lower-case hex for stockd).
std::string SignBody(SignatureScheme scheme, absl::string_view secret, absl::string_view body);

// OK when `header_value` is the scheme's signature of the raw `body` under `secret`,
// compared in constant time (hex digits of either case are accepted for stockd).
// UNAUTHENTICATED otherwise, saying whether the value was malformed or did not match;
// the message never contains the secret or the expected value.
absl::Status VerifySignature(SignatureScheme scheme, absl::string_view secret,
                             absl::string_view body, absl::string_view header_value);

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_SIGNATURE_H_
