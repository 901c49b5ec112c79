// What an audit query asks for (ListAudit, docs/audit.md): every filter is optional and
// they combine with AND. One definition of "matches" for both places an audit entry is
// read from: the durable ledger in Redis (storage/audit_ledger.h) and the in-memory ring
// of redis.mode: memory (Engine::ListAudit).
//
// Pure data and a pure function; thread-safe.
#ifndef STOCKD_DAEMON_ENGINE_AUDIT_QUERY_H_
#define STOCKD_DAEMON_ENGINE_AUDIT_QUERY_H_

#include <cstdint>
#include <string>

#include "daemon/engine/commands.h"

namespace stockd::engine {

struct AuditQuery {
  std::string sku;         // a row of the entry (before or after) is of this SKU
  std::string location;    // ... at this location
  std::string channel;     // the entry's channel
  std::string hold_id;     // the entry's hold
  std::string request_id;  // the entry's request id
  std::string actor;       // who made it (the client's name)
  int64_t since_ms = 0;    // time_ms >= since_ms (0 = no lower bound)
  int64_t until_ms = 0;    // time_ms < until_ms (0 = no upper bound)

  bool Matches(const AuditEntry& entry) const;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_AUDIT_QUERY_H_
