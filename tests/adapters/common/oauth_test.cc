// adapters/common/oauth.h against a local token endpoint (FakeHttpServer): the refresh
// grant in both client-authentication styles, reuse until near expiry, Invalidate, and a
// refused refresh told apart from a transient failure, with no secret in any message.
#include "common/oauth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>

#include "tests/fakes/http_server.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd::adapters {
namespace {

using fakes::HttpAnswer;
using fakes::HttpRequest;
using stockd::sdk::Json;

class OAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "oauth-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ::mkdir(dir_.c_str(), 0700);
    server_ =
        std::make_unique<fakes::FakeHttpServer>([this](const HttpRequest& r) { return Token(r); });
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    http_ = std::make_unique<HttpClient>(HttpClient::Options{}, stockd::sdk::Host(host_.host()));
  }

  // The token endpoint: RFC 6749 6 with the client in the body or as HTTP Basic.
  HttpAnswer Token(const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    last_ = r;
    if (transient_) return HttpAnswer::Json(503, "{}");
    const auto form = fakes::ParseQuery(r.body);
    if (r.method != "POST" || r.Header("content-type") != "application/x-www-form-urlencoded" ||
        !form.has_value() || form->count("grant_type") == 0 ||
        form->at("grant_type") != "refresh_token") {
      return HttpAnswer::Json(400, R"({"error":"invalid_request"})");
    }
    const bool client_ok =
        basic_
            ? r.Header("authorization") == "Basic " + fakes::Base64(std::string("app-1:") + kSecret)
            : form->count("client_id") == 1 && form->at("client_id") == "app-1" &&
                  form->count("client_secret") == 1 && form->at("client_secret") == kSecret;
    if (!client_ok) return HttpAnswer::Json(401, R"({"error":"invalid_client"})");
    if (form->count("refresh_token") == 0 || form->at("refresh_token") != refresh_) {
      return HttpAnswer::Json(
          400,
          R"({"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"})");
    }
    if (!scope_.empty() && (form->count("scope") == 0 || form->at("scope") != scope_)) {
      return HttpAnswer::Json(400, R"({"error":"invalid_scope"})");
    }
    return HttpAnswer::Json(200, Json{{"access_token", "Atza|" + std::to_string(calls_)},
                                      {"token_type", "bearer"},
                                      {"expires_in", expires_in_}}
                                     .dump());
  }

  std::string WriteSecret(const std::string& name, const std::string& value) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << value;
    ::chmod(path.c_str(), 0600);
    return path;
  }

  OAuthToken::Options Options(bool basic) {
    OAuthToken::Options o;
    o.token_url = server_->base_url() + "/auth/o2/token";
    o.client_id = "app-1";
    o.client_secret = Credential::FromConfig(
        Json{{"client_secret_file", WriteSecret("client", kSecret)}}, "client_secret");
    o.refresh_token = Credential::FromConfig(
        Json{{"refresh_token_file", WriteSecret("refresh", "Atzr|good")}}, "refresh_token");
    o.basic_auth = basic;
    return o;
  }

  static constexpr const char* kSecret = "s3cr3t+/=";
  std::string dir_;
  fakes::TestHost host_;
  std::unique_ptr<fakes::FakeHttpServer> server_;
  std::unique_ptr<HttpClient> http_;
  std::mutex mu_;
  int calls_ = 0;
  HttpRequest last_;
  bool basic_ = false;
  bool transient_ = false;
  std::string refresh_ = "Atzr|good";
  std::string scope_;
  int64_t expires_in_ = 3600;
};

TEST_F(OAuthTest, RefreshesOnceAndReusesTheTokenUntilNearExpiry) {
  OAuthToken token(Options(/*basic=*/false));
  const OAuthToken::Result first = token.Get(*http_);
  ASSERT_EQ(first.status, OAuthToken::Result::Status::kOk) << first.message;
  EXPECT_EQ(first.token, "Atza|1");
  EXPECT_EQ(token.Get(*http_).token, "Atza|1");
  EXPECT_EQ(calls_, 1);
  token.Invalidate();  // the API answered 403 to it
  EXPECT_EQ(token.Get(*http_).token, "Atza|2");
  EXPECT_EQ(token.refreshes(), 2);
  // A token that lives less than the margin is refreshed on every use.
  expires_in_ = 30;
  token.Invalidate();
  EXPECT_EQ(token.Get(*http_).token, "Atza|3");
  EXPECT_EQ(token.Get(*http_).token, "Atza|4");
}

TEST_F(OAuthTest, SendsTheClientAsHttpBasicWithTheScope) {
  basic_ = true;
  scope_ = "https://api.ebay.com/oauth/api_scope/sell.inventory";
  OAuthToken::Options o = Options(/*basic=*/true);
  o.scope = scope_;
  OAuthToken token(std::move(o));
  const OAuthToken::Result r = token.Get(*http_);
  ASSERT_EQ(r.status, OAuthToken::Result::Status::kOk) << r.message;
  EXPECT_EQ(last_.body.find("client_secret"), std::string::npos);
}

TEST_F(OAuthTest, ARefusedGrantIsRejectedAndNamesNoSecret) {
  refresh_ = "Atzr|rotated";
  OAuthToken token(Options(false));
  const OAuthToken::Result r = token.Get(*http_);
  EXPECT_EQ(r.status, OAuthToken::Result::Status::kRejected);
  EXPECT_EQ(r.message, "token refresh POST " + server_->base_url() +
                           "/auth/o2/token: HTTP 400: invalid_grant (The request has an invalid "
                           "grant parameter : refresh_token)");
  EXPECT_EQ(r.message.find("Atzr|good"), std::string::npos);
  EXPECT_EQ(r.message.find(kSecret), std::string::npos);
}

TEST_F(OAuthTest, AServerErrorIsTransientAndANewRefreshTokenCuresARefusal) {
  transient_ = true;
  OAuthToken token(Options(false));
  EXPECT_EQ(token.Get(*http_).status, OAuthToken::Result::Status::kTransient);
  transient_ = false;
  refresh_ = "Atzr|rotated";
  EXPECT_EQ(token.Get(*http_).status, OAuthToken::Result::Status::kRejected);
  EXPECT_FALSE(token.ReloadCredentials());
  WriteSecret("refresh", "Atzr|rotated\n");
  EXPECT_TRUE(token.ReloadCredentials());
  EXPECT_EQ(token.Get(*http_).status, OAuthToken::Result::Status::kOk);
}

TEST(FormEncodeTest, KeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(FormEncode("Atzr|a+b/c=d e~f.g_h-i"), "Atzr%7Ca%2Bb%2Fc%3Dd%20e~f.g_h-i");
}

}  // namespace
}  // namespace stockd::adapters
