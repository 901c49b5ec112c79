// The parts the embedded redis-server supervisor and the journal are built from: the
// journal's StoredBatchWriter (what a group commit writes, the audit trim) and the
// rendered redis.conf. (The POSIX helpers and the log line format they use are tested in
// tests/util/.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "daemon/storage/batch_writer.h"
#include "daemon/storage/redis_client.h"
#include "daemon/storage/redis_conf.h"

namespace stockd {
namespace {

using storage::Args;
using storage::Reply;

// One record with one audited row; its sequence is `sequence`.
std::unique_ptr<engine::MutationRecord> Record(uint64_t sequence) {
  auto r = std::make_unique<engine::MutationRecord>();
  auto audit = std::make_shared<engine::AuditEntry>();
  audit->after = {{"A", "wh", {5, 1, 0}}};
  r->audit = audit;
  r->sequence = sequence;
  return r;
}

// EXEC's replies to a batch body: "OK" everywhere, the stream id at the XADD.
std::vector<Reply> RepliesTo(const std::vector<Args>& body, const std::string& stream_id) {
  std::vector<Reply> replies(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i][0] == "XADD") {
      replies[i].type = Reply::Type::kString;
      replies[i].str = stream_id;
    } else {
      replies[i].type = Reply::Type::kStatus;
      replies[i].str = "OK";
    }
  }
  return replies;
}

TEST(StoredBatchWriterTest, EndsWithTheMetaSequenceAndTrimsTheAuditStreamByMutations) {
  storage::WriteOptions write;
  write.audit_max_len = 2;
  storage::StoredBatchWriter writer(storage::KeyLayout("stockd"), write);
  EXPECT_TRUE(writer.StoresSequence());
  std::vector<std::vector<Args>> bodies;
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    std::unique_ptr<engine::MutationRecord> r = Record(seq);
    std::vector<Args> body;
    writer.Write({r.get()}, &body);
    ASSERT_FALSE(body.empty());
    EXPECT_EQ(body.back(),
              (Args{"HSET", storage::KeyLayout("stockd").Meta(), "sequence", std::to_string(seq),
                    "schema", std::to_string(storage::kSchemaVersion)}));
    writer.Landed(RepliesTo(body, std::to_string(seq) + "-0"), 1);
    bodies.push_back(body);
  }
  auto trim_of = [](const std::vector<Args>& body) -> std::string {
    for (const Args& a : body) {
      if (a[0] == "XTRIM") return a.size() == 5 ? a[4] : "malformed";
    }
    return "";
  };
  // Three landed mutations exceed 2 + 10%: the fourth batch trims everything before the
  // oldest entry still needed (the second).
  EXPECT_EQ(trim_of(bodies[0]), "");
  EXPECT_EQ(trim_of(bodies[1]), "");
  EXPECT_EQ(trim_of(bodies[2]), "");
  EXPECT_EQ(trim_of(bodies[3]), "2-0");
}

TEST(StoredBatchWriterTest, ABatchThatDidNotLandIsNotCountedInTheAuditStream) {
  storage::WriteOptions write;
  write.audit_max_len = 1;
  storage::StoredBatchWriter writer(storage::KeyLayout("stockd"), write);
  std::vector<Args> body;
  for (uint64_t seq = 1; seq <= 3; ++seq) {  // none Landed
    std::unique_ptr<engine::MutationRecord> r = Record(seq);
    body.clear();
    writer.Write({r.get()}, &body);
  }
  for (const Args& a : body) EXPECT_NE(a[0], "XTRIM");
}

TEST(RedisConfTest, QuotesPathsAndSetsTheEmbeddedDefaults) {
  const std::string conf =
      storage::RenderRedisConf("/data/a \"b\"\\c", "/data/redis.sock", "everysec");
  EXPECT_NE(conf.find("\ndir \"/data/a \\\"b\\\"\\\\c\"\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("\nunixsocket \"/data/redis.sock\"\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("\nport 0\n"), std::string::npos);
  EXPECT_NE(conf.find("\nappendonly yes\n"), std::string::npos);
  EXPECT_NE(conf.find("\nappendfsync everysec\n"), std::string::npos);
  EXPECT_NE(conf.find(std::string("\nappenddirname ") + storage::kAofDirName + "\n"),
            std::string::npos);
  EXPECT_NE(conf.find("\nsave \"\"\n"), std::string::npos);
  EXPECT_NE(conf.find("\nsupervised no\n"), std::string::npos);
  EXPECT_NE(storage::RenderRedisConf("/d\x01", "/d/s", "always").find("dir \"/d\\x01\""),
            std::string::npos);
}

// A server that accepts the connection and never answers (a stopped redis-server): the
// error says it was a timeout, and how long, not the socket's "Resource temporarily
// unavailable".
TEST(RedisConnectionTest, ASilentServerIsReportedAsATimeout) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);  // the kernel completes the handshake; nobody reads
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto conn = storage::RedisConnection::Connect("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                                /*timeout_ms=*/150);
  // Connect asks the server something first (its PING), so it is Connect that waits.
  const absl::Status status = conn.ok() ? (*conn)->Command({"PING"}).status() : conn.status();
  ::close(listener);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(status.message(), "read: no answer within the 150 ms timeout"))
      << status;
}

}  // namespace
}  // namespace stockd
