#include "common/oauth.h"

#include <utility>

namespace stockd::adapters {

std::string FormEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

OAuthToken::Result OAuthToken::Get(HttpClient& http) {
  const Clock::time_point now = Clock::now();
  if (!token_.empty() && now + std::chrono::milliseconds(options_.refresh_margin_ms) < expires_) {
    return {Result::Status::kOk, token_, ""};
  }
  Request request;
  request.method = "POST";
  request.url = options_.token_url;
  request.content_type = "application/x-www-form-urlencoded";
  request.body =
      "grant_type=refresh_token&refresh_token=" + FormEncode(options_.refresh_token.value());
  if (options_.basic_auth) {
    request.basic_auth = options_.client_id + ":" + options_.client_secret.value();
  } else {
    request.body += "&client_id=" + FormEncode(options_.client_id) +
                    "&client_secret=" + FormEncode(options_.client_secret.value());
  }
  if (!options_.scope.empty()) request.body += "&scope=" + FormEncode(options_.scope);
  const std::string what = "token refresh POST " + stockd::sdk::RedactUrl(options_.token_url);
  const Response r = http.Perform(request);
  if (!r.answered()) return {Result::Status::kTransient, "", r.transport_error};
  if (r.status < 200 || r.status >= 300) {
    // RFC 6749 5.2: 400 invalid_grant / invalid_client / unauthorized_client, or 401.
    const bool rejected = r.status == 400 || r.status == 401 || r.status == 403;
    std::string reason = HttpError(r);
    const stockd::sdk::Json body = stockd::sdk::Json::parse(r.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
      reason = "HTTP " + std::to_string(r.status) + ": " + body["error"].get<std::string>();
      if (body.contains("error_description") && body["error_description"].is_string()) {
        reason += " (" + body["error_description"].get<std::string>() + ")";
      }
    }
    return {rejected ? Result::Status::kRejected : Result::Status::kTransient, "",
            what + ": " + reason};
  }
  const stockd::sdk::Json body = stockd::sdk::Json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty()) {
    return {Result::Status::kTransient, "", what + ": the answer has no access_token"};
  }
  int64_t expires_in = 3600;
  if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
    expires_in = body["expires_in"].get<int64_t>();
  }
  token_ = body["access_token"].get<std::string>();
  expires_ = now + std::chrono::seconds(expires_in);
  ++refreshes_;
  return {Result::Status::kOk, token_, ""};
}

bool OAuthToken::ReloadCredentials() {
  const bool secret = options_.client_secret.Reload();
  const bool refresh = options_.refresh_token.Reload();
  if (secret || refresh) token_.clear();
  return secret || refresh;
}

}  // namespace stockd::adapters
