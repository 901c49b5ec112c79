// The log line format shared by every component (daemon/util/log.h): level names and one
// JSON line per message, with its component.
#include "daemon/util/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "daemon/util/posix.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using ::stockd::testing::TempDir;

TEST(LogTest, LevelNamesAndTheComponentLineFormat) {
  EXPECT_STREQ(log::LevelName(log::Level::kDebug), "debug");
  EXPECT_STREQ(log::LevelName(log::Level::kInfo), "info");
  EXPECT_STREQ(log::LevelName(log::Level::kWarn), "warn");
  EXPECT_STREQ(log::LevelName(log::Level::kError), "error");

  TempDir dir;
  const std::string path = dir.path() + "/stderr";
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  log::ComponentSink("embedded_redis")(log::Level::kWarn, "a \"quoted\"\nline");
  log::Error("plain");
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::string out;
  ASSERT_TRUE(util::ReadWholeFile(path, &out));
  const size_t first = out.find('\n');
  ASSERT_NE(first, std::string::npos);
  const std::string line1 = out.substr(0, first);
  const std::string line2 = out.substr(first + 1);
  ASSERT_EQ(line1.rfind("{\"ts_ms\":", 0), 0u) << line1;
  EXPECT_NE(line1.find(",\"level\":\"warn\",\"msg\":\"a \\\"quoted\\\"\\nline\","
                       "\"component\":\"embedded_redis\"}"),
            std::string::npos)
      << line1;
  ASSERT_EQ(line2.rfind("{\"ts_ms\":", 0), 0u) << line2;
  EXPECT_NE(line2.find(",\"level\":\"error\",\"msg\":\"plain\"}\n"), std::string::npos) << line2;
}

// Runs `write` with stderr redirected to a file and returns what it wrote.
std::string CaptureStderr(const std::function<void()>& write) {
  TempDir dir;
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

TEST(LogTest, TheMinimumLevelDropsLinesBelowIt) {
  EXPECT_EQ(log::ParseLevel("debug"), log::Level::kDebug);
  EXPECT_EQ(log::ParseLevel("warn"), log::Level::kWarn);
  EXPECT_EQ(log::ParseLevel("error"), log::Level::kError);
  EXPECT_EQ(log::ParseLevel("info"), log::Level::kInfo);
  EXPECT_EQ(log::ParseLevel("warning"), std::nullopt);
  EXPECT_EQ(log::ParseLevel("DEBUG"), std::nullopt);
  const log::Level before = log::MinLevel();
  EXPECT_EQ(before, log::Level::kInfo);  // the default

  auto write_each = [] {
    log::Debug("d-line");
    log::Info("i-line");
    log::ComponentSink("push")(log::Level::kDebug, "sink-d-line");
    log::ComponentSink("push")(log::Level::kWarn, "sink-w-line");
    log::Error("e-line");
  };
  const std::string at_info = CaptureStderr(write_each);
  EXPECT_EQ(at_info.find("d-line"), std::string::npos) << at_info;
  EXPECT_NE(at_info.find("\"msg\":\"i-line\""), std::string::npos) << at_info;
  EXPECT_NE(at_info.find("\"msg\":\"sink-w-line\""), std::string::npos) << at_info;
  EXPECT_NE(at_info.find("\"msg\":\"e-line\""), std::string::npos) << at_info;

  log::SetMinLevel(log::Level::kDebug);
  EXPECT_TRUE(log::Enabled(log::Level::kDebug));
  const std::string at_debug = CaptureStderr(write_each);
  EXPECT_NE(at_debug.find("\"level\":\"debug\",\"msg\":\"d-line\""), std::string::npos) << at_debug;
  EXPECT_NE(at_debug.find("\"level\":\"debug\",\"msg\":\"sink-d-line\",\"component\":\"push\""),
            std::string::npos)
      << at_debug;

  log::SetMinLevel(log::Level::kError);
  EXPECT_FALSE(log::Enabled(log::Level::kWarn));
  const std::string at_error = CaptureStderr(write_each);
  EXPECT_EQ(at_error.find("i-line"), std::string::npos) << at_error;
  EXPECT_EQ(at_error.find("sink-w-line"), std::string::npos) << at_error;
  EXPECT_NE(at_error.find("\"msg\":\"e-line\""), std::string::npos) << at_error;
  log::SetMinLevel(before);
}

}  // namespace
}  // namespace stockd
