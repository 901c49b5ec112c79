// FakeAmazon's access control: the Login with Amazon token endpoint (refresh-token grant;
// 400 invalid_grant / 401 invalid_client as LWA answers), the x-amz-access-token check of
// every SP-API request (403 Unauthorized, "expired" in the details for an expired token),
// and the presigned feed-document URLs, which follow an S3 bucket's rules (signature,
// signed Content-Type, five-minute expiry) and answer S3's XML errors.
#include "tests/fakes/amazon/fake_amazon.h"

namespace stockd::fakes {

using amazon_fake::Errors;
using Json = nlohmann::json;

namespace {

constexpr char kUnauthorized[] = "Access to requested resource is denied.";

HttpAnswer LwaError(int status, const std::string& error, const std::string& description) {
  return HttpAnswer::Json(status,
                          Json({{"error_description", description}, {"error", error}}).dump());
}

HttpAnswer S3Error(const std::string& code, const std::string& message) {
  HttpAnswer a;
  a.status = 403;
  a.content_type = "application/xml";
  a.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
           message + "</Message></Error>";
  return a;
}

}  // namespace

std::optional<HttpAnswer> FakeAmazon::CheckAccessTokenLocked(const HttpRequest& request) {
  const std::string token = request.Header("x-amz-access-token");
  if (token.empty()) return Errors(403, "Unauthorized", kUnauthorized, "");
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return Errors(403, "Unauthorized", kUnauthorized,
                  "The access token you provided is revoked, malformed or invalid.");
  }
  if (Clock::now() >= it->second) {
    return Errors(403, "Unauthorized", kUnauthorized, "The access token you provided has expired.");
  }
  return std::nullopt;
}

HttpAnswer FakeAmazon::TokenEndpoint(const HttpRequest& request) {
  if (request.method != "POST") {
    return LwaError(400, "invalid_request", "The token endpoint takes POST requests");
  }
  if (request.Header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) {
    return LwaError(400, "invalid_request",
                    "Content-Type must be application/x-www-form-urlencoded");
  }
  const std::optional<std::map<std::string, std::string>> form = ParseQuery(request.body);
  if (!form.has_value()) return LwaError(400, "invalid_request", "Malformed request body");
  const auto field = [&](const char* name) {
    const auto it = form->find(name);
    return it == form->end() ? std::string() : it->second;
  };
  for (const char* required : {"grant_type", "refresh_token", "client_id", "client_secret"}) {
    if (field(required).empty()) {
      return LwaError(400, "invalid_request",
                      std::string("The request is missing a required parameter : ") + required);
    }
  }
  if (field("grant_type") != "refresh_token") {
    return LwaError(400, "unsupported_grant_type", "The authorization grant type is not supported");
  }
  if (field("client_id") != options_.client_id || field("client_secret") != client_secret_) {
    return LwaError(401, "invalid_client", "Client authentication failed");
  }
  if (field("refresh_token") != refresh_token_) {
    return LwaError(400, "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token");
  }
  const std::string token = "Atza|" + RandomHexLocked(96);
  tokens_[token] = Clock::now() + std::chrono::seconds(options_.token_lifetime_s);
  ++tokens_issued_;
  return HttpAnswer::Json(200, Json({{"access_token", token},
                                     {"refresh_token", refresh_token_},
                                     {"token_type", "bearer"},
                                     {"expires_in", options_.token_lifetime_s}})
                                   .dump());
}

std::string FakeAmazon::PresignLocked(const std::string& id, bool upload) {
  Document& d = documents_.at(id);
  const std::string signature = RandomHexLocked(64);
  const Clock::time_point expires = Clock::now() + std::chrono::minutes(5);
  if (upload) {
    d.upload_signature = signature;
    d.upload_expires = expires;
  } else {
    d.download_signature = signature;
    d.download_expires = expires;
  }
  return base_url() + "/feed-documents/" + id +
         "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-SignedHeaders=" +
         (upload ? "content-type%3Bhost" : "host") + "&X-Amz-Signature=" + signature;
}

// The presigned URLs: an S3 bucket's rules, S3's XML errors.
HttpAnswer FakeAmazon::Presigned(const HttpRequest& request) {
  const std::string id = request.path.substr(std::string("/feed-documents/").size());
  const std::optional<std::map<std::string, std::string>> query = ParseQuery(request.query);
  const auto doc = documents_.find(id);
  if (doc == documents_.end() || !query.has_value()) {
    return S3Error("AccessDenied", "Access Denied");
  }
  Document& d = doc->second;
  const auto signature = query->find("X-Amz-Signature");
  const bool upload = request.method == "PUT";
  const std::string& expected = upload ? d.upload_signature : d.download_signature;
  if (signature == query->end() || expected.empty() || signature->second != expected ||
      (request.method != "PUT" && request.method != "GET")) {
    return S3Error("SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you "
                   "provided. Check your key and signing method.");
  }
  if (Clock::now() >= (upload ? d.upload_expires : d.download_expires)) {
    return S3Error("AccessDenied", "Request has expired");
  }
  if (upload) {
    if (d.result || request.Header("content-type") != d.content_type) {
      return S3Error("SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you "
                     "provided. Check your key and signing method.");
    }
    d.content = request.body;
    d.uploaded = true;
    HttpAnswer a;
    a.status = 200;
    a.content_type = "application/xml";
    a.With("ETag", "\"" + RandomHexLocked(32) + "\"");
    return a;
  }
  HttpAnswer a;
  a.status = 200;
  a.content_type = d.content_type;
  a.body = d.content;
  return a;
}

}  // namespace stockd::fakes
