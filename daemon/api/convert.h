// Conversions between the public API (stockd.v1 protobuf) and the engine's values, and
// from absl::Status to grpc::Status. This is the only place that knows both sides: the
// server dispatches calls and sets no message field itself. (The Redis records have their
// own messages, encoded and decoded by daemon/storage.)
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_API_CONVERT_H_
#define STOCKD_DAEMON_API_CONVERT_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/push_report.h"
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
// The model's locations and channels (policies as configured), the engine's counts, and
// what only the server knows (config path, listen address, version).
void ToProto(const engine::Model& m, const engine::EngineStats& stats,
             absl::string_view config_path, absl::string_view listen, absl::string_view version,
             v1::ConfigSummary* out);
// A Watch event: a published change (live, or part of the snapshot when `snapshot`), and
// the marker that ends the snapshot.
v1::WatchEvent ToWatchEvent(uint64_t sequence, const engine::PublishedChange& c, bool snapshot);
v1::WatchEvent SnapshotDoneEvent(uint64_t sequence);

// Orders (docs/orders.md).
v1::OrderStatus ToProto(engine::OrderStatus s);
void ToProto(const engine::OrderView& v, v1::Order* out);
// The problems of one order: one row per (line, kind) with units > 0, in line order,
// per line BREACH, BACKORDER, UNSTOCKED.
std::vector<v1::OrderProblem> ToProblems(const engine::OrderView& v);
// An order parked as unmapped (the orders layer's list), one row per listing.
v1::OrderProblem UnmappedProblem(const std::string& channel, const std::string& order_id,
                                 int64_t revision, const std::string& listing_id, int64_t since_ms);
// What an applied revision announces to watchers: a new breach, a new unstocked
// shipment, a backorder that grew (units: the shortfall now) or one covered (units 0,
// `resolved`). Each names the first line carrying its kind (a resolved backorder: the
// first line). Empty when the revision raised no problem.
std::vector<v1::OrderProblem> ToWatchProblems(const engine::OrderEvent& e);
// A Watch event that is an order problem or a stock alert (published fields 0; the
// sequence is set when the event is written).
v1::WatchEvent ToWatchNotice(const v1::OrderProblem& p);
v1::WatchEvent ToWatchNotice(const engine::AlertEvent& a);
// Alerts as an adapter gets them (adapter.h notify_alerts): a JSON array of
// stockd.v1.Alert in the protobuf JSON mapping with the proto field names.
std::string AlertsJson(const std::vector<engine::AlertEvent>& alerts);

// Stock alerts (docs/alerts.md), both ways for the kind (UNSPECIFIED and unknown values
// map to nothing: false).
v1::AlertKind ToProto(engine::AlertKind k);
bool FromProto(v1::AlertKind k, engine::AlertKind* out);
void ToProto(const engine::AlertEvent& a, v1::Alert* out);

// Push engine reports (engine/push_report.h) -> messages.
void ToProto(const engine::PusherStats& s, v1::PushStatus* out);
void ToProto(const std::string& channel, const engine::DriftReport& r, v1::ResyncResponse* out);

// Outcome -> the response message of each operation.
void ToResponse(const engine::Outcome& o, v1::ReserveResponse* out);
void ToResponse(const engine::Outcome& o, v1::HoldResponse* out);
void ToResponse(const engine::Outcome& o, v1::SellResponse* out);
void ToResponse(const engine::Outcome& o, v1::StockRowResponse* out);
void ToResponse(const engine::Outcome& o, v1::TransferResponse* out);
// A Batch result that failed: its code and message.
void ToBatchError(const absl::Status& status, v1::BatchResult* out);

engine::HoldState FromProto(v1::HoldState s);  // UNSPECIFIED is not valid here
v1::HoldState ToProto(engine::HoldState s);

}  // namespace stockd::api

#endif  // STOCKD_DAEMON_API_CONVERT_H_
