// The engine tests' fixture (holds_test.cc, stock_test.cc, idempotency_test.cc,
// queries_test.cc, journal_test.cc): a small shop model, an Engine on a manual clock with
// a listener that records every published change, helpers that run a command and read
// the state back, and EXPECT_REJECTED (the call fails with the code and changes nothing).
//
// Thread safety: an EngineTest runs on the GoogleTest thread; RecordingListener may be
// called from the engine's threads (it locks).
#ifndef STOCKD_TESTS_ENGINE_ENGINE_FIXTURE_H_
#define STOCKD_TESTS_ENGINE_ENGINE_FIXTURE_H_

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"
#include "gtest/gtest.h"
#include "tests/support/test_model.h"

namespace stockd::engine {

using ::stockd::testing::Cmd;
using ::stockd::testing::L;
using ::stockd::testing::ModelBuilder;
namespace t = ::stockd::testing;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kDefaultTtl = 15 * kMinute;
constexpr int kMaxLines = 5;

// wh (warehouse), s1 and s2 (stores), dc (nobody's source).
//   web    webshop     sources wh, s1   protects 2 at s1
//   pos1   store       sources s1
//   pos2   store       sources s2
//   amazon marketplace sources wh       safety 2, share 50
inline Model TestModel() {
  return ModelBuilder()
      .Location("wh")
      .Location("s1", LocationType::kStore)
      .Location("s2", LocationType::kStore)
      .Location("dc")
      .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
      .Channel("pos1", ChannelType::kStore, {"s1"})
      .Channel("pos2", ChannelType::kStore, {"s2"})
      .Channel("amazon", ChannelType::kMarketplace, {"wh"})
      .Protect("web", "s1", 2)
      .Safety("amazon", 2)
      .Share("amazon", 50)
      .Build();
}

// An override that shows at most `max` of the SKUs matching `pattern` on `channel`.
inline PolicyOverride CapOverride(const Model& m, const std::string& pattern,
                                  const std::string& channel, int64_t max) {
  PolicyOverride cap;
  cap.pattern = pattern;
  cap.channel = m.ChannelIndex(channel);
  cap.origin = "t.yaml:9";
  cap.max_publish = max;
  return cap;
}

inline std::string Str(const Counters& c) {
  return absl::StrCat(c.on_hand, "/", c.held, "/", c.committed);
}
inline std::string Str(const RowView& r) {
  return absl::StrCat(r.sku, "@", r.location, "=", Str(r.counters));
}
inline std::string Str(const std::vector<RowView>& rows) {
  std::vector<std::string> parts;
  for (const RowView& r : rows) parts.push_back(Str(r));
  return absl::StrJoin(parts, ", ");
}
inline std::string Str(const HoldView& h) {
  std::vector<std::string> lines;
  for (const Line& l : h.lines) {
    lines.push_back(absl::StrCat(l.sku, "@", l.location, " x", l.qty, " f", l.fulfilled));
  }
  return absl::StrCat(h.hold_id, " ", h.channel, " ", HoldStateName(h.state), " [",
                      absl::StrJoin(lines, "; "), "] c", h.created_ms, " d", h.deadline_ms, " u",
                      h.updated_ms, " ref=", h.reference);
}
inline std::string Str(const PublishedChange& c) {
  return absl::StrCat(c.channel, ":", c.sku, " ", c.previous, "->", c.published, " r", c.reservable,
                      " t", c.time_ms);
}
inline std::string StrChanges(const std::vector<PublishedChange>& changes) {
  std::vector<std::string> parts;
  for (const PublishedChange& c : changes) parts.push_back(Str(c));
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, " | ");
}

// Records every published change the engine announces.
class RecordingListener : public ChangeListener {
 public:
  void OnPublishedChanges(const std::vector<PublishedChange>& changes) override {
    absl::MutexLock lock(&mu_);
    changes_.insert(changes_.end(), changes.begin(), changes.end());
  }
  // Returns and forgets what was recorded so far.
  std::vector<PublishedChange> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(changes_, {});
  }

 private:
  absl::Mutex mu_;
  std::vector<PublishedChange> changes_ ABSL_GUARDED_BY(mu_);
};

class EngineTest : public ::testing::Test {
 protected:
  // The model the engine runs on; a derived fixture may give another.
  virtual Model FixtureModel() { return TestModel(); }
  // A derived fixture may change the engine's options (SetUp sets the ones below first).
  virtual void FixtureOptions(EngineOptions* /*options*/) {}

  void SetUp() override {
    EngineOptions options;
    options.clock = &clock_;
    options.max_lines = kMaxLines;
    options.shards = 16;
    FixtureOptions(&options);
    auto engine = Engine::Create(FixtureModel(), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    engine_->AddListener(&listener_);
  }

  void TearDown() override {
    InvariantReport report = engine_->CheckInvariants();
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
  }

  absl::StatusOr<Outcome> Run(CommandBody body, const std::string& request_id = "",
                              const std::string& actor = "tester") {
    return engine_->ExecuteAndWait(Cmd(std::move(body), request_id, actor));
  }

  // Runs a command that must succeed; returns its outcome. On failure it ends the test
  // (GoogleTest reports the exception), so callers may use the outcome directly.
  Outcome Ok(CommandBody body, const std::string& request_id = "") {
    const std::string what = CommandName(body);
    const bool hold_command =
        std::holds_alternative<ReserveCmd>(body) || std::holds_alternative<ExtendCmd>(body) ||
        std::holds_alternative<CommitCmd>(body) || std::holds_alternative<ReleaseCmd>(body) ||
        std::holds_alternative<FulfillCmd>(body) || std::holds_alternative<CancelCmd>(body);
    absl::StatusOr<Outcome> r = Run(std::move(body), request_id);
    if (!r.ok()) throw std::runtime_error(what + " failed: " + r.status().ToString());
    if (hold_command && !r->hold) throw std::runtime_error(what + " returned no hold");
    return *r;
  }

  // Reserves and returns the hold id.
  std::string Hold(const std::string& channel, std::vector<Line> lines, int64_t ttl_ms = 0) {
    Outcome o = Ok(t::Reserve(channel, std::move(lines), ttl_ms));
    if (!o.hold) throw std::runtime_error("reserve returned no hold");
    return o.hold->hold_id;
  }

  void SetStock(const std::string& location, const std::string& sku, int64_t on_hand) {
    Ok(t::Count(location, sku, on_hand));
  }

  // The standard stock: A at wh 10, s1 10, s2 5; B at wh 5; C at s1 3.
  void StockUp() {
    SetStock("wh", "A", 10);
    SetStock("s1", "A", 10);
    SetStock("s2", "A", 5);
    SetStock("wh", "B", 5);
    SetStock("s1", "C", 3);
    listener_.Take();
  }

  Counters Row(const std::string& sku, const std::string& location) {
    auto rows = engine_->GetStock(sku, {location});
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->size() != 1) return Counters{-1, -1, -1};
    return (*rows)[0].counters;
  }

  int64_t Reservable(const std::string& channel, const std::string& sku) {
    auto items = engine_->GetAvailability({sku}, {channel});
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? (*items)[0].reservable : -1;
  }
  int64_t Published(const std::string& channel, const std::string& sku) {
    auto items = engine_->GetAvailability({sku}, {channel});
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? (*items)[0].published : -1;
  }

  HoldView GetHold(const std::string& id) {
    auto h = engine_->GetHold(id);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *h : HoldView{};
  }

  // Everything observable: stock and availability of every SKU a test uses, holds in
  // every state, counters of mutations, breaches and audit entries.
  std::string Observe() {
    std::ostringstream out;
    for (const char* sku : {"A", "B", "C", "D", "E", "F", "NEW"}) {
      auto rows = engine_->GetStock(sku, {});
      if (!rows.ok()) {
        out << sku << ": " << absl::StatusCodeToString(rows.status().code()) << "\n";
        continue;
      }
      out << Str(*rows) << "\n";
      auto items = engine_->GetAvailability({sku}, {});
      if (items.ok()) {
        for (const AvailabilityItem& i : *items) {
          out << "  " << i.channel << " r" << i.reservable << " p" << i.published << "\n";
        }
      }
    }
    for (int s = 1; s <= 6; ++s) {
      HoldFilter filter;
      filter.state = static_cast<HoldState>(s);
      filter.limit = 100000;
      for (const HoldView& h : engine_->ListHolds(filter)) out << Str(h) << "\n";
    }
    EngineStats stats = engine_->Stats();
    out << "mutations " << stats.mutations << " open " << stats.open_holds << " breaches "
        << stats.breaches << " skus " << stats.skus << " rows " << stats.rows << " expired "
        << stats.expired_holds << " audit " << engine_->ListAudit("", 0).size() << "\n";
    return out.str();
  }

  // Runs `body`, expects `code`, and that nothing observable changed and nothing was
  // announced.
  void ExpectRejected(absl::StatusCode code, CommandBody body, const std::string& request_id = "") {
    const std::string before = Observe();
    listener_.Take();
    absl::StatusOr<Outcome> r = Run(std::move(body), request_id);
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_FALSE(r.ok() ? false : r.status().message().empty()) << "a failure names its cause";
    EXPECT_EQ(Observe(), before) << "a failed call must change nothing";
    EXPECT_EQ(StrChanges(listener_.Take()), "") << "a failed call must announce nothing";
  }

  ManualClock clock_;
  RecordingListener listener_;
  std::unique_ptr<Engine> engine_;
};

#define EXPECT_REJECTED(code, ...)     \
  do {                                 \
    SCOPED_TRACE(#__VA_ARGS__);        \
    ExpectRejected(code, __VA_ARGS__); \
  } while (0)

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kNotFound = absl::StatusCode::kNotFound;
constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr auto kAborted = absl::StatusCode::kAborted;

}  // namespace stockd::engine

#endif  // STOCKD_TESTS_ENGINE_ENGINE_FIXTURE_H_
