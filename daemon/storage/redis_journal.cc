#include "daemon/storage/redis_journal.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
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
