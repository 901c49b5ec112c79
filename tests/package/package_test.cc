// The Debian package (scripts/package, cmake/package.cmake), label `package`.
// Always: the .deb is built from this build tree and inspected with dpkg-deb — control
// fields (Depends from dpkg-shlibdeps, the conffile, the maintainer scripts), the files
// and where they go, the unit's paths — and the stockd it contains, unpacked into a
// directory, finds the plugins beside it in the installed layout (--check-config loads
// the file adapter's plugin from <root>/usr/lib/stockd/plugins).
// On a throwaway machine (CI=true, or STOCKD_PACKAGE_INSTALL=1; as root): `apt-get install`
// of the .deb, then the files are in place, the stockd user and /var/lib/stockd (0700,
// owned by it) exist, the installed stockd passes --check-config on the installed
// /etc/stockd/stockd.yaml (finding its plugins), systemd-analyze verify accepts the
// installed unit, and `apt-get remove` takes it away again (keeping the conffile and the
// state directory, as Debian does); the test then purges what it installed.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

std::string RunShell(const std::string& command, int* code) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class PackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("stockd-pkg");
    int code = 0;
    const std::string out =
        RunShell(absl::StrCat(STOCKD_SOURCE_DIR, "/scripts/package --no-build --build-dir ",
                         STOCKD_BINARY_DIR, " --out ", dir_->path()),
            &code);
    // Its last line is the .deb's path.
    const std::string trimmed(absl::StripTrailingAsciiWhitespace(out));
    if (code == 0) {
      deb_ = new std::string(trimmed.substr(trimmed.rfind('\n') + 1));
    } else {
      build_log_ = new std::string(out);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete deb_;
    delete build_log_;
    dir_ = nullptr;
    deb_ = nullptr;
    build_log_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(deb_, nullptr) << "scripts/package failed:\n" << (build_log_ ? *build_log_ : "");
  }

  static testing::TempDir* dir_;
  static std::string* deb_;
  static std::string* build_log_;
};
testing::TempDir* PackageTest::dir_ = nullptr;
std::string* PackageTest::deb_ = nullptr;
std::string* PackageTest::build_log_ = nullptr;

TEST_F(PackageTest, ControlFieldsFilesAndMaintainerScripts) {
  EXPECT_TRUE(absl::EndsWith(*deb_, absl::StrCat("/stockd_", STOCKD_VERSION, "_amd64.deb")))
      << *deb_;
  int code = 0;
  const std::string info = RunShell("dpkg-deb -I " + *deb_, &code);
  ASSERT_EQ(code, 0) << info;
  EXPECT_TRUE(absl::StrContains(info, "\n Package: stockd\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, absl::StrCat("\n Version: ", STOCKD_VERSION, "\n"))) << info;
  EXPECT_TRUE(absl::StrContains(info, "\n Architecture: amd64\n")) << info;
  EXPECT_TRUE(absl::StrContains(info, "\n Recommends: redis-server\n")) << info;
  // dpkg-shlibdeps found the libraries the binaries and plugins link.
  const size_t depends_at = info.find("\n Depends: ");
  ASSERT_NE(depends_at, std::string::npos) << info;
  const std::string depends = info.substr(depends_at, info.find('\n', depends_at + 1) - depends_at);
  for (const char* dep : {"passwd", "libc6", "libgrpc++1.51", "libsystemd0", "libhiredis0.14",
                          "libyaml-cpp0.7", "libcurl4", "libstdc++6"}) {
    EXPECT_TRUE(absl::StrContains(depends, dep)) << "Depends lacks " << dep << ":" << depends;
  }
  for (const char* script : {" postinst", " prerm", " postrm", " conffiles"}) {
    EXPECT_TRUE(absl::StrContains(info, script)) << script << " missing:\n" << info;
  }

  const std::string root = dir_->path() + "/root";
  const std::string extract = RunShell("dpkg-deb -x " + *deb_ + " " + root, &code);
  ASSERT_EQ(code, 0) << extract;
  const std::string control = dir_->path() + "/control";
  ASSERT_EQ((RunShell("dpkg-deb -e " + *deb_ + " " + control, &code), code), 0);
  EXPECT_EQ(ReadFile(control + "/conffiles"), "/etc/stockd/stockd.yaml\n");
  const std::string postinst = ReadFile(control + "/postinst");
  EXPECT_TRUE(absl::StrContains(postinst, "useradd --system")) << postinst;
  EXPECT_TRUE(absl::StrContains(postinst, "install -d -m 0700 -o stockd -g stockd /var/lib/stockd"))
      << postinst;
  // Its commands (not its comments, which tell the operator to enable it).
  std::string commands;
  for (absl::string_view line : absl::StrSplit(postinst, '\n')) {
    if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) {
      absl::StrAppend(&commands, line, "\n");
    }
  }
  EXPECT_TRUE(absl::StrContains(commands, "systemctl --system daemon-reload")) << commands;
  EXPECT_FALSE(absl::StrContains(commands, "enable")) << "enables by force";
  EXPECT_FALSE(absl::StrContains(commands, "systemctl start")) << "starts by force";

  for (const char* file :
       {"/usr/sbin/stockd", "/usr/bin/stockctl",
        "/usr/lib/stockd/plugins/libstockd_adapter_file.so",
        "/usr/lib/stockd/plugins/libstockd_adapter_webhook.so",
        "/usr/lib/stockd/plugins/libstockd_adapter_shopify.so",
        "/usr/lib/stockd/plugins/libstockd_adapter_amazon.so",
        "/usr/lib/stockd/plugins/libstockd_adapter_ebay.so",
        "/usr/lib/stockd/plugins/libstockd_adapter_woocommerce.so",
        "/usr/lib/systemd/system/stockd.service", "/etc/stockd/stockd.yaml",
        "/usr/share/doc/stockd/README.md", "/usr/share/doc/stockd/operations.md",
        "/usr/share/doc/stockd/reference.yaml", "/usr/include/stockd/adapter.h"}) {
    EXPECT_TRUE(Exists(root + file)) << file << " not in the package";
  }
  const std::string unit = ReadFile(root + "/usr/lib/systemd/system/stockd.service");
  EXPECT_TRUE(absl::StrContains(unit, "\nType=notify\n")) << unit;
  EXPECT_TRUE(
      absl::StrContains(unit, "\nExecStart=/usr/sbin/stockd --config /etc/stockd/stockd.yaml\n"))
      << unit;
  EXPECT_EQ(unit, ReadFile(std::string(STOCKD_SOURCE_DIR) + "/systemd/stockd.service"))
      << "the packaged unit is the source's (prefix /usr)";

  // The unpacked stockd finds the plugins of its installed layout: --check-config loads
  // the file adapter's plugin from <root>/usr/lib/stockd/plugins (no plugins/ beside it).
  ASSERT_FALSE(Exists(root + "/usr/sbin/plugins"));
  const std::string config = dir_->path() + "/stockd.yaml";
  std::ofstream(config) << absl::StrReplaceAll(
      ReadFile(root + "/etc/stockd/stockd.yaml"),
      {{"/var/lib/stockd/marketplace-stock.jsonl", dir_->path() + "/marketplace.jsonl"}});
  const std::string checked = RunShell(root + "/usr/sbin/stockd --check-config " + config, &code);
  EXPECT_EQ(code, 0) << checked;
  EXPECT_TRUE(absl::StrContains(checked, ": ok (2 locations, 3 channels, 0 overrides)")) << checked;
  // Proof that the plugin was loaded: without it, the check fails naming the folder.
  std::filesystem::rename(root + "/usr/lib/stockd/plugins", root + "/usr/lib/stockd/gone");
  const std::string missing = RunShell(root + "/usr/sbin/stockd --check-config " + config, &code);
  EXPECT_NE(code, 0) << missing;
  EXPECT_TRUE(absl::StrContains(missing, "libstockd_adapter_file.so")) << missing;
}

TEST_F(PackageTest, InstallsChecksAndRemovesOnThisMachine) {
  const char* ci = ::getenv("CI");
  const char* allowed = ::getenv("STOCKD_PACKAGE_INSTALL");
  if (!((ci != nullptr && std::string(ci) == "true") ||
        (allowed != nullptr && std::string(allowed) == "1"))) {
    GTEST_SKIP() << "installs only on a throwaway machine: CI=true or STOCKD_PACKAGE_INSTALL=1";
  }
  if (::geteuid() != 0) GTEST_SKIP() << "apt-get install needs root";
  int code = 0;
  RunShell("dpkg-query -W -f='${Status}' stockd | grep -q 'install ok installed'", &code);
  ASSERT_NE(code, 0) << "stockd is installed already: remove it first";
  const bool had_user = ::getpwnam("stockd") != nullptr;
  const bool had_state = Exists("/var/lib/stockd");

  const std::string install =
      RunShell("DEBIAN_FRONTEND=noninteractive apt-get install -y " + *deb_, &code);
  ASSERT_EQ(code, 0) << install;
  struct Purge {
    bool had_user, had_state;
    ~Purge() {
      int ignored = 0;
      RunShell("DEBIAN_FRONTEND=noninteractive apt-get purge -y stockd", &ignored);
      if (!had_state) std::filesystem::remove_all("/var/lib/stockd");
      if (!had_user) {
        RunShell("userdel stockd", &ignored);
        RunShell("groupdel stockd", &ignored);
      }
    }
  } purge{had_user, had_state};

  for (const char* file : {"/usr/sbin/stockd", "/usr/bin/stockctl",
                           "/usr/lib/stockd/plugins/libstockd_adapter_file.so",
                           "/usr/lib/stockd/plugins/libstockd_adapter_webhook.so",
                           "/usr/lib/systemd/system/stockd.service", "/etc/stockd/stockd.yaml",
                           "/usr/share/doc/stockd/README.md"}) {
    EXPECT_TRUE(Exists(file)) << file << " not installed";
  }
  const passwd* user = ::getpwnam("stockd");
  ASSERT_NE(user, nullptr) << "no stockd user";
  EXPECT_LT(user->pw_uid, 1000u) << "not a system user";
  EXPECT_STREQ(user->pw_dir, "/var/lib/stockd");
  const group* grp = ::getgrnam("stockd");
  ASSERT_NE(grp, nullptr) << "no stockd group";
  struct stat st {};
  ASSERT_EQ(::stat("/var/lib/stockd", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, user->pw_uid);
  EXPECT_EQ(st.st_gid, grp->gr_gid);
  const std::string conffiles = RunShell("dpkg-query -W -f='${Conffiles}' stockd", &code);
  EXPECT_TRUE(absl::StrContains(conffiles, "/etc/stockd/stockd.yaml")) << conffiles;

  // The installed stockd on the installed config: finds its plugins (the file adapter's).
  const std::string checked = RunShell("/usr/sbin/stockd --check-config /etc/stockd/stockd.yaml", &code);
  EXPECT_EQ(code, 0) << checked;
  EXPECT_TRUE(absl::StrContains(checked, "/etc/stockd/stockd.yaml: ok (2 locations, 3 channels"))
      << checked;
  const std::string version = RunShell("/usr/sbin/stockd --version", &code);
  EXPECT_EQ(version, absl::StrCat("stockd ", STOCKD_VERSION, "\n"));

  RunShell("command -v systemd-analyze", &code);
  if (code == 0) {
    const std::string verified =
        RunShell("systemd-analyze verify /usr/lib/systemd/system/stockd.service", &code);
    EXPECT_EQ(code, 0) << verified;
    EXPECT_EQ(verified, "");
  } else {
    ADD_FAILURE() << "systemd-analyze missing: the installed unit was not verified";
  }

  const std::string removed = RunShell("DEBIAN_FRONTEND=noninteractive apt-get remove -y stockd", &code);
  ASSERT_EQ(code, 0) << removed;
  EXPECT_FALSE(Exists("/usr/sbin/stockd"));
  EXPECT_FALSE(Exists("/usr/lib/stockd/plugins/libstockd_adapter_file.so"));
  EXPECT_FALSE(Exists("/usr/lib/systemd/system/stockd.service"));
  EXPECT_TRUE(Exists("/etc/stockd/stockd.yaml")) << "remove keeps a conffile (purge removes it)";
  EXPECT_TRUE(Exists("/var/lib/stockd")) << "remove keeps the stock";
}

}  // namespace
}  // namespace stockd
