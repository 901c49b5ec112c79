#include "daemon/server/decode_errors.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace stockd::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

class DecodeErrors final : public grpc::experimental::Interceptor {
 public:
  // `method` is the registered method's name, owned by the server and alive for the call.
  explicit DecodeErrors(const char* method) : method_(method == nullptr ? "" : method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("the request could not be decoded as the request message of ",
                                    method_, " (malformed or truncated protobuf)")));
    }
    methods->Proceed();
  }

 private:
  const char* const method_;  // not copied: this runs on every call
  bool undecodable_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new DecodeErrors(info->method());
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> DecodeErrorInterceptor() {
  return std::make_unique<Factory>();
}

}  // namespace stockd::server
