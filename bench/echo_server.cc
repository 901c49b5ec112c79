// stockd-echo-server: the gRPC ceiling for stockd-bench. One unary service,
// stockd.bench.v1.Echo, on a callback server built like the daemon's (default server
// options and threads, the same max message size, the health service on), answering from
// the gRPC thread at once. No engine, no storage: what it serves per second is the most
// any gRPC daemon on this machine can serve with the same client.
//
//   stockd-echo-server [--listen 127.0.0.1:50552]
//
// Runs in the foreground until SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bench/echo.grpc.pb.h"

namespace {

constexpr char kUsage[] =
    "usage: stockd-echo-server [--listen HOST:PORT]   (default 127.0.0.1:50552)\n";
constexpr int kMaxReplyBytes = 4 << 20;

class EchoService final : public stockd::bench::v1::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const stockd::bench::v1::EchoRequest* request,
                                 stockd::bench::v1::EchoReply* reply) override {
    if (request->reply_bytes() > 0) {
      reply->mutable_payload()->assign(std::min(request->reply_bytes(), kMaxReplyBytes), 'x');
    } else {
      *reply->mutable_payload() = request->payload();
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Like stockd (daemon/main.cc): Debian's absl records every lock in a deadlock graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string listen = "127.0.0.1:50552";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else if (std::strncmp(argv[i], "--listen=", 9) == 0) {
      listen = argv[i] + 9;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "stockd-echo-server: unknown argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
  }

  // Signals are taken by sigwait below; block them before gRPC starts its threads so
  // none of those threads receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EchoService service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (port == 0 && listen.rfind("unix:", 0) != 0)) {
    std::cerr << "stockd-echo-server: cannot listen on '" << listen << "' (address in use?)\n";
    return 1;
  }
  std::cerr << "stockd-echo-server: listening on " << listen << "\n";

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << "stockd-echo-server: " << strsignal(signal_number) << ", shutting down\n";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
