#include "daemon/server/stock_service.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/engine/response_size.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/watch_stream.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary
namespace {

constexpr int kMaxStockPage = 4096;

}  // namespace
StockService::StockService(engine::Engine* engine, WatchHub* hub, push::PushEngine* push,
                           ServiceOptions options, UnmappedOrdersFn unmapped_orders,
                           reconcile::Reconciler* reconciler, const Authenticator* auth,
                           ConfigAdmin* config_admin)
    : sessions_(options.max_sessions),
      engine_(engine),
      hub_(hub),
      push_(push),
      options_(std::move(options)),
      unmapped_orders_(std::move(unmapped_orders)),
      reconciler_(reconciler),
      auth_(auth),
      config_admin_(config_admin) {}

struct StockService::CallGuard {
  std::atomic<bool> finished{false};
  DeadlineTimer::Id timer = 0;
};

std::shared_ptr<StockService::CallGuard> StockService::ArmDeadline(
    grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor) {
  if (options_.write_timeout_ms <= 0) return nullptr;  // in memory: answered at once
  const auto remaining = ctx->deadline() - std::chrono::system_clock::now();
  if (remaining > std::chrono::milliseconds(options_.write_timeout_ms + 1000)) {
    return nullptr;  // the journal's own timeout answers first
  }
  // Answer a little before the client gives up: 10% of the budget, at most 50 ms.
  const auto margin =
      std::min<std::chrono::system_clock::duration>(std::chrono::milliseconds(50), remaining / 10);
  auto guard = std::make_shared<CallGuard>();
  guard->timer = timer_.Schedule(
      DeadlineTimer::Clock::now() +
          std::chrono::duration_cast<DeadlineTimer::Clock::duration>(remaining - margin),
      [guard, reactor] {
        if (guard->finished.exchange(true)) return;
        reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                     "not confirmed durable within the call's deadline; the "
                                     "outcome is unknown: retry with the same request_id"));
      });
  return guard;
}

bool StockService::Claim(const std::shared_ptr<CallGuard>& guard) {
  if (guard == nullptr) return true;
  if (guard->finished.exchange(true)) return false;  // the deadline answered already
  timer_.Cancel(guard->timer);
  return true;
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* StockService::Mutate(grpc::CallbackServerContext* ctx, const Request* req,
                                               Response* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, NeedOf(*req), &caller); !st.ok()) return FinishNow(ctx, st);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::shared_ptr<CallGuard> guard = ArmDeadline(ctx, reactor);
  engine::Command cmd{Meta(ctx, req->request_id(), *caller), ToCommand(*req)};
  engine_->Execute(std::move(cmd), [this, reactor, resp, guard](absl::StatusOr<engine::Outcome> r) {
    if (!Claim(guard)) return;
    if (r.ok()) ToResponse(*r, resp);
    reactor->Finish(ToGrpc(r.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* StockService::Reserve(grpc::CallbackServerContext* ctx,
                                                const v1::ReserveRequest* req,
                                                v1::ReserveResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Extend(grpc::CallbackServerContext* ctx,
                                               const v1::ExtendRequest* req,
                                               v1::HoldResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Commit(grpc::CallbackServerContext* ctx,
                                               const v1::CommitRequest* req,
                                               v1::HoldResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Release(grpc::CallbackServerContext* ctx,
                                                const v1::ReleaseRequest* req,
                                                v1::HoldResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Fulfill(grpc::CallbackServerContext* ctx,
                                                const v1::FulfillRequest* req,
                                                v1::HoldResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Cancel(grpc::CallbackServerContext* ctx,
                                               const v1::CancelRequest* req,
                                               v1::HoldResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Sell(grpc::CallbackServerContext* ctx,
                                             const v1::SellRequest* req, v1::SellResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Adjust(grpc::CallbackServerContext* ctx,
                                               const v1::AdjustRequest* req,
                                               v1::StockRowResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Count(grpc::CallbackServerContext* ctx,
                                              const v1::CountRequest* req,
                                              v1::StockRowResponse* resp) {
  return Mutate(ctx, req, resp);
}
grpc::ServerUnaryReactor* StockService::Transfer(grpc::CallbackServerContext* ctx,
                                                 const v1::TransferRequest* req,
                                                 v1::TransferResponse* resp) {
  return Mutate(ctx, req, resp);
}

grpc::ServerUnaryReactor* StockService::GetStock(grpc::CallbackServerContext* ctx,
                                                 const v1::GetStockRequest* req,
                                                 v1::GetStockResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "GetStock", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->page_size() < 0 || req->page_size() > kMaxStockPage) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("page_size must be within 0..",
                                                       kMaxStockPage, " (0 = all that fit)")));
  }
  size_t offset = 0;
  if (!req->page_token().empty() && !absl::SimpleAtoi(req->page_token(), &offset)) {
    return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
  }
  std::vector<std::string> locations;
  if (grpc::Status st =
          ScopeLocations(*caller, *engine_->model(),
                         {req->locations().begin(), req->locations().end()}, &locations);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  absl::StatusOr<std::vector<engine::RowView>> rows = engine_->GetStock(req->sku(), locations);
  if (!rows.ok()) return FinishNow(ctx, ToGrpc(rows.status()));
  if (offset > rows->size()) {
    return FinishNow(ctx, InvalidArgument("page_token: past the last row"));
  }
  const size_t page = req->page_size() == 0 ? rows->size() : req->page_size();
  ResponseBudget budget(options_.max_response_bytes);
  size_t i = offset;
  for (; i < rows->size() && i - offset < page; ++i) {
    v1::StockRow row;
    ToProto((*rows)[i], &row);
    if (!budget.Take(row.ByteSizeLong(), resp->rows_size())) break;
    resp->add_rows()->Swap(&row);
  }
  if (i < rows->size()) resp->set_next_page_token(absl::StrCat(i));
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::GetAvailability(grpc::CallbackServerContext* ctx,
                                                        const v1::GetAvailabilityRequest* req,
                                                        v1::GetAvailabilityResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "GetAvailability", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  std::vector<std::string> chans;
  if (grpc::Status st =
          ScopeChannels(*caller, {req->channels().begin(), req->channels().end()}, &chans);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->skus_size() > options_.max_batch) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("skus: ", req->skus_size(),
                                                       " skus, at most ", options_.max_batch)));
  }
  const int64_t channels = !chans.empty() ? static_cast<int64_t>(chans.size())
                                          : static_cast<int64_t>(engine_->model()->channels.size());
  if (req->skus_size() * channels > options_.max_availability_items) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("skus x channels: at most ",
                                                       options_.max_availability_items)));
  }
  std::vector<std::string> skus(req->skus().begin(), req->skus().end());
  absl::StatusOr<std::vector<engine::AvailabilityItem>> items =
      engine_->GetAvailability(skus, chans);
  if (items.ok()) {
    for (const engine::AvailabilityItem& i : *items) ToProto(i, resp->add_items());
  }
  return FinishNow(ctx, ToGrpc(items.status()));
}

grpc::ServerUnaryReactor* StockService::Explain(grpc::CallbackServerContext* ctx,
                                                const v1::ExplainRequest* req,
                                                v1::ExplainResponse* resp) {
  std::shared_ptr<const Caller> caller;
  Need need;
  need.method = "Explain";
  need.role = config::Role::kRead;
  need.channels.push_back(req->channel());
  if (grpc::Status st = Admit(ctx, need, &caller); !st.ok()) return FinishNow(ctx, st);
  engine::ExplainQuery query;
  query.plan_qty = req->qty();
  query.single_location = req->single_location();
  absl::StatusOr<engine::Explanation> e = engine_->Explain(req->channel(), req->sku(), query);
  if (e.ok()) ToProto(*e, resp);
  return FinishNow(ctx, ToGrpc(e.status()));
}

grpc::ServerUnaryReactor* StockService::GetHold(grpc::CallbackServerContext* ctx,
                                                const v1::GetHoldRequest* req, v1::Hold* resp) {
  std::shared_ptr<const Caller> caller;
  Need need;
  need.method = "GetHold";
  need.role = config::Role::kRead;
  need.holds.push_back(req->hold_id());
  if (grpc::Status st = Admit(ctx, need, &caller); !st.ok()) return FinishNow(ctx, st);
  absl::StatusOr<engine::HoldView> h = engine_->GetHold(req->hold_id());
  if (h.ok()) ToProto(*h, resp);
  return FinishNow(ctx, ToGrpc(h.status()));
}

grpc::ServerUnaryReactor* StockService::ListHolds(grpc::CallbackServerContext* ctx,
                                                  const v1::ListHoldsRequest* req,
                                                  v1::ListHoldsResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "ListHolds", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  engine::HoldFilter filter;
  if (grpc::Status st = ScopeChannel(*caller, req->channel(), &filter.channel); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->limit() < 0 || req->limit() > 1000) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  const int limit = req->limit() == 0 ? 100 : req->limit();
  filter.limit = limit + 1;  // one more than the page: tells whether another page exists
  if (grpc::Status st = KnownChannel(*engine_->model(), filter.channel, /*empty_ok=*/true);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  filter.sku = req->sku();
  if (req->state() != v1::HOLD_STATE_UNSPECIFIED) {
    if (!v1::HoldState_IsValid(req->state()))
      return FinishNow(ctx, InvalidArgument("state: unknown"));
    filter.state = FromProto(req->state());
  }
  if (!req->page_token().empty()) {
    // "<created_ms>:<hold id>" of the last hold of the previous page.
    const size_t colon = req->page_token().find(':');
    engine::HoldFilter::Cursor cursor;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(req->page_token().substr(0, colon), &cursor.created_ms)) {
      return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
    }
    cursor.hold_id = req->page_token().substr(colon + 1);
    filter.after = std::move(cursor);
  }
  std::vector<engine::HoldView> holds = engine_->ListHolds(filter);
  ResponseBudget budget(options_.max_response_bytes);
  size_t shown = 0;
  for (; shown < holds.size() && shown < static_cast<size_t>(limit); ++shown) {
    v1::Hold hold;
    ToProto(holds[shown], &hold);
    if (!budget.Take(hold.ByteSizeLong(), resp->holds_size())) break;
    resp->add_holds()->Swap(&hold);
  }
  if (shown < holds.size() && shown > 0) {
    const engine::HoldView& last = holds[shown - 1];
    resp->set_next_page_token(absl::StrCat(last.created_ms, ":", last.hold_id));
  }
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerWriteReactor<v1::WatchEvent>* StockService::Watch(grpc::CallbackServerContext* ctx,
                                                              const v1::WatchRequest* req) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "Watch", &caller); !st.ok()) {
    return RefuseWatch(st);
  }
  std::vector<std::string> channels;
  if (grpc::Status st =
          ScopeChannels(*caller, {req->channels().begin(), req->channels().end()}, &channels);
      !st.ok()) {
    return RefuseWatch(st);
  }
  if (watch_streams_.fetch_add(1) >= options_.max_watch_streams) {
    watch_streams_.fetch_sub(1);
    return RefuseWatch(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("too many Watch streams open (server.max_watch_streams: ",
                                  options_.max_watch_streams, "); retry later")));
  }
  if (caller->every_channel()) return StartWatch(engine_, hub_, *req, &watch_streams_);
  v1::WatchRequest scoped = *req;
  scoped.clear_channels();
  for (std::string& c : channels) scoped.add_channels(std::move(c));
  return StartWatch(engine_, hub_, scoped, &watch_streams_);
}

}  // namespace stockd::server
