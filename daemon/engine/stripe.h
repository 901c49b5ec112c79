// Which stripe (or shard) of a striped table a string key belongs to.
#ifndef STOCKD_DAEMON_ENGINE_STRIPE_H_
#define STOCKD_DAEMON_ENGINE_STRIPE_H_

#include <cstddef>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace stockd::engine {

// The stripe (or shard) of `key` among `n`, from the high bits of its absl hash. Every
// striped table keys an absl::flat_hash_map by the same string, and that map takes its
// 7-bit control byte (H2) from the hash's low bits: a stripe chosen by `hash % 64` would
// leave each stripe's keys one bit of H2 to tell them apart, and a lookup comparing the
// strings of about half the slots it probes. stockd-stripe-bench, 64 stripes: 1.6 M
// request ids 341 ns per lookup with the low bits, 95 ns with these; 100,000 ids 66 and
// 38 ns (docs/benchmarks.md, "Striped tables").
inline size_t StripeOf(absl::string_view key, size_t n) {
  return (absl::Hash<absl::string_view>{}(key) >> 40) % n;
}

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_STRIPE_H_
