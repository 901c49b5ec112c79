// The marketplace plugins end to end (issue 15): a real daemon on a real redis-server, the
// real plugin of each marketplace, and its faithful fake. A stock change in stockd reaches
// the fake (through the API the real marketplace speaks), and an order placed on the fake
// comes back into stockd as a hold, exactly once; the push that follows shows the other
// units to the fake. Shopify's and WooCommerce's signed order webhooks reach the daemon's
// receiver: applied once, a wrong signature refused, a rotated secret honoured.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/orders/orders.h"
#include "daemon/server/daemon.h"
#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/ebay/fake_ebay.h"
#include "tests/fakes/shopify/fake_shopify.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;

class MarketplacesE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    char tmpl[] = "/tmp/stockd-marketplaces-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A credential file (0600, as the plugins require); returns its path.
  std::string Secret(const std::string& name, const std::string& value) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << value << "\n";
    EXPECT_EQ(chmod(path.c_str(), 0600), 0);
    return path;
  }

  void StartYaml(const std::string& yaml) {
    absl::StatusOr<config::Config> parsed = config::ParseConfig(yaml, "marketplaces.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    config_ = *parsed;
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*parsed);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
  }

  // Starts the daemon with one marketplace channel `channel` on the warehouse, whose
  // adapter is `plugin` with `config` (a YAML flow mapping), polling orders every 50 ms.
  void Start(const std::string& plugin, const std::string& config) {
    const std::string yaml = absl::StrCat(R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 1s}
redis: {mode: external, address: ")yaml",
                                          redis_.address(), R"yaml(", timeout: 1s}
plugin_dir: )yaml",
                                          STOCKD_BINARY_DIR, R"yaml(/plugins
locations:
  - {id: wh, type: warehouse}
channels:
  - id: market
    type: marketplace
    sources: [wh]
    adapter:
      plugin: )yaml",
                                          plugin, R"yaml(
      config: )yaml",
                                          config, R"yaml(
      retry_initial: 50ms
    orders: {poll_interval: 50ms}
  - id: web
    type: webshop
    sources: [wh]
)yaml");
    StartYaml(yaml);
  }

  void Count(const std::string& sku, int64_t n) {
    absl::StatusOr<engine::Outcome> out =
        daemon_->engine()->ExecuteAndWait(testing::Cmd(testing::Count("wh", sku, n)));
    ASSERT_TRUE(out.ok()) << out.status();
  }
  // on_hand/held/committed of `sku` at the warehouse.
  std::string Counters(const std::string& sku) {
    absl::StatusOr<std::vector<engine::RowView>> rows = daemon_->engine()->GetStock(sku, {"wh"});
    if (!rows.ok() || rows->empty()) return "none";
    const engine::Counters& c = (*rows)[0].counters;
    return absl::StrCat(c.on_hand, "/", c.held, "/", c.committed);
  }
  ::testing::AssertionResult Eventually(const std::function<bool()>& what,
                                        const std::string& describe,
                                        std::chrono::seconds timeout = 20s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (what()) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(10ms);
    }
    return ::testing::AssertionFailure() << "timed out waiting for " << describe;
  }

  stockd::testing::TestRedis redis_;
  std::string dir_;
  config::Config config_;
  std::unique_ptr<server::Daemon> daemon_;
};

TEST_F(MarketplacesE2ETest, Shopify) {
  fakes::FakeShopify::Options options;
  fakes::FakeShopify shop(options);
  const int64_t location = shop.AddLocation("Warehouse");
  const int64_t item = shop.AddStockedItem("SKU-1", location, 0);
  std::string error;
  ASSERT_TRUE(shop.Start(&error)) << error;
  Start("shopify", absl::StrCat("{shop_url: \"", shop.shop_url(), "\", access_token_file: \"",
                                Secret("token", options.access_token),
                                "\", location_id: \"gid://shopify/Location/", location, "\"}"));
  Count("SKU-1", 10);
  ASSERT_TRUE(Eventually([&] { return shop.Quantity(item, location) == 10; }, "shopify shows 10"));

  const int64_t id = shop.PlaceOrder({{"SKU-1", 3}}, location, /*paid=*/false);
  ASSERT_NE(id, 0);
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/3/0"; }, "the order held"));
  // Shopify's updatedAt has whole seconds: a change within the same second would share
  // the revision (docs/orders.md).
  shop.AdvanceMs(1000);
  shop.Pay(id);
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/3"; }, "the order committed"));
  shop.AdvanceMs(1000);
  shop.Fulfill(id, "SKU-1", 1);  // one unit shipped, two open
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "9/0/2"; }, "one unit shipped"));
  // stockd publishes 7 (9 on hand, 2 committed); Shopify shows as much.
  ASSERT_TRUE(Eventually([&] { return shop.Quantity(item, location) == 7; }, "shopify shows 7"));
}

TEST_F(MarketplacesE2ETest, Amazon) {
  fakes::FakeAmazon::Options options;
  // searchOrders allows one call per ~3 minutes; this test polls every 50 ms.
  options.rates[fakes::FakeAmazon::Operation::kSearchOrders] = {100, 100};
  fakes::FakeAmazon amazon(options);
  amazon.AddListing("SKU-1", 0);
  std::string error;
  ASSERT_TRUE(amazon.Start(&error)) << error;
  Start("amazon",
        absl::StrCat("{endpoint: \"", amazon.base_url(), "\", token_url: \"", amazon.token_url(),
                     "\", seller_id: ", options.seller_id, ", marketplace_id: ",
                     options.marketplace_ids[0], ", client_id: \"", options.client_id,
                     "\", client_secret_file: \"", Secret("lwa-secret", options.client_secret),
                     "\", refresh_token_file: \"", Secret("lwa-refresh", options.refresh_token),
                     "\", orders_requests_per_second: 100, orders_burst: 100}"));
  Count("SKU-1", 10);
  ASSERT_TRUE(Eventually([&] { return amazon.Quantity("SKU-1") == 10; }, "amazon shows 10"));

  const std::string id = amazon.PlaceOrder({{"SKU-1", 3}}, /*paid=*/true);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/3"; }, "the order committed"));
  ASSERT_TRUE(amazon.ShipAll(id));
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "7/0/0"; }, "the order shipped"));
  ASSERT_TRUE(Eventually([&] { return amazon.Quantity("SKU-1") == 7; }, "amazon shows 7"));
}

TEST_F(MarketplacesE2ETest, Ebay) {
  fakes::FakeEbay::Options options;
  fakes::FakeEbay ebay(options);
  ebay.AddListing("SKU-1", "110000000001", 0);
  std::string error;
  ASSERT_TRUE(ebay.Start(&error)) << error;
  Start("ebay",
        absl::StrCat("{endpoint: \"", ebay.base_url(), "\", client_id: \"", options.client_id,
                     "\", client_secret_file: \"", Secret("ebay-secret", options.client_secret),
                     "\", refresh_token_file: \"", Secret("ebay-refresh", options.refresh_token),
                     "\", requests_per_second: 100, min_revision_interval_ms: 0}"));
  Count("SKU-1", 10);
  ASSERT_TRUE(Eventually([&] { return ebay.Quantity("SKU-1") == 10; }, "ebay shows 10"));

  const std::string id = ebay.PlaceOrder({{"SKU-1", 2}});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(ebay.PayOrder(id));  // eBay lists an order once it is paid
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/2"; }, "the order committed"));
  ASSERT_TRUE(ebay.CancelOrder(id));
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/0"; }, "the order cancelled"));
  ASSERT_TRUE(Eventually([&] { return ebay.Quantity("SKU-1") == 10; }, "ebay shows 10 again"));
}

TEST_F(MarketplacesE2ETest, WooCommerce) {
  fakes::FakeWooCommerce::Options options;
  fakes::FakeWooCommerce shop(options);
  shop.AddSimpleProduct("SKU-1", 0);
  std::string error;
  ASSERT_TRUE(shop.Start(&error)) << error;
  Start("woocommerce",
        absl::StrCat("{base_url: \"", shop.base_url(), "\", consumer_key_file: \"",
                     Secret("ck", options.consumer_key), "\", consumer_secret_file: \"",
                     Secret("cs", options.consumer_secret), "\", requests_per_second: 100}"));
  Count("SKU-1", 10);
  ASSERT_TRUE(Eventually([&] { return shop.Stock("SKU-1") == 10; }, "the shop shows 10"));

  const int64_t id = shop.PlaceOrder({{"SKU-1", 4}}, "processing");
  ASSERT_NE(id, 0);
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/4"; }, "the order committed"));
  // WooCommerce stamps changes in whole seconds: a change within the same second would
  // share the revision (docs/orders.md).
  shop.AdvanceSeconds(1);
  ASSERT_TRUE(shop.SetOrderStatus(id, "completed"));
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "6/0/0"; }, "the order shipped"));
  ASSERT_TRUE(Eventually([&] { return shop.Stock("SKU-1") == 6; }, "the shop shows 6"));
}

// Shopify and WooCommerce deliver orders as signed webhooks to the daemon's receiver
// (docs/orders.md, "Webhook delivery"): the fakes sign their own payloads; a wrong secret is
// refused and changes nothing; a secret rotated by a reload refuses the old one.
TEST_F(MarketplacesE2ETest, ShopifyAndWooCommerceOrderWebhooks) {
  fakes::FakeShopify shop(fakes::FakeShopify::Options{});
  const int64_t location = shop.AddLocation("Warehouse");
  shop.AddStockedItem("SKU-1", location, 10);
  fakes::FakeWooCommerce woo(fakes::FakeWooCommerce::Options{});
  woo.AddSimpleProduct("SKU-2", 10);
  const std::string shop_secret = Secret("shopify-hook", "shpss_one");
  const std::string woo_secret = Secret("woo-hook", "woo-one");
  StartYaml(absl::StrCat(R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 1s}
redis: {mode: external, address: ")yaml",
                         redis_.address(), R"yaml(", timeout: 1s}
orders: {listen: "127.0.0.1:0"}
locations:
  - {id: wh, type: warehouse}
channels:
  - id: shop
    type: webshop
    sources: [wh]
    orders: {webhook: {signature: shopify, secret_file: ")yaml",
                         shop_secret, R"yaml("}}
  - id: woo
    type: webshop
    sources: [wh]
    orders: {webhook: {signature: woocommerce, secret_file: ")yaml",
                         woo_secret, R"yaml("}}
)yaml"));
  Count("SKU-1", 10);
  Count("SKU-2", 10);
  const auto url = [&](const std::string& channel) {
    return absl::StrCat("http://127.0.0.1:", daemon_->orders()->webhook_port(), "/orders/",
                        channel);
  };

  const int64_t paid = shop.PlaceOrder({{"SKU-1", 2}}, location, /*paid=*/true);
  EXPECT_EQ(shop.DeliverOrderWebhook(paid, url("shop"), "shpss_one"), 200);
  EXPECT_EQ(Counters("SKU-1"), "10/0/2");
  const int64_t processing = woo.PlaceOrder({{"SKU-2", 4}}, "processing");
  EXPECT_EQ(woo.DeliverOrderWebhook(processing, url("woo"), "woo-one"), 200);
  EXPECT_EQ(Counters("SKU-2"), "10/0/4");

  // A forged (wrongly signed) delivery of a newer revision changes nothing.
  shop.AdvanceMs(1000);
  shop.Fulfill(paid, "SKU-1", 1);
  EXPECT_EQ(shop.DeliverOrderWebhook(paid, url("shop"), "shpss_forged"), 401);
  woo.AdvanceSeconds(1);
  ASSERT_TRUE(woo.SetOrderStatus(processing, "cancelled"));
  EXPECT_EQ(woo.DeliverOrderWebhook(processing, url("woo"), "woo-forged"), 401);
  EXPECT_EQ(Counters("SKU-1"), "10/0/2");
  EXPECT_EQ(Counters("SKU-2"), "10/0/4");

  // The shop's secret is rotated: the file rewritten, the daemon reloaded.
  Secret("shopify-hook", "shpss_two");
  absl::StatusOr<server::ReloadReport> reloaded = daemon_->Reload(config_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(shop.DeliverOrderWebhook(paid, url("shop"), "shpss_one"), 401);
  EXPECT_EQ(Counters("SKU-1"), "10/0/2");
  EXPECT_EQ(shop.DeliverOrderWebhook(paid, url("shop"), "shpss_two"), 200);
  EXPECT_EQ(Counters("SKU-1"), "9/0/1");
  EXPECT_EQ(woo.DeliverOrderWebhook(processing, url("woo"), "woo-one"), 200);
  EXPECT_EQ(Counters("SKU-2"), "10/0/0");
}

}  // namespace
}  // namespace stockd
