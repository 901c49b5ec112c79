#include "daemon/observe/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "daemon/observe/families.h"

namespace stockd::observe {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of the line "<key> <value> ..." of a /proc file.
std::optional<double> Field(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, key)) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line.substr(key.size()), ' ', absl::SkipEmpty());
    double value = 0;
    if (!words.empty() && absl::SimpleAtod(words[0], &value)) return value;
  }
  return std::nullopt;
}

}  // namespace

ProcessSample ReadProcess(const std::string& proc_dir) {
  ProcessSample s;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses,
  // so the fields are counted after its last ')'. Field 14 utime, 15 stime, 22 starttime
  // (clock ticks since boot), 23 vsize (bytes), 24 rss (pages).
  const std::string stat = ReadAll(proc_dir + "/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
    // f[0] is field 3 (state).
    auto at = [&](size_t field) -> std::optional<double> {
      double v = 0;
      if (field - 3 < f.size() && absl::SimpleAtod(f[field - 3], &v)) return v;
      return std::nullopt;
    };
    if (auto ut = at(14), st = at(15); ut && st) s.cpu_seconds = (*ut + *st) / ticks;
    if (auto vsize = at(23)) s.virtual_bytes = *vsize;
    if (auto rss = at(24)) s.resident_bytes = *rss * page;
    if (auto start = at(22); start) {
      if (auto btime = Field(ReadAll("/proc/stat"), "btime ")) {
        s.start_time_seconds = *btime + *start / ticks;
      }
    }
  }
  if (DIR* dir = opendir((proc_dir + "/fd").c_str())) {
    double n = 0;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
    s.open_fds = n - 1;  // less the descriptor of the listing itself (this process's)
    if (proc_dir != "/proc/self") s.open_fds = n;
  }
  if (auto max = Field(ReadAll(proc_dir + "/limits"), "Max open files")) s.max_fds = *max;
  return s;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const ProcessSample s = ReadProcess();
  std::vector<prometheus::MetricFamily> out;
  auto add = [&out](const char* name, const char* help, prometheus::MetricType type,
                    const std::optional<double>& value) {
    if (!value.has_value()) return;
    prometheus::MetricFamily f = Family(name, help, type);
    AddValue(&f, {}, *value);
    out.push_back(std::move(f));
  };
  add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      prometheus::MetricType::Counter, s.cpu_seconds);
  add("process_resident_memory_bytes", "Resident memory size in bytes.",
      prometheus::MetricType::Gauge, s.resident_bytes);
  add("process_virtual_memory_bytes", "Virtual memory size in bytes.",
      prometheus::MetricType::Gauge, s.virtual_bytes);
  add("process_open_fds", "Number of open file descriptors.", prometheus::MetricType::Gauge,
      s.open_fds);
  add("process_max_fds", "Maximum number of open file descriptors.",
      prometheus::MetricType::Gauge, s.max_fds);
  add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      prometheus::MetricType::Gauge, s.start_time_seconds);
  return out;
}

}  // namespace stockd::observe
