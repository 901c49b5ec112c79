#include "bench/proc_cpu.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>

namespace stockd::bench {
namespace {

struct ProcStat {
  int ppid = 0;
  long long ticks = 0;  // utime + stime + cutime + cstime
};

// /proc/<pid>/stat: "pid (comm) state ppid ... utime stime cutime cstime ..." (fields 4,
// 14-17; comm may hold spaces and parentheses, so the fields are counted after its last
// ')').
bool ReadStat(const std::string& pid, ProcStat* out) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string state;
  long long f[15] = {};  // fields 4..18 after the state
  fields >> state;
  for (long long& v : f) fields >> v;
  if (!fields) return false;
  out->ppid = static_cast<int>(f[0]);          // field 4
  out->ticks = f[10] + f[11] + f[12] + f[13];  // fields 14, 15, 16, 17
  return true;
}

}  // namespace

double TreeCpuSeconds(const std::vector<int>& roots) {
  std::unordered_map<int, ProcStat> procs;
  if (DIR* dir = opendir("/proc")) {
    while (dirent* e = readdir(dir)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      ProcStat s;
      if (ReadStat(e->d_name, &s)) procs.emplace(static_cast<int>(pid), s);
    }
    closedir(dir);
  }
  std::unordered_multimap<int, int> children;
  for (const auto& [pid, s] : procs) children.emplace(s.ppid, pid);
  long long ticks = 0;
  std::vector<int> todo(roots.begin(), roots.end());
  std::unordered_map<int, bool> seen;
  while (!todo.empty()) {
    const int pid = todo.back();
    todo.pop_back();
    if (seen[pid]) continue;
    seen[pid] = true;
    auto it = procs.find(pid);
    if (it == procs.end()) continue;
    ticks += it->second.ticks;
    auto [first, last] = children.equal_range(pid);
    for (auto c = first; c != last; ++c) todo.push_back(c->second);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace stockd::bench
