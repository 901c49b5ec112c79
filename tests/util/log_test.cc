// The log line format shared by every component (daemon/util/log.h): level names and one
// JSON line per message, with its component.
#include "daemon/util/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

}  // namespace
}  // namespace stockd
