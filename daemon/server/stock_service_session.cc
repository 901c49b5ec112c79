// StockService::Session: the pipelined stream of mutations (session_stream.h). The
// stream is admitted once (authentication, and at least the sell role: every operation
// it can carry needs it); each operation's own role and channels are checked as it
// arrives.
#include "daemon/server/stock_service.h"

namespace stockd::server {

grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* StockService::Session(
    grpc::CallbackServerContext* ctx) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kSell, "Session", &caller); !st.ok()) {
    return RefuseSession(st);
  }
  SessionOptions options;
  options.inflight = options_.session_inflight;
  options.max_ops_per_message = options_.max_batch;
  options.max_response_bytes = options_.max_response_bytes;
  options.write_timeout_ms = options_.write_timeout_ms;
  options.check_access = auth_ != nullptr;
  return StartSession(engine_, &timer_, &sessions_, options, ctx, std::move(caller));
}

}  // namespace stockd::server
