// What one Session operation becomes before it reaches the engine: the checks that need
// nothing of the stream's state (session_stream.cc checks the stream's own first: draining,
// its window, a tag already in flight). In the order a client sees their refusals: a
// negative deadline_ms, no operation set, the caller's role and channels, a result that
// could outgrow server.max_response_bytes, a deadline already passed. Each refusal says
// that nothing was done.
//
// Thread safety: a pure function of its arguments (the engine is only read).
#ifndef STOCKD_DAEMON_SERVER_SESSION_ADMISSION_H_
#define STOCKD_DAEMON_SERVER_SESSION_ADMISSION_H_

#include <chrono>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/server/auth.h"
#include "daemon/server/batch_ops.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::server {

// A SessionResponse's credit and framing, and a repeated field's tag and length: what a
// result costs in a response beyond its own bytes.
inline constexpr int64_t kSessionResponseFraming = 64;
inline constexpr int64_t kSessionResultFraming = 16;

struct SessionAdmission {
  const engine::Engine& engine;
  const Caller& caller;
  bool check_access = false;       // authentication on: check the op's role and channels
  int64_t max_response_bytes = 0;  // server.max_response_bytes
  int64_t location_bytes = 0;      // MaxLocationBytes of the model in force
  std::chrono::system_clock::time_point now{};
  std::optional<std::chrono::system_clock::time_point> call_deadline{};  // the stream's own
};

struct AdmittedOp {
  BatchItem item;
  // The earlier of the stream's deadline and the op's deadline_ms; none when neither.
  std::optional<std::chrono::system_clock::time_point> deadline;
};

// The op's item and deadline, or the status its SessionResult carries.
absl::StatusOr<AdmittedOp> AdmitSessionOp(const v1::SessionOp& op, const SessionAdmission& with);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_SESSION_ADMISSION_H_
