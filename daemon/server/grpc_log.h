// gRPC's own log lines (gpr_log: failed binds, transport errors, ...) in the daemon's
// JSON log instead of gRPC's "E0101 12:00:00.000 ..." text on stderr. RouteGrpcLogs
// installs a gpr log function writing each line through util/log with
// "component":"grpc", its severity mapped (gRPC DEBUG and INFO -> debug: gRPC's INFO is
// its internal chatter, "grpc epoll fd: 6" and poller counts at every start; ERROR ->
// error) and its source position ("where":"chttp2_server.cc:1065"). ApplyLogLevel is the
// setter of log.level (start and live reload): the daemon's level, and gRPC's verbosity
// with it (debug -> DEBUG, else ERROR) so gRPC does not build lines that would be
// dropped — unless the operator set GRPC_VERBOSITY, which then stays gRPC's own filter
// (util/log still drops lines below log.level).
//
// Thread safety: both are thread-safe. Call RouteGrpcLogs before gRPC starts.
#ifndef STOCKD_DAEMON_SERVER_GRPC_LOG_H_
#define STOCKD_DAEMON_SERVER_GRPC_LOG_H_

#include "daemon/util/log.h"

namespace stockd::server {

void RouteGrpcLogs();
void ApplyLogLevel(log::Level level);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_GRPC_LOG_H_
