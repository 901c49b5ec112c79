// The redis.conf of the embedded redis-server (embedded_redis.h): what stockd asks of the
// Redis it supervises — no TCP port, one private unix socket, append-only file on with the
// configured appendfsync, no RDB snapshots, never daemonized or sd_notify'ing. Written to
// <data_dir>/redis.conf at every start.
//
// Thread safety: pure functions; thread-safe.
#ifndef STOCKD_DAEMON_STORAGE_REDIS_CONF_H_
#define STOCKD_DAEMON_STORAGE_REDIS_CONF_H_

#include <string>

namespace stockd::storage {

// The AOF directory under data_dir (redis.conf `appenddirname`).
inline constexpr char kAofDirName[] = "appendonlydir";

// The whole redis.conf for data directory `dir` (absolute), its unix socket
// `socket_path` and `appendfsync` (always | everysec | no, already validated).
std::string RenderRedisConf(const std::string& dir, const std::string& socket_path,
                            const std::string& appendfsync);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_CONF_H_
