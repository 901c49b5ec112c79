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

RedisAckStore::RedisAckStore(std::string address, int64_t timeout_ms, std::string key_prefix)
    : address_(std::move(address)), timeout_ms_(timeout_ms), prefix_(std::move(key_prefix)) {}

RedisAckStore::~RedisAckStore() = default;

absl::Status RedisAckStore::EnsureConnected() {
  if (redis_ != nullptr && redis_->ok()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<storage::RedisConnection>> conn =
      storage::RedisConnection::Connect(address_, timeout_ms_);
  if (!conn.ok()) return conn.status();
  redis_ = std::move(*conn);
  return absl::OkStatus();
}

absl::StatusOr<AckMap> RedisAckStore::LoadAll() {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  const storage::KeyLayout keys(prefix_);
  const std::string head = prefix_ + ":{";
  const std::string tail = "}:acked";
  AckMap out;
  std::string cursor = "0";
  do {
    absl::StatusOr<storage::Reply> r =
        redis_->Command({"SCAN", cursor, "MATCH", head + "*" + tail, "COUNT", "5000"});
    if (!r.ok()) return r.status();
    if (r->type != storage::Reply::Type::kArray || r->elements.size() != 2) {
      return absl::UnavailableError(absl::StrCat("SCAN: ", r->str));
    }
    cursor = r->elements[0].str;
    std::vector<storage::Args> gets;
    std::vector<std::string> skus;
    for (const storage::Reply& k : r->elements[1].elements) {
      const std::string& key = k.str;
      if (key.size() <= head.size() + tail.size()) continue;
      skus.push_back(key.substr(head.size(), key.size() - head.size() - tail.size()));
      gets.push_back({"HGETALL", key});
    }
    if (gets.empty()) continue;
    absl::StatusOr<std::vector<storage::Reply>> values = redis_->Pipeline(gets);
    if (!values.ok()) return values.status();
    for (size_t i = 0; i < skus.size(); ++i) {
      const storage::Reply& v = (*values)[i];
      for (size_t f = 0; f + 1 < v.elements.size(); f += 2) {
        int64_t qty = 0;
        if (!absl::SimpleAtoi(v.elements[f + 1].str, &qty)) {
          return absl::DataLossError(
              absl::StrCat("redis key '", keys.Acked(skus[i]), "': bad quantity"));
        }
        out[v.elements[f].str][skus[i]] = qty;
      }
    }
  } while (cursor != "0");
  return out;
}

absl::Status RedisAckStore::Save(const std::string& channel,
                                 const std::vector<std::pair<std::string, int64_t>>& acked) {
  if (acked.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  const storage::KeyLayout keys(prefix_);
  std::vector<storage::Args> cmds;
  cmds.reserve(acked.size());
  for (const auto& [sku, qty] : acked) {
    cmds.push_back({"HSET", keys.Acked(sku), channel, absl::StrCat(qty)});
  }
  absl::StatusOr<std::vector<storage::Reply>> replies = redis_->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const storage::Reply& r : *replies) {
    if (r.is_error()) return absl::UnavailableError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

}  // namespace stockd::push
