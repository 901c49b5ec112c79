#include "daemon/server/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace stockd::server {
namespace {

using config::Role;

grpc::Status Denied(std::string message) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::move(message));
}

std::string ChannelsOf(const Caller& c) {
  return c.every_channel() ? "every channel" : absl::StrJoin(c.channels, ", ");
}

grpc::Status NotYours(const Caller& c, const char* method, absl::string_view what) {
  return Denied(absl::StrCat("client '", c.name, "' may not call ", method, " for ", what,
                             " (it may act for: ", ChannelsOf(c), ")"));
}

// Whether `location` is a source of one of the caller's channels.
bool SellsFrom(const Caller& c, const engine::Model& model, absl::string_view location) {
  const int l = model.LocationIndex(std::string_view(location.data(), location.size()));
  if (l < 0) return false;
  for (const std::string& id : c.channels) {
    const int ch = model.ChannelIndex(id);
    if (ch < 0) continue;
    const std::vector<int>& sources = model.channels[ch].sources;
    if (std::find(sources.begin(), sources.end(), l) != sources.end()) return true;
  }
  return false;
}

Need Sell(const char* method, absl::string_view channel) {
  Need n;
  n.method = method;
  n.role = Role::kSell;
  n.channels.push_back(channel);
  return n;
}
Need OnHold(const char* method, absl::string_view hold) {
  Need n;
  n.method = method;
  n.role = Role::kSell;
  n.holds.push_back(hold);
  return n;
}
Need AtLocations(const char* method, std::initializer_list<absl::string_view> locations) {
  Need n;
  n.method = method;
  n.role = Role::kOperate;
  n.locations.assign(locations.begin(), locations.end());
  return n;
}

void Merge(const Need& from, Need* into) {
  into->role = std::max(into->role, from.role);
  into->channels.insert(into->channels.end(), from.channels.begin(), from.channels.end());
  into->locations.insert(into->locations.end(), from.locations.begin(), from.locations.end());
  into->holds.insert(into->holds.end(), from.holds.begin(), from.holds.end());
}

}  // namespace

Need NeedOf(const v1::ReserveRequest& r) { return Sell("Reserve", r.channel()); }
Need NeedOf(const v1::ExtendRequest& r) { return OnHold("Extend", r.hold_id()); }
Need NeedOf(const v1::CommitRequest& r) { return OnHold("Commit", r.hold_id()); }
Need NeedOf(const v1::ReleaseRequest& r) { return OnHold("Release", r.hold_id()); }
Need NeedOf(const v1::FulfillRequest& r) { return OnHold("Fulfill", r.hold_id()); }
Need NeedOf(const v1::CancelRequest& r) { return OnHold("Cancel", r.hold_id()); }
Need NeedOf(const v1::SellRequest& r) { return Sell("Sell", r.channel()); }
Need NeedOf(const v1::AdjustRequest& r) { return AtLocations("Adjust", {r.location()}); }
Need NeedOf(const v1::CountRequest& r) { return AtLocations("Count", {r.location()}); }
Need NeedOf(const v1::TransferRequest& r) {
  return AtLocations("Transfer", {r.from_location(), r.to_location()});
}

Need NeedOf(const v1::BatchOperation& op) {
  switch (op.op_case()) {
    case v1::BatchOperation::kReserve:
      return NeedOf(op.reserve());
    case v1::BatchOperation::kExtend:
      return NeedOf(op.extend());
    case v1::BatchOperation::kCommit:
      return NeedOf(op.commit());
    case v1::BatchOperation::kRelease:
      return NeedOf(op.release());
    case v1::BatchOperation::kFulfill:
      return NeedOf(op.fulfill());
    case v1::BatchOperation::kCancel:
      return NeedOf(op.cancel());
    case v1::BatchOperation::kSell:
      return NeedOf(op.sell());
    case v1::BatchOperation::kAdjust:
      return NeedOf(op.adjust());
    case v1::BatchOperation::kCount:
      return NeedOf(op.count());
    case v1::BatchOperation::kTransfer:
      return NeedOf(op.transfer());
    case v1::BatchOperation::OP_NOT_SET:
      break;
  }
  Need none;  // answered INVALID_ARGUMENT by the caller; asks nothing of anyone
  none.method = "Batch";
  none.role = Role::kRead;
  return none;
}

Need NeedOf(const v1::BatchRequest& r) {
  Need all;
  all.method = "Batch";
  all.role = Role::kRead;
  for (const v1::BatchOperation& op : r.ops()) {
    if (op.op_case() != v1::BatchOperation::OP_NOT_SET) Merge(NeedOf(op), &all);
  }
  return all;
}

grpc::Status Check(const Caller& caller, const Need& need, const engine::Engine& engine) {
  if (caller.role < need.role) {
    return Denied(absl::StrCat("client '", caller.name, "' has the role ",
                               config::RoleName(caller.role), "; ", need.method, " needs ",
                               config::RoleName(need.role)));
  }
  if (caller.every_channel()) return grpc::Status::OK;
  for (absl::string_view channel : need.channels) {
    if (!caller.MayActFor(channel)) {
      return NotYours(caller, need.method, absl::StrCat("channel '", channel, "'"));
    }
  }
  if (!need.locations.empty()) {
    const std::shared_ptr<const engine::Model> snapshot = engine.model();
    const engine::Model& model = *snapshot;
    for (absl::string_view location : need.locations) {
      if (!SellsFrom(caller, model, location)) {
        return NotYours(
            caller, need.method,
            absl::StrCat("location '", location, "' (not a source of any of its channels)"));
      }
    }
  }
  for (absl::string_view hold : need.holds) {
    absl::StatusOr<engine::HoldView> h = engine.GetHold(std::string(hold));
    if (h.ok() && !caller.MayActFor(h->channel)) {
      return NotYours(caller, need.method,
                      absl::StrCat("hold '", hold, "' of channel '", h->channel, "'"));
    }
  }
  return grpc::Status::OK;
}

grpc::Status ScopeChannels(const Caller& caller, const std::vector<std::string>& requested,
                           std::vector<std::string>* effective) {
  *effective = requested;
  if (caller.every_channel()) return grpc::Status::OK;
  if (requested.empty()) {
    *effective = caller.channels;
    return grpc::Status::OK;
  }
  for (const std::string& c : requested) {
    if (!caller.MayActFor(c)) {
      return Denied(absl::StrCat("client '", caller.name, "' may not read channel '", c,
                                 "' (it may act for: ", ChannelsOf(caller), ")"));
    }
  }
  return grpc::Status::OK;
}

grpc::Status ScopeChannel(const Caller& caller, const std::string& requested,
                          std::string* effective) {
  *effective = requested;
  if (caller.every_channel()) return grpc::Status::OK;
  if (requested.empty()) {
    if (caller.channels.size() == 1) {
      *effective = caller.channels.front();
      return grpc::Status::OK;
    }
    return Denied(absl::StrCat("client '", caller.name,
                               "' may act for several channels but not every one: name one of ",
                               ChannelsOf(caller)));
  }
  if (!caller.MayActFor(requested)) {
    return Denied(absl::StrCat("client '", caller.name, "' may not read channel '", requested,
                               "' (it may act for: ", ChannelsOf(caller), ")"));
  }
  return grpc::Status::OK;
}

grpc::Status ScopeLocations(const Caller& caller, const engine::Model& model,
                            const std::vector<std::string>& requested,
                            std::vector<std::string>* effective) {
  *effective = requested;
  if (caller.every_channel()) return grpc::Status::OK;
  if (requested.empty()) {
    effective->clear();
    for (const engine::Location& l : model.locations) {
      if (SellsFrom(caller, model, l.id)) effective->push_back(l.id);
    }
    return grpc::Status::OK;
  }
  for (const std::string& l : requested) {
    if (!SellsFrom(caller, model, l)) {
      return Denied(absl::StrCat("client '", caller.name, "' may not read location '", l,
                                 "' (not a source of any of its channels: ", ChannelsOf(caller),
                                 ")"));
    }
  }
  return grpc::Status::OK;
}

}  // namespace stockd::server
