#include "daemon/server/batch_ops.h"

#include <algorithm>

#include "daemon/api/convert.h"
#include "daemon/engine/response_size.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary
using engine::response_size::kHoldOverheadBytes;
using engine::response_size::kMaxStockRowBytes;
using engine::response_size::kMaxVarintBytes;
using engine::response_size::kResultOverheadBytes;
using engine::response_size::MaxHoldBytes;
using engine::response_size::MaxHoldLineBytes;
namespace {

template <typename Request, typename Response>
BatchItem MakeItem(const Request& req, Response* (v1::BatchResult::*mutable_field)()) {
  return BatchItem{req.request_id(), ToCommand(req),
                   [mutable_field](const engine::Outcome& o, v1::BatchResult* r) {
                     ToResponse(o, (r->*mutable_field)());
                   }};
}

}  // namespace

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

int64_t MaxLocationBytes(const engine::Engine& engine) {
  const std::shared_ptr<const engine::Model> model = engine.model();
  int64_t bytes = 0;
  for (const engine::Location& l : model->locations) {
    bytes = std::max<int64_t>(bytes, l.id.size());
  }
  return bytes;
}

}  // namespace stockd::server
