// gRPC's own log lines in the JSON log (daemon/server/grpc_log.h): a gpr_log line comes
// out as one JSON line with "component":"grpc", its severity mapped, its source position;
// log.level filters them like any other line.
#include "daemon/server/grpc_log.h"

#include <fcntl.h>
#include <grpc/support/log.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "daemon/util/posix.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

std::string CaptureStderr(const std::function<void()>& write) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/stderr";
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  EXPECT_GE(file, 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  write();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::string out;
  EXPECT_TRUE(util::ReadWholeFile(path, &out));
  return out;
}

TEST(GrpcLogTest, GrpcLinesBecomeJsonAtTheirSeverityAndFollowTheLevel) {
  const log::Level before = log::MinLevel();
  server::RouteGrpcLogs();
  server::ApplyLogLevel(log::Level::kInfo);
  const std::string at_info = CaptureStderr([] {
    gpr_log(__FILE__, 42, GPR_LOG_SEVERITY_ERROR, "bind failed: %s", "address in use");
    gpr_log(__FILE__, 43, GPR_LOG_SEVERITY_INFO, "an info line");
    gpr_log(__FILE__, 44, GPR_LOG_SEVERITY_DEBUG, "a debug line");
  });
  EXPECT_NE(at_info.find("\"level\":\"error\",\"msg\":\"bind failed: address in use\","
                         "\"component\":\"grpc\",\"where\":\"grpc_log_test.cc:42\"}\n"),
            std::string::npos)
      << at_info;
  // gRPC's INFO is its chatter: debug, dropped at info.
  EXPECT_EQ(at_info.find("an info line"), std::string::npos) << at_info;
  EXPECT_EQ(at_info.find("a debug line"), std::string::npos) << at_info;
  EXPECT_EQ(at_info.find("E0"), std::string::npos) << "gRPC's own format leaked: " << at_info;

  server::ApplyLogLevel(log::Level::kDebug);
  const std::string at_debug = CaptureStderr([] {
    gpr_log(__FILE__, 50, GPR_LOG_SEVERITY_DEBUG, "a debug line");
    gpr_log(__FILE__, 51, GPR_LOG_SEVERITY_INFO, "an info line");
  });
  EXPECT_NE(at_debug.find("\"level\":\"debug\",\"msg\":\"a debug line\",\"component\":\"grpc\""),
            std::string::npos)
      << at_debug;
  EXPECT_NE(at_debug.find("\"level\":\"debug\",\"msg\":\"an info line\",\"component\":\"grpc\""),
            std::string::npos)
      << at_debug;

  server::ApplyLogLevel(log::Level::kWarn);
  const std::string at_warn = CaptureStderr([] {
    gpr_log(__FILE__, 60, GPR_LOG_SEVERITY_INFO, "an info line");
    gpr_log(__FILE__, 61, GPR_LOG_SEVERITY_ERROR, "an error line");
  });
  EXPECT_EQ(at_warn.find("an info line"), std::string::npos) << at_warn;
  EXPECT_NE(at_warn.find("\"msg\":\"an error line\""), std::string::npos) << at_warn;
  server::ApplyLogLevel(before);
}

}  // namespace
}  // namespace stockd
