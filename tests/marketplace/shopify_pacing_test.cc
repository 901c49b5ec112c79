// The Shopify adapter against the fake's cost bucket: pacing by throttleStatus, a short
// throttle waited out once, a long one returned as a Retry with its time, in both of the
// shapes Shopify throttles with (HTTP 200 and 429).
#include <thread>

#include "tests/marketplace/shopify_test_util.h"

namespace stockd::shopify_test {
namespace {

class ShopifyPacingTest : public ShopifyTest, public ::testing::WithParamInterface<int> {
 protected:
  FakeShopify::Options FakeOptions() override {
    FakeShopify::Options o = ShopifyTest::FakeOptions();
    o.throttle_status = GetParam();
    o.restore_rate = 50;
    return o;
  }

  // An instance with a mapping file (no look-ups) for items A0..A<n-1>.
  std::unique_ptr<Instance> CreateMapped(int n, Json extra = Json::object()) {
    const std::string mapping = dir_ + "/mapping.csv";
    std::ofstream out(mapping);
    for (int i = 0; i < n; ++i) {
      const std::string sku = "A" + std::to_string(i);
      items_.push_back(fake_->AddStockedItem(sku, location_, 1));
      out << sku << "," << items_.back() << "\n";
    }
    out.close();
    extra["mapping_file"] = mapping;
    return Create(Config(extra));
  }

  std::vector<int64_t> items_;
};

// Fixtures whose bucket refills slowly, so that a request sent right after the bucket was
// drained is throttled even when a loaded machine takes hundreds of ms to send it (at 50
// points a second a mutation's 10 points were back in 200 ms, and sanitized CI runs under
// a load of 8 sent the request after that: no throttle to see).
template <int kPointsPerSecond>
class SlowBucketTest : public ShopifyPacingTest {
 protected:
  FakeShopify::Options FakeOptions() override {
    FakeShopify::Options o = ShopifyPacingTest::FakeOptions();
    o.restore_rate = kPointsPerSecond;
    return o;
  }
};
using ShopifyThrottleTest = SlowBucketTest<12>;  // a mutation's 10 points: 833 ms
using ShopifyStopTest = SlowBucketTest<6>;       // 1,667 ms: waited for, and cut short

TEST_P(ShopifyThrottleTest, AShortThrottleIsWaitedOutOnceUnderTheSameKey) {
  auto shopify = CreateMapped(1);
  fake_->SetAvailablePoints(0);  // another app of the shop drained the bucket
  const auto start = std::chrono::steady_clock::now();
  const PushOutcome out = shopify->Push({{"a", "A0", 5, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(fake_->Quantity(items_[0], location_), 5);
  EXPECT_EQ(host_.Counter("throttled"), 1);
  EXPECT_EQ(host_.Counter("retries"), 1);
  const auto mutations = RequestsOf("inventorySetQuantities");
  ASSERT_EQ(mutations.size(), 2u);
  EXPECT_EQ(mutations[0].status, GetParam());
  // The bucket refills at 12 points a second from 0: what it holds when the request lands
  // depends on how fast this machine got there (under the sanitizers, a few points), but it
  // is always below the 10 the mutation needs, or there would be no throttle.
  Json answer = Json::parse(mutations[0].answer);
  Json& available = answer["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"];
  EXPECT_LT(available.get<double>(), 10.0) << answer;
  available = 0;
  EXPECT_EQ(answer,
            Json::parse(R"({"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED",
                "documentation":"https://shopify.dev/api/usage/rate-limits"}}],
                "extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":null,
                "throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":0,
                "restoreRate":12.0}}}})"));
  EXPECT_EQ(mutations[0].body, mutations[1].body);
}

TEST_P(ShopifyThrottleTest, ALongThrottleIsARetryAfterTheTimeTheBucketNeeds) {
  // The adapter keeps 150 points free: it needs 160 and the bucket held none, so the
  // answer is (160 - what had come back when the request landed) / 12 s away, over 12 s:
  // too long to wait within a push.
  auto reserving = CreateMapped(1, {{"min_available_cost", 150}});
  fake_->SetAvailablePoints(0);
  PushOutcome out = reserving->Push({{"a", "A0", 5, 1}});
  // The first call goes out (the adapter has not seen the bucket yet) and is throttled.
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  const auto throttled = RequestsOf("inventorySetQuantities");
  ASSERT_EQ(throttled.size(), 1u);
  const double available =
      Json::parse(throttled[0].answer)["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
          .get<double>();
  EXPECT_NEAR(out.results[0].retry_after_ms, (160 - available) / 12 * 1000, 100) << available;
  EXPECT_TRUE(Contains(out.results[0].message, "waiting for Shopify's rate limit"));
  EXPECT_EQ(host_.Counter("throttled"), 1);
  // Now it knows: the next push waits for nothing and asks nothing.
  fake_->ClearRequests();
  out = reserving->Push({{"a", "A0", 5, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_GT(out.results[0].retry_after_ms, 2000);
  EXPECT_TRUE(fake_->Requests().empty());
  EXPECT_EQ(fake_->Quantity(items_[0], location_), 1);
}

TEST_P(ShopifyPacingTest, ThePushIsPacedByTheObservedBucketAndNeverThrottled) {
  auto shopify = CreateMapped(20);
  fake_->SetAvailablePoints(30);  // 3 mutations' worth, then 5 a second
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 5; ++i) {
      const int k = round * 5 + i;
      const std::vector<TestItem> one = {{"s", "A" + std::to_string(k), 9, 1}};
      ASSERT_EQ(shopify->Push(one).results[0].status, STOCKD_PUSH_OK) << k;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // 20 mutations x 10 points: (200 - 30) / 50 = 3.4 s at the restore rate.
  EXPECT_GE(elapsed, std::chrono::milliseconds(3200));
  EXPECT_EQ(fake_->ThrottledCount(), 0);
  EXPECT_EQ(host_.Counter("throttled"), 0);
  EXPECT_EQ(RequestsOf("inventorySetQuantities").size(), 20u);
}

TEST_P(ShopifyStopTest, AStoppingDaemonIsNotHeldUpByAWaitForTheBucket) {
  // Throttled once, the adapter waits up to 10 / 6 = 1.7 s for the bucket.
  auto shopify = CreateMapped(1);
  fake_->SetAvailablePoints(0);
  // The daemon stops once the throttled request is in, while the adapter waits (a fixed
  // 100 ms came before the request on a loaded CI machine: nothing was sent at all).
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread stopper([this, &cancelled_at] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fake_->ThrottledCount() < 1 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    cancelled_at = std::chrono::steady_clock::now();
    host_.SetCancelled(true);
  });
  const PushOutcome out = shopify->Push({{"a", "A0", 5, 1}});
  const auto returned_at = std::chrono::steady_clock::now();
  stopper.join();
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "abandoned, stockd is stopping"));
  EXPECT_LT(returned_at - cancelled_at, std::chrono::milliseconds(1000))
      << "the stop must cut the 1.7 s wait short";
  EXPECT_EQ(fake_->ThrottledCount(), 1);
  EXPECT_EQ(RequestsOf("inventorySetQuantities").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(ThrottleStatus, ShopifyPacingTest, ::testing::Values(200, 429));
INSTANTIATE_TEST_SUITE_P(ThrottleStatus, ShopifyThrottleTest, ::testing::Values(200, 429));
INSTANTIATE_TEST_SUITE_P(ThrottleStatus, ShopifyStopTest, ::testing::Values(200, 429));

}  // namespace
}  // namespace stockd::shopify_test
