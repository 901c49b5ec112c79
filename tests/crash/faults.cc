#include "tests/crash/faults.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/crash/harness.h"

namespace stockd::crash {

// ---------------------------------------------------------------- DiskFiller

bool DiskFiller::Fill(const std::string& path, std::string* error) {
  Remove();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "create " + path + ": " + std::strerror(errno);
    return false;
  }
  path_ = path;
  // Big writes first, then smaller ones: a tmpfs refuses the write that does not fit
  // whole in its last pages, so the last bytes need small writes.
  static char block[1 << 20];
  for (size_t chunk = sizeof block; chunk > 0; chunk /= 2) {
    for (;;) {
      const ssize_t n = write(fd, block, chunk);
      if (n > 0) {
        bytes_ += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != ENOSPC) {
        *error = "write " + path + ": " + std::strerror(errno);
        close(fd);
        return false;
      }
      break;  // ENOSPC (or a zero-length write): try a smaller chunk
    }
  }
  close(fd);
  return true;
}

void DiskFiller::Remove() {
  if (path_.empty()) return;
  unlink(path_.c_str());
  path_.clear();
  bytes_ = 0;
}

// ---------------------------------------------------------------- SlowSyscalls

bool SlowSyscalls::Start(pid_t pid, int64_t delay_ms, const std::string& log_path,
                         std::string* error) {
  Stop();
  log_path_ = log_path;
  const std::string delay = "fsync,fdatasync:delay_enter=" + std::to_string(delay_ms * 1000);
  const std::string target = std::to_string(pid);
  std::vector<std::string> args = {
      "strace",          "-f", "-p",    target, "-e", "trace=fsync,fdatasync", "-e",
      "inject=" + delay, "-o", log_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // strace's own messages ("Process N attached") go to stderr: a file next to its log.
  const std::string messages = log_path + ".stderr";
  const int err_fd = open(messages.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err_fd < 0) {
    *error = "create " + messages + ": " + std::strerror(errno);
    return false;
  }
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // strace detaches on SIGTERM too
    if (getppid() != parent) _exit(127);
    dup2(err_fd, STDERR_FILENO);
    execvp("strace", argv.data());
    _exit(127);
  }
  close(err_fd);
  if (child < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  strace_ = child;
  const int64_t until = NowUs() + 5'000'000;
  for (;;) {
    std::ifstream in(messages);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("attached") != std::string::npos) return true;
    int status = 0;
    if (waitpid(strace_, &status, WNOHANG) == strace_) {
      strace_ = 0;
      *error = "strace exited (status " + std::to_string(status) + "): " + text;
      return false;
    }
    if (NowUs() > until) {
      *error = "strace did not attach within 5 s: " + text;
      Stop();
      return false;
    }
    SleepMs(5);
  }
}

void SlowSyscalls::Stop() {
  if (strace_ <= 0) return;
  kill(strace_, SIGINT);
  const int64_t until = NowUs() + 5'000'000;
  int status = 0;
  while (waitpid(strace_, &status, WNOHANG) == 0) {
    if (NowUs() > until) {
      kill(strace_, SIGKILL);
      waitpid(strace_, &status, 0);
      break;
    }
    SleepMs(5);
  }
  strace_ = 0;
}

int64_t SlowSyscalls::DelayedCalls() const {
  std::ifstream in(log_path_);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    // "<pid> fdatasync(7) = 0 (DELAYED)", possibly split as "<unfinished ...>" /
    // "<... fdatasync resumed>": the first part carries the call's name and "(".
    if (line.find("DELAYED") != std::string::npos) ++n;
  }
  return n;
}

// ---------------------------------------------------------------- LogWatcher

void LogWatcher::Mark() {
  struct stat st {};
  offset_ = stat(path_.c_str(), &st) == 0 ? st.st_size : 0;
}

std::string LogWatcher::ReadSinceMark() const {
  std::ifstream in(path_, std::ios::binary);
  in.seekg(offset_);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int64_t LogWatcher::WaitFor(const std::string& needle, int64_t timeout_ms) {
  const int64_t until = NowUs() + timeout_ms * 1000;
  for (;;) {
    if (Seen(needle)) return NowUs();
    if (NowUs() > until) return 0;
    SleepMs(2);
  }
}

bool LogWatcher::Seen(const std::string& needle) const {
  return ReadSinceMark().find(needle) != std::string::npos;
}

int LogWatcher::Count(const std::string& needle) const {
  const std::string text = ReadSinceMark();
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// ---------------------------------------------------------------- figures

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t index = static_cast<size_t>(std::clamp<double>(rank, 1, values.size())) - 1;
  return values[index];
}

std::string MedianMax(const std::vector<double>& ms) {
  if (ms.empty()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f / %.0f", Percentile(ms, 50), Percentile(ms, 100));
  return buf;
}

}  // namespace stockd::crash
