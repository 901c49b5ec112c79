// The AOF tail repair (daemon/storage/aof_repair.h): a file that ends inside a MULTI
// block or inside a command is cut back to the last complete EXEC or top-level command;
// a complete file, and one with garbage before its end, are left alone. The repair against a
// real redis-server is in aof_repair_redis_test.cc (label e2e).
#include "daemon/storage/aof_repair.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using storage::CompletePrefix;
using storage::RepairAofTail;

std::string Resp(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

int64_t Prefix(const std::string& s) { return CompletePrefix(s.data(), s.size()); }

TEST(AofRepairTest, CompleteFileIsKept) {
  const std::string aof = Resp({"SET", "a", "1"}) + Resp({"MULTI"}) +
                          Resp({"HSET", "h", "f", "v"}) + Resp({"EXEC"}) + "#TS:1\r\n" +
                          Resp({"SET", "b", "2"});
  EXPECT_EQ(Prefix(aof), static_cast<int64_t>(aof.size()));
  EXPECT_EQ(Prefix(""), 0);
}

TEST(AofRepairTest, TornTransactionIsCutBeforeItsMulti) {
  const std::string head =
      Resp({"SET", "a", "1"}) + Resp({"MULTI"}) + Resp({"HSET", "h", "f", "v"}) + Resp({"EXEC"});
  const std::string tx = Resp({"MULTI"}) + Resp({"HSET", "stock", "A wh", "5 1 0"}) +
                         Resp({"HSET", "holds", "h1", "x"}) + Resp({"EXEC"});
  // Cut anywhere inside the second transaction, including right before its EXEC and in
  // the middle of EXEC itself: the file goes back to the end of the first one.
  for (size_t cut = 1; cut < tx.size(); ++cut) {
    EXPECT_EQ(Prefix(head + tx.substr(0, cut)), static_cast<int64_t>(head.size())) << cut;
  }
  EXPECT_EQ(Prefix(head + tx), static_cast<int64_t>((head + tx).size()));
}

TEST(AofRepairTest, TornCommandOutsideATransactionIsCut) {
  const std::string head = Resp({"SET", "a", "1"});
  const std::string cmd = Resp({"HSET", "acked", "SKU-1", "4"});
  for (size_t cut = 1; cut < cmd.size(); ++cut) {
    EXPECT_EQ(Prefix(head + cmd.substr(0, cut)), static_cast<int64_t>(head.size())) << cut;
  }
}

TEST(AofRepairTest, GarbageBeforeTheEndIsNotATornWrite) {
  const std::string aof = Resp({"SET", "a", "1"}) + "xx\r\n" + Resp({"SET", "b", "2"});
  EXPECT_EQ(Prefix(aof), -1);
  EXPECT_EQ(Prefix(Resp({"SET", "a", "1"}) + "*2\r\n$3\r\nGETX\r\n"), -1);  // wrong length
}

using ::stockd::testing::TempDir;

void Write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

TEST(AofRepairTest, RepairTruncatesTheLastIncrFileOnly) {
  TempDir dir;
  Write(dir.path() + "/appendonly.aof.manifest",
        "file appendonly.aof.1.base.rdb seq 1 type b\n"
        "file appendonly.aof.1.incr.aof seq 1 type h\n"
        "file appendonly.aof.2.incr.aof seq 2 type i\n");
  const std::string good = Resp({"MULTI"}) + Resp({"SET", "a", "1"}) + Resp({"EXEC"});
  const std::string torn = Resp({"MULTI"}) + Resp({"SET", "b", "2"});
  Write(dir.path() + "/appendonly.aof.1.incr.aof", torn);  // history: not touched
  Write(dir.path() + "/appendonly.aof.2.incr.aof", good + torn);
  absl::StatusOr<storage::AofRepair> r = RepairAofTail(dir.path());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dropped_bytes, static_cast<int64_t>(torn.size()));
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/appendonly.aof.2.incr.aof"), good.size());
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/appendonly.aof.1.incr.aof"), torn.size());
  // Nothing more to do the second time; no manifest at all is fine too.
  EXPECT_EQ(RepairAofTail(dir.path())->dropped_bytes, 0);
  EXPECT_EQ(RepairAofTail(dir.path() + "/nope")->dropped_bytes, 0);
}

}  // namespace
}  // namespace stockd
