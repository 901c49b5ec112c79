// Tests of config::CheckListenAddress, the one check of what stockd may listen on without
// TLS (config validation, Daemon::Start and --listen all use it), and of its use in the
// config file.
#include "daemon/config/listen.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace stockd::config {
namespace {

struct ListenCase {
  const char* listen;
  absl::StatusCode code;
  const char* message;  // exact; "" for OK
};

constexpr char kLoopbackOnly[] =
    "without TLS stockd listens only on loopback addresses (127.0.0.0/8, [::1]) or a unix: "
    "socket";

TEST(CheckListenAddressTest, AcceptsLoopbackAndUnixOnly) {
  const absl::StatusCode kOk = absl::StatusCode::kOk;
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  const absl::StatusCode kRefused = absl::StatusCode::kFailedPrecondition;
  const std::string not_loopback = absl::StrCat(" is not a loopback address; ", kLoopbackOnly);
  const std::vector<ListenCase> cases = {
      {"127.0.0.1:1", kOk, ""},
      {"127.1.2.3:1", kOk, ""},
      {"127.255.255.255:0", kOk, ""},
      {"[::1]:1", kOk, ""},
      {"localhost:1", kOk, ""},
      {"unix:/tmp/x", kOk, ""},
      {"0.0.0.0:1", kRefused, "0.0.0.0"},
      {"10.0.0.1:1", kRefused, "10.0.0.1"},
      {"128.0.0.1:1", kRefused, "128.0.0.1"},
      {"[::]:1", kRefused, "::"},
      {"[::ffff:127.0.0.1]:1", kRefused, "::ffff:127.0.0.1"},
      {"[fe80::1]:1", kRefused, "fe80::1"},
      {"localhost", kInvalid, "expected host:port"},
      {"127.0.0.1", kInvalid, "expected host:port"},
      {":50551", kInvalid, "expected host:port; the host is empty"},
      {"127.0.0.1:", kInvalid, "port '' must be an integer between 0 and 65535"},
      {"127.0.0.1:65536", kInvalid, "port '65536' must be an integer between 0 and 65535"},
      {"127.0.0.1:-1", kInvalid, "port '-1' must be an integer between 0 and 65535"},
      {"127.0.0.1:http", kInvalid, "port 'http' must be an integer between 0 and 65535"},
      {"::1:1", kInvalid, "an IPv6 host must be in brackets, e.g. [::1]:50551"},
      {"[::1:1", kInvalid, "expected [ipv6]:port"},
      {"[]:1", kInvalid, "expected [ipv6]:port"},
      {"[localhost]:1", kInvalid, "'localhost' in brackets is not a numeric IPv6 address"},
      {"[127.0.0.1]:1", kInvalid, "'127.0.0.1' in brackets is not a numeric IPv6 address"},
      {"unix:", kInvalid, "expected unix:/path/to/socket; the path is empty"},
      {"127.0.0.1\n:1", kInvalid, "contains a control byte"},
  };
  for (const ListenCase& c : cases) {
    absl::Status st = CheckListenAddress(c.listen);
    EXPECT_EQ(st.code(), c.code) << c.listen << ": " << st;
    std::string expected = c.message;
    if (c.code == kRefused) expected += not_loopback;
    EXPECT_EQ(st.message(), expected) << c.listen;
  }
}

TEST(CheckListenAddressTest, NamesAreResolvedAndMustBeLoopback) {
  // A host that merely starts with "127." is a DNS name: it must resolve, and to
  // loopback only (example.com subdomains resolve nowhere or to public addresses).
  absl::Status st = CheckListenAddress("127.0.0.1.example.com:1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("host '127.0.0.1.example.com' ", 0), 0u) << st;
  if (st.code() == absl::StatusCode::kInvalidArgument) {
    EXPECT_NE(st.message().find(" does not resolve ("), std::string::npos) << st;
  } else {
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
    EXPECT_NE(st.message().find(" (not loopback); "), std::string::npos) << st;
  }
  st = CheckListenAddress("no-such-host.invalid:1");  // RFC 6761: never resolves
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("host 'no-such-host.invalid' does not resolve (", 0), 0u) << st;
}

TEST(CheckListenAddressTest, ConfigRefusesAnyAddressWithItsLine) {
  stockd::testing::TempDir dir("config-test");
  const std::string path = dir.path() + "/config_limits_listen.yaml";
  {
    std::ofstream out(path);
    out << "locations: [{id: wh, type: warehouse}]\n"
           "channels: [{id: web, type: webshop, sources: [wh]}]\n"
           "server:\n"
           "  listen: \"0.0.0.0:50551\"\n";
  }
  absl::StatusOr<Config> config = LoadConfigFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            absl::StrCat(path,
                         ":4:11: server.listen: '0.0.0.0:50551': 0.0.0.0 is not a loopback "
                         "address; ",
                         kLoopbackOnly));
}

}  // namespace
}  // namespace stockd::config
