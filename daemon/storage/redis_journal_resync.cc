// RedisJournal's re-sync after an outage (docs/storage.md "Re-sync"): identifying a
// connection (CLIENT ID, run_id), reconnecting, fencing the failed batches, comparing
// meta.sequence, writing the failed records again, and re-arming. The writer and its
// batches are in redis_journal.cc.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/storage/redis_journal.h"

namespace stockd::storage {

absl::StatusOr<RedisJournal::Identity> RedisJournal::Identify(RedisConnection& redis) {
  Identity id;
  absl::StatusOr<Reply> client = redis.Command({"CLIENT", "ID"});
  if (!client.ok()) return client.status();
  if (client->type == Reply::Type::kInteger) id.client_id = client->integer;
  absl::StatusOr<Reply> info = redis.Command({"INFO", "server"});
  if (!info.ok()) return info.status();
  if (info->type == Reply::Type::kString) {
    for (absl::string_view line : absl::StrSplit(info->str, '\n')) {
      if (absl::ConsumePrefix(&line, "run_id:")) {
        id.run_id = std::string(absl::StripTrailingAsciiWhitespace(line));
      }
    }
  }
  return id;
}

absl::Status RedisJournal::Reconnect() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<Reply> pong = (*conn)->Command({"PING"});
  if (!pong.ok()) return pong.status();
  if (pong->is_error()) return absl::UnavailableError(absl::StrCat("redis: ", pong->str));
  absl::StatusOr<Identity> identity = Identify(**conn);
  if (!identity.ok()) return identity.status();
  absl::MutexLock lock(&mu_);
  pending_connection_ = std::move(*conn);  // the writer adopts it
  pending_identity_ = std::move(*identity);
  return absl::OkStatus();
}

void RedisJournal::MarkHealthy(uint64_t stored_sequence) {
  absl::MutexLock lock(&mu_);
  healthy_ = true;
  ++epoch_;
  durable_sequence_ = stored_sequence;
  failed_.clear();
  failed_sent_.clear();
  caught_up_.clear();
  unfenced_.clear();  // fenced by the CatchUp that asked for the reload, if it could
  partial_exec_ = false;
}

bool RedisJournal::Rearm(Records* durable) {
  absl::MutexLock lock(&mu_);
  // A record that failed after CatchUp looked (a mutation that passed the engine's gate
  // just before it closed) is in memory but not in Redis yet.
  if (!failed_.empty() || !queue_.empty() || in_flight_ != 0) return false;
  healthy_ = true;
  *durable = std::move(caught_up_);
  caught_up_.clear();
  return true;
}

void RedisJournal::KeepFailed(const std::vector<Item>& batch, bool sent) {
  for (const Item& item : batch) {
    if (item.epoch == epoch_) failed_.push_back(item.record);
  }
  if (sent && !batch.empty()) {
    failed_sent_.emplace_back(failed_.size(), batch.back().record->sequence);
    unfenced_.push_back(writer_identity_);
  }
}

absl::StatusOr<CatchUpResult> RedisJournal::CatchUp() {
  CatchUpResult result;
  auto reload = [&](std::string why) {
    result.reload = true;
    result.why = std::move(why);
    return result;
  };
  if (!stores_sequence_) {
    return reload("the journal's batch writer does not store meta.sequence (bench)");
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  RedisConnection& redis = **conn;
  absl::StatusOr<Identity> self = Identify(redis);
  if (!self.ok()) return self.status();

  // 1. Fence: a batch still queued in Redis on a connection we gave up on must not land
  // after we have looked (or, worse, after newer batches). Killing its client settles
  // it: either its EXEC has run, or it never will.
  std::vector<Identity> unfenced;
  {
    absl::MutexLock lock(&mu_);
    unfenced = unfenced_;
  }
  // Client ids are per server run: a connection of an earlier run (Redis restarted since:
  // another run_id) is gone with that process, its batch applied or never; only the
  // current run's are killed. Whether a restarted Redis came back with everything we
  // know of is for step 2 to say, as after any outage: an older AOF or snapshot, or none,
  // holds an older meta.sequence.
  std::string restarted;
  std::vector<uint64_t> to_kill;
  for (const Identity& old : unfenced) {
    if (old.run_id.empty() || old.client_id == 0 || self->run_id.empty()) {
      return reload("redis does not report CLIENT ID and run_id: a failed batch cannot be fenced");
    }
    if (old.run_id != self->run_id) {
      restarted =
          absl::StrCat("redis restarted (run_id ", old.run_id, " -> ", self->run_id, ") and ");
    } else {
      to_kill.push_back(old.client_id);
    }
  }
  // Kept in unfenced_ until this CatchUp succeeds: a later attempt checks the run_id
  // again (a kill of a client already gone answers 0).
  for (uint64_t client_id : to_kill) {
    absl::StatusOr<Reply> killed = redis.Command({"CLIENT", "KILL", "ID", absl::StrCat(client_id)});
    if (!killed.ok()) return killed.status();
    // CLIENT KILL ID answers how many it killed (0: already gone, its data all read).
    if (killed->is_error() && !absl::StrContains(killed->str, "No such client")) {
      return reload(absl::StrCat("CLIENT KILL refused: ", killed->str));
    }
  }

  // 2. Where Redis is: meta.sequence is written by every batch, in its MULTI/EXEC.
  absl::StatusOr<Reply> meta = redis.Command({"HGET", options_.keys.Meta(), "sequence"});
  if (!meta.ok()) return meta.status();
  uint64_t stored = 0;
  if (meta->type == Reply::Type::kString && !absl::SimpleAtoi(meta->str, &stored)) {
    return reload(absl::StrCat("unreadable ", options_.keys.Meta(), " sequence '", meta->str, "'"));
  }
  if (meta->is_error() && absl::StartsWith(meta->str, "LOADING")) {
    // A restarted Redis still replaying its AOF: ask again when it has.
    return absl::UnavailableError(absl::StrCat("redis is loading its data: ", meta->str));
  }
  if (meta->type != Reply::Type::kString && meta->type != Reply::Type::kNil) {
    return reload(absl::StrCat("unexpected reply to HGET ", options_.keys.Meta(), ": ", meta->str));
  }

  // 3. Which prefix of the failed records that is; the rest is written again.
  Records missing;
  {
    absl::MutexLock lock(&mu_);
    if (partial_exec_) return reload("a batch failed inside EXEC (Redis applied part of it)");
    size_t landed = 0;
    bool explained = stored == durable_sequence_;
    for (const auto& [end, sequence] : failed_sent_) {
      if (!explained && stored == sequence) {
        landed = end;
        explained = true;
      }
    }
    if (!explained) {
      return reload(absl::StrCat(restarted, "redis holds sequence ", stored, ", the journal knows ",
                                 durable_sequence_,
                                 failed_sent_.empty() ? "" : " or a failed batch's"));
    }
    if (landed > 0) {
      durable_sequence_ = stored;
      caught_up_.insert(caught_up_.end(), failed_.begin(), failed_.begin() + landed);
      result.landed = static_cast<int64_t>(landed);
    }
    missing.assign(failed_.begin() + landed, failed_.end());
    failed_.clear();
    failed_sent_.clear();
  }

  // 4. Write them again, in order, in batches as the writer would.
  for (size_t from = 0; from < missing.size();) {
    const size_t n = std::min(missing.size() - from, static_cast<size_t>(options_.max_batch));
    std::vector<const engine::MutationRecord*> records;
    for (size_t i = from; i < from + n; ++i) records.push_back(missing[i].get());
    absl::Status st;
    bool partial = false;
    {
      absl::MutexLock lock(&batch_mu_);
      const std::vector<Args> commands = Prepare(records);
      st = redis.Send(commands);
      if (st.ok()) st = Confirm(redis, commands, n, &partial);
    }
    absl::MutexLock lock(&mu_);
    if (!st.ok()) {
      // This batch is now the one of unknown outcome: keep it and the rest as failed,
      // before any record that failed since (only doomed ones: none was sent).
      failed_.insert(failed_.begin(), missing.begin() + from, missing.end());
      failed_sent_.insert(failed_sent_.begin(), {n, records.back()->sequence});
      unfenced_.push_back(*self);
      partial_exec_ = partial;
      return st;
    }
    durable_sequence_ = records.back()->sequence;
    caught_up_.insert(caught_up_.end(), missing.begin() + from, missing.begin() + from + n);
    stats_.resent_records += static_cast<int64_t>(n);
    result.resent += static_cast<int64_t>(n);
    from += n;
  }
  absl::MutexLock lock(&mu_);
  unfenced_.erase(unfenced_.begin(), unfenced_.begin() + unfenced.size());
  return result;
}

}  // namespace stockd::storage
