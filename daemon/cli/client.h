// The gRPC side of stockctl: one channel to the daemon, the per-call context
// (deadline, actor metadata), request ids, and the mapping of a failed call to the
// message and exit code an operator sees.
//
// stockctl talks to the daemon only through the public stockd.v1 API.
// Single-threaded: one Client per process, used from the main thread.
#ifndef STOCKD_DAEMON_CLI_CLIENT_H_
#define STOCKD_DAEMON_CLI_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "daemon/cli/args.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::cli {

// Process exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the daemon refused the call, or a check found problems
  kExitUsage = 2,        // the command line is wrong
  kExitUnavailable = 3,  // the daemon cannot be reached (or cannot make a write durable)
};

using Stub = stockd::v1::Stock::Stub;

class Client {
 public:
  // Reads the TLS files and the token file named by `options`; a file that cannot be
  // read leaves the client unusable with error() saying why (commands that need no
  // daemon, such as `token new`, still run).
  explicit Client(const GlobalOptions& options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // A unary call with the standard deadline and metadata:
  //   client.Call(&Stub::GetStock, request, &response)
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    Prepare(&context, /*with_deadline=*/true);
    return (stub_.get()->*method)(&context, request, response);
  }

  // Sets the actor metadata and, unless `with_deadline` is false (streams that run
  // until interrupted), the deadline.
  void Prepare(grpc::ClientContext* context, bool with_deadline) const;

  const std::string& error() const { return error_; }
  Stub& stub() { return *stub_; }
  const GlobalOptions& options() const { return options_; }

 private:
  GlobalOptions options_;
  std::string error_;
  std::string authorization_;  // "Bearer <token>", or "" without a token
  std::unique_ptr<Stub> stub_;
};

// A fresh random request id (32 hex digits).
std::string NewRequestId();

// "FAILED_PRECONDITION", "UNAVAILABLE", ...
absl::string_view StatusCodeName(grpc::StatusCode code);
absl::string_view StatusCodeName(int code);

// Prints "stockctl: <CODE>: <message>" to stderr and returns the exit code for it.
// For a mutation (`request_id` non-empty) whose outcome is unknown or that may be
// retried, adds how to retry it safely.
int ReportRpcError(const grpc::Status& status, absl::string_view request_id = "");

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_CLIENT_H_
