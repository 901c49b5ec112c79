// CPU time used by process trees, read from /proc (Linux): what a server side spends per
// operation, whoever else shares the cores (issue 17: "server CPU per operation").
#ifndef STOCKD_BENCH_PROC_CPU_H_
#define STOCKD_BENCH_PROC_CPU_H_

#include <vector>

namespace stockd::bench {

// User + system CPU seconds of each process in `roots` and of every live descendant,
// plus what each of them has reaped (cutime + cstime: a PostgreSQL backend that exited,
// an embedded redis-server restarted). Every thread is included. A pid that is gone
// counts 0. Two samples' difference is the trees' CPU between them, as long as no
// process of a tree exits unreaped in between.
double TreeCpuSeconds(const std::vector<int>& roots);

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_PROC_CPU_H_
