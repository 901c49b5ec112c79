// ListAudit and `stockctl audit` on the daemon's embedded default (docs/audit.md): the
// ledger is Redis's stream, so a restarted daemon still serves it, with every filter;
// malformed arguments are INVALID_ARGUMENT (stockctl: a usage error) and change nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/stockctl_runner.h"

namespace stockd {
namespace {

std::string Yaml(const std::string& data_dir) {
  return R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
data_dir: )yaml" +
         data_dir + R"yaml(
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh]}
  - {id: pos, type: store, sources: [store]}
)yaml";
}

class AuditServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd-audit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Start();
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    absl::StatusOr<config::Config> config = config::ParseConfig(Yaml(dir_ + "/data"), "t.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    addr_ = "127.0.0.1:" + std::to_string(daemon_->port());
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }
  void Count(const std::string& location, const std::string& sku, int64_t n,
             const std::string& actor) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-stockd-actor", actor);
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(n);
    req.set_request_id(absl::StrCat("count-", location, "-", sku, "-", n));
    v1::StockRowResponse resp;
    grpc::Status st = stub_->Count(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  grpc::Status List(const v1::ListAuditRequest& req, v1::ListAuditResponse* resp) {
    grpc::ClientContext ctx;
    return stub_->ListAudit(&ctx, req, resp);
  }
  std::string Stockctl(const std::string& args) {
    return stockd::testing::RunStockctl(addr_, args, &exit_);
  }

  std::string dir_, addr_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  int exit_ = -1;
};

TEST_F(AuditServerTest, TheLedgerIsServedAfterARestartWithEveryFilter) {
  Count("wh", "SKU-A", 5, "erp");
  Count("store", "SKU-A", 2, "till-1");
  Count("wh", "SKU-B", 3, "erp");
  daemon_.reset();
  Start();

  v1::ListAuditRequest req;
  v1::ListAuditResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 3);
  EXPECT_EQ(resp.entries(0).request_id(), "count-wh-SKU-B-3");
  EXPECT_EQ(resp.entries(2).request_id(), "count-wh-SKU-A-5");
  EXPECT_GT(resp.entries(0).sequence(), resp.entries(1).sequence());
  EXPECT_TRUE(resp.next_page_token().empty());
  EXPECT_FALSE(resp.retention_reached());
  EXPECT_GT(resp.oldest_retained_ms(), 0);
  EXPECT_EQ(resp.scanned(), 3);

  req.set_sku("SKU-A");
  req.set_location("store");
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).actor(), "till-1");

  req.Clear();
  req.set_actor("erp");
  req.set_limit(1);
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).request_id(), "count-wh-SKU-B-3");
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).request_id(), "count-wh-SKU-A-5");

  // The time bounds, on the entries' own times.
  const int64_t first = resp.entries(0).time_ms();
  req.Clear();
  req.set_since_ms(first + 1);
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  for (const v1::AuditEntry& e : resp.entries()) EXPECT_GT(e.time_ms(), first);
  req.Clear();
  req.set_until_ms(first + 1);
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_GE(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(resp.entries_size() - 1).request_id(), "count-wh-SKU-A-5");
}

TEST_F(AuditServerTest, BadArgumentsAreInvalidArgument) {
  Count("wh", "SKU-A", 5, "erp");
  v1::ListAuditRequest req;
  v1::ListAuditResponse resp;
  req.set_page_token("not-a-token");
  grpc::Status st = List(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "page_token: not a token this call returned");
  req.Clear();
  req.set_since_ms(2000);
  req.set_until_ms(1000);
  st = List(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "until_ms (1000) must be after since_ms (2000)");
  req.Clear();
  req.set_since_ms(-1);
  EXPECT_EQ(List(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.Clear();
  req.set_limit(1001);
  EXPECT_EQ(List(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditServerTest, StockctlFiltersPagesAndExportsJsonLines) {
  for (int n = 1; n <= 5; ++n) Count("wh", "SKU-A", n, "erp");
  Count("store", "SKU-B", 9, "till-1");

  std::string out = Stockctl("audit --sku SKU-A --limit 3 --jsonl");
  EXPECT_EQ(exit_, 0) << out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_NE(lines[0].find("\"requestId\":\"count-wh-SKU-A-5\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("\"requestId\":\"count-wh-SKU-A-3\""), std::string::npos) << lines[2];

  out = Stockctl("audit --by till-1 --since 1h");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_NE(out.find("count-store-SKU-B-9"), std::string::npos) << out;
  EXPECT_EQ(out.find("count-wh-SKU-A"), std::string::npos) << out;

  out = Stockctl("audit --limit 2");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_NE(out.find("more: --page-token "), std::string::npos) << out;

  out = Stockctl("audit --since yesterday-ish");
  EXPECT_NE(exit_, 0);
  EXPECT_NE(out.find("--since 'yesterday-ish': expected a time"), std::string::npos) << out;
}

}  // namespace
}  // namespace stockd
