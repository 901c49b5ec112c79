// idempotency.max_records: at the cap a new request id is refused with
// RESOURCE_EXHAUSTED naming the key, replays still answer, mutations without a request id
// are not limited, the warning is logged once per crossing, and records freed by expiry
// (manual clock) make room again.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::Command;
using engine::Engine;
using engine::Outcome;
namespace t = testing;

constexpr int64_t kTtlMs = 60'000;
constexpr char kFullMessage[] =
    "idempotency.max_records: 3 request ids are recorded and not yet expired "
    "(idempotency.ttl 60s); a new request_id is refused until older ones expire (a replay "
    "of a recorded one still answers)";

class IdempotencyCapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.clock = &clock_;
    options.idempotency_ttl_ms = kTtlMs;
    options.max_idempotency_records = 3;
    options.log = [this](log::Level level, const std::string& msg) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.push_back(std::string(log::LevelName(level)) + ": " + msg);
    };
    absl::StatusOr<std::unique_ptr<Engine>> e =
        Engine::Create(t::ModelBuilder()
                           .Location("wh")
                           .Channel("web", engine::ChannelType::kWebshop, {"wh"})
                           .Build(),
                       options);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = std::move(*e);
  }

  absl::StatusOr<Outcome> Adjust(int64_t delta, const std::string& request_id) {
    return engine_->ExecuteAndWait(Command{{request_id, "test"}, t::Adjust("wh", "A", delta)});
  }
  int64_t OnHand() { return (*engine_->GetStock("A", {"wh"}))[0].counters.on_hand; }
  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }

  engine::ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  std::mutex mu_;
  std::vector<std::string> logs_;
};

TEST_F(IdempotencyCapTest, NewRequestIdRefusedAtTheCapReplaysStillAnswer) {
  ASSERT_TRUE(Adjust(1, "r1").ok());
  ASSERT_TRUE(Adjust(2, "r2").ok());
  clock_.Advance(30'000);
  ASSERT_TRUE(Adjust(4, "r3").ok());
  ASSERT_EQ(OnHand(), 7);

  absl::StatusOr<Outcome> refused = Adjust(8, "r4");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(refused.status().message(), kFullMessage);
  EXPECT_EQ(OnHand(), 7) << "a refused mutation changes nothing";
  // Refused again, logged once.
  EXPECT_EQ(Adjust(8, "r5").status().code(), absl::StatusCode::kResourceExhausted);
  std::vector<std::string> logs = Logs();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0], absl::StrCat("warn: ", kFullMessage, "; refused request_id 'r4'"));

  // A replay of a recorded id answers its first result; a misused one is still refused
  // as such.
  absl::StatusOr<Outcome> replay = Adjust(2, "r2");
  ASSERT_TRUE(replay.ok()) << replay.status();
  ASSERT_EQ(replay->after.size(), 1u);
  EXPECT_EQ(replay->after[0].counters.on_hand, 3);
  EXPECT_EQ(Adjust(5, "r2").status().code(), absl::StatusCode::kInvalidArgument);
  // Without a request id nothing is recorded: not limited.
  ASSERT_TRUE(Adjust(16, "").ok());
  EXPECT_EQ(OnHand(), 23);

  EXPECT_EQ(Logs().size(), 1u) << "one warning per crossing, not per refusal";

  // r1 and r2 expire (60 s after their first answer): two new ids fit, not a third.
  clock_.Advance(30'000);
  ASSERT_TRUE(Adjust(32, "r6").ok());
  ASSERT_TRUE(Adjust(64, "r7").ok());
  EXPECT_EQ(Adjust(128, "r8").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(OnHand(), 119);
  // r2 is forgotten with its record: the id is new again, and refused at the cap.
  EXPECT_EQ(Adjust(2, "r2").status().code(), absl::StatusCode::kResourceExhausted);
  // r3 still answers.
  absl::StatusOr<Outcome> r3 = Adjust(4, "r3");
  ASSERT_TRUE(r3.ok()) << r3.status();
  EXPECT_EQ(r3->after[0].counters.on_hand, 7);
  EXPECT_EQ(OnHand(), 119);
}

TEST_F(IdempotencyCapTest, WarningReArmedOnceTheTableDrained) {
  ASSERT_TRUE(Adjust(1, "a1").ok());
  ASSERT_TRUE(Adjust(1, "a2").ok());
  ASSERT_TRUE(Adjust(1, "a3").ok());
  EXPECT_EQ(Adjust(1, "a4").status().code(), absl::StatusCode::kResourceExhausted);
  clock_.Advance(kTtlMs);  // all three expire
  ASSERT_TRUE(Adjust(1, "b1").ok());
  ASSERT_TRUE(Adjust(1, "b2").ok());
  ASSERT_TRUE(Adjust(1, "b3").ok());
  EXPECT_EQ(Adjust(1, "b4").status().code(), absl::StatusCode::kResourceExhausted);
  std::vector<std::string> logs = Logs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0], absl::StrCat("warn: ", kFullMessage, "; refused request_id 'a4'"));
  EXPECT_EQ(logs[1],
            "info: idempotency records below idempotency.max_records (3) again: new request "
            "ids are accepted");
  EXPECT_EQ(logs[2], absl::StrCat("warn: ", kFullMessage, "; refused request_id 'b4'"));
  EXPECT_EQ(OnHand(), 6);
}

}  // namespace
}  // namespace stockd
