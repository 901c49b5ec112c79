// OrderIngest, the intake every order enters by: listing ids mapped to SKUs, one engine
// ApplyOrder per revision under order/<channel>/<order id>/<revision>, replays and older
// revisions changing nothing, unmapped orders parked durably and applied once mapped,
// and the intake's status contract (OK, UNAVAILABLE, NOT_FOUND, the engine's errors).
#include "daemon/orders/order_ingest.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/orders/orders_test_support.h"
#include "tests/support/temp_dir.h"

namespace stockd::orders {
namespace {

using testing::Counters;
using testing::Line;
using testing::MakeOrder;
using Status = plugins::Order::Status;

class OrderIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::MakeEngine(&clock_);
    ASSERT_NE(engine_, nullptr);
    testing::Stock(engine_.get(), "SKU-1", 10);
    testing::Stock(engine_.get(), "SKU-2", 10);
    // Each test its own directory: ctest runs the tests of this fixture side by side.
    listings_path_ = dir_.path() + "/ingest_listings.csv";
    testing::WriteFile(listings_path_, "sku,listing_id\nSKU-1,L-1\n");
    absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load(listings_path_);
    ASSERT_TRUE(map.ok()) << map.status();
    map_ = *std::move(map);
    ingest_ = NewIngest();
  }

  std::unique_ptr<OrderIngest> NewIngest() {
    absl::StatusOr<std::unique_ptr<OrderIngest>> ingest =
        OrderIngest::Create(engine_.get(), &store_, {{"amazon", map_.get()}}, &clock_, {});
    EXPECT_TRUE(ingest.ok()) << ingest.status();
    return ingest.ok() ? *std::move(ingest) : nullptr;
  }

  absl::StatusOr<IngestResult> Submit(const std::string& channel, plugins::Order order) {
    absl::StatusOr<IngestResult> result = absl::InternalError("done not called");
    absl::Notification done;
    ingest_->SubmitWithResult(channel, std::move(order), [&](absl::StatusOr<IngestResult> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  // Rewrites the listings file, its mtime surely later (two writes within one tick of the
  // file system's clock may share one), and refreshes the map.
  void MapListings(const std::string& text) {
    testing::WriteFile(listings_path_, text);
    std::filesystem::last_write_time(listings_path_, std::filesystem::file_time_type::clock::now() +
                                                         std::chrono::seconds(++bump_));
    absl::StatusOr<bool> refreshed = map_->Refresh();
    ASSERT_TRUE(refreshed.ok()) << refreshed.status();
    ASSERT_TRUE(*refreshed);
  }

  stockd::testing::TempDir dir_{"order-ingest"};
  engine::ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  MemoryOrderStore store_;
  std::string listings_path_;
  std::unique_ptr<ListingMap> map_;
  std::unique_ptr<OrderIngest> ingest_;
  int bump_ = 0;
};

TEST_F(OrderIngestTest, AppliesARevisionOnceAndReplaysChangeNothing) {
  absl::StatusOr<IngestResult> r =
      Submit("amazon", MakeOrder("O-1", 1, Status::kPending, {Line("L-1", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kApplied);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/2/0");
  absl::StatusOr<engine::OrderView> order = engine_->GetOrder("amazon", "O-1");
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->revision, 1);

  // The same revision again, and an older one after a newer: nothing changes.
  r = Submit("amazon", MakeOrder("O-1", 1, Status::kPending, {Line("L-1", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kStale);
  r = Submit("amazon", MakeOrder("O-1", 2, Status::kAccepted, {Line("L-1", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kApplied);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/2");
  r = Submit("amazon", MakeOrder("O-1", 1, Status::kPending, {Line("L-1", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kStale);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/2");
}

TEST_F(OrderIngestTest, TheIntakeContract) {
  auto submit = [&](const std::string& channel, plugins::Order order) {
    absl::Status status = absl::InternalError("done not called");
    ingest_->Submit(channel, std::move(order), [&](absl::Status st) { status = st; });
    return status;  // no journal: done runs inline
  };
  EXPECT_EQ(submit("ebay", MakeOrder("O-1", 1, Status::kPending, {Line("L-1", 1)})).code(),
            absl::StatusCode::kNotFound);
  // A channel without a listings file maps by identity; a SKU stockd does not know is
  // unmapped: parked (OK: durable), listed, and nothing applied.
  absl::Status st = submit("web", MakeOrder("W-1", 1, Status::kPending, {Line("NO-SUCH", 1)}));
  EXPECT_EQ(st, absl::OkStatus());
  std::vector<UnmappedOrder> unmapped = ingest_->ListUnmapped();
  ASSERT_EQ(unmapped.size(), 1u);
  EXPECT_EQ(unmapped[0].order_id, "W-1");
  EXPECT_EQ(unmapped[0].listing_ids, std::vector<std::string>{"NO-SUCH"});
  EXPECT_FALSE(engine_->GetOrder("web", "W-1").ok());
  EXPECT_EQ(submit("web", MakeOrder("W-2", 1, Status::kPending, {Line("SKU-2", 3)})),
            absl::OkStatus());
  EXPECT_EQ(Counters(engine_.get(), "SKU-2"), "10/3/0");
  // Not durable: UNAVAILABLE, and nothing changed.
  engine_->SetWritable(false, "redis down");
  EXPECT_EQ(submit("web", MakeOrder("W-3", 1, Status::kPending, {Line("SKU-2", 1)})).code(),
            absl::StatusCode::kUnavailable);
  engine_->SetWritable(true);
  EXPECT_EQ(Counters(engine_.get(), "SKU-2"), "10/3/0");
  EXPECT_EQ(engine_->GetOrder("web", "W-3").status().code(), absl::StatusCode::kNotFound);
  // Malformed (the engine's check): INVALID_ARGUMENT.
  EXPECT_EQ(submit("web", MakeOrder("W 4", 1, Status::kPending, {Line("SKU-2", 1)})).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OrderIngestTest, UnmappedOrdersAreParkedDurablyAndAppliedOnceMapped) {
  clock_.Advance(1000);
  const int64_t parked_at = clock_.NowMs();
  absl::StatusOr<IngestResult> r =
      Submit("amazon", MakeOrder("O-2", 1, Status::kPending, {Line("L-1", 1), Line("L-9", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kParked);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/0");  // no part of it applied
  EXPECT_EQ(engine_->GetOrder("amazon", "O-2").status().code(), absl::StatusCode::kNotFound);

  // A newer revision replaces the parked one; an older one changes nothing.
  clock_.Advance(1000);
  r = Submit("amazon", MakeOrder("O-2", 3, Status::kAccepted, {Line("L-1", 1), Line("L-9", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  r = Submit("amazon", MakeOrder("O-2", 2, Status::kPending, {Line("L-1", 1), Line("L-9", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<UnmappedOrder> unmapped = ingest_->ListUnmapped();
  ASSERT_EQ(unmapped.size(), 1u);
  EXPECT_EQ(unmapped[0].channel, "amazon");
  EXPECT_EQ(unmapped[0].order_id, "O-2");
  EXPECT_EQ(unmapped[0].revision, 3);
  EXPECT_EQ(unmapped[0].listing_ids, std::vector<std::string>{"L-9"});
  EXPECT_EQ(unmapped[0].since_ms, parked_at);

  // Durable: a new intake over the same store still has it.
  ingest_ = NewIngest();
  ASSERT_EQ(ingest_->ListUnmapped().size(), 1u);
  EXPECT_EQ(ingest_->RetryUnmapped(), 0);  // L-9 still maps to nothing

  MapListings("sku,listing_id\nSKU-1,L-1\nSKU-2,L-9\n");
  EXPECT_EQ(ingest_->RetryUnmapped(), 1);
  EXPECT_TRUE(ingest_->ListUnmapped().empty());
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/1");  // accepted: committed
  EXPECT_EQ(Counters(engine_.get(), "SKU-2"), "10/0/2");
  absl::StatusOr<std::vector<ParkedOrder>> stored = store_.LoadParked();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  // Once applied, a re-delivered older revision is not parked again.
  MapListings("sku,listing_id\nSKU-1,L-1\n");
  r = Submit("amazon", MakeOrder("O-2", 3, Status::kAccepted, {Line("L-1", 1), Line("L-9", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kStale);
  EXPECT_TRUE(ingest_->ListUnmapped().empty());
}

TEST_F(OrderIngestTest, AListingOfAKitIsParkedUntilEveryComponentIsKnownThenAppliedAsThem) {
  MapListings("sku,listing_id\nSKU-1,L-1\nPAIR,L-P\n");
  absl::StatusOr<IngestResult> r =
      Submit("amazon", MakeOrder("O-K", 1, Status::kAccepted, {Line("L-P", 2)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kParked) << "SKU-3, a component, is not known yet";
  ASSERT_EQ(ingest_->ListUnmapped().size(), 1u);
  EXPECT_EQ(ingest_->ListUnmapped()[0].listing_ids, std::vector<std::string>{"L-P"});

  testing::Stock(engine_.get(), "SKU-3", 10);
  EXPECT_EQ(ingest_->RetryUnmapped(), 1);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/2");  // 2 pairs: 2 x SKU-1, committed
  EXPECT_EQ(Counters(engine_.get(), "SKU-3"), "10/0/4");  // and 2 x 2 of SKU-3
  absl::StatusOr<engine::OrderView> order = engine_->GetOrder("amazon", "O-K");
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(order->lines.size(), 2u);
  EXPECT_EQ(order->lines[1].kit, "PAIR");
  EXPECT_EQ(order->lines[1].per_kit, 2);
  // One pair shipped on the channel: both components leave the shelf.
  r = Submit("amazon", MakeOrder("O-K", 2, Status::kShipped, {Line("L-P", 2, 1)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kApplied);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "9/0/1");
  EXPECT_EQ(Counters(engine_.get(), "SKU-3"), "8/0/2");
}

// The same revision applied before under another mapping: the engine refuses the request
// id with another body; the order table shows it is in, so the intake answers OK.
TEST_F(OrderIngestTest, ARevisionAppliedUnderAnotherMappingIsAReplay) {
  ASSERT_TRUE(Submit("amazon", MakeOrder("O-3", 1, Status::kPending, {Line("L-1", 1)})).ok());
  MapListings("sku,listing_id\nSKU-2,L-1\n");
  absl::StatusOr<IngestResult> r =
      Submit("amazon", MakeOrder("O-3", 1, Status::kPending, {Line("L-1", 1)}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, IngestResult::kStale);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/1/0");
  EXPECT_EQ(Counters(engine_.get(), "SKU-2"), "10/0/0");
}

TEST(OrderRequestIdTest, ShortIdsAreReadableLongOnesHashedStably) {
  EXPECT_EQ(OrderRequestId("amazon", "O-1", 7), "order/amazon/O-1/7");
  const std::string long_id(120, 'x');
  const std::string id = OrderRequestId("amazon", long_id, 7);
  EXPECT_LE(id.size(), 128u);
  EXPECT_EQ(id.rfind("order/amazon/h", 0), 0u) << id;
  EXPECT_EQ(id.size(), std::string("order/amazon/h/7").size() + 16) << id;
  EXPECT_EQ(id, OrderRequestId("amazon", long_id, 7));
  EXPECT_NE(id, OrderRequestId("amazon", std::string(120, 'y'), 7));
}

}  // namespace
}  // namespace stockd::orders
