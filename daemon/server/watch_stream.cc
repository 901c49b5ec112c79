#include "daemon/server/watch_stream.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/watch_queue.h"

namespace stockd::server {
namespace {

v1::WatchEvent ToEvent(const WatchItem& item) {
  if (item.notice != nullptr) {
    v1::WatchEvent e = *item.notice;
    e.set_sequence(item.sequence);
    return e;
  }
  return item.snapshot_done ? api::SnapshotDoneEvent(item.sequence)
                            : api::ToWatchEvent(item.sequence, item.change, item.snapshot);
}

class WatchStream final : public grpc::ServerWriteReactor<v1::WatchEvent>,
                          public WatchHub::Subscriber {
 public:
  WatchStream(const engine::Engine* engine, WatchHub* hub, const v1::WatchRequest& req,
              std::atomic<int>* open_streams)
      : hub_(hub), open_streams_(open_streams) {
    for (const std::string& c : req.channels()) {
      if (grpc::Status st = KnownChannel(*engine->model(), c, /*empty_ok=*/false); !st.ok()) {
        absl::MutexLock lock(&mu_);
        FinishLocked(st);
        return;
      }
      channels_.insert(c);
    }
    for (const std::string& s : req.skus()) skus_.insert(s);
    const bool may_need_snapshot = req.snapshot() || req.resume_after() > 0;
    {
      // Live changes queue up but are not written until the snapshot (if any) is queued
      // in front of them.
      absl::MutexLock lock(&mu_);
      building_snapshot_ = may_need_snapshot;
    }
    const WatchHub::Registration reg = hub_->Add(this, req.resume_after());
    std::vector<engine::PublishedChange> snapshot;
    const bool snapshot_needed = req.snapshot() || (req.resume_after() > 0 && !reg.resumed);
    if (snapshot_needed) {
      std::vector<std::string> channels(req.channels().begin(), req.channels().end());
      std::vector<std::string> skus(req.skus().begin(), req.skus().end());
      engine->ForEachPublished(
          channels, skus, [&snapshot](const engine::PublishedChange& c) { snapshot.push_back(c); });
    }
    absl::MutexLock lock(&mu_);
    if (snapshot_needed && !finished_) queue_.SetSnapshot(std::move(snapshot), reg.sequence);
    building_snapshot_ = false;
    MaybeWriteLocked();
  }

  void Offer(const engine::PublishedChange& change, uint64_t sequence) override {
    if (!channels_.empty() && !channels_.contains(change.channel)) return;
    if (!skus_.empty() && !skus_.contains(change.sku)) return;
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    queue_.Push(change, sequence);
    MaybeWriteLocked();
  }

  void OfferNotice(const Notice& notice, uint64_t sequence) override {
    if (!channels_.empty() && !channels_.contains(notice.event->channel())) return;
    if (!skus_.empty() &&
        std::none_of(notice.skus.begin(), notice.skus.end(),
                     [this](const std::string& s) { return skus_.contains(s); })) {
      return;
    }
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    queue_.PushNotice(notice.event, sequence);
    MaybeWriteLocked();
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
    if (open_streams_ != nullptr) open_streams_->fetch_sub(1);
    delete this;
  }

 private:
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || building_snapshot_) return;
    std::optional<WatchItem> item = queue_.Pop();
    if (!item.has_value()) {
      if (closing_) FinishLocked(grpc::Status::OK);
      return;
    }
    current_ = ToEvent(*item);
    writing_ = true;
    StartWrite(&current_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.Clear();
    Finish(status);
  }

  WatchHub* const hub_;
  std::atomic<int>* const open_streams_;
  absl::flat_hash_set<std::string> channels_;  // empty = all; immutable after construction
  absl::flat_hash_set<std::string> skus_;

  absl::Mutex mu_;
  WatchQueue queue_ ABSL_GUARDED_BY(mu_);
  v1::WatchEvent current_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool building_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class RefusedWatch final : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  explicit RefusedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchEvent>* StartWatch(const engine::Engine* engine, WatchHub* hub,
                                                     const v1::WatchRequest& req,
                                                     std::atomic<int>* open_streams) {
  return new WatchStream(engine, hub, req, open_streams);
}

grpc::ServerWriteReactor<v1::WatchEvent>* RefuseWatch(grpc::Status status) {
  return new RefusedWatch(status);
}

}  // namespace stockd::server
