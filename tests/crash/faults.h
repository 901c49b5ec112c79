// The fault matrix's faults (fault_*_test.cc, scripts/fault-test): what the cases do to
// the daemon's surroundings while the load runs — a disk filled to the last byte, an
// fsync made slow by strace's syscall injection — and the small tools they measure with:
// a reader of stockd.log that waits for a line, and percentiles.
//
// Thread safety: a DiskFiller, SlowSyscalls or LogWatcher is driven by one thread (the
// GoogleTest thread). The free functions are reentrant.
#ifndef STOCKD_TESTS_CRASH_FAULTS_H_
#define STOCKD_TESTS_CRASH_FAULTS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stockd::crash {

// Fills the filesystem that holds `path` (a file it creates) until the kernel says
// ENOSPC, to the last byte, and removes the file again. The destructor removes it too.
class DiskFiller {
 public:
  DiskFiller() = default;
  ~DiskFiller() { Remove(); }
  DiskFiller(const DiskFiller&) = delete;
  DiskFiller& operator=(const DiskFiller&) = delete;

  // False with *error when the file cannot be created or written for another reason.
  bool Fill(const std::string& path, std::string* error);
  void Remove();
  int64_t bytes() const { return bytes_; }

 private:
  std::string path_;
  int64_t bytes_ = 0;
};

// Delays every fsync and fdatasync of a running process (all its threads) by a fixed
// time: `strace -f -p <pid> -e trace=fsync,fdatasync -e inject=...:delay_enter=<us>`, run
// as a child of this process. Attaching stops the tracee at every system call (strace
// cannot use seccomp-bpf on an attached process), so the tracee is a little slower
// overall too; the delay dominates.
class SlowSyscalls {
 public:
  SlowSyscalls() = default;
  ~SlowSyscalls() { Stop(); }
  SlowSyscalls(const SlowSyscalls&) = delete;
  SlowSyscalls& operator=(const SlowSyscalls&) = delete;

  // Starts strace and waits (up to 5 s) until it has attached. False with *error when
  // strace is missing, ptrace is refused, or it does not attach.
  bool Start(pid_t pid, int64_t delay_ms, const std::string& log_path, std::string* error);
  // SIGINT (strace detaches and exits), SIGKILL after 5 s; idempotent.
  void Stop();
  // System calls strace delayed, from its log (trace lines); valid after Stop.
  int64_t DelayedCalls() const;

 private:
  pid_t strace_ = 0;
  std::string log_path_;
};

// Waits for log lines of stockd.log written after Mark().
class LogWatcher {
 public:
  explicit LogWatcher(std::string path) : path_(std::move(path)) {}

  // From now on: the lines written after this call.
  void Mark();
  // NowUs() at which a line containing `needle` was first seen (polling every 2 ms), or
  // 0 after `timeout_ms`.
  int64_t WaitFor(const std::string& needle, int64_t timeout_ms);
  // Whether such a line was written since Mark(), without waiting.
  bool Seen(const std::string& needle) const;
  // How many such lines were written since Mark().
  int Count(const std::string& needle) const;

 private:
  std::string ReadSinceMark() const;

  std::string path_;
  int64_t offset_ = 0;
};

// The p-th percentile (0..100, nearest rank) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);
// "12 / 34" (median / max), "-" when empty, for the table.
std::string MedianMax(const std::vector<double>& ms);

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_FAULTS_H_
