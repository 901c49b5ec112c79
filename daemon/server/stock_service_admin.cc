// The admin queries of StockService: the config summary, the audit log and the
// invariant check (the live-reload RPCs: stock_service_config.cc).
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary

grpc::ServerUnaryReactor* StockService::GetConfigSummary(grpc::CallbackServerContext* ctx,
                                                         const v1::GetConfigSummaryRequest* req,
                                                         v1::ConfigSummary* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "GetConfigSummary", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  ToProto(*engine_->model(), engine_->Stats(), options_.config_path, options_.listen,
          STOCKD_VERSION, resp);
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::ListAudit(grpc::CallbackServerContext* ctx,
                                                  const v1::ListAuditRequest* req,
                                                  v1::ListAuditResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kOperate, "ListAudit", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->limit() < 0 || req->limit() > 1000) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  uint64_t before = 0;
  if (!req->page_token().empty() &&
      (!absl::SimpleAtoi(req->page_token(), &before) || before == 0)) {
    return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
  }
  const int limit = req->limit() == 0 ? 100 : req->limit();
  std::vector<engine::AuditEntry> entries = engine_->ListAudit(req->sku(), limit + 1, before);
  ResponseBudget budget(options_.max_response_bytes);
  size_t shown = 0;
  for (; shown < entries.size() && shown < static_cast<size_t>(limit); ++shown) {
    v1::AuditEntry entry;
    ToProto(entries[shown], &entry);
    if (!budget.Take(entry.ByteSizeLong(), resp->entries_size())) break;
    resp->add_entries()->Swap(&entry);
  }
  if (shown < entries.size() && shown > 0) {
    resp->set_next_page_token(absl::StrCat(entries[shown - 1].sequence));
  }
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::CheckInvariants(grpc::CallbackServerContext* ctx,
                                                        const v1::CheckInvariantsRequest* req,
                                                        v1::CheckInvariantsResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kOperate, "CheckInvariants", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  engine::InvariantReport report = engine_->CheckInvariants();
  ToProto(report, resp);
  return FinishNow(ctx, grpc::Status::OK);
}

}  // namespace stockd::server
