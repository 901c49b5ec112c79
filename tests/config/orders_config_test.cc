// Order ingestion's keys: the top-level `orders` (the webhook receiver) and
// channels[].orders; the OrdersSlice built from them (an entry per channel with an adapter
// or an `orders` section, defaults where not set); errors with file:line:column.
#include <string>

#include "gtest/gtest.h"
#include "tests/config/config_test_support.h"

namespace stockd::config {
namespace {

TEST(OrdersConfigTest, SliceHasAnEntryPerChannelWithAnAdapterOrOrders) {
  absl::StatusOr<Config> config =
      ParseConfig(Base("    orders:\n"
                       "      poll_interval: 0s\n"
                       "      webhook:\n"
                       "        signature: shopify\n"
                       "        secret_file: /etc/s/web\n"
                       "  - id: amazon\n"
                       "    type: marketplace\n"
                       "    sources: [wh]\n"
                       "    adapter: {plugin: webhook, listings: l.csv}\n"
                       "    orders: {overlap: 2m}\n"
                       "  - id: ebay\n"
                       "    type: marketplace\n"
                       "    sources: [wh]\n"
                       "    adapter: {plugin: webhook}\n"
                       "  - id: pos\n"
                       "    type: store\n"
                       "    sources: [st]\n"
                       "orders:\n"
                       "  listen: 127.0.0.1:0\n"
                       "  max_body_bytes: 2048\n"
                       "  deadline: 2s\n"),
                  "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const OrdersConfig orders = config->OrdersSlice();
  EXPECT_EQ(orders.listen, "127.0.0.1:0");
  EXPECT_EQ(orders.max_body_bytes, 2048);
  EXPECT_EQ(orders.deadline_ms, 2 * kSecond);
  ASSERT_EQ(orders.channels.size(), 3u);  // not pos: no adapter, no orders
  const OrderChannelConfig& web = orders.channels[0];
  EXPECT_EQ(web.channel, "web");
  EXPECT_FALSE(web.adapter.has_value());
  EXPECT_EQ(web.poll_interval_ms, 0);
  EXPECT_EQ(web.webhook_signature, "shopify");
  EXPECT_EQ(web.webhook_secret_file, "/etc/s/web");
  EXPECT_EQ(web.origin, "test.yaml:11");
  const OrderChannelConfig& amazon = orders.channels[1];
  EXPECT_EQ(amazon.channel, "amazon");
  ASSERT_TRUE(amazon.adapter.has_value());
  EXPECT_EQ(amazon.adapter->listings_file, "l.csv");
  EXPECT_EQ(amazon.poll_interval_ms, 5 * kSecond);
  EXPECT_EQ(amazon.overlap_ms, 2 * kMinute);
  EXPECT_EQ(amazon.webhook_signature, "");
  const OrderChannelConfig& ebay = orders.channels[2];
  EXPECT_EQ(ebay.channel, "ebay");
  EXPECT_EQ(ebay.poll_interval_ms, 5 * kSecond);  // polling on by default
  EXPECT_EQ(ebay.overlap_ms, 0);
}

TEST(OrdersConfigTest, ErrorsNameFileLineColumnAndKeyPath) {
  std::string message =
      ErrorOf(Base("    orders:\n"                // 10
                   "      poll_interval: 2d\n"    // 11
                   "      webhook:\n"             // 12
                   "        signature: paypal\n"  // 13
                   "        secret_file: \"\"\n"  // 14
                   "orders:\n"                    // 15
                   "  listen: 0.0.0.0:8089\n"     // 16
                   "  deadline: 50ms\n"           // 17
                   "  typo: 1\n"));               // 18
  EXPECT_TRUE(Contains(message, "test.yaml:11:22: channels[0].orders.poll_interval: ")) << message;
  EXPECT_TRUE(Contains(message,
                       "test.yaml:13:20: channels[0].orders.webhook.signature: "
                       "'paypal': expected stockd, shopify or woocommerce"));
  EXPECT_TRUE(Contains(
      message, "test.yaml:14:22: channels[0].orders.webhook.secret_file: must not be empty"));
  EXPECT_TRUE(Contains(message, "test.yaml:16:11: orders.listen: '0.0.0.0:8089': "));
  EXPECT_TRUE(Contains(message, "test.yaml:17:13: orders.deadline: "));
  EXPECT_TRUE(Contains(message, "test.yaml:18:3: orders.typo: unknown key 'typo'"));

  message = ErrorOf(Base("    orders:\n      webhook: {signature: stockd}\n"));
  EXPECT_TRUE(Contains(message, "test.yaml:11:"));
  EXPECT_TRUE(Contains(message, "channels[0].orders.webhook.secret_file: "));
  message = ErrorOf(Base("orders:\n  listen: unix:/tmp/x.sock\n"));
  EXPECT_TRUE(Contains(message,
                       "test.yaml:11:11: orders.listen: 'unix:/tmp/x.sock': expected "
                       "host:port, not a unix socket"));
}

}  // namespace
}  // namespace stockd::config
