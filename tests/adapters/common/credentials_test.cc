// adapters/common/credentials.h: a credential comes from a file or an environment variable
// the config names, never inline; a refusal names the key; Reload picks up a rewrite.
#include "common/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace stockd::adapters {
namespace {

using stockd::sdk::Json;

class CredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "cred-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ::mkdir(dir_.c_str(), 0700);
  }
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  // The message of the sdk::Error FromConfig throws ("" when it does not).
  static std::string Refusal(const Json& config, const std::string& name, bool required = true) {
    try {
      Credential::FromConfig(config, name, required);
    } catch (const stockd::sdk::Error& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(CredentialTest, ReadsAFileLessTrailingNewlines) {
  const std::string path = Write("token", "shpat_123\n\n");
  const Credential c = Credential::FromConfig(Json{{"access_token_file", path}}, "access_token");
  EXPECT_EQ(c.value(), "shpat_123");
  EXPECT_EQ(c.source(), "file \"" + path + "\"");
}

TEST_F(CredentialTest, ReadsAnEnvironmentVariable) {
  ::setenv("STOCKD_TEST_CRED", "secret-value\n", 1);
  const Credential c =
      Credential::FromConfig(Json{{"client_secret_env", "STOCKD_TEST_CRED"}}, "client_secret");
  EXPECT_EQ(c.value(), "secret-value");
  EXPECT_EQ(c.source(), "environment variable STOCKD_TEST_CRED");
  ::unsetenv("STOCKD_TEST_CRED");
  EXPECT_EQ(Refusal(Json{{"client_secret_env", "STOCKD_TEST_CRED"}}, "client_secret"),
            "config: \"client_secret_env\": the environment variable STOCKD_TEST_CRED is not set");
}

TEST_F(CredentialTest, RefusesAnInlineSecretWithoutEchoingIt) {
  const std::string message = Refusal(Json{{"access_token", "shpat_LEAK"}}, "access_token");
  EXPECT_EQ(message,
            "config: \"access_token\" must not be written in the config: put it in a file "
            "(access_token_file) or an environment variable (access_token_env)");
  EXPECT_EQ(message.find("LEAK"), std::string::npos);
}

TEST_F(CredentialTest, RefusesBothNeitherAndBadFiles) {
  const std::string path = Write("t", "x");
  EXPECT_EQ(Refusal(Json{{"t_file", path}, {"t_env", "X"}}, "t"),
            "config: set one of \"t_file\" and \"t_env\", not both");
  EXPECT_EQ(Refusal(Json::object(), "t"),
            "config: \"t_file\" or \"t_env\" is required (where the t is)");
  EXPECT_TRUE(Credential::FromConfig(Json::object(), "t", /*required=*/false).empty());
  EXPECT_EQ(Refusal(Json{{"t_file", dir_ + "/missing"}}, "t"),
            "config: \"t_file\": cannot read \"" + dir_ + "/missing\": No such file or directory");
  const std::string open = Write("open", "x", 0644);
  EXPECT_EQ(Refusal(Json{{"t_file", open}}, "t"),
            "config: \"t_file\": \"" + open + "\" may be read by group or others: chmod 600 it");
  const std::string empty = Write("empty", "\n");
  EXPECT_EQ(Refusal(Json{{"t_file", empty}}, "t"),
            "config: \"t_file\": \"" + empty + "\" is empty");
  EXPECT_EQ(Refusal(Json{{"t_file", 5}}, "t"), "config: \"t_file\" must be a string, got 5");
}

TEST_F(CredentialTest, ReloadPicksUpARewriteAndKeepsTheOldValueOnFailure) {
  const std::string path = Write("token", "old");
  Credential c = Credential::FromConfig(Json{{"t_file", path}}, "t");
  EXPECT_FALSE(c.Reload());
  Write("token", "new");
  EXPECT_TRUE(c.Reload());
  EXPECT_EQ(c.value(), "new");
  ::unlink(path.c_str());
  EXPECT_THROW(c.Reload(), stockd::sdk::Error);
  EXPECT_EQ(c.value(), "new");
}

}  // namespace
}  // namespace stockd::adapters
