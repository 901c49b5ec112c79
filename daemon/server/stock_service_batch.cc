// StockService::Batch: many independent mutations in one call, one result each. A Batch
// whose results could exceed server.max_response_bytes is refused before anything is
// applied (a client must never see a failure for changes that happened).
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/batch_ops.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
using api::ToBatchError;

grpc::ServerUnaryReactor* StockService::Batch(grpc::CallbackServerContext* ctx,
                                              const v1::BatchRequest* req,
                                              v1::BatchResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, NeedOf(*req), &caller); !st.ok()) return FinishNow(ctx, st);
  const int n = req->ops_size();
  if (n == 0) return FinishNow(ctx, InvalidArgument("ops: at least one operation required"));
  if (n > options_.max_batch) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("ops: ", n, " operations, at most ",
                                                       options_.max_batch, " per Batch")));
  }
  const int64_t max_location_bytes = MaxLocationBytes(*engine_);
  int64_t bound = 0;
  for (const v1::BatchOperation& op : req->ops()) {
    bound += MaxResultBytes(op, *engine_, max_location_bytes);
  }
  if (bound > options_.max_response_bytes) {
    return FinishNow(ctx,
                     InvalidArgument(absl::StrCat(
                         "ops: the results of these ", n, " operations could take up to ", bound,
                         " bytes, over the response limit of ", options_.max_response_bytes,
                         " bytes (server.max_response_bytes); nothing was applied: send fewer "
                         "operations or fewer lines per call")));
  }
  // Results live in a buffer of their own until the call is claimed: each completion
  // writes only its own element, and the last one moves them into the response (never
  // after a deadline answer, when gRPC may already be sending the response).
  auto results = std::make_shared<std::vector<v1::BatchResult>>(n);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::shared_ptr<CallGuard> guard = ArmDeadline(ctx, reactor);
  auto remaining = std::make_shared<std::atomic<int>>(n);
  auto finish_one = [this, reactor, resp, results, remaining, guard]() {
    if (remaining->fetch_sub(1) != 1 || !Claim(guard)) return;
    for (v1::BatchResult& r : *results) resp->add_results()->Swap(&r);
    reactor->Finish(grpc::Status::OK);
  };
  for (int i = 0; i < n; ++i) {
    v1::BatchResult* result = &(*results)[i];
    std::optional<BatchItem> item = ToItem(req->ops(i));
    if (!item) {
      ToBatchError(absl::InvalidArgumentError(absl::StrCat("ops[", i, "]: no operation set")),
                   result);
      finish_one();
      continue;
    }
    engine::Command cmd{Meta(ctx, item->request_id, *caller), std::move(item->body)};
    engine_->Execute(std::move(cmd), [result, fill = std::move(item->fill),
                                      finish_one](absl::StatusOr<engine::Outcome> r) {
      if (r.ok()) {
        fill(*r, result);
      } else {
        ToBatchError(r.status(), result);
      }
      finish_one();
    });
  }
  return reactor;
}

}  // namespace stockd::server
