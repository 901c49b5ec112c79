// Webhook signatures (daemon/orders/signature.h) against fixed vectors: RFC 4231's
// HMAC-SHA256 test cases 1, 2 and 6, and their hex and base64 forms.
#include "daemon/orders/signature.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace stockd::orders {
namespace {

struct Vector {
  std::string key;
  std::string data;
  std::string hex;
  std::string base64;
};

// RFC 4231 section 4.2 (case 1), 4.3 (case 2), 4.7 (case 6: a key longer than a block).
const Vector kRfc4231[] = {
    {std::string(20, '\x0b'), "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c="},
    {"Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
    {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q="},
};

TEST(SignatureTest, HmacSha256MatchesRfc4231) {
  for (const Vector& v : kRfc4231) {
    EXPECT_EQ(absl::BytesToHexString(HmacSha256(v.key, v.data)), v.hex) << v.data;
  }
}

TEST(SignatureTest, SignsEachSchemeInItsOwnForm) {
  const Vector& v = kRfc4231[1];
  EXPECT_EQ(SignBody(SignatureScheme::kStockd, v.key, v.data), "sha256=" + v.hex);
  EXPECT_EQ(SignBody(SignatureScheme::kShopify, v.key, v.data), v.base64);
  EXPECT_EQ(SignBody(SignatureScheme::kWooCommerce, v.key, v.data), v.base64);
}

TEST(SignatureTest, AcceptsTheFixedVectors) {
  for (const Vector& v : kRfc4231) {
    EXPECT_TRUE(VerifySignature(SignatureScheme::kStockd, v.key, v.data, "sha256=" + v.hex).ok());
    EXPECT_TRUE(VerifySignature(SignatureScheme::kShopify, v.key, v.data, v.base64).ok());
    EXPECT_TRUE(VerifySignature(SignatureScheme::kWooCommerce, v.key, v.data, v.base64).ok());
  }
  // Hex digits of either case.
  std::string upper = kRfc4231[0].hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifySignature(SignatureScheme::kStockd, kRfc4231[0].key, kRfc4231[0].data,
                              "sha256=" + upper)
                  .ok());
}

TEST(SignatureTest, RefusesAnotherBodyKeyOrScheme) {
  const Vector& v = kRfc4231[1];
  const absl::Status body =
      VerifySignature(SignatureScheme::kShopify, v.key, v.data + " ", v.base64);
  EXPECT_EQ(body.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(body.message(), "X-Shopify-Hmac-SHA256: does not match the body");
  EXPECT_EQ(VerifySignature(SignatureScheme::kWooCommerce, "jefe", v.data, v.base64).code(),
            absl::StatusCode::kUnauthenticated);
  // The stockd form under a base64 scheme and the other way round.
  EXPECT_EQ(VerifySignature(SignatureScheme::kShopify, v.key, v.data, "sha256=" + v.hex).code(),
            absl::StatusCode::kUnauthenticated);
  const absl::Status base64_as_stockd =
      VerifySignature(SignatureScheme::kStockd, v.key, v.data, v.base64);
  EXPECT_EQ(base64_as_stockd.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(base64_as_stockd.message(),
            "X-Stockd-Signature: malformed (expected sha256=<64 hex digits>)");
}

TEST(SignatureTest, RefusesMalformedValues) {
  const Vector& v = kRfc4231[0];
  const std::string hex = v.hex;
  for (const std::string& value :
       {std::string(), std::string("sha256="), hex, "sha256=" + hex.substr(2),
        "sha256=" + hex + "00", "sha256=" + hex.substr(1) + "g", "SHA256=" + hex}) {
    EXPECT_EQ(VerifySignature(SignatureScheme::kStockd, v.key, v.data, value).code(),
              absl::StatusCode::kUnauthenticated)
        << value;
  }
  for (const std::string& value :
       {std::string(), std::string("not base64!"), v.base64.substr(0, 40),
        absl::Base64Escape(std::string(31, 'x'))}) {
    EXPECT_EQ(VerifySignature(SignatureScheme::kShopify, v.key, v.data, value).code(),
              absl::StatusCode::kUnauthenticated)
        << value;
  }
}

TEST(SignatureTest, ParsesSchemeNames) {
  EXPECT_EQ(*ParseSignatureScheme("stockd"), SignatureScheme::kStockd);
  EXPECT_EQ(*ParseSignatureScheme("shopify"), SignatureScheme::kShopify);
  EXPECT_EQ(*ParseSignatureScheme("woocommerce"), SignatureScheme::kWooCommerce);
  const absl::StatusOr<SignatureScheme> bad = ParseSignatureScheme("Shopify");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "signature scheme 'Shopify' (stockd, shopify or woocommerce)");
  for (SignatureScheme s :
       {SignatureScheme::kStockd, SignatureScheme::kShopify, SignatureScheme::kWooCommerce}) {
    EXPECT_EQ(*ParseSignatureScheme(SignatureSchemeName(s)), s);
  }
  EXPECT_STREQ(SignatureHeader(SignatureScheme::kWooCommerce), "X-WC-Webhook-Signature");
}

}  // namespace
}  // namespace stockd::orders
