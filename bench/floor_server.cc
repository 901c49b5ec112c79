// stockd-floor-server: stockd's own engine, gRPC service and group-committing Redis
// journal, writing a minimal payload. scripts/bench runs it beside stockd to bound what
// any design that acknowledges a mutation only after Redis has it (and, with `always`,
// has fsynced it) can reach on this machine.
//
// Everything is the daemon's code path except what one group commit writes: the daemon
// writes the rows, holds, idempotency records and audit entries of the batch
// (daemon/storage/records.h); this server writes one APPEND of the batch's sequence
// numbers (its own storage::BatchWriter), inside the same MULTI/EXEC, on the same
// connection, to an embedded redis-server started the same way (same appendfsync). The
// gap between the two is what stockd's stored state costs; the gap between this and the
// echo server is what an acknowledged round trip to Redis costs. Not a product: it keeps
// nothing a restart could load.
//
// Usage: stockd-floor-server --config FILE   (a stockd config: server.listen, data_dir,
//        redis.appendfsync, locations, channels, policies; redis.mode must be embedded)
// Prints "stockd-floor-server: listening on PORT" on stderr once it serves.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/server/stock_service.h"
#include "daemon/server/watch_hub.h"
#include "daemon/storage/batch_writer.h"
#include "daemon/storage/embedded_redis.h"
#include "daemon/storage/redis_journal.h"

namespace {

constexpr char kUsage[] = "usage: stockd-floor-server --config FILE\n";

int Fail(const std::string& what) {
  std::cerr << "stockd-floor-server: " << what << "\n";
  return 1;
}

// One APPEND per group commit: the sequence numbers of its mutations. Stores no
// meta.sequence, so the journal re-syncs after an outage only by a full reload (which the
// floor never asks for: it has no DurableStore).
class AppendSequences final : public stockd::storage::BatchWriter {
 public:
  void Write(const std::vector<const stockd::engine::MutationRecord*>& records,
             std::vector<stockd::storage::Args>* out) override {
    std::string sequences;
    for (const stockd::engine::MutationRecord* r : records) {
      absl::StrAppend(&sequences, r->sequence, ",");
    }
    out->push_back({"APPEND", "{stockd-floor}:sequences", std::move(sequences)});
  }
  bool StoresSequence() const override { return false; }
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as daemon/main.cc
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "stockd-floor-server: unknown argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  absl::StatusOr<stockd::config::Config> config = stockd::config::LoadConfigFile(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  if (config->redis.mode != stockd::config::RedisConfig::Mode::kEmbedded) {
    return Fail("redis.mode must be embedded (the floor starts its own redis-server)");
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  stockd::storage::EmbeddedRedisOptions ro;
  ro.data_dir = config->data_dir;
  ro.appendfsync = config->redis.appendfsync;
  absl::StatusOr<std::unique_ptr<stockd::storage::EmbeddedRedis>> redis =
      stockd::storage::EmbeddedRedis::Start(ro);
  if (!redis.ok()) return Fail(std::string(redis.status().message()));

  stockd::storage::JournalOptions jo;
  jo.address = (*redis)->address();
  jo.timeout_ms = config->redis.timeout_ms;
  jo.max_batch = config->redis.max_batch;
  stockd::storage::RedisJournal journal(
      jo, std::make_unique<AppendSequences>(), [](const absl::Status& st) {
        std::cerr << "stockd-floor-server: journal failed: " << st << "\n";
      });
  if (absl::Status st = journal.Start(); !st.ok()) return Fail(std::string(st.message()));

  stockd::engine::EngineOptions eo = config->engine;
  eo.journal = &journal;
  absl::StatusOr<std::unique_ptr<stockd::engine::Engine>> engine =
      stockd::engine::Engine::Create(config->model, eo);
  if (!engine.ok()) return Fail(std::string(engine.status().message()));
  stockd::server::WatchHub hub;
  (*engine)->AddListener(&hub);

  stockd::server::ServiceOptions so;
  so.max_batch = config->server.max_batch;
  so.config_path = config_path;
  so.listen = config->server.listen;
  so.write_timeout_ms = config->redis.timeout_ms;
  stockd::server::StockService service(engine->get(), &hub, nullptr, so);

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config->server.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("cannot listen on '", config->server.listen, "'"));
  }
  std::cerr << "stockd-floor-server: listening on " << port << " (redis appendfsync "
            << ro.appendfsync << ")\n";

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << "stockd-floor-server: " << strsignal(signal_number) << ", shutting down\n";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  journal.Drain();
  journal.Stop();
  return 0;
}
