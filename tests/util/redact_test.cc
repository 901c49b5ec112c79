// The host-side redaction of adapter messages (daemon/util/redact.h): a table of what is
// and is not a secret, and the names that look secret.
#include "daemon/util/redact.h"

#include <gtest/gtest.h>

namespace stockd {
namespace {

TEST(RedactSecretsTest, Table) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      // URL userinfo, with and without a password.
      {"POST https://user:s3cr3t@shop.example/stock: HTTP 500",
       "POST https://***@shop.example/stock: HTTP 500"},
      {"GET http://tok3n@h:8080/x?a=1", "GET http://***@h:8080/x?a=1"},
      {"a@b in https://h/p@q stays", "a@b in https://h/p@q stays"},
      // Secret-looking query parameters, any case, anywhere in the query.
      {"https://h/x?token=abc", "https://h/x?token=***"},
      {"https://h/x?sku=1&ACCESS_TOKEN=abc&b=2", "https://h/x?sku=1&ACCESS_TOKEN=***&b=2"},
      {"https://h/x?api_key=abc#frag", "https://h/x?api_key=***#frag"},
      {"?Key=abc&secret=d&password=e&signature=f&sig=g&X-Api-Key=h",
       "?Key=***&secret=***&password=***&signature=***&sig=***&X-Api-Key=***"},
      {"https://u:p@h/x?token=abc&sku=S-1", "https://***@h/x?token=***&sku=S-1"},
      {"retry with token=abc later", "retry with token=*** later"},
      {"POST https://h/x?token=abc: HTTP 503", "POST https://h/x?token=***: HTTP 503"},
      // Harmless parameters are kept.
      {"?listing_ids=a,b&channel=amazon&sku=1", "?listing_ids=a,b&channel=amazon&sku=1"},
      {"?token=&a=1", "?token=&a=1"},
      // JSON members and authorization values.
      {R"({"api_key": "abc", "url": "x"})", R"({"api_key": "***", "url": "x"})"},
      {R"({"clientSecret":"a\"bc"})", R"({"clientSecret":"***"})"},
      {"Authorization: Basic dXNlcjpwdw==", "Authorization: ***"},
      {"401: Bearer abc.def rejected", "401: Bearer *** rejected"},
      {"bearer", "bearer"},
      // Nothing secret: unchanged.
      {"A: HTTP 503: {\"error\":\"busy\"}", "A: HTTP 503: {\"error\":\"busy\"}"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(util::RedactSecrets(c.in), c.out) << c.in;
}

TEST(RedactSecretsTest, LooksSecret) {
  for (const char* name :
       {"token", "key", "secret", "password", "signature", "sig", "access_token", "api_key",
        "API_KEY", "X-Api-Key", "clientSecret", "passwd", "refresh_token_v2"}) {
    EXPECT_TRUE(util::LooksSecret(name)) << name;
  }
  for (const char* name : {"sku", "channel", "listing_ids", "url", "page", "signed", ""}) {
    EXPECT_FALSE(util::LooksSecret(name)) << name;
  }
}

}  // namespace
}  // namespace stockd
