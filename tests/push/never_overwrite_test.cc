// "Never overwrite a sale" (docs/orders.md) through the real webhook plugin and the fake
// marketplace with compare-and-set: a sale on the channel lands between stockd computing
// a quantity and pushing it; the channel refuses the push as a conflict; the pusher waits
// until the channel's orders are ingested past the conflict, reads the channel's number
// back (again after a failed read-back) and pushes the quantity computed after the sale. The
// channel never shows a number that gives the sold unit back, and ends at stockd's published
// quantity.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "daemon/engine/clock.h"
#include "daemon/plugins/adapter.h"
#include "daemon/push/ack_store.h"
#include "daemon/push/channel_pusher.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_channel_server.h"

namespace stockd::push {
namespace {

using namespace std::chrono_literals;
using fakes::FakeChannelServer;

TEST(NeverOverwriteTest, AConflictWaitsForTheOrdersThenPushesFromTheChannelsNumber) {
  FakeChannelServer::Options fo;
  fo.compare_and_set = true;
  FakeChannelServer fake(fo);
  std::string error;
  ASSERT_TRUE(fake.Start(&error)) << error;
  absl::StatusOr<std::unique_ptr<plugins::Adapter>> adapter = plugins::LoadPlugin(
      std::string(STOCKD_BINARY_DIR) + "/plugins", "webhook",
      "{\"channel\":\"amazon\",\"url\":\"" + fake.url() + "\",\"timeout_ms\":2000}", {});
  ASSERT_TRUE(adapter.ok()) << adapter.status();

  std::atomic<int64_t> ingested_until{0};
  engine::SystemClock clock;
  MemoryAckStore acks;
  PusherOptions options;
  options.channel = "amazon";
  options.coalesce_window_ms = 0;
  options.retry_initial_ms = 10;
  options.orders_ingested_until = [&ingested_until] { return ingested_until.load(); };
  ChannelPusher pusher(options, std::move(*adapter), &acks, &clock);
  pusher.Start();

  // The channel learns 10.
  pusher.Offer("SKU-1", 10);
  ASSERT_TRUE(fake.WaitForQuantity("SKU-1", 10, 5s));
  const auto acked = [&pusher] { return pusher.Acked("SKU-1"); };
  for (auto end = std::chrono::steady_clock::now() + 5s;
       acked() != 10 && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(acked(), 10);

  // The channel sells 1 (it shows 9); stockd has not ingested it and, for another
  // reason (a webshop sale of 2), computes 8: pushing 8 would give the sold unit back.
  ASSERT_TRUE(fake.orders().PlaceOrder("amazon", "A-1", {{"SKU-1", 1, ""}}).ok());
  ASSERT_EQ(fake.ChannelQuantity("amazon", "SKU-1"), 9);
  pusher.Offer("SKU-1", 8);
  for (auto end = std::chrono::steady_clock::now() + 5s;
       fake.Conflicts() == 0 && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(fake.Conflicts(), 1);
  // While the orders are not ingested past the conflict, nothing more is pushed.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(fake.ChannelQuantity("amazon", "SKU-1"), 9);
  EXPECT_EQ(fake.Conflicts(), 1);
  EXPECT_EQ(pusher.Stats().items_conflict, 1);

  // The order is ingested (stockd's published is now 7), but the channel's read-back
  // fails (500): nothing is pushed (a push would compare against the refused 10 again);
  // the SKU waits for its backoff.
  pusher.Offer("SKU-1", 7);
  fake.Enqueue(fakes::Behaviour::ServerError());
  ingested_until.store(clock.NowMs() + 1);
  for (auto end = std::chrono::steady_clock::now() + 5s;
       fake.PendingBehaviours() > 0 && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(fake.PendingBehaviours(), 0u);
  // The fake has answered 500; the pusher records it once the answer reaches it (CI saw
  // the check run between the two on a loaded machine).
  for (auto end = std::chrono::steady_clock::now() + 5s;
       pusher.Stats().last_error.find("reading back after a conflict") == std::string::npos &&
       std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_NE(pusher.Stats().last_error.find("reading back after a conflict"), std::string::npos)
      << pusher.Stats().last_error;
  EXPECT_EQ(fake.Conflicts(), 1);
  EXPECT_EQ(fake.ChannelQuantity("amazon", "SKU-1"), 9);

  // The read-back works at the retry: the pusher reads 9 back and pushes 7 from it.
  ASSERT_TRUE(fake.WaitForQuantity("SKU-1", 7, 5s));
  EXPECT_EQ(fake.ChannelQuantity("amazon", "SKU-1"), 7);
  EXPECT_EQ(fake.Conflicts(), 1);
  for (auto end = std::chrono::steady_clock::now() + 5s;
       acked() != 7 && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(acked(), 7);
  pusher.Stop();
}

}  // namespace
}  // namespace stockd::push
