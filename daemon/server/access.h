// What each RPC needs of its caller (docs/security.md, "Roles and channels"): a role,
// and for a caller scoped to some channels, that every channel the request acts for is
// one of them — directly (Reserve's channel), through a hold (Commit acts for the
// hold's channel) or through a location (Adjust at a location acts for the channels
// that sell from it: the location must be a source of one of the caller's channels).
// Checked before anything is validated or applied: a refusal changes nothing.
//
// Thread safety: pure functions of their arguments (the engine is thread-safe).
#ifndef STOCKD_DAEMON_SERVER_ACCESS_H_
#define STOCKD_DAEMON_SERVER_ACCESS_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "daemon/config/slices.h"
#include "daemon/engine/engine.h"
#include "daemon/server/auth.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::server {

struct Need {
  const char* method = "";
  config::Role role = config::Role::kAdmin;
  std::vector<absl::string_view> channels;   // each must be the caller's
  std::vector<absl::string_view> locations;  // each must be a source of a caller's channel
  std::vector<absl::string_view> holds;      // each hold's channel must be the caller's
};

Need NeedOf(const v1::ReserveRequest& r);
Need NeedOf(const v1::ExtendRequest& r);
Need NeedOf(const v1::CommitRequest& r);
Need NeedOf(const v1::ReleaseRequest& r);
Need NeedOf(const v1::FulfillRequest& r);
Need NeedOf(const v1::CancelRequest& r);
Need NeedOf(const v1::SellRequest& r);
Need NeedOf(const v1::AdjustRequest& r);
Need NeedOf(const v1::CountRequest& r);
Need NeedOf(const v1::TransferRequest& r);
// One Batch (or Session) operation's needs: those of its unary call.
Need NeedOf(const v1::BatchOperation& op);
// Every operation's needs, merged (role: the highest; method: "Batch").
Need NeedOf(const v1::BatchRequest& r);

// OK, or PERMISSION_DENIED naming the caller, what it lacks and what it has. An unknown
// hold passes (the call then answers NOT_FOUND, as for anyone).
grpc::Status Check(const Caller& caller, const Need& need, const engine::Engine& engine);

// A read's channel filter: an empty `requested` list means "every channel", which for a
// scoped caller is its own channels (written to `*effective`); a named channel must be
// the caller's. PERMISSION_DENIED otherwise.
grpc::Status ScopeChannels(const Caller& caller, const std::vector<std::string>& requested,
                           std::vector<std::string>* effective);
// A read's single optional channel filter: empty means every channel, which a caller
// scoped to exactly one channel gets as that one; a caller scoped to several must name
// one. PERMISSION_DENIED otherwise.
grpc::Status ScopeChannel(const Caller& caller, const std::string& requested,
                          std::string* effective);
// A read's location filter (GetStock): as ScopeChannels, over the locations that are
// sources of the caller's channels.
grpc::Status ScopeLocations(const Caller& caller, const engine::Model& model,
                            const std::vector<std::string>& requested,
                            std::vector<std::string>* effective);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_ACCESS_H_
