// Stock commands: get, sell, adjust, count, transfer.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

struct ReasonName {
  absl::string_view name;
  v1::AdjustReason reason;
};
constexpr ReasonName kReasons[] = {
    {"receipt", v1::RECEIPT},     {"return", v1::RETURN},         {"damage", v1::DAMAGE},
    {"shrinkage", v1::SHRINKAGE}, {"correction", v1::CORRECTION},
};

std::string Units(int64_t n) { return absl::StrCat(n, n == 1 ? " unit" : " units"); }

int PrintBeforeAfter(Invocation& invocation, const v1::StockRowResponse& response) {
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  StockRowTable table("WHEN");
  table.Add(response.before(), "before");
  table.Add(response.after(), "after");
  table.Print(invocation.out);
  return kExitOk;
}

}  // namespace

int RunGet(Invocation& invocation) {
  const auto& positionals = invocation.args.positionals();
  v1::GetStockRequest request;
  request.set_sku(positionals[0]);
  for (size_t i = 1; i < positionals.size(); ++i) request.add_locations(positionals[i]);
  v1::GetStockResponse response;
  grpc::Status status = invocation.client.Call(&Stub::GetStock, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  if (response.rows().empty()) {
    invocation.out << "no stock of " << request.sku() << "\n";
    return kExitOk;
  }
  Table table({{"LOCATION"}, Num("ON_HAND"), Num("HELD"), Num("COMMITTED"), Num("FREE")});
  for (const v1::StockRow& row : response.rows()) {
    table.AddRow({row.location(), absl::StrCat(row.on_hand()), absl::StrCat(row.held()),
                  absl::StrCat(row.committed()), absl::StrCat(row.free())});
  }
  invocation.out << request.sku() << "\n";
  table.Print(invocation.out);
  return kExitOk;
}

int RunSell(Invocation& invocation) {
  Args& args = invocation.args;
  v1::SellRequest request;
  request.set_channel(args.positional(0));
  request.set_location(args.positional(1));
  request.set_sku(args.positional(2));
  request.set_qty(args.PositiveInt(args.positional(3), "QTY"));
  request.set_override(args.Has("override"));
  request.set_reference(args.Value("ref"));
  if (!args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());

  v1::SellResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Sell, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  invocation.out << "sold " << request.qty() << " x " << request.sku() << " at "
                 << request.location() << " on " << request.channel() << "\n";
  StockRowTable table("WHEN");
  table.Add(response.row(), "after");
  table.Print(invocation.out);
  if (response.breach()) {
    invocation.out << "BREACH: sold " << Units(response.breach_units()) << " beyond what "
                   << request.channel() << " may sell\n";
  }
  return kExitOk;
}

int RunAdjust(Invocation& invocation) {
  Args& args = invocation.args;
  v1::AdjustRequest request;
  request.set_location(args.positional(0));
  request.set_sku(args.positional(1));
  request.set_delta(args.Int(args.positional(2), "DELTA"));
  request.set_note(args.Value("note"));
  if (!args.Has("reason")) {
    args.Fail("--reason is required (receipt|return|damage|shrinkage|correction)");
  } else {
    std::string name = absl::AsciiStrToLower(args.Value("reason"));
    const ReasonName* match = nullptr;
    for (const ReasonName& reason : kReasons) {
      if (reason.name == name) match = &reason;
    }
    if (match == nullptr) {
      args.Fail(absl::StrCat("--reason: '", name,
                             "' is not one of receipt|return|damage|shrinkage|correction"));
    } else {
      request.set_reason(match->reason);
    }
  }
  if (!args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());

  v1::StockRowResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Adjust, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  return PrintBeforeAfter(invocation, response);
}

int RunCount(Invocation& invocation) {
  Args& args = invocation.args;
  v1::CountRequest request;
  request.set_location(args.positional(0));
  request.set_sku(args.positional(1));
  request.set_on_hand(args.Int(args.positional(2), "ON_HAND"));
  if (args.Has("expected")) request.set_expected(args.Int(args.Value("expected"), "--expected"));
  if (args.Has("observed-at")) {
    request.set_observed_at_ms(
        args.TimeMs(args.Value("observed-at"), "--observed-at", absl::ToUnixMillis(absl::Now())));
  }
  request.set_note(args.Value("note"));
  if (!args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());

  v1::StockRowResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Count, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  return PrintBeforeAfter(invocation, response);
}

int RunTransfer(Invocation& invocation) {
  Args& args = invocation.args;
  v1::TransferRequest request;
  request.set_from_location(args.positional(0));
  request.set_to_location(args.positional(1));
  request.set_sku(args.positional(2));
  request.set_qty(args.PositiveInt(args.positional(3), "QTY"));
  request.set_note(args.Value("note"));
  if (!args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());

  v1::TransferResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Transfer, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  invocation.out << "moved " << Units(request.qty()) << " of " << request.sku() << " from "
                 << request.from_location() << " to " << request.to_location() << "\n";
  StockRowTable table("WHEN");
  table.Add(response.from(), "after");
  table.Add(response.to(), "after");
  table.Print(invocation.out);
  return kExitOk;
}

}  // namespace stockd::cli
