// The top-level `metrics` section: listen on any host:port (Prometheus scrapes from other
// machines), status_page true/false; absent = no endpoint; errors with file:line:column.
#include <string>

#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

TEST(MetricsConfigTest, AbsentMeansNoEndpointAndAStatusPage) {
  absl::StatusOr<Config> config = ParseConfig(Base(""), "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics.listen, "");
  EXPECT_TRUE(config->metrics.status_page);
}

TEST(MetricsConfigTest, AnyAddressIsAllowed) {
  for (const char* listen : {"0.0.0.0:9464", "127.0.0.1:0", "[::]:9464", "10.1.2.3:9100"}) {
    absl::StatusOr<Config> config = ParseConfig(
        Base(std::string("metrics:\n  listen: \"") + listen + "\"\n  status_page: false\n"),
        "test.yaml");
    ASSERT_TRUE(config.ok()) << listen << ": " << config.status();
    EXPECT_EQ(config->metrics.listen, listen);
    EXPECT_FALSE(config->metrics.status_page);
  }
}

TEST(MetricsConfigTest, ErrorsNameFileLineColumnAndKeyPath) {
  std::string message = ErrorOf(Base("metrics:\n"              // 10
                                     "  listen: nowhere\n"     // 11
                                     "  status_page: yes\n"    // 12
                                     "  port: 1\n"));          // 13
  EXPECT_TRUE(Contains(message, "test.yaml:11:11: metrics.listen: 'nowhere': ")) << message;
  EXPECT_TRUE(Contains(message,
                       "test.yaml:12:16: metrics.status_page: 'yes': expected true or false"));
  EXPECT_TRUE(Contains(message, "test.yaml:13:3: metrics.port: unknown key 'port'"));
  message = ErrorOf(Base("metrics:\n  listen: unix:/tmp/m.sock\n"));
  EXPECT_TRUE(Contains(message,
                       "test.yaml:11:11: metrics.listen: 'unix:/tmp/m.sock': expected "
                       "host:port, not a unix socket"));
  message = ErrorOf(Base("metrics:\n  listen: 127.0.0.1:70000\n"));
  EXPECT_TRUE(Contains(message, "test.yaml:11:11: metrics.listen: '127.0.0.1:70000': "));
}

}  // namespace
}  // namespace stockd::config
