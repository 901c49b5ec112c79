#include "daemon/orders/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace stockd::orders {
namespace {

constexpr size_t kMacBytes = 32;
constexpr absl::string_view kStockdPrefix = "sha256=";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The MAC a header value carries, or nullopt when it is not one (wrong form or length).
std::optional<std::string> CarriedMac(SignatureScheme scheme, absl::string_view value) {
  std::string mac;
  if (scheme == SignatureScheme::kStockd) {
    if (!absl::ConsumePrefix(&value, kStockdPrefix) || value.size() != 2 * kMacBytes) {
      return std::nullopt;
    }
    for (size_t i = 0; i < value.size(); i += 2) {
      const int hi = HexDigit(value[i]);
      const int lo = HexDigit(value[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      mac.push_back(static_cast<char>(hi * 16 + lo));
    }
  } else if (!absl::Base64Unescape(value, &mac)) {
    return std::nullopt;
  }
  if (mac.size() != kMacBytes) return std::nullopt;
  return mac;
}

}  // namespace

absl::StatusOr<SignatureScheme> ParseSignatureScheme(absl::string_view name) {
  if (name == "stockd") return SignatureScheme::kStockd;
  if (name == "shopify") return SignatureScheme::kShopify;
  if (name == "woocommerce") return SignatureScheme::kWooCommerce;
  return absl::InvalidArgumentError(absl::StrCat("signature scheme '", absl::CHexEscape(name),
                                                 "' (stockd, shopify or woocommerce)"));
}

const char* SignatureSchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kStockd:
      return "stockd";
    case SignatureScheme::kShopify:
      return "shopify";
    case SignatureScheme::kWooCommerce:
      return "woocommerce";
  }
  return "?";
}

const char* SignatureHeader(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kStockd:
      return "X-Stockd-Signature";
    case SignatureScheme::kShopify:
      return "X-Shopify-Hmac-SHA256";
    case SignatureScheme::kWooCommerce:
      return "X-WC-Webhook-Signature";
  }
  return "?";
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
  static const char kEmpty = 0;
  HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string SignBody(SignatureScheme scheme, absl::string_view secret, absl::string_view body) {
  const std::string mac = HmacSha256(secret, body);
  if (scheme == SignatureScheme::kStockd) {
    return absl::StrCat(kStockdPrefix, absl::BytesToHexString(mac));
  }
  return absl::Base64Escape(mac);
}

absl::Status VerifySignature(SignatureScheme scheme, absl::string_view secret,
                             absl::string_view body, absl::string_view header_value) {
  const std::optional<std::string> carried = CarriedMac(scheme, header_value);
  if (!carried.has_value()) {
    return absl::UnauthenticatedError(absl::StrCat(
        SignatureHeader(scheme), ": malformed (expected ",
        scheme == SignatureScheme::kStockd ? "sha256=<64 hex digits>" : "base64 of 32 bytes", ")"));
  }
  const std::string expected = HmacSha256(secret, body);
  if (CRYPTO_memcmp(carried->data(), expected.data(), kMacBytes) != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat(SignatureHeader(scheme), ": does not match the body"));
  }
  return absl::OkStatus();
}

}  // namespace stockd::orders
