// Small helpers shared by the handlers of the gRPC service (stock_service*.cc).
// Thread-safe: pure functions of their arguments.
#ifndef STOCKD_DAEMON_SERVER_CALL_HELPERS_H_
#define STOCKD_DAEMON_SERVER_CALL_HELPERS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "daemon/engine/commands.h"
#include "daemon/engine/model.h"

namespace stockd::server {

// The command's request id and actor: metadata `x-stockd-actor` (at most 128 bytes),
// else the peer address.
engine::CommandMeta Meta(grpc::CallbackServerContext* ctx, const std::string& request_id);

// Finishes a unary call at once with `status` (queries and refusals).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const grpc::Status& status);

// NOT_FOUND "unknown channel '<id>'" (the engine's own wording) unless `id` names a
// channel of the model; an empty id is OK when `empty_ok` (an optional filter).
grpc::Status KnownChannel(const engine::Model& model, const std::string& id, bool empty_ok);

inline grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_CALL_HELPERS_H_
