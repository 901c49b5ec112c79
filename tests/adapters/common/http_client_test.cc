// adapters/common/http_client.h against FakeHttpServer: methods with and without bodies,
// headers both ways, HTTP Basic, transport failures named by the redacted URL.
#include "common/http_client.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "tests/fakes/http_server.h"
#include "tests/fakes/plugin_under_test.h"

namespace stockd::adapters {
namespace {

using fakes::HttpAnswer;
using fakes::HttpRequest;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<fakes::FakeHttpServer>([this](const HttpRequest& r) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(r);
      if (r.path == "/reset") return HttpAnswer::Reset();
      return HttpAnswer::Json(207, R"({"ok":true})").With("X-WP-TotalPages", "3");
    });
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
  }
  std::mutex mu_;
  std::vector<HttpRequest> seen_;
  fakes::TestHost host_;
  std::unique_ptr<fakes::FakeHttpServer> server_;
};

TEST_F(HttpClientTest, SendsEachMethodWithItsBodyAndReadsHeaders) {
  HttpClient http(HttpClient::Options{}, stockd::sdk::Host(host_.host()));
  for (const std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE", "GET"}) {
    Request request;
    request.method = method;
    request.url = server_->base_url() + "/x?a=1";
    request.body = method == "GET" || method == "DELETE" ? "" : R"({"m":")" + method + "\"}";
    request.headers = {"x-amz-access-token: Atza|t"};
    const Response r = http.Perform(request);
    ASSERT_TRUE(r.answered()) << r.transport_error;
    EXPECT_EQ(r.status, 207);
    EXPECT_EQ(r.body, R"({"ok":true})");
    EXPECT_EQ(r.Header("x-wp-totalpages"), "3");
  }
  ASSERT_EQ(seen_.size(), 6u);
  for (size_t i = 0; i < seen_.size(); ++i) {
    const HttpRequest& r = seen_[i];
    EXPECT_EQ(r.method,
              std::vector<std::string>({"GET", "POST", "PUT", "PATCH", "DELETE", "GET"})[i]);
    EXPECT_EQ(r.target, "/x?a=1");
    EXPECT_EQ(r.Header("x-amz-access-token"), "Atza|t");
    EXPECT_EQ(r.Header("accept"), "application/json");
    const bool body = r.method != "GET" && r.method != "DELETE";
    EXPECT_EQ(r.Header("content-type"), body ? "application/json" : "");
    EXPECT_EQ(r.body, body ? R"({"m":")" + r.method + "\"}" : "");
  }
  EXPECT_EQ(host_.Counter("requests"), 6);
  EXPECT_EQ(server_->ConnectionCount(), 1);  // one kept-alive connection
}

TEST_F(HttpClientTest, SendsHttpBasicOnlyWhenAsked) {
  HttpClient http(HttpClient::Options{}, stockd::sdk::Host(host_.host()));
  Request request;
  request.url = server_->base_url() + "/wp-json/wc/v3/products";
  request.basic_auth = "ck_1:cs_2";
  ASSERT_TRUE(http.Perform(request).answered());
  request.basic_auth.clear();
  ASSERT_TRUE(http.Perform(request).answered());
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].Header("authorization"), "Basic " + fakes::Base64("ck_1:cs_2"));
  EXPECT_EQ(seen_[1].Header("authorization"), "");
}

TEST_F(HttpClientTest, ATransportFailureNamesTheRedactedUrl) {
  HttpClient http(HttpClient::Options{}, stockd::sdk::Host(host_.host()));
  Request request;
  request.method = "POST";
  request.url = server_->base_url() + "/reset?api_key=k123";
  const Response r = http.Perform(request);
  EXPECT_FALSE(r.answered());
  EXPECT_EQ(r.transport_error.rfind("POST " + server_->base_url() + "/reset?api_key=***: ", 0), 0u)
      << r.transport_error;
}

}  // namespace
}  // namespace stockd::adapters
