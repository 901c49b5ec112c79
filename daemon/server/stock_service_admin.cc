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

  if (options_.audit_ledger != nullptr) {
    // The ledger reads Redis: on its own thread, never on this gRPC one.
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    options_.audit_ledger->QueryAsync(
        std::move(query), limit, req->page_token(),
        [this, reactor, resp](absl::StatusOr<storage::AuditPage> page) {
          if (!page.ok()) {
            reactor->Finish(ToGrpc(page.status()));
            return;
          }
          resp->set_retention_reached(page->retention_reached);
          resp->set_oldest_retained_ms(page->oldest_retained_ms);
          resp->set_scanned(page->scanned);
          FillAudit(page->entries, page->token_after, page->next_page_token, resp);
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }
  // redis.mode: memory: the in-memory ring, paged by sequence.
  uint64_t before = 0;
  if (!req->page_token().empty() &&
      (!absl::SimpleAtoi(req->page_token(), &before) || before == 0)) {
    return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
  }
  std::vector<engine::AuditEntry> entries = engine_->ListAudit(query, limit + 1, before);
  std::string next_token;
  if (entries.size() > static_cast<size_t>(limit)) {
    entries.resize(limit);
    next_token = absl::StrCat(entries.back().sequence);
  }
  resp->set_scanned(static_cast<int64_t>(entries.size()));
  std::vector<std::string> token_after;
  for (const engine::AuditEntry& e : entries) token_after.push_back(absl::StrCat(e.sequence));
  FillAudit(entries, token_after, next_token, resp);
  return FinishNow(ctx, grpc::Status::OK);
}

void StockService::FillAudit(const std::vector<engine::AuditEntry>& entries,
                             const std::vector<std::string>& token_after,
                             const std::string& next_token, v1::ListAuditResponse* resp) const {
  // A page that would pass the response bound stops early; the token then goes on after
  // its last entry.
  ResponseBudget budget(options_.max_response_bytes);
  size_t shown = 0;
  for (; shown < entries.size(); ++shown) {
    v1::AuditEntry entry;
    ToProto(entries[shown], &entry);
    if (!budget.Take(entry.ByteSizeLong(), resp->entries_size())) break;
    resp->add_entries()->Swap(&entry);
  }
  resp->set_next_page_token(shown < entries.size() && shown > 0 ? token_after[shown - 1]
                                                                : next_token);
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
