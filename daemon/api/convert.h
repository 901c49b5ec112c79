// Conversions between the public API (stockd.v1 protobuf) and the engine's values, and
// from absl::Status to grpc::Status. This is the only place that knows both sides.
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_API_CONVERT_H_
#define STOCKD_DAEMON_API_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/engine.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::api {

grpc::Status ToGrpc(const absl::Status& status);

// Requests -> engine commands (meta is filled by the caller).
engine::CommandBody ToCommand(const v1::ReserveRequest& r);
engine::CommandBody ToCommand(const v1::ExtendRequest& r);
engine::CommandBody ToCommand(const v1::CommitRequest& r);
engine::CommandBody ToCommand(const v1::ReleaseRequest& r);
engine::CommandBody ToCommand(const v1::FulfillRequest& r);
engine::CommandBody ToCommand(const v1::CancelRequest& r);
engine::CommandBody ToCommand(const v1::SellRequest& r);
engine::CommandBody ToCommand(const v1::AdjustRequest& r);
engine::CommandBody ToCommand(const v1::CountRequest& r);
engine::CommandBody ToCommand(const v1::TransferRequest& r);

// Engine values -> messages.
void ToProto(const engine::HoldView& v, v1::Hold* out);
void ToProto(const engine::RowView& v, v1::StockRow* out);
void ToProto(const engine::AuditEntry& e, v1::AuditEntry* out);
void ToProto(const engine::Explanation& e, v1::ExplainResponse* out);
void ToProto(const engine::AvailabilityItem& i, v1::Availability* out);
void ToProto(const engine::InvariantReport& r, v1::CheckInvariantsResponse* out);
// The model's locations and channels (policies as configured) and the engine's counts;
// the caller adds what only the server knows (config path, listen address, version).
void ToProto(const engine::Model& m, const engine::EngineStats& stats, v1::ConfigSummary* out);

// Outcome -> the response message of each operation.
void ToResponse(const engine::Outcome& o, v1::ReserveResponse* out);
void ToResponse(const engine::Outcome& o, v1::HoldResponse* out);
void ToResponse(const engine::Outcome& o, v1::SellResponse* out);
void ToResponse(const engine::Outcome& o, v1::StockRowResponse* out);
void ToResponse(const engine::Outcome& o, v1::TransferResponse* out);

engine::HoldState FromProto(v1::HoldState s);  // UNSPECIFIED is not valid here
engine::HoldView FromProto(const v1::Hold& h);
engine::RowView FromProto(const v1::StockRow& r);
v1::HoldState ToProto(engine::HoldState s);

}  // namespace stockd::api

#endif  // STOCKD_DAEMON_API_CONVERT_H_
