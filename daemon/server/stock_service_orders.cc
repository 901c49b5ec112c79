// The order RPCs of StockService (docs/orders.md "Seeing problems"): GetOrder, ListOrders
// and ListOrderProblems, answered from the engine's order table and the orders layer's
// unmapped list.
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
namespace {

constexpr int kMaxOrderPage = 1000;
constexpr int kDefaultOrderPage = 100;

// "<channel bytes>:<channel><order id>" of the last order of a page: channel ids may
// contain ':' and '/', so the channel is length-prefixed.
std::string OrderToken(const engine::OrderView& o) {
  return absl::StrCat(o.channel.size(), ":", o.channel, o.order_id);
}

bool ParseOrderToken(const std::string& token, std::string* channel, std::string* order_id) {
  const size_t colon = token.find(':');
  size_t length = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(token.substr(0, colon), &length) ||
      length == 0 || colon + 1 + length >= token.size()) {
    return false;
  }
  *channel = token.substr(colon + 1, length);
  *order_id = token.substr(colon + 1 + length);
  return true;
}

}  // namespace

grpc::ServerUnaryReactor* StockService::GetOrder(grpc::CallbackServerContext* ctx,
                                                 const v1::GetOrderRequest* req, v1::Order* resp) {
  std::shared_ptr<const Caller> caller;
  Need need;
  need.method = "GetOrder";
  need.role = config::Role::kRead;
  need.channels.push_back(req->channel());
  if (grpc::Status st = Admit(ctx, need, &caller); !st.ok()) return FinishNow(ctx, st);
  if (req->channel().empty()) return FinishNow(ctx, InvalidArgument("channel: required"));
  if (req->order_id().empty()) return FinishNow(ctx, InvalidArgument("order_id: required"));
  if (req->order_id().size() > 128) {
    return FinishNow(ctx, InvalidArgument("order_id: longer than 128 bytes"));
  }
  if (grpc::Status st = KnownChannel(*engine_->model(), req->channel(), /*empty_ok=*/false);
      !st.ok()) {
    return FinishNow(ctx, st);
  }
  absl::StatusOr<engine::OrderView> order = engine_->GetOrder(req->channel(), req->order_id());
  if (order.ok()) api::ToProto(*order, resp);
  return FinishNow(ctx, api::ToGrpc(order.status()));
}

grpc::ServerUnaryReactor* StockService::ListOrders(grpc::CallbackServerContext* ctx,
                                                   const v1::ListOrdersRequest* req,
                                                   v1::ListOrdersResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "ListOrders", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  std::string channel;
  if (grpc::Status st = ScopeChannel(*caller, req->channel(), &channel); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (req->limit() < 0 || req->limit() > kMaxOrderPage) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  const int limit = req->limit() == 0 ? kDefaultOrderPage : req->limit();
  if (grpc::Status st = KnownChannel(*engine_->model(), channel, /*empty_ok=*/true); !st.ok()) {
    return FinishNow(ctx, st);
  }
  std::string after_channel;
  std::string after_order;
  if (!req->page_token().empty() &&
      !ParseOrderToken(req->page_token(), &after_channel, &after_order)) {
    return FinishNow(ctx, InvalidArgument("page_token: not a token this call returned"));
  }
  engine::OrderFilter filter;
  filter.channel = channel;
  filter.problems_only = req->problems_only();
  filter.open_only = req->open_only();
  filter.limit = 0;  // the cursor is applied here: the table has no index to start from
  const std::vector<engine::OrderView> orders = engine_->ListOrders(filter);
  size_t i = 0;
  if (!req->page_token().empty()) {
    while (i < orders.size() && std::tie(orders[i].channel, orders[i].order_id) <=
                                    std::tie(after_channel, after_order)) {
      ++i;
    }
  }
  ResponseBudget budget(options_.max_response_bytes);
  const engine::OrderView* last = nullptr;
  for (; i < orders.size() && resp->orders_size() < limit; ++i) {
    v1::Order order;
    api::ToProto(orders[i], &order);
    if (!budget.Take(order.ByteSizeLong(), resp->orders_size())) break;
    resp->add_orders()->Swap(&order);
    last = &orders[i];
  }
  if (i < orders.size() && last != nullptr) resp->set_next_page_token(OrderToken(*last));
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::ListOrderProblems(grpc::CallbackServerContext* ctx,
                                                          const v1::ListOrderProblemsRequest* req,
                                                          v1::ListOrderProblemsResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kRead, "ListOrderProblems", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  std::string channel;
  if (grpc::Status st = ScopeChannel(*caller, req->channel(), &channel); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (grpc::Status st = KnownChannel(*engine_->model(), channel, /*empty_ok=*/true); !st.ok()) {
    return FinishNow(ctx, st);
  }
  engine::OrderFilter filter;
  filter.channel = channel;
  filter.problems_only = true;
  filter.limit = 0;
  std::vector<v1::OrderProblem> rows;
  for (const engine::OrderView& order : engine_->ListOrders(filter)) {
    for (v1::OrderProblem& p : api::ToProblems(order)) rows.push_back(std::move(p));
  }
  if (unmapped_orders_) {
    for (const UnmappedOrderRow& u : unmapped_orders_()) {
      if (!channel.empty() && u.channel != channel) continue;
      for (const std::string& listing : u.listing_ids) {
        rows.push_back(
            api::UnmappedProblem(u.channel, u.order_id, u.revision, listing, u.since_ms));
      }
    }
  }
  ResponseBudget budget(options_.max_response_bytes);
  for (v1::OrderProblem& p : rows) {
    if (!budget.Take(p.ByteSizeLong(), resp->problems_size())) {
      resp->set_truncated(true);
      break;
    }
    resp->add_problems()->Swap(&p);
  }
  return FinishNow(ctx, grpc::Status::OK);
}

}  // namespace stockd::server
