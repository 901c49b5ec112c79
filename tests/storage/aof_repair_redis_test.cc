// The AOF tail repair (daemon/storage/aof_repair.h) against a real redis-server: a torn
// transaction is never half applied after the repair. The repair itself, on files, is in
// aof_repair_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "daemon/storage/aof_repair.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using ::stockd::testing::TempDir;
using storage::RepairAofTail;

std::string Resp(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

void Write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// The bug this exists for, on the Redis the daemon embeds: a transaction torn by a crash
// must not be applied in part at the next start (Redis 7.0 alone applies it together
// with the following transaction after its own truncation).
TEST(AofRepairTest, RedisNeverAppliesATornTransactionAfterRepair) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/appendonlydir");
  const std::string aof_dir = dir.path() + "/appendonlydir";
  Write(aof_dir + "/appendonly.aof.manifest", "file appendonly.aof.1.incr.aof seq 1 type i\n");
  const std::string committed = Resp({"MULTI"}) + Resp({"SET", "a", "1"}) + Resp({"EXEC"});
  const std::string torn = Resp({"MULTI"}) + Resp({"SET", "b", "2"}) + Resp({"SET", "c", "3"});
  Write(aof_dir + "/appendonly.aof.1.incr.aof", committed + torn.substr(0, torn.size() - 3));
  ASSERT_EQ(RepairAofTail(aof_dir)->dropped_bytes, static_cast<int64_t>(torn.size() - 3));

  // Start redis-server on the repaired AOF, write a new transaction, restart: "b" must
  // never appear (it would, half applied, without the repair).
  const std::string sock = dir.path() + "/r.sock";
  auto start = [&] {
    const std::string cmd = "redis-server --port 0 --unixsocket " + sock + " --dir " + dir.path() +
                            " --appendonly yes --appenddirname appendonlydir --save '' "
                            "--daemonize yes --pidfile " +
                            dir.path() + "/r.pid --logfile " + dir.path() + "/r.log";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    for (int i = 0; i < 200; ++i) {
      absl::StatusOr<std::vector<std::string>> pong = testing::RedisCommand(sock, {"PING"});
      if (pong.ok() && !pong->empty() && (*pong)[0] == "PONG") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "redis-server did not start";
  };
  auto stop = [&] {
    (void)testing::RedisCommand(sock, {"SHUTDOWN"});  // no reply: the server exits
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  start();
  ASSERT_TRUE(testing::RedisCommand(sock, {"SET", "d", "4"}).ok());
  stop();
  start();
  EXPECT_EQ((*testing::RedisCommand(sock, {"GET", "a"}))[0], "1");
  EXPECT_EQ((*testing::RedisCommand(sock, {"EXISTS", "b"}))[0], "0") << "torn transaction applied";
  EXPECT_EQ((*testing::RedisCommand(sock, {"GET", "d"}))[0], "4");
  stop();
}

}  // namespace
}  // namespace stockd
