// Small helpers shared by the handlers of the gRPC service (stock_service*.cc).
// Thread-safe: pure functions of their arguments.
#ifndef STOCKD_DAEMON_SERVER_CALL_HELPERS_H_
#define STOCKD_DAEMON_SERVER_CALL_HELPERS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "daemon/engine/commands.h"
#include "daemon/engine/model.h"
#include "daemon/engine/response_size.h"
#include "daemon/server/auth.h"

namespace stockd::server {

// The command's request id and actor: the authenticated client's name; with
// authentication off, metadata `x-stockd-actor` (at most 128 bytes), else the peer address.
engine::CommandMeta Meta(grpc::CallbackServerContext* ctx, const std::string& request_id,
                         const Caller& caller);

// Finishes a unary call at once with `status` (queries and refusals).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const grpc::Status& status);

// NOT_FOUND "unknown channel '<id>'" (the engine's own wording) unless `id` names a
// channel of the model; an empty id is OK when `empty_ok` (an optional filter).
grpc::Status KnownChannel(const engine::Model& model, const std::string& id, bool empty_ok);

inline grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

// Counts the bytes of a list response as items are added; the first item always fits
// (a page makes progress), later ones only within the limit.
class ResponseBudget {
 public:
  explicit ResponseBudget(int64_t limit) : left_(limit - kFraming) {}
  bool Take(size_t item_bytes, int items_so_far) {
    const int64_t bytes = static_cast<int64_t>(item_bytes) + engine::response_size::kFieldOverhead;
    if (items_so_far > 0 && bytes > left_) return false;
    left_ -= bytes;
    return true;
  }

 private:
  static constexpr int64_t kFraming = 1024;  // the page token and the message's framing
  int64_t left_;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_CALL_HELPERS_H_
