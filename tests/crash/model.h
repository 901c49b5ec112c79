// What the crash test's oracle (oracle.h) compares the daemon with: the availability
// formula of docs/design.md recomputed from scratch, and a Model of the stock and the
// holds rebuilt from the acknowledged responses alone.
//
// Thread safety: a Model is used by one thread; the free functions are reentrant.
#ifndef STOCKD_TESTS_CRASH_MODEL_H_
#define STOCKD_TESTS_CRASH_MODEL_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "stockd/v1/stockd.pb.h"
#include "tests/crash/harness.h"
#include "tests/crash/load.h"

namespace stockd::crash {

// ---------------------------------------------------------------- the formula

struct Row {
  int64_t on_hand = 0;
  int64_t held = 0;
  int64_t committed = 0;
  int64_t free() const { return on_hand - held - committed; }
  bool operator==(const Row&) const = default;
};
using SkuRows = std::map<std::string, Row>;  // location -> counters (absent = zeros)

std::string ToString(const Row& r);

// docs/design.md "Availability (exact)", from scratch: {reservable, published}.
std::pair<int64_t, int64_t> ExpectedAvailability(const Shop& shop, const ChannelSpec& channel,
                                                 const std::string& sku, const SkuRows& rows);

// ---------------------------------------------------------------- the model
//
// Rebuilt from what the daemon acknowledged, independently of the daemon's counters:
// on_hand from the seed Counts plus every Sell/Adjust/Transfer and every fulfilled unit
// (computed from the Fulfill request and the hold as last acknowledged), held/committed
// from the last acknowledged state of every hold.
class Model {
 public:
  void Apply(Kind kind, const google::protobuf::Message& request,
             const google::protobuf::Message& response);

  const v1::Hold* FindHold(const std::string& id) const {
    auto it = holds_.find(id);
    return it == holds_.end() ? nullptr : &it->second;
  }

  SkuRows Expected(const std::string& sku) const;

  // Open holds that have a line of `sku`, by id.
  std::map<std::string, v1::Hold> OpenHolds(const std::string& sku) const;

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void ApplyFulfill(const v1::FulfillRequest& req, const v1::Hold& before, const v1::Hold& after);

  std::map<std::pair<std::string, std::string>, int64_t> on_hand_;  // (sku, location)
  std::map<std::string, v1::Hold> holds_;                           // every hold, last state
  std::vector<std::string> problems_;
};

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_MODEL_H_
