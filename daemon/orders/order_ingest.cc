#include "daemon/orders/order_ingest.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stockd::orders {

namespace {

constexpr size_t kMaxRequestIdBytes = 128;

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

engine::OrderStatus EngineStatus(plugins::Order::Status status) {
  switch (status) {
    case plugins::Order::Status::kPending:
      return engine::OrderStatus::kPending;
    case plugins::Order::Status::kAccepted:
      return engine::OrderStatus::kAccepted;
    case plugins::Order::Status::kShipped:
      return engine::OrderStatus::kShipped;
    case plugins::Order::Status::kCancelled:
      return engine::OrderStatus::kCancelled;
  }
  return engine::OrderStatus::kPending;
}

absl::Status Prefixed(const absl::Status& st, const std::string& channel,
                      const std::string& order_id, int64_t revision) {
  return absl::Status(st.code(), absl::StrCat("order '", order_id, "' revision ", revision,
                                              " of channel '", channel, "': ", st.message()));
}

}  // namespace

std::string OrderRequestId(const std::string& channel, const std::string& order_id,
                           int64_t revision) {
  std::string id = absl::StrCat("order/", channel, "/", order_id, "/", revision);
  if (id.size() <= kMaxRequestIdBytes) return id;
  return absl::StrFormat("order/%s/h%016x/%d", channel, Fnv1a64(order_id), revision);
}

OrderIngest::OrderIngest(engine::Engine* engine, OrderStore* store,
                         std::map<std::string, ListingMap*> maps, const engine::Clock* clock,
                         log::Sink log)
    : engine_(engine), store_(store), maps_(std::move(maps)), clock_(clock), log_(std::move(log)) {}

absl::StatusOr<std::unique_ptr<OrderIngest>> OrderIngest::Create(
    engine::Engine* engine, OrderStore* store, std::map<std::string, ListingMap*> maps,
    const engine::Clock* clock, log::Sink log) {
  std::unique_ptr<OrderIngest> ingest(
      new OrderIngest(engine, store, std::move(maps), clock, std::move(log)));
  absl::StatusOr<std::vector<ParkedOrder>> parked = store->LoadParked();
  if (!parked.ok()) return parked.status();
  absl::MutexLock lock(&ingest->mu_);
  for (ParkedOrder& p : *parked) {
    auto key = std::make_pair(p.channel, p.order.order_id);
    ingest->parked_[std::move(key)] = std::move(p);
  }
  return ingest;
}

void OrderIngest::SetMaps(std::map<std::string, ListingMap*> maps) {
  absl::MutexLock lock(&maps_mu_);
  maps_ = std::move(maps);
}

std::vector<std::string> OrderIngest::Map(const std::string& channel, const plugins::Order& order,
                                          engine::ApplyOrderCmd* cmd) const {
  absl::ReaderMutexLock maps_lock(&maps_mu_);
  auto map_it = maps_.find(channel);
  const ListingMap* map = map_it == maps_.end() ? nullptr : map_it->second;
  std::vector<std::string> missing;
  cmd->channel = channel;
  cmd->order_id = order.order_id;
  cmd->revision = order.revision;
  cmd->status = EngineStatus(order.status);
  cmd->lines.clear();
  for (const plugins::OrderLine& line : order.lines) {
    std::optional<std::string> sku =
        map == nullptr ? std::optional<std::string>(line.listing_id) : map->Sku(line.listing_id);
    // A listing whose SKU stockd does not know (no stock ever counted or received, or not
    // a valid SKU) is unmapped too: parked, and applied once the SKU exists.
    if (sku.has_value() && !engine_->HasSku(*sku)) sku.reset();
    if (!sku.has_value()) {
      if (std::find(missing.begin(), missing.end(), line.listing_id) == missing.end()) {
        missing.push_back(line.listing_id);
      }
      continue;
    }
    engine::OrderLineCmd& out = cmd->lines.emplace_back();
    out.sku = *std::move(sku);
    out.location = line.location;
    out.qty = line.quantity;
    out.shipped = line.quantity_shipped;
    out.cancelled = line.quantity_cancelled;
  }
  return missing;
}

void OrderIngest::Submit(const std::string& channel, plugins::Order order,
                         std::function<void(absl::Status)> done) {
  SubmitWithResult(
      channel, std::move(order),
      [done = std::move(done)](absl::StatusOr<IngestResult> result) { done(result.status()); });
}

void OrderIngest::SubmitWithResult(const std::string& channel, plugins::Order order,
                                   ResultDone done) {
  if (engine_->model()->ChannelIndex(channel) < 0) {
    done(absl::NotFoundError(absl::StrCat("no channel '", channel, "'")));
    return;
  }
  engine::ApplyOrderCmd cmd;
  std::vector<std::string> missing = Map(channel, order, &cmd);
  if (!missing.empty()) {
    done(Park(channel, order, std::move(missing)));
    return;
  }
  Apply(channel, std::move(cmd), std::move(done));
}

absl::StatusOr<IngestResult> OrderIngest::Park(const std::string& channel,
                                               const plugins::Order& order,
                                               std::vector<std::string> missing) {
  // Already applied at this revision or a later one: nothing to keep.
  absl::StatusOr<engine::OrderView> applied = engine_->GetOrder(channel, order.order_id);
  if (applied.ok() && applied->revision >= order.revision) return IngestResult::kStale;
  absl::MutexLock lock(&mu_);
  auto key = std::make_pair(channel, order.order_id);
  auto it = parked_.find(key);
  if (it != parked_.end() && it->second.order.revision >= order.revision) {
    return IngestResult::kParked;  // the same or a newer revision waits already
  }
  ParkedOrder p;
  p.channel = channel;
  p.order = order;
  p.missing = std::move(missing);
  p.since_ms = it != parked_.end() ? it->second.since_ms : clock_->NowMs();
  if (absl::Status st = store_->Park(p); !st.ok()) {
    return Prefixed(absl::UnavailableError(st.message()), channel, order.order_id, order.revision);
  }
  if (log_) {
    log_(log::Level::kWarn,
         absl::StrCat(
             "order '", order.order_id, "' revision ", order.revision, " of channel '", channel,
             "' parked: no SKU for listing '", p.missing.front(), "'",
             p.missing.size() > 1 ? absl::StrCat(" and ", p.missing.size() - 1, " more") : ""));
  }
  parked_[std::move(key)] = std::move(p);
  return IngestResult::kParked;
}

void OrderIngest::Apply(const std::string& channel, engine::ApplyOrderCmd cmd, ResultDone done) {
  engine::Command command;
  command.meta.request_id = OrderRequestId(channel, cmd.order_id, cmd.revision);
  command.meta.actor = absl::StrCat("orders:", channel);
  const std::string order_id = cmd.order_id;
  const int64_t revision = cmd.revision;
  command.body = std::move(cmd);
  engine_->Execute(std::move(command), [this, channel, order_id, revision, done = std::move(done)](
                                           absl::StatusOr<engine::Outcome> outcome) {
    absl::StatusOr<IngestResult> result;
    if (outcome.ok()) {
      // A replay of the request id (answered with the first result) or a revision
      // not newer than the applied one changed nothing now.
      result =
          outcome->order_stale || outcome->replayed ? IngestResult::kStale : IngestResult::kApplied;
    } else if (outcome.status().code() == absl::StatusCode::kUnavailable) {
      result = Prefixed(outcome.status(), channel, order_id, revision);
    } else {
      // The same request id with another body (the revision applied before under
      // another mapping) is refused as INVALID_ARGUMENT: the order table says whether
      // this revision, or a later one, is in.
      absl::StatusOr<engine::OrderView> applied = engine_->GetOrder(channel, order_id);
      if (outcome.status().code() == absl::StatusCode::kInvalidArgument && applied.ok() &&
          applied->revision >= revision) {
        result = IngestResult::kStale;
      } else {
        result = Prefixed(outcome.status(), channel, order_id, revision);
      }
    }
    if (result.ok()) UnparkUpTo(channel, order_id, revision);
    done(std::move(result));
  });
}

void OrderIngest::UnparkUpTo(const std::string& channel, const std::string& order_id,
                             int64_t applied_revision) {
  absl::MutexLock lock(&mu_);
  auto it = parked_.find({channel, order_id});
  if (it == parked_.end() || it->second.order.revision > applied_revision) return;
  if (absl::Status st = store_->Unpark(channel, order_id); !st.ok()) {
    // Still parked durably: a restart re-submits it, a replay that changes nothing.
    if (log_) {
      log_(log::Level::kWarn, absl::StrCat("order '", order_id, "' of channel '", channel,
                                           "' applied but still parked: ", st.message()));
    }
    return;
  }
  parked_.erase(it);
}

int OrderIngest::RetryUnmapped(const std::string& channel) {
  std::vector<ParkedOrder> ready;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, p] : parked_) {
      if (!channel.empty() && key.first != channel) continue;
      engine::ApplyOrderCmd cmd;
      if (Map(p.channel, p.order, &cmd).empty()) ready.push_back(p);
    }
  }
  for (ParkedOrder& p : ready) {
    const std::string order_id = p.order.order_id;
    const int64_t revision = p.order.revision;
    SubmitWithResult(
        p.channel, std::move(p.order),
        [this, channel = p.channel, order_id, revision](absl::StatusOr<IngestResult> result) {
          if (!log_) return;
          if (result.ok()) {
            log_(log::Level::kInfo, absl::StrCat("parked order '", order_id, "' revision ",
                                                 revision, " of channel '", channel, "' applied"));
          } else {
            log_(log::Level::kWarn,
                 absl::StrCat("parked order retry: ", result.status().message()));
          }
        });
  }
  return static_cast<int>(ready.size());
}

std::vector<UnmappedOrder> OrderIngest::ListUnmapped() const {
  absl::MutexLock lock(&mu_);
  std::vector<UnmappedOrder> out;
  out.reserve(parked_.size());
  for (const auto& [key, p] : parked_) {
    out.push_back({p.channel, p.order.order_id, p.order.revision, p.missing, p.since_ms});
  }
  return out;
}

}  // namespace stockd::orders
