#include "tests/crash/oracle.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace stockd::crash {

using google::protobuf::Message;

namespace {

// Failed assertions of the running test so far.
int FailedParts() {
  const ::testing::TestResult* result =
      ::testing::UnitTest::GetInstance()->current_test_info()->result();
  int failed = 0;
  for (int i = 0; i < result->total_part_count(); ++i) {
    if (result->GetTestPartResult(i).failed()) ++failed;
  }
  return failed;
}

std::vector<std::string> TouchedSkus(Kind kind, const Message& req, const Model& model) {
  std::vector<std::string> skus;
  switch (kind) {
    case Kind::kCount:
      skus.push_back(static_cast<const v1::CountRequest&>(req).sku());
      break;
    case Kind::kReserve:
      for (const auto& l : static_cast<const v1::ReserveRequest&>(req).lines()) {
        skus.push_back(l.sku());
      }
      break;
    case Kind::kSell:
      skus.push_back(static_cast<const v1::SellRequest&>(req).sku());
      break;
    case Kind::kAdjust:
      skus.push_back(static_cast<const v1::AdjustRequest&>(req).sku());
      break;
    case Kind::kTransfer:
      skus.push_back(static_cast<const v1::TransferRequest&>(req).sku());
      break;
    default: {  // every hold operation has a hold_id
      const std::string hold_id =
          req.GetReflection()->GetString(req, req.GetDescriptor()->FindFieldByName("hold_id"));
      if (const v1::Hold* h = model.FindHold(hold_id)) {
        for (const auto& l : h->lines()) skus.push_back(l.sku());
      }
    }
  }
  return skus;
}

std::string StringField(const Message& m, const char* name) {
  return m.GetReflection()->GetString(m, m.GetDescriptor()->FindFieldByName(name));
}

// Parses a recorded operation and hands it to `fn(kind, request, response)`.
void WithMessages(const OpRecord& r,
                  const std::function<void(const Message&, const Message&)>& fn) {
  std::unique_ptr<Message> req = NewRequest(r.kind);
  std::unique_ptr<Message> resp = NewResponse(r.kind);
  req->ParseFromString(r.request);
  resp->ParseFromString(r.response);
  fn(*req, *resp);
}

}  // namespace

void SeedStock(Oracle& oracle, std::mt19937_64& rng, RunRecord* run) {
  for (const std::string& sku : run->skus) {
    for (const char* location : {kWarehouse, kStore}) {
      v1::CountRequest req;
      req.set_request_id("seed-" + sku + "-" + location);
      req.set_location(location);
      req.set_sku(sku);
      req.set_on_hand(location == std::string(kWarehouse)
                          ? std::uniform_int_distribution<int>(40, 80)(rng)
                          : std::uniform_int_distribution<int>(10, 30)(rng));
      req.set_note("initial stock take");
      v1::StockRowResponse resp;
      grpc::Status st = oracle.Replay(Kind::kCount, req, &resp);
      ASSERT_TRUE(st.ok()) << "seed " << sku << "@" << location << ": " << st.error_message();
      OpRecord rec;
      rec.kind = Kind::kCount;
      rec.request = req.SerializeAsString();
      rec.response = resp.SerializeAsString();
      run->seed.push_back(std::move(rec));
    }
  }
}

// ---------------------------------------------------------------- the check

grpc::Status Oracle::Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
  grpc::Status st;
  for (int attempt = 0; attempt < 20; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(kCheckDeadlineMs));
    st = fn(&ctx);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
    SleepMs(100);
  }
  return st;
}

grpc::Status Oracle::Replay(Kind kind, const Message& req, Message* resp) {
  grpc::Status st;
  for (int attempt = 0; attempt < 20; ++attempt) {
    resp->Clear();
    st = Invoke(*Stub(), kind, req, resp, kCheckDeadlineMs);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
    SleepMs(100);
  }
  return st;
}

std::vector<std::string> Oracle::AllSkus() const {
  std::vector<std::string> skus = run_->skus;
  if (run_->probe) skus.push_back(kProbeSku);
  return skus;
}

Snapshot Oracle::TakeSnapshot() {
  Snapshot snap;
  for (const std::string& sku : AllSkus()) {
    v1::GetStockRequest sreq;
    sreq.set_sku(sku);
    grpc::Status st = Call(
        [&](grpc::ClientContext* ctx) { return Stub()->GetStock(ctx, sreq, &snap.stock[sku]); });
    EXPECT_TRUE(st.ok()) << "GetStock " << sku << ": " << st.error_message();
    // Open holds of the SKU, by channel and state, page by page (a long run leaves more
    // than the 1000 a page holds), merged in hold-id order.
    std::vector<v1::Hold> open;
    for (const ChannelSpec& channel : TheShop().channels) {
      for (v1::HoldState state : {v1::HELD, v1::COMMITTED}) {
        v1::ListHoldsRequest hreq;
        hreq.set_sku(sku);
        hreq.set_channel(channel.id);
        hreq.set_state(state);
        hreq.set_limit(1000);
        for (;;) {
          v1::ListHoldsResponse part;
          st = Call([&](grpc::ClientContext* ctx) { return Stub()->ListHolds(ctx, hreq, &part); });
          EXPECT_TRUE(st.ok()) << "ListHolds " << hreq.ShortDebugString() << ": "
                               << st.error_message();
          if (!st.ok()) break;
          open.insert(open.end(), part.holds().begin(), part.holds().end());
          if (part.next_page_token().empty()) break;
          hreq.set_page_token(part.next_page_token());
        }
      }
    }
    std::sort(open.begin(), open.end(),
              [](const v1::Hold& a, const v1::Hold& b) { return a.hold_id() < b.hold_id(); });
    v1::ListHoldsResponse& merged = snap.holds[sku];
    for (v1::Hold& h : open) *merged.add_holds() = std::move(h);
  }
  v1::GetAvailabilityRequest areq;
  for (const std::string& sku : AllSkus()) areq.add_skus(sku);
  grpc::Status st = Call([&](grpc::ClientContext* ctx) {
    return Stub()->GetAvailability(ctx, areq, &snap.availability);
  });
  EXPECT_TRUE(st.ok()) << "GetAvailability: " << st.error_message();
  return snap;
}

int Oracle::ExpectSameSnapshot(const Snapshot& a, const Snapshot& b, const std::string& when) {
  int reported = 0;
  std::set<std::string> differing;
  for (const auto& [sku, stock] : a.stock) {
    auto it = b.stock.find(sku);
    std::string d = it == b.stock.end() ? "missing" : Diff(stock, it->second);
    if (d.empty()) continue;
    differing.insert(sku);
    if (reported++ < 10) ADD_FAILURE() << when << ": stock of " << sku << ": " << d;
  }
  for (const auto& [sku, holds] : a.holds) {
    auto it = b.holds.find(sku);
    std::string d = it == b.holds.end() ? "missing" : Diff(holds, it->second);
    if (d.empty()) continue;
    differing.insert(sku);
    if (reported++ < 10) ADD_FAILURE() << when << ": holds of " << sku << ": " << d;
  }
  std::string d = Diff(a.availability, b.availability);
  if (!d.empty()) ADD_FAILURE() << when << ": availability: " << d;
  return static_cast<int>(differing.size()) + (d.empty() ? 0 : 1);
}

std::string Oracle::StockOf(const std::vector<std::string>& skus) {
  std::string out;
  for (const std::string& sku : skus) {
    v1::GetStockRequest req;
    req.set_sku(sku);
    v1::GetStockResponse resp;
    grpc::Status st =
        Call([&](grpc::ClientContext* ctx) { return Stub()->GetStock(ctx, req, &resp); });
    out += st.ok() ? resp.SerializeAsString() : "error:" + st.error_message();
    out += '\n';
  }
  return out;
}

// "lost/acknowledged" per cycle and in total; the load after the last cycle is counted
// in the total (nothing kills Redis after it).
void Oracle::PrintLosses(const Summary& summary) const {
  int64_t lost = 0, acked = 0;
  std::string per_cycle;
  for (size_t i = 0; i < summary.acked_per_cycle.size(); ++i) {
    lost += summary.lost_per_cycle[i];
    acked += summary.acked_per_cycle[i];
    if (i == run_->outages.size()) break;
    per_cycle += (i == 0 ? " " : ", ") + std::to_string(i + 1) + ": " +
                 std::to_string(summary.lost_per_cycle[i]) + "/" +
                 std::to_string(summary.acked_per_cycle[i]);
  }
  std::printf(
      "[crash]   acknowledged writes lost (lost/acknowledged) per cycle:%s; total "
      "%lld/%lld (%.3f%%)%s\n",
      per_cycle.c_str(), static_cast<long long>(lost), static_cast<long long>(acked),
      acked > 0 ? 100.0 * static_cast<double>(lost) / static_cast<double>(acked) : 0.0,
      lossy_ ? " [appendfsync everysec: reported, not failed]" : "");
  if (lossy_) {
    std::printf(
        "[crash]   after a loss: %lld load calls on a lost hold refused, %lld "
        "unknown outcomes on a lost hold refused on replay; the checks ran on the "
        "%lld acknowledged operations Redis kept\n",
        static_cast<long long>(summary.refused_after_loss),
        static_cast<long long>(summary.refused_lost_hold), static_cast<long long>(acked - lost));
  }
}

// Redis-kill variants, before any replay: which acknowledged operations Redis no longer
// has. Every mutation's audit entry (with its request_id) is written in the same
// MULTI/EXEC as the mutation (docs/storage.md), so an acknowledged request_id without
// one in {stockd}:audit was lost. An operation counts in cycle k when its answer came
// after Redis answered again in cycle k-1 and at the latest when it answered in cycle k.
// With appendfsync always none may be lost.
void Oracle::FindLostAcks(const std::string& redis_socket, Summary* summary) {
  std::set<std::string> durable;
  ASSERT_NO_FATAL_FAILURE(ReadAuditRequestIds(redis_socket, &durable));
  std::vector<int64_t> up_us;
  for (const Outage& o : run_->outages) up_us.push_back(o.up_us);
  summary->acked_per_cycle.assign(run_->outages.size() + 1, 0);
  summary->lost_per_cycle.assign(run_->outages.size() + 1, 0);
  std::vector<std::string> examples;
  for (const auto& w : run_->workers) {
    for (const OpRecord& r : w->acked()) {
      const size_t cycle = std::lower_bound(up_us.begin(), up_us.end(), r.done_us) - up_us.begin();
      ++summary->acked_per_cycle[cycle];
      std::unique_ptr<Message> req = NewRequest(r.kind);
      req->ParseFromString(r.request);
      const std::string request_id = StringField(*req, "request_id");
      if (durable.count(request_id) > 0) continue;
      ++summary->lost_per_cycle[cycle];
      lost_requests_.insert(request_id);
      if (r.kind == Kind::kReserve) {
        v1::ReserveResponse resp;
        resp.ParseFromString(r.response);
        lost_holds_.insert(resp.hold().hold_id());
      } else if (IsHoldOp(r.kind)) {
        lost_holds_.insert(StringField(*req, "hold_id"));
      }
      if (examples.size() < 10) {
        examples.push_back(std::string(KindName(r.kind)) + " " + req->ShortDebugString());
      }
    }
  }
  if (lossy_) return;
  for (const std::string& e : examples) ADD_FAILURE() << "acknowledged, not in redis: " << e;
  EXPECT_TRUE(lost_requests_.empty())
      << lost_requests_.size() << " acknowledged operations lost with appendfsync always";
}

// Every request_id in the {stockd}:audit stream (one stream entry per group commit,
// one field per mutation: a stockd.v1.AuditEntry).
void Oracle::ReadAuditRequestIds(const std::string& socket, std::set<std::string>* ids) {
  redisContext* c = redisConnectUnixWithTimeout(socket.c_str(), timeval{5, 0});
  std::unique_ptr<redisContext, void (*)(redisContext*)> owner(c, &redisFree);
  ASSERT_TRUE(c != nullptr && c->err == 0)
      << "cannot connect to " << socket << ": " << (c != nullptr ? c->errstr : "no memory");
  std::string start = "-";
  for (;;) {
    std::unique_ptr<redisReply, void (*)(void*)> reply(
        static_cast<redisReply*>(
            redisCommand(c, "XRANGE %s %s + COUNT 500", "{stockd}:audit", start.c_str())),
        &freeReplyObject);
    ASSERT_NE(reply, nullptr) << "XRANGE {stockd}:audit: " << c->errstr;
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY)
        << "XRANGE {stockd}:audit: " << (reply->str != nullptr ? reply->str : "");
    if (reply->elements == 0) return;
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* entry = reply->element[i];  // [id, [field, value, ...]]
      ASSERT_TRUE(entry->type == REDIS_REPLY_ARRAY && entry->elements == 2);
      start = "(" + std::string(entry->element[0]->str, entry->element[0]->len);
      const redisReply* fields = entry->element[1];
      for (size_t f = 1; f < fields->elements; f += 2) {
        v1::AuditEntry audit;
        ASSERT_TRUE(audit.ParseFromArray(fields->element[f]->str,
                                         static_cast<int>(fields->element[f]->len)))
            << "undecodable audit entry in stream entry " << start.substr(1);
        if (!audit.request_id().empty()) ids->insert(audit.request_id());
      }
    }
  }
}

void Oracle::CheckLoadViolations(Summary* summary) {
  int64_t load_violations = 0;
  for (const auto& w : run_->workers) {
    for (const Worker::Violation& v : w->violations()) {
      if (lossy_ && lost_holds_.count(v.hold_id) > 0) {
        ++summary->refused_after_loss;  // e.g. a Commit of a hold whose Reserve was lost
        continue;
      }
      if (load_violations++ < 20) ADD_FAILURE() << "load: " << v.what;
    }
  }
  EXPECT_EQ(load_violations, 0) << "calls answered with a status the load never provokes";
}

// Redis-kill variant: while Redis was down, stockd answered UNAVAILABLE and never
// acknowledged a write. A write is provably acknowledged without Redis when it was sent
// after stockd had already answered UNAVAILABLE for this outage (the write gate was
// closed) and its answer arrived before a PING showed Redis still down.
void Oracle::CheckOutages(Summary* summary) {
  std::vector<Probe::Result> probes = run_->probe->results();
  struct Ack {
    int64_t sent_us, done_us;
    std::string what;
  };
  std::vector<Ack> acks;
  std::vector<int64_t> unavailable_done;  // completion times of UNAVAILABLE answers
  std::vector<int64_t> unavailable_sent;
  for (const Probe::Result& p : probes) {
    if (p.code == grpc::StatusCode::OK) acks.push_back({p.sent_us, p.done_us, "probe count"});
    if (p.code == grpc::StatusCode::UNAVAILABLE) {
      unavailable_sent.push_back(p.sent_us);
      unavailable_done.push_back(p.done_us);
    }
    EXPECT_TRUE(p.code == grpc::StatusCode::OK || p.code == grpc::StatusCode::UNAVAILABLE ||
                p.code == grpc::StatusCode::DEADLINE_EXCEEDED)
        << "probe Count answered " << p.code;
  }
  for (const auto& w : run_->workers) {
    for (const OpRecord& r : w->acked()) acks.push_back({r.sent_us, r.done_us, KindName(r.kind)});
    for (const OpRecord& r : w->unknown()) {
      if (r.code != grpc::StatusCode::UNAVAILABLE) continue;
      unavailable_sent.push_back(r.sent_us);
      unavailable_done.push_back(r.done_us);
    }
  }
  for (const Outage& o : run_->outages) {
    int64_t gate_closed_us = 0;  // first UNAVAILABLE answer for a call sent after the kill
    int64_t answers = 0;
    for (size_t i = 0; i < unavailable_done.size(); ++i) {
      if (unavailable_sent[i] < o.kill_us || unavailable_sent[i] > o.up_us) continue;
      ++answers;
      if (gate_closed_us == 0 || unavailable_done[i] < gate_closed_us) {
        gate_closed_us = unavailable_done[i];
      }
    }
    summary->unavailable_during_outages += answers;
    EXPECT_GT(answers, 0) << "cycle " << o.cycle
                          << ": stockd never answered UNAVAILABLE while redis was down";
    if (gate_closed_us == 0) continue;
    for (const Ack& a : acks) {
      if (a.sent_us > gate_closed_us && a.done_us < o.last_down_us) {
        ++summary->acks_without_redis;
        ADD_FAILURE() << "cycle " << o.cycle << ": " << a.what << " acknowledged "
                      << Ms(o.last_down_us - a.done_us)
                      << " ms before redis answered PING again (sent "
                      << Ms(a.sent_us - gate_closed_us) << " ms after stockd said UNAVAILABLE)";
      }
    }
  }
}

void Oracle::Check(Summary* summary) {
  Model model;
  std::vector<const OpRecord*> acked;
  for (const OpRecord& r : run_->seed) acked.push_back(&r);
  for (const auto& w : run_->workers) {
    for (const OpRecord& r : w->acked()) {
      if (!Lost(r)) acked.push_back(&r);
    }
  }
  for (const OpRecord* r : acked) {
    WithMessages(*r,
                 [&](const Message& req, const Message& resp) { model.Apply(r->kind, req, resp); });
  }
  ASSERT_NO_FATAL_FAILURE(CheckAcknowledgedReplays(acked, summary));
  ResolveUnknownOutcomes(&model, summary);
  const Snapshot now = TakeSnapshot();
  CheckFinalState(model, now, summary);
  std::set<std::string> lost = replay_mismatches_;
  lost.insert(lost_requests_.begin(), lost_requests_.end());
  summary->lost_acks = static_cast<int64_t>(lost.size());
  v1::CheckInvariantsResponse inv;
  grpc::Status st = Call([&](grpc::ClientContext* ctx) {
    return Stub()->CheckInvariants(ctx, v1::CheckInvariantsRequest(), &inv);
  });
  ASSERT_TRUE(st.ok()) << st.error_message();
  summary->invariants_ok = inv.ok();
  EXPECT_TRUE(inv.ok()) << inv.ShortDebugString();
}

// Every acknowledged operation is present: its replay (same request_id, same request)
// returns the first response, and all the replays together change nothing.
void Oracle::CheckAcknowledgedReplays(const std::vector<const OpRecord*>& acked, Summary* summary) {
  // Whether reading the state failed, not whether anything failed before: a cycle over
  // its time budget (an EXPECT) must not keep the 1,000-cycle run from its final check
  // (it did, after two hours, on 2026-12-05).
  const int failed_before = FailedParts();
  const Snapshot before = TakeSnapshot();
  ASSERT_EQ(FailedParts(), failed_before) << "cannot read the state";
  std::atomic<size_t> next{0};
  std::atomic<int64_t> mismatches{0};
  std::mutex report_mu;
  std::vector<std::string> reports;
  auto replay_some = [&] {
    for (size_t i = next++; i < acked.size(); i = next++) {
      const OpRecord& r = *acked[i];
      WithMessages(r, [&](const Message& req, const Message& first) {
        std::unique_ptr<Message> again = NewResponse(r.kind);
        grpc::Status st = Replay(r.kind, req, again.get());
        std::string problem;
        if (!st.ok()) {
          problem = "replay answered " + std::to_string(st.error_code()) + " " + st.error_message();
        } else if (std::string d = Diff(first, *again); !d.empty()) {
          problem = "replay returned a different result: " + d;
        }
        if (problem.empty()) return;
        ++mismatches;
        std::lock_guard<std::mutex> lock(report_mu);
        replay_mismatches_.insert(StringField(req, "request_id"));
        if (reports.size() < 10) {
          reports.push_back(std::string("acknowledged ") + KindName(r.kind) + " " +
                            req.ShortDebugString() + " (first: " + first.ShortDebugString() +
                            "): " + problem);
        }
      });
    }
  };
  std::vector<std::thread> replayers;
  for (int i = 0; i < 8; ++i) replayers.emplace_back(replay_some);
  for (std::thread& t : replayers) t.join();
  summary->replays = static_cast<int64_t>(acked.size());
  for (const std::string& r : reports) ADD_FAILURE() << r;
  EXPECT_EQ(mismatches.load(), 0) << "acknowledged operations lost or applied twice";
  summary->double_applies +=
      ExpectSameSnapshot(before, TakeSnapshot(), "after replaying every acknowledged operation");
}

// Every unknown outcome, replayed with its request_id, applies exactly once: either the
// daemon already has it (the replay changes nothing) or it applies now. Sequential, so
// the stock of the touched SKUs before and after tells which.
void Oracle::ResolveUnknownOutcomes(Model* model, Summary* summary) {
  for (const auto& w : run_->workers) {
    for (const OpRecord& r : w->unknown()) {
      std::unique_ptr<Message> req = NewRequest(r.kind);
      std::unique_ptr<Message> resp = NewResponse(r.kind);
      req->ParseFromString(r.request);
      const std::vector<std::string> skus = TouchedSkus(r.kind, *req, *model);
      const std::string stock_before = StockOf(skus);
      grpc::Status st = Replay(r.kind, *req, resp.get());
      const bool changed = StockOf(skus) != stock_before;
      if (lossy_ && IsHoldOp(r.kind) && lost_holds_.count(StringField(*req, "hold_id")) > 0 &&
          !st.ok() && Classify(st.error_code()) != Verdict::kUnknown) {
        ++summary->refused_lost_hold;  // its Reserve (or last change) was lost
        EXPECT_FALSE(changed) << "a refused replay changed stock: " << req->ShortDebugString();
        continue;
      }
      switch (Classify(st.error_code())) {
        case Verdict::kAcked:
          ++(changed ? summary->applied_now : summary->had_applied);
          model->Apply(r.kind, *req, *resp);
          break;
        case Verdict::kRejected:
          ++summary->refused_now;
          EXPECT_FALSE(changed) << "a refused replay changed stock: " << req->ShortDebugString();
          EXPECT_TRUE(!IsHoldOp(r.kind) || r.kind == Kind::kFulfill)
              << "unknown " << KindName(r.kind)
              << " of an owned hold refused on replay: " << req->ShortDebugString() << ": "
              << st.error_message();
          break;
        default:
          ADD_FAILURE() << "replay of unknown-outcome " << KindName(r.kind) << " "
                        << req->ShortDebugString() << " answered " << st.error_code() << " "
                        << st.error_message();
      }
    }
  }
}

// The served state equals the model: counters per SKU x location, the open holds field
// for field, Σ open holds == held/committed, no negative counter, and every channel's
// availability equals the formula recomputed here from GetStock and the config.
void Oracle::CheckFinalState(const Model& model, const Snapshot& now, Summary* summary) {
  for (const std::string& p : model.problems()) ADD_FAILURE() << "model: " << p;
  int reported = 0;
  auto report = [&reported](const std::string& what) {
    if (reported++ < 20) ADD_FAILURE() << what;
  };
  // A difference from the model of what was acknowledged and replayed: counted too.
  auto off_model = [&report, summary](const std::string& what) {
    ++summary->double_applies;
    report(what);
  };
  std::map<std::string, SkuRows> daemon_rows;
  for (const std::string& sku : AllSkus()) {
    SkuRows& rows = daemon_rows[sku];
    for (const v1::StockRow& r : now.stock.at(sku).rows()) {
      rows[r.location()] = Row{r.on_hand(), r.held(), r.committed()};
      if (r.on_hand() < 0 || r.held() < 0 || r.committed() < 0) {
        report("negative counter: " + r.ShortDebugString());
      }
      if (r.free() != r.on_hand() - r.held() - r.committed()) {
        report("free != on_hand - held - committed: " + r.ShortDebugString());
      }
      ++summary->rows;
    }
    SkuRows expected;
    if (sku == kProbeSku) {
      expected[kWarehouse].on_hand = kProbeOnHand;
    } else {
      expected = model.Expected(sku);
    }
    for (const char* location : {kWarehouse, kStore}) {
      const Row got = rows.count(location) ? rows.at(location) : Row{};
      const Row want = expected.count(location) ? expected.at(location) : Row{};
      if (got != want) {
        off_model(sku + "@" + location + ": daemon " + ToString(got) + ", model " + ToString(want) +
                  " (on_hand/held/committed)");
      }
    }
    SkuRows from_holds;
    std::map<std::string, v1::Hold> want_holds = model.OpenHolds(sku);
    for (const v1::Hold& h : now.holds.at(sku).holds()) {
      for (const v1::HoldLine& l : h.lines()) {
        if (l.sku() != sku) continue;
        if (h.state() == v1::HELD) from_holds[l.location()].held += l.qty();
        if (h.state() == v1::COMMITTED) {
          from_holds[l.location()].committed += l.qty() - l.fulfilled();
        }
      }
      auto it = want_holds.find(h.hold_id());
      if (it == want_holds.end()) {
        off_model("open hold the model does not know: " + h.ShortDebugString());
        continue;
      }
      if (std::string d = Diff(it->second, h); !d.empty()) {
        off_model("hold " + h.hold_id() + " differs from its last acknowledged state: " + d);
      }
      want_holds.erase(it);
      if (sku == h.lines(0).sku()) ++summary->open_holds;
    }
    for (const auto& [id, h] : want_holds) {
      off_model("open hold missing in the daemon: " + h.ShortDebugString());
    }
    for (const auto& [location, r] : rows) {
      const Row sum = from_holds.count(location) ? from_holds.at(location) : Row{};
      if (r.held != sum.held || r.committed != sum.committed) {
        report(sku + "@" + location + ": held/committed " + std::to_string(r.held) + "/" +
               std::to_string(r.committed) + " but open holds sum to " + std::to_string(sum.held) +
               "/" + std::to_string(sum.committed));
      }
    }
  }

  const std::vector<std::string> skus = AllSkus();
  const Shop& shop = TheShop();
  ASSERT_EQ(now.availability.items_size(), static_cast<int>(skus.size() * shop.channels.size()));
  int item = 0;
  for (const std::string& sku : skus) {
    for (const ChannelSpec& channel : shop.channels) {
      const v1::Availability& a = now.availability.items(item++);
      auto [reservable, published] = ExpectedAvailability(shop, channel, sku, daemon_rows[sku]);
      if (a.sku() != sku || a.channel() != channel.id || a.reservable() != reservable ||
          a.published() != published) {
        report("availability " + a.ShortDebugString() + ", recomputed " + sku + "/" + channel.id +
               " reservable " + std::to_string(reservable) + " published " +
               std::to_string(published));
      }
    }
  }
}

// A last SIGKILL + restart (no load) must serve exactly what was served before it: the
// state in Redis is the state in memory, idempotency records included.
void Oracle::CheckRestartServesSameState(const std::function<void()>& restart, Summary* summary) {
  const Snapshot served = TakeSnapshot();
  ASSERT_NO_FATAL_FAILURE(restart());
  ExpectSameSnapshot(served, TakeSnapshot(), "after a final SIGKILL and restart");
  v1::CheckInvariantsResponse inv;
  grpc::Status st = Call([&](grpc::ClientContext* ctx) {
    return Stub()->CheckInvariants(ctx, v1::CheckInvariantsRequest(), &inv);
  });
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(inv.ok()) << inv.ShortDebugString();
  int64_t checked = 0;
  for (const auto& w : run_->workers) {
    const std::vector<OpRecord>& acked = w->acked();
    for (size_t i = 0; i < acked.size(); i += 1 + acked.size() / 50) {  // ~50 per worker
      if (Lost(acked[i])) continue;
      WithMessages(acked[i], [&](const Message& req, const Message& first) {
        std::unique_ptr<Message> again = NewResponse(acked[i].kind);
        grpc::Status rst = Replay(acked[i].kind, req, again.get());
        EXPECT_TRUE(rst.ok()) << rst.error_message();
        EXPECT_EQ(Diff(first, *again), "") << req.ShortDebugString();
      });
      ++checked;
    }
  }
  summary->replays += checked;
}

// An acknowledged operation that Redis lost, in the lossy variant: left out of the model
// and the replays (replaying it would apply it anew).
bool Oracle::Lost(const OpRecord& r) const {
  if (!lossy_ || lost_requests_.empty()) return false;
  std::unique_ptr<Message> req = NewRequest(r.kind);
  req->ParseFromString(r.request);
  return lost_requests_.count(StringField(*req, "request_id")) > 0;
}

}  // namespace stockd::crash
