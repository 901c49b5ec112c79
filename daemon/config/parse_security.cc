// Parsing server.tls and clients[] (keys and bounds: schema.h; the rules:
// docs/security.md), and the one rule that ties them to server.listen.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/listen.h"
#include "daemon/config/parser.h"
#include "daemon/config/tls_files.h"
#include "daemon/util/clock.h"

namespace stockd::config {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kRead:
      return "read";
    case Role::kSell:
      return "sell";
    case Role::kOperate:
      return "operate";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

absl::Status CheckListenSecurity(std::string_view listen, const SecurityConfig& security) {
  absl::Status loopback = CheckListenAddress(listen);
  if (loopback.code() != absl::StatusCode::kFailedPrecondition) return loopback;
  if (!security.tls.has_value()) return loopback;
  if (!security.auth()) {
    return absl::FailedPreconditionError(
        "is not a loopback address: a listener other machines can reach needs "
        "authentication as well as TLS; list the callers under clients (docs/security.md)");
  }
  return absl::OkStatus();
}

namespace internal {

using yaml::MapReader;
using yaml::ReadSequence;
using yaml::ReadString;
using yaml::Truncated;

namespace {

bool IsLowerHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

void ConfigParser::ParseServerTls(const Value& v) {
  MapReader tls(v, schema::ServerTls().names(), errors_);
  ServerTlsConfig out;
  bool ok = true;
  auto path = [&](const char* key, bool required) -> std::optional<std::string> {
    std::optional<Value> field = required ? tls.Require(key) : tls.Get(key);
    if (!field.has_value()) {
      ok = ok && !required;
      return std::nullopt;
    }
    std::optional<std::string> p = ReadString(*field, errors_);
    if (!p.has_value()) {
      ok = false;
    } else if (p->empty()) {
      errors_.Add(field->mark, field->path, "is empty; expected the path of a PEM file");
      ok = false;
      return std::nullopt;
    }
    return p;
  };
  std::optional<std::string> cert = path("cert_file", true);
  std::optional<std::string> key = path("key_file", true);
  std::optional<std::string> ca = path("client_ca_file", false);
  if (cert.has_value() && key.has_value()) {
    absl::StatusOr<CertificateInfo> info =
        CheckCertificateAndKey(*cert, *key, util::WallMs());
    if (!info.ok()) {
      const Value field = *tls.Get("cert_file");
      errors_.Add(field.mark, field.path, info.status().message());
      ok = false;
    } else {
      out.cert_file = *cert;
      out.key_file = *key;
    }
  }
  if (ca.has_value()) {
    if (absl::Status st = CheckCaFile(*ca); !st.ok()) {
      const Value field = *tls.Get("client_ca_file");
      errors_.Add(field.mark, field.path, st.message());
      ok = false;
    } else {
      out.client_ca_file = *ca;
    }
  }
  if (std::optional<std::string> mode = tls.String("client_certificate")) {
    const Value field = *tls.Get("client_certificate");
    if (*mode == "require" || *mode == "request") {
      out.require_client_cert = *mode == "require";
      if (!ca.has_value()) {
        errors_.Add(field.mark, field.path,
                    "needs server.tls.client_ca_file (the CA client certificates chain to)");
        ok = false;
      }
    } else {
      errors_.Add(field.mark, field.path,
                  absl::StrCat("'", Truncated(*mode), "': expected require or request"));
      ok = false;
    }
  }
  ReadFields(tls, schema::ServerTls(), out);  // refresh_interval
  if (ok) config_.server.tls = std::move(out);
  server_tls_present_ = true;
}

void ConfigParser::ParseClients(const Value& v) {
  std::vector<Value> items = ReadSequence(v, errors_);
  if (v.node.IsSequence()) {
    CheckCount(v, items.size(), schema::Root().Key("clients").max, "client");
  }
  absl::flat_hash_map<std::string, std::string> names, tokens, certificates;  // -> first path
  for (const Value& item : items) {
    MapReader map(item, schema::Clients().names(), errors_);
    ClientConfig client;
    client.origin = absl::StrCat(errors_.source(), ":", item.mark.line + 1);
    bool ok = true;
    // A value unique among clients, or an error naming the first entry that has it.
    auto unique = [&](absl::flat_hash_map<std::string, std::string>& seen, const Value& field,
                      const std::string& value, const char* what) {
      auto [first, inserted] = seen.emplace(value, item.path);
      if (inserted) return true;
      errors_.Add(field.mark, field.path,
                  absl::StrCat(what, " is already ", first->second, "'s"));
      return false;
    };
    if (std::optional<Value> field = map.Require("name")) {
      std::optional<std::string> name = ReadId(*field);
      if (!name.has_value() || !engine::IsValidId(*name) ||
          !unique(names, *field, *name, absl::StrCat("the name '", *name, "'").c_str())) {
        ok = false;
      } else {
        client.name = *name;
      }
    } else {
      ok = false;
    }
    if (std::optional<Value> field = map.Get("token_sha256")) {
      std::optional<std::string> hash = ReadString(*field, errors_);
      if (hash.has_value()) *hash = absl::AsciiStrToLower(*hash);
      if (!hash.has_value()) {
        ok = false;
      } else if (!IsLowerHex64(*hash)) {
        errors_.Add(field->mark, field->path,
                    absl::StrCat("'", Truncated(*hash),
                                 "': expected the token's SHA-256 as 64 hex digits "
                                 "(stockctl token new NAME prints it); never the token itself"));
        ok = false;
      } else if (!unique(tokens, *field, *hash, "this token hash")) {
        ok = false;
      } else {
        client.token_sha256 = *hash;
      }
    }
    if (std::optional<Value> field = map.Get("certificate")) {
      std::optional<std::string> name = ReadString(*field, errors_);
      if (!name.has_value()) {
        ok = false;
      } else if (name->empty() || name->size() > 253 ||
                 name->find_first_of(" \t\r\n") != std::string::npos) {
        errors_.Add(field->mark, field->path,
                    absl::StrCat("'", Truncated(*name),
                                 "': expected the DNS/URI name or CN of the client's "
                                 "certificate (non-empty, no spaces)"));
        ok = false;
      } else if (!unique(certificates, *field, *name, "this certificate name")) {
        ok = false;
      } else {
        if (!config_.server.tls.has_value() || config_.server.tls->client_ca_file.empty()) {
          if (!server_tls_present_ || config_.server.tls.has_value()) {
            errors_.Add(field->mark, field->path,
                        "needs server.tls.client_ca_file: without it no client certificate "
                        "is asked for or checked");
          }
          ok = false;
        }
        client.certificate = *name;
      }
    }
    if (ok && client.token_sha256.empty() && client.certificate.empty() &&
        !map.Get("token_sha256").has_value() && !map.Get("certificate").has_value()) {
      errors_.Add(item.mark, item.path,
                  "needs token_sha256 or certificate: how else would the client be known?");
      ok = false;
    }
    if (std::optional<Value> field = map.Require("roles")) {
      std::vector<Value> roles = ReadSequence(*field, errors_);
      if (field->node.IsSequence() && roles.empty()) {
        errors_.Add(field->mark, field->path, "must list at least one role");
        ok = false;
      }
      for (const Value& r : roles) {
        std::optional<std::string> name = ReadString(r, errors_);
        if (!name.has_value()) {
          ok = false;
          continue;
        }
        Role role = Role::kNone;
        for (Role candidate : {Role::kRead, Role::kSell, Role::kOperate, Role::kAdmin}) {
          if (*name == RoleName(candidate)) role = candidate;
        }
        if (role == Role::kNone) {
          errors_.Add(r.mark, r.path,
                      absl::StrCat("'", Truncated(*name),
                                   "': expected read, sell, operate or admin"));
          ok = false;
        }
        client.role = std::max(client.role, role);
      }
    } else {
      ok = false;
    }
    if (std::optional<Value> field = map.Get("channels")) {
      std::vector<Value> channels = ReadSequence(*field, errors_);
      bool every = false;
      for (const Value& c : channels) {
        std::optional<std::string> id = ReadString(c, errors_);
        if (!id.has_value()) {
          ok = false;
        } else if (*id == "*") {
          every = true;
        } else if (ChannelIndex(*id) < 0) {
          errors_.Add(c.mark, c.path, absl::StrCat("unknown channel '", Truncated(*id), "'"));
          ok = false;
        } else if (std::find(client.channels.begin(), client.channels.end(), *id) !=
                   client.channels.end()) {
          errors_.Add(c.mark, c.path, absl::StrCat("'", *id, "' is listed twice"));
          ok = false;
        } else {
          client.channels.push_back(*id);
        }
      }
      if (field->node.IsSequence() && channels.empty()) {
        errors_.Add(field->mark, field->path,
                    "must list at least one channel (\"*\" = every channel)");
        ok = false;
      } else if (every && channels.size() > 1) {
        errors_.Add(field->mark, field->path, "\"*\" (every channel) stands alone");
        ok = false;
      }
      if (every) client.channels.clear();
    }
    if (ok) config_.clients.push_back(std::move(client));
    else clients_invalid_ = true;
  }
}

// server.listen against TLS and authentication, once both are parsed.
void ConfigParser::CheckListen() {
  if (!listen_value_.has_value()) {
    // The default listen is loopback; nothing to check.
    return;
  }
  const std::string& listen = config_.server.listen;
  SecurityConfig security = config_.SecuritySlice();
  absl::Status st = CheckListenSecurity(listen, security);
  if (st.code() == absl::StatusCode::kFailedPrecondition &&
      ((server_tls_present_ && !security.tls.has_value()) || clients_invalid_)) {
    return;  // the TLS section or a client is wrong (reported): judge again once fixed
  }
  if (!st.ok()) {
    errors_.Add(listen_value_->mark, listen_value_->path,
                absl::StrCat("'", Truncated(listen), "': ", st.message()));
  }
}

}  // namespace internal
}  // namespace stockd::config
