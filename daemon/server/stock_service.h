// The gRPC service stockd.v1.Stock over the engine, on the gRPC callback API. Unary
// mutations hand the command to the engine and finish their reactor from the engine's
// completion (which, with a durable journal, runs on the writer's thread): no gRPC thread
// ever waits for durability. Queries are answered from memory inline.
//
// Thread safety: gRPC calls the handlers from its own threads; the service holds no
// mutable state of its own beyond the engine and the hub, which are thread-safe.
#ifndef STOCKD_DAEMON_SERVER_STOCK_SERVICE_H_
#define STOCKD_DAEMON_SERVER_STOCK_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/engine/engine.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/server/access.h"
#include "daemon/server/auth.h"
#include "daemon/server/config_reloader.h"
#include "daemon/server/deadline_timer.h"
#include "daemon/server/session_stream.h"
#include "daemon/server/watch_hub.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::storage {
class AuditLedger;  // storage/audit_ledger.h
}  // namespace stockd::storage

namespace stockd::server {

struct ServiceOptions {
  int max_batch = 1000;                      // ops per Batch; SKUs per GetAvailability
  int64_t max_availability_items = 100'000;  // skus x channels per GetAvailability
  std::string config_path;                   // for GetConfigSummary
  std::string listen;                        // for GetConfigSummary
  // The durability layer's own write timeout (redis.timeout); 0 = no durability layer.
  // A mutation whose deadline is further away than this plus a second is answered by
  // the journal (OK, or UNAVAILABLE when its batch times out) before the deadline
  // anyway, so only closer deadlines get a timer (one global lock and an allocation
  // fewer per call on the common path).
  int64_t write_timeout_ms = 0;
  // Watch streams open at once; beyond it a new Watch gets RESOURCE_EXHAUSTED. Each
  // stream buffers its snapshot until the client reads it.
  int max_watch_streams = 1000;
  // Session streams open at once (beyond it RESOURCE_EXHAUSTED), and each one's window:
  // operations unanswered at once (docs/session-stream.md).
  int max_sessions = 1000;
  int session_inflight = 256;
  // The largest response a call may produce (gRPC clients refuse messages over 4 MiB by
  // default): a Batch whose results could exceed it is refused before anything is
  // applied, and lists are paged to stay under it.
  int64_t max_response_bytes = 4 << 20;
  // ListAudit's source: the durable ledger in Redis (not owned; outlives the service), or
  // null (redis.mode: memory): the engine's in-memory ring.
  storage::AuditLedger* audit_ledger = nullptr;
};

// An order the orders layer parked because a listing maps to no SKU (the fields of
// orders::UnmappedOrder, which this layer does not include).
struct UnmappedOrderRow {
  std::string channel;
  std::string order_id;
  int64_t revision = 0;
  std::vector<std::string> listing_ids;  // the listings with no SKU
  int64_t since_ms = 0;                  // when it was first parked
};
// Lists the unmapped orders now; must be thread-safe. Empty function = none.
using UnmappedOrdersFn = std::function<std::vector<UnmappedOrderRow>()>;

class StockService final : public v1::Stock::CallbackService {
 public:
  // `engine`, `hub`, `push` (nullable: no channel has an adapter), `reconciler`
  // (nullable: Reconcile answers FAILED_PRECONDITION), `auth` (nullable: no
  // authentication) and `config_admin` (nullable: ReloadConfig and DiffConfig answer
  // UNIMPLEMENTED) are not owned and must outlive the service. `unmapped_orders` feeds
  // ListOrderProblems' UNMAPPED rows.
  StockService(engine::Engine* engine, WatchHub* hub, push::PushEngine* push,
               ServiceOptions options, UnmappedOrdersFn unmapped_orders = {},
               reconcile::Reconciler* reconciler = nullptr, const Authenticator* auth = nullptr,
               ConfigAdmin* config_admin = nullptr);

  grpc::ServerUnaryReactor* Reserve(grpc::CallbackServerContext* ctx, const v1::ReserveRequest* req,
                                    v1::ReserveResponse* resp) override;
  grpc::ServerUnaryReactor* Extend(grpc::CallbackServerContext* ctx, const v1::ExtendRequest* req,
                                   v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* Commit(grpc::CallbackServerContext* ctx, const v1::CommitRequest* req,
                                   v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* Release(grpc::CallbackServerContext* ctx, const v1::ReleaseRequest* req,
                                    v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* Fulfill(grpc::CallbackServerContext* ctx, const v1::FulfillRequest* req,
                                    v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* ctx, const v1::CancelRequest* req,
                                   v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* Sell(grpc::CallbackServerContext* ctx, const v1::SellRequest* req,
                                 v1::SellResponse* resp) override;
  grpc::ServerUnaryReactor* Adjust(grpc::CallbackServerContext* ctx, const v1::AdjustRequest* req,
                                   v1::StockRowResponse* resp) override;
  grpc::ServerUnaryReactor* Count(grpc::CallbackServerContext* ctx, const v1::CountRequest* req,
                                  v1::StockRowResponse* resp) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext* ctx,
                                     const v1::TransferRequest* req,
                                     v1::TransferResponse* resp) override;
  grpc::ServerUnaryReactor* Batch(grpc::CallbackServerContext* ctx, const v1::BatchRequest* req,
                                  v1::BatchResponse* resp) override;
  // stock_service_session.cc
  grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* Session(
      grpc::CallbackServerContext* ctx) override;
  // The daemon's drain: every Session stream answers what it has in flight and ends
  // (UNAVAILABLE); new ones are refused. Call before the gRPC server's Shutdown.
  void DrainSessions() { sessions_.DrainAll(); }

  grpc::ServerUnaryReactor* GetStock(grpc::CallbackServerContext* ctx,
                                     const v1::GetStockRequest* req,
                                     v1::GetStockResponse* resp) override;
  grpc::ServerUnaryReactor* GetAvailability(grpc::CallbackServerContext* ctx,
                                            const v1::GetAvailabilityRequest* req,
                                            v1::GetAvailabilityResponse* resp) override;
  grpc::ServerUnaryReactor* Explain(grpc::CallbackServerContext* ctx, const v1::ExplainRequest* req,
                                    v1::ExplainResponse* resp) override;
  grpc::ServerUnaryReactor* GetHold(grpc::CallbackServerContext* ctx, const v1::GetHoldRequest* req,
                                    v1::Hold* resp) override;
  grpc::ServerUnaryReactor* ListHolds(grpc::CallbackServerContext* ctx,
                                      const v1::ListHoldsRequest* req,
                                      v1::ListHoldsResponse* resp) override;
  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext* ctx,
                                                  const v1::WatchRequest* req) override;

  // stock_service_admin.cc
  grpc::ServerUnaryReactor* GetConfigSummary(grpc::CallbackServerContext* ctx,
                                             const v1::GetConfigSummaryRequest* req,
                                             v1::ConfigSummary* resp) override;
  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx,
                                      const v1::ListAuditRequest* req,
                                      v1::ListAuditResponse* resp) override;
  grpc::ServerUnaryReactor* CheckInvariants(grpc::CallbackServerContext* ctx,
                                            const v1::CheckInvariantsRequest* req,
                                            v1::CheckInvariantsResponse* resp) override;
  // stock_service_config.cc
  grpc::ServerUnaryReactor* ReloadConfig(grpc::CallbackServerContext* ctx,
                                         const v1::ReloadConfigRequest* req,
                                         v1::ReloadConfigResponse* resp) override;
  grpc::ServerUnaryReactor* DiffConfig(grpc::CallbackServerContext* ctx,
                                       const v1::DiffConfigRequest* req,
                                       v1::ConfigDiff* resp) override;
  // stock_service_orders.cc
  grpc::ServerUnaryReactor* GetOrder(grpc::CallbackServerContext* ctx,
                                     const v1::GetOrderRequest* req, v1::Order* resp) override;
  grpc::ServerUnaryReactor* ListOrders(grpc::CallbackServerContext* ctx,
                                       const v1::ListOrdersRequest* req,
                                       v1::ListOrdersResponse* resp) override;
  grpc::ServerUnaryReactor* ListOrderProblems(grpc::CallbackServerContext* ctx,
                                              const v1::ListOrderProblemsRequest* req,
                                              v1::ListOrderProblemsResponse* resp) override;
  // stock_service_alerts.cc
  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* ctx,
                                       const v1::ListAlertsRequest* req,
                                       v1::ListAlertsResponse* resp) override;
  // stock_service_push.cc
  grpc::ServerUnaryReactor* Resync(grpc::CallbackServerContext* ctx, const v1::ResyncRequest* req,
                                   v1::ResyncResponse* resp) override;
  grpc::ServerUnaryReactor* GetPushStatus(grpc::CallbackServerContext* ctx,
                                          const v1::GetPushStatusRequest* req,
                                          v1::GetPushStatusResponse* resp) override;
  // stock_service_reconcile.cc
  grpc::ServerUnaryReactor* Reconcile(grpc::CallbackServerContext* ctx,
                                      const v1::ReconcileRequest* req,
                                      v1::ReconcileResponse* resp) override;

 private:
  // ListAudit's response: `entries` within the response bound; the token after the last
  // one shown when the bound cut the page (token_after[i]: the token after entries[i]),
  // else `next_token`.
  void FillAudit(const std::vector<engine::AuditEntry>& entries,
                 const std::vector<std::string>& token_after, const std::string& next_token,
                 v1::ListAuditResponse* resp) const;
  // Authentication, then the role (and, for a Need, the channels) the call needs
  // (stock_service_auth.cc). OK with the caller in `*caller`, else the refusal to answer.
  grpc::Status Admit(grpc::CallbackServerContext* ctx, config::Role role, const char* method,
                     std::shared_ptr<const Caller>* caller) const;
  grpc::Status Admit(grpc::CallbackServerContext* ctx, const Need& need,
                     std::shared_ptr<const Caller>* caller) const;

  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* ctx, const Request* req,
                                   Response* resp);

  // Finishes a mutation's reactor exactly once: from the engine's completion, or with
  // UNAVAILABLE shortly before the call's deadline if durability has not answered.
  struct CallGuard;
  std::shared_ptr<CallGuard> ArmDeadline(grpc::CallbackServerContext* ctx,
                                         grpc::ServerUnaryReactor* reactor);
  bool Claim(const std::shared_ptr<CallGuard>& guard);

  DeadlineTimer timer_;
  std::atomic<int> watch_streams_{0};
  SessionRegistry sessions_;
  engine::Engine* const engine_;
  WatchHub* const hub_;
  push::PushEngine* const push_;
  const ServiceOptions options_;
  const UnmappedOrdersFn unmapped_orders_;
  reconcile::Reconciler* const reconciler_;
  const Authenticator* const auth_;  // null = authentication off
  ConfigAdmin* const config_admin_;  // null = no live reload (UNIMPLEMENTED)
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_STOCK_SERVICE_H_
