#include "daemon/util/log.h"

#include <unistd.h>

#include <atomic>

#include "daemon/util/clock.h"
#include "daemon/util/json.h"

namespace stockd::log {

namespace {
std::atomic<Level> min_level{Level::kInfo};
}  // namespace

std::optional<Level> ParseLevel(std::string_view name) {
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(level)) return level;
  }
  return std::nullopt;
}

void SetMinLevel(Level level) { min_level.store(level, std::memory_order_relaxed); }
Level MinLevel() { return min_level.load(std::memory_order_relaxed); }
bool Enabled(Level level) { return level >= MinLevel(); }

void Write(Level level, const std::string& msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
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

void Debug(const std::string& msg, std::initializer_list<Field> fields) {
  Write(Level::kDebug, msg, fields);
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
