// systemd/stockd.service: systemd-analyze verify accepts it — honestly, on a copy whose
// ExecStart= and friends name this build's stockd (verify refuses a command that does not
// exist) — with not one warning; it is Type=notify with a watchdog, and it keeps every
// hardening option.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `command` through sh; its stdout and stderr, and its exit code.
std::string RunShell(const std::string& command, int* code) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

const std::string& Unit() {
  static const std::string* unit =
      new std::string(ReadFile(std::string(STOCKD_SOURCE_DIR) + "/systemd/stockd.service"));
  return *unit;
}

TEST(UnitFileTest, TypeNotifyWithAWatchdogAndEveryHardeningOption) {
  const std::string& unit = Unit();
  ASSERT_FALSE(unit.empty());
  for (const char* line : {"Type=notify\n",
                           "NotifyAccess=main\n",
                           "WatchdogSec=30s\n",
                           "ExecStart=/usr/sbin/stockd --config /etc/stockd/stockd.yaml\n",
                           "ExecReload=/bin/kill -HUP $MAINPID\n",
                           "KillMode=mixed\n",
                           "User=stockd\n",
                           "Group=stockd\n",
                           "StateDirectory=stockd\n",
                           "StateDirectoryMode=0700\n",
                           "NoNewPrivileges=yes\n",
                           "ProtectSystem=strict\n",
                           "ProtectHome=yes\n",
                           "PrivateTmp=yes\n",
                           "PrivateDevices=yes\n",
                           "ProtectKernelTunables=yes\n",
                           "ProtectKernelModules=yes\n",
                           "ProtectControlGroups=yes\n",
                           "RestrictNamespaces=yes\n",
                           "RestrictRealtime=yes\n",
                           "RestrictSUIDSGID=yes\n",
                           "RemoveIPC=yes\n",
                           "LockPersonality=yes\n",
                           "MemoryDenyWriteExecute=yes\n",
                           "CapabilityBoundingSet=\n",
                           "AmbientCapabilities=\n",
                           "SystemCallArchitectures=native\n",
                           "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"}) {
    EXPECT_TRUE(absl::StrContains(unit, std::string("\n") + line)) << "missing: " << line;
  }
  EXPECT_FALSE(absl::StrContains(unit, "Type=simple"));
}

TEST(UnitFileTest, SystemdAnalyzeVerifyAcceptsIt) {
  int code = 0;
  RunShell("command -v systemd-analyze", &code);
  if (code != 0) GTEST_SKIP() << "systemd-analyze is not installed (CI has it: Debian 12)";
  const std::string binary = std::string(STOCKD_BINARY_DIR) + "/stockd";
  ASSERT_EQ(::access(binary.c_str(), X_OK), 0) << binary << " is not built";
  testing::TempDir dir{"stockd-unit"};
  const std::string copy = dir.path() + "/stockd.service";
  std::ofstream(copy) << absl::StrReplaceAll(Unit(), {{"/usr/sbin/stockd", binary}});
  const std::string out = RunShell("systemd-analyze verify " + copy, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << "verify warned";

  // And it does refuse: a command that does not exist.
  std::ofstream(copy) << absl::StrReplaceAll(Unit(), {{"/usr/sbin/stockd", dir.path() + "/none"}});
  const std::string refused = RunShell("systemd-analyze verify " + copy, &code);
  EXPECT_NE(code, 0);
  EXPECT_TRUE(absl::StrContains(refused, "is not executable")) << refused;
}

}  // namespace
}  // namespace stockd
