// Upper bounds of the encoded size of API responses, so that a call whose answer would
// not fit what a client accepts (gRPC's default: 4 MiB) is refused before it changes
// anything, instead of failing after the change (docs/design.md: a failed call changes
// nothing). The bounds are deliberately generous: ids and SKUs at their 128-byte maximum,
// every integer at its 10-byte maximum, and room for an error message per result.
//
// Header only, no dependencies. It lives in the engine, below both of its users: the
// config validation (max_lines must leave a Hold that fits a Batch answer) and the
// server (paging and Batch bounds); the config layer may not use the api layer, whose
// Protobuf it does not need for this arithmetic. Thread-safe.
#ifndef STOCKD_DAEMON_ENGINE_RESPONSE_SIZE_H_
#define STOCKD_DAEMON_ENGINE_RESPONSE_SIZE_H_

#include <cstdint>

namespace stockd::engine::response_size {

inline constexpr int64_t kMaxIdBytes = 128;    // SKU, location, channel (model.h)
inline constexpr int64_t kMaxTextBytes = 256;  // reference, note
inline constexpr int64_t kMaxVarintBytes = 10;
inline constexpr int64_t kFieldOverhead = 6;  // tag + length prefix of a nested field
// One error message of a Batch result, with its code and framing.
inline constexpr int64_t kResultOverheadBytes = 1024;

// A HoldLine: sku, location, qty, fulfilled.
inline constexpr int64_t MaxHoldLineBytes(int64_t sku_bytes = kMaxIdBytes,
                                          int64_t location_bytes = kMaxIdBytes) {
  return kFieldOverhead + 2 * kFieldOverhead + sku_bytes + location_bytes + 2 * kMaxVarintBytes;
}
// A Hold without its lines: hold id, channel, state, three times, reference.
inline constexpr int64_t kHoldOverheadBytes =
    kFieldOverhead + 3 * kFieldOverhead + 2 * kMaxIdBytes + kMaxTextBytes + 4 * kMaxVarintBytes;
inline constexpr int64_t MaxHoldBytes(int64_t lines) {
  return kHoldOverheadBytes + lines * MaxHoldLineBytes();
}
// A StockRow: sku, location and five counters.
inline constexpr int64_t kMaxStockRowBytes =
    kFieldOverhead + 2 * kFieldOverhead + 2 * kMaxIdBytes + 5 * kMaxVarintBytes;

}  // namespace stockd::engine::response_size

#endif  // STOCKD_DAEMON_ENGINE_RESPONSE_SIZE_H_
