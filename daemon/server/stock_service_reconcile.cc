// The Reconcile RPC of StockService (docs/orders.md "Built so far: reconciliation"): the
// three-way report of daemon/reconcile/, run on the channel's push worker, which finishes
// the reactor: no gRPC thread waits for the channel.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
namespace {

v1::ReconcileRow::Class ToProto(reconcile::SkuClass c) {
  switch (c) {
    case reconcile::SkuClass::kOk:
      return v1::ReconcileRow::OK;
    case reconcile::SkuClass::kInFlight:
      return v1::ReconcileRow::IN_FLIGHT;
    case reconcile::SkuClass::kDrift:
      return v1::ReconcileRow::DRIFT;
    case reconcile::SkuClass::kUnknownListing:
      return v1::ReconcileRow::UNKNOWN_LISTING;
  }
  return v1::ReconcileRow::CLASS_UNSPECIFIED;
}

// Every row when they fit in `max_bytes`; else the rows that are not OK first.
void ToProto(const reconcile::Report& r, int64_t max_bytes, v1::ReconcileResponse* out) {
  out->set_channel(r.channel);
  out->set_ok(r.count(reconcile::SkuClass::kOk));
  out->set_in_flight(r.count(reconcile::SkuClass::kInFlight));
  out->set_drift(r.count(reconcile::SkuClass::kDrift));
  out->set_unknown_listing(r.count(reconcile::SkuClass::kUnknownListing));
  out->set_orders_polled(r.orders_polled);
  out->set_time_ms(r.time_ms);
  auto add = [out](const reconcile::SkuRow& row, ResponseBudget& budget) {
    v1::ReconcileRow proto;
    proto.set_sku(row.sku);
    proto.set_listing_id(row.listing_id);
    proto.set_published(row.facts.published);
    proto.set_acked(row.facts.acked);
    proto.set_channel(row.facts.channel);
    proto.set_uningested(row.facts.uningested);
    proto.set_class_(ToProto(row.cls));
    proto.set_dirty(row.facts.dirty);
    if (!budget.Take(proto.ByteSizeLong(), out->rows_size())) return false;
    out->add_rows()->Swap(&proto);
    return true;
  };
  ResponseBudget all(max_bytes);
  bool fits = true;
  for (const reconcile::SkuRow& row : r.rows) {
    if (!(fits = add(row, all))) break;
  }
  if (fits) return;
  out->clear_rows();
  out->set_rows_truncated(true);
  ResponseBudget some(max_bytes);
  for (const bool ok : {false, true}) {
    for (const reconcile::SkuRow& row : r.rows) {
      if ((row.cls == reconcile::SkuClass::kOk) == ok && !add(row, some)) return;
    }
  }
}

}  // namespace

grpc::ServerUnaryReactor* StockService::Reconcile(grpc::CallbackServerContext* ctx,
                                                  const v1::ReconcileRequest* req,
                                                  v1::ReconcileResponse* resp) {
  std::shared_ptr<const Caller> caller;
  Need need;
  need.method = "Reconcile";
  need.role = config::Role::kOperate;
  need.channels.push_back(req->channel());
  if (grpc::Status st = Admit(ctx, need, &caller); !st.ok()) return FinishNow(ctx, st);
  if (req->channel().empty()) return FinishNow(ctx, InvalidArgument("channel: required"));
  if (grpc::Status st = KnownChannel(*engine_->model(), req->channel(), /*empty_ok=*/false);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (reconciler_ == nullptr) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                       absl::StrCat("channel '", req->channel(),
                                                    "' has no adapter to reconcile with")));
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reconciler_->Reconcile(req->channel(), [reactor, resp, max = options_.max_response_bytes](
                                             absl::StatusOr<reconcile::Report> r) {
    if (r.ok()) ToProto(*r, max, resp);
    reactor->Finish(api::ToGrpc(r.status()));
  });
  return reactor;
}

}  // namespace stockd::server
