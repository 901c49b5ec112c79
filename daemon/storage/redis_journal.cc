#include "daemon/storage/redis_journal.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"

namespace stockd::storage {

RedisJournal::RedisJournal(JournalOptions options,
                           std::function<void(const absl::Status&)> on_failure)
    : options_(std::move(options)), on_failure_(std::move(on_failure)) {}

RedisJournal::~RedisJournal() { Stop(); }

absl::Status RedisJournal::Start() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  redis_ = std::move(*conn);
  {
    absl::MutexLock lock(&mu_);
    healthy_ = true;
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
  queue_.push_back(Item{std::move(record), std::move(done), !healthy_ || stopping_});
}

absl::Status RedisJournal::Reconnect() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<Reply> pong = (*conn)->Command({"PING"});
  if (!pong.ok()) return pong.status();
  if (pong->is_error()) return absl::UnavailableError(absl::StrCat("redis: ", pong->str));
  absl::MutexLock lock(&mu_);
  pending_connection_ = std::move(*conn);  // the writer adopts it
  return absl::OkStatus();
}

void RedisJournal::MarkHealthy() {
  absl::MutexLock lock(&mu_);
  healthy_ = true;
}

bool RedisJournal::healthy() const {
  absl::MutexLock lock(&mu_);
  return healthy_;
}

void RedisJournal::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](RedisJournal* j) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return j->queue_.empty() && j->in_flight_ == 0;
      },
      this));
}

JournalStats RedisJournal::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
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
        mu_.Await(absl::Condition(
            +[](RedisJournal* j) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return !j->queue_.empty() || j->stopping_ || j->pending_connection_ != nullptr;
            },
            this));
        if (pending_connection_) redis_ = std::move(pending_connection_);
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
    if (healthy) {
      Prepared prepared = Prepare(batch);
      status = redis_ != nullptr && redis_->ok()
                   ? redis_->Send(prepared.commands)
                   : absl::UnavailableError("redis connection lost");
      complete(acked, absl::OkStatus());
      if (status.ok()) status = Confirm(prepared, batch.size());
    } else {
      complete(acked, absl::OkStatus());
      status = absl::UnavailableError("writes are unavailable: re-syncing with Redis");
    }
    bool newly_broken = false;
    {
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        ++stats_.batches;
        stats_.records += static_cast<int64_t>(batch.size());
        stats_.max_batch_seen = std::max<int64_t>(stats_.max_batch_seen, batch.size());
      } else {
        stats_.failed_records += static_cast<int64_t>(batch.size());
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

RedisJournal::Prepared RedisJournal::Prepare(const std::vector<Item>& batch) {
  Prepared p;
  std::vector<Args>& commands = p.commands;
  std::vector<const engine::MutationRecord*> records;
  records.reserve(batch.size());
  for (const Item& item : batch) records.push_back(item.record.get());
  commands.push_back({"MULTI"});
  if (options_.batch_body) {
    options_.batch_body(records, &commands);
    commands.push_back({"EXEC"});
    return p;
  }
  p.audited = AppendBatchCommands(options_.keys, options_.write, records, &commands);
  p.xadd_index = commands.size() - 2;  // in EXEC's reply (MULTI not counted)
  // Trim the audit stream by mutations, not stream entries (one entry is one batch): once
  // the entries this writer added hold 10% more than audit_max_len mutations, everything
  // older than the oldest entry still needed goes (MINID also trims entries from before a
  // restart: they are older still).
  const int64_t keep = options_.write.audit_max_len;
  if (p.audited && audit_total_ > keep + keep / 10) {
    while (!audit_entries_.empty() && audit_total_ - audit_entries_.front().second >= keep) {
      audit_total_ -= audit_entries_.front().second;
      audit_entries_.pop_front();
    }
    if (!audit_entries_.empty()) {
      commands.push_back({"XTRIM", options_.keys.Audit(), "MINID", "~",
                          audit_entries_.front().first});
    }
  }
  commands.push_back({"HSET", options_.keys.Meta(), "sequence",
                      absl::StrCat(batch.back().record->sequence), "schema",
                      absl::StrCat(kSchemaVersion)});
  commands.push_back({"EXEC"});
  return p;
}

absl::Status RedisJournal::Confirm(const Prepared& p, size_t records) {
  absl::StatusOr<std::vector<Reply>> replies = redis_->Receive(p.commands.size());
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
    if (r.is_error()) return absl::UnavailableError(absl::StrCat("redis EXEC: ", r.str));
  }
  if (p.audited && p.xadd_index < exec.elements.size() &&
      exec.elements[p.xadd_index].type == Reply::Type::kString) {
    audit_entries_.emplace_back(exec.elements[p.xadd_index].str, static_cast<int64_t>(records));
    audit_total_ += static_cast<int64_t>(records);
  }
  return absl::OkStatus();
}

}  // namespace stockd::storage
