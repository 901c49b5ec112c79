#include "daemon/reconcile/reconciler.h"

#include <pthread.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace stockd::reconcile {
namespace {

// A poll returns at most the adapter's page budget; the rest of the log needs more polls.
constexpr int kMaxPollRounds = 100;
constexpr size_t kDriftNamed = 20;  // SKUs the periodic warning names

absl::Status Unreachable(const std::string& channel, absl::string_view what,
                         const absl::Status& st) {
  return absl::UnavailableError(
      absl::StrCat("channel '", channel, "': ", what, ": ", st.message()));
}

}  // namespace

CursorFn OrderCursor(const orders::Orders* orders, orders::OrderStore* store) {
  return [orders, store](const std::string& channel) -> absl::StatusOr<std::string> {
    if (const std::shared_ptr<orders::OrderWorker> w =
            orders == nullptr ? nullptr : orders->worker(channel)) {
      return w->Stats().cursor;
    }
    absl::StatusOr<std::map<std::string, std::string>> cursors = store->LoadCursors();
    if (!cursors.ok()) return cursors.status();
    auto it = cursors->find(channel);
    return it == cursors->end() ? std::string() : it->second;
  };
}

Reconciler::Reconciler(engine::Engine* engine, push::PushEngine* push, CursorFn cursor,
                       std::map<std::string, int64_t> every_ms, const engine::Clock* clock,
                       log::Sink log)
    : engine_(engine),
      push_(push),
      cursor_(std::move(cursor)),
      clock_(clock),
      log_(std::move(log)),
      every_ms_(std::move(every_ms)) {}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Reconcile(const std::string& channel, Done done) {
  if (engine_->model()->ChannelIndex(channel) < 0) {
    done(absl::NotFoundError(absl::StrCat("unknown channel '", channel, "'")));
    return;
  }
  // Held for the call only: a reload that removes the adapter stops the pusher, which
  // answers the queued job UNAVAILABLE (the worker runs nothing after its Stop).
  std::shared_ptr<push::ChannelPusher> held = push_ == nullptr ? nullptr : push_->pusher(channel);
  push::ChannelPusher* pusher = held.get();
  if (pusher == nullptr) {
    done(absl::FailedPreconditionError(
        absl::StrCat("channel '", channel, "' has no adapter to reconcile with")));
    return;
  }
  auto answer = std::make_shared<Done>(std::move(done));
  pusher->RunOnWorker(
      [this, channel, pusher, answer](plugins::Adapter* adapter) {
        absl::StatusOr<Report> report = Run(channel, pusher, adapter);
        if (report.ok()) {
          absl::MutexLock lock(&mu_);
          last_[channel] = *report;
        }
        (*answer)(std::move(report));
      },
      [answer](absl::Status why) { (*answer)(std::move(why)); });
}

absl::StatusOr<Report> Reconciler::Run(const std::string& channel, push::ChannelPusher* pusher,
                                       plugins::Adapter* adapter) {
  if (!adapter->can_fetch()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "channel '", channel, "': its adapter '", adapter->name(),
        "' cannot read the channel's own numbers (no fetch): nothing to reconcile against"));
  }
  // The SKUs the push engine publishes to the channel, and their listings.
  std::vector<std::string> skus;
  engine_->ForEachPublished({channel}, {},
                            [&skus](const engine::PublishedChange& c) { skus.push_back(c.sku); });
  std::sort(skus.begin(), skus.end());
  std::map<std::string, std::string> sku_of_listing;
  std::vector<std::string> listings;
  for (const std::string& sku : skus) {
    listings.push_back(pusher->ListingId(sku));
    sku_of_listing.emplace(listings.back(), sku);
  }

  // F: the channel's own numbers, in the adapter's batches.
  std::vector<int64_t> fetched;
  const size_t batch = static_cast<size_t>(std::max(1, adapter->max_batch()));
  for (size_t start = 0; start < listings.size(); start += batch) {
    if (pusher->interrupted()) return pusher->Draining();
    std::vector<std::string> ids(listings.begin() + start,
                                 listings.begin() + std::min(listings.size(), start + batch));
    absl::StatusOr<std::vector<int64_t>> got = adapter->Fetch(ids);
    if (pusher->interrupted()) return pusher->Draining();
    if (!got.ok()) return Unreachable(channel, "fetch", got.status());
    if (got->size() != ids.size()) {
      return absl::UnavailableError(absl::StrCat("channel '", channel, "': fetch returned ",
                                                 got->size(), " numbers for ", ids.size(),
                                                 " listings"));
    }
    fetched.insert(fetched.end(), got->begin(), got->end());
  }

  // U: the channel's orders from the durable cursor; the cursor is not stored.
  Report report;
  report.channel = channel;
  std::vector<plugins::Order> polled;
  if (adapter->can_poll_orders()) {
    report.orders_polled = true;
    absl::StatusOr<std::string> cursor = cursor_(channel);
    if (!cursor.ok()) return Unreachable(channel, "reading the order cursor", cursor.status());
    std::string at = *cursor;
    for (int round = 0; round < kMaxPollRounds; ++round) {
      size_t delivered = 0;
      absl::StatusOr<std::string> next =
          adapter->PollOrders(at, [&polled, &delivered](absl::StatusOr<plugins::Order> o) {
            ++delivered;
            if (o.ok()) polled.push_back(*std::move(o));  // a malformed one the worker logs
            return true;
          });
      if (pusher->interrupted()) return pusher->Draining();
      if (!next.ok()) return Unreachable(channel, "polling orders", next.status());
      if (delivered == 0 || *next == at) break;
      at = *std::move(next);
    }
  }
  const std::map<std::string, int64_t> uningested = Uningested(
      polled,
      [&sku_of_listing](const std::string& listing) -> std::optional<std::string> {
        auto it = sku_of_listing.find(listing);
        if (it == sku_of_listing.end()) return std::nullopt;
        return it->second;
      },
      [this, &channel](const std::string& order_id) -> std::optional<AppliedOrder> {
        absl::StatusOr<engine::OrderView> view = engine_->GetOrder(channel, order_id);
        if (!view.ok()) return std::nullopt;
        return FromView(*view);
      });

  // P last, after the orders: an order ingested meanwhile is in both or neither.
  std::map<std::string, int64_t> published;
  engine_->ForEachPublished({channel}, skus, [&published](const engine::PublishedChange& c) {
    published[c.sku] = c.published;
  });
  report.time_ms = clock_->NowMs();
  for (size_t i = 0; i < skus.size(); ++i) {
    SkuRow row;
    row.sku = skus[i];
    row.listing_id = listings[i];
    row.facts.published = published[skus[i]];
    const push::ChannelPusher::SkuState state = pusher->State(skus[i]);
    row.facts.acked = state.acked;
    row.facts.dirty = state.dirty;
    row.facts.channel = fetched[i];
    auto u = uningested.find(skus[i]);
    row.facts.uningested = u == uningested.end() ? 0 : u->second;
    row.cls = Classify(row.facts);
    if (row.cls == SkuClass::kDrift) {
      pusher->Correct(row.sku, row.facts.channel, row.facts.published);
    }
    ++report.counts[static_cast<int>(row.cls)];
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::optional<Report> Reconciler::Last(const std::string& channel) const {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(channel);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void Reconciler::SetPeriods(std::map<std::string, int64_t> every_ms) {
  absl::MutexLock lock(&mu_);
  every_ms_ = std::move(every_ms);
  ++periods_version_;
}

void Reconciler::Start() {
  timer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-3way");
    Loop();
  });
}

void Reconciler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (timer_.joinable()) timer_.join();
}

void Reconciler::Loop() {
  struct Timer {
    int64_t every = 0;
    int64_t due = 0;
  };
  std::map<std::string, Timer> timers;
  uint64_t seen_version = ~uint64_t{0};
  for (;;) {
    std::vector<std::string> due;
    int64_t wait_ms = 1000;
    {
      absl::MutexLock lock(&mu_);
      const int64_t now = clock_->NowMs();
      if (seen_version != periods_version_) {
        // Started, or a reload changed the periods: a changed period starts again now.
        seen_version = periods_version_;
        std::map<std::string, Timer> next;
        for (const auto& [channel, every] : every_ms_) {
          if (every <= 0) continue;
          auto it = timers.find(channel);
          next[channel] = it != timers.end() && it->second.every == every
                              ? it->second
                              : Timer{every, now + every};
        }
        timers = std::move(next);
      }
      for (auto& [channel, t] : timers) {
        if (now >= t.due) {
          t.due = now + t.every;
          due.push_back(channel);
        }
        wait_ms = std::min(wait_ms, t.due - now);
      }
    }
    for (const std::string& channel : due) {
      // Queued on the channel's worker: this timer never waits for a (maybe hung) channel.
      Reconcile(channel, [this, channel](absl::StatusOr<Report> r) {
        if (r.ok()) {
          LogSummary(*r);
        } else if (log_) {
          log_(log::Level::kWarn, absl::StrCat("reconcile[", channel, "]: ", r.status().message()));
        }
      });
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                             absl::Milliseconds(std::max<int64_t>(1, wait_ms)))) {
      return;
    }
  }
}

void Reconciler::LogSummary(const Report& r) const {
  if (!log_) return;
  std::vector<std::string> counts;
  for (int c = 0; c < kSkuClasses; ++c) {
    counts.push_back(absl::StrCat(SkuClassName(static_cast<SkuClass>(c)), " ", r.counts[c]));
  }
  log_(log::Level::kInfo, absl::StrCat("reconcile[", r.channel, "]: ", r.rows.size(),
                                       " SKUs: ", absl::StrJoin(counts, ", ")));
  std::vector<std::string> drifted;
  for (const SkuRow& row : r.rows) {
    if (row.cls == SkuClass::kDrift && drifted.size() < kDriftNamed) drifted.push_back(row.sku);
  }
  if (drifted.empty()) return;
  log_(log::Level::kWarn,
       absl::StrCat(
           "reconcile[", r.channel, "]: drift on ", r.count(SkuClass::kDrift),
           " SKUs (corrections queued): ", absl::StrJoin(drifted, ", "),
           r.count(SkuClass::kDrift) > static_cast<int64_t>(drifted.size()) ? ", ..." : ""));
}

}  // namespace stockd::reconcile
