// The access contract of docs/security.md through a real Daemon over TLS: every RPC x
// {no token, bad token, each role} x {own channel, other channel} -> the exact status,
// and no state change on a refusal; the audit's "who" is the client's name; a client
// known by its certificate.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/config/config.h"
#include "daemon/server/auth.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/redis_tls_fixture.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using grpc::StatusCode;

// Channels: webshop sells from wh and store-a, pos-a from store-a, amazon from wh-m only.
// Every role client may act for webshop only; root is an unscoped admin (setup).
constexpr char kConfig[] = R"yaml(
server:
  listen: "127.0.0.1:0"
  tls: {cert_file: "$DIR/server.pem", key_file: "$DIR/server.key",
        client_ca_file: "$DIR/ca.pem", client_certificate: request}
redis:
  mode: memory
locations:
  - {id: wh, type: warehouse}
  - {id: store-a, type: store}
  - {id: wh-m, type: warehouse}
channels:
  - {id: webshop, type: webshop, sources: [wh, store-a]}
  - {id: amazon, type: marketplace, sources: [wh-m]}
  - {id: pos-a, type: store, sources: [store-a]}
clients:
  - {name: root, token_sha256: "$ROOT", roles: [admin]}
  - {name: read-w, token_sha256: "$READ", roles: [read], channels: [webshop]}
  - {name: sell-w, token_sha256: "$SELL", roles: [sell], channels: [webshop]}
  - {name: operate-w, token_sha256: "$OPERATE", roles: [operate], channels: [webshop]}
  - {name: admin-w, token_sha256: "$ADMIN", roles: [admin], channels: [webshop]}
  - {name: till, certificate: stockd-test-client, roles: [sell], channels: [webshop]}
)yaml";

const char* const kRoles[] = {"read", "sell", "operate", "admin"};

std::string TokenOf(const std::string& who) { return "stockd_test_token_of_" + who; }

class AuthTest : public ::testing::Test {
 public:  // the matrix's lambdas reach the fixture through an AuthTest*
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    std::string yaml = absl::StrReplaceAll(
        kConfig, {{"$DIR", dir_.path()},
                  {"$ROOT", server::TokenSha256(TokenOf("root"))},
                  {"$READ", server::TokenSha256(TokenOf("read"))},
                  {"$SELL", server::TokenSha256(TokenOf("sell"))},
                  {"$OPERATE", server::TokenSha256(TokenOf("operate"))},
                  {"$ADMIN", server::TokenSha256(TokenOf("admin"))}});
    yaml_ = yaml;
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "auth.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    stub_ = v1::Stock::NewStub(Channel(/*with_client_cert=*/false));
    for (const char* location : {"wh", "store-a", "wh-m"}) {
      grpc::ClientContext ctx;
      Authorize(&ctx, TokenOf("root"));
      v1::CountRequest req;
      req.set_location(location);
      req.set_sku("S1");
      req.set_on_hand(1000);
      v1::StockRowResponse resp;
      ASSERT_TRUE(stub_->Count(&ctx, req, &resp).ok());
    }
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  std::shared_ptr<grpc::Channel> Channel(bool with_client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadTextFile(pki_.ca_file());
    if (with_client_cert) {
      ssl.pem_cert_chain = testing::ReadTextFile(pki_.client_cert());
      ssl.pem_private_key = testing::ReadTextFile(pki_.client_key());
    }
    return grpc::CreateChannel(absl::StrCat("localhost:", daemon_->port()),
                               grpc::SslCredentials(ssl));
  }

  static void Authorize(grpc::ClientContext* ctx, const std::string& token) {
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  // A fresh hold of `channel` (HELD, or COMMITTED), made by root.
  std::string NewHold(const std::string& channel, bool committed) {
    grpc::ClientContext ctx;
    Authorize(&ctx, TokenOf("root"));
    v1::ReserveRequest req;
    req.set_channel(channel);
    v1::HoldLine* line = req.add_lines();
    line->set_sku("S1");
    line->set_qty(1);
    v1::ReserveResponse resp;
    EXPECT_TRUE(stub_->Reserve(&ctx, req, &resp).ok());
    if (committed) {
      grpc::ClientContext c2;
      Authorize(&c2, TokenOf("root"));
      v1::CommitRequest commit;
      commit.set_hold_id(resp.hold().hold_id());
      v1::HoldResponse hold;
      EXPECT_TRUE(stub_->Commit(&c2, commit, &hold).ok());
    }
    return resp.hold().hold_id();
  }

  // The newest audit entry's sequence and actor: a refusal must leave them unchanged.
  std::pair<uint64_t, std::string> AuditHead() {
    grpc::ClientContext ctx;
    Authorize(&ctx, TokenOf("root"));
    v1::ListAuditRequest req;
    req.set_limit(1);
    v1::ListAuditResponse resp;
    EXPECT_TRUE(stub_->ListAudit(&ctx, req, &resp).ok());
    if (resp.entries_size() == 0) return {0, ""};
    return {resp.entries(0).sequence(), resp.entries(0).actor()};
  }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.path()};
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  std::string hold_;  // the hold the matrix's current hold call acts on
  std::string yaml_;  // the running config's text
};

// One RPC of the matrix: the role it needs, whether it acts for a channel, and the call
// for the caller's own channel (`own`) or another channel.
struct Rpc {
  const char* name;
  const char* role;
  bool scoped;       // false: the same call for own and other (no channel involved)
  StatusCode own_ok;  // what the allowed call answers
  std::function<grpc::Status(AuthTest*, v1::Stock::Stub*, grpc::ClientContext*, bool own)> call;
  // The call changes every channel (the config): a client scoped to some channels may
  // not make it, whatever its role.
  bool every_channel = false;
};

TEST_F(AuthTest, EveryRpcByIdentityAndChannel) {
  using Stub = v1::Stock::Stub;
  using Ctx = grpc::ClientContext;
  auto channel = [](bool own) { return own ? "webshop" : "amazon"; };
  // The hold a hold call acts on, made (by root) before the audit head is read.
  auto hold = [](AuthTest* t, bool, bool) { return t->hold_; };
  std::vector<Rpc> rpcs = {
      {"Reserve", "sell", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ReserveRequest r;
         r.set_channel(channel(own));
         auto* l = r.add_lines();
         l->set_sku("S1");
         l->set_qty(1);
         v1::ReserveResponse out;
         return s->Reserve(c, r, &out);
       }},
      {"Extend", "sell", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::ExtendRequest r;
         r.set_hold_id(hold(t, own, false));
         r.set_ttl_ms(60'000);
         v1::HoldResponse out;
         return s->Extend(c, r, &out);
       }},
      {"Commit", "sell", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::CommitRequest r;
         r.set_hold_id(hold(t, own, false));
         v1::HoldResponse out;
         return s->Commit(c, r, &out);
       }},
      {"Release", "sell", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::ReleaseRequest r;
         r.set_hold_id(hold(t, own, false));
         v1::HoldResponse out;
         return s->Release(c, r, &out);
       }},
      {"Fulfill", "sell", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::FulfillRequest r;
         r.set_hold_id(hold(t, own, true));
         v1::HoldResponse out;
         return s->Fulfill(c, r, &out);
       }},
      {"Cancel", "sell", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::CancelRequest r;
         r.set_hold_id(hold(t, own, true));
         v1::HoldResponse out;
         return s->Cancel(c, r, &out);
       }},
      {"Sell", "sell", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::SellRequest r;
         r.set_channel(channel(own));
         r.set_location(own ? "store-a" : "wh-m");
         r.set_sku("S1");
         r.set_qty(1);
         v1::SellResponse out;
         return s->Sell(c, r, &out);
       }},
      {"Adjust", "operate", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::AdjustRequest r;
         r.set_location(own ? "store-a" : "wh-m");
         r.set_sku("S1");
         r.set_delta(1);
         r.set_reason(v1::RECEIPT);
         v1::StockRowResponse out;
         return s->Adjust(c, r, &out);
       }},
      {"Count", "operate", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::CountRequest r;
         r.set_location(own ? "wh" : "wh-m");
         r.set_sku("S1");
         r.set_on_hand(1000);
         v1::StockRowResponse out;
         return s->Count(c, r, &out);
       }},
      {"Transfer", "operate", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::TransferRequest r;
         r.set_from_location("wh");
         r.set_to_location(own ? "store-a" : "wh-m");
         r.set_sku("S1");
         r.set_qty(1);
         v1::TransferResponse out;
         return s->Transfer(c, r, &out);
       }},
      {"Batch", "sell", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::BatchRequest r;
         auto* reserve = r.add_ops()->mutable_reserve();
         reserve->set_channel("webshop");
         auto* l = reserve->add_lines();
         l->set_sku("S1");
         l->set_qty(1);
         // The second op is the one that names the other channel: nothing may apply.
         auto* second = r.add_ops()->mutable_reserve();
         second->set_channel(channel(own));
         auto* l2 = second->add_lines();
         l2->set_sku("S1");
         l2->set_qty(1);
         v1::BatchResponse out;
         return s->Batch(c, r, &out);
       }},
      {"GetStock", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::GetStockRequest r;
         r.set_sku("S1");
         r.add_locations(own ? "wh" : "wh-m");
         v1::GetStockResponse out;
         return s->GetStock(c, r, &out);
       }},
      {"GetAvailability", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::GetAvailabilityRequest r;
         r.add_skus("S1");
         r.add_channels(channel(own));
         v1::GetAvailabilityResponse out;
         return s->GetAvailability(c, r, &out);
       }},
      {"Explain", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ExplainRequest r;
         r.set_channel(channel(own));
         r.set_sku("S1");
         v1::ExplainResponse out;
         return s->Explain(c, r, &out);
       }},
      {"GetHold", "read", true, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool own) {
         v1::GetHoldRequest r;
         r.set_hold_id(hold(t, own, false));
         v1::Hold out;
         return s->GetHold(c, r, &out);
       }},
      {"ListHolds", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ListHoldsRequest r;
         r.set_channel(channel(own));
         v1::ListHoldsResponse out;
         return s->ListHolds(c, r, &out);
       }},
      {"Watch", "read", true, StatusCode::DEADLINE_EXCEEDED,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::WatchRequest r;
         r.add_channels(channel(own));
         c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
         std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = s->Watch(c, r);
         v1::WatchEvent event;
         while (reader->Read(&event)) {
         }
         return reader->Finish();
       }},
      {"GetConfigSummary", "read", false, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool) {
         v1::GetConfigSummaryRequest r;
         v1::ConfigSummary out;
         return s->GetConfigSummary(c, r, &out);
       }},
      {"ListAudit", "operate", false, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool) {
         v1::ListAuditRequest r;
         v1::ListAuditResponse out;
         return s->ListAudit(c, r, &out);
       }},
      {"CheckInvariants", "operate", false, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool) {
         v1::CheckInvariantsRequest r;
         v1::CheckInvariantsResponse out;
         return s->CheckInvariants(c, r, &out);
       }},
      {"GetOrder", "read", true, StatusCode::NOT_FOUND,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::GetOrderRequest r;
         r.set_channel(channel(own));
         r.set_order_id("order-1");
         v1::Order out;
         return s->GetOrder(c, r, &out);
       }},
      {"ListOrders", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ListOrdersRequest r;
         r.set_channel(channel(own));
         v1::ListOrdersResponse out;
         return s->ListOrders(c, r, &out);
       }},
      {"ListOrderProblems", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ListOrderProblemsRequest r;
         r.set_channel(channel(own));
         v1::ListOrderProblemsResponse out;
         return s->ListOrderProblems(c, r, &out);
       }},
      {"ListAlerts", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ListAlertsRequest r;
         r.set_channel(channel(own));
         v1::ListAlertsResponse out;
         return s->ListAlerts(c, r, &out);
       }},
      {"Resync", "operate", true, StatusCode::FAILED_PRECONDITION,  // no adapter
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ResyncRequest r;
         r.set_channel(channel(own));
         v1::ResyncResponse out;
         return s->Resync(c, r, &out);
       }},
      {"Reconcile", "operate", true, StatusCode::FAILED_PRECONDITION,  // no adapter
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::ReconcileRequest r;
         r.set_channel(channel(own));
         v1::ReconcileResponse out;
         return s->Reconcile(c, r, &out);
       }},
      {"GetPushStatus", "read", true, StatusCode::OK,
       [&](AuthTest*, Stub* s, Ctx* c, bool own) {
         v1::GetPushStatusRequest r;
         r.set_channel(channel(own));
         v1::GetPushStatusResponse out;
         return s->GetPushStatus(c, r, &out);
       }},
      // The daemon runs a config built in code: a reload by root would be
      // FAILED_PRECONDITION (no file), a dry run of the same text OK.
      {"ReloadConfig", "admin", false, StatusCode::FAILED_PRECONDITION,
       [&](AuthTest*, Stub* s, Ctx* c, bool) {
         v1::ReloadConfigRequest r;
         v1::ReloadConfigResponse out;
         return s->ReloadConfig(c, r, &out);
       },
       true},
      {"DiffConfig", "admin", false, StatusCode::OK,
       [&](AuthTest* t, Stub* s, Ctx* c, bool) {
         v1::DiffConfigRequest r;
         r.set_yaml(t->yaml_);
         v1::ConfigDiff out;
         return s->DiffConfig(c, r, &out);
       },
       true},
  };
  auto rank = [](const std::string& role) {
    for (int i = 0; i < 4; ++i) {
      if (role == kRoles[i]) return i;
    }
    return -1;
  };
  // Identities: no token, a bad token, then each role (scoped to webshop).
  std::vector<std::pair<std::string, std::string>> identities = {{"none", ""},
                                                                 {"bad", "stockd_not_a_token"}};
  for (const char* role : kRoles) identities.push_back({role, TokenOf(role)});
  int calls = 0;
  for (const Rpc& rpc : rpcs) {
    for (const auto& [who, token] : identities) {
      for (const bool own : {true, false}) {
        if (!rpc.scoped && !own) continue;
        StatusCode want = rpc.own_ok;
        if (token.empty() || who == "bad") {
          want = StatusCode::UNAUTHENTICATED;
        } else if (rank(who) < rank(rpc.role)) {
          want = StatusCode::PERMISSION_DENIED;
        } else if (!own || rpc.every_channel) {
          want = StatusCode::PERMISSION_DENIED;
        }
        // Hold calls act on a fresh hold of the channel (HELD; COMMITTED for Fulfill and
        // Cancel), made before the audit head is read.
        const std::string name = rpc.name;
        if (name == "Extend" || name == "Commit" || name == "Release" || name == "GetHold" ||
            name == "Fulfill" || name == "Cancel") {
          hold_ = NewHold(own ? "webshop" : "amazon", name == "Fulfill" || name == "Cancel");
        }
        const auto before = AuditHead();
        grpc::ClientContext ctx;
        Authorize(&ctx, token);
        grpc::Status st = rpc.call(this, stub_.get(), &ctx, own);
        ++calls;
        EXPECT_EQ(st.error_code(), want)
            << rpc.name << " as " << who << " for " << (own ? "own" : "other")
            << " channel: " << st.error_message();
        if (want == StatusCode::UNAUTHENTICATED || want == StatusCode::PERMISSION_DENIED) {
          EXPECT_EQ(AuditHead(), before)
              << rpc.name << " as " << who << ": a refused call changed state";
        }
      }
    }
  }
  EXPECT_GT(calls, 250);
  // The refusals left the engine consistent.
  engine::InvariantReport report = daemon_->engine()->CheckInvariants();
  EXPECT_TRUE(report.violations.empty());
}

TEST_F(AuthTest, AuditWhoIsTheClientName) {
  grpc::ClientContext ctx;
  Authorize(&ctx, TokenOf("sell"));
  ctx.AddMetadata("x-stockd-actor", "someone-else");  // ignored once authenticated
  v1::ReserveRequest req;
  req.set_channel("webshop");
  auto* line = req.add_lines();
  line->set_sku("S1");
  line->set_qty(2);
  v1::ReserveResponse resp;
  ASSERT_TRUE(stub_->Reserve(&ctx, req, &resp).ok());
  EXPECT_EQ(AuditHead().second, "sell-w");
}

// A Session stream is admitted once (a token, the sell role at least) and each of its
// operations is checked as its unary call would be; a refused op changes nothing and
// the stream goes on. The audit's "who" is the client's name.
TEST_F(AuthTest, ASessionChecksEachOperationAsItsUnaryCall) {
  for (const auto& [token, want] :
       std::vector<std::pair<std::string, StatusCode>>{
           {"", StatusCode::UNAUTHENTICATED},
           {"not-a-token", StatusCode::UNAUTHENTICATED},
           {TokenOf("read"), StatusCode::PERMISSION_DENIED}}) {
    grpc::ClientContext ctx;
    Authorize(&ctx, token);
    auto stream = stub_->Session(&ctx);
    v1::SessionResponse r;
    EXPECT_FALSE(stream->Read(&r));
    EXPECT_EQ(stream->Finish().error_code(), want) << "token '" << token << "'";
  }

  grpc::ClientContext ctx;
  Authorize(&ctx, TokenOf("sell"));
  auto stream = stub_->Session(&ctx);
  v1::SessionResponse first;
  ASSERT_TRUE(stream->Read(&first));
  const auto before = AuditHead();
  v1::SessionRequest req;
  auto reserve = [&req](uint64_t tag, const std::string& channel) {
    v1::SessionOp* op = req.add_ops();
    op->set_tag(tag);
    v1::ReserveRequest* r = op->mutable_op()->mutable_reserve();
    r->set_channel(channel);
    v1::HoldLine* line = r->add_lines();
    line->set_sku("S1");
    line->set_qty(1);
  };
  reserve(1, "amazon");  // not the caller's channel
  v1::SessionOp* adjust = req.add_ops();
  adjust->set_tag(2);
  adjust->mutable_op()->mutable_adjust()->set_location("wh");  // needs operate
  adjust->mutable_op()->mutable_adjust()->set_sku("S1");
  adjust->mutable_op()->mutable_adjust()->set_delta(1);
  ASSERT_TRUE(stream->Write(req));
  std::map<uint64_t, v1::BatchResult> results;
  v1::SessionResponse resp;
  while (results.size() < 2 && stream->Read(&resp)) {
    for (const v1::SessionResult& r : resp.results()) results[r.tag()] = r.result();
  }
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].code(), static_cast<int>(StatusCode::PERMISSION_DENIED))
      << results[1].message();
  EXPECT_EQ(results[2].code(), static_cast<int>(StatusCode::PERMISSION_DENIED))
      << results[2].message();
  EXPECT_EQ(AuditHead(), before) << "a refused op changed state";

  req.Clear();
  reserve(3, "webshop");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_EQ(resp.results_size(), 1);
  EXPECT_EQ(resp.results(0).result().code(), 0) << resp.results(0).result().message();
  EXPECT_EQ(AuditHead().second, "sell-w");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(AuthTest, ScopedReadsWithoutAFilterSeeOnlyTheirOwnChannels) {
  grpc::ClientContext ctx;
  Authorize(&ctx, TokenOf("read"));
  v1::GetAvailabilityRequest req;
  req.add_skus("S1");
  v1::GetAvailabilityResponse resp;
  ASSERT_TRUE(stub_->GetAvailability(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.items_size(), 1);
  EXPECT_EQ(resp.items(0).channel(), "webshop");

  grpc::ClientContext c2;
  Authorize(&c2, TokenOf("read"));
  v1::GetStockRequest stock;
  stock.set_sku("S1");
  v1::GetStockResponse rows;
  ASSERT_TRUE(stub_->GetStock(&c2, stock, &rows).ok());
  std::vector<std::string> locations;
  for (const v1::StockRow& r : rows.rows()) locations.push_back(r.location());
  EXPECT_EQ(locations, (std::vector<std::string>{"wh", "store-a"}));
}

TEST_F(AuthTest, ClientKnownByItsCertificate) {
  std::unique_ptr<v1::Stock::Stub> till = v1::Stock::NewStub(Channel(/*with_client_cert=*/true));
  grpc::ClientContext ctx;
  Authorize(&ctx, "");
  v1::ReserveRequest req;
  req.set_channel("webshop");
  auto* line = req.add_lines();
  line->set_sku("S1");
  line->set_qty(1);
  v1::ReserveResponse resp;
  grpc::Status st = till->Reserve(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(AuditHead().second, "till");

  grpc::ClientContext other;
  Authorize(&other, "");
  req.set_channel("amazon");
  EXPECT_EQ(till->Reserve(&other, req, &resp).error_code(), StatusCode::PERMISSION_DENIED);
  // A token, when sent, decides: a bad one is refused even with a good certificate.
  grpc::ClientContext bad;
  Authorize(&bad, "stockd_wrong");
  req.set_channel("webshop");
  EXPECT_EQ(till->Reserve(&bad, req, &resp).error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, TheConfigRpcsNeedAnAdminOfEveryChannel) {
  v1::DiffConfigRequest req;
  req.set_yaml(yaml_);
  v1::ConfigDiff diff;
  grpc::ClientContext scoped;
  Authorize(&scoped, TokenOf("admin"));
  grpc::Status st = stub_->DiffConfig(&scoped, req, &diff);
  EXPECT_EQ(st.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "client 'admin-w' may act for webshop only"))
      << st.error_message();
  grpc::ClientContext root;
  Authorize(&root, TokenOf("root"));
  st = stub_->DiffConfig(&root, req, &diff);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(diff.clients(), 6);
  EXPECT_EQ(diff.channels_size(), 3);
  grpc::ClientContext reload;
  Authorize(&reload, TokenOf("root"));
  v1::ReloadConfigResponse applied;
  st = stub_->ReloadConfig(&reload, v1::ReloadConfigRequest(), &applied);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION);  // built in code: no file
  EXPECT_TRUE(absl::StrContains(st.error_message(), "no file to reload")) << st.error_message();
}

TEST_F(AuthTest, AConfigWithoutClientsIsRefusedOnAListenerOtherMachinesReach) {
  // A second daemon on every interface (TLS and clients, as required there).
  std::string yaml = absl::StrReplaceAll(yaml_, {{"127.0.0.1:0", "0.0.0.0:0"}});
  absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "wide.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<server::Daemon>> wide = server::Daemon::Start(*config);
  ASSERT_TRUE(wide.ok()) << wide.status();
  // A file without clients is valid on its own (its listener is loopback), but the
  // running listener stays 0.0.0.0 until a restart: the dry run and the reload refuse it.
  const std::string open = yaml_.substr(0, yaml_.find("clients:"));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = testing::ReadTextFile(pki_.ca_file());
  auto stub = v1::Stock::NewStub(grpc::CreateChannel(
      absl::StrCat("localhost:", (*wide)->port()), grpc::SslCredentials(ssl)));
  grpc::ClientContext ctx;
  Authorize(&ctx, TokenOf("root"));
  v1::DiffConfigRequest req;
  req.set_yaml(open);
  v1::ConfigDiff diff;
  grpc::Status st = stub->DiffConfig(&ctx, req, &diff);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "server.listen '0.0.0.0:0'"))
      << st.error_message();
  absl::StatusOr<config::Config> next = config::ParseConfig(open, "open.yaml");
  ASSERT_TRUE(next.ok()) << next.status();
  absl::StatusOr<server::ReloadReport> report = (*wide)->Reload(*next);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  // Nothing changed: root's token still works.
  grpc::ClientContext again;
  Authorize(&again, TokenOf("root"));
  v1::GetConfigSummaryRequest summary;
  v1::ConfigSummary out;
  EXPECT_TRUE(stub->GetConfigSummary(&again, summary, &out).ok());
  (*wide)->Shutdown();
}

TEST_F(AuthTest, AReloadSwapsTheClients) {
  auto summary = [this](const std::string& token) {
    grpc::ClientContext ctx;
    Authorize(&ctx, token);
    v1::GetConfigSummaryRequest req;
    v1::ConfigSummary resp;
    return stub_->GetConfigSummary(&ctx, req, &resp).error_code();
  };
  ASSERT_EQ(summary(TokenOf("read")), StatusCode::OK);
  ASSERT_EQ(summary(TokenOf("new")), StatusCode::UNAUTHENTICATED);
  std::string yaml = absl::StrReplaceAll(
      kConfig, {{"$DIR", dir_.path()},
                {"$ROOT", server::TokenSha256(TokenOf("root"))},
                {"$READ", server::TokenSha256(TokenOf("new"))},  // read-w's token rotated
                {"$SELL", server::TokenSha256(TokenOf("sell"))},
                {"$OPERATE", server::TokenSha256(TokenOf("operate"))},
                {"$ADMIN", server::TokenSha256(TokenOf("admin"))}});
  absl::StatusOr<config::Config> next = config::ParseConfig(yaml, "auth.yaml");
  ASSERT_TRUE(next.ok()) << next.status();
  absl::StatusOr<server::ReloadReport> report = daemon_->Reload(*next);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->clients, 6u);
  EXPECT_TRUE(report->restart_required.empty());
  EXPECT_EQ(summary(TokenOf("read")), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(summary(TokenOf("new")), StatusCode::OK);
}

}  // namespace
}  // namespace stockd
