// Fuzzes the config parser (config::ParseConfig, the one path a file or a DiffConfig's
// text takes) under ASan + UBSan. Properties: it never crashes, leaks or overflows, stays
// within libFuzzer's RSS limit (scripts/fuzz: 2 GiB; the parser's own value budget
// bounds what a small file may expand to), and every error it reports starts with the
// source name (the file:line:col of the problem, or the file for whole-file errors).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<stockd::config::Config> config = stockd::config::ParseConfig(text, "fuzz.yaml");
  if (!config.ok() && !absl::StartsWith(config.status().message(), "fuzz.yaml")) {
    __builtin_trap();  // an error that does not say where
  }
  return 0;
}
