#include "common/credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace stockd::adapters {
namespace {

using stockd::sdk::Error;

std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Credential Credential::FromConfig(const stockd::sdk::Json& config, const std::string& name,
                                  bool required) {
  const std::string file_key = FileKey(name);
  const std::string env_key = EnvKey(name);
  if (config.is_object() && config.contains(name) && !config[name].is_null()) {
    throw Error("config: \"" + name + "\" must not be written in the config: put it in a file (" +
                file_key + ") or an environment variable (" + env_key + ")");
  }
  Credential c;
  c.name_ = name;
  c.file_ = stockd::sdk::GetString(config, file_key.c_str(), "");
  c.env_ = stockd::sdk::GetString(config, env_key.c_str(), "");
  if (!c.file_.empty() && !c.env_.empty()) {
    throw Error("config: set one of \"" + file_key + "\" and \"" + env_key + "\", not both");
  }
  if (c.file_.empty() && c.env_.empty()) {
    if (required) {
      throw Error("config: \"" + file_key + "\" or \"" + env_key + "\" is required (where the " +
                  name + " is)");
    }
    return c;
  }
  c.value_ = c.file_.empty() ? ReadEnv(name, c.env_) : ReadFile(name, c.file_);
  return c;
}

std::string Credential::source() const {
  if (!file_.empty()) return "file \"" + file_ + "\"";
  if (!env_.empty()) return "environment variable " + env_;
  return "nowhere";
}

bool Credential::Reload() {
  if (file_.empty() && env_.empty()) return false;
  std::string fresh = file_.empty() ? ReadEnv(name_, env_) : ReadFile(name_, file_);
  if (fresh == value_) return false;
  value_ = std::move(fresh);
  return true;
}

std::string Credential::ReadFile(const std::string& name, const std::string& path) {
  const std::string key = FileKey(name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("config: \"" + key + "\": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error("config: \"" + key + "\": \"" + path + "\" is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    throw Error("config: \"" + key + "\": \"" + path +
                "\" may be read by group or others: chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("config: \"" + key + "\": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error("config: \"" + key + "\": cannot read \"" + path + "\"");
  std::string value = Chomp(content.str());
  if (value.empty()) throw Error("config: \"" + key + "\": \"" + path + "\" is empty");
  return value;
}

std::string Credential::ReadEnv(const std::string& name, const std::string& variable) {
  const std::string key = EnvKey(name);
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) {
    throw Error("config: \"" + key + "\": the environment variable " + variable + " is not set");
  }
  std::string out = Chomp(value);
  if (out.empty()) {
    throw Error("config: \"" + key + "\": the environment variable " + variable + " is empty");
  }
  return out;
}

}  // namespace stockd::adapters
