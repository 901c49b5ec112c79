// StockService's stock alert query (docs/alerts.md): ListAlerts, answered from the
// engine's recent alerts or from the alert keys raised now.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/access.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {

grpc::ServerUnaryReactor* StockService::ListAlerts(grpc::CallbackServerContext* ctx,
                                                   const v1::ListAlertsRequest* req,
                                                   v1::ListAlertsResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "ListAlerts", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->limit() < 0 || req->limit() > 1000) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  engine::AlertFilter filter;
  filter.limit = req->limit() == 0 ? 100 : static_cast<size_t>(req->limit());
  for (int kind : req->kinds()) {
    engine::AlertKind k;
    if (!api::FromProto(static_cast<v1::AlertKind>(kind), &k)) {
      return FinishNow(ctx,
                       InvalidArgument(absl::StrCat("kinds: ", kind, " is not an alert kind")));
    }
    filter.kinds.push_back(k);
  }
  if (!req->sku().empty() && !engine::IsValidId(req->sku())) {
    return FinishNow(ctx, InvalidArgument("sku: not a valid id"));
  }
  filter.sku = req->sku();
  const std::shared_ptr<const engine::Model> model = engine_->model();
  if (!req->location().empty() && model->LocationIndex(req->location()) < 0) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       absl::StrCat("unknown location '", req->location(), "'")));
  }
  filter.location = req->location();
  // A caller scoped to channels sees those channels' alerts only.
  if (grpc::Status st = ScopeChannel(*caller, req->channel(), &filter.channel); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (grpc::Status st = KnownChannel(*model, filter.channel, /*empty_ok=*/true); !st.ok()) {
    return FinishNow(ctx, st);
  }
  // One more than asked: whether more matched.
  const size_t limit = filter.limit;
  filter.limit = limit + 1;
  std::vector<engine::AlertEvent> alerts =
      req->active() ? engine_->ActiveAlerts(filter) : engine_->RecentAlerts(filter);
  ResponseBudget budget(options_.max_response_bytes);
  for (size_t i = 0; i < alerts.size(); ++i) {
    v1::Alert a;
    api::ToProto(alerts[i], &a);
    if (i == limit || !budget.Take(a.ByteSizeLong(), resp->alerts_size())) {
      resp->set_truncated(true);
      break;
    }
    resp->add_alerts()->Swap(&a);
  }
  return FinishNow(ctx, grpc::Status::OK);
}

}  // namespace stockd::server
