#include "daemon/server/auth.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace stockd::server {
namespace {

constexpr absl::string_view kBearer = "bearer ";

grpc::Status Unauthenticated(std::string message) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::move(message));
}

}  // namespace

bool Caller::MayActFor(absl::string_view channel) const {
  return every_channel() || std::find(channels.begin(), channels.end(), channel) != channels.end();
}

std::string TokenSha256(absl::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Authenticator::Authenticator(const std::vector<config::ClientConfig>& clients)
    : table_(Build(clients)) {}

std::shared_ptr<const Authenticator::Table> Authenticator::Build(
    const std::vector<config::ClientConfig>& clients) {
  auto table = std::make_shared<Table>();
  if (clients.empty()) {
    auto anonymous = std::make_shared<Caller>();
    anonymous->role = config::Role::kAdmin;
    table->anonymous = std::move(anonymous);
  }
  for (const config::ClientConfig& c : clients) {
    auto caller = std::make_shared<Caller>();
    caller->name = c.name;
    caller->role = c.role;
    caller->channels = c.channels;
    if (!c.token_sha256.empty()) table->by_token_sha256.emplace(c.token_sha256, caller);
    if (!c.certificate.empty()) table->by_certificate.emplace(c.certificate, caller);
  }
  return table;
}

void Authenticator::Reload(const std::vector<config::ClientConfig>& clients) {
  std::shared_ptr<const Table> next = Build(clients);
  absl::MutexLock lock(&mu_);
  table_.swap(next);
  // `next` (the old table) is released outside the lock.
}

std::shared_ptr<const Authenticator::Table> Authenticator::table() const {
  absl::ReaderMutexLock lock(&mu_);
  return table_;
}

bool Authenticator::enabled() const { return table()->anonymous == nullptr; }

grpc::Status Authenticator::Identify(const grpc::ServerContextBase& ctx,
                                     std::shared_ptr<const Caller>* caller) const {
  std::shared_ptr<const Table> t = table();
  if (t->anonymous != nullptr) {
    *caller = t->anonymous;
    return grpc::Status::OK;
  }
  const auto& metadata = ctx.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (value.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
      return Unauthenticated("the authorization header is not 'Bearer <token>'");
    }
    absl::string_view token = absl::StripAsciiWhitespace(value.substr(kBearer.size()));
    auto found = t->by_token_sha256.find(TokenSha256(token));
    if (found == t->by_token_sha256.end()) {
      return Unauthenticated("unknown token (no client in the config has its SHA-256)");
    }
    *caller = found->second;
    return grpc::Status::OK;
  }
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<std::string> names;
    for (const char* property : {"x509_subject_alternative_name", "x509_common_name"}) {
      for (const grpc::string_ref& name : auth->FindPropertyValues(property)) {
        std::string n(name.data(), name.size());
        if (auto found = t->by_certificate.find(n); found != t->by_certificate.end()) {
          *caller = found->second;
          return grpc::Status::OK;
        }
        names.push_back(std::move(n));
      }
    }
    if (!names.empty()) {
      return Unauthenticated(absl::StrCat("the client certificate (", absl::StrJoin(names, ", "),
                                          ") names no configured client"));
    }
  }
  return Unauthenticated(
      "no credentials: send 'authorization: Bearer <token>' (or a client certificate)");
}

}  // namespace stockd::server
