// StockService's admission of a call (docs/security.md): who is calling (auth.h), and
// whether their role and channels allow it (access.h). Every handler admits its call
// before it validates or applies anything.
#include "daemon/server/stock_service.h"

namespace stockd::server {
namespace {

const std::shared_ptr<const Caller>& Anonymous() {
  static const auto* anonymous = new std::shared_ptr<const Caller>([] {
    auto c = std::make_shared<Caller>();
    c->role = config::Role::kAdmin;
    return c;
  }());
  return *anonymous;
}

}  // namespace

grpc::Status StockService::Admit(grpc::CallbackServerContext* ctx, config::Role role,
                                 const char* method,
                                 std::shared_ptr<const Caller>* caller) const {
  Need need;
  need.method = method;
  need.role = role;
  return Admit(ctx, need, caller);
}

grpc::Status StockService::Admit(grpc::CallbackServerContext* ctx, const Need& need,
                                 std::shared_ptr<const Caller>* caller) const {
  if (auth_ == nullptr) {
    *caller = Anonymous();
    return grpc::Status::OK;
  }
  if (grpc::Status st = auth_->Identify(*ctx, caller); !st.ok()) return st;
  return Check(**caller, need, *engine_);
}

}  // namespace stockd::server
