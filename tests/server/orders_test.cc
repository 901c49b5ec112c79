// End to end through gRPC: the order problem surface (docs/orders.md "Seeing problems"):
// GetOrder, ListOrders and ListOrderProblems over orders applied to the daemon's engine,
// unmapped orders through the injected list, order problems on Watch, and stockctl's
// `orders` commands against the same state.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/stockctl_runner.h"

namespace stockd {
namespace {

// web protects 2 at s1, so pos1 (selling from s1) may sell only what is beyond that.
constexpr char kConfig[] = R"yaml(
server:
  listen: "127.0.0.1:0"
redis:
  mode: memory
locations:
  - {id: wh, type: warehouse}
  - {id: s1, type: store}
channels:
  - {id: web, type: webshop, sources: [wh, s1], protect: {s1: 2}}
  - {id: pos1, type: store, sources: [s1]}
  - {id: amazon, type: marketplace, sources: [wh]}
kits:
  - sku: BIKE
    components: [{sku: FRAME}, {sku: PEDAL, qty: 2}]
)yaml";

engine::OrderLineCmd Line(const std::string& sku, int64_t qty, int64_t shipped = 0) {
  return engine::OrderLineCmd{sku, "", qty, shipped, 0};
}

class OrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> config = config::ParseConfig(kConfig, "orders.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    server::DaemonHooks hooks;
    hooks.unmapped_orders = [] {
      return std::vector<server::UnmappedOrderRow>{{"amazon", "u-1", 4, {"L-9", "L-10"}, 1234}};
    };
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon =
        server::Daemon::Start(*config, std::move(hooks));
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    addr_ = "127.0.0.1:" + std::to_string(daemon_->port());
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  void Count(const std::string& location, const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    grpc::Status st = stub_->Count(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void Apply(const std::string& channel, const std::string& id, int64_t revision,
             engine::OrderStatus status, std::vector<engine::OrderLineCmd> lines) {
    engine::ApplyOrderCmd cmd;
    cmd.channel = channel;
    cmd.order_id = id;
    cmd.revision = revision;
    cmd.status = status;
    cmd.lines = std::move(lines);
    std::promise<absl::Status> done;
    daemon_->engine()->Execute(
        engine::Command{
            engine::CommandMeta{absl::StrCat("order/", channel, "/", id, "/", revision), "test"},
            std::move(cmd)},
        [&done](absl::StatusOr<engine::Outcome> r) { done.set_value(r.status()); });
    absl::Status st = done.get_future().get();
    ASSERT_TRUE(st.ok()) << st;
  }

  // C at s1 3 (pos1 may sell 1 of it), B at wh 5; then a pos1 order of 5 C (breach 2:
  // 3 free taken, 1 within avail; backorder 2) and an amazon order first seen shipped, 7
  // of B (5 on hand: unstocked 2).
  void ApplyProblemOrders() {
    Count("s1", "C", 3);
    Count("wh", "B", 5);
    Apply("pos1", "o-1", 1, engine::OrderStatus::kAccepted, {Line("C", 5)});
    Apply("amazon", "o-2", 1, engine::OrderStatus::kShipped, {Line("B", 7, 7)});
  }

  v1::ListOrderProblemsResponse Problems(const std::string& channel, grpc::Status* st) {
    grpc::ClientContext ctx;
    v1::ListOrderProblemsRequest req;
    req.set_channel(channel);
    v1::ListOrderProblemsResponse resp;
    *st = stub_->ListOrderProblems(&ctx, req, &resp);
    return resp;
  }

  // Runs stockctl against the daemon; returns its stdout.
  std::string Stockctl(const std::string& args) {
    return stockd::testing::RunStockctl(addr_, args, &last_exit_);
  }

  std::unique_ptr<server::Daemon> daemon_;
  std::string addr_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  int last_exit_ = -1;
};

// "KIND CHANNEL ORDER REV SKU LOCATION UNITS" of a problem row.
std::string Row(const v1::OrderProblem& p) {
  return absl::StrCat(v1::OrderProblemKind_Name(p.kind()), " ", p.channel(), " ", p.order_id(), " ",
                      p.revision(), " ", p.kind() == v1::UNMAPPED ? p.listing_id() : p.sku(), " ",
                      p.location(), " ", p.units());
}

TEST_F(OrdersTest, ProblemsListBreachBackorderUnstockedAndUnmappedRows) {
  ApplyProblemOrders();
  grpc::Status st;
  v1::ListOrderProblemsResponse all = Problems("", &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::vector<std::string> rows;
  for (const v1::OrderProblem& p : all.problems()) rows.push_back(Row(p));
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "UNSTOCKED amazon o-2 1 B wh 2",
                      "BREACH pos1 o-1 1 C s1 2",
                      "BACKORDER pos1 o-1 1 C s1 2",
                      "UNMAPPED amazon u-1 4 L-9  0",
                      "UNMAPPED amazon u-1 4 L-10  0",
                  }));
  EXPECT_FALSE(all.truncated());
  grpc::ClientContext ctx;
  v1::GetOrderRequest get;
  get.set_channel("pos1");
  get.set_order_id("o-1");
  v1::Order order;
  ASSERT_TRUE(stub_->GetOrder(&ctx, get, &order).ok());
  EXPECT_GT(order.created_ms(), 0);
  EXPECT_EQ(all.problems(1).since_ms(), order.created_ms());
  EXPECT_EQ(all.problems(1).updated_ms(), order.updated_ms());
  EXPECT_EQ(all.problems(3).since_ms(), 1234);

  v1::ListOrderProblemsResponse pos = Problems("pos1", &st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(pos.problems_size(), 2);
  EXPECT_EQ(Row(pos.problems(0)), "BREACH pos1 o-1 1 C s1 2");

  Problems("nope", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "unknown channel 'nope'");
}

TEST_F(OrdersTest, GetAndListOrders) {
  ApplyProblemOrders();
  Count("wh", "A", 10);
  Apply("amazon", "o-3", 2, engine::OrderStatus::kAccepted, {Line("A", 1)});
  grpc::ClientContext ctx;
  v1::GetOrderRequest get;
  get.set_channel("pos1");
  get.set_order_id("o-1");
  v1::Order order;
  ASSERT_TRUE(stub_->GetOrder(&ctx, get, &order).ok());
  EXPECT_EQ(order.revision(), 1);
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_ACCEPTED);
  ASSERT_EQ(order.lines_size(), 1);
  EXPECT_EQ(order.lines(0).sku(), "C");
  EXPECT_EQ(order.lines(0).location(), "s1");
  EXPECT_EQ(order.lines(0).qty(), 5);
  EXPECT_EQ(order.lines(0).open(), 3);
  EXPECT_EQ(order.lines(0).breach(), 2);
  EXPECT_EQ(order.lines(0).backorder(), 2);
  EXPECT_TRUE(order.has_problem());
  EXPECT_FALSE(order.closed());
  EXPECT_FALSE(order.hold_id().empty());

  // Pages of one: every order once, by channel then id.
  std::vector<std::string> seen;
  v1::ListOrdersRequest list;
  list.set_limit(1);
  do {
    grpc::ClientContext c;
    v1::ListOrdersResponse page;
    grpc::Status st = stub_->ListOrders(&c, list, &page);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(page.orders_size(), 1);
    seen.push_back(page.orders(0).channel() + "/" + page.orders(0).order_id());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"amazon/o-2", "amazon/o-3", "pos1/o-1"}));

  grpc::ClientContext c2;
  v1::ListOrdersRequest open;
  open.set_open_only(true);
  open.set_problems_only(true);
  v1::ListOrdersResponse open_resp;
  ASSERT_TRUE(stub_->ListOrders(&c2, open, &open_resp).ok());
  ASSERT_EQ(open_resp.orders_size(), 1);  // o-2 is closed, o-3 has no problem
  EXPECT_EQ(open_resp.orders(0).order_id(), "o-1");
}

TEST_F(OrdersTest, BadArgumentsNameTheField) {
  auto get = [this](const std::string& channel, const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetOrderRequest req;
    req.set_channel(channel);
    req.set_order_id(id);
    v1::Order order;
    return stub_->GetOrder(&ctx, req, &order);
  };
  grpc::Status st = get("", "x");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "channel: required");
  st = get("pos1", "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "order_id: required");
  st = get("pos1", "missing");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  st = get("nope", "x");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  auto list = [this](int32_t limit, const std::string& token) {
    grpc::ClientContext ctx;
    v1::ListOrdersRequest req;
    req.set_limit(limit);
    req.set_page_token(token);
    v1::ListOrdersResponse resp;
    return stub_->ListOrders(&ctx, req, &resp);
  };
  st = list(1001, "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "limit must be within 1..1000 (0 = 100)");
  st = list(0, "garbage");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "page_token: not a token this call returned");
}

TEST_F(OrdersTest, WatchDeliversProblemsInSequenceAndHonoursFilters) {
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.add_channels("pos1");
  req.set_snapshot(true);  // the snapshot-done marker says the stream is registered
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> stream = stub_->Watch(&ctx, req);
  grpc::ClientContext sku_ctx;
  v1::WatchRequest sku_req;
  sku_req.add_skus("B");
  sku_req.set_snapshot(true);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> sku_stream = stub_->Watch(&sku_ctx, sku_req);
  v1::WatchEvent e;
  for (auto* reader : {stream.get(), sku_stream.get()}) {
    do {
      ASSERT_TRUE(reader->Read(&e));
    } while (!e.snapshot_done());
  }
  ApplyProblemOrders();  // pos1: C published 1, then the order: C 1 -> 0, breach, backorder
  Count("s1", "A", 4);   // pos1: A published 2 (after web's protection)

  std::vector<std::string> events;
  uint64_t last = 0;
  while (stream->Read(&e)) {
    EXPECT_GT(e.sequence(), last);
    last = e.sequence();
    if (e.has_order_problem()) {
      events.push_back(absl::StrCat(v1::OrderProblemKind_Name(e.order_problem().kind()), " ",
                                    e.channel(), " ", e.sku(), " ", e.order_problem().units(), " ",
                                    e.order_problem().order_id(), " p", e.published()));
    } else if (e.has_alert()) {
      events.push_back(absl::StrCat(v1::AlertKind_Name(e.alert().kind()), " ", e.channel(), " ",
                                    e.sku(), " ", e.alert().units()));
    } else {
      events.push_back(absl::StrCat(e.channel(), " ", e.sku(), " ", e.previous_published(), "->",
                                    e.published()));
    }
    if (!e.has_order_problem() && !e.has_alert() && e.sku() == "A") break;
  }
  // The order's mutation: its published change, its order problems, then its alerts (the
  // sold out of C on pos1 and the breach; a watcher of pos1 gets pos1's alerts).
  EXPECT_EQ(events,
            (std::vector<std::string>{"pos1 C 0->1", "pos1 C 1->0", "BREACH pos1 C 2 o-1 p0",
                                      "BACKORDER pos1 C 2 o-1 p0", "ALERT_SOLD_OUT pos1 C 0",
                                      "ALERT_BREACH pos1 C 2", "pos1 A 0->2"}));

  // The sku filter matches the order's lines: amazon's unstocked B reaches it.
  std::vector<std::string> sku_events;
  while (sku_stream->Read(&e)) {
    if (e.has_order_problem()) {
      sku_events.push_back(absl::StrCat(v1::OrderProblemKind_Name(e.order_problem().kind()), " ",
                                        e.channel(), " ", e.order_problem().units()));
      break;
    }
  }
  EXPECT_EQ(sku_events, (std::vector<std::string>{"UNSTOCKED amazon 2"}));
  ctx.TryCancel();
  sku_ctx.TryCancel();
}

TEST_F(OrdersTest, StockctlPrintsTheSameProblemsAsTableAndJson) {
  ApplyProblemOrders();
  grpc::Status st;
  v1::ListOrderProblemsResponse expected = Problems("", &st);
  ASSERT_TRUE(st.ok());

  const std::string table = Stockctl("orders problems");
  EXPECT_EQ(last_exit_, 0) << table;
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u) << table;
  auto tokens = [](const std::string& line, size_t n) {
    std::vector<std::string> t = absl::StrSplit(line, ' ', absl::SkipEmpty());
    t.resize(std::min(t.size(), n));
    return absl::StrJoin(t, " ");
  };
  EXPECT_EQ(tokens(lines[0], 8), "KIND CHANNEL ORDER REV SKU/LISTING LOCATION UNITS SINCE");
  EXPECT_EQ(tokens(lines[1], 7), "UNSTOCKED amazon o-2 1 B wh 2");
  EXPECT_EQ(tokens(lines[2], 7), "BREACH pos1 o-1 1 C s1 2");
  EXPECT_EQ(tokens(lines[3], 7), "BACKORDER pos1 o-1 1 C s1 2");
  EXPECT_EQ(tokens(lines[4], 7), "UNMAPPED amazon u-1 4 L-9 - -");
  EXPECT_EQ(tokens(lines[5], 7), "UNMAPPED amazon u-1 4 L-10 - -");

  const std::string json = Stockctl("--json orders problems");
  EXPECT_EQ(last_exit_, 0) << json;
  std::vector<std::string> objects = absl::StrSplit(json, '\n', absl::SkipEmpty());
  ASSERT_EQ(objects.size(), static_cast<size_t>(expected.problems_size())) << json;
  for (size_t i = 0; i < objects.size(); ++i) {
    v1::OrderProblem parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(objects[i], &parsed).ok())
        << objects[i];
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, expected.problems(i)))
        << objects[i];
  }

  const std::string pos = Stockctl("orders problems --channel pos1");
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(pos, '\n', absl::SkipEmpty())).size(), 3u)
      << pos;
  const std::string got = Stockctl("orders get pos1 o-1");
  EXPECT_EQ(last_exit_, 0) << got;
  EXPECT_NE(got.find("accepted"), std::string::npos) << got;
  const std::string bad = Stockctl("orders frobnicate");
  EXPECT_EQ(WEXITSTATUS(last_exit_), 2) << bad;
  EXPECT_NE(bad.find("'frobnicate' is not one of problems|list|get"), std::string::npos) << bad;
  const std::string bad_flag = Stockctl("orders problems --open");
  EXPECT_EQ(WEXITSTATUS(last_exit_), 2) << bad_flag;
  EXPECT_NE(bad_flag.find("--open does not apply to 'orders problems'"), std::string::npos)
      << bad_flag;
}

TEST_F(OrdersTest, AKitOrderShowsItsComponentLinesAndStockctlTheKit) {
  Count("wh", "FRAME", 5);
  Count("wh", "PEDAL", 10);
  Apply("amazon", "k-1", 1, engine::OrderStatus::kAccepted, {Line("BIKE", 2), Line("FRAME", 1)});
  grpc::ClientContext ctx;
  v1::GetOrderRequest req;
  req.set_channel("amazon");
  req.set_order_id("k-1");
  v1::Order order;
  grpc::Status st = stub_->GetOrder(&ctx, req, &order);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(order.lines_size(), 3);
  EXPECT_EQ(absl::StrCat(order.lines(1).sku(), " ", order.lines(1).kit(), " ",
                         order.lines(1).per_kit(), " ", order.lines(1).qty(), " ",
                         order.lines(1).open(), " ", order.lines(1).location()),
            "PEDAL BIKE 2 4 4 wh");
  EXPECT_EQ(order.lines(2).kit(), "");

  const std::string list = Stockctl("orders list --channel amazon");
  EXPECT_EQ(last_exit_, 0) << list;
  EXPECT_NE(list.find("BIKE:2@wh FRAME:1@wh"), std::string::npos) << list;
  const std::string got = Stockctl("orders get amazon k-1");
  EXPECT_EQ(last_exit_, 0) << got;
  EXPECT_NE(got.find("PEDAL (BIKE)"), std::string::npos) << got;

  // A watcher of the kit's SKU hears of the kit order's problems (a backorder of pedals).
  grpc::ClientContext watch_ctx;
  v1::WatchRequest watch;
  watch.add_skus("BIKE");
  watch.set_snapshot(true);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> stream = stub_->Watch(&watch_ctx, watch);
  v1::WatchEvent e;
  do {
    ASSERT_TRUE(stream->Read(&e));
  } while (!e.snapshot_done());
  Apply("amazon", "k-2", 1, engine::OrderStatus::kAccepted, {Line("BIKE", 5)});
  std::string problem;
  while (problem.empty() && stream->Read(&e)) {
    if (e.has_order_problem()) {
      problem = absl::StrCat(v1::OrderProblemKind_Name(e.order_problem().kind()), " ", e.sku(), " ",
                             e.order_problem().units(), " ", e.order_problem().order_id());
    }
  }
  // 5 bikes want 5 frames and 10 pedals; 2 frames and 6 pedals are free after k-1.
  EXPECT_EQ(problem, "BACKORDER FRAME 3 k-2");
  watch_ctx.TryCancel();
}

}  // namespace
}  // namespace stockd
