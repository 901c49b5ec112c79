// How fast the woocommerce adapter drains a backlog of changed SKUs against a shop whose
// web server allows R requests a second (the fake's limit_req), relative to what that
// limit allows (R calls x batch_size items), and the share of calls that failed or were
// throttled. Three runs each of: SKU ids already known (mapping file: the steady state)
// and a cold cache (every SKU looked up first, 100 a call). Prints medians, one line per
// figure. Target (steady state): >= 90 % of the limit, < 1 % of calls failing.
//
// The daemon's push worker is played by a loop: pushes of max_batch (100) items; an item
// answered RETRY goes back to the end of the backlog after its retry_after.
//
// Usage: stockd_woocommerce_drain_bench [calls_per_second=20] [skus=6000]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/plugin_under_test.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"

namespace {

using stockd::fakes::FakeWooCommerce;
using stockd::fakes::PluginUnderTest;
using stockd::fakes::TestHost;
using stockd::fakes::TestItem;

constexpr char kKey[] = "ck_bench";
constexpr char kSecret[] = "cs_bench";
constexpr size_t kPushSize = 100;  // the plugin's max_batch

struct Run {
  double seconds = 0;
  double items_per_s = 0;
  double calls_per_s = 0;
  double failed_share = 0;
  double throttled_share = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void WriteSecret(const std::string& path, const std::string& value) {
  std::ofstream(path, std::ios::trunc) << value << "\n";
  ::chmod(path.c_str(), 0600);
}

Run DrainOnce(const PluginUnderTest& plugin, const std::string& dir, int rate, int skus,
              bool known_ids, int round) {
  FakeWooCommerce::Options options;
  options.consumer_key = kKey;
  options.consumer_secret = kSecret;
  options.requests_per_second = rate;
  options.burst = 2;
  options.latency_ms = 5;
  FakeWooCommerce shop(options);
  std::string error;
  if (!shop.Start(&error)) {
    std::fprintf(stderr, "fake: %s\n", error.c_str());
    std::exit(1);
  }
  std::string mapping = "sku,product_id\n";
  std::deque<TestItem> backlog;
  for (int i = 0; i < skus; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    const int64_t id = shop.AddSimpleProduct(sku, 0);
    mapping += sku + "," + std::to_string(id) + "\n";
    backlog.push_back({sku, sku, 1 + (i + round) % 50, -1});
  }
  nlohmann::json config = {{"base_url", shop.base_url()},
                           {"consumer_key_file", dir + "/key"},
                           {"consumer_secret_file", dir + "/secret"},
                           {"channel", "woo"},
                           {"requests_per_second", rate},
                           {"batch_size", 100},
                           {"timeout_ms", 5000}};
  if (known_ids) {
    std::ofstream(dir + "/mapping.csv", std::ios::trunc) << mapping;
    config["mapping_file"] = dir + "/mapping.csv";
  }
  TestHost host;
  auto woo = plugin.Create(config.dump(), host, &error);
  if (woo == nullptr) {
    std::fprintf(stderr, "create: %s\n", error.c_str());
    std::exit(1);
  }
  shop.ClearRequests();
  const auto start = std::chrono::steady_clock::now();
  int64_t done = 0;
  while (!backlog.empty()) {
    std::vector<TestItem> batch;
    while (!backlog.empty() && batch.size() < kPushSize) {
      batch.push_back(backlog.front());
      backlog.pop_front();
    }
    const stockd::fakes::PushOutcome out = woo->Push(batch);
    int32_t wait_ms = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const stockd_push_result& r = out.results[i];
      if (out.rc == 0 && r.status == STOCKD_PUSH_OK) {
        ++done;
      } else if (out.rc == 0 && r.status == STOCKD_PUSH_PERMANENT) {
        std::fprintf(stderr, "rejected %s: %s\n", batch[i].sku.c_str(), r.message);
        std::exit(1);
      } else {
        wait_ms = std::max(wait_ms, r.retry_after_ms);
        backlog.push_back(batch[i]);
      }
    }
    if (wait_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t failed = 0;
  const auto requests = shop.Requests();
  for (const auto& r : requests) failed += (r.status < 200 || r.status >= 300) ? 1 : 0;
  for (int i = 0; i < skus; i += 997) {
    const std::string sku = "SKU-" + std::to_string(i);
    if (shop.Stock(sku) != 1 + (i + round) % 50) {
      std::fprintf(stderr, "%s has the wrong stock\n", sku.c_str());
      std::exit(1);
    }
  }
  Run run;
  run.seconds = seconds;
  run.items_per_s = static_cast<double>(done) / seconds;
  run.calls_per_s = static_cast<double>(requests.size()) / seconds;
  run.failed_share = requests.empty() ? 0 : static_cast<double>(failed) / requests.size();
  run.throttled_share =
      requests.empty() ? 0 : static_cast<double>(shop.ThrottledCount()) / requests.size();
  return run;
}

void Report(const char* name, const std::vector<Run>& runs, double limit_items_per_s) {
  std::vector<double> items, calls, failed, throttled, seconds;
  for (const Run& r : runs) {
    items.push_back(r.items_per_s);
    calls.push_back(r.calls_per_s);
    failed.push_back(r.failed_share);
    throttled.push_back(r.throttled_share);
    seconds.push_back(r.seconds);
  }
  const double median_items = Median(items);
  std::printf("woocommerce drain (%s): items/s, median of 3 = %.1f\n", name, median_items);
  std::printf("woocommerce drain (%s): share of the limit, median of 3 = %.1f %%\n", name,
              100.0 * median_items / limit_items_per_s);
  std::printf("woocommerce drain (%s): calls/s, median of 3 = %.2f\n", name, Median(calls));
  std::printf("woocommerce drain (%s): calls failed, median of 3 = %.2f %%\n", name,
              100.0 * Median(failed));
  std::printf("woocommerce drain (%s): calls throttled (429), median of 3 = %.2f %%\n", name,
              100.0 * Median(throttled));
  std::printf("woocommerce drain (%s): seconds per run, median of 3 = %.2f\n", name,
              Median(seconds));
}

}  // namespace

int main(int argc, char** argv) {
  const int rate = argc > 1 ? std::atoi(argv[1]) : 20;
  const int skus = argc > 2 ? std::atoi(argv[2]) : 6000;
  if (rate < 1 || skus < 1) {
    std::fprintf(stderr, "usage: %s [calls_per_second] [skus]\n", argv[0]);
    return 2;
  }
  PluginUnderTest plugin(stockd::fakes::PluginDir(), "woocommerce");
  if (!plugin.ok()) {
    std::fprintf(stderr, "%s: %s\n", plugin.path().c_str(), plugin.error().c_str());
    return 1;
  }
  char tmpl[] = "/tmp/stockd_woocommerce_bench_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  WriteSecret(dir + "/key", kKey);
  WriteSecret(dir + "/secret", kSecret);

  const double limit = 100.0 * rate;
  std::printf("woocommerce drain: %d SKUs; the shop allows %d calls/s x 100 items = %.0f items/s\n",
              skus, rate, limit);
  std::vector<Run> known, cold;
  for (int round = 0; round < 3; ++round) {
    known.push_back(DrainOnce(plugin, dir, rate, skus, /*known_ids=*/true, round));
    cold.push_back(DrainOnce(plugin, dir, rate, skus, /*known_ids=*/false, round));
  }
  Report("ids known", known, limit);
  Report("cold cache, SKU look-ups", cold, limit);
  std::filesystem::remove_all(dir);
  return 0;
}
