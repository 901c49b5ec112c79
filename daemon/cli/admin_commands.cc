// Admin commands: audit, check (config: config_commands.cc).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

// What an audit entry changed: "SKU@loc on_hand 4->2 held 1->0", one per row.
std::string Changes(const v1::AuditEntry& entry) {
  std::map<std::pair<std::string, std::string>, const v1::StockRow*> before;
  for (const v1::StockRow& row : entry.before()) before[{row.sku(), row.location()}] = &row;
  std::vector<std::string> changes;
  for (const v1::StockRow& after : entry.after()) {
    auto it = before.find({after.sku(), after.location()});
    v1::StockRow empty;
    const v1::StockRow& old = it == before.end() ? empty : *it->second;
    std::string change = absl::StrCat(after.sku(), "@", after.location());
    auto field = [&](absl::string_view name, int64_t from, int64_t to) {
      if (from != to) absl::StrAppend(&change, " ", name, " ", from, "->", to);
    };
    field("on_hand", old.on_hand(), after.on_hand());
    field("held", old.held(), after.held());
    field("committed", old.committed(), after.committed());
    changes.push_back(std::move(change));
  }
  return absl::StrJoin(changes, "; ");
}

}  // namespace

int RunAudit(Invocation& invocation) {
  Args& args = invocation.args;
  v1::ListAuditRequest request;
  request.set_sku(args.Value("sku"));
  request.set_location(args.Value("location"));
  request.set_channel(args.Value("channel"));
  request.set_hold_id(args.Value("hold"));
  request.set_request_id(args.Value("request-id"));
  request.set_actor(args.Value("by"));  // --actor is the global "who I am"
  request.set_page_token(args.Value("page-token"));
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  if (args.Has("since")) request.set_since_ms(args.TimeMs(args.Value("since"), "--since", now_ms));
  if (args.Has("until")) request.set_until_ms(args.TimeMs(args.Value("until"), "--until", now_ms));
  int64_t limit = 100;
  if (args.Has("limit")) limit = args.PositiveInt(args.Value("limit"), "--limit");
  const bool lines = args.Has("jsonl");
  if (!args.ok()) return invocation.BadArguments();

  // Page through the ledger until `limit` entries or its end; a page can come back short
  // (the daemon decodes at most 100,000 mutations per page), so keep going while there
  // is a token.
  v1::ListAuditResponse all;
  for (;;) {
    request.set_limit(static_cast<int32_t>(std::min<int64_t>(1000, limit - all.entries_size())));
    v1::ListAuditResponse page;
    grpc::Status status = invocation.client.Call(&Stub::ListAudit, request, &page);
    if (!status.ok()) return ReportRpcError(status);
    for (v1::AuditEntry& entry : *page.mutable_entries()) {
      if (lines) PrintJson(invocation.out, entry);
      all.add_entries()->Swap(&entry);
    }
    all.set_next_page_token(page.next_page_token());
    all.set_retention_reached(all.retention_reached() || page.retention_reached());
    all.set_oldest_retained_ms(page.oldest_retained_ms());
    all.set_scanned(all.scanned() + page.scanned());
    if (page.next_page_token().empty() || all.entries_size() >= limit) break;
    request.set_page_token(page.next_page_token());
  }
  if (lines) return kExitOk;
  if (invocation.json()) {
    PrintJson(invocation.out, all);
    return kExitOk;
  }
  if (all.entries().empty()) {
    invocation.out << "no audit entries\n";
  } else {
    Table table({Num("SEQ"),
                 {"TIME"},
                 {"ACTOR"},
                 {"OPERATION"},
                 {"CHANNEL"},
                 {"HOLD"},
                 {"REQUEST"},
                 {"REASON"},
                 {"CHANGES"}});
    for (const v1::AuditEntry& entry : all.entries()) {
      table.AddRow({absl::StrCat(entry.sequence()), FormatTime(entry.time_ms()), entry.actor(),
                    entry.operation(), entry.channel(), entry.hold_id(), entry.request_id(),
                    entry.reason(), Changes(entry)});
    }
    table.Print(invocation.out);
  }
  if (all.retention_reached()) {
    invocation.out << "older entries were trimmed (redis.audit_entries, redis.audit_max_age): "
                   << "the ledger starts at " << FormatTime(all.oldest_retained_ms()) << "\n";
  }
  if (!all.next_page_token().empty()) {
    invocation.out << "more: --page-token " << all.next_page_token() << "\n";
  }
  return kExitOk;
}

int RunCheck(Invocation& invocation) {
  v1::CheckInvariantsRequest request;
  v1::CheckInvariantsResponse response;
  grpc::Status status = invocation.client.Call(&Stub::CheckInvariants, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
  } else if (response.ok()) {
    invocation.out << "ok: " << response.rows_checked() << " stock rows and "
                   << response.holds_checked() << " holds checked, no violations\n";
  } else {
    invocation.out << "VIOLATIONS (" << response.violations_size() << ") in "
                   << response.rows_checked() << " stock rows and " << response.holds_checked()
                   << " holds:\n";
    for (const std::string& violation : response.violations()) {
      invocation.out << "  " << violation << "\n";
    }
  }
  if (!invocation.json() && response.uncovered_size() > 0) {
    invocation.out << "uncovered (" << response.uncovered_size()
                   << "): free < 0, open holds at risk (stockctl alerts --kind uncovered):\n";
    for (const std::string& row : response.uncovered()) invocation.out << "  " << row << "\n";
  }
  return response.ok() ? kExitOk : kExitFailed;
}

int RunResync(Invocation& invocation) {
  Args& args = invocation.args;
  v1::ResyncRequest request;
  request.set_channel(args.positional(0));
  request.set_force(args.Has("force"));
  v1::ResyncResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Resync, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  invocation.out << response.channel() << ": " << response.checked() << " SKUs checked against "
                 << (response.fetched() ? "the channel's own numbers"
                                        : "the last acknowledged numbers")
                 << ", " << response.drifted() << " drifted (corrections queued)\n";
  if (response.largest_size() > 0) {
    Table table({{"SKU"}, {"LISTING"}, Num("CHANNEL SHOWS"), Num("SHOULD SHOW")});
    for (const v1::DriftItem& d : response.largest()) {
      table.AddRow({d.sku(), d.listing_id(),
                    d.channel_quantity() < 0 ? "-" : absl::StrCat(d.channel_quantity()),
                    absl::StrCat(d.published())});
    }
    table.Print(invocation.out, 2);
  }
  return kExitOk;
}

namespace {

const char* ClassName(v1::ReconcileRow::Class c) {
  switch (c) {
    case v1::ReconcileRow::OK:
      return "ok";
    case v1::ReconcileRow::IN_FLIGHT:
      return "in_flight";
    case v1::ReconcileRow::DRIFT:
      return "drift";
    case v1::ReconcileRow::UNKNOWN_LISTING:
      return "unknown_listing";
    default:
      return "?";
  }
}

std::string Quantity(int64_t q) { return q < 0 ? "-" : absl::StrCat(q); }

}  // namespace

int RunReconcile(Invocation& invocation) {
  v1::ReconcileRequest request;
  request.set_channel(invocation.args.positional(0));
  v1::ReconcileResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Reconcile, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  invocation.out << response.channel() << ": "
                 << response.ok() + response.in_flight() + response.drift() +
                        response.unknown_listing()
                 << " SKUs, the channel's own numbers at " << FormatTime(response.time_ms())
                 << (response.orders_polled()
                         ? ""
                         : " (its adapter cannot poll orders: un-ingested not counted)")
                 << "\n";
  Table table({{"SKU"},
               {"LISTING"},
               Num("PUBLISHED"),
               Num("ACKED"),
               Num("CHANNEL"),
               Num("UN-INGESTED"),
               {"CLASS"}});
  for (const v1::ReconcileRow& row : response.rows()) {
    table.AddRow({row.sku(), row.listing_id(), absl::StrCat(row.published()), Quantity(row.acked()),
                  Quantity(row.channel()), absl::StrCat(row.uningested()),
                  ClassName(row.class_())});
  }
  if (!table.empty()) table.Print(invocation.out);
  if (response.rows_truncated()) {
    invocation.out << "(rows past the response size limit left out; the counts cover all)\n";
  }
  invocation.out << "ok " << response.ok() << ", in_flight " << response.in_flight() << ", drift "
                 << response.drift() << (response.drift() > 0 ? " (pushes queued)" : "")
                 << ", unknown_listing " << response.unknown_listing() << "\n";
  return kExitOk;
}

int RunPushStatus(Invocation& invocation) {
  v1::GetPushStatusRequest request;
  if (!invocation.args.positionals().empty()) request.set_channel(invocation.args.positional(0));
  v1::GetPushStatusResponse response;
  grpc::Status status = invocation.client.Call(&Stub::GetPushStatus, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  if (response.channels().empty()) {
    invocation.out << "no channel has an adapter\n";
    return kExitOk;
  }
  Table table({{"CHANNEL"},
               {"ADAPTER"},
               Num("BACKLOG"),
               Num("ACKED"),
               Num("PUSHES"),
               Num("OK"),
               Num("RETRY"),
               Num("REJECTED"),
               Num("P50 MS"),
               Num("P99 MS"),
               {"LAST ERROR"}});
  for (const v1::PushStatus& p : response.channels()) {
    table.AddRow({p.channel(), p.adapter(), absl::StrCat(p.dirty()), absl::StrCat(p.acknowledged()),
                  absl::StrCat(p.pushes()), absl::StrCat(p.items_ok()),
                  absl::StrCat(p.items_retry()), absl::StrCat(p.items_permanent()),
                  absl::StrCat(p.latency_p50_ms()), absl::StrCat(p.latency_p99_ms()),
                  p.last_error()});
  }
  table.Print(invocation.out);
  return kExitOk;
}

}  // namespace stockd::cli
