#include "daemon/server/call_helpers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace stockd::server {
namespace {
constexpr char kActorHeader[] = "x-stockd-actor";
}  // namespace

engine::CommandMeta Meta(grpc::CallbackServerContext* ctx, const std::string& request_id,
                         const Caller& caller) {
  engine::CommandMeta meta;
  meta.request_id = request_id;
  if (!caller.name.empty()) {
    meta.actor = caller.name;
    return meta;
  }
  const auto& md = ctx->client_metadata();
  auto it = md.find(kActorHeader);
  if (it != md.end()) {
    meta.actor.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
  } else {
    meta.actor = ctx->peer();
  }
  return meta;
}

grpc::Status KnownChannel(const engine::Model& model, const std::string& id, bool empty_ok) {
  if ((empty_ok && id.empty()) || model.ChannelIndex(id) >= 0) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("unknown channel '", id, "'"));
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace stockd::server
