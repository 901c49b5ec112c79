// The live-reload RPCs of StockService (docs/reload.md): ReloadConfig re-reads the config
// file and applies it as SIGHUP does; DiffConfig is its dry run. Both go through the
// daemon's ConfigReloader and run on its thread, which finishes the reactor: no gRPC
// thread reads the file or waits for the engine's locks. The server's drain waits for
// one in progress like for any call.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/api/convert.h"
#include "daemon/server/call_helpers.h"
#include "daemon/server/stock_service.h"

namespace stockd::server {
namespace {

void ToProto(const ReloadReport& r, v1::ConfigDiff* out) {
  for (const engine::ChannelDiff& c : r.model.channels) {
    v1::ChannelQuantityDiff* ch = out->add_channels();
    ch->set_channel(c.channel);
    ch->set_added(c.added);
    ch->set_skus_changed(c.skus_changed);
    ch->set_units_changed(c.units_changed);
    ch->set_net_change(c.net_change);
    ch->set_skus_zeroed(c.skus_zeroed);
    for (const engine::SkuChange& s : c.top) {
      v1::SkuQuantityChange* t = ch->add_top();
      t->set_sku(s.sku);
      t->set_before(s.before);
      t->set_after(s.after);
    }
  }
  for (const std::string& id : r.model.locations_added) out->add_locations_added(id);
  for (const std::string& id : r.model.channels_added) out->add_channels_added(id);
  for (const std::string& id : r.model.channels_changed) out->add_channels_changed(id);
  out->set_overrides_added(r.model.overrides_added);
  out->set_overrides_removed(r.model.overrides_removed);
  out->set_overrides_changed(r.model.overrides_changed);
  out->set_reorder_rules_added(r.model.reorder_rules_added);
  out->set_reorder_rules_removed(r.model.reorder_rules_removed);
  out->set_reorder_rules_changed(r.model.reorder_rules_changed);
  out->set_alert_options_changed(r.model.alert_options_changed);
  out->set_skus(r.model.skus);
  for (const std::string& key : r.restart_required) out->add_restart_required(key);
  out->set_clients(static_cast<int32_t>(r.clients));
  for (const std::string& id : r.channels.adapters_added) out->add_adapters_added(id);
  for (const std::string& id : r.channels.adapters_removed) out->add_adapters_removed(id);
  for (const std::string& id : r.channels.adapters_changed) out->add_adapters_changed(id);
  for (const std::string& id : r.channels.orders_changed) out->add_orders_changed(id);
}

// The config is every channel's: a client scoped to some channels may not change or read
// it, whatever its role.
grpc::Status EveryChannel(const Caller& caller, const char* method) {
  if (caller.every_channel()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("client '", caller.name, "' may act for ",
                                   absl::StrJoin(caller.channels, ", "), " only: ", method,
                                   " concerns every channel's configuration and needs a client "
                                   "of every channel (one without `channels`)"));
}

// Shortens every channel's top list (the figures stay whole) until the answer, with its
// framing, fits in `max_response_bytes`: 256 channels x 1,000 SKUs would not.
void FitTops(int64_t max_response_bytes, v1::ConfigDiff* diff) {
  const int64_t max_bytes = max_response_bytes - 1024;  // the response's other fields
  int keep = 0;
  for (const v1::ChannelQuantityDiff& c : diff->channels()) keep = std::max(keep, c.top_size());
  while (keep > 0 && static_cast<int64_t>(diff->ByteSizeLong()) > max_bytes) {
    keep /= 2;
    for (v1::ChannelQuantityDiff& c : *diff->mutable_channels()) {
      if (c.top_size() > keep) c.mutable_top()->DeleteSubrange(keep, c.top_size() - keep);
    }
  }
}

grpc::Status NoReload() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this server was started without a config file to reload");
}

}  // namespace

grpc::ServerUnaryReactor* StockService::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                     const v1::ReloadConfigRequest* req,
                                                     v1::ReloadConfigResponse* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kAdmin, "ReloadConfig", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (grpc::Status st = EveryChannel(*caller, "ReloadConfig"); !st.ok()) return FinishNow(ctx, st);
  if (config_admin_ == nullptr) return FinishNow(ctx, NoReload());
  absl::StatusOr<int> top_n = TopNOf(req->top_n());
  if (!top_n.ok()) return FinishNow(ctx, api::ToGrpc(top_n.status()));
  // The audit entry's "who" is the client, or with authentication off the actor header or
  // the peer, as for every mutation.
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  config_admin_->QueueReload(
      Meta(ctx, "", *caller).actor, *top_n,
      [this, reactor, resp](absl::StatusOr<ReloadReport> report) {
        if (report.ok()) {
          ToProto(*report, resp->mutable_applied());
          FitTops(options_.max_response_bytes, resp->mutable_applied());
          resp->set_locked_us(report->locked_us);
          resp->set_total_us(report->total_us);
          resp->set_config_path(config_admin_->config_path());
        }
        reactor->Finish(api::ToGrpc(report.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* StockService::DiffConfig(grpc::CallbackServerContext* ctx,
                                                   const v1::DiffConfigRequest* req,
                                                   v1::ConfigDiff* resp) {
  std::shared_ptr<const Caller> caller;
  if (grpc::Status st = Admit(ctx, config::Role::kAdmin, "DiffConfig", &caller); !st.ok()) {
    return FinishNow(ctx, st);
  }
  if (grpc::Status st = EveryChannel(*caller, "DiffConfig"); !st.ok()) return FinishNow(ctx, st);
  if (config_admin_ == nullptr) return FinishNow(ctx, NoReload());
  absl::StatusOr<int> top_n = TopNOf(req->top_n());
  if (!top_n.ok()) return FinishNow(ctx, api::ToGrpc(top_n.status()));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  config_admin_->QueueDiff(req->yaml(), req->source_name(), *top_n,
                           [this, reactor, resp](absl::StatusOr<ReloadReport> report) {
                             if (report.ok()) {
                               ToProto(*report, resp);
                               FitTops(options_.max_response_bytes, resp);
                             }
                             reactor->Finish(api::ToGrpc(report.status()));
                           });
  return reactor;
}

}  // namespace stockd::server
