// The checks of one Session operation that need nothing of the stream
// (daemon/server/session_admission.h): each refusal's exact status and message, in the
// order a client sees them, and the deadline an admitted op carries.
#include "daemon/server/session_admission.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "daemon/engine/engine.h"
#include "tests/support/test_model.h"

namespace stockd::server {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::system_clock;

class SessionAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<engine::Engine>> e =
        engine::Engine::Create(testing::ModelBuilder()
                                   .Location("wh")
                                   .Channel("webshop", engine::ChannelType::kWebshop, {"wh"})
                                   .Channel("market", engine::ChannelType::kMarketplace, {"wh"})
                                   .Build(),
                               engine::EngineOptions{});
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = std::move(*e);
    caller_.name = "till-7";
    caller_.role = config::Role::kSell;
    caller_.channels = {"webshop"};
  }

  SessionAdmission With() const {
    SessionAdmission with{*engine_, caller_};
    with.check_access = true;
    with.max_response_bytes = 4 << 20;
    with.location_bytes = 2;
    with.now = now_;
    return with;
  }

  static v1::SessionOp Reserve(const std::string& channel, int64_t deadline_ms = 0) {
    v1::SessionOp op;
    op.set_tag(1);
    op.set_deadline_ms(deadline_ms);
    v1::ReserveRequest* r = op.mutable_op()->mutable_reserve();
    r->set_request_id("r-1");
    r->set_channel(channel);
    v1::HoldLine* line = r->add_lines();
    line->set_sku("SKU-1");
    line->set_qty(1);
    return op;
  }

  std::unique_ptr<engine::Engine> engine_;
  Caller caller_;
  const Clock::time_point now_ = Clock::now();
};

TEST_F(SessionAdmissionTest, AnAdmittedOpCarriesItsCommandAndNoDeadlineWhenNoneIsSet) {
  absl::StatusOr<AdmittedOp> a = AdmitSessionOp(Reserve("webshop"), With());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->item.request_id, "r-1");
  ASSERT_TRUE(std::holds_alternative<engine::ReserveCmd>(a->item.body));
  EXPECT_EQ(std::get<engine::ReserveCmd>(a->item.body).channel, "webshop");
  EXPECT_FALSE(a->deadline.has_value());
}

TEST_F(SessionAdmissionTest, TheEarlierOfTheStreamsAndTheOpsDeadlineIsKept) {
  SessionAdmission with = With();
  with.call_deadline = now_ + milliseconds(500);
  absl::StatusOr<AdmittedOp> own_first = AdmitSessionOp(Reserve("webshop", 200), with);
  ASSERT_TRUE(own_first.ok()) << own_first.status();
  EXPECT_EQ(own_first->deadline, now_ + milliseconds(200));
  absl::StatusOr<AdmittedOp> stream_first = AdmitSessionOp(Reserve("webshop", 900), with);
  ASSERT_TRUE(stream_first.ok()) << stream_first.status();
  EXPECT_EQ(stream_first->deadline, now_ + milliseconds(500));
  absl::StatusOr<AdmittedOp> stream_only = AdmitSessionOp(Reserve("webshop"), with);
  ASSERT_TRUE(stream_only.ok()) << stream_only.status();
  EXPECT_EQ(stream_only->deadline, now_ + milliseconds(500));
}

TEST_F(SessionAdmissionTest, ADeadlineAlreadyPassedIsDeadlineExceeded) {
  SessionAdmission with = With();
  with.call_deadline = now_;
  absl::StatusOr<AdmittedOp> a = AdmitSessionOp(Reserve("webshop"), with);
  EXPECT_EQ(a.status(),
            absl::DeadlineExceededError(
                "the deadline passed before the operation reached the engine; nothing was done"));
}

TEST_F(SessionAdmissionTest, ANegativeDeadlineAndAMissingOperationAreInvalid) {
  EXPECT_EQ(AdmitSessionOp(Reserve("webshop", -5), With()).status(),
            absl::InvalidArgumentError("deadline_ms: -5 is negative"));
  v1::SessionOp empty;
  empty.set_tag(3);
  EXPECT_EQ(AdmitSessionOp(empty, With()).status(),
            absl::InvalidArgumentError("op: no operation set"));
  // The deadline is checked first: an op wrong in both ways names its deadline.
  empty.set_deadline_ms(-1);
  EXPECT_EQ(AdmitSessionOp(empty, With()).status(),
            absl::InvalidArgumentError("deadline_ms: -1 is negative"));
}

TEST_F(SessionAdmissionTest, AnotherChannelsOpIsRefusedOnlyWithAuthenticationOn) {
  absl::StatusOr<AdmittedOp> a = AdmitSessionOp(Reserve("market"), With());
  ASSERT_EQ(a.status().code(), absl::StatusCode::kPermissionDenied) << a.status();
  EXPECT_NE(a.status().message().find("channel 'market'"), std::string::npos) << a.status();
  SessionAdmission off = With();
  off.check_access = false;
  EXPECT_TRUE(AdmitSessionOp(Reserve("market"), off).ok());
}

TEST_F(SessionAdmissionTest, TooLowARoleIsPermissionDenied) {
  caller_.role = config::Role::kRead;
  absl::StatusOr<AdmittedOp> a = AdmitSessionOp(Reserve("webshop"), With());
  EXPECT_EQ(a.status(),
            absl::PermissionDeniedError("client 'till-7' has the role read; Reserve needs sell"));
}

TEST_F(SessionAdmissionTest, AResultThatCouldOutgrowTheResponseLimitIsRefused) {
  SessionAdmission with = With();
  with.max_response_bytes = 100;
  absl::StatusOr<AdmittedOp> a = AdmitSessionOp(Reserve("webshop"), with);
  ASSERT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << a.status();
  EXPECT_NE(a.status().message().find(
                "over the response limit of 100 bytes (server.max_response_bytes); nothing was "
                "applied"),
            std::string::npos)
      << a.status();
}

}  // namespace
}  // namespace stockd::server
