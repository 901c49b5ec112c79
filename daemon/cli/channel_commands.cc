// Channel-facing queries: avail, explain, watch.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

std::string PadRight(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string ProtectedByOthers(const v1::ExplainSource& source) {
  if (source.protected_by_others().empty()) return absl::StrCat(source.protected_total());
  std::string by = absl::StrJoin(
      source.protected_by_others(), ", ", [](std::string* out, const v1::Protection& protection) {
        absl::StrAppend(out, protection.channel(), " ", protection.units());
      });
  return absl::StrCat(source.protected_total(), " (", by, ")");
}

std::string MaxPublish(int64_t max_publish) {
  return max_publish < 0 ? "none" : absl::StrCat(max_publish);
}

// Why the min/max step gives what it gives.
std::string MinMaxReason(const v1::ExplainResponse& explain) {
  if (explain.after_share() < explain.min_publish()) {
    return absl::StrCat(explain.after_share(), " < min ", explain.min_publish(), ": publish 0");
  }
  if (explain.max_publish() >= 0 && explain.after_share() > explain.max_publish()) {
    return absl::StrCat("capped at max ", explain.max_publish());
  }
  return "within min/max";
}

// A kit's sources: kits per location and the component that bounds them.
void PrintKitSources(std::ostream& out, const v1::ExplainResponse& explain) {
  out << "  kit of "
      << absl::StrJoin(explain.kit_components(), ", ",
                       [](std::string* text, const v1::KitComponent& k) {
                         absl::StrAppend(text, k.sku(), " x", k.qty());
                       })
      << "\n\n";
  Table sources({{"SOURCE"}, Num("KITS"), {"LIMITING"}, Num("ITS_AVAIL"), Num("PER_KIT")});
  for (const v1::ExplainSource& source : explain.sources()) {
    sources.AddRow({source.location(), absl::StrCat(source.avail()), source.limiting_sku(),
                    absl::StrCat(source.limiting_avail()), absl::StrCat(source.limiting_qty())});
  }
  sources.Print(out, 2);
  out << "  (kits = min over components of floor(avail / per kit), all from one location)\n";
  if (!explain.limiting_sku().empty()) {
    out << "  limiting: " << explain.limiting_sku() << " at " << explain.limiting_location()
        << "\n";
  }
  out << "\n";
}

void PrintSources(std::ostream& out, const v1::ExplainResponse& explain) {
  Table sources({{"SOURCE"},
                 Num("ON_HAND"),
                 Num("HELD"),
                 Num("COMMITTED"),
                 Num("FREE"),
                 {"PROTECTED_BY_OTHERS"},
                 Num("AVAIL"),
                 Num("OWN_PROTECT")});
  for (const v1::ExplainSource& source : explain.sources()) {
    sources.AddRow({source.location(), absl::StrCat(source.on_hand()), absl::StrCat(source.held()),
                    absl::StrCat(source.committed()), absl::StrCat(source.free()),
                    ProtectedByOthers(source), absl::StrCat(source.avail()),
                    absl::StrCat(source.own_protect())});
  }
  sources.Print(out, 2);
  out << "  (avail = max(0, free - protected by others))\n\n";
}

void PrintSteps(std::ostream& out, const v1::ExplainResponse& explain) {
  Table steps({{"STEP"}, Num("TERM"), Num("RESULT"), {"HOW"}});
  steps.AddRow({"reservable", "", absl::StrCat(explain.reservable()),
                explain.kit_components_size() > 0 ? "sum of kits" : "sum of avail"});
  steps.AddRow({"safety stock",
                explain.safety_stock() == 0 ? "0" : absl::StrCat("-", explain.safety_stock()),
                absl::StrCat(explain.after_safety()),
                absl::StrCat("max(0, ", explain.reservable(), " - ", explain.safety_stock(), ")")});
  steps.AddRow(
      {"share", absl::StrCat(explain.share_percent(), "%"), absl::StrCat(explain.after_share()),
       absl::StrCat("floor(", explain.after_safety(), " x ", explain.share_percent(), " / 100)")});
  steps.AddRow({"min / max",
                absl::StrCat(explain.min_publish(), " / ", MaxPublish(explain.max_publish())),
                absl::StrCat(explain.published()), MinMaxReason(explain)});
  steps.Print(out, 2);
  out << "\n";

  std::string overrides = explain.overrides_applied().empty()
                              ? "none"
                              : absl::StrJoin(explain.overrides_applied(), "; ");
  PrintFields(
      out,
      {{"reservable", absl::StrCat(explain.reservable(), " (what a reserve or sale on ",
                                   explain.channel(), " may take now)")},
       {"published", absl::StrCat(explain.published(), " (what ", explain.channel(), " is shown)")},
       {"overrides", overrides},
       {"formula", explain.formula()}},
      2);
  if (!explain.plan().empty() && explain.kit_components_size() > 0) {
    // A kit's plan: every component at one location.
    const int64_t kits =
        explain.plan(0).qty() / std::max<int64_t>(1, explain.kit_components(0).qty());
    std::string parts =
        absl::StrJoin(explain.plan(), ", ", [](std::string* text, const v1::HoldLine& line) {
          absl::StrAppend(text, line.sku(), " ", line.qty());
        });
    out << "\n  a reserve of " << kits << " now: at " << explain.plan(0).location() << " (" << parts
        << ")\n";
  } else if (!explain.plan().empty()) {
    int64_t qty = 0;
    for (const v1::HoldLine& line : explain.plan()) qty += line.qty();
    std::string parts =
        absl::StrJoin(explain.plan(), " + ", [](std::string* text, const v1::HoldLine& line) {
          absl::StrAppend(text, line.qty(), " at ", line.location());
        });
    out << "\n  a reserve of " << qty
        << " now: " << (explain.plan_size() == 1 ? "whole, " : "split, ") << parts << "\n";
  } else if (!explain.plan_refused().empty()) {
    out << "\n  a reserve now: refused: " << explain.plan_refused() << "\n";
  }
}

void PrintExplain(std::ostream& out, const v1::ExplainResponse& explain) {
  out << explain.channel() << " / " << explain.sku() << "\n\n";
  if (explain.kit_components_size() > 0) {
    PrintKitSources(out, explain);
  } else {
    PrintSources(out, explain);
  }
  PrintSteps(out, explain);
}

void PrintWatchEvent(std::ostream& out, const v1::WatchEvent& event) {
  if (event.snapshot_done()) {
    out << "-- snapshot complete; watching for changes (Ctrl-C to stop) --\n";
    return;
  }
  std::string when = event.snapshot() ? "snapshot    " : FormatClock(event.time_ms());
  if (event.has_order_problem()) {
    const v1::OrderProblem& p = event.order_problem();
    out << when << "  " << PadRight(event.channel(), 12) << "  " << PadRight(event.sku(), 20)
        << "  order " << p.order_id() << " rev " << p.revision() << ": "
        << v1::OrderProblemKind_Name(p.kind()) << " "
        << (p.resolved() ? std::string("resolved") : absl::StrCat(p.units(), " units")) << "\n";
    return;
  }
  std::string change = event.snapshot()
                           ? absl::StrCat(event.published())
                           : absl::StrCat(event.previous_published(), " -> ", event.published());
  out << when << "  " << PadRight(event.channel(), 12) << "  " << PadRight(event.sku(), 20) << "  "
      << PadRight(change, 10) << "  (reservable " << event.reservable() << ")\n";
}

}  // namespace

int RunAvail(Invocation& invocation) {
  v1::GetAvailabilityRequest request;
  for (const std::string& sku : invocation.args.positionals()) request.add_skus(sku);
  for (const std::string& channel : invocation.args.Values("channel")) {
    request.add_channels(channel);
  }
  v1::GetAvailabilityResponse response;
  grpc::Status status = invocation.client.Call(&Stub::GetAvailability, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  Table table({{"SKU"}, {"CHANNEL"}, Num("RESERVABLE"), Num("PUBLISHED")});
  for (const v1::Availability& item : response.items()) {
    table.AddRow({item.sku(), item.channel(), absl::StrCat(item.reservable()),
                  absl::StrCat(item.published())});
  }
  table.Print(invocation.out);
  return kExitOk;
}

int RunExplain(Invocation& invocation) {
  v1::ExplainRequest request;
  request.set_channel(invocation.args.positional(0));
  request.set_sku(invocation.args.positional(1));
  if (invocation.args.Has("qty")) {
    request.set_qty(invocation.args.PositiveInt(invocation.args.Value("qty"), "--qty"));
  }
  request.set_single_location(invocation.args.Has("single-location"));
  if (request.single_location() && !invocation.args.Has("qty")) {
    invocation.args.Fail("--single-location plans a reserve: it needs --qty");
  }
  if (!invocation.args.ok()) return invocation.BadArguments();
  v1::ExplainResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Explain, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
  } else {
    PrintExplain(invocation.out, response);
  }
  return kExitOk;
}

int RunWatch(Invocation& invocation) {
  v1::WatchRequest request;
  for (const std::string& channel : invocation.args.Values("channel")) {
    request.add_channels(channel);
  }
  for (const std::string& sku : invocation.args.Values("sku")) request.add_skus(sku);
  request.set_snapshot(invocation.args.Has("snapshot"));

  grpc::ClientContext context;
  invocation.client.Prepare(&context, /*with_deadline=*/false);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> stream =
      invocation.client.stub().Watch(&context, request);
  v1::WatchEvent event;
  while (stream->Read(&event)) {
    if (invocation.json()) {
      PrintJson(invocation.out, event);
    } else {
      PrintWatchEvent(invocation.out, event);
    }
    invocation.out.flush();
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) return ReportRpcError(status);
  return kExitOk;
}

}  // namespace stockd::cli
