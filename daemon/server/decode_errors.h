// gRPC's callback API answers a request it cannot decode with UNIMPLEMENTED and an empty
// message, which reads as "no such method". This server interceptor turns that answer
// into INVALID_ARGUMENT naming the method, as docs/design.md asks of bad input. Calls to
// methods that do not exist keep UNIMPLEMENTED.
//
// Thread safety: the factory is stateless; gRPC makes one interceptor per call.
#ifndef STOCKD_DAEMON_SERVER_DECODE_ERRORS_H_
#define STOCKD_DAEMON_SERVER_DECODE_ERRORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace stockd::server {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> DecodeErrorInterceptor();

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_DECODE_ERRORS_H_
