// Hold commands: reserve, commit, release, fulfill, cancel, extend, hold, holds.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

constexpr int kHoldArg = 0;

// Parses positionals [first, end) as hold lines into `lines`. Locations are
// accepted only when `allow_location`.
void ParseLines(Invocation& invocation, size_t first, bool allow_location,
                google::protobuf::RepeatedPtrField<v1::HoldLine>* lines) {
  const auto& positionals = invocation.args.positionals();
  for (size_t i = first; i < positionals.size(); ++i) {
    std::optional<LineArg> line = ParseLineArg(positionals[i]);
    absl::string_view syntax = allow_location ? "SKU:QTY[@LOCATION]" : "SKU:QTY";
    if (!line || (!allow_location && !line->location.empty())) {
      invocation.args.Fail(absl::StrCat("'", positionals[i], "' is not ", syntax));
      return;
    }
    v1::HoldLine* out = lines->Add();
    out->set_sku(line->sku);
    out->set_qty(line->qty);
    out->set_location(line->location);
  }
}

int PrintHoldResult(Invocation& invocation, const v1::Hold& hold,
                    const google::protobuf::Message& response) {
  if (invocation.json()) {
    PrintJson(invocation.out, response);
  } else {
    PrintHold(invocation.out, hold);
  }
  return kExitOk;
}

// Runs one of the hold transitions that take a hold id and answer a HoldResponse.
template <typename Request>
int RunTransition(Invocation& invocation,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                               v1::HoldResponse*),
                  Request& request) {
  if (!invocation.args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());
  request.set_hold_id(invocation.args.positional(kHoldArg));
  v1::HoldResponse response;
  grpc::Status status = invocation.client.Call(method, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  return PrintHoldResult(invocation, response.hold(), response);
}

}  // namespace

int RunReserve(Invocation& invocation) {
  v1::ReserveRequest request;
  request.set_channel(invocation.args.positional(0));
  ParseLines(invocation, 1, /*allow_location=*/true, request.mutable_lines());
  if (invocation.args.Has("ttl")) {
    request.set_ttl_ms(invocation.args.DurationMs(invocation.args.Value("ttl"), "--ttl"));
  }
  request.set_reference(invocation.args.Value("ref"));
  request.set_single_location(invocation.args.Has("single-location"));
  if (!invocation.args.ok()) return invocation.BadArguments();
  request.set_request_id(invocation.RequestId());

  v1::ReserveResponse response;
  grpc::Status status = invocation.client.Call(&Stub::Reserve, request, &response);
  if (!status.ok()) return ReportRpcError(status, request.request_id());
  return PrintHoldResult(invocation, response.hold(), response);
}

int RunCommit(Invocation& invocation) {
  v1::CommitRequest request;
  ParseLines(invocation, 1, /*allow_location=*/true, request.mutable_lines());
  return RunTransition(invocation, &Stub::Commit, request);
}

int RunRelease(Invocation& invocation) {
  v1::ReleaseRequest request;
  return RunTransition(invocation, &Stub::Release, request);
}

int RunFulfill(Invocation& invocation) {
  v1::FulfillRequest request;
  ParseLines(invocation, 1, /*allow_location=*/true, request.mutable_lines());
  return RunTransition(invocation, &Stub::Fulfill, request);
}

int RunCancel(Invocation& invocation) {
  v1::CancelRequest request;
  return RunTransition(invocation, &Stub::Cancel, request);
}

int RunExtend(Invocation& invocation) {
  v1::ExtendRequest request;
  request.set_ttl_ms(invocation.args.DurationMs(invocation.args.positional(1), "DURATION"));
  return RunTransition(invocation, &Stub::Extend, request);
}

int RunHold(Invocation& invocation) {
  v1::GetHoldRequest request;
  request.set_hold_id(invocation.args.positional(kHoldArg));
  v1::Hold hold;
  grpc::Status status = invocation.client.Call(&Stub::GetHold, request, &hold);
  if (!status.ok()) return ReportRpcError(status);
  return PrintHoldResult(invocation, hold, hold);
}

int RunHolds(Invocation& invocation) {
  Args& args = invocation.args;
  v1::ListHoldsRequest request;
  request.set_channel(args.Value("channel"));
  request.set_sku(args.Value("sku"));
  if (args.Has("state")) {
    std::string name = absl::AsciiStrToLower(args.Value("state"));
    std::optional<v1::HoldState> state = ParseHoldState(name);
    if (!state) {
      args.Fail(absl::StrCat("--state: '", name,
                             "' is not one of held|committed|released|expired|fulfilled|"
                             "cancelled"));
    } else {
      request.set_state(*state);
    }
  }
  if (args.Has("limit")) {
    request.set_limit(args.PositiveInt32(args.Value("limit"), "--limit"));
  }
  if (!args.ok()) return invocation.BadArguments();

  v1::ListHoldsResponse response;
  grpc::Status status = invocation.client.Call(&Stub::ListHolds, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  if (response.holds().empty()) {
    invocation.out << "no holds\n";
    return kExitOk;
  }
  Table table({{"HOLD"}, {"CHANNEL"}, {"STATE"}, {"LINES"}, {"DEADLINE"}, {"REF"}});
  for (const v1::Hold& hold : response.holds()) {
    table.AddRow({hold.hold_id(), hold.channel(), std::string(HoldStateName(hold.state())),
                  FormatLines(hold.lines()), FormatDeadline(hold.deadline_ms()), hold.reference()});
  }
  table.Print(invocation.out);
  return kExitOk;
}

}  // namespace stockd::cli
