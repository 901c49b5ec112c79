// The parts the embedded redis-server supervisor and the journal are built from: the
// journal's StoredBatchWriter (what a group commit writes, the audit trim), the rendered
// redis.conf, the POSIX helpers, and the log line format shared by every component.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "daemon/storage/batch_writer.h"
#include "daemon/storage/redis_conf.h"
#include "daemon/util/log.h"
#include "daemon/util/posix.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using storage::Args;
using storage::Reply;

using ::stockd::testing::TempDir;

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

TEST(PosixTest, WritesAtomicallyPrivateAndReadsBack) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  ASSERT_TRUE(util::WriteFileAtomically(path, "one\ntwo\n").ok());
  std::string back;
  ASSERT_TRUE(util::ReadWholeFile(path, &back));
  EXPECT_EQ(back, "one\ntwo\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  EXPECT_FALSE(util::ReadWholeFile(dir.path() + "/missing", &back));
  absl::Status missing_dir = util::WriteFileAtomically(dir.path() + "/no/f", "x");
  EXPECT_EQ(missing_dir.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PosixTest, FileTailKeepsTheLastNonEmptyLines) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  ASSERT_TRUE(util::WriteFileAtomically(path, "a\nb\n\nc\nd\ne\n").ok());
  EXPECT_EQ(util::FileTail(path, 3), "c | d | e");
  EXPECT_EQ(util::FileTail(path, 10), "a | b | c | d | e");
  ASSERT_TRUE(util::WriteFileAtomically(path, "").ok());
  EXPECT_EQ(util::FileTail(path, 3), "(" + path + " is empty)");
  EXPECT_EQ(util::FileTail(dir.path() + "/none", 3).rfind("(no " + dir.path() + "/none: ", 0), 0u);
}

TEST(PosixTest, DescribesExitsAndWatchesAProcessEnd) {
  EXPECT_EQ(util::DescribeExit(0), "exited with status 0");
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  EXPECT_FALSE(util::ProcessGone(child));
  EXPECT_FALSE(util::WaitGone(child, 30, 10));
  ::kill(child, SIGKILL);
  EXPECT_TRUE(util::WaitGone(child, 5'000, 10));  // a zombie counts as gone
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(util::DescribeExit(status), "was killed by signal 9 (SIGKILL)");
}

TEST(PosixTest, AboveStdioMovesLowDescriptors) {
  EXPECT_EQ(util::AboveStdio(-1), -1);
  const int high = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GT(high, 2);
  EXPECT_EQ(util::AboveStdio(high), high);
  ::close(high);
}

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
