// sd_notify through SystemdNotifier (daemon/server/systemd_notify.h) against a socket the
// test binds as NOTIFY_SOCKET: the exact datagrams of each notification; without
// NOTIFY_SOCKET nothing is sent and no watchdog is reported.
#include "daemon/server/systemd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

// Sets an environment variable for the scope; restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old, had_ = true;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

class Datagrams {
 public:
  explicit Datagrams(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
  }
  ~Datagrams() { ::close(fd_); }
  // The next datagram already queued ("" when none: sd_notify has returned, so what it
  // sent is there).
  std::string Next() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
};

TEST(SystemdNotifierTest, SendsEachNotificationAsSystemdExpectsIt) {
  testing::TempDir dir{"stockd-sdn"};
  const std::string path = dir.path() + "/notify.sock";
  Datagrams socket(path);
  ScopedEnv notify("NOTIFY_SOCKET", path.c_str());
  ScopedEnv watchdog("WATCHDOG_USEC", "30000000");
  ScopedEnv watchdog_pid("WATCHDOG_PID", nullptr);

  const server::SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_usec(), 30'000'000);

  notifier.Status("loading state\nfrom redis");
  EXPECT_EQ(socket.Next(), "STATUS=loading state from redis");
  notifier.Ready("serving on 127.0.0.1:50551");
  EXPECT_EQ(socket.Next(),
            "READY=1\nSTATUS=serving on 127.0.0.1:50551\nMAINPID=" + std::to_string(::getpid()));
  notifier.Reloading("reloading /etc/stockd/stockd.yaml");
  const std::string reloading = socket.Next();
  EXPECT_TRUE(absl::StartsWith(reloading, "RELOADING=1\nMONOTONIC_USEC=")) << reloading;
  EXPECT_TRUE(absl::EndsWith(reloading, "\nSTATUS=reloading /etc/stockd/stockd.yaml")) << reloading;
  notifier.WatchdogPing();
  EXPECT_EQ(socket.Next(), "WATCHDOG=1");
  notifier.Stopping("draining");
  EXPECT_EQ(socket.Next(), "STOPPING=1\nSTATUS=draining");
  EXPECT_EQ(socket.Next(), "");
}

TEST(SystemdNotifierTest, WithoutNotifySocketNothingIsSent) {
  testing::TempDir dir{"stockd-sdn"};
  const std::string path = dir.path() + "/notify.sock";
  Datagrams socket(path);
  ScopedEnv notify("NOTIFY_SOCKET", nullptr);
  ScopedEnv watchdog("WATCHDOG_USEC", "30000000");
  const server::SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_usec(), 0);
  notifier.Ready("serving");
  notifier.WatchdogPing();
  EXPECT_EQ(socket.Next(), "");
}

TEST(SystemdNotifierTest, AWatchdogMeantForAnotherProcessIsNotOurs) {
  testing::TempDir dir{"stockd-sdn"};
  const std::string path = dir.path() + "/notify.sock";
  Datagrams socket(path);
  ScopedEnv notify("NOTIFY_SOCKET", path.c_str());
  ScopedEnv watchdog("WATCHDOG_USEC", "30000000");
  ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str());
  const server::SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_usec(), 0);
}

}  // namespace
}  // namespace stockd
