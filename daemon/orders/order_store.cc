#include "daemon/orders/order_store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "daemon/storage/records.h"

namespace stockd::orders {

namespace {

using Json = nlohmann::json;

constexpr const char* kStatusNames[] = {"pending", "accepted", "shipped", "cancelled"};

std::string ParkedField(const std::string& channel, const std::string& order_id) {
  return absl::StrCat(channel, " ", order_id);
}

absl::Status Unavailable(const storage::Reply& reply) {
  return absl::UnavailableError(absl::StrCat("redis: ", reply.str));
}

}  // namespace

std::string EncodeParked(const ParkedOrder& parked) {
  Json lines = Json::array();
  for (const plugins::OrderLine& l : parked.order.lines) {
    lines.push_back({{"listing_id", l.listing_id},
                     {"quantity", l.quantity},
                     {"quantity_shipped", l.quantity_shipped},
                     {"quantity_cancelled", l.quantity_cancelled},
                     {"location", l.location}});
  }
  Json j = {{"order_id", parked.order.order_id},
            {"revision", parked.order.revision},
            {"status", kStatusNames[static_cast<int>(parked.order.status)]},
            {"lines", std::move(lines)},
            {"missing", parked.missing},
            {"since_ms", parked.since_ms}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<ParkedOrder> DecodeParked(const std::string& channel, const std::string& json) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const char* what) {
    return absl::DataLossError(absl::StrCat("parked order of channel '", channel, "': ", what));
  };
  if (!j.is_object()) return bad("not a JSON object");
  ParkedOrder p;
  p.channel = channel;
  if (!j.value("order_id", Json()).is_string()) return bad("no order_id");
  p.order.order_id = j["order_id"].get<std::string>();
  if (!j.value("revision", Json()).is_number_integer()) return bad("no revision");
  p.order.revision = j["revision"].get<int64_t>();
  if (!j.value("since_ms", Json()).is_number_integer()) return bad("no since_ms");
  p.since_ms = j["since_ms"].get<int64_t>();
  const Json status = j.value("status", Json());
  bool status_ok = false;
  for (int i = 0; i < 4; ++i) {
    if (status.is_string() && status.get<std::string>() == kStatusNames[i]) {
      p.order.status = static_cast<plugins::Order::Status>(i);
      status_ok = true;
    }
  }
  if (!status_ok) return bad("bad status");
  const Json lines = j.value("lines", Json());
  if (!lines.is_array() || lines.empty()) return bad("no lines");
  for (const Json& l : lines) {
    if (!l.is_object() || !l.value("listing_id", Json()).is_string() ||
        !l.value("quantity", Json()).is_number_integer() ||
        !l.value("quantity_shipped", Json()).is_number_integer() ||
        !l.value("quantity_cancelled", Json()).is_number_integer() ||
        !l.value("location", Json()).is_string()) {
      return bad("bad line");
    }
    p.order.lines.push_back({l["listing_id"].get<std::string>(), l["quantity"].get<int64_t>(),
                             l["quantity_shipped"].get<int64_t>(),
                             l["quantity_cancelled"].get<int64_t>(),
                             l["location"].get<std::string>()});
  }
  const Json missing = j.value("missing", Json());
  if (!missing.is_array()) return bad("no missing listings");
  for (const Json& m : missing) {
    if (!m.is_string()) return bad("bad missing listing");
    p.missing.push_back(m.get<std::string>());
  }
  return p;
}

// ---------------------------------------------------------------- memory

absl::StatusOr<std::map<std::string, std::string>> MemoryOrderStore::LoadCursors() {
  absl::MutexLock lock(&mu_);
  return cursors_;
}

absl::Status MemoryOrderStore::SaveCursor(const std::string& channel, const std::string& cursor) {
  absl::MutexLock lock(&mu_);
  cursors_[channel] = cursor;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ParkedOrder>> MemoryOrderStore::LoadParked() {
  absl::MutexLock lock(&mu_);
  std::vector<ParkedOrder> out;
  for (const auto& [key, parked] : parked_) out.push_back(parked);
  return out;
}

absl::Status MemoryOrderStore::Park(const ParkedOrder& parked) {
  absl::MutexLock lock(&mu_);
  parked_[{parked.channel, parked.order.order_id}] = parked;
  return absl::OkStatus();
}

absl::Status MemoryOrderStore::Unpark(const std::string& channel, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  parked_.erase({channel, order_id});
  return absl::OkStatus();
}

// ---------------------------------------------------------------- redis

RedisOrderStore::RedisOrderStore(std::string address, int64_t timeout_ms, std::string key_prefix,
                                 storage::RedisSecurity security)
    : address_(std::move(address)),
      timeout_ms_(timeout_ms),
      tag_(absl::StrCat("{", key_prefix, "}:")),
      security_(std::move(security)) {}

RedisOrderStore::~RedisOrderStore() = default;

absl::Status RedisOrderStore::EnsureConnected() {
  if (redis_ != nullptr && redis_->ok()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<storage::RedisConnection>> conn =
      storage::RedisConnection::Connect(address_, timeout_ms_, security_);
  if (!conn.ok()) return conn.status();
  redis_ = std::move(*conn);
  return absl::OkStatus();
}

absl::Status RedisOrderStore::Write(const storage::Args& args) {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  absl::StatusOr<storage::Reply> reply = redis_->Command(args);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Unavailable(*reply);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> RedisOrderStore::LoadCursors() {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  std::map<std::string, std::string> out;
  absl::Status st =
      storage::ScanHash(*redis_, CursorKey(), 1000, [&](std::string& channel, std::string& cursor) {
        out[channel] = std::move(cursor);
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return out;
}

absl::Status RedisOrderStore::SaveCursor(const std::string& channel, const std::string& cursor) {
  return Write({"HSET", CursorKey(), channel, cursor});
}

absl::StatusOr<std::vector<ParkedOrder>> RedisOrderStore::LoadParked() {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = EnsureConnected(); !st.ok()) return st;
  std::map<std::string, ParkedOrder> by_field;  // HSCAN may repeat a field: the last wins
  absl::Status st = storage::ScanHash(
      *redis_, UnmappedKey(), 1000, [&](std::string& field, std::string& value) -> absl::Status {
        const size_t space = field.find(' ');
        if (space == std::string::npos) {
          return absl::DataLossError(
              absl::StrCat("redis key '", UnmappedKey(), "': field '", field, "' has no space"));
        }
        absl::StatusOr<ParkedOrder> parked = DecodeParked(field.substr(0, space), value);
        if (!parked.ok()) return parked.status();
        by_field[field] = *std::move(parked);
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  std::vector<ParkedOrder> out;
  for (auto& [field, parked] : by_field) out.push_back(std::move(parked));
  return out;
}

absl::Status RedisOrderStore::Park(const ParkedOrder& parked) {
  return Write({"HSET", UnmappedKey(), ParkedField(parked.channel, parked.order.order_id),
                EncodeParked(parked)});
}

absl::Status RedisOrderStore::Unpark(const std::string& channel, const std::string& order_id) {
  return Write({"HDEL", UnmappedKey(), ParkedField(channel, order_id)});
}

}  // namespace stockd::orders
