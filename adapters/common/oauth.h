// An OAuth 2.0 access token kept fresh from a refresh token (RFC 6749 section 6): Amazon's
// Login with Amazon (client id and secret in the form body) and eBay's identity service
// (client id and secret as HTTP Basic). The token is refreshed when there is none, when it
// expires within `refresh_margin_ms`, and when the API refused it (Invalidate after a
// 401/403); a refused refresh (400/401 invalid_grant, invalid_client) is reported as
// kRejected: only new credentials cure it (AuthPause).
//
// The access token, the refresh token and the client secret never appear in a message.
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_COMMON_OAUTH_H_
#define STOCKD_ADAPTERS_COMMON_OAUTH_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "common/credentials.h"
#include "common/http_client.h"

namespace stockd::adapters {

class OAuthToken {
 public:
  struct Options {
    std::string token_url;     // POST grant_type=refresh_token&refresh_token=... here
    std::string client_id;     // not secret
    Credential client_secret;  // <..>_file / <..>_env
    Credential refresh_token;  // <..>_file / <..>_env
    std::string scope;         // sent when not empty (eBay: space-separated scopes)
    bool basic_auth = false;   // client id:secret as HTTP Basic (eBay) or in the body (LWA)
    int64_t refresh_margin_ms = 60'000;
  };

  struct Result {
    enum class Status { kOk, kTransient, kRejected };
    Status status = Status::kOk;
    std::string token;    // kOk
    std::string message;  // otherwise: why, without secrets
  };

  explicit OAuthToken(Options options) : options_(std::move(options)) {}

  // A token valid for at least refresh_margin_ms, refreshing through `http` if needed.
  Result Get(HttpClient& http);
  // The API refused the current token: the next Get refreshes.
  void Invalidate() { token_.clear(); }
  // Re-reads the client secret and refresh token (after an operator fixed them); true
  // when either changed (the token is dropped then).
  bool ReloadCredentials();

  int64_t refreshes() const { return refreshes_; }

 private:
  using Clock = std::chrono::steady_clock;

  Options options_;
  std::string token_;
  Clock::time_point expires_{};
  int64_t refreshes_ = 0;
};

// application/x-www-form-urlencoded encoding of one value (RFC 3986 unreserved kept).
std::string FormEncode(const std::string& value);

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_OAUTH_H_
