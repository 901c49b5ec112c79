#include "common/auth_pause.h"

#include <algorithm>
#include <exception>

namespace stockd::adapters {

using stockd::sdk::LogLevel;

std::string AuthPause::Check(const std::function<bool()>& reload) {
  if (!paused_) return "";
  bool changed = false;
  try {
    changed = reload && reload();
  } catch (const std::exception& e) {
    const Clock::time_point now = Clock::now();
    if (now - logged_at_ >= std::chrono::milliseconds(relog_ms_)) {
      host_.Log(LogLevel::kError, "credentials still refused (" + reason_ +
                                      "), and re-reading them failed: " + e.what());
      logged_at_ = now;
    }
    return "channel paused, its credentials were refused: " + reason_;
  }
  if (changed) {
    host_.Log(LogLevel::kInfo, "credentials changed: trying the API again");
    return "";
  }
  if (Clock::now() - failed_at_ >= std::chrono::milliseconds(recheck_ms_)) return "";
  return "channel paused, its credentials were refused: " + reason_;
}

void AuthPause::Fail(const std::string& reason) {
  const Clock::time_point now = Clock::now();
  host_.Count("auth_failures");
  const bool first = !paused_;
  paused_ = true;
  reason_ = reason;
  failed_at_ = now;
  if (first || now - logged_at_ >= std::chrono::milliseconds(relog_ms_)) {
    host_.Log(LogLevel::kError,
              "the channel's API refused its credentials and a refresh did not help: " + reason +
                  ". Pushes, fetches and order polls are paused until the credentials are "
                  "fixed (rewrite the credential file; it is re-read on every attempt)");
    logged_at_ = now;
  }
}

void AuthPause::Succeeded() {
  if (!paused_) return;
  paused_ = false;
  reason_.clear();
  host_.Count("auth_resumed");
  host_.Log(LogLevel::kInfo, "the channel's API accepts its credentials again: resumed");
}

int64_t AuthPause::retry_after_ms() const {
  if (!paused_) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        failed_at_ + std::chrono::milliseconds(recheck_ms_) - Clock::now())
                        .count();
  return std::max<int64_t>(left, 1000);
}

}  // namespace stockd::adapters
