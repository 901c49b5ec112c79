// Test helpers for an external Redis with AUTH and TLS, as managed Redis offers it:
//   TestPki       throwaway certificates made with the openssl CLI in a directory: a CA, a
//                 server certificate (localhost, 127.0.0.1) and a client certificate it
//                 signed, and a second CA that signed neither;
//   ExternalRedis a plain redis-server (not supervised) on 127.0.0.1:<free port>, TLS-only
//                 or plain TCP, with optional requirepass and client-certificate
//                 checking, in a temp directory removed afterwards. Redis cannot bind
//                 port 0 and report it, so a free port is picked by binding port 0 on a
//                 probe socket, and the start is retried on another port if redis-server
//                 loses the race ("Address already in use" in its log).
//   WritePasswordFile  a password file with the given mode.
//
// Only the child it started is signalled, by pid. Thread safety: driven by the test thread.
#ifndef STOCKD_TESTS_SUPPORT_REDIS_TLS_FIXTURE_H_
#define STOCKD_TESTS_SUPPORT_REDIS_TLS_FIXTURE_H_

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace stockd::testing {

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `content` to `path` and chmods it to `mode`. False on failure.
inline bool WritePasswordFile(const std::string& path, const std::string& content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << content;
    if (!out) return false;
  }
  return ::chmod(path.c_str(), mode) == 0;
}

class TestPki {
 public:
  // Generates everything into `dir`. ok() tells whether openssl succeeded.
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string quiet = " >>" + Path("openssl.log") + " 2>&1";
    std::ofstream(Path("server.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                      << "extendedKeyUsage=serverAuth\n";
    std::ofstream(Path("client.ext")) << "extendedKeyUsage=clientAuth\n";
    const std::vector<std::string> commands = {
        absl::StrCat("openssl req -x509 ", ec, " -days 2 -subj /CN=stockd-test-ca -keyout ",
                     Path("ca.key"), " -out ", ca_file()),
        absl::StrCat("openssl req -x509 ", ec, " -days 2 -subj /CN=stockd-other-ca -keyout ",
                     Path("other-ca.key"), " -out ", other_ca_file()),
        Sign("server", "localhost"),
        Sign("client", "stockd-test-client"),
        // For the TLS matrix: a client certificate that expired yesterday, and one signed
        // by the other CA.
        Sign("expired-client", "stockd-expired-client", "ca", "-1"),
        Sign("foreign-client", "stockd-foreign-client", "other-ca", "2"),
    };
    for (const std::string& command : commands) {
      if (std::system(("(" + command + ")" + quiet).c_str()) != 0) {
        ADD_FAILURE() << "TestPki: failed: " << command << "\n"
                      << ReadTextFile(Path("openssl.log"));
        return;
      }
    }
    ok_ = true;
  }

  bool ok() const { return ok_; }
  std::string ca_file() const { return Path("ca.pem"); }
  std::string other_ca_file() const { return Path("other-ca.pem"); }
  std::string server_cert() const { return Path("server.pem"); }
  std::string server_key() const { return Path("server.key"); }
  std::string client_cert() const { return Path("client.pem"); }
  std::string client_key() const { return Path("client.key"); }
  std::string expired_client_cert() const { return Path("expired-client.pem"); }
  std::string expired_client_key() const { return Path("expired-client.key"); }
  std::string foreign_client_cert() const { return Path("foreign-client.pem"); }
  std::string foreign_client_key() const { return Path("foreign-client.key"); }
  // A new certificate and key for the server (same names, same CA, a new serial): the
  // certificate-rotation test writes them over server.pem/server.key.
  bool Renew(const std::string& name, const std::string& cn) const {
    return std::system(("(" + Sign(name, cn) + ") >>" + Path("openssl.log") + " 2>&1").c_str()) ==
           0;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  // A key and a certificate for `name`, signed by <ca>.pem for `days` days (negative:
  // already expired) with <name>.ext's extensions (client.ext when there is none).
  std::string Sign(const std::string& name, const std::string& cn, const std::string& ca = "ca",
                   const std::string& days = "2") const {
    const std::string ext = name.rfind("server", 0) == 0 ? "server.ext" : "client.ext";
    return absl::StrCat(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -subj /CN=",
        cn, " -keyout ", Path(name + ".key"), " -out ", Path(name + ".csr"),
        " && openssl x509 -req -days ", days, " -in ", Path(name + ".csr"), " -CA ",
        Path(ca + ".pem"), " -CAkey ", Path(ca + ".key"), " -CAcreateserial -extfile ",
        Path(ext), " -out ", Path(name + ".pem"));
  }

  std::string dir_;
  bool ok_ = false;
};

struct ExternalRedisOptions {
  const TestPki* pki = nullptr;      // null = plain TCP; else TLS only (no plain port)
  bool require_client_cert = false;  // --tls-auth-clients yes
  std::string requirepass;           // "" = no password
};

class ExternalRedis {
 public:
  explicit ExternalRedis(ExternalRedisOptions options) : options_(std::move(options)) {
    for (int attempt = 0; attempt < 5 && pid_ == 0; ++attempt) {
      port_ = FreePort();
      if (port_ == 0) break;
      Start();
    }
    if (pid_ == 0) ADD_FAILURE() << "ExternalRedis did not start:\n" << ReadTextFile(LogPath());
  }
  ~ExternalRedis() { Stop(); }
  ExternalRedis(const ExternalRedis&) = delete;
  ExternalRedis& operator=(const ExternalRedis&) = delete;

  bool ok() const { return pid_ != 0; }
  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::string dir() const { return dir_.path(); }

  // SIGTERM, then SIGKILL after 5 s; reaps the child.
  void Stop() {
    if (pid_ == 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = 0;
  }

 private:
  std::string LogPath() const { return dir_.path() + "/redis.log"; }

  // A port that was free a moment ago (bound to port 0, then released).
  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

  // Spawns redis-server on port_ and waits (10 s) for "Ready to accept connections".
  void Start() {
    std::remove(LogPath().c_str());
    std::vector<std::string> args = {
        "redis-server", "--bind", "127.0.0.1",    "--dir", dir_.path(),   "--logfile", LogPath(),
        "--save",       "",       "--appendonly", "yes",   "--daemonize", "no"};
    const std::string port = std::to_string(port_);
    if (options_.pki == nullptr) {
      args.insert(args.end(), {"--port", port});
    } else {
      args.insert(args.end(),
                  {"--port", "0", "--tls-port", port, "--tls-cert-file",
                   options_.pki->server_cert(), "--tls-key-file", options_.pki->server_key(),
                   "--tls-ca-cert-file", options_.pki->ca_file(), "--tls-auth-clients",
                   options_.require_client_cert ? "yes" : "no"});
    }
    if (!options_.requirepass.empty())
      args.insert(args.end(), {"--requirepass", options_.requirepass});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    if (child < 0) return;
    if (child == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test binary
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(child, nullptr, WNOHANG) == child) return;  // exited: port taken?
      if (ReadTextFile(LogPath()).find("Ready to accept connections") != std::string::npos) {
        pid_ = child;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }

  const ExternalRedisOptions options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_REDIS_TLS_FIXTURE_H_
