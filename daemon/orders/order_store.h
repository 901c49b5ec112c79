// What order ingestion keeps durable besides the engine's order table: per channel the
// cursor of the last poll whose orders are all durable, and the order revisions parked
// because a listing of theirs maps to no SKU (docs/orders.md). The Redis implementation
// keeps both under the daemon's hash tag (docs/storage.md):
//   {<prefix>}:orders:cursor    hash  channel -> cursor
//   {<prefix>}:orders:unmapped  hash  "<channel> <order_id>" -> the parked revision (JSON)
// A channel id has no space (an engine id), so the field splits at the first space.
//
// Thread safety: implementations are thread-safe (every worker and the intake share one).
#ifndef STOCKD_DAEMON_ORDERS_ORDER_STORE_H_
#define STOCKD_DAEMON_ORDERS_ORDER_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/plugins/adapter.h"
#include "daemon/storage/redis_client.h"

namespace stockd::orders {

// A revision waiting for the SKU of some listing of its.
struct ParkedOrder {
  std::string channel;
  plugins::Order order;
  std::vector<std::string> missing;  // its listing ids with no SKU when parked
  int64_t since_ms = 0;              // when this order was first parked
};

// The JSON a parked order is stored as, and back (DATA_LOSS naming what is wrong).
std::string EncodeParked(const ParkedOrder& parked);
absl::StatusOr<ParkedOrder> DecodeParked(const std::string& channel, const std::string& json);

class OrderStore {
 public:
  virtual ~OrderStore() = default;
  // The stored cursor of every channel that has one.
  virtual absl::StatusOr<std::map<std::string, std::string>> LoadCursors() = 0;
  virtual absl::Status SaveCursor(const std::string& channel, const std::string& cursor) = 0;
  virtual absl::StatusOr<std::vector<ParkedOrder>> LoadParked() = 0;
  // Stores `parked`, replacing what was parked for its (channel, order id).
  virtual absl::Status Park(const ParkedOrder& parked) = 0;
  // Forgets what was parked for (channel, order id); OK when nothing was.
  virtual absl::Status Unpark(const std::string& channel, const std::string& order_id) = 0;
};

// In memory only (redis.mode: memory): nothing survives a restart.
class MemoryOrderStore final : public OrderStore {
 public:
  absl::StatusOr<std::map<std::string, std::string>> LoadCursors() override;
  absl::Status SaveCursor(const std::string& channel, const std::string& cursor) override;
  absl::StatusOr<std::vector<ParkedOrder>> LoadParked() override;
  absl::Status Park(const ParkedOrder& parked) override;
  absl::Status Unpark(const std::string& channel, const std::string& order_id) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> cursors_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, ParkedOrder> parked_ ABSL_GUARDED_BY(mu_);
};

// On Redis: one connection, reconnected on demand, shared under a mutex (as
// push::RedisAckStore). Every write is one command; an error is UNAVAILABLE.
class RedisOrderStore final : public OrderStore {
 public:
  RedisOrderStore(std::string address, int64_t timeout_ms, std::string key_prefix = "stockd",
                  storage::RedisSecurity security = {});
  ~RedisOrderStore() override;
  absl::StatusOr<std::map<std::string, std::string>> LoadCursors() override;
  absl::Status SaveCursor(const std::string& channel, const std::string& cursor) override;
  absl::StatusOr<std::vector<ParkedOrder>> LoadParked() override;
  absl::Status Park(const ParkedOrder& parked) override;
  absl::Status Unpark(const std::string& channel, const std::string& order_id) override;

  std::string CursorKey() const { return tag_ + "orders:cursor"; }
  std::string UnmappedKey() const { return tag_ + "orders:unmapped"; }

 private:
  absl::Status EnsureConnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(const storage::Args& args);

  const std::string address_;
  const int64_t timeout_ms_;
  const std::string tag_;  // "{<prefix>}:"
  const storage::RedisSecurity security_;
  absl::Mutex mu_;
  std::unique_ptr<storage::RedisConnection> redis_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDER_STORE_H_
