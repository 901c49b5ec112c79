#include "tests/crash/load.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "tests/crash/harness.h"

namespace stockd::crash {

using google::protobuf::Message;

// ---------------------------------------------------------------- operations

const char* KindName(Kind k) {
  static const char* const kNames[kKinds] = {"count",  "reserve", "commit", "release", "fulfill",
                                             "cancel", "sell",    "adjust", "transfer"};
  return kNames[static_cast<int>(k)];
}
bool IsHoldOp(Kind k) {
  return k == Kind::kCommit || k == Kind::kRelease || k == Kind::kFulfill || k == Kind::kCancel;
}

std::unique_ptr<Message> NewRequest(Kind k) {
  switch (k) {
    case Kind::kCount:
      return std::make_unique<v1::CountRequest>();
    case Kind::kReserve:
      return std::make_unique<v1::ReserveRequest>();
    case Kind::kCommit:
      return std::make_unique<v1::CommitRequest>();
    case Kind::kRelease:
      return std::make_unique<v1::ReleaseRequest>();
    case Kind::kFulfill:
      return std::make_unique<v1::FulfillRequest>();
    case Kind::kCancel:
      return std::make_unique<v1::CancelRequest>();
    case Kind::kSell:
      return std::make_unique<v1::SellRequest>();
    case Kind::kAdjust:
      return std::make_unique<v1::AdjustRequest>();
    case Kind::kTransfer:
      return std::make_unique<v1::TransferRequest>();
  }
  std::abort();
}

std::unique_ptr<Message> NewResponse(Kind k) {
  switch (k) {
    case Kind::kCount:
    case Kind::kAdjust:
      return std::make_unique<v1::StockRowResponse>();
    case Kind::kReserve:
      return std::make_unique<v1::ReserveResponse>();
    case Kind::kCommit:
    case Kind::kRelease:
    case Kind::kFulfill:
    case Kind::kCancel:
      return std::make_unique<v1::HoldResponse>();
    case Kind::kSell:
      return std::make_unique<v1::SellResponse>();
    case Kind::kTransfer:
      return std::make_unique<v1::TransferResponse>();
  }
  std::abort();
}

grpc::Status Invoke(v1::Stock::Stub& stub, Kind k, const Message& req, Message* resp,
                    int64_t deadline_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  ctx.AddMetadata("x-stockd-actor", "crash-test");
  switch (k) {
    case Kind::kCount:
      return stub.Count(&ctx, static_cast<const v1::CountRequest&>(req),
                        static_cast<v1::StockRowResponse*>(resp));
    case Kind::kReserve:
      return stub.Reserve(&ctx, static_cast<const v1::ReserveRequest&>(req),
                          static_cast<v1::ReserveResponse*>(resp));
    case Kind::kCommit:
      return stub.Commit(&ctx, static_cast<const v1::CommitRequest&>(req),
                         static_cast<v1::HoldResponse*>(resp));
    case Kind::kRelease:
      return stub.Release(&ctx, static_cast<const v1::ReleaseRequest&>(req),
                          static_cast<v1::HoldResponse*>(resp));
    case Kind::kFulfill:
      return stub.Fulfill(&ctx, static_cast<const v1::FulfillRequest&>(req),
                          static_cast<v1::HoldResponse*>(resp));
    case Kind::kCancel:
      return stub.Cancel(&ctx, static_cast<const v1::CancelRequest&>(req),
                         static_cast<v1::HoldResponse*>(resp));
    case Kind::kSell:
      return stub.Sell(&ctx, static_cast<const v1::SellRequest&>(req),
                       static_cast<v1::SellResponse*>(resp));
    case Kind::kAdjust:
      return stub.Adjust(&ctx, static_cast<const v1::AdjustRequest&>(req),
                         static_cast<v1::StockRowResponse*>(resp));
    case Kind::kTransfer:
      return stub.Transfer(&ctx, static_cast<const v1::TransferRequest&>(req),
                           static_cast<v1::TransferResponse*>(resp));
  }
  std::abort();
}

Verdict Classify(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return Verdict::kAcked;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return Verdict::kRejected;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return Verdict::kViolation;
    default:
      return Verdict::kUnknown;
  }
}

// ---------------------------------------------------------------- load

void Worker::Run() {
  while (!control_->stop.load()) {
    if (!control_->serving.load()) {
      SleepMs(1);
      continue;
    }
    Step();
  }
}

const std::string& Worker::PickSku() {
  if (Uniform(0, 3) == 0) return (*skus_)[Uniform(0, 2)];
  return (*skus_)[Uniform(0, static_cast<int64_t>(skus_->size()) - 1)];
}

std::string Worker::NextRequestId() {
  char buf[48];
  std::snprintf(buf, sizeof buf, "w%d-%07lld", id_, static_cast<long long>(++sequence_));
  return buf;
}

void Worker::Step() {
  Kind kind;
  std::unique_ptr<Message> req;
  int hold_index = -1;
  const int64_t r = Uniform(0, 99);
  if (!holds_.empty() && (holds_.size() >= kMaxOpenHoldsPerWorker || r < 30)) {
    hold_index = static_cast<int>(Uniform(0, static_cast<int64_t>(holds_.size()) - 1));
    req = HoldOp(holds_[hold_index], &kind);
  } else if (r < 60) {
    kind = Kind::kReserve;
    req = ReserveOp();
  } else if (r < 73) {
    kind = Kind::kSell;
    req = SellOp();
  } else if (r < 87) {
    kind = Kind::kAdjust;
    req = AdjustOp();
  } else {
    kind = Kind::kTransfer;
    req = TransferOp();
  }

  std::unique_ptr<Message> resp = NewResponse(kind);
  std::shared_ptr<v1::Stock::Stub> stub = control_->stub();
  OpRecord rec;
  rec.kind = kind;
  rec.sent_us = NowUs();
  grpc::Status st = Invoke(*stub, kind, *req, resp.get(), kCallDeadlineMs);
  rec.done_us = NowUs();
  rec.code = st.error_code();

  switch (Classify(st.error_code())) {
    case Verdict::kAcked:
      rec.request = req->SerializeAsString();
      rec.response = resp->SerializeAsString();
      acked_.push_back(std::move(rec));
      TrackHold(kind, hold_index, *resp);
      backoff_ms_ = 0;
      break;
    case Verdict::kRejected:
      ++rejected_[static_cast<int>(kind)];
      // Only a Fulfill may be refused on a hold this worker owns (on_hand < committed
      // after damage); anything else means the daemon lost track of the hold.
      if (hold_index >= 0 && kind != Kind::kFulfill) {
        violations_.push_back(
            {holds_[hold_index].hold_id(), std::string(KindName(kind)) + " of owned hold " +
                                               holds_[hold_index].hold_id() +
                                               " refused: " + st.error_message()});
        holds_.erase(holds_.begin() + hold_index);
      }
      break;
    case Verdict::kUnknown:
      rec.request = req->SerializeAsString();
      unknown_.push_back(std::move(rec));
      // The hold's fate is decided by the checker's replay; never touch it again.
      if (hold_index >= 0) holds_.erase(holds_.begin() + hold_index);
      if (st.error_code() == grpc::StatusCode::UNAVAILABLE && control_->serving.load()) {
        backoff_ms_ = backoff_ms_ == 0 ? 25 : std::min<int64_t>(backoff_ms_ * 2, 400);
        SleepMs(backoff_ms_);
      }
      break;
    case Verdict::kViolation:
      violations_.push_back({hold_index >= 0 ? holds_[hold_index].hold_id() : "",
                             std::string(KindName(kind)) + " " + req->ShortDebugString() + " -> " +
                                 std::to_string(st.error_code()) + " " + st.error_message()});
      if (hold_index >= 0) holds_.erase(holds_.begin() + hold_index);
      break;
  }
}

void Worker::TrackHold(Kind kind, int hold_index, const Message& resp) {
  if (kind == Kind::kReserve) {
    holds_.push_back(static_cast<const v1::ReserveResponse&>(resp).hold());
    return;
  }
  if (hold_index < 0) return;
  const v1::Hold& hold = static_cast<const v1::HoldResponse&>(resp).hold();
  if (hold.state() == v1::HELD || hold.state() == v1::COMMITTED) {
    holds_[hold_index] = hold;
  } else {
    holds_.erase(holds_.begin() + hold_index);
  }
}

std::unique_ptr<Message> Worker::ReserveOp() {
  auto req = std::make_unique<v1::ReserveRequest>();
  req->set_request_id(NextRequestId());
  const bool webshop = Uniform(0, 9) < 7;
  req->set_channel(webshop ? "webshop" : "market");
  std::set<std::string> used;
  const int64_t lines = Uniform(1, 3);
  for (int64_t i = 0; i < lines; ++i) {
    const std::string& sku = PickSku();
    if (!used.insert(sku).second) continue;
    v1::HoldLine* line = req->add_lines();
    line->set_sku(sku);
    line->set_qty(Uniform(1, 3));
    if (Uniform(0, 9) < 3) line->set_location(webshop && Uniform(0, 1) ? kStore : kWarehouse);
  }
  req->set_ttl_ms(kHoldTtlMs);
  req->set_reference("cart-" + req->request_id());
  return req;
}

std::unique_ptr<Message> Worker::HoldOp(const v1::Hold& hold, Kind* kind) {
  const bool partial = Uniform(0, 9) < 3;
  if (hold.state() == v1::HELD) {
    if (Uniform(0, 3) == 0) {
      *kind = Kind::kRelease;
      auto req = std::make_unique<v1::ReleaseRequest>();
      req->set_request_id(NextRequestId());
      req->set_hold_id(hold.hold_id());
      return req;
    }
    *kind = Kind::kCommit;
    auto req = std::make_unique<v1::CommitRequest>();
    req->set_request_id(NextRequestId());
    req->set_hold_id(hold.hold_id());
    if (partial) {  // a random part of some lines; the lines not named are released
      for (const v1::HoldLine& l : hold.lines()) {
        if (Uniform(0, 1) == 0) continue;
        v1::HoldLine* line = req->add_lines();
        line->set_sku(l.sku());
        line->set_location(l.location());  // a split line's parts: one request line each
        line->set_qty(Uniform(1, l.qty()));
      }
    }
    return req;
  }
  if (Uniform(0, 3) == 0) {
    *kind = Kind::kCancel;
    auto req = std::make_unique<v1::CancelRequest>();
    req->set_request_id(NextRequestId());
    req->set_hold_id(hold.hold_id());
    return req;
  }
  *kind = Kind::kFulfill;
  auto req = std::make_unique<v1::FulfillRequest>();
  req->set_request_id(NextRequestId());
  req->set_hold_id(hold.hold_id());
  if (partial) {
    std::vector<const v1::HoldLine*> open;
    for (const v1::HoldLine& l : hold.lines()) {
      if (l.qty() > l.fulfilled()) open.push_back(&l);
    }
    if (!open.empty()) {
      const v1::HoldLine* l = open[Uniform(0, static_cast<int64_t>(open.size()) - 1)];
      v1::HoldLine* line = req->add_lines();
      line->set_sku(l->sku());
      // Half name the line's location (a split line's part), half spread over the SKU's
      // lines in the hold's order, as the daemon does.
      if (Uniform(0, 1) == 0) line->set_location(l->location());
      line->set_qty(Uniform(1, l->qty() - l->fulfilled()));
    }
  }
  return req;
}

std::unique_ptr<Message> Worker::SellOp() {
  auto req = std::make_unique<v1::SellRequest>();
  req->set_request_id(NextRequestId());
  req->set_channel("pos");
  req->set_location(kStore);
  req->set_sku(PickSku());
  req->set_qty(Uniform(1, 2));
  req->set_override(Uniform(0, 9) == 0);
  req->set_reference("receipt-" + req->request_id());
  return req;
}

std::unique_ptr<Message> Worker::AdjustOp() {
  auto req = std::make_unique<v1::AdjustRequest>();
  req->set_request_id(NextRequestId());
  req->set_location(Uniform(0, 1) ? kStore : kWarehouse);
  req->set_sku(PickSku());
  if (Uniform(0, 9) < 7) {
    req->set_delta(Uniform(1, 18));
    req->set_reason(v1::RECEIPT);
    req->set_note("delivery");
  } else {
    req->set_delta(-Uniform(1, 2));
    req->set_reason(v1::DAMAGE);
    req->set_note("broken");
  }
  return req;
}

std::unique_ptr<Message> Worker::TransferOp() {
  auto req = std::make_unique<v1::TransferRequest>();
  req->set_request_id(NextRequestId());
  const bool to_store = Uniform(0, 2) > 0;
  req->set_from_location(to_store ? kWarehouse : kStore);
  req->set_to_location(to_store ? kStore : kWarehouse);
  req->set_sku(PickSku());
  req->set_qty(Uniform(1, 3));
  return req;
}

void Probe::Run() {
  v1::CountRequest req;
  req.set_location(kWarehouse);
  req.set_sku(kProbeSku);
  req.set_on_hand(kProbeOnHand);
  while (!control_->stop.load()) {
    v1::StockRowResponse resp;
    std::shared_ptr<v1::Stock::Stub> stub = control_->stub();
    Result r{NowUs(), 0, grpc::StatusCode::OK};
    r.code = Invoke(*stub, Kind::kCount, req, &resp, 1000).error_code();
    r.done_us = NowUs();
    {
      absl::MutexLock lock(&mu_);
      results_.push_back(r);
    }
    SleepMs(10);
  }
}

std::optional<int64_t> Probe::FirstOkAfter(int64_t after_us) const {
  absl::MutexLock lock(&mu_);
  for (const Result& r : results_) {
    if (r.code == grpc::StatusCode::OK && r.done_us > after_us) return r.done_us;
  }
  return std::nullopt;
}

}  // namespace stockd::crash
