// Fuzzes the AOF repair reader (storage::CompletePrefix), which reads the tail of the
// embedded redis-server's append-only file after a crash, torn anywhere. Properties: no
// crash or read past the data; the answer is -1 or a length within the data; the prefix
// it keeps is itself complete (repairing twice cuts nothing more).
#include <cstddef>
#include <cstdint>

#include "daemon/storage/aof_repair.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const int64_t n = static_cast<int64_t>(size);
  const int64_t kept = stockd::storage::CompletePrefix(text, n);
  if (kept < -1 || kept > n) __builtin_trap();
  if (kept >= 0 && stockd::storage::CompletePrefix(text, kept) != kept) __builtin_trap();
  return 0;
}
