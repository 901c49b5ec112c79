// Redaction of credentials in free text, the daemon's safety net for everything an
// adapter reports (log lines, push errors shown by GetPushStatus): adapters should not
// put secrets in their messages, but a URL with a password is easily echoed by mistake.
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_UTIL_REDACT_H_
#define STOCKD_DAEMON_UTIL_REDACT_H_

#include <string>
#include <string_view>

namespace stockd::util {

// What replaces a secret.
inline constexpr std::string_view kRedacted = "***";

// `text` with every credential it recognizes replaced by kRedacted:
//  * the userinfo of a URL: "https://user:pw@host/x" -> "https://***@host/x";
//  * the value of a query/form parameter whose name looks secret (see LooksSecret):
//    "?token=abc&sku=1" -> "?token=***&sku=1";
//  * the value of a JSON member whose name looks secret: "\"api_key\": \"abc\"";
//  * an Authorization header's value ("Authorization: Basic abc" -> "Authorization: ***")
//    and a bearer token anywhere ("Bearer abc" -> "Bearer ***").
// Everything else is left as it is. Over-redaction (a harmless name that looks secret)
// is preferred to a leak.
std::string RedactSecrets(std::string_view text);

// Whether a parameter name looks like it carries a secret (case-insensitive): it ends in
// token, key, secret, password, passwd, pwd, signature or sig, or contains "secret",
// "password" or "token" (access_token, api_key, X-Api-Key, clientSecret, ...).
bool LooksSecret(std::string_view name);

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_REDACT_H_
