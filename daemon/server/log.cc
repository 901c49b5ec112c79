#include "daemon/server/log.h"

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

std::string JsonEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void Info(const std::string& msg, std::initializer_list<Field> fields) { Write("info", msg, fields); }
void Warn(const std::string& msg, std::initializer_list<Field> fields) { Write("warn", msg, fields); }
void Error(const std::string& msg, std::initializer_list<Field> fields) {
  Write("error", msg, fields);
}

}  // namespace stockd::log
