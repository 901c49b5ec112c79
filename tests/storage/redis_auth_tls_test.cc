// External Redis with AUTH (password from a file) and TLS (stockd's own transport over
// OpenSSL), against real redis-servers started by the test with throwaway certificates:
// what is accepted, what is refused and how (status code, message naming the address and
// never the password), no hang on a peer that does not speak TLS, and the durable store
// over TLS+AUTH across a reconnect. Also the config checks of redis.username,
// redis.password_file and redis.tls (file:line, key path).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/push/ack_store.h"
#include "daemon/storage/durable_store.h"
#include "daemon/storage/redis_client.h"
#include "tests/support/redis_tls_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using storage::RedisConnection;
using storage::RedisSecurity;
using storage::RedisTlsOptions;
using storage::Reply;
using testing::ExternalRedis;
using testing::ExternalRedisOptions;
using testing::TempDir;
using testing::TestPki;
using testing::WritePasswordFile;

constexpr char kPassword[] = "s3cret-Pa55word";
constexpr char kWrongPassword[] = "not-the-Pa55word";

::testing::AssertionResult Contains(absl::string_view text, absl::string_view part) {
  if (text.find(part) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// SET then GET of `value` on one connection; the GET's reply.
std::string SetGet(RedisConnection& redis, const std::string& key, const std::string& value) {
  absl::StatusOr<Reply> set = redis.Command({"SET", key, value});
  if (!set.ok()) return std::string(set.status().message());
  if (set->is_error()) return set->str;
  absl::StatusOr<Reply> get = redis.Command({"GET", key});
  if (!get.ok()) return std::string(get.status().message());
  return get->str;
}

class RedisAuthTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    pki_ = new TestPki(dir_->path());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(pki_->ok());
    ASSERT_TRUE(WritePasswordFile(PasswordFile(), std::string(kPassword) + "\n", 0600));
  }

  static std::string PasswordFile() { return dir_->path() + "/redis.pass"; }
  static RedisTlsOptions Tls(std::string server_name = "") {
    return RedisTlsOptions{pki_->ca_file(), "", "", std::move(server_name)};
  }
  static RedisSecurity Auth() { return RedisSecurity{"", PasswordFile(), std::nullopt}; }

  static TempDir* dir_;
  static TestPki* pki_;
};

TempDir* RedisAuthTlsTest::dir_ = nullptr;
TestPki* RedisAuthTlsTest::pki_ = nullptr;

// ---------------------------------------------------------------- AUTH

TEST_F(RedisAuthTlsTest, PasswordFromFileAuthenticatesBeforeAnyCommand) {
  ExternalRedis redis({.requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  // The file ends with a newline, which is not part of the password.
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000, Auth());
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(SetGet(**conn, "k", "v"), "v");
}

TEST_F(RedisAuthTlsTest, UsernameAuthenticatesAsThatAclUser) {
  ExternalRedis redis({.requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> admin =
      RedisConnection::Connect(redis.address(), 1000, Auth());
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::StatusOr<Reply> created =
      (*admin)->Command({"ACL", "SETUSER", "stockd", "on", ">stockd-Pa55", "~*", "&*", "+@all"});
  ASSERT_TRUE(created.ok() && !created->is_error());
  const std::string user_file = dir_->path() + "/stockd-user.pass";
  ASSERT_TRUE(WritePasswordFile(user_file, "stockd-Pa55\r\n", 0400));

  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000, {"stockd", user_file, std::nullopt});
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<Reply> whoami = (*conn)->Command({"ACL", "WHOAMI"});
  ASSERT_TRUE(whoami.ok());
  EXPECT_EQ(whoami->str, "stockd");

  // The right password for another user is refused, naming the user.
  absl::StatusOr<std::unique_ptr<RedisConnection>> other =
      RedisConnection::Connect(redis.address(), 1000, {"nobody", user_file, std::nullopt});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(other.status().message(), "refused AUTH as user 'nobody'"));
  EXPECT_FALSE(Contains(other.status().message(), "stockd-Pa55"));
}

TEST_F(RedisAuthTlsTest, WrongPasswordIsFailedPreconditionWithoutTheSecret) {
  ExternalRedis redis({.requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  const std::string wrong = dir_->path() + "/wrong.pass";
  ASSERT_TRUE(WritePasswordFile(wrong, kWrongPassword, 0600));
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000, {"", wrong, std::nullopt});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis at '", redis.address(),
                         "' refused AUTH as the default user with the password from "
                         "redis.password_file: WRONGPASS invalid username-password pair or "
                         "user is disabled."));
  EXPECT_FALSE(Contains(conn.status().message(), kWrongPassword));
  EXPECT_FALSE(Contains(conn.status().message(), kPassword));
}

TEST_F(RedisAuthTlsTest, NoPasswordAgainstRequirepassIsAClearNoauthError) {
  ExternalRedis redis({.requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis at '", redis.address(),
                         "' requires authentication (NOAUTH Authentication required.); set "
                         "redis.password_file (and redis.username for an ACL user)"));
}

TEST_F(RedisAuthTlsTest, PasswordFileOthersMayReadIsRefusedAtConnect) {
  ExternalRedis redis({.requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE(WritePasswordFile(PasswordFile(), kPassword, 0644));
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000, Auth());
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis.password_file: '", PasswordFile(),
                         "' has mode 0644: group/others may access it; chmod 600 it"));
}

// ---------------------------------------------------------------- TLS

TEST_F(RedisAuthTlsTest, TlsRoundTripAndPipeline) {
  ExternalRedis redis({.pki = pki_});
  ASSERT_TRUE(redis.ok());
  // 127.0.0.1 is checked against the certificate's IP SAN.
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", "", Tls()});
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(SetGet(**conn, "k", "over tls"), "over tls");

  // A pipeline larger than one TLS record and one read: 2 MiB of values, one round trip.
  std::vector<storage::Args> commands;
  const std::string big(1 << 20, 'x');
  commands.push_back({"SET", "big", big});
  for (int i = 0; i < 500; ++i) commands.push_back({"INCR", "counter"});
  commands.push_back({"GET", "big"});
  commands.push_back({"NOSUCHCOMMAND"});
  absl::StatusOr<std::vector<Reply>> replies = (*conn)->Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 503u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_EQ((*replies)[500].integer, 500);
  EXPECT_EQ((*replies)[501].str, big);
  EXPECT_TRUE((*replies)[502].is_error());  // an error reply, not a broken connection
  EXPECT_TRUE((*conn)->ok());

  // A DNS name is checked against the DNS SAN (and sent as SNI).
  absl::StatusOr<std::unique_ptr<RedisConnection>> by_name =
      RedisConnection::Connect(absl::StrCat("localhost:", redis.port()), 2000, {"", "", Tls()});
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(SetGet(**by_name, "k2", "by name"), "by name");
}

TEST_F(RedisAuthTlsTest, TlsWithAuthAndServerName) {
  ExternalRedis redis({.pki = pki_, .requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", PasswordFile(), Tls("localhost")});
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(SetGet(**conn, "k", "v"), "v");

  absl::StatusOr<std::unique_ptr<RedisConnection>> anonymous =
      RedisConnection::Connect(redis.address(), 2000, {"", "", Tls()});
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(anonymous.status().message(), "NOAUTH"));
}

TEST_F(RedisAuthTlsTest, ServerCertificateFromAnotherCaIsRefused) {
  // (redis-server sends its CA along with its certificate: a chain that ends in a
  // self-signed root this client does not trust.)
  ExternalRedis redis({.pki = pki_});
  ASSERT_TRUE(redis.ok());
  RedisTlsOptions tls = Tls();
  tls.ca_file = pki_->other_ca_file();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", "", tls});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis at '", redis.address(),
                         "': TLS: the server's certificate was refused (expected name "
                         "'127.0.0.1'): self-signed certificate in certificate chain"));
}

TEST_F(RedisAuthTlsTest, WrongServerNameIsRefused) {
  ExternalRedis redis({.pki = pki_});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", "", Tls("redis.example.com")});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis at '", redis.address(),
                         "': TLS: the server's certificate was refused (expected name "
                         "'redis.example.com'): hostname mismatch"));
}

TEST_F(RedisAuthTlsTest, MutualTlsWithoutClientCertificateIsRefused) {
  ExternalRedis redis({.pki = pki_, .require_client_cert = true});
  ASSERT_TRUE(redis.ok());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", "", Tls()});
  ASSERT_FALSE(conn.ok());
  EXPECT_LT(MsSince(start), 2000);  // refused, not timed out
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(conn.status().message(), absl::StrCat("redis at '", redis.address())));
  // TLS 1.3: the refusal comes after the handshake, as an alert or a reset, whichever
  // the client sees first; the message says what is missing either way.
  EXPECT_TRUE(Contains(conn.status().message(),
                       "(the server asked for a client certificate and none is configured: set "
                       "redis.tls.cert_file and redis.tls.key_file if it requires one)"));
}

TEST_F(RedisAuthTlsTest, MutualTlsWithClientCertificateWorks) {
  ExternalRedis redis({.pki = pki_, .require_client_cert = true});
  ASSERT_TRUE(redis.ok());
  RedisTlsOptions tls = Tls();
  tls.cert_file = pki_->client_cert();
  tls.key_file = pki_->client_key();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 2000, {"", "", tls});
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(SetGet(**conn, "k", "mtls"), "mtls");
}

TEST_F(RedisAuthTlsTest, PlaintextClientToTlsPortFailsWithinTheTimeout) {
  ExternalRedis redis({.pki = pki_});
  ASSERT_TRUE(redis.ok());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 500);
  ASSERT_FALSE(conn.ok());
  EXPECT_LT(MsSince(start), 1500);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(conn.status().message(), absl::StrCat("redis at '", redis.address())));
}

TEST_F(RedisAuthTlsTest, TlsClientToPlainPortFails) {
  ExternalRedis redis({});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 500, {"", "", Tls()});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(conn.status().message(),
                       absl::StrCat("redis at '", redis.address(), "': TLS handshake failed: ")));
}

TEST_F(RedisAuthTlsTest, SilentPeerTimesOutTheTlsHandshake) {
  // A listening socket nobody accepts from: TCP connects, the handshake gets no answer.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(address, 300, {"", "", Tls()});
  const int64_t elapsed = MsSince(start);
  ::close(fd);
  ASSERT_FALSE(conn.ok());
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1500);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(conn.status().message()),
            absl::StrCat("redis at '", address, "': TLS handshake failed: timed out"));
}

TEST_F(RedisAuthTlsTest, TransportErrorBreaksTheTlsConnection) {
  ExternalRedis redis({.pki = pki_});
  ASSERT_TRUE(redis.ok());
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(redis.address(), 1000, {"", "", Tls()});
  ASSERT_TRUE(conn.ok()) << conn.status();
  redis.Stop();
  absl::StatusOr<Reply> reply = (*conn)->Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(reply.status().message(), absl::StrCat("redis at '", redis.address())));
  EXPECT_FALSE((*conn)->ok());
  absl::StatusOr<Reply> again = (*conn)->Command({"PING"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(again.status().message()),
            absl::StrCat("redis at '", redis.address(), "': broken"));
}

TEST_F(RedisAuthTlsTest, TlsNeedsHostAndPort) {
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect("unix:/tmp/nonexistent.sock", 500, {"", "", Tls()});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(conn.status().message()),
            "redis address 'unix:/tmp/nonexistent.sock': TLS needs host:port; a unix socket has "
            "no TLS");
}

// ---------------------------------------------------------------- end to end

// The daemon's durable store (journal + loader) and the push engine's ack store on a
// Redis that wants TLS, a client certificate and a password; the journal's connection is
// killed, so the re-sync reconnects (and re-AUTHenticates) before writes resume.
TEST_F(RedisAuthTlsTest, DurableStoreOverTlsAndAuthSurvivesReconnectAndReload) {
  ExternalRedis redis({.pki = pki_, .require_client_cert = true, .requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  RedisTlsOptions tls = Tls();
  tls.cert_file = pki_->client_cert();
  tls.key_file = pki_->client_key();
  const RedisSecurity security{"", PasswordFile(), tls};
  const engine::Model model = testing::ModelBuilder()
                                  .Location("wh")
                                  .Channel("web", engine::ChannelType::kWebshop, {"wh"})
                                  .Build();
  auto open = [&](std::unique_ptr<storage::DurableStore>* store,
                  std::unique_ptr<engine::Engine>* engine) {
    storage::DurableStoreOptions so;
    so.address = redis.address();
    so.timeout_ms = 1000;
    so.security = security;
    absl::StatusOr<std::unique_ptr<storage::DurableStore>> s = storage::DurableStore::Open(so);
    ASSERT_TRUE(s.ok()) << s.status();
    *store = std::move(*s);
    engine::EngineOptions options;
    options.journal = (*store)->journal();
    absl::StatusOr<std::unique_ptr<engine::Engine>> e = engine::Engine::Create(model, options);
    ASSERT_TRUE(e.ok()) << e.status();
    *engine = std::move(*e);
    ASSERT_TRUE((*store)->Attach(engine->get()).ok());
  };
  auto count = [](int64_t on_hand, const std::string& rid) {
    return engine::Command{{rid, "test"},
                           engine::CountCmd{"wh", "SKU-T", on_hand, std::nullopt, ""}};
  };

  std::unique_ptr<storage::DurableStore> store;
  std::unique_ptr<engine::Engine> engine;
  ASSERT_NO_FATAL_FAILURE(open(&store, &engine));
  absl::StatusOr<engine::Outcome> first = engine->ExecuteAndWait(count(7, "count-1"));
  ASSERT_TRUE(first.ok()) << first.status();

  // Drop every other client (the journal's connection among them).
  absl::StatusOr<std::unique_ptr<RedisConnection>> admin =
      RedisConnection::Connect(redis.address(), 1000, security);
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::StatusOr<Reply> killed = (*admin)->Command({"CLIENT", "KILL", "TYPE", "normal"});
  ASSERT_TRUE(killed.ok() && killed->type == Reply::Type::kInteger);
  ASSERT_GE(killed->integer, 1);

  // Writes fail with UNAVAILABLE until the store has reconnected over TLS+AUTH.
  int acked = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; acked == 0 && MsSince(start) < 8000; ++i) {
    absl::StatusOr<engine::Outcome> r = engine->ExecuteAndWait(count(9, absl::StrCat("c2-", i)));
    if (r.ok()) {
      ++acked;
    } else {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_EQ(acked, 1) << "writes did not come back after the reconnect";
  EXPECT_GE(store->recoveries(), 1);

  push::RedisAckStore acks(redis.address(), 1000, "stockd", security);
  ASSERT_TRUE(acks.Save("web", {{"SKU-T", 9}}).ok());
  store->Stop();
  engine.reset();
  store.reset();

  // A restarted daemon loads what was acknowledged.
  ASSERT_NO_FATAL_FAILURE(open(&store, &engine));
  absl::StatusOr<std::vector<engine::RowView>> rows = engine->GetStock("SKU-T", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].counters.on_hand, 9);
  absl::StatusOr<push::AckMap> loaded =
      push::RedisAckStore(redis.address(), 1000, "stockd", security).LoadAll();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->at("web").at("SKU-T"), 9);
  store->Stop();
}

// The password is rotated on the server: the re-sync is refused (logged once, writes
// stay UNAVAILABLE) until the password file has the new password, then it reconnects
// with it without a restart.
TEST_F(RedisAuthTlsTest, ResyncRereadsARotatedPasswordFile) {
  ExternalRedis redis({.pki = pki_, .requirepass = kPassword});
  ASSERT_TRUE(redis.ok());
  const RedisSecurity security{"", PasswordFile(), Tls()};
  std::mutex logs_mu;
  std::vector<std::string> logs;
  storage::DurableStoreOptions so;
  so.address = redis.address();
  so.timeout_ms = 1000;
  so.security = security;
  so.log = [&](log::Level level, const std::string& msg) {
    std::lock_guard<std::mutex> lock(logs_mu);
    logs.push_back(std::string(log::LevelName(level)) + ": " + msg);
  };
  absl::StatusOr<std::unique_ptr<storage::DurableStore>> store = storage::DurableStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status();
  engine::EngineOptions options;
  options.journal = (*store)->journal();
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
      engine::Engine::Create(testing::ModelBuilder()
                                 .Location("wh")
                                 .Channel("web", engine::ChannelType::kWebshop, {"wh"})
                                 .Build(),
                             options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*store)->Attach(engine->get()).ok());
  auto count = [&](int64_t on_hand, const std::string& rid) {
    return (*engine)->ExecuteAndWait(
        engine::Command{{rid, "test"}, engine::CountCmd{"wh", "SKU-R", on_hand, std::nullopt, ""}});
  };
  ASSERT_TRUE(count(1, "r-1").ok());

  absl::StatusOr<std::unique_ptr<RedisConnection>> admin =
      RedisConnection::Connect(redis.address(), 1000, security);
  ASSERT_TRUE(admin.ok()) << admin.status();
  const std::string rotated = "rotated-Pa55word";
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "requirepass", rotated}).ok());
  ASSERT_TRUE((*admin)->Command({"CLIENT", "KILL", "TYPE", "normal"}).ok());

  // Writes fail until the file is updated; the refusal is logged once.
  absl::StatusOr<engine::Outcome> refused = count(2, "r-2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several re-sync attempts
  EXPECT_EQ(count(2, "r-3").status().code(), absl::StatusCode::kUnavailable);
  {
    std::lock_guard<std::mutex> lock(logs_mu);
    int refusals = 0;
    for (const std::string& line : logs) {
      EXPECT_EQ(line.find(rotated), std::string::npos) << line;
      EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
      if (line == absl::StrCat("error: re-sync: redis at '", redis.address(),
                               "' refused AUTH as the default user with the password from "
                               "redis.password_file: WRONGPASS invalid username-password pair "
                               "or user is disabled.")) {
        ++refusals;
      }
    }
    EXPECT_EQ(refusals, 1);
  }

  ASSERT_TRUE(WritePasswordFile(PasswordFile(), rotated + "\n", 0600));
  absl::StatusOr<engine::Outcome> acked = absl::UnavailableError("not yet");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; !acked.ok() && MsSince(start) < 5000; ++i) {
    acked = count(3, absl::StrCat("r-4-", i));
    if (!acked.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ((*store)->recoveries(), 1);
  (*store)->Stop();
}

// ---------------------------------------------------------------- config

// Lines 1..7; line 8 is "redis:".
constexpr char kBase[] =
    "locations:\n"
    "  - id: wh\n"
    "    type: warehouse\n"
    "channels:\n"
    "  - id: web\n"
    "    type: webshop\n"
    "    sources: [wh]\n"
    "redis:\n";

class RedisSecurityConfigTest : public RedisAuthTlsTest {
 protected:
  // The error message of a config that must be rejected.
  static std::string ErrorOf(const std::string& redis_lines) {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(std::string(kBase) + redis_lines, "test.yaml");
    EXPECT_FALSE(config.ok()) << "accepted:\n" << redis_lines;
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(config.status().message());
  }
};

TEST_F(RedisSecurityConfigTest, ExternalRedisWithAuthAndMutualTls) {
  absl::StatusOr<config::Config> config = config::ParseConfig(
      absl::StrCat(kBase, "  address: redis.internal:6380\n  username: stockd\n",
                   "  password_file: ", PasswordFile(), "\n  tls:\n    ca_file: ", pki_->ca_file(),
                   "\n    cert_file: ", pki_->client_cert(), "\n    key_file: ", pki_->client_key(),
                   "\n    server_name: redis.example.com\n"),
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const config::RedisConfig& redis = config->redis;
  EXPECT_EQ(redis.mode, config::RedisConfig::Mode::kExternal);
  EXPECT_EQ(redis.username, "stockd");
  EXPECT_EQ(redis.password_file, PasswordFile());  // the path; the password is not kept
  ASSERT_TRUE(redis.tls.has_value());
  EXPECT_EQ(redis.tls->ca_file, pki_->ca_file());
  EXPECT_EQ(redis.tls->cert_file, pki_->client_cert());
  EXPECT_EQ(redis.tls->key_file, pki_->client_key());
  EXPECT_EQ(redis.tls->server_name, "redis.example.com");

  absl::StatusOr<config::Config> plain =
      config::ParseConfig(absl::StrCat(kBase, "  address: redis.internal:6379\n"), "test.yaml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->redis.password_file, "");
  EXPECT_FALSE(plain->redis.tls.has_value());
}

TEST_F(RedisSecurityConfigTest, PasswordFileMustBePrivateReadableAndNonEmpty) {
  const std::string lines = "  address: 10.0.0.5:6379\n  password_file: ";
  ASSERT_TRUE(WritePasswordFile(PasswordFile(), kPassword, 0640));
  std::string error = ErrorOf(lines + PasswordFile() + "\n");
  EXPECT_EQ(error, absl::StrCat("test.yaml:10:18: redis.password_file: '", PasswordFile(),
                                "' has mode 0640: group/others may access it; chmod 600 it"));
  EXPECT_FALSE(Contains(error, kPassword));

  const std::string missing = dir_->path() + "/missing.pass";
  EXPECT_EQ(ErrorOf(lines + missing + "\n"),
            absl::StrCat("test.yaml:10:18: redis.password_file: cannot read '", missing,
                         "': No such file or directory"));

  const std::string empty = dir_->path() + "/empty.pass";
  ASSERT_TRUE(WritePasswordFile(empty, "\n", 0600));
  EXPECT_EQ(ErrorOf(lines + empty + "\n"),
            absl::StrCat("test.yaml:10:18: redis.password_file: '", empty, "' is empty"));
}

TEST_F(RedisSecurityConfigTest, AuthAndTlsAreForAnExternalRedisOnly) {
  EXPECT_EQ(ErrorOf(absl::StrCat("  password_file: ", PasswordFile(), "\n")),
            "test.yaml:9:18: redis.password_file: only for an external Redis (redis.address): "
            "the embedded redis-server listens on a private unix socket without AUTH or TLS; "
            "remove it");
  EXPECT_EQ(ErrorOf(absl::StrCat("  mode: memory\n  tls:\n    ca_file: ", pki_->ca_file(), "\n")),
            "test.yaml:11:5: redis.tls: only for an external Redis (redis.address); redis.mode "
            "is memory; remove it");
  EXPECT_EQ(ErrorOf(absl::StrCat(
                "  address: unix:/run/redis.sock\n  tls:\n    ca_file: ", pki_->ca_file(), "\n")),
            "test.yaml:11:5: redis.tls: needs a host:port redis.address; a unix socket has no TLS");
  EXPECT_EQ(ErrorOf("  address: 10.0.0.5:6379\n  username: stockd\n"),
            "test.yaml:10:13: redis.username: needs redis.password_file (AUTH user password)");
}

TEST_F(RedisSecurityConfigTest, TlsFilesAreCheckedWithFileAndLine) {
  const std::string head = "  address: 10.0.0.5:6379\n  tls:\n";
  EXPECT_EQ(ErrorOf(head + "    server_name: redis.example.com\n"),
            "test.yaml:11:5: redis.tls.ca_file: required key is missing");
  const std::string missing = dir_->path() + "/missing-ca.pem";
  EXPECT_EQ(ErrorOf(head + "    ca_file: " + missing + "\n"),
            absl::StrCat("test.yaml:11:14: redis.tls.ca_file: cannot read '", missing,
                         "': No such file or directory"));
  EXPECT_EQ(ErrorOf(absl::StrCat(head, "    ca_file: ", pki_->ca_file(),
                                 "\n    cert_file: ", pki_->client_cert(), "\n")),
            "test.yaml:12:16: redis.tls.cert_file: needs redis.tls.key_file too (mTLS: a "
            "certificate and its key)");
  EXPECT_EQ(ErrorOf(absl::StrCat(head, "    ca_file: ", pki_->ca_file(),
                                 "\n    key_file: ", pki_->client_key(), "\n")),
            "test.yaml:12:15: redis.tls.key_file: needs redis.tls.cert_file too (mTLS: a "
            "certificate and its key)");
}

}  // namespace
}  // namespace stockd
