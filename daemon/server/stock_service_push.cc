// The push engine's RPCs of StockService: Resync (queued on the channel's worker, which
// finishes the reactor) and GetPushStatus.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary

grpc::ServerUnaryReactor* StockService::Resync(grpc::CallbackServerContext* ctx,
                                               const v1::ResyncRequest* req,
                                               v1::ResyncResponse* resp) {
  std::shared_ptr<const Caller> caller;
  Need need;
  need.method = "Resync";
  need.role = config::Role::kOperate;
  need.channels.push_back(req->channel());
  if (grpc::Status st = Admit(ctx, need, &caller); !st.ok()) return FinishNow(ctx, st);
  if (grpc::Status st = KnownChannel(*engine_->model(), req->channel(), /*empty_ok=*/false);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (push_ == nullptr || push_->pusher(req->channel()) == nullptr) {
    return FinishNow(
        ctx, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("channel '", req->channel(), "' has no adapter to resync")));
  }
  // Queued on the channel's worker (bounded), which finishes the reactor when the
  // comparison is done, or at once when refused or drained: no thread waits for it.
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor, req, resp](absl::StatusOr<push::DriftReport> r) {
    if (r.ok()) ToProto(req->channel(), *r, resp);
    reactor->Finish(ToGrpc(r.status()));
  };
  push_->Resync(req->channel(), req->force(), std::move(finish));
  return reactor;
}

grpc::ServerUnaryReactor* StockService::GetPushStatus(grpc::CallbackServerContext* ctx,
                                                      const v1::GetPushStatusRequest* req,
                                                      v1::GetPushStatusResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "GetPushStatus", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  std::vector<std::string> channels;
  if (grpc::Status st =
          ScopeChannels(*caller,
                        req->channel().empty() ? std::vector<std::string>{}
                                               : std::vector<std::string>{req->channel()},
                        &channels);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (grpc::Status st = KnownChannel(*engine_->model(), req->channel(), /*empty_ok=*/true);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (push_ != nullptr) {
    for (const push::PusherStats& s : push_->Stats()) {
      if (!channels.empty() &&
          std::find(channels.begin(), channels.end(), s.channel) == channels.end()) {
        continue;
      }
      ToProto(s, resp->add_channels());
    }
  }
  return FinishNow(ctx, grpc::Status::OK);
}

}  // namespace stockd::server
