// The admin queries of StockService: the config summary, the audit log and the
// invariant check (the live-reload RPCs: stock_service_config.cc).
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"
#include "daemon/storage/audit_ledger.h"

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
  if (req->since_ms() < 0 || req->until_ms() < 0) {
    return FinishNow(ctx, InvalidArgument("since_ms and until_ms must be >= 0 (0 = no bound)"));
  }
  if (req->since_ms() > 0 && req->until_ms() > 0 && req->until_ms() <= req->since_ms()) {
    return FinishNow(
        ctx, InvalidArgument(absl::StrCat("until_ms (", req->until_ms(),
                                          ") must be after since_ms (", req->since_ms(), ")")));
  }
  engine::AuditQuery query;
  query.sku = req->sku();
  query.location = req->location();
  query.channel = req->channel();
  query.hold_id = req->hold_id();
  query.request_id = req->request_id();
  query.actor = req->actor();
  query.since_ms = req->since_ms();
  query.until_ms = req->until_ms();
  const int limit = req->limit() == 0 ? 100 : req->limit();

  std::vector<engine::AuditEntry> entries;
  std::vector<std::string> token_after;  // ledger: the token that goes on after each entry
  std::string next_token;
  if (options_.audit_ledger != nullptr) {
    absl::StatusOr<storage::AuditPage> page =
        options_.audit_ledger->Query(query, limit, req->page_token());
    if (!page.ok()) return FinishNow(ctx, ToGrpc(page.status()));
    entries = std::move(page->entries);
    token_after = std::move(page->token_after);
    next_token = std::move(page->next_page_token);
    resp->set_retention_reached(page->retention_reached);
    resp->set_oldest_retained_ms(page->oldest_retained_ms);
    resp->set_scanned(page->scanned);
  } else {
    uint64_t before = 0;
    if (!req->page_token().empty() &&
        (!absl::SimpleAtoi(req->page_token(), &before) || before == 0)) {
      return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
    }
    entries = engine_->ListAudit(query, limit + 1, before);
    if (entries.size() > static_cast<size_t>(limit)) {
      entries.resize(limit);
      next_token = absl::StrCat(entries.back().sequence);
    }
    resp->set_scanned(static_cast<int64_t>(entries.size()));
  }
  // A page that would pass the response bound stops early; the token then goes on from
  // its last entry (in the ledger: a position after it).
  ResponseBudget budget(options_.max_response_bytes);
  size_t shown = 0;
  for (; shown < entries.size(); ++shown) {
    v1::AuditEntry entry;
    ToProto(entries[shown], &entry);
    if (!budget.Take(entry.ByteSizeLong(), resp->entries_size())) break;
    resp->add_entries()->Swap(&entry);
  }
  if (shown < entries.size() && shown > 0) {
    next_token = shown - 1 < token_after.size() ? token_after[shown - 1]
                                                : absl::StrCat(entries[shown - 1].sequence);
  }
  resp->set_next_page_token(next_token);
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
