#include "daemon/server/stock_service.h"

#include <atomic>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"

namespace stockd::server {
using namespace api;  // NOLINT: the conversions are this file's vocabulary
namespace {

constexpr char kActorHeader[] = "x-stockd-actor";

engine::CommandMeta Meta(grpc::CallbackServerContext* ctx, const std::string& request_id) {
  engine::CommandMeta meta;
  meta.request_id = request_id;
  const auto& md = ctx->client_metadata();
  auto it = md.find(kActorHeader);
  if (it != md.end()) {
    meta.actor.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
  } else {
    meta.actor = ctx->peer();
  }
  return meta;
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

// One Watch stream. Coalesces per (channel, sku): a slow reader gets the latest value of
// each key in the order keys first became dirty, never a growing backlog of stale values.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchEvent>,
                           public WatchHub::Subscriber {
 public:
  WatchReactor(const engine::Engine* engine, WatchHub* hub, const v1::WatchRequest& req)
      : hub_(hub) {
    for (const std::string& c : req.channels()) {
      if (engine->model().ChannelIndex(c) < 0) {
        absl::MutexLock lock(&mu_);
        finished_ = true;
        Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("unknown channel '", c, "'")));
        return;
      }
      channels_.insert(c);
    }
    for (const std::string& s : req.skus()) skus_.insert(s);
    WatchHub::Registration reg = hub_->Add(this, req.resume_after());
    const uint64_t seq = reg.sequence;
    if (req.snapshot() || (req.resume_after() > 0 && !reg.resumed)) {
      std::vector<std::string> channels(req.channels().begin(), req.channels().end());
      std::vector<std::string> skus(req.skus().begin(), req.skus().end());
      engine->ForEachPublished(channels, skus, [this, seq](const engine::PublishedChange& c) {
        v1::WatchEvent e = ToEvent(c, seq);
        e.set_snapshot(true);
        Enqueue(std::move(e));
      });
      v1::WatchEvent done;
      done.set_sequence(seq);
      done.set_snapshot_done(true);
      Enqueue(std::move(done));
    }
  }

  void Offer(const engine::PublishedChange& change, uint64_t sequence) override {
    if (!channels_.empty() && !channels_.contains(change.channel)) return;
    if (!skus_.empty() && !skus_.contains(change.sku)) return;
    Enqueue(ToEvent(change, sequence));
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    MaybeWriteLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    MaybeWriteLocked();
  }

  void OnCancel() override {
    hub_->Remove(this);
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  static v1::WatchEvent ToEvent(const engine::PublishedChange& c, uint64_t sequence) {
    v1::WatchEvent e;
    e.set_sequence(sequence);
    e.set_channel(c.channel);
    e.set_sku(c.sku);
    e.set_published(c.published);
    e.set_reservable(c.reservable);
    e.set_previous_published(c.previous);
    e.set_time_ms(c.time_ms);
    return e;
  }

  void Enqueue(v1::WatchEvent e) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    std::string key = e.snapshot_done() ? std::string("\x01") : absl::StrCat(e.channel(), "\x00", e.sku());
    auto [it, inserted] = pending_.try_emplace(key);
    if (inserted) {
      order_.push_back(key);
      it->second = std::move(e);
    } else {
      // Keep the first previous value and the snapshot flag of the queued event.
      int64_t previous = it->second.previous_published();
      bool snapshot = it->second.snapshot();
      it->second = std::move(e);
      it->second.set_previous_published(previous);
      it->second.set_snapshot(snapshot && it->second.snapshot());
    }
    MaybeWriteLocked();
  }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (order_.empty()) {
      if (closing_) FinishLocked(grpc::Status::OK);
      return;
    }
    auto it = pending_.find(order_.front());
    current_ = std::move(it->second);
    pending_.erase(it);
    order_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    pending_.clear();
    order_.clear();
    Finish(status);
  }

  WatchHub* const hub_;
  absl::flat_hash_set<std::string> channels_;  // empty = all; immutable after construction
  absl::flat_hash_set<std::string> skus_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, v1::WatchEvent> pending_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  v1::WatchEvent current_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

StockService::StockService(engine::Engine* engine, WatchHub* hub, push::PushEngine* push,
                           ServiceOptions options)
    : engine_(engine), hub_(hub), push_(push), options_(std::move(options)) {}

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
  const auto margin = std::min<std::chrono::system_clock::duration>(std::chrono::milliseconds(50),
                                                                     remaining / 10);
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
grpc::ServerUnaryReactor* StockService::Mutate(grpc::CallbackServerContext* ctx,
                                               const Request* req, Response* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::shared_ptr<CallGuard> guard = ArmDeadline(ctx, reactor);
  engine::Command cmd{Meta(ctx, req->request_id()), ToCommand(*req)};
  engine_->Execute(std::move(cmd),
                   [this, reactor, resp, guard](absl::StatusOr<engine::Outcome> r) {
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

}  // namespace

grpc::ServerUnaryReactor* StockService::Batch(grpc::CallbackServerContext* ctx,
                                              const v1::BatchRequest* req,
                                              v1::BatchResponse* resp) {
  const int n = req->ops_size();
  if (n == 0) return FinishNow(ctx, InvalidArgument("ops: at least one operation required"));
  if (n > options_.max_batch) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("ops: ", n, " operations, at most ",
                                                       options_.max_batch, " per Batch")));
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
      result->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      result->set_message(absl::StrCat("ops[", i, "]: no operation set"));
      finish_one();
      continue;
    }
    engine::Command cmd{Meta(ctx, item->request_id), std::move(item->body)};
    engine_->Execute(std::move(cmd), [result, fill = std::move(item->fill),
                                      finish_one](absl::StatusOr<engine::Outcome> r) {
      if (r.ok()) {
        fill(*r, result);
      } else {
        result->set_code(static_cast<int>(r.status().code()));
        result->set_message(std::string(r.status().message()));
      }
      finish_one();
    });
  }
  return reactor;
}

grpc::ServerUnaryReactor* StockService::GetStock(grpc::CallbackServerContext* ctx,
                                                 const v1::GetStockRequest* req,
                                                 v1::GetStockResponse* resp) {
  std::vector<std::string> locations(req->locations().begin(), req->locations().end());
  absl::StatusOr<std::vector<engine::RowView>> rows = engine_->GetStock(req->sku(), locations);
  if (rows.ok()) {
    for (const engine::RowView& r : *rows) ToProto(r, resp->add_rows());
  }
  return FinishNow(ctx, ToGrpc(rows.status()));
}

grpc::ServerUnaryReactor* StockService::GetAvailability(grpc::CallbackServerContext* ctx,
                                                        const v1::GetAvailabilityRequest* req,
                                                        v1::GetAvailabilityResponse* resp) {
  if (req->skus_size() > options_.max_batch) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("skus: ", req->skus_size(),
                                                       " skus, at most ", options_.max_batch)));
  }
  const int64_t channels = req->channels_size() > 0
                               ? req->channels_size()
                               : static_cast<int64_t>(engine_->model().channels.size());
  if (req->skus_size() * channels > options_.max_availability_items) {
    return FinishNow(ctx, InvalidArgument(absl::StrCat("skus x channels: at most ",
                                                       options_.max_availability_items)));
  }
  std::vector<std::string> skus(req->skus().begin(), req->skus().end());
  std::vector<std::string> chans(req->channels().begin(), req->channels().end());
  absl::StatusOr<std::vector<engine::AvailabilityItem>> items =
      engine_->GetAvailability(skus, chans);
  if (items.ok()) {
    for (const engine::AvailabilityItem& i : *items) {
      v1::Availability* a = resp->add_items();
      a->set_sku(i.sku);
      a->set_channel(i.channel);
      a->set_reservable(i.reservable);
      a->set_published(i.published);
    }
  }
  return FinishNow(ctx, ToGrpc(items.status()));
}

grpc::ServerUnaryReactor* StockService::Explain(grpc::CallbackServerContext* ctx,
                                                const v1::ExplainRequest* req,
                                                v1::ExplainResponse* resp) {
  absl::StatusOr<engine::Explanation> e = engine_->Explain(req->channel(), req->sku());
  if (e.ok()) ToProto(*e, resp);
  return FinishNow(ctx, ToGrpc(e.status()));
}

grpc::ServerUnaryReactor* StockService::GetHold(grpc::CallbackServerContext* ctx,
                                                const v1::GetHoldRequest* req, v1::Hold* resp) {
  absl::StatusOr<engine::HoldView> h = engine_->GetHold(req->hold_id());
  if (h.ok()) ToProto(*h, resp);
  return FinishNow(ctx, ToGrpc(h.status()));
}

grpc::ServerUnaryReactor* StockService::ListHolds(grpc::CallbackServerContext* ctx,
                                                  const v1::ListHoldsRequest* req,
                                                  v1::ListHoldsResponse* resp) {
  engine::HoldFilter filter;
  if (req->limit() < 0 || req->limit() > 1000) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  filter.limit = req->limit() == 0 ? 100 : req->limit();
  if (!req->channel().empty() && engine_->model().ChannelIndex(req->channel()) < 0) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       absl::StrCat("unknown channel '", req->channel(), "'")));
  }
  filter.channel = req->channel();
  filter.sku = req->sku();
  if (req->state() != v1::HOLD_STATE_UNSPECIFIED) {
    if (!v1::HoldState_IsValid(req->state())) return FinishNow(ctx, InvalidArgument("state: unknown"));
    filter.state = FromProto(req->state());
  }
  for (const engine::HoldView& h : engine_->ListHolds(filter)) ToProto(h, resp->add_holds());
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerWriteReactor<v1::WatchEvent>* StockService::Watch(grpc::CallbackServerContext* ctx,
                                                              const v1::WatchRequest* req) {
  return new WatchReactor(engine_, hub_, *req);
}

grpc::ServerUnaryReactor* StockService::GetConfigSummary(grpc::CallbackServerContext* ctx,
                                                         const v1::GetConfigSummaryRequest* req,
                                                         v1::ConfigSummary* resp) {
  const engine::Model& m = engine_->model();
  resp->set_config_path(options_.config_path);
  resp->set_listen(options_.listen);
  for (const engine::Location& l : m.locations) {
    v1::LocationSummary* s = resp->add_locations();
    s->set_id(l.id);
    s->set_type(engine::LocationTypeName(l.type));
    s->set_name(l.name);
  }
  for (const engine::Channel& c : m.channels) {
    v1::ChannelSummary* s = resp->add_channels();
    s->set_id(c.id);
    s->set_type(engine::ChannelTypeName(c.type));
    for (int l : c.sources) s->add_sources(m.locations[l].id);
    for (size_t l = 0; l < m.locations.size(); ++l) {
      if (c.policy.protect[l] > 0) (*s->mutable_protect())[m.locations[l].id] = c.policy.protect[l];
    }
    s->set_safety_stock(c.policy.safety_stock);
    s->set_share_percent(c.policy.share_percent);
    s->set_min_publish(c.policy.min_publish);
    s->set_max_publish(c.policy.max_publish == engine::kNoCap ? -1 : c.policy.max_publish);
  }
  resp->set_overrides(static_cast<int32_t>(m.overrides.size()));
  engine::EngineStats stats = engine_->Stats();
  resp->set_skus(stats.skus);
  resp->set_rows(stats.rows);
  resp->set_open_holds(stats.open_holds);
  resp->set_version(STOCKD_VERSION);
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::ListAudit(grpc::CallbackServerContext* ctx,
                                                  const v1::ListAuditRequest* req,
                                                  v1::ListAuditResponse* resp) {
  if (req->limit() < 0 || req->limit() > 1000) {
    return FinishNow(ctx, InvalidArgument("limit must be within 1..1000 (0 = 100)"));
  }
  for (const engine::AuditEntry& e :
       engine_->ListAudit(req->sku(), req->limit() == 0 ? 100 : req->limit())) {
    ToProto(e, resp->add_entries());
  }
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::CheckInvariants(grpc::CallbackServerContext* ctx,
                                                        const v1::CheckInvariantsRequest* req,
                                                        v1::CheckInvariantsResponse* resp) {
  engine::InvariantReport report = engine_->CheckInvariants();
  resp->set_ok(report.ok());
  for (const std::string& v : report.violations) resp->add_violations(v);
  resp->set_rows_checked(report.rows_checked);
  resp->set_holds_checked(report.holds_checked);
  return FinishNow(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* StockService::Resync(grpc::CallbackServerContext* ctx,
                                               const v1::ResyncRequest* req,
                                               v1::ResyncResponse* resp) {
  if (engine_->model().ChannelIndex(req->channel()) < 0) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       absl::StrCat("unknown channel '", req->channel(), "'")));
  }
  if (push_ == nullptr || push_->pusher(req->channel()) == nullptr) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                       absl::StrCat("channel '", req->channel(),
                                                    "' has no adapter to resync")));
  }
  // Queued on the channel's worker (bounded), which finishes the reactor when the
  // comparison is done, or at once when refused or drained: no thread waits for it.
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor, req, resp](absl::StatusOr<push::DriftReport> r) {
    if (r.ok()) {
      resp->set_channel(req->channel());
      resp->set_checked(r->checked);
      resp->set_drifted(r->drifted);
      resp->set_fetched(r->fetched);
      for (const push::DriftItem& d : r->largest) {
        v1::DriftItem* item = resp->add_largest();
        item->set_sku(d.sku);
        item->set_listing_id(d.listing_id);
        item->set_channel_quantity(d.channel_quantity);
        item->set_published(d.published);
      }
    }
    reactor->Finish(ToGrpc(r.status()));
  };
  push_->Resync(req->channel(), req->force(), std::move(finish));
  return reactor;
}

grpc::ServerUnaryReactor* StockService::GetPushStatus(grpc::CallbackServerContext* ctx,
                                                      const v1::GetPushStatusRequest* req,
                                                      v1::GetPushStatusResponse* resp) {
  if (!req->channel().empty() && engine_->model().ChannelIndex(req->channel()) < 0) {
    return FinishNow(ctx, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       absl::StrCat("unknown channel '", req->channel(), "'")));
  }
  if (push_ != nullptr) {
    for (const push::PusherStats& s : push_->Stats()) {
      if (!req->channel().empty() && s.channel != req->channel()) continue;
      v1::PushStatus* p = resp->add_channels();
      p->set_channel(s.channel);
      p->set_adapter(s.adapter);
      p->set_dirty(s.dirty);
      p->set_acknowledged(s.acked);
      p->set_pushes(s.pushes);
      p->set_items_ok(s.items_ok);
      p->set_items_retry(s.items_retry);
      p->set_items_permanent(s.items_permanent);
      p->set_priority_items(s.priority_items);
      p->set_latency_p50_ms(s.latency_p50_ms);
      p->set_latency_p99_ms(s.latency_p99_ms);
      p->set_latency_max_ms(s.latency_max_ms);
      p->set_paused_until_ms(s.paused_until_ms);
      p->set_last_error(s.last_error);
      p->set_ack_save_failures(s.ack_save_failures);
    }
  }
  return FinishNow(ctx, grpc::Status::OK);
}

}  // namespace stockd::server
