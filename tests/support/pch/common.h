// Precompiled for every test binary and fake when STOCKD_TEST_PCH is on (the sanitized CI
// build, scripts/test --sanitize): headers most test files include, parsed once per target
// instead of once per file. Never included by hand: a test includes what it uses, and the
// plain build (no PCH) is what checks that.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
