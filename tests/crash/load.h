// The crash test's load client: the mutations it sends (Kind, their requests and
// responses, Invoke), what a client may conclude from a status (Classify), the record of
// every call (OpRecord), and the threads that send them: a Worker per client and, when
// redis-server is the victim, a Probe that times a steady write.
//
// Thread safety: LoadControl is shared by the load threads and the controlling thread
// (its stub under a mutex, its flags atomic). A Worker is run by one thread and read by
// the controlling thread only after that thread is joined. A Probe's results are
// synchronized. The free functions are reentrant.
#ifndef STOCKD_TESTS_CRASH_LOAD_H_
#define STOCKD_TESTS_CRASH_LOAD_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::crash {

// ---------------------------------------------------------------- operations

enum class Kind {
  kCount,
  kReserve,
  kCommit,
  kRelease,
  kFulfill,
  kCancel,
  kSell,
  kAdjust,
  kTransfer
};
constexpr int kKinds = 9;
const char* KindName(Kind k);
// Commit, Release, Fulfill and Cancel: the operations on an existing hold.
bool IsHoldOp(Kind k);
// An empty request / response message of the kind's RPC.
std::unique_ptr<google::protobuf::Message> NewRequest(Kind k);
std::unique_ptr<google::protobuf::Message> NewResponse(Kind k);
// Calls the kind's RPC with a deadline, as the actor "crash-test".
grpc::Status Invoke(v1::Stock::Stub& stub, Kind k, const google::protobuf::Message& req,
                    google::protobuf::Message* resp, int64_t deadline_ms);

// What a client may conclude from a status.
enum class Verdict {
  kAcked,      // OK: the mutation happened and is durable
  kRejected,   // the daemon refused it; nothing changed
  kUnknown,    // transport failure, deadline, UNAVAILABLE: it may or may not have happened
  kViolation,  // a status the load never provokes (bad request, lost hold, ...)
};

Verdict Classify(grpc::StatusCode code);

// One mutation the load sent: acknowledged ones keep their response, unknown ones only
// their request. Messages are kept serialized (a long run records ~10^5 of them).
struct OpRecord {
  Kind kind = Kind::kCount;
  std::string request;
  std::string response;
  grpc::StatusCode code = grpc::StatusCode::OK;
  int64_t sent_us = 0;
  int64_t done_us = 0;
};

// ---------------------------------------------------------------- load

// What the load threads share with the controlling thread.
class LoadControl {
 public:
  std::shared_ptr<v1::Stock::Stub> stub() const {
    absl::MutexLock lock(&mu_);
    return stub_;
  }
  void set_stub(std::shared_ptr<v1::Stock::Stub> stub) {
    absl::MutexLock lock(&mu_);
    stub_ = std::move(stub);
  }
  // Workers start calls only while serving; cleared right before stockd is killed so
  // that only the calls in flight at that moment end with an unknown outcome.
  std::atomic<bool> serving{false};
  std::atomic<bool> stop{false};

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<v1::Stock::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

// One load client: random Reserves (and operations on the holds it owns), Sells,
// Adjusts and Transfers with request_ids, on `skus`, while `control->serving`, until
// `control->stop`. Records what each call's status implies.
class Worker {
 public:
  Worker(int id, uint64_t seed, LoadControl* control, const std::vector<std::string>* skus)
      : id_(id), rng_(seed), control_(control), skus_(skus) {}

  void Run();

  const std::vector<OpRecord>& acked() const { return acked_; }
  const std::vector<OpRecord>& unknown() const { return unknown_; }
  // A status the load never provokes; `hold_id` is the owned hold it concerned, if any.
  struct Violation {
    std::string hold_id;
    std::string what;
  };
  const std::vector<Violation>& violations() const { return violations_; }
  int64_t rejected(Kind k) const { return rejected_[static_cast<int>(k)]; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  // A quarter of the traffic goes to three hot SKUs (contention on one shard).
  const std::string& PickSku();
  std::string NextRequestId();
  void Step();
  void TrackHold(Kind kind, int hold_index, const google::protobuf::Message& resp);
  std::unique_ptr<google::protobuf::Message> ReserveOp();
  std::unique_ptr<google::protobuf::Message> HoldOp(const v1::Hold& hold, Kind* kind);
  std::unique_ptr<google::protobuf::Message> SellOp();
  std::unique_ptr<google::protobuf::Message> AdjustOp();
  std::unique_ptr<google::protobuf::Message> TransferOp();

  const int id_;
  std::mt19937_64 rng_;
  LoadControl* const control_;
  const std::vector<std::string>* const skus_;
  int64_t sequence_ = 0;
  int64_t backoff_ms_ = 0;
  std::vector<v1::Hold> holds_;  // open holds this worker owns, as last acknowledged
  std::vector<OpRecord> acked_;
  std::vector<OpRecord> unknown_;
  std::vector<Violation> violations_;
  int64_t rejected_[kKinds] = {};
};

// Redis-kill variant: a steady write (an absolute Count of a probe SKU, the same value
// every time, no request_id) every 10 ms, timestamped, to see when writes fail and resume.
class Probe {
 public:
  struct Result {
    int64_t sent_us;
    int64_t done_us;
    grpc::StatusCode code;
  };

  explicit Probe(LoadControl* control) : control_(control) {}

  void Run();

  // Completion time of the first successful probe that finished after `after_us`.
  std::optional<int64_t> FirstOkAfter(int64_t after_us) const;

  std::vector<Result> results() const {
    absl::MutexLock lock(&mu_);
    return results_;
  }

 private:
  LoadControl* const control_;
  mutable absl::Mutex mu_;
  std::vector<Result> results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_LOAD_H_
