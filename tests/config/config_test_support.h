// Helpers shared by the config layer's tests (tests/config/*_test.cc): the base config
// error cases append to, reading the shipped files, and the error text of a rejected
// config.
#ifndef STOCKD_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_
#define STOCKD_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "daemon/config/config.h"
#include "gtest/gtest.h"

namespace stockd::config {

using engine::ChannelType;
using engine::kNoCap;
using engine::LocationType;

inline constexpr int64_t kSecond = 1000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;

// EXPECT_TRUE(Contains(text, part)) prints both on failure.
inline ::testing::AssertionResult Contains(absl::string_view text, absl::string_view part) {
  if (text.find(part) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

inline std::string SourcePath(const std::string& relative) {
  return std::string(STOCKD_SOURCE_DIR) + "/" + relative;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 1-based line of the first line of `text` that equals `line`; 0 if none does.
inline int LineOf(const std::string& text, const std::string& line) {
  int number = 0;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    ++number;
    if (l == line) return number;
  }
  return 0;
}

// Two locations, one channel; lines 1..9. Error cases append to it, so line 10 is the
// first appended line; appended lines indented by 4 continue channel 'web'.
inline constexpr char kBase[] =
    "locations:\n"              // 1
    "  - id: wh\n"              // 2
    "    type: warehouse\n"     // 3
    "  - id: st\n"              // 4
    "    type: store\n"         // 5
    "channels:\n"               // 6
    "  - id: web\n"             // 7
    "    type: webshop\n"       // 8
    "    sources: [wh, st]\n";  // 9

inline std::string Base(const std::string& extra) { return std::string(kBase) + extra; }

// The error message of a config that must be rejected.
inline std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

inline std::vector<std::string> Lines(const std::string& message) {
  return absl::StrSplit(message, '\n');
}

}  // namespace stockd::config

#endif  // STOCKD_TESTS_CONFIG_CONFIG_TEST_SUPPORT_H_
