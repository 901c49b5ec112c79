#include "daemon/storage/redis_journal.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/util/clock.h"

namespace stockd::storage {

RedisJournal::RedisJournal(JournalOptions options,
                           std::function<void(const absl::Status&)> on_failure)
    : RedisJournal(options, std::make_unique<StoredBatchWriter>(options.keys, options.write),
                   std::move(on_failure)) {}

RedisJournal::RedisJournal(JournalOptions options, std::unique_ptr<BatchWriter> batch_writer,
                           std::function<void(const absl::Status&)> on_failure)
    : options_(std::move(options)),
      on_failure_(std::move(on_failure)),
      stores_sequence_(batch_writer->StoresSequence()),
      batch_writer_(std::move(batch_writer)) {}

RedisJournal::~RedisJournal() { Stop(); }

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

absl::Status RedisJournal::Start() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<Identity> identity = Identify(**conn);
  if (!identity.ok()) return identity.status();
  redis_ = std::move(*conn);
  {
    absl::MutexLock lock(&mu_);
    healthy_ = true;
    writer_identity_ = std::move(*identity);
    durable_sequence_ = options_.stored_sequence;
  }
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-journal");
    WriterLoop();
  });
  return absl::OkStatus();
}

void RedisJournal::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

void RedisJournal::Append(std::shared_ptr<const engine::MutationRecord> record,
                          std::function<void(absl::Status)> done) {
  absl::MutexLock lock(&mu_);
  if (Drained()) pending_since_ms_ = util::MonotonicMs();
  queue_.push_back(Item{std::move(record), std::move(done), !healthy_ || stopping_, epoch_});
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
  // Redis restarted (another run_id): its clients are gone, and it may hold an older
  // state. Checked before any kill: client ids are per server run.
  for (const Identity& old : unfenced) {
    if (old.run_id.empty() || old.client_id == 0 || self->run_id.empty()) {
      return reload("redis does not report CLIENT ID and run_id: a failed batch cannot be fenced");
    }
    if (old.run_id != self->run_id) {
      return reload(absl::StrCat("redis restarted (run_id ", old.run_id, " -> ", self->run_id,
                                 "): it may hold an older state"));
    }
  }
  // Kept in unfenced_ until this CatchUp succeeds: a later attempt checks the run_id
  // again (a kill of a client already gone answers 0).
  for (const Identity& old : unfenced) {
    absl::StatusOr<Reply> killed =
        redis.Command({"CLIENT", "KILL", "ID", absl::StrCat(old.client_id)});
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
      return reload(absl::StrCat("redis holds sequence ", stored, ", the journal knows ",
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

bool RedisJournal::healthy() const {
  absl::MutexLock lock(&mu_);
  return healthy_;
}

void RedisJournal::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &RedisJournal::Drained));
}

JournalStats RedisJournal::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

int64_t RedisJournal::StalledMs(int64_t now_ms) const {
  absl::MutexLock lock(&mu_);
  if (Drained()) return 0;
  return std::max<int64_t>(0, now_ms - std::max(pending_since_ms_, last_batch_done_ms_));
}

void RedisJournal::WriterLoop() {
  std::vector<Item> batch;
  // The previous batch, durable, whose callbacks have not run yet: they run while Redis
  // executes and fsyncs the next batch (answering gRPC calls is most of their cost).
  std::vector<Item> acked;
  auto complete = [](std::vector<Item>& items, const absl::Status& status) {
    for (Item& item : items) item.done(status);
    items.clear();
  };
  for (;;) {
    bool healthy = false;
    bool idle = false;
    bool exit = false;
    {
      absl::MutexLock lock(&mu_);
      idle = !acked.empty() && queue_.empty() && pending_connection_ == nullptr;
      if (!idle) {
        mu_.Await(absl::Condition(this, &RedisJournal::WriterHasWork));
        if (pending_connection_) {
          redis_ = std::move(pending_connection_);
          writer_identity_ = std::move(pending_identity_);
        }
        exit = queue_.empty() && stopping_;
        // A doomed item (appended while broken) ends the batch before it, so a batch is
        // either all writable or all doomed.
        const bool doomed = !queue_.empty() && queue_.front().doomed;
        while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_batch) &&
               queue_.front().doomed == doomed) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        in_flight_ = static_cast<int64_t>(batch.size() + acked.size());
        healthy = healthy_ && !doomed;  // on Stop, what was accepted is still written
      }
    }
    if (idle || exit || batch.empty()) {
      // Nothing to overlap the previous batch's callbacks with: run them now.
      complete(acked, absl::OkStatus());
      {
        absl::MutexLock lock(&mu_);
        in_flight_ = static_cast<int64_t>(batch.size());
      }
      if (exit) return;
      if (batch.empty()) continue;
    }

    absl::Status status;
    bool partial = false;
    if (healthy) {
      std::vector<const engine::MutationRecord*> records;
      records.reserve(batch.size());
      for (const Item& item : batch) records.push_back(item.record.get());
      absl::MutexLock batch_lock(&batch_mu_);
      const std::vector<Args> commands = Prepare(records);
      const auto sent_at = std::chrono::steady_clock::now();
      status = redis_ != nullptr && redis_->ok() ? redis_->Send(commands)
                                                 : absl::UnavailableError("redis connection lost");
      complete(acked, absl::OkStatus());
      if (status.ok()) status = Confirm(*redis_, commands, batch.size(), &partial);
      if (status.ok() && options_.on_commit) {
        options_.on_commit(batch.size(), std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now() - sent_at)
                                             .count());
      }
    } else {
      complete(acked, absl::OkStatus());
      status = absl::UnavailableError("writes are unavailable: re-syncing with Redis");
    }
    bool newly_broken = false;
    {
      absl::MutexLock lock(&mu_);
      last_batch_done_ms_ = util::MonotonicMs();
      if (status.ok()) {
        ++stats_.batches;
        stats_.records += static_cast<int64_t>(batch.size());
        stats_.max_batch_seen = std::max<int64_t>(stats_.max_batch_seen, batch.size());
        durable_sequence_ = batch.back().record->sequence;
      } else {
        stats_.failed_records += static_cast<int64_t>(batch.size());
        if (!stopping_) KeepFailed(batch, healthy);
        if (partial) partial_exec_ = true;
        if (healthy_ && healthy) {
          healthy_ = false;
          newly_broken = true;
          // Everything queued behind a failed batch fails too: it depends on it.
          for (Item& item : queue_) item.doomed = true;
        }
      }
    }
    if (status.ok()) {
      acked = std::move(batch);
    } else {
      if (newly_broken) on_failure_(status);
      complete(batch, status);
    }
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      in_flight_ = static_cast<int64_t>(acked.size());
    }
  }
}

std::vector<Args> RedisJournal::Prepare(const std::vector<const engine::MutationRecord*>& records) {
  std::vector<Args> commands;
  commands.push_back({"MULTI"});
  batch_writer_->Write(records, &commands);
  commands.push_back({"EXEC"});
  return commands;
}

absl::Status RedisJournal::Confirm(RedisConnection& redis, const std::vector<Args>& commands,
                                   size_t records, bool* partial) {
  absl::StatusOr<std::vector<Reply>> replies = redis.Receive(commands.size());
  if (!replies.ok()) return replies.status();
  const Reply& exec = replies->back();
  if (exec.type != Reply::Type::kArray) {
    // EXECABORT (a command was rejected while queueing) or a nil EXEC.
    std::string why = exec.str;
    for (const Reply& r : *replies) {
      if (r.is_error()) {
        why = r.str;
        break;
      }
    }
    return absl::UnavailableError(absl::StrCat("redis MULTI/EXEC failed: ", why));
  }
  for (const Reply& r : exec.elements) {
    if (r.is_error()) {
      *partial = true;  // the other commands of the transaction did run
      return absl::UnavailableError(absl::StrCat("redis EXEC: ", r.str));
    }
  }
  batch_writer_->Landed(exec.elements, records);
  return absl::OkStatus();
}

}  // namespace stockd::storage
