// stockd-echo-server: the gRPC ceiling for stockd-bench. One service,
// stockd.bench.v1.Echo (a unary call and a stream shaped like stockd's Session), on a callback
// server built like the daemon's (default server options and threads, the same max message size,
// the health service on), answering from the gRPC thread at once. No engine, no storage: what it
// serves per second is the most any gRPC daemon on this machine can serve with the same client.
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
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bench/echo.grpc.pb.h"

namespace {

constexpr char kUsage[] =
    "usage: stockd-echo-server [--listen HOST:PORT] [--arg NAME=VALUE ...]\n"
    "  --listen   default 127.0.0.1:50552\n"
    "  --arg      a gRPC server channel argument (an integer value, else a string), e.g.\n"
    "             grpc.optimization_target=throughput, grpc.http2.bdp_probe=0: the\n"
    "             transport options docs/benchmarks.md compares\n";
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

  grpc::ServerBidiReactor<stockd::bench::v1::EchoBatch, stockd::bench::v1::EchoBatch>* EchoStream(
      grpc::CallbackServerContext* /*context*/) override {
    return new EchoStreamReactor();
  }

 private:
  // Reads continuously; items read while a write is on the wire go out together in the
  // next write, as stockd's Session stream batches results.
  class EchoStreamReactor final
      : public grpc::ServerBidiReactor<stockd::bench::v1::EchoBatch, stockd::bench::v1::EchoBatch> {
   public:
    EchoStreamReactor() {
      absl::MutexLock lock(&mu_);
      writing_ = true;  // the first reply: empty, like stockd's window announcement
      StartWrite(&current_);
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        half_closed_ = true;
        MaybeFinishLocked();
        return;
      }
      for (stockd::bench::v1::EchoItem& item : *request_.mutable_items()) {
        stockd::bench::v1::EchoItem* out = pending_.add_items();
        out->set_tag(item.tag());
        if (request_.reply_bytes() > 0) {
          out->mutable_payload()->assign(std::min(request_.reply_bytes(), kMaxReplyBytes), 'x');
        } else {
          out->mutable_payload()->swap(*item.mutable_payload());
        }
      }
      MaybeWriteLocked();
      StartRead(&request_);
    }
    void OnWriteDone(bool ok) override {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
        finished_ = true;
        return;
      }
      MaybeWriteLocked();
      MaybeFinishLocked();
    }
    void OnDone() override { delete this; }

   private:
    void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (writing_ || finished_ || pending_.items_size() == 0) return;
      current_.Clear();
      current_.Swap(&pending_);
      writing_ = true;
      StartWrite(&current_);
    }
    void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (finished_ || !half_closed_ || writing_ || pending_.items_size() > 0) return;
      finished_ = true;
      Finish(grpc::Status::OK);
    }

    absl::Mutex mu_;
    stockd::bench::v1::EchoBatch request_;  // the read buffer
    stockd::bench::v1::EchoBatch pending_ ABSL_GUARDED_BY(mu_);
    stockd::bench::v1::EchoBatch current_ ABSL_GUARDED_BY(mu_);
    bool writing_ ABSL_GUARDED_BY(mu_) = false;
    bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
    bool finished_ ABSL_GUARDED_BY(mu_) = false;
  };
};

}  // namespace

int main(int argc, char** argv) {
  // Like stockd (daemon/main.cc): Debian's absl records every lock in a deadlock graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string listen = "127.0.0.1:50552";
  std::vector<std::pair<std::string, std::string>> args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--arg") == 0 && i + 1 < argc) {
      const std::string arg = argv[++i];
      const size_t eq = arg.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "stockd-echo-server: --arg wants NAME=VALUE, got '" << arg << "'\n";
        return 2;
      }
      args.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
      continue;
    }
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
  for (const auto& [name, value] : args) {
    char* end = nullptr;
    const long number = std::strtol(value.c_str(), &end, 10);
    if (!value.empty() && end != nullptr && *end == '\0') {
      builder.AddChannelArgument(name, static_cast<int>(number));
    } else {
      builder.AddChannelArgument(name, value);
    }
    std::cerr << "stockd-echo-server: channel argument " << name << "=" << value << "\n";
  }
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
