// A fresh private directory for a test (mkdtemp: mode 0700) under $TMPDIR or /tmp,
// removed with everything in it when the object goes out of scope.
//
// Thread safety: a TempDir belongs to the thread that made it; path() may be read from any.
#ifndef STOCKD_TESTS_SUPPORT_TEMP_DIR_H_
#define STOCKD_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace stockd::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "stockd-test") {
    const char* tmpdir = ::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                          "/" + prefix + "-XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_TEMP_DIR_H_
