#include "daemon/orders/order_worker.h"

#include <pthread.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace stockd::orders {

namespace {

// Re-submit parked orders every this many ticks even when the listings did not change
// (a parked order whose retry failed, e.g. during a Redis outage).
constexpr int64_t kRetryUnmappedEveryTicks = 12;

// The results of one poll's submissions, awaited together.
struct PollResults {
  absl::Mutex mu;
  int outstanding ABSL_GUARDED_BY(mu) = 0;
  int64_t applied ABSL_GUARDED_BY(mu) = 0;
  int64_t replayed ABSL_GUARDED_BY(mu) = 0;
  int64_t parked ABSL_GUARDED_BY(mu) = 0;
  int64_t refused ABSL_GUARDED_BY(mu) = 0;
  int64_t failed ABSL_GUARDED_BY(mu) = 0;
  std::string first_error ABSL_GUARDED_BY(mu);
};

bool Permanent(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound;
}

}  // namespace

OrderWorker::OrderWorker(WorkerOptions options, std::unique_ptr<plugins::Adapter> adapter,
                         OrderIngest* intake, OrderStore* store, ListingMap* listings,
                         const engine::Clock* clock, log::Sink log)
    : options_(std::move(options)),
      adapter_(std::move(adapter)),
      intake_(intake),
      store_(store),
      listings_(listings),
      clock_(clock),
      log_(std::move(log)) {
  absl::MutexLock lock(&mu_);
  stats_.channel = options_.channel;
  marks_.push_back({"", std::numeric_limits<int64_t>::min()});
}

OrderWorker::~OrderWorker() { Stop(); }

void OrderWorker::Log(log::Level level, const std::string& msg) const {
  if (log_) log_(level, absl::StrCat("orders[", options_.channel, "]: ", msg));
}

void OrderWorker::SetCursor(std::string cursor) {
  absl::MutexLock lock(&mu_);
  stats_.cursor = cursor;
  marks_.clear();
  marks_.push_back({std::move(cursor), std::numeric_limits<int64_t>::min()});
}

void OrderWorker::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-orders");
    Loop();
  });
}

void OrderWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  adapter_->Interrupt();
  if (thread_.joinable()) thread_.join();
}

void OrderWorker::Loop() {
  const int64_t initial = std::min(options_.retry_initial_ms, options_.poll_interval_ms);
  int64_t backoff_ms = initial;
  while (true) {
    const absl::Status st = PollOnce();
    int64_t wait_ms = options_.poll_interval_ms;
    if (st.ok()) {
      backoff_ms = initial;
    } else {
      wait_ms = backoff_ms;
      backoff_ms = std::min(backoff_ms * 2, std::max(options_.retry_max_ms, initial));
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(wait_ms));
    if (stopping_) return;
  }
}

std::string OrderWorker::FromCursor(int64_t now_ms) {
  // The newest mark at least overlap old; the oldest when none is.
  size_t chosen = 0;
  for (size_t i = 0; i < marks_.size(); ++i) {
    if (marks_[i].start_ms <= now_ms - options_.overlap_ms) chosen = i;
  }
  marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(chosen));
  return marks_.front().cursor;
}

absl::Status OrderWorker::PollOnce() {
  bool retry_parked = false;
  if (listings_ != nullptr) {
    absl::StatusOr<bool> changed = listings_->Refresh();
    absl::MutexLock lock(&mu_);
    const std::string error = changed.ok() ? "" : std::string(changed.status().message());
    if (error != listings_error_) {
      if (!error.empty()) Log(log::Level::kWarn, absl::StrCat("listings kept: ", error));
      listings_error_ = error;
    }
    retry_parked = changed.ok() && *changed;
  }
  {
    absl::MutexLock lock(&mu_);
    retry_parked = retry_parked || ticks_ % kRetryUnmappedEveryTicks == 0;
    ++ticks_;
  }
  if (retry_parked) intake_->RetryUnmapped(options_.channel);

  const int64_t start_ms = clock_->NowMs();
  std::string from;
  {
    absl::MutexLock lock(&mu_);
    from = FromCursor(start_ms);
    stats_.last_poll_ms = start_ms;
  }
  auto results = std::make_shared<PollResults>();
  int64_t seen = 0;
  int64_t malformed = 0;
  const plugins::OrderSink sink = [&](absl::StatusOr<plugins::Order> order) {
    if (!order.ok()) {
      ++malformed;
      Log(log::Level::kError,
          absl::StrCat("skipped a malformed order: ", order.status().message()));
    } else {
      ++seen;
      {
        absl::MutexLock lock(&results->mu);
        ++results->outstanding;
      }
      intake_->SubmitWithResult(options_.channel, *std::move(order),
                                [results](absl::StatusOr<IngestResult> result) {
                                  absl::MutexLock lock(&results->mu);
                                  --results->outstanding;
                                  if (result.ok()) {
                                    if (*result == IngestResult::kApplied) ++results->applied;
                                    if (*result == IngestResult::kStale) ++results->replayed;
                                    if (*result == IngestResult::kParked) ++results->parked;
                                    return;
                                  }
                                  if (Permanent(result.status().code())) {
                                    ++results->refused;
                                  } else {
                                    ++results->failed;
                                  }
                                  if (results->first_error.empty()) {
                                    results->first_error = std::string(result.status().message());
                                  }
                                });
    }
    absl::MutexLock lock(&mu_);
    return !stopping_;
  };
  absl::StatusOr<std::string> next = adapter_->PollOrders(from, sink);

  absl::MutexLock results_lock(&results->mu);
  results->mu.Await(absl::Condition(
      +[](int* outstanding) { return *outstanding == 0; }, &results->outstanding));
  absl::Status st;
  if (!next.ok()) {
    st = absl::Status(next.status().code(), absl::StrCat("poll: ", next.status().message()));
  } else if (results->failed > 0) {
    st = absl::UnavailableError(absl::StrCat(
        results->failed, " of ", seen, " orders not made durable, first: ", results->first_error));
  }
  if (results->refused > 0) {
    Log(log::Level::kError,
        absl::StrCat(results->refused, " orders refused, first: ", results->first_error));
  }
  bool stopping = false;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (st.ok() && stopping) st = absl::CancelledError("stopping");
  std::string durable;
  if (st.ok()) {
    absl::MutexLock lock(&mu_);
    marks_.push_back({*next, start_ms});
    durable = FromCursor(clock_->NowMs());
  }
  if (st.ok()) {
    if (absl::Status saved = store_->SaveCursor(options_.channel, durable); !saved.ok()) {
      st = absl::Status(saved.code(), absl::StrCat("saving the cursor: ", saved.message()));
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.seen += seen;
  stats_.applied += results->applied;
  stats_.replayed += results->replayed;
  stats_.parked += results->parked;
  stats_.bad += malformed + results->refused;
  if (st.ok()) {
    ++stats_.polls;
    stats_.last_error.clear();
    stats_.ingested_up_to_ms = start_ms;
    stats_.cursor = durable;
  } else {
    ++stats_.failed_polls;
    stats_.last_error = std::string(st.message());
    if (!stopping_)
      Log(log::Level::kWarn, absl::StrCat("poll failed, cursor kept: ", st.message()));
  }
  return st;
}

WorkerStats OrderWorker::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace stockd::orders
