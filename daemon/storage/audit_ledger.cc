#include "daemon/storage/audit_ledger.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace stockd::storage {
namespace {

// Stream entries fetched per XREVRANGE (one entry is one group commit).
constexpr int kEntriesPerRead = 64;

// A place in the stream: the entry `id`, and within it the mutations below `below`
// (0 = all of them).
struct Position {
  std::string id;
  uint64_t below = 0;
};

std::string Token(const Position& p) { return absl::StrCat(p.id, "/", p.below); }

// "<ms>-<seq>" with both parts numbers: a stream entry id.
bool IsStreamId(const std::string& id, uint64_t* ms = nullptr) {
  std::vector<std::string> parts = absl::StrSplit(id, '-');
  uint64_t a = 0, b = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) || !absl::SimpleAtoi(parts[1], &b)) {
    return false;
  }
  if (ms != nullptr) *ms = a;
  return true;
}

absl::StatusOr<Position> ParseToken(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '/');
  Position p;
  if (parts.size() != 2 || !IsStreamId(parts[0]) || !absl::SimpleAtoi(parts[1], &p.below) ||
      p.below == 0) {
    return absl::InvalidArgumentError("page_token: not a token this call returned");
  }
  p.id = std::move(parts[0]);
  return p;
}

// XINFO STREAM's first entry's time and whether entries were ever trimmed or deleted: it
// has added more entries in its lifetime (entries-added, Redis 7.0) than it holds
// (length). A missing stream is an empty ledger.
absl::Status ReadRetention(RedisConnection& redis, const std::string& key, int64_t* oldest_ms,
                           bool* trimmed) {
  absl::StatusOr<Reply> info = redis.Command({"XINFO", "STREAM", key});
  if (!info.ok()) return info.status();
  *oldest_ms = 0;
  *trimmed = false;
  if (info->is_error()) {
    if (absl::StrContains(info->str, "no such key")) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("XINFO STREAM ", key, ": ", info->str));
  }
  const std::vector<Reply>& kv = info->elements;
  long long length = -1, added = -1;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    const std::string& name = kv[i].str;
    const Reply& value = kv[i + 1];
    if (name == "first-entry" && value.type == Reply::Type::kArray && !value.elements.empty()) {
      uint64_t ms = 0;
      if (IsStreamId(value.elements[0].str, &ms)) *oldest_ms = static_cast<int64_t>(ms);
    } else if (name == "length") {
      length = value.integer;
    } else if (name == "entries-added") {
      added = value.integer;
    }
  }
  *trimmed = length >= 0 && added > length;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AuditPage> AuditLedger::Query(const engine::AuditQuery& query, int limit,
                                             const std::string& page_token,
                                             int64_t scan_budget) const {
  limit = std::max(limit, 1);
  scan_budget = std::max<int64_t>(scan_budget, 1);
  Position from;
  if (!page_token.empty()) {
    absl::StatusOr<Position> parsed = ParseToken(page_token);
    if (!parsed.ok()) return parsed.status();
    from = std::move(*parsed);
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  RedisConnection& redis = **conn;
  const std::string key = options_.keys.Audit();

  AuditPage page;
  bool trimmed = false;
  if (absl::Status st = ReadRetention(redis, key, &page.oldest_retained_ms, &trimmed); !st.ok()) {
    return st;
  }

  // The id range: from the token (inclusive: mutations below `from.below` in it), else the
  // newest; narrowed by the time bounds, widened by the clock slack.
  std::string end = from.id.empty() ? "+" : from.id;
  if (query.until_ms > 0) {
    const std::string until = absl::StrCat(query.until_ms + kClockSlackMs);
    uint64_t end_ms = 0;
    if (end == "+" || (IsStreamId(end, &end_ms) &&
                       end_ms > static_cast<uint64_t>(query.until_ms + kClockSlackMs))) {
      end = until;
    }
  }
  const std::string start =
      query.since_ms > kClockSlackMs ? absl::StrCat(query.since_ms - kClockSlackMs) : "-";

  Position last;  // the last mutation decoded
  bool exhausted = false, budget_out = false;
  while (page.entries.size() <= static_cast<size_t>(limit) && !budget_out) {
    absl::StatusOr<Reply> read =
        redis.Command({"XREVRANGE", key, end, start, "COUNT", absl::StrCat(kEntriesPerRead)});
    if (!read.ok()) return read.status();
    if (read->is_error()) {
      return absl::UnavailableError(absl::StrCat("XREVRANGE ", key, ": ", read->str));
    }
    if (read->elements.empty()) {
      exhausted = true;
      break;
    }
    for (const Reply& entry : read->elements) {
      if (entry.elements.size() != 2) return absl::DataLossError("malformed audit stream entry");
      const std::string& id = entry.elements[0].str;
      const std::vector<Reply>& fields = entry.elements[1].elements;
      // Fields are (sequence, StoredAuditEntry) pairs in sequence order: newest last.
      for (size_t i = fields.size(); i >= 2; i -= 2) {
        uint64_t sequence = 0;
        if (!absl::SimpleAtoi(fields[i - 2].str, &sequence)) {
          return absl::DataLossError(absl::StrCat("audit stream entry ", id, ": field '",
                                                  fields[i - 2].str, "' is not a sequence"));
        }
        if (id == from.id && from.below > 0 && sequence >= from.below) continue;
        if (page.scanned >= scan_budget) {
          budget_out = true;
          break;
        }
        ++page.scanned;
        last = Position{id, sequence};
        absl::StatusOr<engine::AuditEntry> decoded = DecodeAudit(fields[i - 1].str);
        if (!decoded.ok()) {
          return absl::DataLossError(
              absl::StrCat("audit stream entry ", id, " sequence ", sequence, ": undecodable"));
        }
        if (!query.Matches(*decoded)) continue;
        page.entries.push_back(std::move(*decoded));
        page.token_after.push_back(Token(last));
        if (page.entries.size() > static_cast<size_t>(limit)) break;
      }
      if (budget_out || page.entries.size() > static_cast<size_t>(limit)) break;
    }
    if (read->elements.size() < static_cast<size_t>(kEntriesPerRead) && !budget_out &&
        page.entries.size() <= static_cast<size_t>(limit)) {
      exhausted = true;
      break;
    }
    end = "(" + read->elements.back().elements[0].str;  // older than the last one read
  }

  if (page.entries.size() > static_cast<size_t>(limit)) {
    page.entries.resize(limit);
    page.token_after.resize(limit);
    page.next_page_token = page.token_after.back();
  } else if (budget_out) {
    page.next_page_token = Token(last);
  }
  page.retention_reached =
      exhausted && trimmed && (query.since_ms == 0 || query.since_ms < page.oldest_retained_ms);
  return page;
}

AuditLedger::~AuditLedger() { Stop(); }

void AuditLedger::QueryAsync(engine::AuditQuery query, int limit, std::string page_token,
                             Done done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the audit ledger is stopping");
    } else if (jobs_.size() >= kMaxQueued) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("audit ledger: ", kMaxQueued, " queries already wait; try again"));
    } else {
      jobs_.push_back(Job{std::move(query), limit, std::move(page_token), std::move(done)});
      if (!worker_.joinable()) worker_ = std::thread([this] { WorkLoop(); });
      return;
    }
  }
  done(refused);
}

void AuditLedger::WorkLoop() {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &AuditLedger::HasWork));
      if (jobs_.empty()) return;  // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.done(Query(job.query, job.limit, job.page_token));
  }
}

void AuditLedger::Stop() {
  std::deque<Job> left;
  std::thread worker;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    left.swap(jobs_);
    worker = std::move(worker_);
  }
  for (Job& job : left) job.done(absl::UnavailableError("the audit ledger is stopping"));
  if (worker.joinable()) worker.join();
}

}  // namespace stockd::storage
