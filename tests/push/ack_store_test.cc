// RedisAckStore against a real redis-server: what a channel acknowledged survives a
// restart of the daemon (a new store on the same Redis), per channel, in the documented
// layout ({stockd}:acked:<channel>, field = SKU), and damaged data is refused by name.
#include "daemon/push/ack_store.h"

#include <gtest/gtest.h>

#include "tests/support/redis_fixture.h"

namespace stockd {
namespace {

using push::AckMap;
using push::RedisAckStore;
using testing::RedisCommand;
using testing::TestRedis;

TEST(RedisAckStoreTest, SavedAcknowledgementsComeBackPerChannel) {
  TestRedis redis;
  ASSERT_TRUE(redis.ok());
  {
    RedisAckStore store(redis.address(), 1000);
    ASSERT_TRUE(store.Save("amazon", {{"SKU-1", 5}, {"SKU-2", 0}}).ok());
    ASSERT_TRUE(store.Save("ebay", {{"SKU-1", 3}}).ok());
    ASSERT_TRUE(store.Save("amazon", {{"SKU-1", 4}}).ok());  // the newest wins
    ASSERT_TRUE(store.Save("amazon", {}).ok());              // nothing to save: no-op
  }
  RedisAckStore restarted(redis.address(), 1000);
  absl::StatusOr<AckMap> acked = restarted.LoadAll();
  ASSERT_TRUE(acked.ok()) << acked.status();
  ASSERT_EQ(acked->size(), 2u);
  EXPECT_EQ(acked->at("amazon").size(), 2u);
  EXPECT_EQ(acked->at("amazon").at("SKU-1"), 4);
  EXPECT_EQ(acked->at("amazon").at("SKU-2"), 0);
  EXPECT_EQ(acked->at("ebay").at("SKU-1"), 3);

  // The documented layout, readable with redis-cli.
  EXPECT_EQ((*RedisCommand(redis.socket_path(), {"HGET", "{stockd}:acked:amazon", "SKU-1"}))[0],
            "4");
}

TEST(RedisAckStoreTest, ManySkusLoadAcrossScanPages) {
  TestRedis redis;
  ASSERT_TRUE(redis.ok());
  RedisAckStore store(redis.address(), 1000);
  std::vector<std::pair<std::string, int64_t>> batch;
  for (int i = 0; i < 12'000; ++i) batch.emplace_back("P-" + std::to_string(i), i % 97);
  ASSERT_TRUE(store.Save("webshop", batch).ok());
  absl::StatusOr<AckMap> acked = RedisAckStore(redis.address(), 1000).LoadAll();
  ASSERT_TRUE(acked.ok()) << acked.status();
  ASSERT_EQ(acked->at("webshop").size(), 12'000u);
  EXPECT_EQ(acked->at("webshop").at("P-11999"), 11'999 % 97);
}

TEST(RedisAckStoreTest, DamagedQuantityIsRefusedNamingKeyAndField) {
  TestRedis redis;
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE(
      RedisCommand(redis.socket_path(), {"HSET", "{stockd}:acked:amazon", "SKU-9", "many"}).ok());
  absl::StatusOr<AckMap> acked = RedisAckStore(redis.address(), 1000).LoadAll();
  ASSERT_FALSE(acked.ok());
  EXPECT_EQ(acked.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(acked.status().message().find("'{stockd}:acked:amazon' field 'SKU-9'"),
            std::string::npos)
      << acked.status();
}

TEST(RedisAckStoreTest, UnreachableRedisIsUnavailable) {
  RedisAckStore store("unix:/nonexistent/stockd-test.sock", 200);
  EXPECT_EQ(store.LoadAll().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Save("amazon", {{"SKU-1", 1}}).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stockd
