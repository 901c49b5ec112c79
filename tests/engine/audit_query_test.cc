// engine::AuditQuery::Matches (docs/audit.md): the one definition of an audit filter, used
// by the durable ledger and the in-memory ring alike.
#include "daemon/engine/audit_query.h"

#include <gtest/gtest.h>

namespace stockd::engine {
namespace {

AuditEntry Entry() {
  AuditEntry e;
  e.sequence = 7;
  e.time_ms = 1'000;
  e.actor = "till-1";
  e.operation = "transfer";
  e.request_id = "t-1";
  e.channel = "pos";
  e.hold_id = "h-1";
  e.before = {{"SKU-A", "wh", {5, 0, 0}}, {"SKU-A", "store", {0, 0, 0}}};
  e.after = {{"SKU-A", "wh", {3, 0, 0}}, {"SKU-A", "store", {2, 0, 0}}};
  return e;
}

TEST(AuditQueryTest, EachFilterAndTheirConjunction) {
  const AuditEntry e = Entry();
  AuditQuery q;
  EXPECT_TRUE(q.Matches(e)) << "no filter matches everything";
  q.sku = "SKU-A";
  EXPECT_TRUE(q.Matches(e));
  q.location = "store";
  EXPECT_TRUE(q.Matches(e));
  q.sku = "SKU-B";
  EXPECT_FALSE(q.Matches(e)) << "SKU and location must hold for one row";
  q = {};
  q.location = "outlet";
  EXPECT_FALSE(q.Matches(e));
  for (auto field :
       {&AuditQuery::channel, &AuditQuery::hold_id, &AuditQuery::request_id, &AuditQuery::actor}) {
    q = {};
    q.*field = "other";
    EXPECT_FALSE(q.Matches(e));
  }
  q = {};
  q.channel = "pos";
  q.hold_id = "h-1";
  q.request_id = "t-1";
  q.actor = "till-1";
  EXPECT_TRUE(q.Matches(e));
}

TEST(AuditQueryTest, ARowOnlyInBeforeCounts) {
  AuditEntry e = Entry();
  e.after.clear();  // e.g. an entry whose rows went away
  AuditQuery q;
  q.sku = "SKU-A";
  q.location = "wh";
  EXPECT_TRUE(q.Matches(e));
}

TEST(AuditQueryTest, SinceIsInclusiveUntilIsExclusive) {
  const AuditEntry e = Entry();  // time 1000
  AuditQuery q;
  q.since_ms = 1'000;
  EXPECT_TRUE(q.Matches(e));
  q.since_ms = 1'001;
  EXPECT_FALSE(q.Matches(e));
  q = {};
  q.until_ms = 1'000;
  EXPECT_FALSE(q.Matches(e));
  q.until_ms = 1'001;
  EXPECT_TRUE(q.Matches(e));
}

}  // namespace
}  // namespace stockd::engine
