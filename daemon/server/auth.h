// Who is calling and what they may do (docs/security.md): the configured clients, each
// known by a bearer token (kept only as its SHA-256) or by the name in its verified
// client certificate, with a role (read < sell < operate < admin) and the channels it
// may act for. Authentication is on exactly when clients are configured; off, every
// caller is an unnamed admin of every channel (loopback only: the config refuses more).
//
// Thread safety: all methods may be called from any thread; Reload swaps the client
// table atomically (calls in flight keep the Caller they were given).
#ifndef STOCKD_DAEMON_SERVER_AUTH_H_
#define STOCKD_DAEMON_SERVER_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/slices.h"

namespace stockd::server {

// One authenticated caller, or the anonymous caller when authentication is off.
struct Caller {
  std::string name;  // "" when authentication is off
  config::Role role = config::Role::kNone;
  std::vector<std::string> channels;  // empty = every channel
  bool every_channel() const { return channels.empty(); }
  bool MayActFor(absl::string_view channel) const;
};

// SHA-256 of `token` as 64 lowercase hex digits (what clients[].token_sha256 holds).
std::string TokenSha256(absl::string_view token);

class Authenticator {
 public:
  explicit Authenticator(const std::vector<config::ClientConfig>& clients);

  // Replaces the client table (a reload). An empty list turns authentication off.
  void Reload(const std::vector<config::ClientConfig>& clients);
  bool enabled() const;

  // The caller of `ctx`: a bearer token in `authorization: Bearer <token>` if sent (it
  // must be known), else the verified client certificate's SAN or CN. UNAUTHENTICATED
  // (nothing else is looked at) when neither names a configured client.
  grpc::Status Identify(const grpc::ServerContextBase& ctx,
                        std::shared_ptr<const Caller>* caller) const;

 private:
  struct Table {
    absl::flat_hash_map<std::string, std::shared_ptr<const Caller>> by_token_sha256;
    absl::flat_hash_map<std::string, std::shared_ptr<const Caller>> by_certificate;
    std::shared_ptr<const Caller> anonymous;  // set when there are no clients
  };
  static std::shared_ptr<const Table> Build(const std::vector<config::ClientConfig>& clients);
  std::shared_ptr<const Table> table() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Table> table_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_AUTH_H_
