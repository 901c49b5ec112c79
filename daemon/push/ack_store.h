// Where the push engine records, per (channel, SKU), the quantity the channel last
// acknowledged, so that a restart resumes the sync without re-sending what was
// acknowledged. The Redis implementation keeps it in one hash per channel,
// {stockd}:acked:<channel> (field = SKU), under the daemon's hash tag (docs/storage.md).
//
// Thread safety: implementations are thread-safe (several channel workers share one).
#ifndef STOCKD_DAEMON_PUSH_ACK_STORE_H_
#define STOCKD_DAEMON_PUSH_ACK_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/storage/redis_client.h"

namespace stockd::push {

// channel -> sku -> acknowledged quantity.
using AckMap = absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>>;

class AckStore {
 public:
  virtual ~AckStore() = default;
  virtual absl::StatusOr<AckMap> LoadAll() = 0;
  virtual absl::Status Save(const std::string& channel,
                            const std::vector<std::pair<std::string, int64_t>>& acked) = 0;
};

// In memory only (redis.mode: memory): nothing survives a restart.
class MemoryAckStore final : public AckStore {
 public:
  absl::StatusOr<AckMap> LoadAll() override;
  absl::Status Save(const std::string& channel,
                    const std::vector<std::pair<std::string, int64_t>>& acked) override;

 private:
  absl::Mutex mu_;
  AckMap acked_ ABSL_GUARDED_BY(mu_);
};

// On Redis: one connection, reconnected on demand, shared under a mutex. A Save is one
// HSET of the pushed batch on {<prefix>}:acked:<channel>; LoadAll HSCANs every channel.
class RedisAckStore final : public AckStore {
 public:
  RedisAckStore(std::string address, int64_t timeout_ms, std::string key_prefix = "stockd",
                storage::RedisSecurity security = {});
  ~RedisAckStore() override;
  absl::StatusOr<AckMap> LoadAll() override;
  absl::Status Save(const std::string& channel,
                    const std::vector<std::pair<std::string, int64_t>>& acked) override;

 private:
  absl::Status EnsureConnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string address_;
  const int64_t timeout_ms_;
  const std::string prefix_;
  const storage::RedisSecurity security_;
  absl::Mutex mu_;
  std::unique_ptr<storage::RedisConnection> redis_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_ACK_STORE_H_
