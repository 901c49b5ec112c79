// The eBay adapter's drain benchmark (a program, not a test): against the fake eBay API
// with its rate limit configured, how fast a backlog of changed SKUs drains relative to
// what the limit allows (25 items a call at requests_per_second), the share of calls eBay
// throttled, and what a hot SKU costs in revisions.
//
//   backlog:  kBacklog SKUs pushed as the daemon does (batches of the plugin's max_batch,
//             RETRY items queued again after their retry_after), 3 runs, medians printed.
//             Target: >= 90 % of the limit, < 1 % of the calls throttled.
//   hot SKU:  one SKU changing 100 times a second for 10 s, pushed on every change, with
//             a coalescing window of 1 s: at most one revision per window (<= 11).
//
// Usage: stockd_ebay_drain_bench [requests_per_second (default 20)]. About 35 s.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/ebay/fake_ebay.h"
#include "tests/fakes/plugin_under_test.h"

namespace {

using stockd::fakes::FakeEbay;
using stockd::fakes::PluginUnderTest;
using stockd::fakes::TestHost;
using Clock = std::chrono::steady_clock;

constexpr int kBacklog = 3000;
constexpr int kRuns = 3;
constexpr size_t kItemsPerCall = 25;

struct Env {
  std::string dir;
  std::unique_ptr<FakeEbay> fake;
};

void WriteSecret(const std::string& path, const std::string& value) {
  std::ofstream(path, std::ios::trunc) << value << "\n";
  ::chmod(path.c_str(), 0600);
}

// A started fake with `listings` listings SKU-i / offer 5005000000+i, and the adapter's
// credential and mapping files in a fresh directory.
bool StartEnv(Env* env, double rate, int listings) {
  char tmpl[] = "/tmp/stockd_ebay_bench_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return false;
  env->dir = tmpl;
  FakeEbay::Options options;
  options.requests_per_second = rate;
  options.burst = rate;
  env->fake = std::make_unique<FakeEbay>(options);
  std::string error;
  if (!env->fake->Start(&error)) {
    std::fprintf(stderr, "fake: %s\n", error.c_str());
    return false;
  }
  std::ofstream mapping(env->dir + "/offers.csv");
  for (int i = 0; i < listings; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    const std::string offer = std::to_string(5005000000LL + i);
    env->fake->AddListing(sku, offer, 1);
    mapping << sku << "," << offer << "\n";
  }
  WriteSecret(env->dir + "/client_secret", options.client_secret);
  WriteSecret(env->dir + "/refresh_token", options.refresh_token);
  return true;
}

void StopEnv(Env* env) {
  env->fake.reset();
  std::filesystem::remove_all(env->dir);
}

void* Create(const PluginUnderTest& plugin, const TestHost& host, const Env& env, double rate,
             int64_t window_ms) {
  const nlohmann::json config = {{"endpoint", env.fake->base_url()},
                                 {"client_id", FakeEbay::Options{}.client_id},
                                 {"client_secret_file", env.dir + "/client_secret"},
                                 {"refresh_token_file", env.dir + "/refresh_token"},
                                 {"mapping_file", env.dir + "/offers.csv"},
                                 {"requests_per_second", static_cast<int64_t>(rate)},
                                 {"min_revision_interval_ms", window_ms},
                                 {"timeout_ms", 5000}};
  char error[512] = {0};
  void* instance = plugin.api()->create(config.dump().c_str(), host.host(), error, sizeof error);
  if (instance == nullptr) std::fprintf(stderr, "create: %s\n", error);
  return instance;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct DrainRun {
  double items_per_s = 0;
  int64_t calls = 0;
  int64_t throttled = 0;
};

// Pushes kBacklog SKUs as the daemon's push engine would, until eBay has them all.
bool Drain(const PluginUnderTest& plugin, double rate, int run, DrainRun* out) {
  Env env;
  if (!StartEnv(&env, rate, kBacklog)) return false;
  TestHost host;
  void* instance = Create(plugin, host, env, rate, 0);
  if (instance == nullptr) return false;
  const stockd_adapter_api* api = plugin.api();
  std::vector<std::string> skus;
  for (int i = 0; i < kBacklog; ++i) skus.push_back("SKU-" + std::to_string(i));
  std::deque<int> queue;
  for (int i = 0; i < kBacklog; ++i) queue.push_back(i);
  const int64_t quantity = 10 + run;
  const Clock::time_point start = Clock::now();
  Clock::time_point not_before = start;
  while (!queue.empty()) {
    std::this_thread::sleep_until(not_before);
    std::vector<int> batch;
    while (!queue.empty() && batch.size() < api->max_batch) {
      batch.push_back(queue.front());
      queue.pop_front();
    }
    std::vector<stockd_push_item> items;
    for (const int i : batch) items.push_back({skus[i].c_str(), skus[i].c_str(), quantity, 1});
    std::vector<stockd_push_result> results(batch.size());
    std::memset(results.data(), 0, results.size() * sizeof(stockd_push_result));
    api->push(instance, items.data(), items.size(), results.data());
    int32_t wait_ms = 0;
    for (size_t k = 0; k < batch.size(); ++k) {
      if (results[k].status == STOCKD_PUSH_OK) continue;
      if (results[k].status != STOCKD_PUSH_RETRY) {
        std::fprintf(stderr, "%s: %s\n", skus[batch[k]].c_str(), results[k].message);
        api->destroy(instance);
        StopEnv(&env);
        return false;
      }
      queue.push_back(batch[k]);
      wait_ms = std::max(wait_ms, results[k].retry_after_ms);
    }
    not_before = Clock::now() + std::chrono::milliseconds(wait_ms);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  api->destroy(instance);
  out->items_per_s = kBacklog / seconds;
  out->calls = env.fake->RequestCount("/sell/");
  out->throttled = env.fake->Throttled();
  bool all = true;
  for (int i = 0; i < kBacklog; ++i) all = all && env.fake->Quantity(skus[i]) == quantity;
  StopEnv(&env);
  if (!all) std::fprintf(stderr, "drain run %d: eBay does not have every quantity\n", run);
  return all;
}

// One SKU changing 100 times a second for 10 s, pushed on every change.
bool Hot(const PluginUnderTest& plugin, double rate, int64_t* revisions, int64_t* pushes,
         bool* final_ok) {
  constexpr int64_t kWindowMs = 1000;
  Env env;
  if (!StartEnv(&env, rate, 1)) return false;
  TestHost host;
  void* instance = Create(plugin, host, env, rate, kWindowMs);
  if (instance == nullptr) return false;
  const stockd_adapter_api* api = plugin.api();
  const Clock::time_point start = Clock::now();
  int64_t quantity = 0;
  int32_t retry_after = 0;
  for (int i = 0; i < 1000; ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * i));
    quantity = 1000 + i;
    const stockd_push_item item{"SKU-0", "SKU-0", quantity, -1};
    stockd_push_result result{};
    api->push(instance, &item, 1, &result);
    retry_after = result.status == STOCKD_PUSH_OK ? 0 : result.retry_after_ms;
  }
  // The daemon sends the newest number once the window ends.
  std::this_thread::sleep_for(std::chrono::milliseconds(retry_after));
  const stockd_push_item item{"SKU-0", "SKU-0", quantity, -1};
  stockd_push_result result{};
  api->push(instance, &item, 1, &result);
  *pushes = 1001;
  *revisions = env.fake->Revisions("5005000000");
  *final_ok = result.status == STOCKD_PUSH_OK && env.fake->Quantity("SKU-0") == quantity;
  api->destroy(instance);
  StopEnv(&env);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const double rate = argc > 1 ? std::atof(argv[1]) : 20;
  if (rate < 1) {
    std::fprintf(stderr, "usage: %s [requests_per_second >= 1]\n", argv[0]);
    return 2;
  }
  PluginUnderTest plugin(stockd::fakes::PluginDir(), "ebay");
  if (!plugin.ok()) {
    std::fprintf(stderr, "%s: %s\n", plugin.path().c_str(), plugin.error().c_str());
    return 1;
  }
  std::vector<double> shares, throttled;
  std::vector<DrainRun> runs;
  for (int run = 0; run < kRuns; ++run) {
    DrainRun r;
    if (!Drain(plugin, rate, run, &r)) return 1;
    runs.push_back(r);
    shares.push_back(r.items_per_s / (rate * kItemsPerCall));
    throttled.push_back(r.calls == 0 ? 0 : static_cast<double>(r.throttled) / r.calls);
  }
  const double limit = rate * kItemsPerCall;
  std::printf(
      "ebay drain: %d SKUs, limit %.0f req/s x %zu items = %.0f items/s; median %.1f "
      "items/s = %.1f %% of the limit (runs %.1f %%, %.1f %%, %.1f %%; target >= 90 %%)\n",
      kBacklog, rate, kItemsPerCall, limit, Median(shares) * limit, Median(shares) * 100,
      shares[0] * 100, shares[1] * 100, shares[2] * 100);
  std::printf(
      "ebay drain: throttled calls median %.2f %% (runs %lld/%lld, %lld/%lld, %lld/%lld; "
      "target < 1 %%)\n",
      Median(throttled) * 100, static_cast<long long>(runs[0].throttled),
      static_cast<long long>(runs[0].calls), static_cast<long long>(runs[1].throttled),
      static_cast<long long>(runs[1].calls), static_cast<long long>(runs[2].throttled),
      static_cast<long long>(runs[2].calls));
  int64_t revisions = 0, pushes = 0;
  bool final_ok = false;
  if (!Hot(plugin, rate, &revisions, &pushes, &final_ok)) return 1;
  std::printf(
      "ebay hot SKU: %lld pushes over 10 s (100/s) with a 1000 ms coalescing window: "
      "%lld revisions (bound 11), newest number on eBay: %s\n",
      static_cast<long long>(pushes), static_cast<long long>(revisions), final_ok ? "yes" : "NO");
  const bool ok = Median(shares) >= 0.9 && Median(throttled) < 0.01 && revisions <= 11 && final_ok;
  std::printf("ebay bench: %s\n", ok ? "targets met" : "TARGETS MISSED");
  return ok ? 0 : 1;
}
