#include "tests/crash/fault_fixture.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tests/crash/faults.h"

namespace stockd::crash {

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

void FaultTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(process_.SetUp());
  run_.skus = ShopSkus();
  seed_ = std::getenv("STOCKD_CRASH_SEED")
              ? std::strtoull(std::getenv("STOCKD_CRASH_SEED"), nullptr, 10)
              : std::random_device{}();
  rng_.seed(seed_);
}

void FaultTest::Begin(const std::string& scenario, int default_seconds) {
  began_ = true;
  row_.scenario = scenario;
  cycles_ = std::max(1, EnvInt("STOCKD_FAULT_CYCLES", 3));
  fault_ms_ =
      1000 * static_cast<int64_t>(std::max(1, EnvInt("STOCKD_FAULT_SECONDS", default_seconds)));
  row_.cycles = cycles_;
  std::printf("[fault] %s: %d cycles, faults of %lld ms, seed %llu, dir %s\n", scenario.c_str(),
              cycles_, static_cast<long long>(fault_ms_), static_cast<unsigned long long>(seed_),
              process_.dir().c_str());
}

void FaultTest::TearDown() {
  StopLoad();
  for (const auto& w : run_.workers) {
    row_.acked += static_cast<int64_t>(w->acked().size());
    row_.unknown += static_cast<int64_t>(w->unknown().size());
  }
  const ::testing::TestResult* result =
      ::testing::UnitTest::GetInstance()->current_test_info()->result();
  if (IsSkipped()) {
    row_.verdict = FaultRow::Verdict::kSkipped;
  } else if (HasFailure()) {
    row_.verdict = FaultRow::Verdict::kFail;
    for (int i = 0; i < result->total_part_count(); ++i) {
      const ::testing::TestPartResult& part = result->GetTestPartResult(i);
      if (!part.failed()) continue;
      std::string first = part.summary();
      if (first.size() > 200) first = first.substr(0, 200) + "...";
      row_.reason = std::string(part.file_name() ? part.file_name() : "") + ":" +
                    std::to_string(part.line_number()) + ": " + first;
      break;
    }
  } else if (row_.lost_acks != 0 || row_.double_applies != 0) {
    row_.verdict = FaultRow::Verdict::kFail;  // -1: the oracle never ran
    row_.reason = "the oracle's counts are not 0";
  } else {
    row_.verdict = FaultRow::Verdict::kPass;
  }
  if (began_) AppendRow(row_);
  process_.TearDown(HasFailure() || EnvInt("STOCKD_CRASH_KEEP", 0) != 0);
}

void FaultTest::SkipBecause(const std::string& reason) {
  row_.reason = reason;
  GTEST_SKIP() << reason;
}

void FaultTest::StartStockd() {
  std::shared_ptr<v1::Stock::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(process_.Start(&stub));
  control_.set_stub(stub);
}

void FaultTest::StartLoad() {
  control_.stop = false;
  const int threads = std::max(1, EnvInt("STOCKD_CRASH_THREADS", 8));
  for (int i = 0; i < threads; ++i) {
    run_.workers.push_back(std::make_unique<Worker>(i, seed_ + 1 + i, &control_, &run_.skus));
  }
  for (auto& w : run_.workers) threads_.emplace_back([w = w.get()] { w->Run(); });
  run_.probe = std::make_unique<Probe>(&control_);
  threads_.emplace_back([p = run_.probe.get()] { p->Run(); });
  control_.serving = true;
}

void FaultTest::StopLoad() {
  control_.stop = true;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void FaultTest::StartAll(const YamlExtras& extras) {
  process_.WriteConfig("always", extras);
  ASSERT_NO_FATAL_FAILURE(StartStockd());
  ASSERT_NO_FATAL_FAILURE(SeedStock(oracle_, rng_, &run_));
  StartLoad();
  load_started_us_ = NowUs();
}

void FaultTest::LoadBetweenFaults() {
  SleepMs(std::uniform_int_distribution<int>(500, 1500)(rng_));
}

void FaultTest::BuildState(int64_t counts, int64_t holds) {
  constexpr int64_t kBulkSkus = 10'000;
  constexpr int kOpsPerBatch = 1000;
  const int64_t started = NowUs();
  auto sku = [](int64_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "BULK-%05lld", static_cast<long long>(i % kBulkSkus));
    return std::string(buf);
  };
  for (int64_t done = 0; done < counts + holds;) {
    v1::BatchRequest req;
    for (int i = 0; i < kOpsPerBatch && done + i < counts + holds; ++i) {
      const int64_t n = done + i;
      if (n < counts) {
        v1::CountRequest* count = req.add_ops()->mutable_count();
        count->set_request_id("bulk-count-" + std::to_string(n));
        count->set_location(kWarehouse);
        count->set_sku(sku(n));
        count->set_on_hand(1000 + n / kBulkSkus);
      } else {
        v1::ReserveRequest* reserve = req.add_ops()->mutable_reserve();
        reserve->set_request_id("bulk-hold-" + std::to_string(n - counts));
        reserve->set_channel("webshop");
        v1::HoldLine* line = reserve->add_lines();
        line->set_sku(sku(n));
        line->set_qty(1);
        line->set_location(kWarehouse);
        reserve->set_ttl_ms(kHoldTtlMs);
      }
    }
    v1::BatchResponse resp;
    // Idempotent: a retry after UNAVAILABLE sends the same request ids.
    grpc::Status st = oracle_.Call(
        [&](grpc::ClientContext* ctx) { return control_.stub()->Batch(ctx, req, &resp); });
    ASSERT_TRUE(st.ok()) << "Batch: " << st.error_message();
    for (const v1::BatchResult& r : resp.results()) {
      ASSERT_EQ(r.code(), 0) << "bulk state: " << r.message();
    }
    done += req.ops_size();
  }
  std::printf("[fault] %s: bulk state of %lld Counts and %lld open holds written in %.1f s\n",
              row_.scenario.c_str(), static_cast<long long>(counts), static_cast<long long>(holds),
              Ms(NowUs() - started) / 1000.0);
}

void FaultTest::RecordFirstWriteAfter(int64_t after_us, int64_t timeout_ms) {
  const int64_t until = after_us + timeout_ms * 1000;
  while (NowUs() < until) {
    if (std::optional<int64_t> ok = run_.probe->FirstOkAfter(after_us)) {
      row_.recovery_ms.push_back(Ms(*ok - after_us));
      return;
    }
    SleepMs(2);
  }
  ADD_FAILURE() << row_.scenario << ": no successful write within " << timeout_ms
                << " ms; stockd.log:\n"
                << Tail(process_.log_path(), 20);
}

void FaultTest::FinishAndCheck(bool outages_checked) {
  SleepMs(1000);
  StopLoad();
  Summary summary;
  summary.cycles = cycles_;
  ASSERT_NO_FATAL_FAILURE(oracle_.FindLostAcks(process_.redis_socket(), &summary));
  oracle_.CheckLoadViolations(&summary);
  if (outages_checked) oracle_.CheckOutages(&summary);
  ASSERT_NO_FATAL_FAILURE(oracle_.Check(&summary));
  row_.lost_acks = summary.lost_acks;
  row_.double_applies = summary.double_applies;
  ASSERT_NO_FATAL_FAILURE(oracle_.CheckRestartServesSameState(
      [this] {
        ASSERT_NO_FATAL_FAILURE(process_.Kill());
        ASSERT_NO_FATAL_FAILURE(StartStockd());
      },
      &summary));
  EXPECT_EQ(summary.lost_acks, 0);
  EXPECT_EQ(summary.double_applies, 0);
  std::string outages;
  if (outages_checked) {
    outages = ", " + std::to_string(summary.unavailable_during_outages) +
              " UNAVAILABLE during the faults, " + std::to_string(summary.acks_without_redis) +
              " acks without redis";
  }
  std::printf(
      "[fault] %s: %lld replays checked; unknown outcomes: %lld had been applied, %lld "
      "applied on replay, %lld refused; %lld rows, %lld open holds match the model%s\n",
      row_.scenario.c_str(), static_cast<long long>(summary.replays),
      static_cast<long long>(summary.had_applied), static_cast<long long>(summary.applied_now),
      static_cast<long long>(summary.refused_now), static_cast<long long>(summary.rows),
      static_cast<long long>(summary.open_holds), outages.c_str());
}

LoadFigures FaultTest::FiguresIn(const std::vector<Window>& windows) const {
  LoadFigures f;
  auto inside = [&windows](int64_t us) {
    for (const Window& w : windows) {
      if (us >= w.from_us && us < w.to_us) return true;
    }
    return false;
  };
  std::vector<double> latencies;
  for (const auto& w : run_.workers) {
    for (const OpRecord& r : w->acked()) {
      if (inside(r.done_us)) ++f.acked;
      if (inside(r.sent_us)) latencies.push_back(Ms(r.done_us - r.sent_us));
    }
    for (const OpRecord& r : w->unknown()) {
      if (!inside(r.done_us)) continue;
      f.unavailable += r.code == grpc::StatusCode::UNAVAILABLE;
      f.deadline += r.code == grpc::StatusCode::DEADLINE_EXCEEDED;
    }
  }
  int64_t total_us = 0;
  for (const Window& w : windows) total_us += w.to_us - w.from_us;
  f.acks_per_s =
      total_us > 0 ? static_cast<double>(f.acked) * 1e6 / static_cast<double>(total_us) : 0;
  f.p50_ms = Percentile(latencies, 50);
  f.p99_ms = Percentile(latencies, 99);
  f.max_ms = Percentile(latencies, 100);
  return f;
}

LoadFigures FaultTest::FiguresBefore(int64_t until_us) const {
  return FiguresIn({Window{load_started_us_, until_us}});
}

}  // namespace stockd::crash
