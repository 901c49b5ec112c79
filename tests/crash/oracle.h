// The crash test's oracle: what the acknowledged writes imply and the check of the
// recovered daemon against it (docs/design.md "Durability"):
//   - every acknowledged mutation is present: its replay returns the first response and
//     changes nothing;
//   - every mutation whose outcome the client never learned applies exactly once when
//     replayed with its request_id;
//   - the final state equals an independent Model (model.h) built from the acknowledged
//     responses, no counter is negative, CheckInvariants() is ok, and every channel's
//     availability equals a from-scratch recomputation of the docs/design.md formula;
//   - (redis-server killed) stockd answered UNAVAILABLE while Redis was down and never
//     acknowledged a write Redis could not have taken; every acknowledged mutation has
//     its audit entry in Redis (or, in the lossy variant, the loss is counted).
//
// Thread safety: an Oracle is driven by the GoogleTest thread, after the load threads
// are joined (CheckAcknowledgedReplays runs its own replay threads inside one call).
// Model and the free functions are not shared between threads.
#ifndef STOCKD_TESTS_CRASH_ORACLE_H_
#define STOCKD_TESTS_CRASH_ORACLE_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/crash/harness.h"
#include "tests/crash/load.h"
#include "tests/crash/model.h"

namespace stockd::crash {

// ---------------------------------------------------------------- the check

// What the daemon serves: per SKU its stock and its open holds, and the availability of
// every SKU on every channel.
struct Snapshot {
  std::map<std::string, v1::GetStockResponse> stock;
  std::map<std::string, v1::ListHoldsResponse> holds;
  v1::GetAvailabilityResponse availability;
};

// What a run sent, filled by the cases and read by the oracle once the load has stopped.
struct RunRecord {
  std::vector<std::string> skus;  // the load's SKUs (the probe's comes on top)
  std::vector<OpRecord> seed;     // the initial Counts, all acknowledged
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<Probe> probe;  // redis-server variants only
  std::vector<Outage> outages;   // redis-server variants only
};

// The figures the summary prints.
struct Summary {
  int cycles = 0;
  int64_t replays = 0;
  int64_t had_applied = 0;
  int64_t applied_now = 0;
  int64_t refused_now = 0;
  int64_t rows = 0;
  int64_t open_holds = 0;
  bool invariants_ok = false;
  int64_t unavailable_during_outages = 0;
  int64_t acks_without_redis = 0;
  // Redis-kill variants: by cycle (the last slot: after the last cycle).
  std::vector<int64_t> acked_per_cycle;
  std::vector<int64_t> lost_per_cycle;
  int64_t refused_after_loss = 0;  // lossy: load calls on a lost hold
  int64_t refused_lost_hold = 0;   // lossy: unknown outcomes on a lost hold
  // The two verdicts, counted (each is also a GoogleTest failure unless lossy):
  //   lost_acks: acknowledged mutations the daemon no longer has: no audit entry in Redis
  //     (FindLostAcks, when it ran) or a replay that did not return the first result;
  //   double_applies: effects held more than once: SKUs whose state the replay of the
  //     acknowledged mutations changed (one applied again), plus counters and open holds
  //     off the independent model once every unknown outcome was replayed (an unknown
  //     outcome applied twice; a loss shows there too, and in lost_acks).
  int64_t lost_acks = 0;
  int64_t double_applies = 0;
};

// Checks the daemon reached through `control->stub()` against `run`. Failures are
// GoogleTest failures; call the checks under ASSERT_NO_FATAL_FAILURE.
class Oracle {
 public:
  Oracle(const LoadControl* control, const RunRecord* run) : control_(control), run_(run) {}

  // appendfsync everysec with redis-server as the victim: acknowledged writes Redis lost
  // are counted, not failed; every other check still holds on what Redis kept.
  void set_lossy(bool lossy) { lossy_ = lossy; }

  // A checker call: retried a few times on UNAVAILABLE (the daemon should not say it now,
  // but a transient transport hiccup must not hide the real verdict).
  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn);
  // The same for a mutation, sent again as it was.
  grpc::Status Replay(Kind kind, const google::protobuf::Message& req,
                      google::protobuf::Message* resp);

  Snapshot TakeSnapshot();
  // Returns how many SKUs (and the availability, as one) differ.
  int ExpectSameSnapshot(const Snapshot& a, const Snapshot& b, const std::string& when);

  // Redis-kill variants, before any replay: which acknowledged operations the Redis on
  // `redis_socket` no longer has.
  void FindLostAcks(const std::string& redis_socket, Summary* summary);
  // No load call was answered with a status the load never provokes (in the lossy
  // variant, but for calls on a hold whose acknowledged change Redis lost).
  void CheckLoadViolations(Summary* summary);
  // Redis-kill variants: UNAVAILABLE while Redis was down, never an ack without it.
  void CheckOutages(Summary* summary);
  // The replays, the unknown outcomes, the final state and the invariants.
  void Check(Summary* summary);
  // After `restart` (a SIGKILL and a start, no load) the daemon serves exactly what it
  // served before, and a sample of the acknowledged operations replays identically.
  void CheckRestartServesSameState(const std::function<void()>& restart, Summary* summary);

  // "lost/acknowledged" per cycle and in total.
  void PrintLosses(const Summary& summary) const;

 private:
  std::shared_ptr<v1::Stock::Stub> Stub() const { return control_->stub(); }
  std::vector<std::string> AllSkus() const;
  std::string StockOf(const std::vector<std::string>& skus);
  void ReadAuditRequestIds(const std::string& redis_socket, std::set<std::string>* ids);
  void CheckAcknowledgedReplays(const std::vector<const OpRecord*>& acked, Summary* summary);
  void ResolveUnknownOutcomes(Model* model, Summary* summary);
  void CheckFinalState(const Model& model, const Snapshot& now, Summary* summary);
  bool Lost(const OpRecord& r) const;

  const LoadControl* const control_;
  const RunRecord* const run_;
  bool lossy_ = false;
  // Redis-kill variants (FindLostAcks): the acknowledged operations Redis lost and the
  // holds they created or changed. Only the lossy (everysec) variant tolerates them.
  std::set<std::string> lost_requests_;
  std::set<std::string> lost_holds_;
  // Acknowledged operations whose replay answered something else (Check).
  std::set<std::string> replay_mismatches_;
};

// The initial stock take through `oracle`: every SKU of `run->skus` at both locations
// (on_hand random: warehouse 40-80, store 10-30), recorded in `run->seed`. Fails the test
// when a Count is refused.
void SeedStock(Oracle& oracle, std::mt19937_64& rng, RunRecord* run);

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_ORACLE_H_
