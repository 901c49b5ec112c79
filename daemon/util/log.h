// Logging for every layer. One level enum; the structured writer the daemon logs with (one
// JSON object per line on stderr, which journald keeps as is); and Sink, the (level,
// message) callback through which a component that knows nothing of the daemon's logging
// (engine, storage, push) hands its lines to whoever owns it.
//
// Level, LevelName and Sink are header-only: the engine library, which does not link the
// writer, uses them too.
//
// The least severe level written is process-wide (SetMinLevel: the config's log.level,
// default info, applied at start and by a live reload); Write and every Sink drop lines
// below it.
//
// Thread safety: every function is thread-safe; each line is written with one write(2).
#ifndef STOCKD_DAEMON_UTIL_LOG_H_
#define STOCKD_DAEMON_UTIL_LOG_H_

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace stockd::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error": the `level` of a JSON log line.
constexpr const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// "debug" | "info" | "warn" | "error" -> the level; nullopt for anything else.
std::optional<Level> ParseLevel(std::string_view name);

// Lines below `level` are dropped from now on (an atomic store: any thread, any time).
void SetMinLevel(Level level);
Level MinLevel();
// Whether a line at `level` would be written (skip building an expensive debug line).
bool Enabled(Level level);

// Receives a component's log lines. Who calls it says from which threads and with which
// locks held; a Sink must not block.
using Sink = std::function<void(Level level, const std::string& msg)>;

using Field = std::pair<const char*, std::string>;

// {"ts_ms":<wall clock ms>,"level":"<LevelName>","msg":"<msg>","<field>":"<value>",...}
// Nothing when `level` is below MinLevel().
void Write(Level level, const std::string& msg, std::initializer_list<Field> fields = {});
void Debug(const std::string& msg, std::initializer_list<Field> fields = {});
void Info(const std::string& msg, std::initializer_list<Field> fields = {});
void Warn(const std::string& msg, std::initializer_list<Field> fields = {});
void Error(const std::string& msg, std::initializer_list<Field> fields = {});

// A Sink that writes every line with {"component": component} (a string literal or other
// storage that outlives the Sink).
Sink ComponentSink(const char* component);

// JSON string escaping (exposed for tests).
std::string JsonEscape(const std::string& s);

}  // namespace stockd::log

#endif  // STOCKD_DAEMON_UTIL_LOG_H_
