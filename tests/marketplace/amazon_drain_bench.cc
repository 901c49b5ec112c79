// How fast the amazon plugin drains a backlog of changed SKUs against FakeAmazon with
// Amazon's usage plans enforced (scripts/marketplace-bench):
//
//   1. PATCH drain: N SKUs pushed in batches of 100 below the feed threshold, one
//      patchListingsItem each; RETRY items pushed again until every one is acknowledged.
//      Rate scaled to 50/s (median of 3 runs) and once at Amazon's real 5/s. Figures:
//      items/s against the plan's rate, and the share of calls throttled (429).
//      Target: >= 90 % of the rate, < 1 % throttled.
//   2. Feed: 10,000 SKUs in ONE push -> one JSON_LISTINGS_FEED; 25 of them carry a quantity
//      Amazon refuses, which must come back as per-SKU PERMANENT results. Cold (every SKU
//      looked up first, searchListingsItems 20 a call, at 50/s) and warm (cached). Figures:
//      calls per operation and wall time (the fake processes a feed in 1 s; Amazon takes
//      minutes).
//
// Prints one summary line per figure. A program, not a test: exits 1 when a target is missed.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/plugin_under_test.h"

namespace {

using stockd::fakes::FakeAmazon;
using stockd::fakes::PluginInstance;
using stockd::fakes::PluginUnderTest;
using stockd::fakes::PushOutcome;
using stockd::fakes::TestHost;
using stockd::fakes::TestItem;
using Op = FakeAmazon::Operation;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Bench {
  std::string dir;
  std::string secret_file;
  std::string refresh_file;
  PluginUnderTest plugin{stockd::fakes::PluginDir(), "amazon"};
};

void WriteSecret(const std::string& path, const std::string& value) {
  std::ofstream(path, std::ios::trunc) << value << "\n";
  ::chmod(path.c_str(), 0600);
}

std::unique_ptr<FakeAmazon> StartFake(double listings_rate, int64_t feed_processing_ms) {
  FakeAmazon::Options options;
  options.rates[Op::kPatchListingsItem] = {listings_rate, 5};
  options.rates[Op::kSearchListingsItems] = {listings_rate, 5};
  options.feed_processing_ms = feed_processing_ms;
  options.record_bodies = false;
  auto fake = std::make_unique<FakeAmazon>(options);
  std::string error;
  if (!fake->Start(&error)) {
    std::fprintf(stderr, "fake: %s\n", error.c_str());
    std::exit(2);
  }
  return fake;
}

std::unique_ptr<PluginInstance> Create(Bench& bench, const FakeAmazon& fake, TestHost& host,
                                       double rate, int64_t feed_threshold) {
  const Json config = {{"endpoint", fake.base_url()},
                       {"token_url", fake.token_url()},
                       {"seller_id", fake.options().seller_id},
                       {"marketplace_id", fake.options().marketplace_ids[0]},
                       {"client_id", fake.options().client_id},
                       {"client_secret_file", bench.secret_file},
                       {"refresh_token_file", bench.refresh_file},
                       {"requests_per_second", rate},
                       {"burst", 5},
                       {"feed_threshold", feed_threshold},
                       {"channel", "amazon-bench"}};
  std::string error;
  auto instance = bench.plugin.Create(config.dump(), host, &error);
  if (instance == nullptr) {
    std::fprintf(stderr, "create: %s\n", error.c_str());
    std::exit(2);
  }
  return instance;
}

struct DrainRun {
  double items_per_s = 0;
  double steady_per_s = 0;  // (n - burst) over the wall time: the burst goes at once
  int64_t patches = 0;
  int64_t throttled = 0;
};

// One PATCH drain of `n` SKUs at `rate` requests/s.
DrainRun Drain(Bench& bench, double rate, int n) {
  auto fake = StartFake(rate, 200);
  std::vector<TestItem> backlog;
  for (int i = 0; i < n; ++i) {
    const std::string sku = "D-" + std::to_string(100000 + i);
    fake->AddListing(sku, 0);
    backlog.push_back({sku, sku, 1 + i % 50, 0});
  }
  TestHost host;
  auto amazon = Create(bench, *fake, host, rate, /*feed_threshold=*/1'000'000);
  const Clock::time_point start = Clock::now();
  const int64_t burst = 5;
  while (!backlog.empty()) {
    std::vector<TestItem> retry;
    for (size_t from = 0; from < backlog.size(); from += 100) {
      const std::vector<TestItem> batch(backlog.begin() + from,
                                        backlog.begin() + std::min(backlog.size(), from + 100));
      const PushOutcome out = amazon->Push(batch);
      for (size_t i = 0; i < batch.size(); ++i) {
        if (out.rc != 0 || out.results[i].status == STOCKD_PUSH_RETRY) retry.push_back(batch[i]);
      }
    }
    backlog = std::move(retry);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // The first `burst` calls go at once; the rest at the rate: the steady state is what a
  // long backlog sees.
  const double steady = (n - burst) / std::max(1e-9, seconds);
  return {n / seconds, steady, fake->Count(Op::kPatchListingsItem),
          fake->Count(Op::kPatchListingsItem, 429)};
}

bool ReportDrain(Bench& bench, double rate, int n, int runs) {
  std::vector<DrainRun> results;
  for (int r = 0; r < runs; ++r) results.push_back(Drain(bench, rate, n));
  std::sort(results.begin(), results.end(),
            [](const DrainRun& a, const DrainRun& b) { return a.items_per_s < b.items_per_s; });
  const DrainRun& median = results[results.size() / 2];
  const double ratio = median.steady_per_s / rate;
  const double throttled = median.patches == 0 ? 0 : 100.0 * median.throttled / median.patches;
  const bool met = ratio >= 0.9 && throttled < 1.0;
  std::printf(
      "amazon PATCH drain at %g/s (burst 5), %d SKUs, %s of %d run%s: %.2f items/s "
      "(%.2f/s past the burst = %.1f%% of the limit), throttled %.2f%% (%lld of %lld "
      "calls) -> target %s\n",
      rate, n, runs > 1 ? "median" : "1", runs, runs > 1 ? "s" : "", median.items_per_s,
      median.steady_per_s, 100 * ratio, throttled, static_cast<long long>(median.throttled),
      static_cast<long long>(median.patches), met ? "met" : "MISSED");
  return met;
}

// One push of `items` through a feed; prints the calls it took.
bool ReportFeed(const char* label, FakeAmazon& fake, PluginInstance& amazon, TestHost& host,
                const std::vector<TestItem>& items, const std::vector<size_t>& invalid) {
  fake.ClearRequests();
  const double requests_before = host.Counter("requests");
  const Clock::time_point start = Clock::now();
  const PushOutcome out = amazon.Push(items);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  size_t ok = 0, permanent = 0, other = 0, misplaced = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const int32_t status = out.rc == 0 ? out.results[i].status : -1;
    const bool should_fail = std::find(invalid.begin(), invalid.end(), i) != invalid.end();
    ok += status == STOCKD_PUSH_OK;
    permanent += status == STOCKD_PUSH_PERMANENT;
    other += status != STOCKD_PUSH_OK && status != STOCKD_PUSH_PERMANENT;
    misplaced += should_fail != (status == STOCKD_PUSH_PERMANENT);
  }
  std::map<std::string, int64_t> calls;
  int64_t uploads = 0, downloads = 0;
  for (const FakeAmazon::Recorded& r : fake.Requests()) {
    if (r.operation.has_value()) {
      ++calls[FakeAmazon::OperationName(*r.operation)];
    } else if (r.path.rfind("/feed-documents/", 0) == 0) {
      (r.method == "PUT" ? uploads : downloads) += 1;
    }
  }
  std::string breakdown;
  for (const auto& [name, count] : calls) {
    breakdown += (breakdown.empty() ? "" : ", ") + std::to_string(count) + " " + name;
  }
  breakdown += ", " + std::to_string(uploads) + " document PUT, " + std::to_string(downloads) +
               " report GET";
  const bool met = calls["createFeed"] == 1 && calls["patchListingsItem"] == 0 && misplaced == 0 &&
                   other == 0 && permanent == invalid.size();
  std::printf(
      "amazon feed push of %zu SKUs (%s): %lld feed, %.0f HTTP calls (%s), wall %.2f s; "
      "%zu OK, %zu PERMANENT per SKU (%zu expected), %zu other -> %s\n",
      items.size(), label, static_cast<long long>(calls["createFeed"]),
      host.Counter("requests") - requests_before, breakdown.c_str(), seconds, ok, permanent,
      invalid.size(), other, met ? "met" : "MISSED");
  return met;
}

}  // namespace

int main() {
  Bench bench;
  if (!bench.plugin.ok()) {
    std::fprintf(stderr, "%s: %s\n", bench.plugin.path().c_str(), bench.plugin.error().c_str());
    return 2;
  }
  char tmpl[] = "/tmp/stockd_amazon_bench_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 2;
  bench.dir = tmpl;
  bench.secret_file = bench.dir + "/client_secret";
  bench.refresh_file = bench.dir + "/refresh_token";
  const FakeAmazon::Options defaults;
  WriteSecret(bench.secret_file, defaults.client_secret);
  WriteSecret(bench.refresh_file, defaults.refresh_token);

  bool met = ReportDrain(bench, 50, 400, 3);
  met = ReportDrain(bench, 5, 40, 1) && met;

  auto fake = StartFake(50, 1000);
  std::vector<TestItem> items;
  std::vector<size_t> invalid;
  for (int i = 0; i < 10'000; ++i) {
    const std::string sku = "F-" + std::to_string(100000 + i);
    fake->AddListing(sku, 0);
    const bool bad = i % 400 == 7;  // 25 of them
    if (bad) invalid.push_back(static_cast<size_t>(i));
    items.push_back({sku, sku, bad ? 3'000'000'000LL : 1 + i % 40, 0});
  }
  TestHost host;
  auto amazon = Create(bench, *fake, host, 50, 200);
  met = ReportFeed("cold: every SKU looked up first", *fake, *amazon, host, items, invalid) && met;
  for (TestItem& item : items) item.quantity += item.quantity < 1'000'000 ? 1 : 0;
  met = ReportFeed("warm: SKUs cached", *fake, *amazon, host, items, invalid) && met;
  std::printf("amazon createFeed usage plan: 0.0083/s, burst 15 -> after 15 feeds one per %.0f s\n",
              1 / 0.0083);
  std::filesystem::remove_all(bench.dir);
  return met ? 0 : 1;
}
