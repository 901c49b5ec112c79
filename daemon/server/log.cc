#include "daemon/server/log.h"

#include "daemon/util/json.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace stockd::log {
namespace {

void Write(const char* level, const std::string& msg, std::initializer_list<Field> fields) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::string line = "{\"ts_ms\":" + std::to_string(ms) + ",\"level\":\"" + level +
                     "\",\"msg\":\"" + JsonEscape(msg) + "\"";
  for (const Field& f : fields) {
    line += ",\"";
    line += f.first;
    line += "\":\"" + JsonEscape(f.second) + "\"";
  }
  line += "}\n";
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

std::string JsonEscape(const std::string& s) { return util::JsonEscape(s); }

void Info(const std::string& msg, std::initializer_list<Field> fields) { Write("info", msg, fields); }
void Warn(const std::string& msg, std::initializer_list<Field> fields) { Write("warn", msg, fields); }
void Error(const std::string& msg, std::initializer_list<Field> fields) {
  Write("error", msg, fields);
}

}  // namespace stockd::log
