// adapters/common/auth_pause.h: a refused credential pauses the channel loudly (one error,
// a counter), calls are answered without the API while paused, a changed credential lets
// a probe through, and a success resumes.
#include "common/auth_pause.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/fakes/plugin_under_test.h"

namespace stockd::adapters {
namespace {

int Errors(const fakes::TestHost& host) {
  int n = 0;
  for (const auto& [level, message] : host.Logs()) n += level == STOCKD_LOG_ERROR;
  return n;
}

TEST(AuthPauseTest, PausesLoudlyOnceAndResumesWhenTheCredentialChanges) {
  fakes::TestHost host;
  AuthPause pause(stockd::sdk::Host(host.host()), /*recheck_ms=*/60'000);
  EXPECT_EQ(pause.Check(nullptr), "");
  EXPECT_EQ(pause.retry_after_ms(), 0);

  pause.Fail("HTTP 401: Invalid API key or access token");
  EXPECT_TRUE(pause.paused());
  EXPECT_EQ(host.Counter("auth_failures"), 1);
  EXPECT_EQ(Errors(host), 1);
  EXPECT_GT(pause.retry_after_ms(), 59'000);

  bool changed = false;
  const auto reload = [&changed] { return changed; };
  EXPECT_EQ(pause.Check(reload),
            "channel paused, its credentials were refused: HTTP 401: Invalid API key or access "
            "token");
  // Still refused: counted again, but not logged again within relog_ms.
  pause.Fail("HTTP 401: again");
  EXPECT_EQ(host.Counter("auth_failures"), 2);
  EXPECT_EQ(Errors(host), 1);

  changed = true;  // the operator rewrote the token file
  EXPECT_EQ(pause.Check(reload), "");
  pause.Succeeded();
  EXPECT_FALSE(pause.paused());
  EXPECT_EQ(host.Counter("auth_resumed"), 1);
  EXPECT_EQ(pause.Check(reload), "");
}

TEST(AuthPauseTest, ProbesAfterTheRecheckIntervalAndSurvivesAnUnreadableCredential) {
  fakes::TestHost host;
  AuthPause pause(stockd::sdk::Host(host.host()), /*recheck_ms=*/0);
  pause.Fail("HTTP 403");
  EXPECT_EQ(pause.Check([] { return false; }), "");  // the recheck is due at once
  EXPECT_NE(pause.Check([]() -> bool { throw std::runtime_error("file gone"); }), "");
  EXPECT_TRUE(pause.paused());
}

}  // namespace
}  // namespace stockd::adapters
