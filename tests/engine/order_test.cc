// ApplyOrder (docs/orders.md): a channel's order revisions move one hold, exactly once,
// and orders are facts: breaches, backorders and unstocked shipments are taken and
// recorded, never refused. Uses the engine fixture's model (engine_fixture.h): A at wh 10,
// s1 10, s2 5; B at wh 5; C at s1 3; web protects 2 at s1.
#include <string>
#include <utility>
#include <vector>

#include "tests/engine/engine_fixture.h"
#include "tests/engine/order_helpers.h"

namespace stockd::engine {
namespace {

// Records every applied order revision the engine announces.
class OrderListener : public ChangeListener {
 public:
  void OnPublishedChanges(const std::vector<PublishedChange>&) override {}
  void OnOrderApplied(const OrderEvent& e) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
  }
  std::vector<OrderEvent> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(events_, {});
  }

 private:
  absl::Mutex mu_;
  std::vector<OrderEvent> events_ ABSL_GUARDED_BY(mu_);
};

class OrderTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    engine_->AddListener(&orders_);
    StockUp();
  }
  OrderView GetOrder(const std::string& channel, const std::string& id) {
    absl::StatusOr<OrderView> o = engine_->GetOrder(channel, id);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : OrderView{};
  }
  OrderListener orders_;
};

TEST_F(OrderTest, PendingAcceptedPartlyShippedShipped) {
  Outcome o = Ok(Order("amazon", "111-1", 1, OrderStatus::kPending, {OL("A", 3)}));
  ASSERT_TRUE(o.order);
  EXPECT_FALSE(o.order_stale);
  const std::string hold = o.order->hold_id;
  EXPECT_EQ(Str(Row("A", "wh")), "10/3/0");
  EXPECT_EQ(GetHold(hold).state, HoldState::kHeld);
  EXPECT_EQ(GetHold(hold).deadline_ms, INT64_MAX);  // the channel decides, not a TTL

  Ok(Order("amazon", "111-1", 2, OrderStatus::kAccepted, {OL("A", 3)}));
  EXPECT_EQ(Str(Row("A", "wh")), "10/0/3");
  EXPECT_EQ(GetHold(hold).state, HoldState::kCommitted);

  Ok(Order("amazon", "111-1", 3, OrderStatus::kShipped, {OL("A", 3, 1)}));
  EXPECT_EQ(Str(Row("A", "wh")), "9/0/2");
  HoldView h = GetHold(hold);
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_EQ(h.lines[0].qty, 3);
  EXPECT_EQ(h.lines[0].fulfilled, 1);
  EXPECT_FALSE(GetOrder("amazon", "111-1").closed);

  Ok(Order("amazon", "111-1", 4, OrderStatus::kShipped, {OL("A", 3, 3)}));
  EXPECT_EQ(Str(Row("A", "wh")), "7/0/0");
  EXPECT_EQ(GetHold(hold).state, HoldState::kFulfilled);
  OrderView order = GetOrder("amazon", "111-1");
  EXPECT_TRUE(order.closed);
  EXPECT_EQ(order.revision, 4);
  EXPECT_EQ(order.status, OrderStatus::kShipped);
  ASSERT_EQ(order.lines.size(), 1u);
  EXPECT_EQ(order.lines[0].fulfilled, 3);
  EXPECT_EQ(order.lines[0].open, 0);
  EXPECT_FALSE(order.has_problem());
  EXPECT_EQ(orders_.Take().size(), 4u);
}

TEST_F(OrderTest, PendingCancelledReleasesAcceptedCancelledCancels) {
  Outcome a = Ok(Order("amazon", "p", 1, OrderStatus::kPending, {OL("A", 2)}));
  Outcome b = Ok(Order("amazon", "c", 1, OrderStatus::kAccepted, {OL("A", 3)}));
  EXPECT_EQ(Str(Row("A", "wh")), "10/2/3");
  Ok(Order("amazon", "p", 2, OrderStatus::kCancelled, {OL("A", 2)}));
  EXPECT_EQ(GetHold(a.order->hold_id).state, HoldState::kReleased);
  Ok(Order("amazon", "c", 2, OrderStatus::kCancelled, {OL("A", 3)}));
  EXPECT_EQ(GetHold(b.order->hold_id).state, HoldState::kCancelled);
  EXPECT_EQ(Str(Row("A", "wh")), "10/0/0");
  EXPECT_TRUE(GetOrder("amazon", "p").closed);
  EXPECT_EQ(GetOrder("amazon", "c").lines[0].cancelled, 3);
}

TEST_F(OrderTest, ALineCancelledInPartReleasesThatMuch) {
  Ok(Order("amazon", "o", 1, OrderStatus::kAccepted, {OL("A", 4), OL("B", 2)}));
  EXPECT_EQ(Str(Row("A", "wh")), "10/0/4");
  EXPECT_EQ(Str(Row("B", "wh")), "5/0/2");
  Ok(Order("amazon", "o", 2, OrderStatus::kAccepted, {OL("A", 4, 0, 1), OL("B", 2)}));
  EXPECT_EQ(Str(Row("A", "wh")), "10/0/3");
  EXPECT_EQ(Str(Row("B", "wh")), "5/0/2");
  // Shipped and the rest cancelled: the hold is fulfilled, the order closed.
  Ok(Order("amazon", "o", 3, OrderStatus::kShipped, {OL("A", 4, 3, 1), OL("B", 2, 1, 1)}));
  EXPECT_EQ(Str(Row("A", "wh")), "7/0/0");
  EXPECT_EQ(Str(Row("B", "wh")), "4/0/0");
  EXPECT_TRUE(GetOrder("amazon", "o").closed);
}

TEST_F(OrderTest, AnOlderRevisionAfterANewerChangesNothing) {
  Ok(Order("amazon", "o", 5, OrderStatus::kAccepted, {OL("A", 3)}));
  const std::string before = Observe();
  Outcome stale = Ok(Order("amazon", "o", 3, OrderStatus::kPending, {OL("A", 9)}));
  EXPECT_TRUE(stale.order_stale);
  ASSERT_TRUE(stale.order);
  EXPECT_EQ(stale.order->revision, 5);
  Outcome same = Ok(Order("amazon", "o", 5, OrderStatus::kCancelled, {OL("A", 3)}));
  EXPECT_TRUE(same.order_stale);
  EXPECT_EQ(Observe(), before);
  EXPECT_EQ(orders_.Take().size(), 1u);  // stale revisions are not announced
}

TEST_F(OrderTest, ReplayedRequestIdAnswersTheFirstResult) {
  const std::string rid = "order/amazon/o/1";
  Outcome first = Ok(Order("amazon", "o", 1, OrderStatus::kPending, {OL("A", 2)}), rid);
  const std::string before = Observe();
  Outcome again = Ok(Order("amazon", "o", 1, OrderStatus::kPending, {OL("A", 2)}), rid);
  EXPECT_EQ(Observe(), before);
  EXPECT_FALSE(first.replayed);
  EXPECT_TRUE(again.replayed);
  ASSERT_TRUE(again.hold);
  EXPECT_EQ(again.hold->hold_id, first.hold->hold_id);
  EXPECT_EQ(Str(Row("A", "wh")), "10/2/0");
}

TEST_F(OrderTest, BeyondAvailIsABreachBeyondFreeABackorder) {
  // pos1 sells from s1, where web protects 2: C has 3 there, so pos1's avail is 1.
  Outcome o = Ok(Order("pos1", "o", 1, OrderStatus::kAccepted, {OL("C", 5)}));
  EXPECT_TRUE(o.breach);
  EXPECT_EQ(o.breach_units, 2);  // free 3 taken, 1 within avail
  EXPECT_EQ(Str(Row("C", "s1")), "3/0/3");
  OrderView order = GetOrder("pos1", "o");
  EXPECT_EQ(order.lines[0].open, 3);
  EXPECT_EQ(order.lines[0].breach, 2);
  EXPECT_EQ(order.lines[0].backorder, 2);
  EXPECT_TRUE(order.has_problem());
  EXPECT_FALSE(order.closed);
  std::vector<OrderEvent> events = orders_.Take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].new_breach, 2);
  EXPECT_EQ(events[0].backorder, 2);
  EXPECT_EQ(events[0].previous_backorder, 0);
  EXPECT_EQ(engine_->Stats().order_breaches, 1);
  EXPECT_EQ(engine_->Stats().order_backorders, 1);
  std::vector<AuditEntry> audit = engine_->ListAudit("C", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].operation, "order");
  EXPECT_NE(audit[0].reason.find("BREACH: 2"), std::string::npos) << audit[0].reason;
  EXPECT_NE(audit[0].reason.find("BACKORDER: 2"), std::string::npos) << audit[0].reason;

  // Stock arrives; a recheck of the same revision covers the backorder, within avail.
  Ok(t::Adjust("s1", "C", 4, AdjustReason::kReceipt));
  ApplyOrderCmd recheck = Order("pos1", "o", 1, OrderStatus::kAccepted, {OL("C", 5)});
  recheck.recheck = true;
  Outcome r = Ok(recheck);
  EXPECT_FALSE(r.breach);
  EXPECT_EQ(Str(Row("C", "s1")), "7/0/5");
  order = GetOrder("pos1", "o");
  EXPECT_EQ(order.lines[0].backorder, 0);
  EXPECT_EQ(order.lines[0].breach, 2);  // the history stays
  events = orders_.Take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].previous_backorder, 2);
  EXPECT_EQ(events[0].backorder, 0);
}

// The event names each line a revision changed: a later revision's breach on its second
// line is that line's, not the first line's older one.
TEST_F(OrderTest, TheEventNamesTheLinesTheRevisionChanged) {
  Ok(Order("pos1", "o", 1, OrderStatus::kAccepted, {OL("C", 5), OL("A", 1)}));
  std::vector<OrderEvent> events = orders_.Take();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].lines.size(), 1u);  // A's one unit was within avail: no change
  EXPECT_EQ(events[0].lines[0].line, 0u);
  EXPECT_EQ(events[0].lines[0].new_breach, 2);
  EXPECT_EQ(events[0].lines[0].backorder_before, 0);
  EXPECT_EQ(events[0].lines[0].backorder_after, 2);

  // A at s1: 10 on hand, 1 taken; pos1 may sell 7 of the 9 free (web protects 2). 11 more
  // units: 9 taken (2 beyond avail), 2 uncovered.
  Ok(Order("pos1", "o", 2, OrderStatus::kAccepted, {OL("C", 5), OL("A", 12)}));
  events = orders_.Take();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].lines.size(), 1u);
  EXPECT_EQ(events[0].lines[0].line, 1u);
  EXPECT_EQ(events[0].lines[0].new_breach, 2);
  EXPECT_EQ(events[0].lines[0].backorder_before, 0);
  EXPECT_EQ(events[0].lines[0].backorder_after, 2);
  EXPECT_EQ(events[0].new_breach, 2);
  EXPECT_EQ(events[0].backorder, 4);
  EXPECT_EQ(events[0].previous_backorder, 2);
}

TEST_F(OrderTest, ShippedUnitsNeverHeldComeOffTheShelfAndWhatIsNotThereIsUnstocked) {
  // First seen already shipped, 7 of B when wh has 5.
  Outcome o = Ok(Order("amazon", "o", 1, OrderStatus::kShipped, {OL("B", 7, 7)}));
  EXPECT_EQ(Str(Row("B", "wh")), "0/0/0");
  OrderView order = GetOrder("amazon", "o");
  EXPECT_EQ(order.lines[0].fulfilled, 5);
  EXPECT_EQ(order.lines[0].unstocked, 2);
  EXPECT_EQ(order.lines[0].breach, 0);
  EXPECT_TRUE(order.closed);
  EXPECT_TRUE(order.has_problem());
  EXPECT_EQ(GetHold(o.order->hold_id).state, HoldState::kFulfilled);
}

TEST_F(OrderTest, TheChannelsLocationIsUsedAndUnknownOnesFallBackToSources) {
  Ok(Order("web", "o", 1, OrderStatus::kAccepted, {OL("A", 2, 0, 0, "s1")}));
  EXPECT_EQ(Str(Row("A", "s1")), "10/0/2");
  Ok(Order("web", "p", 1, OrderStatus::kAccepted, {OL("A", 1, 0, 0, "nowhere")}));
  EXPECT_EQ(Str(Row("A", "wh")), "10/0/1");  // web's first source
  std::vector<AuditEntry> audit = engine_->ListAudit("A", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_NE(audit[0].reason.find("'nowhere'"), std::string::npos) << audit[0].reason;
}

TEST_F(OrderTest, AnOrdersHoldFollowsOnlyTheOrder) {
  Outcome o = Ok(Order("amazon", "o", 1, OrderStatus::kPending, {OL("A", 2)}));
  const std::string id = o.order->hold_id;
  for (CommandBody body :
       std::vector<CommandBody>{ReleaseCmd{id}, CommitCmd{id, {}}, ExtendCmd{id, 60'000}}) {
    EXPECT_REJECTED(absl::StatusCode::kFailedPrecondition, body);
  }
  Ok(Order("amazon", "o", 2, OrderStatus::kAccepted, {OL("A", 2)}));
  for (CommandBody body : std::vector<CommandBody>{FulfillCmd{id, {}}, CancelCmd{id}}) {
    EXPECT_REJECTED(absl::StatusCode::kFailedPrecondition, body);
  }
  // No deadline: the reaper never expires a pending order's hold.
  Ok(Order("amazon", "q", 1, OrderStatus::kPending, {OL("A", 1)}));
  clock_.Advance(30LL * 24 * 3600 * 1000);
  engine_->ExpireDue();
  EXPECT_EQ(Str(Row("A", "wh")), "10/1/2");
}

TEST_F(OrderTest, BadOrdersAreRefusedAndChangeNothing) {
  auto bad = [](auto mutate) {
    ApplyOrderCmd cmd = Order("amazon", "o", 1, OrderStatus::kAccepted, {OL("A", 2)});
    mutate(cmd);
    return cmd;
  };
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.revision = 0; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.order_id = "has space"; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.order_id = ""; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.lines.clear(); }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.lines[0].shipped = 3; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.lines[0].cancelled = 3; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.lines[0].qty = 0; }));
  EXPECT_REJECTED(absl::StatusCode::kInvalidArgument,
                  bad([](ApplyOrderCmd& c) { c.lines.resize(kMaxLines + 1, OL("A", 1)); }));
  EXPECT_REJECTED(absl::StatusCode::kNotFound, bad([](ApplyOrderCmd& c) { c.channel = "ebay"; }));
  EXPECT_REJECTED(absl::StatusCode::kNotFound,
                  bad([](ApplyOrderCmd& c) { c.lines.push_back(OL("NOPE", 1)); }));
  EXPECT_REJECTED(absl::StatusCode::kNotFound, bad([](ApplyOrderCmd& c) { c.recheck = true; }));
  EXPECT_FALSE(engine_->GetOrder("amazon", "o").ok());
  EXPECT_EQ(engine_->Stats().orders, 0);
}

TEST_F(OrderTest, ListOrdersFiltersProblemsAndChannels) {
  Ok(Order("amazon", "b", 1, OrderStatus::kAccepted, {OL("A", 1)}));
  Ok(Order("amazon", "a", 1, OrderStatus::kAccepted, {OL("B", 9)}));  // backorder 4
  Ok(Order("pos1", "z", 1, OrderStatus::kAccepted, {OL("A", 1)}));
  std::vector<OrderView> all = engine_->ListOrders({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].order_id, "a");
  EXPECT_EQ(all[1].order_id, "b");
  EXPECT_EQ(all[2].channel, "pos1");
  OrderFilter problems;
  problems.problems_only = true;
  std::vector<OrderView> p = engine_->ListOrders(problems);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].order_id, "a");
  EXPECT_EQ(p[0].lines[0].backorder, 4);
  OrderFilter pos;
  pos.channel = "pos1";
  EXPECT_EQ(engine_->ListOrders(pos).size(), 1u);
}

TEST_F(OrderTest, ClosedOrdersAreForgottenAfterTheirRetention) {
  Ok(Order("amazon", "o", 1, OrderStatus::kCancelled, {OL("A", 1)}));
  EXPECT_TRUE(GetOrder("amazon", "o").closed);
  clock_.Advance(29LL * 24 * 3600 * 1000);
  engine_->ExpireDue();
  EXPECT_TRUE(engine_->GetOrder("amazon", "o").ok());
  clock_.Advance(2LL * 24 * 3600 * 1000);
  engine_->ExpireDue();
  EXPECT_EQ(engine_->GetOrder("amazon", "o").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stockd::engine
