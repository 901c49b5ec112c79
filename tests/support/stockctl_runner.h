// Runs the stockctl binary of this build against a daemon, as an operator would, and
// captures what it prints (stdout and stderr) and its exit status: the server tests'
// check that the CLI shows what the API answers.
//
// Thread safety: one call at a time per caller (popen).
#ifndef STOCKD_TESTS_SUPPORT_STOCKCTL_RUNNER_H_
#define STOCKD_TESTS_SUPPORT_STOCKCTL_RUNNER_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace stockd::testing {

// `stockctl --addr <addr> <args> 2>&1`; the output, with pclose's status in *exit_status.
inline std::string RunStockctl(const std::string& addr, const std::string& args,
                               int* exit_status) {
  const std::string command =
      std::string(STOCKD_BINARY_DIR) + "/stockctl --addr " + addr + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) return "";
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  *exit_status = pclose(pipe);
  return out;
}

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_STOCKCTL_RUNNER_H_
