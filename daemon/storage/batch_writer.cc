#include "daemon/storage/batch_writer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace stockd::storage {

StoredBatchWriter::StoredBatchWriter(KeyLayout keys, WriteOptions write)
    : keys_(std::move(keys)), write_(std::move(write)) {}

void StoredBatchWriter::Write(const std::vector<const engine::MutationRecord*>& records,
                              std::vector<Args>* out) {
  const size_t first = out->size();
  const bool audited = AppendBatchCommands(keys_, write_, records, out);
  // The XADD is the last command AppendBatchCommands appends.
  pending_xadd_ = audited ? std::optional<size_t>(out->size() - 1 - first) : std::nullopt;
  // Trim the audit stream by mutations, not stream entries (one entry is one batch): once
  // the entries this writer added hold 10% more than audit_max_len mutations, everything
  // older than the oldest entry still needed goes (MINID also trims entries from before a
  // restart: they are older still).
  const int64_t keep = write_.audit_max_len;
  if (audited && audit_total_ > keep + keep / 10) {
    while (!audit_entries_.empty() && audit_total_ - audit_entries_.front().second >= keep) {
      audit_total_ -= audit_entries_.front().second;
      audit_entries_.pop_front();
    }
    if (!audit_entries_.empty()) {
      out->push_back({"XTRIM", keys_.Audit(), "MINID", "~", audit_entries_.front().first});
    }
  }
  // And by age (redis.audit_max_age), at most once a minute of the engine's clock: a stream
  // id is its XADD's time in ms, so MINID <now - max age> drops exactly what is older
  // (exact, not "~": a retention bound is a promise; trimming frees whole listpack nodes,
  // milliseconds even for a large first trim). Placed before the batch's own XADD, which
  // it must never take.
  const engine::AuditEntry* newest = records.empty() ? nullptr : records.back()->audit.get();
  if (audited && write_.audit_max_age_ms > 0 && newest != nullptr &&
      newest->time_ms - last_age_trim_ms_ >= kAgeTrimEveryMs) {
    last_age_trim_ms_ = newest->time_ms;
    const size_t xadd = first + *pending_xadd_;
    out->insert(
        out->begin() + static_cast<std::ptrdiff_t>(xadd),
        Args{"XTRIM", keys_.Audit(), "MINID",
             absl::StrCat(std::max<int64_t>(0, newest->time_ms - write_.audit_max_age_ms))});
    ++*pending_xadd_;
  }
  out->push_back({"HSET", keys_.Meta(), "sequence", absl::StrCat(records.back()->sequence),
                  "schema", absl::StrCat(kSchemaVersion)});
}

void StoredBatchWriter::Landed(const std::vector<Reply>& replies, size_t records) {
  if (pending_xadd_.has_value() && *pending_xadd_ < replies.size() &&
      replies[*pending_xadd_].type == Reply::Type::kString) {
    audit_entries_.emplace_back(replies[*pending_xadd_].str, static_cast<int64_t>(records));
    audit_total_ += static_cast<int64_t>(records);
  }
  pending_xadd_.reset();
}

}  // namespace stockd::storage
