// Durability against a real redis-server (started by the test in a temp dir): group
// commit, acknowledgement only after EXEC, restart recovery, replay after restart,
// outage behaviour (UNAVAILABLE, never an ack) and re-sync, persistence warnings, and the
// documented key layout (schema 2: a few hashes, expiring buckets, audit trimmed by count).
// The commands a batch writes and the codecs, without Redis, are in records_test.cc.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/engine.h"
#include "daemon/storage/durable_store.h"
#include "daemon/storage/records.h"
#include "tests/support/durable_node.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::Command;
using engine::Engine;
using engine::Outcome;
using storage::DurableStore;
using testing::ModelBuilder;
using testing::RedisCommand;
using testing::TestRedis;

engine::Model RetailModel() {
  return ModelBuilder()
      .Location("wh")
      .Location("store", engine::LocationType::kStore)
      .Channel("webshop", engine::ChannelType::kWebshop, {"wh", "store"})
      .Channel("pos", engine::ChannelType::kStore, {"store"})
      .Protect("webshop", "store", 2)
      .Build();
}

// An engine on `RetailModel()` wired to a DurableStore on `redis`.
struct Node : testing::DurableNode {
  absl::Status Open(const std::string& address, engine::EngineOptions options = {},
                    int64_t timeout_ms = 1000) {
    return DurableNode::Open(address, RetailModel(), options, timeout_ms);
  }
};

Command Count(const std::string& loc, const std::string& sku, int64_t on_hand,
              const std::string& rid = "") {
  return Command{{rid, "test"}, engine::CountCmd{loc, sku, on_hand, std::nullopt, ""}};
}
Command Reserve(const std::string& sku, int64_t qty, const std::string& rid = "",
                int64_t ttl_ms = 60'000) {
  return Command{{rid, "test"}, engine::ReserveCmd{"webshop", {{sku, "", qty, 0}}, ttl_ms, ""}};
}

std::vector<engine::RowView> Rows(Engine& e, const std::string& sku) {
  absl::StatusOr<std::vector<engine::RowView>> rows = e.GetStock(sku, {});
  return rows.ok() ? *rows : std::vector<engine::RowView>{};
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()) << redis_.status(); }
  TestRedis redis_;
};

TEST_F(DurabilityTest, AcknowledgedStateSurvivesRestartExactly) {
  std::string hold_id;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address()).ok());
    ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-A", 10)).ok());
    ASSERT_TRUE(a.engine->ExecuteAndWait(Count("store", "SKU-A", 4)).ok());
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(Reserve("SKU-A", 3, "order-1"));
    ASSERT_TRUE(r.ok()) << r.status();
    hold_id = r->hold->hold_id;
    absl::StatusOr<Outcome> c = a.engine->ExecuteAndWait(
        Command{{"commit-1", "test"}, engine::CommitCmd{hold_id, {{"SKU-A", "", 2, 0}}}});
    ASSERT_TRUE(c.ok()) << c.status();
    // Crash-like stop: no orderly engine shutdown, just the process's parts going away.
  }
  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  std::vector<engine::RowView> rows = Rows(*b.engine, "SKU-A");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].location, "wh");
  EXPECT_EQ(rows[0].counters, (engine::Counters{10, 0, 2}));  // 1 released by the partial commit
  EXPECT_EQ(rows[1].counters, (engine::Counters{4, 0, 0}));
  absl::StatusOr<engine::HoldView> hold = b.engine->GetHold(hold_id);
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->state, engine::HoldState::kCommitted);
  ASSERT_EQ(hold->lines.size(), 1u);
  EXPECT_EQ(hold->lines[0].qty, 2);
  EXPECT_TRUE(b.engine->CheckInvariants().ok());
  EXPECT_EQ(b.store->load_stats().rows, 2);
  // Where the start's time went, each part named (the "stockd serving" line).
  EXPECT_NE(b.store->load_stats().Describe().find(" ms; restored in "), std::string::npos);
  // The parts are laps of one clock inside the whole load: they never add up to more.
  const storage::LoadStats& ls = b.store->load_stats();
  EXPECT_LE(ls.phases.rows_ms + ls.phases.holds_ms + ls.phases.requests_ms + ls.phases.orders_ms +
                ls.phases.history_ms,
            ls.load_ms);
  EXPECT_GE(ls.restore_ms, 0);

  // A replay after the restart returns the first result and changes nothing.
  absl::StatusOr<Outcome> replay = b.engine->ExecuteAndWait(Reserve("SKU-A", 3, "order-1"));
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->hold->hold_id, hold_id);
  EXPECT_EQ(replay->hold->state, engine::HoldState::kHeld);  // the first result, as it was
  EXPECT_EQ(Rows(*b.engine, "SKU-A")[0].counters, (engine::Counters{10, 0, 2}));
  // ... and the same id with a different request is refused.
  EXPECT_EQ(b.engine->ExecuteAndWait(Reserve("SKU-A", 1, "order-1")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LoadStatsTest, DescribeNamesEveryPartOfAStart) {
  storage::LoadStats ls;
  ls.phases.rows_ms = 1;
  ls.phases.holds_ms = 20;
  ls.phases.requests_ms = 40;
  ls.phases.orders_ms = 3;
  ls.phases.history_ms = 2;
  ls.restore_ms = 30;
  EXPECT_EQ(ls.Describe(),
            "rows 1 ms, holds 20 ms, request ids 40 ms, orders 3 ms, history 2 ms; restored in "
            "30 ms");
}

// A re-sync backoff that would spin (no first wait) or that std::clamp cannot take (a
// cap below the first wait) is refused before anything starts.
TEST_F(DurabilityTest, AnUnusableResyncBackoffIsInvalidArgument) {
  for (const auto& [initial, max] : {std::pair<int64_t, int64_t>{0, 500}, {-1, 500}, {600, 500}}) {
    storage::DurableStoreOptions so;
    so.address = redis_.address();
    so.resync_backoff_initial_ms = initial;
    so.resync_backoff_max_ms = max;
    absl::StatusOr<std::unique_ptr<DurableStore>> store = DurableStore::Open(so);
    EXPECT_EQ(store.status(), absl::InvalidArgumentError(absl::StrCat(
                                  "durable store: resync_backoff_initial_ms must be > 0 and "
                                  "resync_backoff_max_ms >= it, not ",
                                  initial, " and ", max)));
  }
}

TEST_F(DurabilityTest, ConcurrentWritesAreGroupCommitted) {
  Node a;
  // A write timeout no loaded machine reaches: this test is about batching, and under a
  // sanitized build beside other work one fsync over 1 s once closed the write path
  // (UNAVAILABLE for the rest: 49 of 3,200 acknowledged, CI on a loaded box).
  ASSERT_TRUE(a.Open(redis_.address(), {}, /*timeout_ms=*/30'000).ok());
  constexpr int kThreads = 16, kPerThread = 200;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string sku = "G-" + std::to_string(t * kPerThread + i);
        if (a.engine->ExecuteAndWait(Count("wh", sku, i + 1, "c-" + sku)).ok()) ++acked;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(acked.load(), kThreads * kPerThread);
  storage::JournalStats stats = a.store->journal_stats();
  EXPECT_EQ(stats.records, kThreads * kPerThread);
  // 16 writers and one round trip in flight at a time: batches must have formed.
  EXPECT_LT(stats.batches, stats.records);
  EXPECT_GT(stats.max_batch_seen, 1);

  Node b;
  a.Close();
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; i += 37) {
      const std::string sku = "G-" + std::to_string(t * kPerThread + i);
      std::vector<engine::RowView> rows = Rows(*b.engine, sku);
      ASSERT_EQ(rows.size(), 1u) << sku;
      EXPECT_EQ(rows[0].counters.on_hand, i + 1) << sku;
    }
  }
}

TEST_F(DurabilityTest, AckWaitsForExec) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-E", 5, "rid-e")).ok());
  // Acknowledged => already in Redis, readable by anyone.
  absl::StatusOr<std::vector<std::string>> value =
      RedisCommand(redis_.socket_path(), {"HGET", "{stockd}:stock", "SKU-E wh"});
  ASSERT_TRUE(value.ok()) << value.status();
  ASSERT_EQ(value->size(), 1u);
  EXPECT_EQ((*value)[0], "5 0 0");
  absl::StatusOr<std::vector<std::string>> buckets =
      RedisCommand(redis_.socket_path(), {"KEYS", "{stockd}:requests:*"});
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 1u);
  absl::StatusOr<std::vector<std::string>> idem =
      RedisCommand(redis_.socket_path(), {"HGETALL", (*buckets)[0]});
  ASSERT_TRUE(idem.ok());
  ASSERT_EQ(idem->size(), 2u);  // one group commit: one field
  absl::StatusOr<std::vector<engine::IdempotencyRecord>> records =
      storage::DecodeIdempotencyBatch((*idem)[1]);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].request_id, "rid-e");
  absl::StatusOr<std::vector<std::string>> audit =
      RedisCommand(redis_.socket_path(), {"XLEN", "{stockd}:audit"});
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ((*audit)[0], "1");
}

TEST_F(DurabilityTest, HoldsOverdueAtRestartAreExpired) {
  std::string hold_id;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address()).ok());
    ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-T", 5)).ok());
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(Reserve("SKU-T", 2, "", 150));
    ASSERT_TRUE(r.ok()) << r.status();
    hold_id = r->hold->hold_id;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  EXPECT_EQ(Rows(*b.engine, "SKU-T")[0].counters.held, 2);  // loaded as it was
  EXPECT_EQ(b.engine->ExpireDue(), 1);
  // Wait for the expiry's own durable completion.
  for (int i = 0; i < 200 && b.engine->GetHold(hold_id)->state != engine::HoldState::kExpired;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(b.engine->GetHold(hold_id)->state, engine::HoldState::kExpired);
  EXPECT_EQ(Rows(*b.engine, "SKU-T")[0].counters.held, 0);
  b.Close();
  Node c;  // the expiry itself was durable
  ASSERT_TRUE(c.Open(redis_.address()).ok());
  EXPECT_EQ(Rows(*c.engine, "SKU-T")[0].counters.held, 0);
}

TEST_F(DurabilityTest, RedisKilledWritesFailUnavailableThenResync) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-K", 100, "seed")).ok());

  redis_.KillHard();  // SIGKILL; the supervisor restarts it from the AOF
  // Until re-synced every write fails with UNAVAILABLE: never an ack without EXEC. An
  // UNAVAILABLE is an unknown outcome (the re-sync may still make that write durable), so
  // the client retries it under the same request id, as every client must: 5 holds.
  int unavailable = 0, acked_after = 0;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration first_ok{};
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(8)) {
    absl::StatusOr<Outcome> r =
        a.engine->ExecuteAndWait(Reserve("SKU-K", 1, "k-" + std::to_string(acked_after)));
    if (r.ok()) {
      if (acked_after++ == 0) first_ok = std::chrono::steady_clock::now() - start;
      if (acked_after >= 5) break;
    } else {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
      ++unavailable;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_GE(unavailable, 1);
  ASSERT_EQ(acked_after, 5) << "writes did not come back";
  EXPECT_LT(first_ok, std::chrono::seconds(5));
  EXPECT_GE(a.store->recoveries(), 1);
  EXPECT_TRUE(a.engine->writable());
  EXPECT_TRUE(a.engine->CheckInvariants().ok());

  // Memory and Redis agree after the re-sync: a fresh node loads the same state.
  std::vector<engine::RowView> live = Rows(*a.engine, "SKU-K");
  a.Close();
  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  std::vector<engine::RowView> loaded = Rows(*b.engine, "SKU-K");
  ASSERT_EQ(loaded.size(), live.size());
  EXPECT_EQ(loaded[0].counters, live[0].counters);
  EXPECT_EQ(loaded[0].counters.held, 5);
}

// The daemon's own arrangement: no address, so the store starts its embedded
// redis-server itself. When that server is SIGKILLed, its supervisor brings it back
// after a backoff and tells the store, and the re-sync tries at once instead of at its
// next backoff step (docs/storage.md, "Re-sync"). The re-sync's backoff here is a
// minute, so only that wake-up can bring writes back within the 30 s the test waits.
// The write that met the outage, retried under its request id, is applied once.
TEST(EmbeddedDurabilityTest, TheEmbeddedRedisRestartWakesTheResync) {
  testing::TempDir dir("stockd-nudge");
  Node a;
  a.data_dir = dir.path();
  a.resync_backoff_ms = 60'000;
  ASSERT_TRUE(a.Open("").ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-N", 10, "seed")).ok());
  pid_t redis_pid = 0;
  std::ifstream(dir.path() + "/redis.pid") >> redis_pid;
  ASSERT_GT(redis_pid, 0);
  ASSERT_EQ(::kill(redis_pid, SIGKILL), 0);

  int unavailable = 0;
  absl::StatusOr<Outcome> r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    r = a.engine->ExecuteAndWait(Reserve("SKU-N", 1, "n-1"));
    if (r.ok()) break;
    ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    ++unavailable;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(unavailable, 1);
  const storage::ResyncStats stats = a.store->resync_stats();
  EXPECT_EQ(stats.recoveries, 1);
  EXPECT_EQ(stats.woken_by_restart, 1);
  EXPECT_TRUE(a.Logged("woken by the redis-server's restart"));
  EXPECT_EQ(Rows(*a.engine, "SKU-N")[0].counters.held, 1);
  EXPECT_TRUE(a.engine->CheckInvariants().ok());
}

// An outage of a Redis the store did not start (an address) has no supervisor to wake
// it: the re-sync runs on its backoff alone.
TEST_F(DurabilityTest, AnExternalRedisRestartIsFoundByTheBackoff) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-X", 10, "seed")).ok());
  redis_.KillHard();
  ASSERT_FALSE(a.engine->ExecuteAndWait(Reserve("SKU-X", 1, "x-1")).ok());
  ASSERT_TRUE(a.WaitWritable());
  const storage::ResyncStats stats = a.store->resync_stats();
  EXPECT_EQ(stats.recoveries, 1);
  EXPECT_EQ(stats.woken_by_restart, 0);
  EXPECT_FALSE(a.Logged("woken by"));
}

TEST_F(DurabilityTest, ResyncRejectingStoredStateKeepsWritesClosedUntilRepaired) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "SKU-R", 10, "seed-r")).ok());
  // Someone damages the stored state (5 held, but no hold holds them), then Redis dies:
  // the re-sync's Restore must refuse that state, and writes must stay UNAVAILABLE
  // (never acknowledged against a state the engine does not have).
  // (A restored backup: the damaged row and a meta.sequence the journal never wrote; a
  // Redis restart alone no longer forces a reload when the sequence is the journal's.)
  ASSERT_TRUE(
      RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:stock", "SKU-R wh", "10 5 0"}).ok());
  ASSERT_TRUE(
      RedisCommand(redis_.socket_path(), {"HINCRBY", "{stockd}:meta", "sequence", "1000"}).ok());
  redis_.KillHard();
  ASSERT_TRUE(redis_.WaitReady());
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(Count("wh", "SKU-R", 11));
    ASSERT_FALSE(r.ok()) << "acknowledged a write while the stored state is unreadable";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(a.engine->writable());
  EXPECT_EQ(a.store->recoveries(), 0);
  EXPECT_TRUE(a.Logged("stored state rejected")) << "the rejection is not logged";
  EXPECT_TRUE(a.Logged("'SKU-R'")) << "the rejected SKU is not named in the logs";

  // Repaired: the next attempt (every 50-500 ms, 5 s after a rejection) re-syncs.
  ASSERT_TRUE(
      RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:stock", "SKU-R wh", "10 0 0"}).ok());
  absl::StatusOr<Outcome> ok;
  const auto repaired = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - repaired < std::chrono::seconds(15)) {
    ok = a.engine->ExecuteAndWait(Count("wh", "SKU-R", 12));
    if (ok.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(a.store->recoveries(), 1);
  EXPECT_EQ(Rows(*a.engine, "SKU-R")[0].counters.on_hand, 12);
  EXPECT_TRUE(a.engine->CheckInvariants().ok());
}

TEST_F(DurabilityTest, WarnsLoudlyWithoutPersistence) {
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"CONFIG", "SET", "appendonly", "no"}).ok());
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  EXPECT_TRUE(a.Logged("appendonly=no"));
  // An external Redis that keeps torn transactions after a crash is named too.
  EXPECT_TRUE(a.Logged("aof-load-truncated=yes"));
}

TEST_F(DurabilityTest, RefusesUnknownSchemaAndCorruptData) {
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:meta", "schema", "99"}).ok());
  Node a;
  absl::Status st = a.Open(redis_.address());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  // Schema 1 (untagged keys, one per SKU) is refused, not mistaken for an empty Redis.
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"DEL", "{stockd}:meta"}).ok());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "stockd:meta", "schema", "1"}).ok());
  Node a1;
  st = a1.Open(redis_.address());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("schema 1"), std::string::npos) << st;
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"DEL", "stockd:meta"}).ok());

  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:meta", "schema", "2"}).ok());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:stock", "BAD wh", "x y"}).ok());
  Node b;
  st = b.Open(redis_.address());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find("'{stockd}:stock' field 'BAD wh'"), std::string::npos) << st;

  ASSERT_TRUE(
      RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:stock", "BAD wh", "1 0 0"}).ok());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:holds", "h-9", "junk"}).ok());
  Node c;
  st = c.Open(redis_.address());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find("'{stockd}:holds' field 'h-9'"), std::string::npos) << st;

  // The group commits' packed values too: the key and the commit's field are named.
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HDEL", "{stockd}:holds", "h-9"}).ok());
  for (const char* key : {"{stockd}:requests:29913000", "{stockd}:resolved:29913000"}) {
    ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", key, "77", "junk"}).ok());
    Node d;
    st = d.Open(redis_.address());
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_NE(st.message().find(std::string("'") + key + "' field '77'"), std::string::npos) << st;
    ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"DEL", key}).ok());
  }
}

// The documented layout (docs/storage.md): a handful of hashes, whatever the number of
// SKUs; resolved holds and idempotency records in per-minute buckets that expire.
TEST_F(DurabilityTest, LayoutIsAFewHashesWithExpiringBuckets) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address()).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "L-" + std::to_string(i), 3)).ok());
  }
  absl::StatusOr<Outcome> held = a.engine->ExecuteAndWait(Reserve("L-1", 1, "rid-l"));
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<Outcome> open = a.engine->ExecuteAndWait(Reserve("L-2", 1));
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_TRUE(
      a.engine->ExecuteAndWait(Command{{"", "test"}, engine::ReleaseCmd{held->hold->hold_id}})
          .ok());
  absl::StatusOr<std::vector<std::string>> keys = RedisCommand(redis_.socket_path(), {"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  std::vector<std::string> buckets;
  for (const std::string& k : *keys) {
    if (k == "{stockd}:stock" || k == "{stockd}:holds" || k == "{stockd}:audit" ||
        k == "{stockd}:meta") {
      continue;
    }
    ASSERT_TRUE(k.rfind("{stockd}:resolved:", 0) == 0 || k.rfind("{stockd}:requests:", 0) == 0 ||
                k.rfind("{stockd}:moves:", 0) == 0)
        << k;
    buckets.push_back(k);
  }
  EXPECT_EQ(keys->size(), 4u + buckets.size());
  // One resolved-hold bucket (one hold), one idempotency bucket (one request id), and the
  // counts' on_hand movements in the bucket of the minute they leave the history: one, or
  // two when the 50 counts straddled a minute's end (CI met it).
  auto of_kind = [&](const std::string& prefix) {
    return std::count_if(buckets.begin(), buckets.end(),
                         [&](const std::string& k) { return k.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(of_kind("{stockd}:resolved:"), 1);
  EXPECT_EQ(of_kind("{stockd}:requests:"), 1);
  const auto moves = of_kind("{stockd}:moves:");
  EXPECT_TRUE(moves == 1 || moves == 2) << moves << " movement buckets";
  for (const std::string& k : buckets) {
    absl::StatusOr<std::vector<std::string>> ttl = RedisCommand(redis_.socket_path(), {"PTTL", k});
    ASSERT_TRUE(ttl.ok());
    EXPECT_GT(std::stoll((*ttl)[0]), 0) << k << " does not expire";
  }
  auto hexists = [&](const std::string& key, const std::string& field) {
    return (*RedisCommand(redis_.socket_path(), {"HEXISTS", key, field}))[0] == "1";
  };
  EXPECT_TRUE(hexists("{stockd}:holds", open->hold->hold_id));
  EXPECT_FALSE(hexists("{stockd}:holds", held->hold->hold_id)) << "a released hold stays open";
  EXPECT_EQ((*RedisCommand(redis_.socket_path(), {"HLEN", "{stockd}:stock"}))[0], "50");
  EXPECT_EQ((*RedisCommand(redis_.socket_path(), {"HGET", "{stockd}:stock", "L-1 wh"}))[0],
            "3 0 0");
  EXPECT_EQ((*RedisCommand(redis_.socket_path(), {"HGET", "{stockd}:stock", "L-2 wh"}))[0],
            "3 1 0");

  // And it all comes back.
  a.Close();
  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  EXPECT_EQ(b.engine->GetHold(held->hold->hold_id)->state, engine::HoldState::kReleased);
  EXPECT_EQ(b.engine->GetHold(open->hold->hold_id)->state, engine::HoldState::kHeld);
  absl::StatusOr<Outcome> replay = b.engine->ExecuteAndWait(Reserve("L-1", 1, "rid-l"));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->hold->hold_id, held->hold->hold_id);
  EXPECT_TRUE(b.engine->CheckInvariants().ok());
}

// A group commit writes the newest value of a row or hold once, in one HSET per hash.

// A group commit stores its idempotency records as one field per expiry bucket, not one
// per request id (a hash insert each was what Redis spent most on).

// Schema 2 (the first schema-2 builds) stored one field per request id under
// {stockd}:idem:<minute> and one per resolved hold under {stockd}:holds:<minute>: such
// data still loads (and answers replays); the first group commit marks it schema 3.
TEST_F(DurabilityTest, Schema2IdempotencyRecordsStillLoad) {
  std::string hold_id;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address()).ok());
    ASSERT_TRUE(a.engine->ExecuteAndWait(Count("wh", "S2", 5)).ok());
    absl::StatusOr<Outcome> held = a.engine->ExecuteAndWait(Reserve("S2", 2, "rid-s2"));
    ASSERT_TRUE(held.ok()) << held.status();
    hold_id = held->hold->hold_id;
  }
  // Rewrite the stored record the schema-2 way.
  absl::StatusOr<std::vector<std::string>> buckets =
      RedisCommand(redis_.socket_path(), {"KEYS", "{stockd}:requests:*"});
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 1u);
  std::vector<std::string> fields = *RedisCommand(redis_.socket_path(), {"HGETALL", (*buckets)[0]});
  std::string target;
  std::string value;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    absl::StatusOr<std::vector<engine::IdempotencyRecord>> rs =
        storage::DecodeIdempotencyBatch(fields[i + 1]);
    ASSERT_TRUE(rs.ok());
    for (engine::IdempotencyRecord& r : *rs) {
      if (r.request_id != "rid-s2") continue;
      r.request_id.clear();  // schema 2 kept it in the field name only
      value = storage::EncodeIdempotency(r);
      target = "{stockd}:idem:" + std::to_string(storage::KeyLayout::Bucket(r.expires_ms));
    }
  }
  ASSERT_FALSE(value.empty());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"DEL", (*buckets)[0]}).ok());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", target, "rid-s2", value}).ok());
  // And a resolved hold the schema-2 way: one field per hold in {stockd}:holds:<minute>.
  engine::HoldView old_hold{
      "h-schema2", "webshop", engine::HoldState::kReleased, {{"S2", "wh", 1, 0}}, 1000, 0,
      2000,        ""};
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:holds:99999999", "h-schema2",
                                                  storage::EncodeHold(old_hold)})
                  .ok());
  ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:meta", "schema", "2"}).ok());

  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  absl::StatusOr<Outcome> replay = b.engine->ExecuteAndWait(Reserve("S2", 2, "rid-s2"));
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->hold->hold_id, hold_id) << "the schema-2 record answered the replay";
  EXPECT_EQ(Rows(*b.engine, "S2")[0].counters.held, 2) << "and nothing was reserved twice";
  absl::StatusOr<engine::HoldView> old = b.engine->GetHold("h-schema2");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->state, engine::HoldState::kReleased);
  ASSERT_TRUE(b.engine->ExecuteAndWait(Count("wh", "S2", 6)).ok());
  EXPECT_EQ((*RedisCommand(redis_.socket_path(), {"HGET", "{stockd}:meta", "schema"}))[0], "3");
}

// One request id stored twice (used again after its record expired, the old bucket not
// gone yet; or once per schema across an upgrade): both records are loaded, whichever key
// each is in, with their expiry; Restore keeps the one that expires last
// (EngineTest.RestoreReplacesTheWholeState).
TEST_F(DurabilityTest, BothRecordsOfOneRequestIdAreLoaded) {
  auto put = [&](bool schema2, uint64_t fingerprint, int64_t expires_ms) {
    engine::IdempotencyRecord r{"rid-twice", fingerprint, {}, expires_ms};
    const std::string bucket = std::to_string(storage::KeyLayout::Bucket(expires_ms));
    if (schema2) {
      r.request_id.clear();  // schema 2 kept it in the field name only
      return RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:idem:" + bucket, "rid-twice",
                                                 storage::EncodeIdempotency(r)})
          .ok();
    }
    std::string value;
    storage::AppendIdempotency(r, &value);
    return RedisCommand(redis_.socket_path(),
                        {"HSET", "{stockd}:requests:" + bucket, std::to_string(fingerprint), value})
        .ok();
  };
  // "fingerprint@expires" of every loaded record, sorted.
  auto loaded = [&]() {
    absl::StatusOr<std::unique_ptr<storage::RedisConnection>> conn =
        storage::RedisConnection::Connect(redis_.address(), 2000);
    EXPECT_TRUE(conn.ok());
    absl::StatusOr<engine::Snapshot> snap = storage::LoadSnapshot(**conn, storage::KeyLayout());
    EXPECT_TRUE(snap.ok()) << snap.status();
    std::vector<std::string> out;
    for (const auto& r : snap->idempotency) {
      EXPECT_EQ(r->request_id, "rid-twice");
      out.push_back(absl::StrCat(r->fingerprint, "@", r->expires_ms));
    }
    std::sort(out.begin(), out.end());
    return absl::StrJoin(out, " ");
  };
  ASSERT_TRUE(put(/*schema2=*/true, 1, 400'000));
  ASSERT_TRUE(put(/*schema2=*/false, 2, 100'000));
  EXPECT_EQ(loaded(), "1@400000 2@100000");
  ASSERT_TRUE(put(/*schema2=*/false, 3, 500'000));
  EXPECT_EQ(loaded(), "1@400000 2@100000 3@500000");
}

TEST_F(DurabilityTest, AuditStreamIsTrimmedByMutationsNotEntries) {
  storage::DurableStoreOptions so;
  so.address = redis_.address();
  so.write.audit_max_len = 100;
  absl::StatusOr<std::unique_ptr<DurableStore>> store = DurableStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status();
  engine::EngineOptions options;
  options.journal = (*store)->journal();
  std::unique_ptr<Engine> engine = *Engine::Create(RetailModel(), options);
  ASSERT_TRUE((*store)->Attach(engine.get()).ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(engine->ExecuteAndWait(Count("wh", "AU-" + std::to_string(i % 7), i)).ok());
  }
  (*store)->Stop();
  // Count the mutations left in the stream: at least the newest 100, not much more.
  absl::StatusOr<std::vector<std::string>> len =
      RedisCommand(redis_.socket_path(), {"XLEN", "{stockd}:audit"});
  ASSERT_TRUE(len.ok());
  const int64_t entries = std::stoll((*len)[0]);
  EXPECT_GE(entries, 100);  // one mutation per entry here (ExecuteAndWait: no grouping)
  EXPECT_LE(entries, 400) << "XTRIM MINID ~ may keep a listpack node more, not the whole stream";
}

}  // namespace
}  // namespace stockd
