#include "daemon/server/grpc_log.h"

#include <grpc/support/log.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace stockd::server {
namespace {

log::Level LevelOf(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return log::Level::kDebug;
    case GPR_LOG_SEVERITY_INFO:
      // gRPC's INFO is its internal chatter ("grpc epoll fd: 6", poller counts): debug.
      return log::Level::kDebug;
    case GPR_LOG_SEVERITY_ERROR:
      return log::Level::kError;
  }
  return log::Level::kError;
}

void WriteGrpcLine(gpr_log_func_args* args) {
  const log::Level level = LevelOf(args->severity);
  if (!log::Enabled(level)) return;
  // gRPC passes the full path of its source file; the base name is enough to find it.
  const char* file = args->file != nullptr ? args->file : "";
  if (const char* slash = std::strrchr(file, '/')) file = slash + 1;
  log::Write(
      level, args->message != nullptr ? args->message : "",
      {{"component", "grpc"}, {"where", std::string(file) + ":" + std::to_string(args->line)}});
}

}  // namespace

void RouteGrpcLogs() { gpr_set_log_function(&WriteGrpcLine); }

void ApplyLogLevel(log::Level level) {
  log::SetMinLevel(level);
  const char* env = std::getenv("GRPC_VERBOSITY");
  if (env != nullptr && *env != '\0') return;
  switch (level) {
    case log::Level::kDebug:
      gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);
      break;
    case log::Level::kInfo:
    case log::Level::kWarn:
    case log::Level::kError:
      gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
      break;
  }
}

}  // namespace stockd::server
