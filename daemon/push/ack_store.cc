#include "daemon/push/ack_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/storage/records.h"
#include "daemon/storage/redis_client.h"

namespace stockd::push {

absl::StatusOr<AckMap> MemoryAckStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  return acked_;
}

absl::Status MemoryAckStore::Save(const std::string& channel,
                                  const std::vector<std::pair<std::string, int64_t>>& acked) {
  absl::MutexLock lock(&mu_);
  for (const auto& [sku, qty] : acked) acked_[channel][sku] = qty;
  return absl::OkStatus();
}

RedisAckStore::RedisAckStore(std::string address, int64_t timeout_ms, std::string key_prefix,
                             storage::RedisSecurity security)
    : address_(std::move(address)),
      timeout_ms_(timeout_ms),
      prefix_(std::move(key_prefix)),
      security_(std::move(security)) {}

RedisAckStore::~RedisAckStore() = default;

absl::Status RedisAckStore::EnsureConnected() {
  if (redis_ != nullptr && redis_->ok()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<storage::RedisConnection>> conn =
      storage::RedisConnection::Connect(address_, timeout_ms_, security_);
  if (!conn.ok()) return conn.status();
  redis_ = std::move(*conn);
  return absl::OkStatus();
}

absl::StatusOr<AckMap> RedisAckStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  const storage::KeyLayout keys(prefix_);
  absl::StatusOr<std::vector<std::string>> channel_keys =
      storage::ScanKeys(*redis_, keys.AckedPattern());
  if (!channel_keys.ok()) return channel_keys.status();
  AckMap out;
  for (const std::string& key : *channel_keys) {
    const std::string channel = keys.ChannelOfAckedKey(key);
    if (channel.empty()) continue;
    absl::flat_hash_map<std::string, int64_t>& acked = out[channel];
    absl::Status st = storage::ScanHash(
        *redis_, key, 5000, [&](std::string& sku, std::string& value) -> absl::Status {
          int64_t qty = 0;
          if (!absl::SimpleAtoi(value, &qty)) {
            return absl::DataLossError(
                absl::StrCat("redis key '", key, "' field '", sku, "': bad quantity"));
          }
          acked[sku] = qty;
          return absl::OkStatus();
        });
    if (!st.ok()) return st;
  }
  return out;
}

absl::Status RedisAckStore::Save(const std::string& channel,
                                 const std::vector<std::pair<std::string, int64_t>>& acked) {
  if (acked.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  const storage::KeyLayout keys(prefix_);
  storage::Args hset;
  hset.reserve(2 + 2 * acked.size());
  hset.push_back("HSET");
  hset.push_back(keys.Acked(channel));
  for (const auto& [sku, qty] : acked) {
    hset.push_back(sku);
    hset.push_back(absl::StrCat(qty));
  }
  absl::StatusOr<storage::Reply> reply = redis_->Command(hset);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::UnavailableError(absl::StrCat("redis: ", reply->str));
  return absl::OkStatus();
}

}  // namespace stockd::push
