#include "daemon/util/log.h"

#include <unistd.h>

#include "daemon/util/clock.h"
#include "daemon/util/json.h"

namespace stockd::log {

void Write(Level level, const std::string& msg, std::initializer_list<Field> fields) {
  std::string line = "{\"ts_ms\":" + std::to_string(util::WallMs()) + ",\"level\":\"" +
                     LevelName(level) + "\",\"msg\":\"" + JsonEscape(msg) + "\"";
  for (const Field& f : fields) {
    line += ",\"";
    line += f.first;
    line += "\":\"" + JsonEscape(f.second) + "\"";
  }
  line += "}\n";
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void Info(const std::string& msg, std::initializer_list<Field> fields) {
  Write(Level::kInfo, msg, fields);
}
void Warn(const std::string& msg, std::initializer_list<Field> fields) {
  Write(Level::kWarn, msg, fields);
}
void Error(const std::string& msg, std::initializer_list<Field> fields) {
  Write(Level::kError, msg, fields);
}

Sink ComponentSink(const char* component) {
  return [component](Level level, const std::string& msg) {
    Write(level, msg, {{"component", component}});
  };
}

std::string JsonEscape(const std::string& s) { return util::JsonEscape(s); }

}  // namespace stockd::log
