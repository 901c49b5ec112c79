/*
 * Which names carry secrets, shared by the adapter SDK (a plugin redacts what it echoes)
 * and the daemon (it redacts every adapter message again): one rule on both sides.
 * Header only, C++17, no dependencies. Thread-safe (pure).
 */
#ifndef STOCKD_SECRET_NAMES_H_
#define STOCKD_SECRET_NAMES_H_

#include <string>
#include <string_view>

namespace stockd {

// True when a parameter, header or JSON member of this name carries a secret: it ends in
// token, key, secret, password, passwd, pwd, signature or sig, or contains "secret",
// "password" or "token" (access_token, api_key, X-Api-Key, clientSecret, ...). Any case.
inline bool LooksSecretName(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const auto ends_with = [&lower](std::string_view s) {
    return lower.size() >= s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  };
  for (std::string_view s :
       {"token", "key", "secret", "password", "passwd", "pwd", "signature", "sig"}) {
    if (ends_with(s)) return true;
  }
  for (std::string_view s : {"secret", "password", "token"}) {
    if (lower.find(s) != std::string::npos) return true;
  }
  return false;
}

}  // namespace stockd

#endif  // STOCKD_SECRET_NAMES_H_
