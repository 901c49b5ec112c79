#include "daemon/storage/aof_compaction.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"

namespace stockd::storage {

AofSizes ReadAofSizes(const std::string& aof_dir) {
  AofSizes sizes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(aof_dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code size_ec;
    const auto bytes = static_cast<int64_t>(entry.file_size(size_ec));
    if (size_ec) continue;  // removed meanwhile (Redis deletes history files)
    if (absl::EndsWith(name, ".base.rdb") || absl::EndsWith(name, ".base.aof")) {
      sizes.base += bytes;
    } else if (absl::EndsWith(name, ".incr.aof")) {
      sizes.incr += bytes;
    }
  }
  return sizes;
}

}  // namespace stockd::storage
