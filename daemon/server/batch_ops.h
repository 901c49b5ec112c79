// Batch's operations, shared by Batch and the Session stream: one BatchOperation as an
// engine command with the filler of its BatchResult, and a bound of that result's size.
//
// Thread safety: pure functions of their arguments (the engine is thread-safe).
#ifndef STOCKD_DAEMON_SERVER_BATCH_OPS_H_
#define STOCKD_DAEMON_SERVER_BATCH_OPS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "daemon/engine/engine.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::server {

// One batch op as its command and the filler of its result.
struct BatchItem {
  std::string request_id;
  engine::CommandBody body;
  std::function<void(const engine::Outcome&, v1::BatchResult*)> fill;
};

// The op's item; nullopt when no operation is set.
std::optional<BatchItem> ToItem(const v1::BatchOperation& op);

// An upper bound of the encoded size of one op's BatchResult; `location_bytes` is the
// longest location id of the model in force.
int64_t MaxResultBytes(const v1::BatchOperation& op, const engine::Engine& engine,
                       int64_t location_bytes);

// The longest location id of the engine's model now (a reload may add a longer one).
int64_t MaxLocationBytes(const engine::Engine& engine);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_BATCH_OPS_H_
