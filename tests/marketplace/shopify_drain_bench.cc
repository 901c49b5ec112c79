// How fast the Shopify adapter drains a backlog of changed SKUs against the fake's cost
// bucket, relative to what the bucket allows, and how many of its calls are throttled.
//
// Setup: a FakeShopify with a Standard plan's bucket (1,000 points restored at 100 points
// a second: the real values), one location and kSkus items; the
// adapter plugin, loaded as the daemon loads it, with a mapping file (no look-ups: what is
// measured is the push path). A warm-up drains the bucket first, so each measured run
// starts from the steady state a real backlog is in. Each run pushes every SKU once, 1,000
// per push (the plugin's max_batch; it sends 250 per mutation), re-queuing what comes
// back RETRY as the daemon does.
//
// Figures (median of 3 runs): SKUs/s against the SKUs/s the restore rate allows (restore
// / 10 points per mutation x 250 SKUs per mutation, plus what was in the bucket at the
// start), the points spent against the points restored, and the share of calls throttled.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/plugin_under_test.h"
#include "tests/fakes/shopify/fake_shopify.h"

namespace {

using stockd::fakes::FakeShopify;

constexpr int kSkus = 20'000;
constexpr double kBucket = 1000;
constexpr double kRestore = 100;
constexpr double kMutationCost = 10;
constexpr double kPerMutation = 250;
constexpr size_t kPushSize = 1000;
constexpr int kRuns = 3;

struct Run {
  double seconds = 0;
  double skus_per_s = 0;
  double allowed_per_s = 0;
  double points_share = 0;  // points spent / points available during the run
  int64_t calls = 0;
  int64_t throttled = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Pushes every SKU once with quantity `quantity`; returns the seconds it took.
double Drain(const stockd_adapter_api* api, void* instance, const std::vector<std::string>& skus,
             int64_t quantity) {
  std::deque<size_t> backlog;
  for (size_t i = 0; i < skus.size(); ++i) backlog.push_back(i);
  const auto start = std::chrono::steady_clock::now();
  std::vector<stockd_push_item> items;
  std::vector<size_t> which;
  std::vector<stockd_push_result> results;
  while (!backlog.empty()) {
    items.clear();
    which.clear();
    while (!backlog.empty() && items.size() < kPushSize) {
      const size_t i = backlog.front();
      backlog.pop_front();
      items.push_back({skus[i].c_str(), skus[i].c_str(), quantity, -1});
      which.push_back(i);
    }
    results.assign(items.size(), stockd_push_result{});
    if (api->push(instance, items.data(), items.size(), results.data()) != 0) {
      std::fprintf(stderr, "push failed as a whole\n");
      std::exit(1);
    }
    int32_t wait_ms = 0;
    for (size_t k = 0; k < results.size(); ++k) {
      if (results[k].status == STOCKD_PUSH_OK) continue;
      if (results[k].status != STOCKD_PUSH_RETRY) {
        std::fprintf(stderr, "%s: %s\n", skus[which[k]].c_str(), results[k].message);
        std::exit(1);
      }
      backlog.push_back(which[k]);
      wait_ms = std::max(wait_ms, results[k].retry_after_ms);
    }
    if (wait_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  FakeShopify::Options options;
  options.bucket_size = kBucket;
  options.restore_rate = kRestore;
  FakeShopify fake(options);
  std::string error;
  if (!fake.Start(&error)) {
    std::fprintf(stderr, "fake: %s\n", error.c_str());
    return 1;
  }
  const int64_t location = fake.AddLocation("Warehouse");
  char tmpl[] = "/tmp/stockd_shopify_bench_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  const std::string token_file = dir + "/token";
  std::ofstream(token_file) << options.access_token << "\n";
  ::chmod(token_file.c_str(), 0600);
  std::vector<std::string> skus;
  {
    std::ofstream mapping(dir + "/mapping.csv");
    for (int i = 0; i < kSkus; ++i) {
      skus.push_back("BENCH-" + std::to_string(i));
      mapping << skus.back() << "," << fake.AddStockedItem(skus.back(), location, 0) << "\n";
    }
  }

  stockd::fakes::PluginUnderTest plugin(stockd::fakes::PluginDir(), "shopify");
  if (!plugin.ok()) {
    std::fprintf(stderr, "%s: %s\n", plugin.path().c_str(), plugin.error().c_str());
    return 1;
  }
  stockd::fakes::TestHost host;
  const nlohmann::json config = {{"shop_url", fake.shop_url()},
                                 {"location_id", location},
                                 {"access_token_file", token_file},
                                 {"mapping_file", dir + "/mapping.csv"},
                                 {"channel", "shopify"}};
  char create_error[512] = {0};
  void* instance =
      plugin.api()->create(config.dump().c_str(), host.host(), create_error, sizeof create_error);
  if (instance == nullptr) {
    std::fprintf(stderr, "create: %s\n", create_error);
    return 1;
  }

  // Warm-up: drains the bucket (its 1,000 points are 25,000 SKUs of burst).
  Drain(plugin.api(), instance, skus, 1);
  Drain(plugin.api(), instance, skus, 2);

  std::vector<Run> runs;
  for (int r = 0; r < kRuns; ++r) {
    fake.ClearRequests();
    const double available = fake.AvailablePoints();
    Run run;
    run.seconds = Drain(plugin.api(), instance, skus, 3 + r);
    const double points = fake.PointsSpent();
    const double restored = available + kRestore * run.seconds;
    run.skus_per_s = kSkus / run.seconds;
    run.allowed_per_s = restored / kMutationCost * kPerMutation / run.seconds;
    run.points_share = points / restored;
    for (const auto& request : fake.Requests()) {
      if (request.operation.rfind("inventorySetQuantities", 0) == 0) ++run.calls;
    }
    run.throttled = fake.ThrottledCount();
    std::printf(
        "run %d: %d SKUs in %.2f s, %.0f SKUs/s of %.0f allowed, %lld calls, %lld "
        "throttled\n",
        r + 1, kSkus, run.seconds, run.skus_per_s, run.allowed_per_s,
        static_cast<long long>(run.calls), static_cast<long long>(run.throttled));
    runs.push_back(run);
  }
  plugin.api()->destroy(instance);
  std::filesystem::remove_all(dir);

  std::vector<double> rate, allowed, ratio, points, throttled_share, calls, throttled;
  for (const Run& run : runs) {
    rate.push_back(run.skus_per_s);
    allowed.push_back(run.allowed_per_s);
    ratio.push_back(run.skus_per_s / run.allowed_per_s);
    points.push_back(run.points_share);
    throttled_share.push_back(run.calls ? static_cast<double>(run.throttled) / run.calls : 0);
    calls.push_back(static_cast<double>(run.calls));
    throttled.push_back(static_cast<double>(run.throttled));
  }
  std::printf(
      "shopify drain setup: %d SKUs a run, bucket %.0f points, restore %.0f points/s, "
      "%.0f points per mutation of %.0f SKUs, %zu SKUs per push, median of %d runs\n",
      kSkus, kBucket, kRestore, kMutationCost, kPerMutation, kPushSize, kRuns);
  std::printf("shopify drain rate: %.0f SKUs/s of %.0f allowed by the limit: %.1f %%\n",
              Median(rate), Median(allowed), 100 * Median(ratio));
  std::printf("shopify drain points: %.1f %% of the restored points spent\n", 100 * Median(points));
  std::printf("shopify drain throttled: %.0f of %.0f calls: %.2f %%\n", Median(throttled),
              Median(calls), 100 * Median(throttled_share));
  return Median(ratio) >= 0.9 && Median(throttled_share) < 0.01 ? 0 : 2;
}
