// Parsing the `server` and `redis` sections (keys and bounds: schema.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/listen.h"
#include "daemon/config/parser.h"
#include "daemon/util/secret_file.h"

namespace stockd::config::internal {

using yaml::MapReader;
using yaml::ReadString;
using yaml::Truncated;

void ConfigParser::ParseServer(const Value& v) {
  MapReader server(v, schema::Server().names(), errors_);
  if (auto tls = server.Get("tls")) ParseServerTls(*tls);
  if (auto listen = server.String("listen")) {
    // Well-formed now; loopback or not is judged by CheckListen, after clients.
    absl::Status listenable = CheckListenAddress(*listen);
    if (listenable.ok() || listenable.code() == absl::StatusCode::kFailedPrecondition) {
      config_.server.listen = *listen;
      listen_value_ = *server.Get("listen");
    } else {
      const Value field = *server.Get("listen");
      errors_.Add(field.mark, field.path,
                  absl::StrCat("'", Truncated(*listen), "': ", listenable.message()));
    }
  }
  ReadFields(server, schema::Server(), config_);
}

void ConfigParser::ParseRedis(const Value& v) {
  MapReader redis(v, schema::Redis().names(), errors_);
  RedisConfig& rc = config_.redis;
  bool address_invalid = false;  // reported already; the mode is then unknown
  std::optional<std::string> address = redis.String("address");
  if (address.has_value()) {
    std::string problem;
    if (address->starts_with("unix:")) {
      if (address->size() == 5) problem = "expected unix:/path/to/redis.sock; the path is empty";
    } else if (!address->empty()) {
      absl::StatusOr<HostPort> host_port = ParseHostPort(*address, /*min_port=*/1);
      if (!host_port.ok()) {
        problem =
            absl::StrCat(host_port.status().message(), " (or unix:/path, or \"\" for embedded)");
      }
    }
    if (problem.empty()) {
      rc.address = *address;
    } else {
      address_invalid = true;
      const Value field = *redis.Get("address");
      errors_.Add(field.mark, field.path, absl::StrCat("'", Truncated(*address), "': ", problem));
    }
  }
  rc.mode = rc.address.empty() ? RedisConfig::Mode::kEmbedded : RedisConfig::Mode::kExternal;
  if (std::optional<std::string> mode = redis.String("mode")) {
    const Value field = *redis.Get("mode");
    if (*mode == "embedded" || *mode == "memory") {
      rc.mode = *mode == "embedded" ? RedisConfig::Mode::kEmbedded : RedisConfig::Mode::kMemory;
      if (!rc.address.empty()) {
        errors_.Add(
            field.mark, field.path,
            absl::StrCat("'", *mode, "' takes no redis.address; remove it or use 'external'"));
      }
    } else if (*mode == "external") {
      rc.mode = RedisConfig::Mode::kExternal;
      if (rc.address.empty()) {
        errors_.Add(field.mark, field.path, "'external' needs redis.address");
      }
    } else {
      errors_.Add(field.mark, field.path,
                  absl::StrCat("'", Truncated(*mode), "': expected embedded, external or memory"));
    }
  }
  if (std::optional<std::string> fsync = redis.String("appendfsync")) {
    if (*fsync == "always" || *fsync == "everysec" || *fsync == "no") {
      rc.appendfsync = *fsync;
    } else {
      const Value field = *redis.Get("appendfsync");
      errors_.Add(field.mark, field.path,
                  absl::StrCat("'", Truncated(*fsync), "': expected always, everysec or no"));
    }
  }
  ReadFields(redis, schema::Redis(), config_);  // timeout, max_batch, audit_entries
  ParseRedisSecurity(redis, address_invalid);
}

// redis.username, redis.password_file and redis.tls: an external Redis only. Files are
// checked now (file:line) and read again at every connect; the password is not kept.
void ConfigParser::ParseRedisSecurity(const MapReader& redis, bool address_invalid) {
  RedisConfig& rc = config_.redis;
  auto external_only = [&](const char* key) -> std::optional<Value> {
    std::optional<Value> field = redis.Get(key);
    if (!field.has_value() || address_invalid) return std::nullopt;
    if (rc.mode == RedisConfig::Mode::kExternal) return field;
    errors_.Add(field->mark, field->path,
                rc.mode == RedisConfig::Mode::kEmbedded
                    ? "only for an external Redis (redis.address): the embedded "
                      "redis-server listens on a private unix socket without AUTH or TLS; "
                      "remove it"
                    : "only for an external Redis (redis.address); redis.mode is memory; "
                      "remove it");
    return std::nullopt;
  };
  if (std::optional<Value> field = external_only("password_file")) {
    if (std::optional<std::string> path = ReadString(*field, errors_)) {
      if (path->empty()) {
        errors_.Add(field->mark, field->path, "is empty; remove the key for no AUTH");
      } else if (absl::StatusOr<std::string> secret = util::ReadSecretFile(*path); !secret.ok()) {
        errors_.Add(field->mark, field->path, secret.status().message());
      } else {
        std::fill(secret->begin(), secret->end(), '\0');  // the client reads it at connect
        rc.password_file = *path;
      }
    }
  }
  if (std::optional<Value> field = external_only("username")) {
    if (std::optional<std::string> user = ReadString(*field, errors_)) {
      if (user->empty() || user->find_first_of(" \t\r\n") != std::string::npos) {
        errors_.Add(field->mark, field->path,
                    absl::StrCat("'", Truncated(*user),
                                 "': expected an ACL user name (non-empty, no spaces)"));
      } else if (!redis.Get("password_file").has_value()) {
        errors_.Add(field->mark, field->path, "needs redis.password_file (AUTH user password)");
      } else {
        rc.username = *user;
      }
    }
  }
  if (std::optional<Value> field = external_only("tls")) ParseRedisTls(*field);
}

void ConfigParser::ParseRedisTls(const Value& v) {
  if (config_.redis.address.starts_with("unix:")) {
    errors_.Add(v.mark, v.path, "needs a host:port redis.address; a unix socket has no TLS");
    return;
  }
  MapReader tls(v, schema::RedisTls().names(), errors_);
  RedisTlsConfig out;
  bool ok = true;
  // A readable file's path, or nullopt after reporting why not.
  auto file = [&](const Value& field) -> std::optional<std::string> {
    std::optional<std::string> path = ReadString(field, errors_);
    if (!path.has_value()) return std::nullopt;
    std::string problem;
    if (path->empty()) {
      problem = "is empty; expected the path of a PEM file";
    } else if (const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
      problem = absl::StrCat("cannot read '", Truncated(*path), "': ", std::strerror(errno));
    } else {
      ::close(fd);
      return path;
    }
    errors_.Add(field.mark, field.path, problem);
    return std::nullopt;
  };
  if (std::optional<Value> field = tls.Require("ca_file")) {
    std::optional<std::string> path = file(*field);
    ok = ok && path.has_value();
    if (path.has_value()) out.ca_file = *path;
  } else {
    ok = false;
  }
  std::optional<Value> cert = tls.Get("cert_file");
  std::optional<Value> key = tls.Get("key_file");
  if (cert.has_value() != key.has_value()) {
    const Value& only = cert.has_value() ? *cert : *key;
    errors_.Add(only.mark, only.path,
                cert.has_value()
                    ? "needs redis.tls.key_file too (mTLS: a certificate and its key)"
                    : "needs redis.tls.cert_file too (mTLS: a certificate and its key)");
    ok = false;
  } else if (cert.has_value()) {
    std::optional<std::string> cert_path = file(*cert);
    std::optional<std::string> key_path = file(*key);
    ok = ok && cert_path.has_value() && key_path.has_value();
    if (ok) {
      out.cert_file = *cert_path;
      out.key_file = *key_path;
    }
  }
  if (std::optional<Value> field = tls.Get("server_name")) {
    std::optional<std::string> name = ReadString(*field, errors_);
    if (name.has_value() &&
        (name->empty() || name->find_first_of(" \t\r\n/") != std::string::npos)) {
      errors_.Add(field->mark, field->path,
                  absl::StrCat("'", Truncated(*name), "': expected a DNS name or an IP address"));
      ok = false;
    } else if (name.has_value()) {
      out.server_name = *name;
    } else {
      ok = false;
    }
  }
  if (ok) config_.redis.tls = std::move(out);
}

}  // namespace stockd::config::internal
