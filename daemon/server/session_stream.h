// The Session stream (docs/session-stream.md): one bidirectional call that carries many
// mutations, each tagged by the client and answered with its tag as soon as it is
// durable. Every operation goes through the engine exactly as its unary call would
// (request id, roles and channels, status of its own); a refused operation does not end
// the stream.
//
// Flow control: at most `inflight` operations per stream are unanswered (in the engine,
// or answered and not yet written). While the window is full the stream reads nothing,
// so gRPC's own flow control stops the client; operations of one message beyond the
// window get RESOURCE_EXHAUSTED. Each response carries the credit left.
//
// Thread safety: gRPC calls the reactor from its threads, the engine completes
// operations on the journal's thread, and the deadline timer answers late ones on its
// own; one mutex per stream guards its state. Completions that arrive after gRPC is done
// with the stream find it gone and drop their result (the client has left).
#ifndef STOCKD_DAEMON_SERVER_SESSION_STREAM_H_
#define STOCKD_DAEMON_SERVER_SESSION_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"
#include "daemon/server/auth.h"
#include "daemon/server/deadline_timer.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::server {

using SessionReactor = grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>;

struct SessionOptions {
  int inflight = 256;                    // server.session_inflight: the window per stream
  int max_ops_per_message = 1000;        // server.max_batch
  int64_t max_response_bytes = 4 << 20;  // server.max_response_bytes
  // redis.timeout (0 = in memory): as for unary calls, only deadlines closer than this
  // plus a second get a timer; the journal answers the others in time by itself.
  int64_t write_timeout_ms = 0;
  bool check_access = false;  // authentication on: check each op's role and channels
};

class SessionStream;

// The open streams: bounds how many may be open and ends them all on a drain.
class SessionRegistry {
 public:
  explicit SessionRegistry(int max_sessions) : max_sessions_(max_sessions) {}

  // Stops every open stream: each answers what it has in flight, refuses what it reads
  // after (UNAVAILABLE, nothing done) and ends with UNAVAILABLE. Streams opened later are
  // refused.
  void DrainAll();
  int open() const;

 private:
  friend class SessionStream;
  bool Add(SessionStream* s);
  void Remove(SessionStream* s);

  const int max_sessions_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<SessionStream*> open_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

// Starts a Session stream for an admitted `caller`. `engine`, `timer` and `registry`
// are not owned and must outlive every stream (the daemon drains the registry, then
// shuts gRPC down, then destroys them). The reactor deletes itself when gRPC is done.
SessionReactor* StartSession(engine::Engine* engine, DeadlineTimer* timer,
                             SessionRegistry* registry, const SessionOptions& options,
                             grpc::CallbackServerContext* ctx,
                             std::shared_ptr<const Caller> caller);

// A stream refused before it started (PERMISSION_DENIED, UNAUTHENTICATED).
SessionReactor* RefuseSession(const grpc::Status& status);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_SESSION_STREAM_H_
