#include "daemon/push/alert_sender.h"

#include <pthread.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/util/redact.h"

namespace stockd::push {

AlertSender::AlertSender(std::string channel, std::unique_ptr<plugins::Adapter> adapter,
                         int64_t retry_initial_ms, int64_t retry_max_ms,
                         const engine::Clock* clock, log::Sink log)
    : channel_(std::move(channel)),
      adapter_(std::move(adapter)),
      clock_(clock),
      log_(std::move(log)),
      backoff_(retry_initial_ms, retry_max_ms, std::random_device{}()) {}

AlertSender::~AlertSender() { Stop(); }

void AlertSender::Start() {
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("alerts:" + channel_).substr(0, 15).c_str());
    Loop();
  });
}

void AlertSender::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.SignalAll();
  }
  adapter_->Interrupt();  // a hung delivery gives up now
  if (worker_.joinable()) worker_.join();
}

void AlertSender::Offer(std::string alerts_json) {
  std::string dropped;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (queue_.size() >= kMaxQueued) {
      // Never the front while it may be in flight: the oldest after it.
      auto victim = queue_.size() > 1 ? queue_.begin() + 1 : queue_.begin();
      queue_.erase(victim);
      if (++stats_.dropped == 1 || stats_.dropped % 100 == 0) {
        dropped = absl::StrCat("alerts[", channel_, "]: ", stats_.dropped,
                               " alert batches dropped so far: ", kMaxQueued,
                               " were waiting for the adapter");
      }
    }
    queue_.push_back(std::move(alerts_json));
    wake_.Signal();
  }
  if (!dropped.empty() && log_) log_(log::Level::kWarn, dropped);
}

AlertSenderStats AlertSender::Stats() const {
  absl::MutexLock lock(&mu_);
  AlertSenderStats s = stats_;
  s.queued = static_cast<int64_t>(queue_.size());
  return s;
}

void AlertSender::Loop() {
  for (;;) {
    std::string batch;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        const int64_t now = clock_->NowMs();
        if (!queue_.empty() && now >= retry_at_ms_) break;
        const int64_t wait_ms = queue_.empty() ? 1000 : retry_at_ms_ - now;
        wake_.WaitWithTimeout(&mu_, absl::Milliseconds(std::max<int64_t>(1, wait_ms)));
      }
      batch = queue_.front();
    }
    const absl::Status sent = adapter_->NotifyAlerts(batch);
    std::string warning;
    {
      absl::MutexLock lock(&mu_);
      if (sent.ok()) {
        queue_.pop_front();  // Offer never removes the front
        ++stats_.delivered;
        attempts_ = 0;
        retry_at_ms_ = 0;
      } else {
        ++stats_.failures;
        const int64_t delay = backoff_.DelayMs(++attempts_);
        retry_at_ms_ = clock_->NowMs() + delay;
        if (attempts_ == 1 || attempts_ % 10 == 0) {
          warning = absl::StrCat("alerts[", channel_, "]: delivery failed (attempt ", attempts_,
                                 ", again in ", delay,
                                 " ms): ", util::RedactSecrets(std::string(sent.message())));
        }
      }
    }
    if (!warning.empty() && log_) log_(log::Level::kWarn, warning);
  }
}

}  // namespace stockd::push
