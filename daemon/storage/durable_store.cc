#include "daemon/storage/durable_store.h"

#include <pthread.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/util/clock.h"

namespace stockd::storage {

namespace {

// Where one re-sync's time went (milliseconds), for its log line: waiting for the
// journal to fail its records back, then each attempt's reconnect and catch-up, the
// engine adopting the durable state (or loading and restoring it); the rest is backoff.
struct ResyncTimings {
  int64_t drain_ms = 0;
  int attempts = 0;
  int64_t connect_ms = 0, catch_up_ms = 0, adopt_ms = 0, load_ms = 0, restore_ms = 0;
  bool woken = false;  // an attempt ran when the embedded redis-server was back, not on backoff
  std::string Describe() const {
    std::string out = absl::StrCat("[drain ", drain_ms, " ms, ", attempts,
                                   attempts == 1 ? " attempt" : " attempts", ": connect ",
                                   connect_ms, " ms, catch-up ", catch_up_ms, " ms");
    if (woken) absl::StrAppend(&out, ", woken by the redis-server's restart");
    if (adopt_ms > 0) absl::StrAppend(&out, ", adopt ", adopt_ms, " ms");
    if (load_ms > 0 || restore_ms > 0) {
      absl::StrAppend(&out, ", load ", load_ms, " ms, restore ", restore_ms, " ms");
    }
    return out + "]";
  }
};

}  // namespace

int64_t DurableStore::journal_stalled_ms() const {
  return journal_->StalledMs(util::MonotonicMs());
}

DurableStore::DurableStore(DurableStoreOptions options)
    : options_(std::move(options)), keys_(options_.key_prefix) {}

DurableStore::~DurableStore() { Stop(); }

void DurableStore::Log(log::Level level, const std::string& msg) const {
  if (options_.log) options_.log(level, msg);
}

absl::StatusOr<std::unique_ptr<DurableStore>> DurableStore::Open(DurableStoreOptions options) {
  if (options.resync_backoff_initial_ms <= 0 ||
      options.resync_backoff_max_ms < options.resync_backoff_initial_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "durable store: resync_backoff_initial_ms must be > 0 and resync_backoff_max_ms >= it, "
        "not ",
        options.resync_backoff_initial_ms, " and ", options.resync_backoff_max_ms));
  }
  std::unique_ptr<DurableStore> store(new DurableStore(std::move(options)));
  DurableStoreOptions& o = store->options_;
  if (o.address.empty()) {
    EmbeddedRedisOptions eo;
    eo.data_dir = o.data_dir;
    eo.appendfsync = o.appendfsync;
    eo.log = o.log;
    // The store outlives the supervisor's thread: Stop (also from the destructor) stops
    // the embedded redis-server, and with it the thread, first.
    eo.on_restarted = [s = store.get()] { s->Nudge(); };
    absl::StatusOr<std::unique_ptr<EmbeddedRedis>> embedded = EmbeddedRedis::Start(eo);
    if (!embedded.ok()) return embedded.status();
    store->embedded_ = std::move(*embedded);
    o.address = store->embedded_->address();
    store->Log(log::Level::kInfo, absl::StrCat("embedded redis-server started at ", o.address,
                                               " (appendfsync ", o.appendfsync, ")"));
  }

  absl::StatusOr<engine::Snapshot> snap = store->Load(&store->load_stats_);
  if (!snap.ok()) return snap.status();
  store->initial_ = std::move(*snap);

  JournalOptions jo;
  jo.address = o.address;
  jo.timeout_ms = o.timeout_ms;
  jo.security = o.security;
  jo.max_batch = o.max_batch;
  jo.keys = store->keys_;
  jo.write = o.write;
  jo.stored_sequence = store->initial_.sequence;
  jo.on_commit = o.on_commit;
  DurableStore* raw = store.get();
  store->journal_ = std::make_unique<RedisJournal>(
      jo, [raw](const absl::Status& st) { raw->OnJournalFailure(st); });
  if (absl::Status st = store->journal_->Start(); !st.ok()) return st;
  return store;
}

engine::Journal* DurableStore::journal() { return journal_.get(); }

absl::Status DurableStore::Attach(engine::Engine* engine) {
  engine_ = engine;
  const int64_t restore_start = util::MonotonicMs();
  absl::Status st = engine_->Restore(initial_);
  initial_ = engine::Snapshot{};  // free the copy
  load_stats_.restore_ms = util::MonotonicMs() - restore_start;
  if (!st.ok()) return st;
  recovery_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-resync");
    RecoveryLoop();
  });
  return absl::OkStatus();
}

void DurableStore::Nudge() {
  absl::MutexLock lock(&mu_);
  // Only a re-sync waiting on its backoff has use for it: a restart while writes go
  // through must not make a later outage's first attempt look woken.
  if (broken_) nudged_ = true;
}

void DurableStore::OnJournalFailure(const absl::Status& status) {
  // Close the gate first: nothing more is applied to a state about to be replaced.
  if (engine_ != nullptr) engine_->SetWritable(false, std::string(status.message()));
  if (options_.on_write_state) options_.on_write_state(false);
  Log(log::Level::kError,
      absl::StrCat("redis write failed, writes unavailable until re-synced: ", status.message()));
  absl::MutexLock lock(&mu_);
  broken_ = true;
}

void DurableStore::RecoveryLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &DurableStore::BrokenOrStopping));
      if (stopping_) return;
    }
    const int64_t started = util::MonotonicMs();
    journal_->Drain();  // every record of the old state has failed back to its caller
    // Where the time went, for the log line (docs/storage.md, "Re-sync").
    ResyncTimings t;
    t.drain_ms = util::MonotonicMs() - started;
    int64_t backoff_ms = options_.resync_backoff_initial_ms;
    std::string last_refusal;
    CatchUpResult caught_up;
    LoadStats reloaded;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(this, &DurableStore::StoppingOrNudged),
                             absl::Milliseconds(backoff_ms));
        if (stopping_) return;
        if (nudged_) {  // the embedded redis-server is back: try now, and soon again
          nudged_ = false;
          backoff_ms = 0;
          t.woken = true;
        }
      }
      backoff_ms = std::clamp<int64_t>(backoff_ms * 2, options_.resync_backoff_initial_ms,
                                        options_.resync_backoff_max_ms);
      ++t.attempts;
      int64_t at = util::MonotonicMs();
      absl::Status st = journal_->Reconnect();
      t.connect_ms += util::MonotonicMs() - at;
      at = util::MonotonicMs();
      absl::StatusOr<CatchUpResult> result =
          st.ok() ? journal_->CatchUp() : absl::StatusOr<CatchUpResult>(st);
      t.catch_up_ms += util::MonotonicMs() - at;
      if (!result.ok()) {
        st = result.status();
        // Refused credentials or certificate: retrying alone will not help; say why, once.
        if (st.code() != absl::StatusCode::kUnavailable && st.message() != last_refusal) {
          last_refusal = std::string(st.message());
          Log(log::Level::kError, absl::StrCat("re-sync: ", last_refusal));
        }
        continue;
      }
      if (!result->reload) {
        caught_up.landed += result->landed;
        caught_up.resent += result->resent;
        at = util::MonotonicMs();
        const bool adopted = engine_->AdoptDurable(
            [this](std::vector<std::shared_ptr<const engine::MutationRecord>>* records) {
              return journal_->Rearm(records);
            });
        t.adopt_ms += util::MonotonicMs() - at;
        if (adopted) break;
        // A mutation admitted just before the gate closed failed meanwhile: catch it up.
        journal_->Drain();
        backoff_ms = 0;
        continue;
      }
      Log(log::Level::kWarn,
          absl::StrCat("re-sync: reloading the whole state from redis: ", result->why));
      at = util::MonotonicMs();
      absl::StatusOr<engine::Snapshot> snap = Load(&reloaded);
      t.load_ms += util::MonotonicMs() - at;
      if (!snap.ok()) {
        Log(log::Level::kWarn, absl::StrCat("re-sync: ", snap.status().message()));
        continue;
      }
      const uint64_t stored_sequence = snap->sequence;
      at = util::MonotonicMs();
      st = engine_->Restore(*snap,
                            [this, stored_sequence] { journal_->MarkHealthy(stored_sequence); });
      t.restore_ms += util::MonotonicMs() - at;
      if (!st.ok()) {
        Log(log::Level::kError, absl::StrCat("re-sync: stored state rejected: ", st.message()));
        backoff_ms = 5000;
        continue;
      }
      caught_up.reload = true;
      break;
    }
    const int64_t elapsed_ms = util::MonotonicMs() - started;
    {
      absl::MutexLock lock(&mu_);
      broken_ = false;
      nudged_ = false;  // a restart during the last attempt: nothing left to wake
      ++resync_.recoveries;
      if (!caught_up.reload) ++resync_.recoveries_without_reload;
      if (t.woken) ++resync_.woken_by_restart;
      resync_.landed_records += caught_up.landed;
      resync_.resent_records += caught_up.resent;
      resync_.last_resync_ms = elapsed_ms;
    }
    if (caught_up.reload && options_.on_resynced) options_.on_resynced();
    engine_->SetWritable(true);
    if (options_.on_write_state) options_.on_write_state(true);
    if (caught_up.reload) {
      Log(log::Level::kInfo,
          absl::StrCat("re-synced with redis in ", elapsed_ms, " ms by a full reload (",
                       reloaded.rows, " rows, ", reloaded.holds, " holds) ", t.Describe()));
    } else {
      Log(log::Level::kInfo,
          absl::StrCat("re-synced with redis in ", elapsed_ms,
                       " ms without a reload (failed records: ", caught_up.landed, " had landed, ",
                       caught_up.resent, " written again) ", t.Describe()));
    }
  }
}

int DurableStore::recoveries() const {
  absl::MutexLock lock(&mu_);
  return resync_.recoveries;
}

bool DurableStore::writable() const {
  absl::MutexLock lock(&mu_);
  return !broken_;
}

ResyncStats DurableStore::resync_stats() const {
  absl::MutexLock lock(&mu_);
  return resync_;
}

void DurableStore::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (recovery_.joinable()) recovery_.join();
  if (journal_) journal_->Stop();
  if (embedded_) embedded_->Stop();
}

}  // namespace stockd::storage
