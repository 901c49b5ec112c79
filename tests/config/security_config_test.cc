// server.tls, clients[] and the listener rule (docs/security.md): what is accepted, and
// every refusal with its file:line.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/config/listen.h"
#include "tests/config/config_test_support.h"
#include "tests/support/redis_tls_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd::config {
namespace {

const std::string kHash(64, 'a');
const std::string kHash2(64, 'b');

class SecurityConfigTest : public ::testing::Test {
 protected:
  // server.tls with the test PKI's server certificate (lines 10..12 after kBase).
  std::string Tls(const std::string& extra = "") const {
    return absl::StrCat("server:\n  listen: \"0.0.0.0:50551\"\n  tls: {cert_file: \"",
                        pki_.server_cert(), "\", key_file: \"", pki_.server_key(), "\"", extra,
                        "}\n");
  }
  stockd::testing::TempDir dir_{"security-config"};
  stockd::testing::TestPki pki_{dir_.path()};
};

TEST_F(SecurityConfigTest, TlsAndClientsOpenTheListener) {
  ASSERT_TRUE(pki_.ok());
  absl::StatusOr<Config> config = ParseConfig(
      Base(Tls(absl::StrCat(", client_ca_file: \"", pki_.ca_file(), "\"")) +
           "clients:\n"
           "  - {name: shop, token_sha256: \"" + std::string(64, 'A') +
           "\", roles: [read, sell], channels: [web]}\n"
           "  - {name: till, certificate: till-1.example, roles: [operate]}\n"
           "  - {name: ops, token_sha256: \"" + kHash2 + "\", roles: [admin], channels: [\"*\"]}\n"),
      "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->server.tls.has_value());
  EXPECT_EQ(config->server.tls->client_ca_file, pki_.ca_file());
  EXPECT_TRUE(config->server.tls->require_client_cert);
  EXPECT_EQ(config->server.tls->refresh_interval_ms, 10'000);
  ASSERT_EQ(config->clients.size(), 3u);
  EXPECT_EQ(config->clients[0].token_sha256, kHash);  // lower-cased
  EXPECT_EQ(config->clients[0].role, Role::kSell);    // the highest listed
  EXPECT_EQ(config->clients[0].channels, std::vector<std::string>{"web"});
  EXPECT_EQ(config->clients[1].certificate, "till-1.example");
  EXPECT_TRUE(config->clients[1].channels.empty());  // every channel
  EXPECT_TRUE(config->clients[2].channels.empty());
  EXPECT_EQ(config->clients[0].origin, "t.yaml:14");
  EXPECT_TRUE(CheckListenSecurity("0.0.0.0:50551", config->SecuritySlice()).ok());
}

TEST_F(SecurityConfigTest, TheListenerRule) {
  ASSERT_TRUE(pki_.ok());
  const std::string client =
      "clients:\n  - {name: a, token_sha256: \"" + kHash + "\", roles: [read]}\n";
  // No TLS: loopback only (the message of listen_test), clients or not.
  EXPECT_TRUE(Contains(ErrorOf(Base("server: {listen: \"0.0.0.0:1\"}\n" + client)),
                       "test.yaml:10:18: server.listen: '0.0.0.0:1': 0.0.0.0 is not a loopback "
                       "address; without TLS"));
  // TLS without clients: refused.
  EXPECT_EQ(ErrorOf(Base(Tls())),
            "test.yaml:11:11: server.listen: '0.0.0.0:50551': is not a loopback address: a "
            "listener other machines can reach needs authentication as well as TLS; list the "
            "callers under clients (docs/security.md)");
  // Loopback without clients: authentication off, accepted.
  absl::StatusOr<Config> off = ParseConfig(Base("server: {listen: \"127.0.0.1:1\"}\n"), "t");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->SecuritySlice().auth());
}

TEST_F(SecurityConfigTest, BadTlsFilesAreConfigErrors) {
  ASSERT_TRUE(pki_.ok());
  const std::string client =
      "clients:\n  - {name: a, token_sha256: \"" + kHash + "\", roles: [read]}\n";
  // The key of another certificate.
  std::string wrong_key = absl::StrCat(
      "server:\n  listen: \"127.0.0.1:1\"\n  tls: {cert_file: \"", pki_.server_cert(),
      "\", key_file: \"", pki_.client_key(), "\"}\n");
  EXPECT_TRUE(Contains(ErrorOf(Base(wrong_key + client)), "does not belong to the certificate"));
  // An expired certificate.
  std::string expired = absl::StrCat(
      "server:\n  listen: \"127.0.0.1:1\"\n  tls: {cert_file: \"", pki_.expired_client_cert(),
      "\", key_file: \"", pki_.expired_client_key(), "\"}\n");
  EXPECT_TRUE(Contains(ErrorOf(Base(expired + client)), "expired at"));
  // A missing file, and a CA file that holds no certificate.
  std::string missing = absl::StrCat(
      "server:\n  listen: \"127.0.0.1:1\"\n  tls: {cert_file: \"/nonexistent.pem\", key_file: \"",
      pki_.server_key(), "\", client_ca_file: \"", pki_.server_key(), "\"}\n");
  const std::string error = ErrorOf(Base(missing + client));
  EXPECT_TRUE(Contains(error, "test.yaml:12:20: server.tls.cert_file: cannot read "
                              "'/nonexistent.pem': No such file or directory"))
      << error;
  EXPECT_TRUE(Contains(error, "server.tls.client_ca_file: '" + pki_.server_key() +
                                  "' holds no PEM certificate"));
  // client_certificate without a CA; an unknown mode.
  EXPECT_TRUE(Contains(ErrorOf(Base(Tls(", client_certificate: request") + client)),
                       "server.tls.client_certificate: needs server.tls.client_ca_file"));
  EXPECT_TRUE(Contains(
      ErrorOf(Base(Tls(absl::StrCat(", client_ca_file: \"", pki_.ca_file(),
                                    "\", client_certificate: maybe")) +
                   client)),
      "server.tls.client_certificate: 'maybe': expected require or request"));
}

TEST_F(SecurityConfigTest, BadClientsAreConfigErrors) {
  auto error_of = [](const std::string& clients) {
    return ErrorOf(Base("clients:\n" + clients));
  };
  EXPECT_EQ(error_of("  - {name: a, token_sha256: \"abc\", roles: [read]}\n"),
            "test.yaml:11:29: clients[0].token_sha256: 'abc': expected the token's SHA-256 as "
            "64 hex digits (stockctl token new NAME prints it); never the token itself");
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash +
                                "\", roles: [reader]}\n"),
                       "clients[0].roles[0]: 'reader': expected read, sell, operate or admin"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash +
                                "\", roles: [read], channels: [amazon]}\n"),
                       "clients[0].channels[0]: unknown channel 'amazon'"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, roles: [read]}\n"),
                       "clients[0]: needs token_sha256 or certificate"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash + "\", roles: [read]}\n"
                                "  - {name: a, token_sha256: \"" + kHash2 + "\", roles: [read]}\n"),
                       "clients[1].name: the name 'a' is already clients[0]'s"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash + "\", roles: [read]}\n"
                                "  - {name: b, token_sha256: \"" + kHash + "\", roles: [read]}\n"),
                       "clients[1].token_sha256: this token hash is already clients[0]'s"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, certificate: till, roles: [read]}\n"),
                       "clients[0].certificate: needs server.tls.client_ca_file"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash +
                                "\", roles: [read], channels: [\"*\", web]}\n"),
                       "clients[0].channels: \"*\" (every channel) stands alone"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash + "\", roles: []}\n"),
                       "clients[0].roles: must list at least one role"));
  EXPECT_TRUE(Contains(error_of("  - {name: a, token_sha256: \"" + kHash + "\"}\n"),
                       "clients[0].roles: required key is missing"));
}

}  // namespace
}  // namespace stockd::config
