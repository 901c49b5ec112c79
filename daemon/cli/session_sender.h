// Sends many mutations over one Session stream (docs/session-stream.md), for commands
// that apply a file's worth of operations (`stockctl import`): the daemon answers each
// as soon as it is durable, and the sender keeps the daemon's window full instead of
// waiting for a whole batch.
//
// Single-threaded: the caller's thread writes and reads the stream in turn. It never
// has more operations outstanding than the window the daemon announced, so the daemon
// always reads what is written and neither side waits on the other.
#ifndef STOCKD_DAEMON_CLI_SESSION_SENDER_H_
#define STOCKD_DAEMON_CLI_SESSION_SENDER_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "daemon/cli/client.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::cli {

struct SessionSendReport {
  std::vector<stockd::v1::BatchResult> results;  // by op index; code/message per op
  std::vector<bool> answered;                    // by op index
  size_t answered_count = 0;
  size_t messages = 0;  // SessionRequest messages sent
  uint32_t window = 0;  // what the daemon announced
};

// Sends `ops` in order, at most `per_message` per message (and never more than the
// window in flight), each with `op_deadline_ms` (0 = none). Returns the stream's end
// status: OK when the daemon answered every op (each op's own code is in the report),
// else why the stream ended; ops not answered then have an unknown outcome (their
// request ids make a retry safe).
grpc::Status SendOverSession(Client& client, const std::vector<stockd::v1::BatchOperation>& ops,
                             int per_message, int64_t op_deadline_ms, SessionSendReport* report);

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_SESSION_SENDER_H_
