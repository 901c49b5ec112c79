// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written.
#include "daemon/engine/engine.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/support/test_model.h"

namespace stockd::engine {
namespace {

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
Model TestModel() {
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

std::string Str(const Counters& c) {
  return absl::StrCat(c.on_hand, "/", c.held, "/", c.committed);
}
std::string Str(const RowView& r) {
  return absl::StrCat(r.sku, "@", r.location, "=", Str(r.counters));
}
std::string Str(const std::vector<RowView>& rows) {
  std::vector<std::string> parts;
  for (const RowView& r : rows) parts.push_back(Str(r));
  return absl::StrJoin(parts, ", ");
}
std::string Str(const HoldView& h) {
  std::vector<std::string> lines;
  for (const Line& l : h.lines) {
    lines.push_back(absl::StrCat(l.sku, "@", l.location, " x", l.qty, " f", l.fulfilled));
  }
  return absl::StrCat(h.hold_id, " ", h.channel, " ", HoldStateName(h.state), " [",
                      absl::StrJoin(lines, "; "), "] c", h.created_ms, " d", h.deadline_ms, " u",
                      h.updated_ms, " ref=", h.reference);
}
std::string Str(const PublishedChange& c) {
  return absl::StrCat(c.channel, ":", c.sku, " ", c.previous, "->", c.published, " r", c.reservable,
                      " t", c.time_ms);
}
std::string StrChanges(const std::vector<PublishedChange>& changes) {
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
  void SetUp() override {
    EngineOptions options;
    options.clock = &clock_;
    options.max_lines = kMaxLines;
    options.shards = 16;
    auto engine = Engine::Create(TestModel(), options);
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

// ---------------------------------------------------------------- Reserve

TEST_F(EngineTest, ReserveTakesFirstSourceWithEnoughAvailWholeLineFromOneLocation) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 10);
  const int64_t now = clock_.NowMs();

  Outcome first = Ok(t::Reserve("web", {L("A", 5)}));
  ASSERT_TRUE(first.hold.has_value());
  const HoldView& h = *first.hold;
  EXPECT_FALSE(h.hold_id.empty());
  EXPECT_EQ(h.channel, "web");
  EXPECT_EQ(h.state, HoldState::kHeld);
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_EQ(h.lines[0].sku, "A");
  EXPECT_EQ(h.lines[0].location, "s1") << "wh has only 3: the first source with 5 is s1";
  EXPECT_EQ(h.lines[0].qty, 5);
  EXPECT_EQ(h.lines[0].fulfilled, 0);
  EXPECT_EQ(h.created_ms, now);
  EXPECT_EQ(h.updated_ms, now);
  EXPECT_EQ(h.deadline_ms, now + kDefaultTtl);
  EXPECT_EQ(Str(GetHold(h.hold_id)), Str(h));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 5, 0}));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));

  Outcome second = Ok(t::Reserve("web", {L("A", 2)}));
  ASSERT_TRUE(second.hold.has_value());
  EXPECT_EQ(second.hold->lines[0].location, "wh");
  EXPECT_NE(second.hold->hold_id, h.hold_id);
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 2, 0}));

  // web may take 1 at wh + 5 at s1 = 6 in total, but no single source has 6.
  EXPECT_EQ(Reservable("web", "A"), 6);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 6)}));

  Outcome third = Ok(t::Reserve("web", {L("A", 5)}));
  EXPECT_EQ(third.hold->lines[0].location, "s1");
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 10, 0}));
  EXPECT_EQ(Reservable("web", "A"), 1);
}

TEST_F(EngineTest, ReserveAtExplicitLocation) {
  SetStock("wh", "A", 10);
  SetStock("s1", "A", 10);
  Outcome o = Ok(t::Reserve("web", {L("A", 2, "s1")}));
  EXPECT_EQ(o.hold->lines[0].location, "s1") << "wh had enough, but s1 was asked for";
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 2, 0}));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));

  // s1 has 8 free; wh could cover 9 but the line names s1.
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 9, "s1")}));
  // pos1 sees s1's free minus the webshop's 2: 6.
  EXPECT_EQ(Reservable("pos1", "A"), 6);
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 7, "s1")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 7)}));
  Ok(t::Reserve("pos1", {L("A", 6, "s1")}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 8, 0}));
  EXPECT_EQ(Reservable("pos1", "A"), 0);
  // The protected 2 are still the webshop's.
  Ok(t::Reserve("web", {L("A", 2, "s1")}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 10, 0}));
}

TEST_F(EngineTest, ReserveAtLocationThatIsNotASource) {
  StockUp();
  SetStock("dc", "A", 50);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 1, "s2")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 1, "dc")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 1, "wh")}));
}

TEST_F(EngineTest, ReserveUnknownNames) {
  StockUp();
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("NOPE", 1)}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 1, "nowhere")}));
  EXPECT_REJECTED(kNotFound, t::Reserve("nochannel", {L("A", 1)}));
}

TEST_F(EngineTest, ReserveMalformedInput) {
  StockUp();
  for (const char* sku : {"D", "E", "F"}) SetStock("wh", sku, 5);
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", -1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", kMaxQuantity + 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("bad sku!", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L(std::string(129, 'A'), 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1, "bad loc!")}));
  EXPECT_REJECTED(kInvalid, t::Reserve("bad channel!", {L("A", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1), L("B", 1), L("A", 2)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1), L("B", 1), L("C", 1, "s1"), L("D", 1),
                                               L("E", 1), L("F", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, 50));  // ttl below 100 ms
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, 8LL * 24 * 3600 * 1000));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, -5));
  ReserveCmd long_reference = t::Reserve("web", {L("A", 1)});
  long_reference.reference = std::string(kMaxTextBytes + 1, 'x');
  EXPECT_REJECTED(kInvalid, long_reference);

  // Exactly max_lines lines is fine.
  Outcome o = Ok(t::Reserve("web", {L("A", 1), L("B", 1), L("C", 1, "s1"), L("D", 1), L("E", 1)}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->lines.size(), 5u);
}

TEST_F(EngineTest, ReserveIsAllOrNone) {
  StockUp();
  // B has 5: the second line fails and the first must not be held either.
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 2), L("B", 6)}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 2), L("NOPE", 1)}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 2), L("B", 1, "s2")}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 2), L("B", 1, "nowhere")}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 2), L("B", 0)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 2), L("bad sku!", 1)}));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));

  Outcome o = Ok(t::Reserve("web", {L("A", 2), L("B", 5), L("C", 3)}));
  ASSERT_EQ(o.hold->lines.size(), 3u);
  EXPECT_EQ(o.hold->lines[0].location, "wh");
  EXPECT_EQ(o.hold->lines[1].location, "wh");
  EXPECT_EQ(o.hold->lines[2].location, "s1");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 5, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 3, 0}));
}

TEST_F(EngineTest, ErrorMessagesNameTheCause) {
  StockUp();
  // proto Reserve: "FAILED_PRECONDITION when a line cannot be covered; the message names
  // the sku".
  absl::StatusOr<Outcome> r = Run(t::Reserve("web", {L("A", 2), L("B", 6)}));
  ASSERT_EQ(r.status().code(), kPrecondition);
  EXPECT_NE(r.status().message().find("'B'"), std::string::npos) << r.status();
  // proto Count: "ABORTED otherwise, with the current value in the message".
  r = Run(t::Count("wh", "A", 3, 4));
  ASSERT_EQ(r.status().code(), kAborted);
  EXPECT_NE(r.status().message().find("10"), std::string::npos) << r.status();
  r = Run(t::Reserve("web", {L("NOPE", 1)}));
  ASSERT_EQ(r.status().code(), kNotFound);
  EXPECT_NE(r.status().message().find("NOPE"), std::string::npos) << r.status();
}

TEST_F(EngineTest, HoldKeepsItsReference) {
  StockUp();
  ReserveCmd cmd = t::Reserve("web", {L("A", 1)});
  cmd.reference = "cart-7";
  Outcome o = Ok(cmd);
  EXPECT_EQ(o.hold->reference, "cart-7");
  EXPECT_EQ(GetHold(o.hold->hold_id).reference, "cart-7");
  Ok(t::Commit(o.hold->hold_id));
  EXPECT_EQ(GetHold(o.hold->hold_id).reference, "cart-7");
}

// ---------------------------------------------------------------- Extend

TEST_F(EngineTest, ExtendMovesTheDeadline) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  const int64_t created = clock_.NowMs();
  EXPECT_EQ(GetHold(id).deadline_ms, created + 1000);
  clock_.Advance(800);
  listener_.Take();
  Outcome o = Ok(t::Extend(id, 1000));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->deadline_ms, created + 1800);
  EXPECT_EQ(o.hold->updated_ms, created + 800);
  EXPECT_EQ(o.hold->state, HoldState::kHeld);
  EXPECT_EQ(GetHold(id).deadline_ms, created + 1800);
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "an extend changes no published number";

  clock_.Advance(500);  // past the first deadline, before the new one
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kHeld);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 3, 0}));
  clock_.Advance(501);
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(GetHold(id).state, HoldState::kExpired);

  // ttl 0 = the default.
  const std::string other = Hold("web", {L("A", 1, "wh")});
  EXPECT_EQ(Ok(t::Extend(other, 0)).hold->deadline_ms, clock_.NowMs() + kDefaultTtl);
}

TEST_F(EngineTest, ExtendErrors) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  EXPECT_REJECTED(kInvalid, t::Extend(id, 50));
  EXPECT_REJECTED(kInvalid, t::Extend(id, -1));
  EXPECT_REJECTED(kInvalid, t::Extend("bad id!", 1000));
  EXPECT_REJECTED(kInvalid, t::Extend("", 1000));
  EXPECT_REJECTED(kNotFound, t::Extend("h-unknown", 1000));
  Ok(t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 1000));
}

// ---------------------------------------------------------------- Commit

TEST_F(EngineTest, CommitWholeHold) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  clock_.Advance(10);
  Outcome o = Ok(t::Commit(id));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(o.hold->deadline_ms, 0) << "0 once committed";
  EXPECT_EQ(o.hold->updated_ms, clock_.NowMs());
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(o.hold->lines[0].qty, 3);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 0);
  EXPECT_EQ(o.hold->lines[1].qty, 2);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));
  EXPECT_EQ(Reservable("web", "A"), 17);
  EXPECT_EQ(Str(GetHold(id)), Str(*o.hold));
  // A committed hold never expires.
  clock_.Advance(2 * kDefaultTtl);
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kCommitted);
}

TEST_F(EngineTest, PartialCommitReleasesTheRest) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2), L("C", 1)});
  Outcome o = Ok(t::Commit(id, {L("A", 1)}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  ASSERT_EQ(o.hold->lines.size(), 1u) << "the released lines are dropped";
  EXPECT_EQ(o.hold->lines[0].sku, "A");
  EXPECT_EQ(o.hold->lines[0].location, "wh");
  EXPECT_EQ(o.hold->lines[0].qty, 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 1}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));

  const std::string two = Hold("web", {L("A", 3, "wh"), L("B", 2), L("C", 1)});
  o = Ok(t::Commit(two, {L("B", 2), L("A", 2, "ignored-location")}));
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
}

TEST_F(EngineTest, CommitErrors) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 4)}));  // more than held
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", -1)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("C", 1)}));  // not in the hold
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1), L("A", 1)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("bad sku!", 1)}));
  EXPECT_REJECTED(kInvalid, t::Commit("bad id!"));
  EXPECT_REJECTED(kInvalid, t::Commit(""));
  EXPECT_REJECTED(kNotFound, t::Commit("h-unknown"));
  Ok(t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
}

// ---------------------------------------------------------------- a hold resolves once

TEST_F(EngineTest, ReleaseFreesHeldUnits) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("C", 1)});
  EXPECT_EQ(Reservable("web", "A"), 17);
  Outcome o = Ok(t::Release(id));
  EXPECT_EQ(o.hold->state, HoldState::kReleased);
  EXPECT_EQ(o.hold->deadline_ms, 0);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 20);
  EXPECT_EQ(GetHold(id).state, HoldState::kReleased);
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
}

TEST_F(EngineTest, HoldResolvesExactlyOnce) {
  StockUp();
  const std::string released = Hold("web", {L("A", 1, "wh")});
  Ok(t::Release(released));
  EXPECT_REJECTED(kPrecondition, t::Release(released));
  EXPECT_REJECTED(kPrecondition, t::Commit(released));
  EXPECT_REJECTED(kPrecondition, t::Extend(released, 1000));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(released));
  EXPECT_REJECTED(kPrecondition, t::Cancel(released));

  const std::string committed = Hold("web", {L("A", 2, "wh")});
  EXPECT_REJECTED(kPrecondition, t::Fulfill(committed));  // still HELD
  EXPECT_REJECTED(kPrecondition, t::Cancel(committed));   // still HELD
  Ok(t::Commit(committed));
  EXPECT_REJECTED(kPrecondition, t::Release(committed));
  EXPECT_REJECTED(kPrecondition, t::Commit(committed));

  const std::string fulfilled = Hold("web", {L("A", 1, "wh")});
  Ok(t::Commit(fulfilled));
  Ok(t::Fulfill(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Cancel(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Release(fulfilled));

  const std::string cancelled = Hold("web", {L("A", 1, "wh")});
  Ok(t::Commit(cancelled));
  Ok(t::Cancel(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Cancel(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Release(cancelled));

  EXPECT_REJECTED(kNotFound, t::Release("h-unknown"));
  EXPECT_REJECTED(kNotFound, t::Cancel("h-unknown"));
  EXPECT_REJECTED(kNotFound, t::Fulfill("h-unknown"));
  EXPECT_REJECTED(kInvalid, t::Release("bad id!"));

  // wh: 10 - 1 fulfilled; 2 committed.
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 2}));
}

// ---------------------------------------------------------------- Fulfill / Cancel

TEST_F(EngineTest, FulfillWholeHold) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  Ok(t::Commit(id));
  Outcome o = Ok(t::Fulfill(id));
  EXPECT_EQ(o.hold->state, HoldState::kFulfilled);
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 3);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 2);
  EXPECT_EQ(Row("A", "wh"), (Counters{7, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 17);
}

TEST_F(EngineTest, FulfillPartially) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  Ok(t::Commit(id));
  Outcome o = Ok(t::Fulfill(id, {L("A", 1)}));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted) << "open until everything is fulfilled";
  EXPECT_EQ(o.hold->lines[0].qty, 3);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 1);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 0);
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 2}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));

  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 3)}));  // only 2 left
  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("C", 1)}));

  o = Ok(t::Fulfill(id, {L("A", 2), L("B", 1)}));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(Row("A", "wh"), (Counters{7, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{4, 0, 1}));
  // No lines: whatever is left.
  o = Ok(t::Fulfill(id));
  EXPECT_EQ(o.hold->state, HoldState::kFulfilled);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 3);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 2);
  EXPECT_EQ(Row("B", "wh"), (Counters{3, 0, 0}));
}

TEST_F(EngineTest, FulfillNeverTakesOnHandBelowZero) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  Ok(t::Commit(id));
  SetStock("wh", "A", 1);  // the count found fewer than committed: free = -2
  EXPECT_EQ(Row("A", "wh"), (Counters{1, 0, 3}));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(id));
  Ok(t::Fulfill(id, {L("A", 1)}));
  EXPECT_EQ(Row("A", "wh"), (Counters{0, 0, 2}));
}

TEST_F(EngineTest, CancelReturnsCommittedUnits) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  Ok(t::Commit(id));
  Ok(t::Fulfill(id, {L("A", 1)}));
  Outcome o = Ok(t::Cancel(id));
  EXPECT_EQ(o.hold->state, HoldState::kCancelled);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 0})) << "the fulfilled unit stays gone";
  EXPECT_EQ(Reservable("web", "A"), 19);
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
}

// ---------------------------------------------------------------- Sell

TEST_F(EngineTest, SellWithinAvailAndOverride) {
  StockUp();
  // pos1 at s1: free 10 minus the webshop's 2 = 8.
  Outcome o = Ok(t::Sell("pos1", "s1", "A", 8));
  ASSERT_EQ(o.before.size(), 1u);
  ASSERT_EQ(o.after.size(), 1u);
  EXPECT_EQ(Str(o.before[0]), "A@s1=10/0/0");
  EXPECT_EQ(Str(o.after[0]), "A@s1=2/0/0");
  EXPECT_FALSE(o.breach);
  EXPECT_EQ(o.breach_units, 0);
  EXPECT_EQ(Reservable("web", "A"), 12);

  // One more would eat the webshop's protected units.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 1));

  const int64_t breaches = engine_->Stats().breaches;
  o = Ok(t::Sell("pos1", "s1", "A", 2, /*override_limit=*/true));
  EXPECT_TRUE(o.breach);
  EXPECT_EQ(o.breach_units, 2);
  EXPECT_EQ(Str(o.after[0]), "A@s1=0/0/0");
  EXPECT_EQ(engine_->Stats().breaches, breaches + 1);

  // Never below on_hand 0, not even with override.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 1, true));
}

TEST_F(EngineTest, SellOverrideCountsOnlyTheUnitsBeyondAvail) {
  StockUp();
  Outcome o = Ok(t::Sell("pos1", "s1", "A", 9, true));
  EXPECT_TRUE(o.breach);
  EXPECT_EQ(o.breach_units, 1);
  EXPECT_EQ(Row("A", "s1"), (Counters{1, 0, 0}));

  o = Ok(t::Sell("pos2", "s2", "A", 5, true));  // within avail: no breach
  EXPECT_FALSE(o.breach);
  EXPECT_EQ(o.breach_units, 0);
  EXPECT_EQ(Row("A", "s2"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, SellByTheProtectingChannelUsesItsBuffer) {
  StockUp();
  Ok(t::Sell("web", "s1", "A", 10));
  EXPECT_EQ(Row("A", "s1"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, SellErrors) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s2", "A", 1));  // not a source
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s2", "A", 1, true));
  EXPECT_REJECTED(kNotFound, t::Sell("pos1", "s1", "NOPE", 1));
  EXPECT_REJECTED(kNotFound, t::Sell("nochannel", "s1", "A", 1));
  EXPECT_REJECTED(kNotFound, t::Sell("pos1", "nowhere", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "A", 0));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "A", -2));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "bad sku!", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("bad channel!", "s1", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "bad loc!", "A", 1));
}

TEST_F(EngineTest, SellDoesNotTakeHeldUnits) {
  StockUp();
  Hold("pos1", {L("A", 5, "s1")});
  // s1: free 5, minus the webshop's 2 = 3 for pos1.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 4));
  Ok(t::Sell("pos1", "s1", "A", 3));
  EXPECT_EQ(Row("A", "s1"), (Counters{7, 5, 0}));
}

// ---------------------------------------------------------------- Adjust

TEST_F(EngineTest, AdjustReasonsAndSigns) {
  StockUp();
  struct Step {
    AdjustReason reason;
    int64_t delta;
    int64_t after;
  };
  const std::vector<Step> ok_steps = {
      {AdjustReason::kReceipt, 5, 15},     {AdjustReason::kReturn, 2, 17},
      {AdjustReason::kDamage, -1, 16},     {AdjustReason::kShrinkage, -2, 14},
      {AdjustReason::kCorrection, -4, 10}, {AdjustReason::kCorrection, 1, 11},
  };
  int64_t before = 10;
  for (const Step& s : ok_steps) {
    SCOPED_TRACE(AdjustReasonName(s.reason));
    Outcome o = Ok(t::Adjust("wh", "A", s.delta, s.reason));
    ASSERT_EQ(o.before.size(), 1u);
    ASSERT_EQ(o.after.size(), 1u);
    EXPECT_EQ(o.before[0].counters.on_hand, before);
    EXPECT_EQ(o.after[0].counters.on_hand, s.after);
    EXPECT_EQ(o.after[0].sku, "A");
    EXPECT_EQ(o.after[0].location, "wh");
    before = s.after;
  }
  EXPECT_EQ(Row("A", "wh"), (Counters{11, 0, 0}));

  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kReturn));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kDamage));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kShrinkage));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kUnspecified));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kUnspecified));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 0, AdjustReason::kCorrection));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", kMaxQuantity + 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "bad sku!", 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("bad loc!", "A", 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kNotFound, t::Adjust("nowhere", "A", 1, AdjustReason::kReceipt));
  AdjustCmd long_note = t::Adjust("wh", "A", 1);
  long_note.note = std::string(kMaxTextBytes + 1, 'n');
  EXPECT_REJECTED(kInvalid, long_note);
}

TEST_F(EngineTest, AdjustCreatesANewSkuOnlyOnPositiveDelta) {
  StockUp();
  EXPECT_EQ(engine_->GetStock("NEW", {}).status().code(), kNotFound);
  EXPECT_REJECTED(kNotFound, t::Adjust("s2", "NEW", -1, AdjustReason::kCorrection));
  EXPECT_REJECTED(kNotFound, t::Adjust("s2", "NEW", -1, AdjustReason::kDamage));
  Outcome o = Ok(t::Adjust("s2", "NEW", 4, AdjustReason::kReceipt));
  EXPECT_EQ(Str(o.before[0]), "NEW@s2=0/0/0");
  EXPECT_EQ(Str(o.after[0]), "NEW@s2=4/0/0");
  auto rows = engine_->GetStock("NEW", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(Str(*rows), "NEW@s2=4/0/0");
  EXPECT_EQ(Reservable("pos2", "NEW"), 4);
  EXPECT_EQ(Reservable("web", "NEW"), 0);
}

TEST_F(EngineTest, AdjustNeverBelowZero) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "A", -11, AdjustReason::kDamage));
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "A", -11, AdjustReason::kCorrection));
  // A known SKU without a row at a location has on_hand 0 there.
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "C", -1, AdjustReason::kShrinkage));
  Ok(t::Adjust("wh", "A", -10, AdjustReason::kShrinkage));
  EXPECT_EQ(Row("A", "wh"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, ShrinkageBelowHeldMakesFreeNegative) {
  StockUp();
  Hold("web", {L("A", 8, "wh")});
  Ok(t::Adjust("wh", "A", -5, AdjustReason::kShrinkage));
  EXPECT_EQ(Row("A", "wh"), (Counters{5, 8, 0}));
  EXPECT_EQ(Reservable("web", "A"), 10) << "wh contributes 0, s1 10";
  EXPECT_EQ(Reservable("amazon", "A"), 0);
}

// ---------------------------------------------------------------- Count

TEST_F(EngineTest, CountSetsOnHandAbsolutely) {
  StockUp();
  Outcome o = Ok(t::Count("wh", "A", 7));
  EXPECT_EQ(Str(o.before[0]), "A@wh=10/0/0");
  EXPECT_EQ(Str(o.after[0]), "A@wh=7/0/0");
  EXPECT_REJECTED(kAborted, t::Count("wh", "A", 3, 5));
  EXPECT_REJECTED(kAborted, t::Count("wh", "A", 3, 10));
  o = Ok(t::Count("wh", "A", 3, 7));
  EXPECT_EQ(Str(o.after[0]), "A@wh=3/0/0");
  // Counting the same value again is fine.
  Ok(t::Count("wh", "A", 3, 3));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));

  EXPECT_REJECTED(kInvalid, t::Count("wh", "A", -1));
  EXPECT_REJECTED(kInvalid, t::Count("wh", "bad sku!", 1));
  EXPECT_REJECTED(kNotFound, t::Count("nowhere", "A", 1));
}

TEST_F(EngineTest, CountCreatesANewSku) {
  StockUp();
  EXPECT_REJECTED(kAborted, t::Count("s1", "NEW", 6, 1));
  Outcome o = Ok(t::Count("s1", "NEW", 6));
  EXPECT_EQ(Str(o.after[0]), "NEW@s1=6/0/0");
  EXPECT_EQ(Reservable("pos1", "NEW"), 4);
  EXPECT_EQ(Reservable("web", "NEW"), 6);
}

// ---------------------------------------------------------------- Transfer

TEST_F(EngineTest, TransferMovesFreeUnits) {
  StockUp();
  Outcome o = Ok(t::Transfer("wh", "s2", "A", 4));
  ASSERT_EQ(o.after.size(), 2u);
  EXPECT_EQ(Str(o.after[0]), "A@wh=6/0/0");
  EXPECT_EQ(Str(o.after[1]), "A@s2=9/0/0");
  ASSERT_EQ(o.before.size(), 2u);
  EXPECT_EQ(Str(o.before[0]), "A@wh=10/0/0");
  EXPECT_EQ(Str(o.before[1]), "A@s2=5/0/0");

  Hold("web", {L("A", 3, "wh")});  // wh free 3
  EXPECT_REJECTED(kPrecondition, t::Transfer("wh", "s2", "A", 4));
  Ok(t::Transfer("wh", "dc", "A", 3));  // creates the dc row
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 3, 0}));
  auto rows = engine_->GetStock("A", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Str(*rows), "A@wh=3/3/0, A@s1=10/0/0, A@s2=9/0/0, A@dc=3/0/0");

  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s1", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s2", "A", 0));
  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s2", "bad sku!", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("s1", "s2", "NOPE", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("nowhere", "s2", "A", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("s1", "nowhere", "A", 1));
  EXPECT_REJECTED(kPrecondition, t::Transfer("s1", "s2", "A", 11));
}

// ---------------------------------------------------------------- idempotency

TEST_F(EngineTest, ReplayReturnsTheFirstResultAndChangesNothing) {
  StockUp();
  absl::StatusOr<Outcome> first = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string before = Observe();
  listener_.Take();
  clock_.Advance(5);

  absl::StatusOr<Outcome> replay = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(Str(*replay->hold), Str(*first->hold));
  EXPECT_EQ(Observe(), before);
  EXPECT_EQ(StrChanges(listener_.Take()), "");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 3, 0}));

  // The hold moves on; the replay still answers with the first result.
  Ok(t::Commit(first->hold->hold_id));
  const std::string committed = Observe();
  replay = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->hold->hold_id, first->hold->hold_id);
  EXPECT_EQ(replay->hold->state, HoldState::kHeld);
  EXPECT_EQ(Observe(), committed);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));

  // The same id for another request is a misuse.
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 4)}), "req-1");
  EXPECT_REJECTED(kInvalid, t::Reserve("pos1", {L("A", 3)}), "req-1");
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1), "req-1");
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1), std::string(129, 'r'));
}

TEST_F(EngineTest, ReplayOfEveryMutationKind) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  struct Step {
    std::string request_id;
    CommandBody body;
  };
  const std::vector<Step> steps = {
      {"sell-1", t::Sell("pos1", "s1", "A", 2)},  {"adjust-1", t::Adjust("wh", "B", 2)},
      {"count-1", t::Count("s2", "A", 7)},        {"transfer-1", t::Transfer("s1", "s2", "A", 1)},
      {"extend-1", t::Extend(id, 5000)},          {"commit-1", t::Commit(id)},
      {"fulfill-1", t::Fulfill(id, {L("A", 1)})}, {"cancel-1", t::Cancel(id)},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.request_id);
    absl::StatusOr<Outcome> first = Run(s.body, s.request_id);
    ASSERT_TRUE(first.ok()) << first.status();
    const std::string after_first = Observe();
    clock_.Advance(1);
    absl::StatusOr<Outcome> again = Run(s.body, s.request_id);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(Observe(), after_first);
    EXPECT_EQ(Str(again->before), Str(first->before));
    EXPECT_EQ(Str(again->after), Str(first->after));
    EXPECT_EQ(first->hold.has_value(), again->hold.has_value());
    if (first->hold) {
      EXPECT_EQ(Str(*again->hold), Str(*first->hold));
    }
  }
  EXPECT_EQ(Row("A", "s1"), (Counters{7, 0, 0}));  // 10 - 2 sold - 1 moved
  EXPECT_EQ(Row("A", "s2"), (Counters{8, 0, 0}));  // counted 7 + 1 moved
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 0}));  // 1 fulfilled, 2 cancelled
  EXPECT_EQ(Row("B", "wh"), (Counters{7, 0, 0}));
}

TEST_F(EngineTest, ReplayOfAReleaseIsNotAnError) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  absl::StatusOr<Outcome> first = Run(t::Release(id), "rel-1");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<Outcome> again = Run(t::Release(id), "rel-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->hold->state, HoldState::kReleased);
  EXPECT_REJECTED(kPrecondition, t::Release(id), "rel-2");
}

TEST_F(EngineTest, FailedCallIsNotRecorded) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("B", 8)}), "retry-1");
  Ok(t::Adjust("wh", "B", 3));
  absl::StatusOr<Outcome> retry = Run(t::Reserve("web", {L("B", 8)}), "retry-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(Row("B", "wh"), (Counters{8, 8, 0}));
  // A failed validation is not recorded either.
  EXPECT_REJECTED(kNotFound, t::Adjust("wh", "NEW", -1, AdjustReason::kCorrection), "retry-2");
  Ok(t::Adjust("wh", "NEW", 1, AdjustReason::kCorrection), "retry-2-other");
  EXPECT_REJECTED(kAborted, t::Count("wh", "NEW", 5, 3), "retry-3");
  Ok(t::Adjust("wh", "NEW", 2));
  ASSERT_TRUE(Run(t::Count("wh", "NEW", 5, 3), "retry-3").ok());
  EXPECT_EQ(Row("NEW", "wh"), (Counters{5, 0, 0}));
}

// ---------------------------------------------------------------- TTL

TEST_F(EngineTest, ExpiryReleasesUnitsAndAnnounces) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  const int64_t deadline = GetHold(id).deadline_ms;
  EXPECT_EQ(deadline, clock_.NowMs() + 1000);
  // web: 7 + 10 = 17; amazon: floor((7 - 2) / 2) = 2.
  EXPECT_EQ(Published("web", "A"), 17);
  EXPECT_EQ(Published("amazon", "A"), 2);
  listener_.Take();

  clock_.Advance(999);
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kHeld);
  clock_.Advance(2);
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(engine_->ExpireDue(), 1);
  HoldView h = GetHold(id);
  EXPECT_EQ(h.state, HoldState::kExpired);
  EXPECT_EQ(h.deadline_ms, 0);
  EXPECT_EQ(h.updated_ms, now);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 20);
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges(std::vector<PublishedChange>{{"web", "A", 17, 20, 20, now},
                                                    {"amazon", "A", 2, 4, 10, now}}));
  EXPECT_EQ(engine_->Stats().expired_holds, 1);
  EXPECT_EQ(engine_->Stats().open_holds, 0);
  HoldFilter expired;
  expired.state = HoldState::kExpired;
  ASSERT_EQ(engine_->ListHolds(expired).size(), 1u);
  EXPECT_EQ(engine_->ListHolds(expired)[0].hold_id, id);
  std::vector<AuditEntry> audit = engine_->ListAudit("A", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].operation, "expire");
  EXPECT_EQ(audit[0].hold_id, id);

  EXPECT_EQ(engine_->ExpireDue(), 0) << "a hold expires once";
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Release(id));
}

TEST_F(EngineTest, PastDeadlineIsExpiredEvenBeforeTheReaperRuns) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  clock_.Advance(1001);  // past the deadline: no longer HELD for the client
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Commit(id, {L("A", 1)}));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 60000));
  clock_.Advance(5000);
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 60000));
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(GetHold(id).state, HoldState::kExpired);
}

TEST_F(EngineTest, ExpireDueCountsEveryDueHold) {
  StockUp();
  Hold("web", {L("A", 1, "wh")}, 1000);
  Hold("web", {L("A", 1, "wh")}, 2000);
  Hold("pos1", {L("C", 1)}, 1500);
  const std::string later = Hold("web", {L("B", 1)}, 5000);
  const std::string committed = Hold("web", {L("B", 1)}, 1000);
  Ok(t::Commit(committed));
  clock_.Advance(2500);
  EXPECT_EQ(engine_->ExpireDue(), 3);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 1, 1}));
  EXPECT_EQ(GetHold(later).state, HoldState::kHeld);
  EXPECT_EQ(GetHold(committed).state, HoldState::kCommitted);
  EXPECT_EQ(engine_->ListHolds(HoldFilter{}).size(), 2u);
}

// ---------------------------------------------------------------- changes

TEST_F(EngineTest, ChangesOnlyWhenAPublishedNumberChanges) {
  const int64_t now = clock_.NowMs();
  auto change = [&](const char* channel, int64_t prev, int64_t pub, int64_t res) {
    return PublishedChange{channel, "A", prev, pub, res, now};
  };
  // web 0 -> 10; amazon floor((10 - 2) / 2) = 4; the stores' numbers do not move.
  Ok(t::Adjust("wh", "A", 10));
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges({change("web", 0, 10, 10), change("amazon", 0, 4, 10)}));

  Ok(t::Adjust("dc", "A", 5));  // nobody's source
  EXPECT_EQ(StrChanges(listener_.Take()), "");

  Ok(t::Count("s2", "A", 3));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 0, 3, 3)}));

  const std::string id = Hold("pos2", {L("A", 1)});
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 3, 2, 2)}));

  Ok(t::Extend(id, 5000));
  EXPECT_EQ(StrChanges(listener_.Take()), "");

  // amazon's reservable moves 10 -> 11 but floor(9 / 2) = floor(8 / 2) = 4: no change.
  Ok(t::Adjust("wh", "A", 1));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("web", 10, 11, 11)}));

  Ok(t::Release(id));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 2, 3, 3)}));

  // Published is the conservative number, reservable the real one.
  EXPECT_EQ(Reservable("amazon", "A"), 11);
  EXPECT_EQ(Published("amazon", "A"), 4);
}

// ---------------------------------------------------------------- audit

TEST_F(EngineTest, AuditEntryPerMutation) {
  ASSERT_TRUE(engine_->ExecuteAndWait(Cmd(t::Adjust("wh", "A", 10), "aud-1", "alice")).ok());
  clock_.Advance(7);
  absl::StatusOr<Outcome> r =
      engine_->ExecuteAndWait(Cmd(t::Reserve("web", {L("A", 2)}), "", "bob"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(engine_->ExecuteAndWait(Cmd(t::Sell("pos1", "s1", "A", 1), "", "carol")).ok());
  Ok(t::Adjust("s1", "B", 4));

  std::vector<AuditEntry> a = engine_->ListAudit("A", 10);
  ASSERT_EQ(a.size(), 2u) << "one per successful mutation of A, none for the failed sale";
  const AuditEntry& reserve = a[0];  // newest first
  const AuditEntry& adjust = a[1];
  EXPECT_LT(adjust.sequence, reserve.sequence);

  EXPECT_EQ(adjust.actor, "alice");
  EXPECT_EQ(adjust.operation, "adjust");
  EXPECT_EQ(adjust.request_id, "aud-1");
  EXPECT_NE(adjust.reason.find("receipt"), std::string::npos) << adjust.reason;
  EXPECT_EQ(Str(adjust.before), "A@wh=0/0/0");
  EXPECT_EQ(Str(adjust.after), "A@wh=10/0/0");

  EXPECT_EQ(reserve.actor, "bob");
  EXPECT_EQ(reserve.operation, "reserve");
  EXPECT_EQ(reserve.channel, "web");
  EXPECT_EQ(reserve.hold_id, r->hold->hold_id);
  EXPECT_EQ(reserve.time_ms, clock_.NowMs());
  EXPECT_EQ(Str(reserve.before), "A@wh=10/0/0");
  EXPECT_EQ(Str(reserve.after), "A@wh=10/2/0");

  EXPECT_EQ(engine_->ListAudit("", 0).size(), 3u);
  EXPECT_EQ(engine_->ListAudit("", 1).size(), 1u);
  EXPECT_EQ(engine_->ListAudit("", 1)[0].operation, "adjust");
  EXPECT_EQ(engine_->ListAudit("B", 10).size(), 1u);
  EXPECT_TRUE(engine_->ListAudit("C", 10).empty());
}

TEST_F(EngineTest, AuditOfTransferAndSell) {
  StockUp();
  Ok(t::Transfer("wh", "s2", "A", 4));
  Ok(t::Sell("pos1", "s1", "A", 9, true));
  std::vector<AuditEntry> a = engine_->ListAudit("A", 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].operation, "sell");
  EXPECT_EQ(a[0].channel, "pos1");
  EXPECT_EQ(Str(a[0].after), "A@s1=1/0/0");
  EXPECT_EQ(a[1].operation, "transfer");
  EXPECT_EQ(Str(a[1].before), "A@wh=10/0/0, A@s2=5/0/0");
  EXPECT_EQ(Str(a[1].after), "A@wh=6/0/0, A@s2=9/0/0");
}

// ---------------------------------------------------------------- queries

TEST_F(EngineTest, ListHoldsFilters) {
  StockUp();
  const std::string a = Hold("web", {L("A", 1, "wh")});
  clock_.Advance(1);
  const std::string b = Hold("pos1", {L("A", 1), L("C", 1)});
  clock_.Advance(1);
  const std::string c = Hold("web", {L("B", 1)});
  clock_.Advance(1);
  Ok(t::Commit(c));
  const std::string d = Hold("web", {L("B", 1)});
  Ok(t::Release(d));

  auto ids = [](const std::vector<HoldView>& v) {
    std::vector<std::string> out;
    for (const HoldView& h : v) out.push_back(h.hold_id);
    return out;
  };
  HoldFilter open;
  EXPECT_EQ(ids(engine_->ListHolds(open)), (std::vector<std::string>{a, b, c}));
  HoldFilter web;
  web.channel = "web";
  EXPECT_EQ(ids(engine_->ListHolds(web)), (std::vector<std::string>{a, c}));
  HoldFilter sku_c;
  sku_c.sku = "C";
  EXPECT_EQ(ids(engine_->ListHolds(sku_c)), (std::vector<std::string>{b}));
  HoldFilter committed;
  committed.state = HoldState::kCommitted;
  EXPECT_EQ(ids(engine_->ListHolds(committed)), (std::vector<std::string>{c}));
  HoldFilter released;
  released.state = HoldState::kReleased;
  EXPECT_EQ(ids(engine_->ListHolds(released)), (std::vector<std::string>{d}));
  HoldFilter limited;
  limited.limit = 2;
  EXPECT_EQ(ids(engine_->ListHolds(limited)), (std::vector<std::string>{a, b}));

  EXPECT_EQ(engine_->GetHold("h-unknown").status().code(), kNotFound);
  EXPECT_EQ(engine_->GetHold("bad id!").status().code(), kInvalid);
  EXPECT_EQ(engine_->GetStock("NOPE", {}).status().code(), kNotFound);
  EXPECT_EQ(engine_->GetStock("bad sku!", {}).status().code(), kInvalid);
  EXPECT_EQ(engine_->GetStock("A", {"nowhere"}).status().code(), kNotFound);
  EXPECT_EQ(engine_->Stats().open_holds, 3);
}

// CONTRACT (proto ListHoldsResponse: "oldest first"): holds created within the same
// millisecond are listed in the order they were created.
TEST_F(EngineTest, ListHoldsOldestFirstWithinOneMillisecond) {
  StockUp();
  std::vector<std::string> created;
  for (int i = 0; i < 12; ++i) created.push_back(Hold("web", {L("A", 1)}));
  HoldFilter open;
  std::vector<std::string> listed;
  for (const HoldView& h : engine_->ListHolds(open)) listed.push_back(h.hold_id);
  EXPECT_EQ(listed, created);
}

// ---------------------------------------------------------------- model checks

TEST(EngineCreateTest, RejectsAStructurallyInvalidModel) {
  auto base = [] {
    return ModelBuilder()
        .Location("wh")
        .Location("s1", LocationType::kStore)
        .Channel("web", ChannelType::kWebshop, {"wh"})
        .Channel("pos", ChannelType::kStore, {"s1"});
  };
  EXPECT_TRUE(Engine::Create(base().Build(), EngineOptions{}).ok());
  // A channel protects units only at its own sources.
  EXPECT_EQ(Engine::Create(base().Protect("web", "s1", 1).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Share("web", 101).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Safety("web", -1).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Location("wh").Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(
      Engine::Create(base().Channel("empty", ChannelType::kWebshop, {}).Build(), EngineOptions{})
          .status()
          .code(),
      kInvalid);
  Model bad_override =
      base()
          .Override({.pattern = "*", .channel = "web", .origin = "x:1", .protect = {{"s1", 1}}})
          .Build();
  EXPECT_EQ(Engine::Create(bad_override, EngineOptions{}).status().code(), kInvalid);
  EngineOptions no_lines;
  no_lines.max_lines = 0;
  EXPECT_EQ(Engine::Create(base().Build(), no_lines).status().code(), kInvalid);
}

// ---------------------------------------------------------------- journal

// A journal that queues records and completes them when the test says so. What it
// completes with OK is folded into a durable state, as the storage layer would keep it.
class QueueJournal : public Journal {
 public:
  void Append(std::shared_ptr<const MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    absl::MutexLock lock(&mu_);
    records_.push_back(record);
    queue_.push_back({std::move(record), std::move(done)});
  }
  size_t pending() {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }
  std::vector<std::shared_ptr<const MutationRecord>> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }
  // Completes the oldest queued record with `status` (outside the journal's lock).
  void CompleteNext(absl::Status status) {
    std::function<void(absl::Status)> done;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(queue_.empty());
      if (status.ok()) Fold(*queue_.front().first);
      done = std::move(queue_.front().second);
      queue_.pop_front();
    }
    done(std::move(status));
  }
  // Everything completed with OK so far.
  Snapshot DurableState() {
    absl::MutexLock lock(&mu_);
    Snapshot snapshot;
    for (const auto& [key, row] : rows_) snapshot.rows.push_back(row);
    for (const auto& [id, hold] : holds_) snapshot.holds.push_back(hold);
    for (const auto& [id, record] : idempotency_) snapshot.idempotency.push_back(record);
    snapshot.sequence = sequence_;
    return snapshot;
  }

 private:
  void Fold(const MutationRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const RowView& row : r.rows()) rows_[{row.sku, row.location}] = row;
    for (const HoldView& hold : r.holds) holds_[hold.hold_id] = hold;
    if (r.idempotency) idempotency_[r.idempotency->request_id] = *r.idempotency;
    sequence_ = std::max(sequence_, r.sequence);
  }

  absl::Mutex mu_;
  std::deque<std::pair<std::shared_ptr<const MutationRecord>, std::function<void(absl::Status)>>>
      queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const MutationRecord>> records_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, RowView> rows_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, HoldView> holds_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IdempotencyRecord> idempotency_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

// Captures the result of an asynchronous Execute.
struct Result {
  bool called = false;
  int calls = 0;
  absl::StatusOr<Outcome> value = absl::UnknownError("not called");
  Engine::Done Callback() {
    return [this](absl::StatusOr<Outcome> r) {
      called = true;
      ++calls;
      value = std::move(r);
    };
  }
};

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.clock = &clock_;
    options.journal = &journal_;
    auto engine = Engine::Create(TestModel(), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    engine_->AddListener(&listener_);
  }
  void TearDown() override {
    while (journal_.pending() > 0) journal_.CompleteNext(absl::OkStatus());
    InvariantReport report = engine_->CheckInvariants();
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
  }
  // Executes and completes durably; returns the outcome.
  absl::StatusOr<Outcome> Durable(CommandBody body, const std::string& request_id = "") {
    Result r;
    engine_->Execute(Cmd(std::move(body), request_id), r.Callback());
    if (!r.called) journal_.CompleteNext(absl::OkStatus());
    EXPECT_TRUE(r.called);
    return r.value;
  }
  Counters Row(const std::string& sku, const std::string& location) {
    auto rows = engine_->GetStock(sku, {location});
    if (!rows.ok() || rows->size() != 1) return Counters{-1, -1, -1};
    return (*rows)[0].counters;
  }

  ManualClock clock_;
  QueueJournal journal_;
  RecordingListener listener_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(JournalTest, AcknowledgesOnlyAfterTheJournalCompletes) {
  Result adjust;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 10)), adjust.Callback());
  EXPECT_FALSE(adjust.called) << "done before the record was durable";
  ASSERT_EQ(journal_.pending(), 1u);
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "changes are announced after durability";
  journal_.CompleteNext(absl::OkStatus());
  ASSERT_TRUE(adjust.called);
  EXPECT_EQ(adjust.calls, 1);
  ASSERT_TRUE(adjust.value.ok()) << adjust.value.status();
  EXPECT_EQ(Str(adjust.value->after), "A@wh=10/0/0");
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges({PublishedChange{"web", "A", 0, 10, 10, now},
                        PublishedChange{"amazon", "A", 0, 4, 10, now}}));

  // Two in flight: each completes on its own.
  Result second, third;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 5)), second.Callback());
  engine_->Execute(Cmd(t::Adjust("s1", "A", 4)), third.Callback());
  EXPECT_FALSE(second.called);
  EXPECT_FALSE(third.called);
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_TRUE(second.called);
  EXPECT_FALSE(third.called);
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_TRUE(third.called);
  EXPECT_EQ(second.calls + third.calls, 2);

  // Failed validation never reaches the journal and answers at once.
  Result bad;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 0, AdjustReason::kCorrection)), bad.Callback());
  EXPECT_TRUE(bad.called);
  EXPECT_EQ(bad.value.status().code(), kInvalid);
  EXPECT_EQ(journal_.pending(), 0u);
  EXPECT_EQ(journal_.records().size(), 3u);
}

TEST_F(JournalTest, DoneCarriesTheJournalError) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  listener_.Take();
  Result r;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 1)), r.Callback());
  EXPECT_FALSE(r.called);
  journal_.CompleteNext(absl::UnavailableError("redis down"));
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.value.status().message(), "redis down");
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "an unacknowledged mutation is not announced";
}

TEST_F(JournalTest, RecordsCarrySequenceAbsoluteRowsAndIdempotency) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 5)).ok());
  const ReserveCmd reserve = t::Reserve("web", {L("A", 2, "wh")});
  absl::StatusOr<Outcome> held = Durable(reserve, "rq-1");
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_TRUE(Durable(t::Transfer("wh", "s2", "A", 3)).ok());

  std::vector<std::shared_ptr<const MutationRecord>> records = journal_.records();
  ASSERT_EQ(records.size(), 4u);
  for (size_t i = 1; i < records.size(); ++i) {
    EXPECT_GT(records[i]->sequence, records[i - 1]->sequence);
  }
  // Absolute counters, not deltas.
  EXPECT_EQ(Str(records[0]->rows()), "A@wh=10/0/0");
  EXPECT_EQ(Str(records[1]->rows()), "A@wh=15/0/0");
  EXPECT_EQ(Str(records[2]->rows()), "A@wh=15/2/0");
  EXPECT_EQ(Str(records[3]->rows()), "A@wh=12/2/0, A@s2=3/0/0");

  EXPECT_EQ(records[0]->idempotency, nullptr);
  ASSERT_TRUE(records[2]->idempotency != nullptr);
  const IdempotencyRecord& idem = *records[2]->idempotency;
  EXPECT_EQ(idem.request_id, "rq-1");
  EXPECT_EQ(idem.fingerprint, Fingerprint(reserve));
  ASSERT_TRUE(idem.outcome.hold.has_value());
  EXPECT_EQ(idem.outcome.hold->hold_id, held->hold->hold_id);
  EXPECT_GT(idem.expires_ms, clock_.NowMs());

  ASSERT_EQ(records[2]->holds.size(), 1u);
  EXPECT_EQ(Str(records[2]->holds[0]), Str(*held->hold));
  EXPECT_EQ(records[2]->audit->operation, "reserve");
  EXPECT_EQ(records[2]->audit->request_id, "rq-1");
  EXPECT_EQ(records[2]->audit->sequence, records[2]->sequence);
  EXPECT_EQ(Str(records[2]->audit->after), "A@wh=15/2/0");
  // web 15 -> 13; amazon floor(13 / 2) = 6 -> floor(11 / 2) = 5.
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(StrChanges(records[2]->changes),
            StrChanges({PublishedChange{"web", "A", 15, 13, 13, now},
                        PublishedChange{"amazon", "A", 6, 5, 13, now}}));
}

TEST_F(JournalTest, ReplayWhileInFlightWaitsForTheFirst) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  Result first, replay;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)}), "rq-2"), first.Callback());
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)}), "rq-2"), replay.Callback());
  EXPECT_FALSE(first.called);
  EXPECT_FALSE(replay.called);
  EXPECT_EQ(journal_.pending(), 1u) << "the replay is not applied again";
  journal_.CompleteNext(absl::OkStatus());
  ASSERT_TRUE(first.called);
  ASSERT_TRUE(replay.called);
  ASSERT_TRUE(first.value.ok()) << first.value.status();
  ASSERT_TRUE(replay.value.ok()) << replay.value.status();
  ASSERT_TRUE(first.value->hold.has_value());
  ASSERT_TRUE(replay.value->hold.has_value());
  EXPECT_EQ(replay.value->hold->hold_id, first.value->hold->hold_id);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
}

TEST_F(JournalTest, DoneMayCallBackIntoTheEngine) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  int64_t seen = -1;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)})), [&](absl::StatusOr<Outcome> r) {
    ASSERT_TRUE(r.ok());
    seen = Row("A", "wh").held;  // engine locks must not be held here
  });
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_EQ(seen, 2);
}

// A write the journal could not make durable fails with UNAVAILABLE. The storage layer
// then closes the write gate and re-syncs the engine from what is durable (Restore):
// afterwards the failed call has left no trace, and its retry with the same request_id
// (proto: "retry with the same request_id") applies exactly once.
TEST_F(JournalTest, FailedWriteIsUndoneByReSyncAndItsRetryAppliesOnce) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  listener_.Take();
  Result failed;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), failed.Callback());
  journal_.CompleteNext(absl::UnavailableError("redis down"));
  ASSERT_TRUE(failed.called);
  EXPECT_EQ(failed.value.status().code(), absl::StatusCode::kUnavailable);

  engine_->SetWritable(false, "redis down");
  EXPECT_FALSE(engine_->writable());
  Result gated;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), gated.Callback());
  ASSERT_TRUE(gated.called) << "a closed gate fails fast";
  EXPECT_EQ(gated.value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(journal_.pending(), 0u);

  absl::Status restored = engine_->Restore(journal_.DurableState());
  ASSERT_TRUE(restored.ok()) << restored;
  engine_->SetWritable(true);
  EXPECT_TRUE(engine_->writable());
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0})) << "the failed call left no trace";
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "Restore emits no change events";
  auto items = engine_->GetAvailability({"A"}, {"web", "amazon"});
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0].published, 10);
  EXPECT_EQ((*items)[1].published, 4);

  absl::StatusOr<Outcome> retry = Durable(t::Reserve("web", {L("A", 2, "wh")}), "rq-x");
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(retry->hold.has_value());
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0})) << "the retry applies exactly once";
  EXPECT_EQ(engine_->ListHolds(HoldFilter{}).size(), 1u);

  // A durable request survives a later re-sync: its replay still answers the first result.
  ASSERT_TRUE(engine_->Restore(journal_.DurableState()).ok());
  const size_t appended = journal_.records().size();
  Result replay;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), replay.Callback());
  ASSERT_TRUE(replay.called);
  ASSERT_TRUE(replay.value.ok()) << replay.value.status();
  ASSERT_TRUE(replay.value->hold.has_value());
  EXPECT_EQ(replay.value->hold->hold_id, retry->hold->hold_id);
  EXPECT_EQ(journal_.records().size(), appended);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
}

// ---------------------------------------------------------------- gate and restore

TEST_F(EngineTest, ClosedGateRejectsEveryMutationAndChangesNothing) {
  StockUp();
  const std::string id = Hold("web", {L("A", 1, "wh")});
  engine_->SetWritable(false, "redis down");
  const auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_REJECTED(kUnavailable, t::Reserve("web", {L("A", 1)}));
  EXPECT_REJECTED(kUnavailable, t::Commit(id));
  EXPECT_REJECTED(kUnavailable, t::Release(id));
  EXPECT_REJECTED(kUnavailable, t::Extend(id, 1000));
  EXPECT_REJECTED(kUnavailable, t::Sell("pos1", "s1", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Adjust("wh", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Count("wh", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Transfer("wh", "s2", "A", 1));
  absl::StatusOr<Outcome> r = Run(t::Adjust("wh", "A", 1));
  EXPECT_NE(r.status().message().find("redis down"), std::string::npos) << r.status();
  // Reads go on.
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 1, 0}));
  engine_->SetWritable(true);
  Ok(t::Release(id));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
}

TEST_F(EngineTest, RestoreReplacesTheWholeState) {
  StockUp();
  const int64_t now = clock_.NowMs();
  HoldView hold;
  hold.hold_id = "h-restored";
  hold.channel = "web";
  hold.state = HoldState::kHeld;
  hold.lines = {Line{"A", "wh", 2, 0}};
  hold.created_ms = hold.updated_ms = now;
  hold.deadline_ms = now + 1000;
  const ReserveCmd reserve = t::Reserve("web", {L("A", 2, "wh")});
  Outcome outcome;
  outcome.hold = hold;
  Snapshot snapshot;
  snapshot.rows = {RowView{"A", "wh", Counters{10, 2, 0}}};
  snapshot.holds = {hold};
  snapshot.idempotency = {IdempotencyRecord{"rq-r", Fingerprint(reserve), outcome, now + kMinute}};
  snapshot.sequence = 1000;
  listener_.Take();
  absl::Status st = engine_->Restore(snapshot);
  ASSERT_TRUE(st.ok()) << st;

  EXPECT_EQ(StrChanges(listener_.Take()), "");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
  auto rows = engine_->GetStock("A", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Str(*rows), "A@wh=10/2/0") << "rows not in the snapshot are gone";
  EXPECT_EQ(engine_->GetStock("B", {}).status().code(), kNotFound);
  // Published numbers are recomputed: web 8, amazon floor((8 - 2) / 2) = 3.
  EXPECT_EQ(Published("web", "A"), 8);
  EXPECT_EQ(Published("amazon", "A"), 3);
  EXPECT_EQ(Str(GetHold("h-restored")), Str(hold));
  EXPECT_EQ(engine_->Stats().open_holds, 1);

  // The restored idempotency record answers a replay; nothing changes.
  const std::string before = Observe();
  absl::StatusOr<Outcome> replay = Run(reserve, "rq-r");
  ASSERT_TRUE(replay.ok()) << replay.status();
  ASSERT_TRUE(replay->hold.has_value());
  EXPECT_EQ(replay->hold->hold_id, "h-restored");
  EXPECT_EQ(Observe(), before);

  // The restored hold expires at its deadline; new sequences continue past 1000.
  clock_.Advance(1001);
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  std::vector<AuditEntry> audit = engine_->ListAudit("A", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_GT(audit[0].sequence, 1000u);
}

TEST_F(EngineTest, RestoreRejectsAnInconsistentSnapshot) {
  StockUp();
  Hold("web", {L("A", 1, "wh")});
  const std::string before = Observe();
  Snapshot held_without_hold;
  held_without_hold.rows = {RowView{"A", "wh", Counters{10, 3, 0}}};
  EXPECT_EQ(engine_->Restore(held_without_hold).code(), kPrecondition);
  Snapshot unknown_location;
  unknown_location.rows = {RowView{"A", "gone", Counters{5, 0, 0}}};
  EXPECT_EQ(engine_->Restore(unknown_location).code(), kPrecondition);
  Snapshot unknown_channel;
  HoldView hold;
  hold.hold_id = "h-1";
  hold.channel = "gone";
  hold.state = HoldState::kHeld;
  hold.lines = {Line{"A", "wh", 1, 0}};
  hold.deadline_ms = clock_.NowMs() + 1000;
  unknown_channel.rows = {RowView{"A", "wh", Counters{10, 1, 0}}};
  unknown_channel.holds = {hold};
  EXPECT_EQ(engine_->Restore(unknown_channel).code(), kPrecondition);
  EXPECT_EQ(Observe(), before) << "a rejected snapshot leaves the engine unchanged";
}

// Duplicate SKUs are found (and named) whatever the number of lines: a scan below 16
// lines, an index from 16 on.
TEST(EngineLinesTest, DuplicateSkuIsNamedInShortAndLongReserves) {
  std::unique_ptr<Engine> engine = *Engine::Create(
      ModelBuilder().Location("wh").Channel("web", ChannelType::kWebshop, {"wh"}).Build(),
      EngineOptions());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        engine->ExecuteAndWait(Cmd(CountCmd{"wh", "S" + std::to_string(i), 5, std::nullopt, ""}))
            .ok());
  }
  for (size_t n : {3u, 15u, 16u, 40u}) {
    std::vector<Line> lines;
    for (size_t i = 0; i < n; ++i) lines.push_back(L("S" + std::to_string(i), 1));
    lines.push_back(L("S1", 1));  // the duplicate, last
    absl::StatusOr<Outcome> r = engine->ExecuteAndWait(Cmd(t::Reserve("web", lines)));
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_EQ(r.status().message(),
              "lines[" + std::to_string(n) + "]: sku 'S1' already in lines[1]")
        << n;
    lines.pop_back();
    EXPECT_TRUE(engine->ExecuteAndWait(Cmd(t::Reserve("web", lines))).ok()) << n;
  }
  EXPECT_TRUE(engine->CheckInvariants().ok());
}

}  // namespace
}  // namespace stockd::engine
