// StockService::Batch: many independent mutations in one call, one result each. A Batch
// whose results could exceed server.max_response_bytes is refused before anything is
// applied (a client must never see a failure for changes that happened).
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/engine/response_size.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary
using engine::response_size::kHoldOverheadBytes;
using engine::response_size::kMaxStockRowBytes;
using engine::response_size::kMaxVarintBytes;
using engine::response_size::kResultOverheadBytes;
using engine::response_size::MaxHoldBytes;
using engine::response_size::MaxHoldLineBytes;
namespace {

// Converts one batch op into its command and the filler of its result.
struct BatchItem {
  std::string request_id;
  engine::CommandBody body;
  std::function<void(const engine::Outcome&, v1::BatchResult*)> fill;
};

template <typename Request, typename Response>
BatchItem MakeItem(const Request& req, Response* (v1::BatchResult::*mutable_field)()) {
  return BatchItem{req.request_id(), ToCommand(req),
                   [mutable_field](const engine::Outcome& o, v1::BatchResult* r) {
                     ToResponse(o, (r->*mutable_field)());
                   }};
}

std::optional<BatchItem> ToItem(const v1::BatchOperation& op) {
  switch (op.op_case()) {
    case v1::BatchOperation::kReserve:
      return MakeItem(op.reserve(), &v1::BatchResult::mutable_reserve);
    case v1::BatchOperation::kExtend:
      return MakeItem(op.extend(), &v1::BatchResult::mutable_hold);
    case v1::BatchOperation::kCommit:
      return MakeItem(op.commit(), &v1::BatchResult::mutable_hold);
    case v1::BatchOperation::kRelease:
      return MakeItem(op.release(), &v1::BatchResult::mutable_hold);
    case v1::BatchOperation::kFulfill:
      return MakeItem(op.fulfill(), &v1::BatchResult::mutable_hold);
    case v1::BatchOperation::kCancel:
      return MakeItem(op.cancel(), &v1::BatchResult::mutable_hold);
    case v1::BatchOperation::kSell:
      return MakeItem(op.sell(), &v1::BatchResult::mutable_sell);
    case v1::BatchOperation::kAdjust:
      return MakeItem(op.adjust(), &v1::BatchResult::mutable_row);
    case v1::BatchOperation::kCount:
      return MakeItem(op.count(), &v1::BatchResult::mutable_row);
    case v1::BatchOperation::kTransfer:
      return MakeItem(op.transfer(), &v1::BatchResult::mutable_transfer);
    case v1::BatchOperation::OP_NOT_SET:
      break;
  }
  return std::nullopt;
}

// An upper bound of the encoded size of one op's BatchResult.
int64_t MaxResultBytes(const v1::BatchOperation& op, const engine::Engine& engine,
                       int64_t location_bytes) {
  auto reserve_bytes = [location_bytes](const v1::ReserveRequest& r) {
    int64_t bytes = kHoldOverheadBytes;
    for (const v1::HoldLine& line : r.lines()) {
      bytes += MaxHoldLineBytes(static_cast<int64_t>(line.sku().size()), location_bytes);
    }
    return bytes;
  };
  auto hold_bytes = [&engine](const std::string& hold_id) {
    return MaxHoldBytes(engine.HoldLineCount(hold_id));
  };
  int64_t body = 0;
  switch (op.op_case()) {
    case v1::BatchOperation::kReserve:
      body = reserve_bytes(op.reserve());
      break;
    case v1::BatchOperation::kExtend:
      body = hold_bytes(op.extend().hold_id());
      break;
    case v1::BatchOperation::kCommit:
      body = hold_bytes(op.commit().hold_id());
      break;
    case v1::BatchOperation::kRelease:
      body = hold_bytes(op.release().hold_id());
      break;
    case v1::BatchOperation::kFulfill:
      body = hold_bytes(op.fulfill().hold_id());
      break;
    case v1::BatchOperation::kCancel:
      body = hold_bytes(op.cancel().hold_id());
      break;
    case v1::BatchOperation::kSell:
    case v1::BatchOperation::kAdjust:
    case v1::BatchOperation::kCount:
    case v1::BatchOperation::kTransfer:
      body = 2 * kMaxStockRowBytes + 2 * kMaxVarintBytes;
      break;
    case v1::BatchOperation::OP_NOT_SET:
      break;
  }
  return kResultOverheadBytes + body;
}

}  // namespace

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
  // The model in force now: a reload may add a location with a longer id.
  const std::shared_ptr<const engine::Model> model = engine_->model();
  int64_t max_location_bytes = 0;
  for (const engine::Location& l : model->locations) {
    max_location_bytes = std::max<int64_t>(max_location_bytes, l.id.size());
  }
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
