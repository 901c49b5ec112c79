// `stockctl alerts` (docs/alerts.md): the recent stock alerts, or the keys raised now by
// days of cover.
#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

struct KindNames {
  v1::AlertKind kind;
  const char* name;
};
constexpr KindNames kKinds[] = {{v1::ALERT_REORDER, "reorder"},
                                {v1::ALERT_SOLD_OUT, "sold_out"},
                                {v1::ALERT_BACK_IN_STOCK, "back_in_stock"},
                                {v1::ALERT_UNCOVERED, "uncovered"},
                                {v1::ALERT_BREACH, "breach"}};

std::string KindName(v1::AlertKind kind) {
  for (const KindNames& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::optional<v1::AlertKind> ParseKind(const std::string& name) {
  for (const KindNames& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

// "12.5" days; "-" when it does not apply (sold out, back in stock) or never ends.
std::string Cover(const v1::Alert& a) {
  if (a.kind() == v1::ALERT_SOLD_OUT || a.kind() == v1::ALERT_BACK_IN_STOCK ||
      a.kind() == v1::ALERT_BREACH) {
    return "-";
  }
  if (a.days_of_cover() < 0) return "no sales";
  return absl::StrFormat("%.1f", a.days_of_cover());
}

// What a breach took and which holds an uncovered row puts at risk; "-" otherwise.
std::string Detail(const v1::Alert& a) {
  if (a.kind() == v1::ALERT_BREACH) {
    return absl::StrCat(a.units(), " beyond avail",
                        a.order_id().empty() ? "" : absl::StrCat(", order ", a.order_id()));
  }
  if (a.kind() != v1::ALERT_UNCOVERED) return "-";
  if (a.holds_at_risk() == 0) return "no hold at risk";
  std::string out = "at risk: ";
  constexpr int kShown = 3;
  for (int i = 0; i < a.hold_ids_size() && i < kShown; ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", a.hold_ids(i));
  }
  const int64_t shown = std::min<int64_t>(kShown, a.hold_ids_size());
  if (a.holds_at_risk() > shown) absl::StrAppend(&out, " (+", a.holds_at_risk() - shown, ")");
  return out;
}

}  // namespace

int RunAlerts(Invocation& invocation) {
  Args& args = invocation.args;
  v1::ListAlertsRequest request;
  request.set_active(args.Has("active"));
  for (const std::string& name : args.Values("kind")) {
    std::optional<v1::AlertKind> kind = ParseKind(name);
    if (!kind) {
      args.Fail(
          absl::StrCat("--kind: '", name,
                       "' is not one of reorder, sold_out, back_in_stock, uncovered, breach"));
      break;
    }
    request.add_kinds(*kind);
  }
  request.set_sku(args.Value("sku"));
  request.set_location(args.Value("location"));
  request.set_channel(args.Value("channel"));
  if (args.Has("limit")) request.set_limit(args.PositiveInt32(args.Value("limit"), "--limit"));
  if (!args.ok()) return invocation.BadArguments();
  v1::ListAlertsResponse response;
  grpc::Status status = invocation.client.Call(&Stub::ListAlerts, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    for (const v1::Alert& a : response.alerts()) PrintJson(invocation.out, a);
    return kExitOk;
  }
  if (response.alerts().empty()) {
    invocation.out << (request.active() ? "no alert raised now\n" : "no alerts\n");
    return kExitOk;
  }
  Table table({{"KIND"},
               {"SKU"},
               {"WHERE"},
               Num("FREE"),
               Num("POINT"),
               Num("PER DAY"),
               Num("COVER DAYS"),
               {"PUBLISHED"},
               {"DETAIL"},
               {"RAISED"}});
  for (const v1::Alert& a : response.alerts()) {
    const bool channel = !a.channel().empty();
    const bool published = a.kind() == v1::ALERT_SOLD_OUT || a.kind() == v1::ALERT_BACK_IN_STOCK;
    const bool breach = a.kind() == v1::ALERT_BREACH;
    table.AddRow(
        {KindName(a.kind()), a.sku(),
         breach    ? absl::StrCat(a.channel(), "@", a.location())
         : channel ? a.channel()
                   : (a.location().empty() ? "(all)" : a.location()),
         published || breach ? "-" : absl::StrCat(a.free()),
         a.kind() == v1::ALERT_REORDER ? absl::StrCat(a.point()) : "-",
         // A sold out raised by a mutation carries no velocity; listed as
         // active it shows the SKU's (fast movers first).
         (published || breach) && a.velocity() == 0 ? "-" : absl::StrFormat("%.2f", a.velocity()),
         Cover(a), published ? absl::StrCat(a.previous_published(), " -> ", a.published()) : "-",
         Detail(a), a.time_ms() > 0 ? FormatTime(a.time_ms()) : "(now)"});
  }
  table.Print(invocation.out);
  if (response.truncated()) invocation.out << "(more alerts matched: use --limit)\n";
  return kExitOk;
}

}  // namespace stockd::cli
