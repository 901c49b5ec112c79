#include "daemon/storage/aof_repair.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace stockd::storage {
namespace {

enum class Parse { kOk, kShort, kBad };

// Parses "<prefix><decimal>\r\n" at d[pos]: kShort when the data ends first, kBad when
// it is something else.
Parse Header(const char* d, int64_t size, int64_t pos, char prefix, int64_t* value,
             int64_t* next) {
  if (pos >= size) return Parse::kShort;
  if (d[pos] != prefix) return Parse::kBad;
  int64_t v = 0;
  int64_t i = pos + 1;
  for (; i < size && d[i] != '\r'; ++i) {
    if (d[i] < '0' || d[i] > '9' || i - pos > 18) return Parse::kBad;
    v = v * 10 + (d[i] - '0');
  }
  if (i + 1 >= size) return Parse::kShort;
  if (i == pos + 1 || d[i + 1] != '\n') return Parse::kBad;
  *value = v;
  *next = i + 2;
  return Parse::kOk;
}

std::string Errno(const std::string& what, const std::string& path) {
  return absl::StrCat(what, " ", path, ": ", std::strerror(errno));
}

// The last INCR file named by the manifest ("file <name> seq <n> type i" lines).
std::string LastIncrFile(const std::string& manifest) {
  std::ifstream in(manifest);
  std::string line, last;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value, file, type;
    while (words >> key >> value) {
      if (key == "file") file = value;
      if (key == "type") type = value;
    }
    if (!file.empty() && type == "i") last = file;
  }
  return last;
}

}  // namespace

int64_t CompletePrefix(const char* d, int64_t size) {
  int64_t pos = 0;
  int64_t good = 0;
  bool in_multi = false;
  while (pos < size) {
    if (d[pos] == '#') {  // an annotation line (aof-timestamp-enabled)
      const void* nl = std::memchr(d + pos, '\n', static_cast<size_t>(size - pos));
      if (nl == nullptr) return good;
      pos = static_cast<const char*>(nl) - d + 1;
      if (!in_multi) good = pos;
      continue;
    }
    int64_t argc = 0;
    int64_t next = 0;
    Parse p = Header(d, size, pos, '*', &argc, &next);
    if (p == Parse::kShort) return good;
    if (p == Parse::kBad || argc < 1) return -1;
    std::string_view name;
    int64_t at = next;
    for (int64_t a = 0; a < argc; ++a) {
      int64_t len = 0;
      p = Header(d, size, at, '$', &len, &next);
      if (p == Parse::kShort) return good;
      if (p == Parse::kBad) return -1;
      if (len > size - next - 2) return good;  // the bulk (and its CRLF) was cut
      if (d[next + len] != '\r' || d[next + len + 1] != '\n') return -1;
      if (a == 0) name = std::string_view(d + next, static_cast<size_t>(len));
      at = next + len + 2;
    }
    pos = at;
    if (absl::EqualsIgnoreCase(absl::string_view(name.data(), name.size()), "MULTI")) {
      in_multi = true;  // `good` stays before the MULTI until its EXEC is complete
    } else if (absl::EqualsIgnoreCase(absl::string_view(name.data(), name.size()), "EXEC")) {
      in_multi = false;
      good = pos;
    } else if (!in_multi) {
      good = pos;
    }
  }
  return good;  // == size, unless the data ends inside a transaction
}

absl::StatusOr<AofRepair> RepairAofTail(const std::string& aof_dir,
                                        const std::string& aof_name) {
  AofRepair result;
  const std::string incr = LastIncrFile(aof_dir + "/" + aof_name + ".manifest");
  if (incr.empty() || incr.find('/') != std::string::npos) return result;
  result.file = aof_dir + "/" + incr;
  const int fd = ::open(result.file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return AofRepair{};
    return absl::InternalError(Errno("cannot open", result.file));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::InternalError(Errno("cannot stat", result.file));
  }
  result.size = st.st_size;
  if (result.size == 0) {
    ::close(fd);
    return result;
  }
  void* map = ::mmap(nullptr, static_cast<size_t>(result.size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    ::close(fd);
    return absl::InternalError(Errno("cannot map", result.file));
  }
  const int64_t good = CompletePrefix(static_cast<const char*>(map), result.size);
  ::munmap(map, static_cast<size_t>(result.size));
  if (good >= 0 && good < result.size) {
    if (::ftruncate(fd, good) != 0 || ::fsync(fd) != 0) {
      const std::string err = Errno("cannot truncate", result.file);
      ::close(fd);
      return absl::InternalError(err);
    }
    result.dropped_bytes = result.size - good;
  }
  ::close(fd);
  return result;
}

}  // namespace stockd::storage
