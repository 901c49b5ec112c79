#include "daemon/server/session_stream.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/convert.h"
#include "daemon/server/batch_ops.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/session_admission.h"

namespace stockd::server {
namespace {

using Clock = std::chrono::system_clock;

v1::SessionResult Refusal(uint64_t tag, absl::StatusCode code, std::string message) {
  v1::SessionResult r;
  r.set_tag(tag);
  api::ToBatchError(absl::Status(code, std::move(message)), r.mutable_result());
  return r;
}

}  // namespace

// The state the reactor shares with the operations in flight and their timers: a
// completion may outlive the reactor (the client left), so it holds this, not the
// reactor, and finds `stream` null.
struct SessionCore {
  absl::Mutex mu;
  SessionStream* stream ABSL_GUARDED_BY(mu) = nullptr;
};

class SessionStream final : public SessionReactor {
 public:
  SessionStream(engine::Engine* engine, DeadlineTimer* timer, SessionRegistry* registry,
                const SessionOptions& options, grpc::CallbackServerContext* ctx,
                std::shared_ptr<const Caller> caller)
      : engine_(engine),
        timer_(timer),
        registry_(registry),
        options_(options),
        ctx_(ctx),
        caller_(std::move(caller)),
        actor_(Meta(ctx, "", *caller_).actor),
        core_(std::make_shared<SessionCore>()) {
    registered_ = registry_->Add(this);  // before our lock: DrainAll locks it, then ours
    absl::MutexLock lock(&core_->mu);
    core_->stream = this;
    if (!registered_) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "too many Session streams open (server.max_sessions), or "
                                "stockd is draining: retry later or on another connection"));
      return;
    }
    announce_ = true;  // the first response: the whole window, no results
    MaybeWriteLocked();
    MaybeReadLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or left: OnCancel follows)
      absl::MutexLock lock(&core_->mu);
      reading_ = false;
      half_closed_ = true;
      MaybeFinishLocked();
      return;
    }
    Intake();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&core_->mu);
    writing_ = false;
    written_ = 0;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    MaybeWriteLocked();
    MaybeReadLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&core_->mu);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (registered_) registry_->Remove(this);
    {
      absl::MutexLock lock(&core_->mu);
      core_->stream = nullptr;
      for (const auto& [tag, op] : in_flight_) {
        if (op.timer != 0) timer_->Cancel(op.timer);
      }
    }
    delete this;
  }

  // SessionRegistry::DrainAll.
  void Drain() {
    absl::MutexLock lock(&core_->mu);
    draining_ = true;
    MaybeFinishLocked();
  }

 private:
  struct InFlight {
    uint64_t serial = 0;  // tells a late completion from a reused tag's
    DeadlineTimer::Id timer = 0;
  };

  // Operations the client cannot have an answer to yet: in the engine or queued. This is
  // what the window admits against: results in the write on the wire may already have
  // reached the client (gRPC reports the write done later), which then counts them as
  // answered and may send as many new ops.
  int UnansweredLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return static_cast<int>(in_flight_.size() + outgoing_.size());
  }
  // ... and the results in the write on the wire: the stream reads more only below the
  // window, so what it holds stays bounded.
  int OccupiedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return UnansweredLocked() + written_;
  }

  // Handles one message: every op is answered, by a refusal at once or by the engine.
  void Intake() {
    struct Accepted {
      uint64_t tag;
      uint64_t serial;
      BatchItem item;
      std::optional<Clock::time_point> deadline;
    };
    std::vector<Accepted> accepted;
    {
      // reading_ stays true until the ops are handed to the engine: no other message is
      // read meanwhile, so the engine sees the stream's ops in the order they were sent.
      absl::MutexLock lock(&core_->mu);
      if (finished_) return;
      const int n = request_.ops_size();
      if (n > options_.max_ops_per_message) {
        FinishLocked(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         absl::StrCat("ops: ", n, " operations in one message, at most ",
                                      options_.max_ops_per_message,
                                      " (server.max_batch); nothing of that message was applied")));
        return;
      }
      SessionAdmission admission{*engine_, *caller_};
      admission.check_access = options_.check_access;
      admission.max_response_bytes = options_.max_response_bytes;
      admission.location_bytes = MaxLocationBytes(*engine_);
      admission.now = Clock::now();
      if (ctx_->deadline() != Clock::time_point::max()) admission.call_deadline = ctx_->deadline();
      int room = std::max(0, options_.inflight - UnansweredLocked());
      std::vector<v1::SessionResult> refused;  // answered at once, after the loop
      for (int i = 0; i < n; ++i) {
        const v1::SessionOp& op = request_.ops(i);
        const uint64_t tag = op.tag();
        auto refuse = [&refused, tag](absl::StatusCode code, std::string message) {
          refused.push_back(Refusal(tag, code, std::move(message)));
        };
        if (draining_) {
          refuse(absl::StatusCode::kUnavailable,
                 "stockd is draining (shutting down); nothing was done: reconnect and send "
                 "it again");
          continue;
        }
        if (room == 0) {
          refuse(absl::StatusCode::kResourceExhausted,
                 absl::StrCat("over the stream's window of ", options_.inflight,
                              " operations in flight (server.session_inflight); nothing was "
                              "done: wait for results before sending more"));
          continue;
        }
        if (in_flight_.contains(tag)) {
          refuse(absl::StatusCode::kInvalidArgument,
                 absl::StrCat("tag ", tag, " is already in flight on this stream"));
          continue;
        }
        absl::StatusOr<AdmittedOp> admitted = AdmitSessionOp(op, admission);
        if (!admitted.ok()) {
          refuse(admitted.status().code(), std::string(admitted.status().message()));
          continue;
        }
        const uint64_t serial = ++serial_;
        in_flight_[tag] = InFlight{serial, 0};
        --room;
        accepted.push_back(Accepted{tag, serial, std::move(admitted->item), admitted->deadline});
      }
      for (v1::SessionResult& r : refused) outgoing_.push_back(std::move(r));
    }
    for (Accepted& a : accepted) {
      ArmDeadline(a.tag, a.serial, a.deadline);
      engine::Command cmd{engine::CommandMeta{std::move(a.item.request_id), actor_},
                          std::move(a.item.body)};
      engine_->Execute(std::move(cmd),
                       [core = core_, tag = a.tag, serial = a.serial,
                        fill = std::move(a.item.fill)](absl::StatusOr<engine::Outcome> r) {
                         v1::SessionResult result;
                         result.set_tag(tag);
                         if (r.ok()) {
                           fill(*r, result.mutable_result());
                         } else {
                           api::ToBatchError(r.status(), result.mutable_result());
                         }
                         absl::MutexLock lock(&core->mu);
                         if (SessionStream* s = core->stream; s != nullptr) {
                           s->core_->mu.AssertHeld();  // the same mutex: s->core_ is `core`
                           s->AnswerLocked(tag, serial, std::move(result));
                         }
                       });
    }
    absl::MutexLock lock(&core_->mu);
    reading_ = false;
    MaybeWriteLocked();
    MaybeReadLocked();
    MaybeFinishLocked();
  }

  // As a unary mutation: when durability may not confirm the op before its deadline,
  // answer UNAVAILABLE a little before it (10% of the time left, at most 50 ms).
  void ArmDeadline(uint64_t tag, uint64_t serial, std::optional<Clock::time_point> deadline) {
    if (!deadline || options_.write_timeout_ms <= 0) return;
    const auto remaining = *deadline - Clock::now();
    if (remaining > std::chrono::milliseconds(options_.write_timeout_ms + 1000)) return;
    const auto margin = std::min<Clock::duration>(std::chrono::milliseconds(50), remaining / 10);
    const DeadlineTimer::Id id = timer_->Schedule(
        DeadlineTimer::Clock::now() +
            std::chrono::duration_cast<DeadlineTimer::Clock::duration>(remaining - margin),
        [core = core_, tag, serial] {
          absl::MutexLock lock(&core->mu);
          SessionStream* s = core->stream;
          if (s == nullptr) return;
          s->core_->mu.AssertHeld();  // the same mutex: s->core_ is `core`
          s->AnswerLocked(
              tag, serial,
              Refusal(tag, absl::StatusCode::kUnavailable,
                      "not confirmed durable within the operation's deadline; the outcome is "
                      "unknown: retry with the same request_id"));
        });
    absl::MutexLock lock(&core_->mu);
    auto it = in_flight_.find(tag);
    if (it != in_flight_.end() && it->second.serial == serial) {
      it->second.timer = id;
    } else {
      timer_->Cancel(id);  // answered already (e.g. at once, in memory)
    }
  }

  // An op's first answer (the engine's or its deadline's) goes out; a second is dropped.
  void AnswerLocked(uint64_t tag, uint64_t serial, v1::SessionResult result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    auto it = in_flight_.find(tag);
    if (it == in_flight_.end() || it->second.serial != serial) return;
    if (it->second.timer != 0) timer_->Cancel(it->second.timer);
    in_flight_.erase(it);
    if (finished_) return;
    outgoing_.push_back(std::move(result));
    MaybeWriteLocked();
    MaybeReadLocked();
    MaybeFinishLocked();
  }

  // One write at a time, carrying every result queued meanwhile (up to the response
  // limit) and the credit left.
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    if (writing_ || finished_ || (outgoing_.empty() && !announce_)) return;
    current_.Clear();
    int64_t bytes = kSessionResponseFraming;
    size_t taken = 0;
    for (; taken < outgoing_.size(); ++taken) {
      const int64_t size =
          static_cast<int64_t>(outgoing_[taken].ByteSizeLong()) + kSessionResultFraming;
      if (taken > 0 && bytes + size > options_.max_response_bytes) break;
      bytes += size;
      current_.add_results()->Swap(&outgoing_[taken]);
    }
    outgoing_.erase(outgoing_.begin(), outgoing_.begin() + static_cast<ptrdiff_t>(taken));
    written_ = static_cast<int>(taken);
    announce_ = false;
    // The credit once this message is read: what is still unanswered stays counted.
    current_.set_credit(static_cast<uint32_t>(std::max(0, options_.inflight - UnansweredLocked())));
    writing_ = true;
    StartWrite(&current_);
  }

  // Reads the next message while the window has room (back-pressure otherwise).
  void MaybeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    if (reading_ || half_closed_ || draining_ || finished_) return;
    if (OccupiedLocked() >= options_.inflight) return;
    reading_ = true;
    StartRead(&request_);
  }

  // Ends the stream once everything read has been answered and written: OK after the
  // client half-closed, UNAVAILABLE on a drain.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    if (finished_ || !(half_closed_ || draining_)) return;
    if (!in_flight_.empty() || !outgoing_.empty() || writing_) return;
    if (half_closed_) {
      FinishLocked(grpc::Status::OK);
    } else {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "stockd is draining (shutting down): every operation read was "
                                "answered; reconnect"));
    }
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    if (finished_) return;
    finished_ = true;
    outgoing_.clear();
    Finish(status);
  }

  engine::Engine* const engine_;
  DeadlineTimer* const timer_;
  SessionRegistry* const registry_;
  const SessionOptions options_;
  grpc::CallbackServerContext* const ctx_;
  const std::shared_ptr<const Caller> caller_;
  const std::string actor_;  // the audit actor of every op (call_helpers.h Meta)
  const std::shared_ptr<SessionCore> core_;
  bool registered_ = false;  // written only in the constructor

  v1::SessionRequest request_;  // the read buffer: only the reading thread touches it
  absl::flat_hash_map<uint64_t, InFlight> in_flight_ ABSL_GUARDED_BY(core_->mu);
  std::vector<v1::SessionResult> outgoing_ ABSL_GUARDED_BY(core_->mu);
  v1::SessionResponse current_ ABSL_GUARDED_BY(core_->mu);
  int written_ ABSL_GUARDED_BY(core_->mu) = 0;  // results in the write in flight
  uint64_t serial_ ABSL_GUARDED_BY(core_->mu) = 0;
  bool announce_ ABSL_GUARDED_BY(core_->mu) = false;
  bool reading_ ABSL_GUARDED_BY(core_->mu) = false;
  bool writing_ ABSL_GUARDED_BY(core_->mu) = false;
  bool half_closed_ ABSL_GUARDED_BY(core_->mu) = false;
  bool draining_ ABSL_GUARDED_BY(core_->mu) = false;
  bool finished_ ABSL_GUARDED_BY(core_->mu) = false;
};

bool SessionRegistry::Add(SessionStream* s) {
  absl::MutexLock lock(&mu_);
  if (draining_ || static_cast<int>(open_.size()) >= max_sessions_) return false;
  open_.insert(s);
  return true;
}

void SessionRegistry::Remove(SessionStream* s) {
  absl::MutexLock lock(&mu_);
  open_.erase(s);
}

void SessionRegistry::DrainAll() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  for (SessionStream* s : open_) s->Drain();
}

int SessionRegistry::open() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(open_.size());
}

namespace {

class RefusedSession final : public SessionReactor {
 public:
  explicit RefusedSession(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

SessionReactor* StartSession(engine::Engine* engine, DeadlineTimer* timer,
                             SessionRegistry* registry, const SessionOptions& options,
                             grpc::CallbackServerContext* ctx,
                             std::shared_ptr<const Caller> caller) {
  return new SessionStream(engine, timer, registry, options, ctx, std::move(caller));
}

SessionReactor* RefuseSession(const grpc::Status& status) { return new RefusedSession(status); }

}  // namespace stockd::server
