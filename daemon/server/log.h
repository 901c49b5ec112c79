// Structured logging: one JSON object per line on stderr (journald keeps it as is).
// Thread-safe: each line is written with a single write(2).
#ifndef STOCKD_DAEMON_SERVER_LOG_H_
#define STOCKD_DAEMON_SERVER_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

namespace stockd::log {

using Field = std::pair<const char*, std::string>;

void Info(const std::string& msg, std::initializer_list<Field> fields = {});
void Warn(const std::string& msg, std::initializer_list<Field> fields = {});
void Error(const std::string& msg, std::initializer_list<Field> fields = {});

// JSON string escaping (exposed for tests).
std::string JsonEscape(const std::string& s);

}  // namespace stockd::log

#endif  // STOCKD_DAEMON_SERVER_LOG_H_
