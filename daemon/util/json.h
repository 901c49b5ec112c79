// JSON string escaping, shared by the JSON log lines, the embedded Redis supervisor's log
// and the YAML-to-JSON conversion of adapter configs. Pure function; thread-safe.
#ifndef STOCKD_DAEMON_UTIL_JSON_H_
#define STOCKD_DAEMON_UTIL_JSON_H_

#include <string>

namespace stockd::util {

// `s` escaped for use inside a JSON string literal (without the surrounding quotes):
// quote, backslash and control bytes are escaped; other bytes pass through.
std::string JsonEscape(const std::string& s);

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_JSON_H_
