// stockctl token new NAME: a new bearer token for a client of the daemon
// (docs/security.md, "Tokens"). The token is printed once; the daemon's config keeps
// only its SHA-256, so a leaked config reveals no token. Runs without the daemon.
#include <sys/random.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "daemon/cli/commands.h"

namespace stockd::cli {
namespace {

constexpr const char* kRoles[] = {"read", "sell", "operate", "admin"};

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool IsId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int RunToken(Invocation& invocation) {
  Args& args = invocation.args;
  if (args.positional(0) != "new") {
    return invocation.UsageError(
        absl::StrCat("unknown subcommand '", args.positional(0), "' (expected: new)"));
  }
  const std::string& name = args.positional(1);
  if (!IsId(name)) {
    return invocation.UsageError(absl::StrCat(
        "'", name, "' is not a valid client name (1 to 128 bytes of A-Z a-z 0-9 . _ : / -)"));
  }
  std::vector<std::string> roles = args.Values("role");
  if (roles.empty()) roles.push_back("read");
  for (const std::string& r : roles) {
    bool known = false;
    for (const char* k : kRoles) known = known || r == k;
    if (!known) {
      return invocation.UsageError(
          absl::StrCat("--role '", r, "': expected read, sell, operate or admin"));
    }
  }
  std::vector<std::string> channels = args.Values("channel");
  for (const std::string& c : channels) {
    if (c != "*" && !IsId(c)) {
      return invocation.UsageError(absl::StrCat("--channel '", c, "' is not a valid channel id"));
    }
  }
  if (channels.empty()) channels.push_back("*");

  unsigned char random[32];
  size_t got = 0;
  while (got < sizeof random) {
    const ssize_t n = getrandom(random + got, sizeof random - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::cerr << "stockctl: cannot read random bytes: " << std::strerror(errno) << "\n";
      return kExitFailed;
    }
    got += static_cast<size_t>(n);
  }
  std::string token = absl::StrCat(
      "stockd_", absl::WebSafeBase64Escape(
                     absl::string_view(reinterpret_cast<const char*>(random), sizeof random)));
  const std::string hash = Sha256Hex(token);
  auto quoted = [](const std::vector<std::string>& v) {
    std::vector<std::string> q;
    for (const std::string& s : v) q.push_back(absl::StrCat("\"", s, "\""));
    return absl::StrJoin(q, ", ");
  };
  const std::string line =
      absl::StrCat("  - {name: ", name, ", token_sha256: \"", hash, "\", roles: [",
                   absl::StrJoin(roles, ", "), "], channels: [", quoted(channels), "]}");
  if (invocation.json()) {
    // Names, tokens and hashes hold no byte JSON escapes; the config entry's quotes do.
    invocation.out << "{\"name\":\"" << name << "\",\"token\":\"" << token
                   << "\",\"token_sha256\":\"" << hash << "\",\"config\":\""
                   << absl::StrReplaceAll(line.substr(2), {{"\"", "\\\""}}) << "\"}\n";
    return kExitOk;
  }
  invocation.out << "token (shown once; give it to the client in a file only it can read):\n"
                 << token << "\n\n"
                 << "add this entry under `clients:` in the daemon's config, then reload it\n"
                 << "(systemctl reload stockd, or SIGHUP):\n"
                 << line << "\n";
  return kExitOk;
}

}  // namespace stockd::cli
