#include "daemon/engine/kit_announcer.h"

#include <pthread.h>

#include <utility>

namespace stockd::engine {

KitAnnouncer::KitAnnouncer(size_t kits, std::function<void(int kit)> announce,
                           std::function<void()> after_batch)
    : announce_(std::move(announce)), after_batch_(std::move(after_batch)) {
  {
    absl::MutexLock lock(&mu_);
    marked_.assign(kits, false);
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-kits");
    Loop();
  });
}

KitAnnouncer::~KitAnnouncer() { Stop(); }

void KitAnnouncer::Mark(int kit) {
  absl::MutexLock lock(&mu_);
  if (kit < 0 || static_cast<size_t>(kit) >= marked_.size() || marked_[kit]) return;
  marked_[kit] = true;
  queue_.push_back(kit);
}

void KitAnnouncer::MarkAll() {
  absl::MutexLock lock(&mu_);
  for (size_t k = 0; k < marked_.size(); ++k) {
    if (marked_[k]) continue;
    marked_[k] = true;
    queue_.push_back(static_cast<int>(k));
  }
}

void KitAnnouncer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void KitAnnouncer::Loop() {
  std::vector<int> work;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &KitAnnouncer::HasWork));
      if (stopping_) return;
      work.swap(queue_);
      // Unmarked before computing: a change after this point marks the kit again.
      for (int k : work) marked_[k] = false;
    }
    for (int k : work) announce_(k);
    work.clear();
    if (after_batch_) after_batch_();
  }
}

}  // namespace stockd::engine
