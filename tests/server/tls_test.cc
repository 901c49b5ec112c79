// TLS on the gRPC listener (docs/security.md, "TLS and mTLS"), with real handshakes:
// with client certificates required, no certificate, one from another CA and an expired
// one fail the handshake and the right one passes; plaintext to the TLS port fails; a
// renewed server certificate is served to new connections while an open one keeps
// working.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/config/config.h"
#include "daemon/server/auth.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/redis_tls_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using grpc::StatusCode;

constexpr char kConfig[] = R"yaml(
server:
  listen: "127.0.0.1:0"
  tls: {cert_file: "$DIR/server.pem", key_file: "$DIR/server.key",
        client_ca_file: "$DIR/ca.pem", client_certificate: require, refresh_interval: 1s}
redis:
  mode: memory
locations:
  - {id: wh, type: warehouse}
channels:
  - {id: webshop, type: webshop, sources: [wh]}
clients:
  - {name: till, certificate: stockd-test-client, roles: [read]}
  - {name: expired, certificate: stockd-expired-client, roles: [read]}
  - {name: foreign, certificate: stockd-foreign-client, roles: [read]}
)yaml";

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    absl::StatusOr<config::Config> config =
        config::ParseConfig(absl::StrReplaceAll(kConfig, {{"$DIR", dir_.path()}}), "tls.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  std::string Target() const { return absl::StrCat("localhost:", daemon_->port()); }

  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& cert, const std::string& key) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadTextFile(pki_.ca_file());
    if (!cert.empty()) {
      ssl.pem_cert_chain = testing::ReadTextFile(cert);
      ssl.pem_private_key = testing::ReadTextFile(key);
    }
    return grpc::CreateChannel(Target(), grpc::SslCredentials(ssl));
  }

  // GetConfigSummary over `channel`; the server's certificate (PEM) in `*server_pem`.
  static grpc::Status Summary(const std::shared_ptr<grpc::Channel>& channel,
                              std::string* server_pem = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetConfigSummaryRequest req;
    v1::ConfigSummary resp;
    grpc::Status st = v1::Stock::NewStub(channel)->GetConfigSummary(&ctx, req, &resp);
    if (server_pem != nullptr && ctx.auth_context() != nullptr) {
      for (const grpc::string_ref& pem : ctx.auth_context()->FindPropertyValues("x509_pem_cert")) {
        *server_pem = std::string(pem.data(), pem.size());
      }
    }
    return st;
  }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.path()};
  std::unique_ptr<server::Daemon> daemon_;
};

TEST_F(TlsTest, ClientCertificateMatrix) {
  EXPECT_EQ(Summary(TlsChannel(pki_.client_cert(), pki_.client_key())).error_code(),
            StatusCode::OK);
  // The handshake fails: the client sees UNAVAILABLE.
  EXPECT_EQ(Summary(TlsChannel("", "")).error_code(), StatusCode::UNAVAILABLE) << "no cert";
  EXPECT_EQ(Summary(TlsChannel(pki_.foreign_client_cert(), pki_.foreign_client_key()))
                .error_code(),
            StatusCode::UNAVAILABLE)
      << "a certificate from another CA";
  EXPECT_EQ(Summary(TlsChannel(pki_.expired_client_cert(), pki_.expired_client_key()))
                .error_code(),
            StatusCode::UNAVAILABLE)
      << "an expired certificate";
  EXPECT_EQ(Summary(grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials()))
                .error_code(),
            StatusCode::UNAVAILABLE)
      << "plaintext to the TLS port";
}

TEST_F(TlsTest, ARenewedCertificateIsServedWithoutDroppingOpenConnections) {
  std::shared_ptr<grpc::Channel> open = TlsChannel(pki_.client_cert(), pki_.client_key());
  std::string first;
  ASSERT_TRUE(Summary(open, &first).ok());
  ASSERT_FALSE(first.empty());
  // Write the renewed pair beside the old one, then rename both into place.
  ASSERT_TRUE(pki_.Renew("server-next", "localhost"));
  std::filesystem::rename(pki_.Path("server-next.key"), pki_.Path("server.key"));
  std::filesystem::rename(pki_.Path("server-next.pem"), pki_.Path("server.pem"));
  std::string served = first;
  for (int i = 0; i < 100 && served == first; ++i) {  // refresh_interval is 1 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(Summary(TlsChannel(pki_.client_cert(), pki_.client_key()), &served).ok());
  }
  EXPECT_NE(served, first) << "new connections get the renewed certificate";
  std::string still;
  EXPECT_TRUE(Summary(open, &still).ok()) << "the open connection keeps working";
  EXPECT_EQ(still, first) << "on its original handshake";
}

}  // namespace
}  // namespace stockd
