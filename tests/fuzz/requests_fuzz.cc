// Fuzzes every mutation request of the gRPC API (Reserve, Extend, Commit, Release,
// Fulfill, Cancel, Sell, Adjust, Count, Transfer: the ten ops of a BatchOperation) through
// the service's conversion (daemon/api/convert.h, as StockService and its Batch call it)
// and the engine's validation and execution, on a model parsed from a real config, with
// every durable record round-tripped through the Redis record encoding
// (daemon/storage/records.h) on its way to the journal. Queries (GetStock,
// GetAvailability, Explain, GetHold, ListHolds, ListAudit) run between the mutations.
//
// An input is a program: a sequence of steps, each chosen by one byte —
//   raw      a BatchOperation decoded from fuzz bytes (any field, any value);
//   built    a BatchOperation assembled from the names the model knows and the hold ids
//            seen so far (reaches deep states raw bytes rarely do), encoded and decoded;
//   replay   the last request with a request id sent again;
//   time     the manual clock moves on and due holds expire;
//   query    one of the queries, on a known or a fuzzed name.
//
// Properties, checked after every step (a violation is __builtin_trap):
//   - an error is one the API documents for a bad request (INVALID_ARGUMENT, NOT_FOUND,
//     FAILED_PRECONDITION, ABORTED, RESOURCE_EXHAUSTED), never INTERNAL or UNKNOWN;
//   - a refused request changes nothing (published quantities and counters unchanged);
//   - CheckInvariants() holds: held/committed equal the open holds, published equals
//     the formula, no counter negative;
//   - a replay answers the first result again and changes nothing (an order never counts
//     twice);
//   - every record the journal gets encodes and decodes to itself (holds, idempotency
//     records, counters), and its Redis commands can be built;
//   - every answer converts to its response message, which serializes and parses back;
//   - Explain agrees with GetAvailability on every (channel, SKU).
#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/api/convert.h"
#include "daemon/config/config.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/storage/records.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd {
namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// Two locations, a webshop on both that protects store units, a marketplace with a share
// and a cap, a POS on the store, a click & collect channel that takes lines whole, and an
// override on a limited line.
constexpr char kConfig[] = R"(server: {listen: "127.0.0.1:0"}
redis: {mode: memory}
holds: {max_lines: 8}
locations:
  - {id: wh, type: warehouse}
  - {id: st, type: store}
channels:
  - {id: web, type: webshop, sources: [wh, st], safety_stock: 1, protect: {st: 2}}
  - {id: amz, type: marketplace, sources: [wh], share_percent: 50, max_publish: 20, min_publish: 1}
  - {id: pos, type: store, sources: [st]}
  - {id: cc, type: webshop, sources: [st, wh], split_lines: false}
overrides:
  - {sku: "LTD-*", channel: web, max_publish: 3, protect: {st: 1}}
)";

const std::vector<std::string> kSkus = {"A", "B", "LTD-1", "LTD-2"};
const std::vector<std::string> kLocations = {"wh", "st"};
const std::vector<std::string> kChannels = {"web", "amz", "pos", "cc"};

// Round-trips every record through the Redis record encoding, then reports it durable.
class RoundTripJournal final : public engine::Journal {
 public:
  void Append(std::shared_ptr<const engine::MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    for (const engine::HoldView& hold : record->holds) {
      absl::StatusOr<engine::HoldView> back = storage::DecodeHold(storage::EncodeHold(hold));
      FUZZ_CHECK(back.ok());
      FUZZ_CHECK(HoldBytes(*back) == HoldBytes(hold));
    }
    for (const engine::RowView& row : record->rows()) {
      absl::StatusOr<engine::Counters> back =
          storage::DecodeCounters(storage::EncodeCounters(row.counters));
      FUZZ_CHECK(back.ok() && *back == row.counters);
    }
    if (record->idempotency != nullptr) {
      const engine::IdempotencyRecord& idem = *record->idempotency;
      std::string batch;
      storage::AppendIdempotency(idem, &batch);
      absl::StatusOr<std::vector<engine::IdempotencyRecord>> back =
          storage::DecodeIdempotencyBatch(batch);
      FUZZ_CHECK(back.ok() && back->size() == 1);
      FUZZ_CHECK((*back)[0].request_id == idem.request_id);
      FUZZ_CHECK((*back)[0].fingerprint == idem.fingerprint);
      FUZZ_CHECK((*back)[0].expires_ms == idem.expires_ms);
      FUZZ_CHECK(OutcomeBytes((*back)[0].outcome) == OutcomeBytes(idem.outcome));
    }
    std::vector<storage::Args> commands;
    storage::AppendBatchCommands(storage::KeyLayout(), storage::WriteOptions(), {record.get()},
                                 &commands);
    FUZZ_CHECK(!commands.empty());
    done(absl::OkStatus());
  }

  static std::string HoldBytes(const engine::HoldView& hold) {
    v1::Hold out;
    api::ToProto(hold, &out);
    return out.SerializeAsString();
  }
  // What a client sees of an outcome: its hold and rows (the response of any op).
  static std::string OutcomeBytes(const engine::Outcome& o) {
    std::string bytes;
    if (o.hold.has_value()) bytes += HoldBytes(*o.hold);
    for (const auto* rows : {&o.before, &o.after}) {
      for (const engine::RowView& row : *rows) {
        v1::StockRow out;
        api::ToProto(row, &out);
        bytes += "|" + out.SerializeAsString();
      }
    }
    return bytes + (o.breach ? "!" + std::to_string(o.breach_units) : "");
  }
};

struct World {
  engine::ManualClock clock;
  RoundTripJournal journal;
  std::unique_ptr<engine::Engine> engine;
};

// Parsed once; every input starts a fresh engine on it.
const config::Config& TheConfig() {
  static const config::Config* config = [] {
    absl::StatusOr<config::Config> parsed = config::ParseConfig(kConfig, "requests_fuzz.yaml");
    if (!parsed.ok()) {  // the fuzzer's own config must parse
      std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return new config::Config(*std::move(parsed));
  }();
  return *config;
}

std::unique_ptr<World> NewWorld() {
  const config::Config* config = &TheConfig();
  auto world = std::make_unique<World>();
  engine::EngineOptions options = config->engine;  // as the daemon takes them
  options.shards = 4;
  options.max_idempotency_records = 64;  // the cap is reachable
  options.audit_capacity = 32;           // the ring wraps
  options.clock = &world->clock;
  options.journal = &world->journal;
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
      engine::Engine::Create(config->model, options);
  if (!engine.ok()) std::abort();
  world->engine = std::move(*engine);
  return world;
}

// Every channel's numbers for every SKU the engine has (an unknown SKU is NOT_FOUND).
std::vector<engine::AvailabilityItem> Availability(const engine::Engine& engine) {
  std::vector<engine::AvailabilityItem> all;
  for (const std::string& sku : kSkus) {
    absl::StatusOr<std::vector<engine::AvailabilityItem>> items = engine.GetAvailability({sku}, {});
    FUZZ_CHECK(items.ok() == engine.HasSku(sku));
    if (items.ok()) all.insert(all.end(), items->begin(), items->end());
  }
  return all;
}

// Everything a client can observe of the stock: every row and every published quantity.
std::string Observe(const engine::Engine& engine) {
  std::string state;
  for (const std::string& sku : kSkus) {
    absl::StatusOr<std::vector<engine::RowView>> rows = engine.GetStock(sku, {});
    if (!rows.ok()) continue;  // not stocked yet
    for (const engine::RowView& row : *rows) {
      v1::StockRow out;
      api::ToProto(row, &out);
      state += out.SerializeAsString() + "|";
    }
  }
  for (const engine::AvailabilityItem& item : Availability(engine)) {
    state += item.sku + "/" + item.channel + "=" + std::to_string(item.reservable) + "," +
             std::to_string(item.published) + ";";
  }
  return state;
}

bool DocumentedError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

// The op's command and the response it answers with, as StockService (and its Batch) do.
struct Converted {
  std::string request_id;
  engine::CommandBody body;
  std::unique_ptr<google::protobuf::Message> response;
};

template <typename Response, typename Request>
Converted Convert(const Request& req) {
  return Converted{req.request_id(), api::ToCommand(req), std::make_unique<Response>()};
}

std::optional<Converted> ConvertOp(const v1::BatchOperation& op) {
  switch (op.op_case()) {
    case v1::BatchOperation::kReserve:
      return Convert<v1::ReserveResponse>(op.reserve());
    case v1::BatchOperation::kExtend:
      return Convert<v1::HoldResponse>(op.extend());
    case v1::BatchOperation::kCommit:
      return Convert<v1::HoldResponse>(op.commit());
    case v1::BatchOperation::kRelease:
      return Convert<v1::HoldResponse>(op.release());
    case v1::BatchOperation::kFulfill:
      return Convert<v1::HoldResponse>(op.fulfill());
    case v1::BatchOperation::kCancel:
      return Convert<v1::HoldResponse>(op.cancel());
    case v1::BatchOperation::kSell:
      return Convert<v1::SellResponse>(op.sell());
    case v1::BatchOperation::kAdjust:
      return Convert<v1::StockRowResponse>(op.adjust());
    case v1::BatchOperation::kCount:
      return Convert<v1::StockRowResponse>(op.count());
    case v1::BatchOperation::kTransfer:
      return Convert<v1::TransferResponse>(op.transfer());
    case v1::BatchOperation::OP_NOT_SET:
      break;
  }
  return std::nullopt;
}

// Fills the op's response message from an outcome, and checks it encodes and parses.
void Respond(const engine::Outcome& o, google::protobuf::Message* response) {
  if (auto* r = dynamic_cast<v1::ReserveResponse*>(response)) api::ToResponse(o, r);
  if (auto* r = dynamic_cast<v1::HoldResponse*>(response)) api::ToResponse(o, r);
  if (auto* r = dynamic_cast<v1::SellResponse*>(response)) api::ToResponse(o, r);
  if (auto* r = dynamic_cast<v1::StockRowResponse*>(response)) api::ToResponse(o, r);
  if (auto* r = dynamic_cast<v1::TransferResponse*>(response)) api::ToResponse(o, r);
  std::string bytes;
  FUZZ_CHECK(response->SerializeToString(&bytes));
  std::unique_ptr<google::protobuf::Message> back(response->New());
  FUZZ_CHECK(back->ParseFromString(bytes));
}

class Program {
 public:
  Program(World* world, FuzzedDataProvider* in) : world_(world), in_(in) {}

  void Run() {
    while (in_->remaining_bytes() > 0 && steps_ < 200) {
      ++steps_;
      switch (in_->ConsumeIntegralInRange<int>(0, 9)) {
        case 0:
        case 1:
          Raw();
          break;
        case 2:
        case 3:
        case 4:
        case 5:
          Built();
          break;
        case 6:
          Replay();
          break;
        case 7:
          Time();
          break;
        default:
          Query();
          break;
      }
    }
    FinalChecks();
  }

 private:
  engine::Engine& engine() { return *world_->engine; }

  void Raw() {
    v1::BatchOperation op;
    const std::string bytes = in_->ConsumeRandomLengthString(1024);
    if (!op.ParseFromString(bytes)) return;  // the server's decoder refuses it first
    Execute(op);
  }

  void Built() {
    v1::BatchOperation op;
    const std::string request_id = RequestId();
    switch (in_->ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {
        v1::ReserveRequest* r = op.mutable_reserve();
        r->set_request_id(request_id);
        r->set_channel(Pick(kChannels));
        const int lines = in_->ConsumeIntegralInRange<int>(1, 3);
        for (int i = 0; i < lines; ++i)
          AddLine(r->add_lines(), /*with_location=*/in_->ConsumeBool());
        r->set_ttl_ms(in_->ConsumeBool() ? 0 : in_->ConsumeIntegralInRange<int64_t>(-10, 100'000));
        r->set_single_location(in_->ConsumeBool());
        break;
      }
      case 1: {
        v1::ExtendRequest* r = op.mutable_extend();
        r->set_request_id(request_id);
        r->set_hold_id(HoldId());
        r->set_ttl_ms(in_->ConsumeIntegralInRange<int64_t>(0, 100'000));
        break;
      }
      case 2: {
        v1::CommitRequest* r = op.mutable_commit();
        r->set_request_id(request_id);
        r->set_hold_id(HoldId());
        // Lines by SKU (a split line's parts in order) or by SKU and location (one part).
        for (int i = in_->ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
          AddLine(r->add_lines(), in_->ConsumeBool());
        break;
      }
      case 3:
        op.mutable_release()->set_request_id(request_id);
        op.mutable_release()->set_hold_id(HoldId());
        break;
      case 4: {
        v1::FulfillRequest* r = op.mutable_fulfill();
        r->set_request_id(request_id);
        r->set_hold_id(HoldId());
        for (int i = in_->ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
          AddLine(r->add_lines(), in_->ConsumeBool());
        break;
      }
      case 5:
        op.mutable_cancel()->set_request_id(request_id);
        op.mutable_cancel()->set_hold_id(HoldId());
        break;
      case 6: {
        v1::SellRequest* r = op.mutable_sell();
        r->set_request_id(request_id);
        r->set_channel(Pick(kChannels));
        r->set_location(Pick(kLocations));
        r->set_sku(Pick(kSkus));
        r->set_qty(Quantity());
        r->set_override(in_->ConsumeBool());
        break;
      }
      case 7: {
        v1::AdjustRequest* r = op.mutable_adjust();
        r->set_request_id(request_id);
        r->set_location(Pick(kLocations));
        r->set_sku(Pick(kSkus));
        r->set_delta(in_->ConsumeIntegralInRange<int64_t>(-20, 40));
        r->set_reason(static_cast<v1::AdjustReason>(in_->ConsumeIntegralInRange<int>(0, 6)));
        break;
      }
      case 8: {
        v1::CountRequest* r = op.mutable_count();
        r->set_request_id(request_id);
        r->set_location(Pick(kLocations));
        r->set_sku(Pick(kSkus));
        r->set_on_hand(in_->ConsumeIntegralInRange<int64_t>(-1, 60));
        if (in_->ConsumeBool()) r->set_expected(in_->ConsumeIntegralInRange<int64_t>(0, 60));
        break;
      }
      default: {
        v1::TransferRequest* r = op.mutable_transfer();
        r->set_request_id(request_id);
        r->set_from_location(Pick(kLocations));
        r->set_to_location(Pick(kLocations));
        r->set_sku(Pick(kSkus));
        r->set_qty(Quantity());
        break;
      }
    }
    // Through the wire, as a client's request arrives; a fuzzed name that is not UTF-8
    // is refused by the server's decoder (proto3 strings), never reaching the service.
    v1::BatchOperation decoded;
    if (!decoded.ParseFromString(op.SerializeAsString())) return;
    Execute(decoded);
  }

  // Sends `op` as the service does and checks what it answers.
  void Execute(const v1::BatchOperation& op) {
    std::optional<Converted> converted = ConvertOp(op);
    if (!converted.has_value()) return;  // OP_NOT_SET: the service refuses it itself
    const std::string before = Observe(engine());
    engine::Command command{{converted->request_id, "fuzz"}, std::move(converted->body)};
    absl::StatusOr<engine::Outcome> outcome = engine().ExecuteAndWait(command);
    const grpc::Status status = api::ToGrpc(outcome.status());
    FUZZ_CHECK(status.ok() == outcome.ok());
    if (!outcome.ok()) {
      FUZZ_CHECK(DocumentedError(outcome.status().code()));
      FUZZ_CHECK(Observe(engine()) == before);  // a refused request changes nothing
    } else {
      Respond(*outcome, converted->response.get());
      if (outcome->hold.has_value() && held_.size() < 32) held_.push_back(outcome->hold->hold_id);
      if (!converted->request_id.empty() && !outcome->replayed) {
        last_ = Sent{op, RoundTripJournal::OutcomeBytes(*outcome)};
      }
    }
    CheckInvariants();
  }

  // The last acknowledged request with a request id, sent again: the first result comes
  // back and nothing changes.
  void Replay() {
    if (!last_.has_value()) return;
    std::optional<Converted> converted = ConvertOp(last_->op);
    const std::string before = Observe(engine());
    engine::Command command{{converted->request_id, "fuzz"}, std::move(converted->body)};
    absl::StatusOr<engine::Outcome> outcome = engine().ExecuteAndWait(command);
    // Its record may have expired (time moved on) or been refused at the cap: then it is
    // a new request, judged as any other.
    if (outcome.ok() && outcome->replayed) {
      FUZZ_CHECK(RoundTripJournal::OutcomeBytes(*outcome) == last_->outcome);
      FUZZ_CHECK(Observe(engine()) == before);
    } else if (!outcome.ok()) {
      FUZZ_CHECK(DocumentedError(outcome.status().code()));
      FUZZ_CHECK(Observe(engine()) == before);
    } else {
      last_->outcome = RoundTripJournal::OutcomeBytes(*outcome);  // applied anew
    }
    CheckInvariants();
  }

  void Time() {
    world_->clock.Advance(in_->ConsumeIntegralInRange<int64_t>(0, 2 * 24 * 3600 * 1000LL));
    engine().ExpireDue();
    CheckInvariants();
  }

  void Query() {
    const bool fuzzed = in_->ConsumeIntegralInRange<int>(0, 7) == 0;
    const std::string sku = fuzzed ? in_->ConsumeRandomLengthString(40) : Pick(kSkus);
    const std::string channel = fuzzed ? in_->ConsumeRandomLengthString(20) : Pick(kChannels);
    switch (in_->ConsumeIntegralInRange<int>(0, 5)) {
      case 0: {
        absl::StatusOr<std::vector<engine::RowView>> rows = engine().GetStock(sku, {});
        if (rows.ok()) {
          for (const engine::RowView& row : *rows) {
            v1::StockRow out;
            api::ToProto(row, &out);
          }
        }
        break;
      }
      case 1: {
        absl::StatusOr<std::vector<engine::AvailabilityItem>> items =
            engine().GetAvailability({sku}, {channel});
        if (!items.ok()) {
          FUZZ_CHECK(DocumentedError(items.status().code()));
          break;
        }
        FUZZ_CHECK(items->size() == 1);  // one SKU on one channel: one answer, about them
        FUZZ_CHECK((*items)[0].sku == sku && (*items)[0].channel == channel);
        FUZZ_CHECK((*items)[0].published >= 0 && (*items)[0].reservable >= 0);
        break;
      }
      case 2: {
        engine::ExplainQuery query;
        if (in_->ConsumeBool()) {
          query.plan_qty = Quantity();
          query.single_location = in_->ConsumeBool();
        }
        absl::StatusOr<engine::Explanation> e = engine().Explain(channel, sku, query);
        if (!e.ok()) {
          FUZZ_CHECK(DocumentedError(e.status().code()));
          break;
        }
        FUZZ_CHECK(e->channel == channel && e->sku == sku);
        CheckPlan(*e, query);
        v1::ExplainResponse out;
        api::ToProto(*e, &out);
        FUZZ_CHECK(out.published() == e->published);
        FUZZ_CHECK(out.plan_size() == static_cast<int>(e->plan.size()));
        break;
      }
      case 3: {
        const std::string hold_id = HoldId();
        absl::StatusOr<engine::HoldView> hold = engine().GetHold(hold_id);
        if (!hold.ok()) {
          FUZZ_CHECK(DocumentedError(hold.status().code()));
          break;
        }
        FUZZ_CHECK(hold->hold_id == hold_id);
        break;
      }
      case 4: {
        engine::HoldFilter filter;
        filter.channel = in_->ConsumeBool() ? channel : "";
        filter.sku = in_->ConsumeBool() ? sku : "";
        filter.limit = in_->ConsumeIntegralInRange<int>(0, 5);
        for (const engine::HoldView& hold : engine().ListHolds(filter)) {
          FUZZ_CHECK(filter.channel.empty() || hold.channel == filter.channel);
        }
        break;
      }
      default:
        for (const engine::AuditEntry& entry :
             engine().ListAudit(in_->ConsumeBool() ? sku : "", in_->ConsumeIntegralInRange(0, 5))) {
          v1::AuditEntry out;
          api::ToProto(entry, &out);
        }
        break;
    }
  }

  // Explain's plan is what a Reserve line would get: parts at the channel's sources, in
  // their order, each within its source's avail, summing to the qty; more than one part
  // only where the channel splits and no source covers the line whole; refused only where
  // no source covers it whole and, splitting, the sources together have less.
  static void CheckPlan(const engine::Explanation& e, const engine::ExplainQuery& query) {
    if (query.plan_qty <= 0) {
      FUZZ_CHECK(e.plan.empty() && e.plan_refused.empty());
      return;
    }
    const bool may_split = e.channel != "cc" && !query.single_location;
    int64_t largest = 0;
    for (const engine::ExplainSourceTerm& term : e.sources) largest = std::max(largest, term.avail);
    if (e.plan.empty()) {
      FUZZ_CHECK(!e.plan_refused.empty());
      FUZZ_CHECK(largest < query.plan_qty);
      if (may_split) FUZZ_CHECK(e.reservable < query.plan_qty);
      return;
    }
    FUZZ_CHECK(e.plan_refused.empty());
    FUZZ_CHECK(e.plan.size() == 1 || (may_split && largest < query.plan_qty));
    int64_t sum = 0;
    size_t next = 0;  // the sources after the previous part's
    for (const engine::Line& part : e.plan) {
      while (next < e.sources.size() && e.sources[next].location != part.location) ++next;
      FUZZ_CHECK(next < e.sources.size());
      FUZZ_CHECK(part.sku == e.sku && part.qty > 0 && part.qty <= e.sources[next].avail);
      sum += part.qty;
      ++next;
    }
    FUZZ_CHECK(sum == query.plan_qty);
  }

  void CheckInvariants() {
    const engine::InvariantReport report = engine().CheckInvariants();
    FUZZ_CHECK(report.ok());
  }

  // Explain's published and reservable equal GetAvailability's, for every pair.
  void FinalChecks() {
    for (const engine::AvailabilityItem& item : Availability(engine())) {
      absl::StatusOr<engine::Explanation> e = engine().Explain(item.channel, item.sku);
      FUZZ_CHECK(e.ok());
      FUZZ_CHECK(e->published == item.published && e->reservable == item.reservable);
      FUZZ_CHECK(item.published >= 0 && item.reservable >= 0);
    }
    CheckInvariants();
  }

  const std::string& Pick(const std::vector<std::string>& names) {
    return names[in_->ConsumeIntegralInRange<size_t>(0, names.size() - 1)];
  }
  std::string RequestId() {
    // A small space, so that ids are reused: replays, and the same id for another body.
    return in_->ConsumeBool() ? "" : "r" + std::to_string(in_->ConsumeIntegralInRange(0, 15));
  }
  std::string HoldId() {
    if (held_.empty() || in_->ConsumeIntegralInRange<int>(0, 9) == 0) {
      return in_->ConsumeRandomLengthString(40);
    }
    return held_[in_->ConsumeIntegralInRange<size_t>(0, held_.size() - 1)];
  }
  int64_t Quantity() {
    return in_->ConsumeIntegralInRange<int>(0, 15) == 0
               ? in_->ConsumeIntegral<int64_t>()
               : in_->ConsumeIntegralInRange<int64_t>(-1, 12);
  }
  void AddLine(v1::HoldLine* line, bool with_location) {
    line->set_sku(Pick(kSkus));
    if (with_location) line->set_location(Pick(kLocations));
    line->set_qty(Quantity());
  }

  struct Sent {
    v1::BatchOperation op;
    std::string outcome;
  };

  World* const world_;
  FuzzedDataProvider* const in_;
  int steps_ = 0;
  std::vector<std::string> held_;
  std::optional<Sent> last_;
};

}  // namespace
}  // namespace stockd

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // refused non-UTF-8 strings are expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::unique_ptr<stockd::World> world = stockd::NewWorld();
  stockd::Program(world.get(), &in).Run();
  return 0;
}
