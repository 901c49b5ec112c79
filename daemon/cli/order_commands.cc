// Order commands: `stockctl orders problems|list|get` (docs/orders.md "Seeing problems").
#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

std::string KindName(v1::OrderProblemKind kind) {
  switch (kind) {
    case v1::BREACH:
      return "BREACH";
    case v1::BACKORDER:
      return "BACKORDER";
    case v1::UNSTOCKED:
      return "UNSTOCKED";
    case v1::UNMAPPED:
      return "UNMAPPED";
    default:
      return "?";
  }
}

std::string StatusName(v1::OrderStatus status) {
  switch (status) {
    case v1::ORDER_STATUS_PENDING:
      return "pending";
    case v1::ORDER_STATUS_ACCEPTED:
      return "accepted";
    case v1::ORDER_STATUS_SHIPPED:
      return "shipped";
    case v1::ORDER_STATUS_CANCELLED:
      return "cancelled";
    default:
      return "?";
  }
}

// "A:3@wh BIKE:2@s1": sku:qty@location per line; the component lines of one kit line
// (docs/kits.md, "Orders naming a kit") as the kit and its count, as the channel sold it.
std::string OrderLines(const v1::Order& order) {
  std::string out;
  std::string kit;                  // the kit whose component lines are being passed
  std::vector<std::string> passed;  // its components seen so far: a repeat starts a new line
  for (const v1::OrderLine& l : order.lines()) {
    if (!l.kit().empty() && l.kit() == kit &&
        std::find(passed.begin(), passed.end(), l.sku()) == passed.end()) {
      passed.push_back(l.sku());
      continue;
    }
    kit = l.kit();
    passed = {l.sku()};
    if (!out.empty()) out += " ";
    if (kit.empty() || l.per_kit() <= 0) {
      absl::StrAppend(&out, l.sku(), ":", l.qty());
    } else {
      absl::StrAppend(&out, kit, ":", l.qty() / l.per_kit());
    }
    if (!l.location().empty()) absl::StrAppend(&out, "@", l.location());
  }
  return out;
}

std::string OrderProblems(const v1::Order& order) {
  int64_t breach = 0, backorder = 0, unstocked = 0;
  for (const v1::OrderLine& l : order.lines()) {
    breach += l.breach();
    backorder += l.backorder();
    unstocked += l.unstocked();
  }
  std::string out;
  auto add = [&out](absl::string_view name, int64_t units) {
    if (units == 0) return;
    absl::StrAppend(&out, out.empty() ? "" : " ", name, ":", units);
  };
  add("breach", breach);
  add("backorder", backorder);
  add("unstocked", unstocked);
  return out.empty() ? "-" : out;
}

// Only the flags of `allowed` (a subcommand's own) may be given.
bool OnlyFlags(Invocation& invocation, absl::string_view sub,
               std::initializer_list<absl::string_view> allowed) {
  for (absl::string_view flag : {"channel", "problems", "open"}) {
    if (!invocation.args.Has(flag)) continue;
    if (std::find(allowed.begin(), allowed.end(), flag) != allowed.end()) continue;
    invocation.args.Fail(absl::StrCat("--", flag, " does not apply to 'orders ", sub, "'"));
    return false;
  }
  return true;
}

int RunProblems(Invocation& invocation) {
  if (invocation.args.positionals().size() != 1) {
    return invocation.UsageError("orders problems takes no arguments");
  }
  if (!OnlyFlags(invocation, "problems", {"channel"})) return invocation.BadArguments();
  v1::ListOrderProblemsRequest request;
  request.set_channel(invocation.args.Value("channel"));
  v1::ListOrderProblemsResponse response;
  grpc::Status status = invocation.client.Call(&Stub::ListOrderProblems, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    for (const v1::OrderProblem& p : response.problems()) PrintJson(invocation.out, p);
    return kExitOk;
  }
  if (response.problems().empty()) {
    invocation.out << "no order problems\n";
    return kExitOk;
  }
  Table table({{"KIND"},
               {"CHANNEL"},
               {"ORDER"},
               Num("REV"),
               {"SKU/LISTING"},
               {"LOCATION"},
               Num("UNITS"),
               {"SINCE"}});
  for (const v1::OrderProblem& p : response.problems()) {
    table.AddRow({KindName(p.kind()), p.channel(), p.order_id(), absl::StrCat(p.revision()),
                  p.kind() == v1::UNMAPPED ? p.listing_id() : p.sku(),
                  p.location().empty() ? "-" : p.location(),
                  p.kind() == v1::UNMAPPED ? "-" : absl::StrCat(p.units()),
                  FormatTime(p.since_ms())});
  }
  table.Print(invocation.out);
  if (response.truncated()) invocation.out << "(more problems than fit one response)\n";
  return kExitOk;
}

int RunList(Invocation& invocation) {
  if (invocation.args.positionals().size() != 1) {
    return invocation.UsageError("orders list takes no arguments");
  }
  if (!OnlyFlags(invocation, "list", {"channel", "problems", "open"})) {
    return invocation.BadArguments();
  }
  v1::ListOrdersRequest request;
  request.set_channel(invocation.args.Value("channel"));
  request.set_problems_only(invocation.args.Has("problems"));
  request.set_open_only(invocation.args.Has("open"));
  request.set_limit(1000);
  Table table(
      {{"CHANNEL"}, {"ORDER"}, Num("REV"), {"STATUS"}, {"LINES"}, {"PROBLEMS"}, {"UPDATED"}});
  bool any = false;
  do {
    v1::ListOrdersResponse response;
    grpc::Status status = invocation.client.Call(&Stub::ListOrders, request, &response);
    if (!status.ok()) return ReportRpcError(status);
    for (const v1::Order& o : response.orders()) {
      any = true;
      if (invocation.json()) {
        PrintJson(invocation.out, o);
        continue;
      }
      table.AddRow({o.channel(), o.order_id(), absl::StrCat(o.revision()), StatusName(o.status()),
                    OrderLines(o), OrderProblems(o), FormatTime(o.updated_ms())});
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (invocation.json()) return kExitOk;
  if (!any) {
    invocation.out << "no orders\n";
    return kExitOk;
  }
  table.Print(invocation.out);
  return kExitOk;
}

int RunGetOrder(Invocation& invocation) {
  const auto& positionals = invocation.args.positionals();
  if (positionals.size() != 3) return invocation.UsageError("orders get needs CHANNEL ORDER_ID");
  if (!OnlyFlags(invocation, "get", {})) return invocation.BadArguments();
  v1::GetOrderRequest request;
  request.set_channel(positionals[1]);
  request.set_order_id(positionals[2]);
  v1::Order order;
  grpc::Status status = invocation.client.Call(&Stub::GetOrder, request, &order);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, order);
    return kExitOk;
  }
  PrintFields(invocation.out,
              {{"order", absl::StrCat(order.channel(), " ", order.order_id())},
               {"revision", absl::StrCat(order.revision())},
               {"status", StatusName(order.status()) + (order.closed() ? " (closed)" : "")},
               {"hold", order.hold_id()},
               {"created", FormatTime(order.created_ms())},
               {"updated", FormatTime(order.updated_ms())}});
  Table table({{"SKU"},
               {"LOCATION"},
               Num("QTY"),
               Num("SHIPPED"),
               Num("CANCELLED"),
               Num("OPEN"),
               Num("FULFILLED"),
               Num("BREACH"),
               Num("BACKORDER"),
               Num("UNSTOCKED")});
  for (const v1::OrderLine& l : order.lines()) {
    // A kit's component line: "PEDAL (BIKE)", in component units.
    table.AddRow({l.kit().empty() ? l.sku() : absl::StrCat(l.sku(), " (", l.kit(), ")"),
                  l.location(), absl::StrCat(l.qty()), absl::StrCat(l.shipped()),
                  absl::StrCat(l.cancelled()), absl::StrCat(l.open()), absl::StrCat(l.fulfilled()),
                  absl::StrCat(l.breach()), absl::StrCat(l.backorder()),
                  absl::StrCat(l.unstocked())});
  }
  table.Print(invocation.out, 2);
  return kExitOk;
}

}  // namespace

int RunOrders(Invocation& invocation) {
  const std::string& sub = invocation.args.positional(0);
  if (sub == "problems") return RunProblems(invocation);
  if (sub == "list") return RunList(invocation);
  if (sub == "get") return RunGetOrder(invocation);
  return invocation.UsageError(absl::StrCat("'", sub, "' is not one of problems|list|get"));
}

}  // namespace stockd::cli
