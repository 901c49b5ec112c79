#include "daemon/server/call_helpers.h"

#include <algorithm>

namespace stockd::server {
namespace {
constexpr char kActorHeader[] = "x-stockd-actor";
}  // namespace

engine::CommandMeta Meta(grpc::CallbackServerContext* ctx, const std::string& request_id) {
  engine::CommandMeta meta;
  meta.request_id = request_id;
  const auto& md = ctx->client_metadata();
  auto it = md.find(kActorHeader);
  if (it != md.end()) {
    meta.actor.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
  } else {
    meta.actor = ctx->peer();
  }
  return meta;
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace stockd::server
