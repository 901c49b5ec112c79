#include "daemon/cli/args.h"

#include <charconv>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/util/duration.h"

namespace stockd::cli {
namespace {

constexpr absl::string_view kDefaultAddr = "127.0.0.1:50551";

constexpr FlagSpec kGlobalFlags[] = {
    {"addr", "HOST:PORT", "daemon address (default $STOCKD_ADDR, else 127.0.0.1:50551)"},
    {"json", "", "print the response message(s) as JSON, one object per line"},
    {"actor", "NAME", "who you are, recorded in the audit log (default $USER)"},
    {"timeout", "SECONDS", "deadline of each call (default 10)"},
    {"tls-ca", "FILE", "speak TLS, trusting this PEM CA (default $STOCKD_TLS_CA)"},
    {"tls-cert", "FILE", "client certificate for mTLS, with --tls-key ($STOCKD_TLS_CERT)"},
    {"tls-key", "FILE", "the client certificate's key ($STOCKD_TLS_KEY)"},
    {"tls-server-name", "NAME",
     "name the server's certificate must carry (default the host of --addr)"},
    {"token-file", "FILE", "file holding the bearer token ($STOCKD_TOKEN_FILE)"},
};

const FlagSpec* FindFlag(std::span<const FlagSpec> flags, absl::string_view name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

bool LooksLikeFlag(absl::string_view token) {
  return token.size() > 2 && absl::StartsWith(token, "--");
}

// Splits "--name=value" into name and value; "--name" gives no value.
void SplitFlag(absl::string_view token, absl::string_view* name,
               std::optional<absl::string_view>* value) {
  token.remove_prefix(2);
  size_t eq = token.find('=');
  if (eq == absl::string_view::npos) {
    *name = token;
    value->reset();
  } else {
    *name = token.substr(0, eq);
    *value = token.substr(eq + 1);
  }
}

// Takes the value of a flag: inline ("--x=v") or the next token.
std::optional<std::string> TakeValue(std::span<char* const> tokens, size_t* index,
                                     std::optional<absl::string_view> inline_value) {
  if (inline_value) return std::string(*inline_value);
  if (*index + 1 >= tokens.size()) return std::nullopt;
  ++*index;
  return std::string(tokens[*index]);
}

}  // namespace

std::span<const FlagSpec> GlobalFlags() { return kGlobalFlags; }

GlobalOptions DefaultGlobalOptions() {
  GlobalOptions options;
  const char* addr = std::getenv("STOCKD_ADDR");
  options.addr = (addr != nullptr && *addr != '\0') ? addr : std::string(kDefaultAddr);
  const char* user = std::getenv("USER");
  options.actor = (user != nullptr && *user != '\0') ? user : "stockctl";
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
  };
  options.tls_ca = env("STOCKD_TLS_CA");
  options.tls_cert = env("STOCKD_TLS_CERT");
  options.tls_key = env("STOCKD_TLS_KEY");
  options.tls_server_name = env("STOCKD_TLS_SERVER_NAME");
  options.token_file = env("STOCKD_TOKEN_FILE");
  return options;
}

bool ConsumeGlobalFlag(std::span<char* const> tokens, size_t* index, GlobalOptions* options,
                       std::string* error) {
  absl::string_view token = tokens[*index];
  if (!LooksLikeFlag(token)) return false;
  absl::string_view name;
  std::optional<absl::string_view> inline_value;
  SplitFlag(token, &name, &inline_value);
  const FlagSpec* spec = FindFlag(kGlobalFlags, name);
  if (spec == nullptr) return false;

  if (name == "json") {
    if (inline_value) {
      *error = "--json takes no value";
    } else {
      options->json = true;
    }
    ++*index;
    return true;
  }
  std::optional<std::string> value = TakeValue(tokens, index, inline_value);
  ++*index;
  if (!value) {
    *error = absl::StrCat("--", name, " needs a value (", spec->value_name, ")");
    return true;
  }
  if (name == "addr") {
    if (value->empty()) *error = "--addr must not be empty";
    options->addr = *value;
  } else if (name == "actor") {
    bool printable = !value->empty();
    for (char c : *value) printable = printable && absl::ascii_isprint(c);
    if (!printable) *error = "--actor must be non-empty printable ASCII";
    options->actor = *value;
  } else if (name == "tls-ca" || name == "tls-cert" || name == "tls-key" ||
             name == "tls-server-name" || name == "token-file") {
    if (value->empty()) *error = absl::StrCat("--", name, " must not be empty");
    std::string* target = name == "tls-ca"       ? &options->tls_ca
                          : name == "tls-cert"   ? &options->tls_cert
                          : name == "tls-key"    ? &options->tls_key
                          : name == "token-file" ? &options->token_file
                                                 : &options->tls_server_name;
    *target = *value;
  } else if (name == "timeout") {
    char* end = nullptr;
    double seconds = std::strtod(value->c_str(), &end);
    if (value->empty() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
      *error = absl::StrCat("--timeout: '", *value, "' is not a number of seconds in (0, 86400]");
    } else {
      options->timeout_seconds = seconds;
    }
  }
  return true;
}

Args Args::Parse(std::span<char* const> tokens, std::span<const FlagSpec> flags,
                 GlobalOptions* options) {
  Args args;
  bool flags_ended = false;
  size_t i = 0;
  while (i < tokens.size()) {
    absl::string_view token = tokens[i];
    if (flags_ended) {
      args.positionals_.emplace_back(token);
      ++i;
      continue;
    }
    if (token == "--") {
      flags_ended = true;
      ++i;
      continue;
    }
    if (token == "-h" || token == "--help") {
      args.help_requested_ = true;
      ++i;
      continue;
    }
    if (!absl::StartsWith(token, "-") || token == "-" ||
        (token.size() > 1 && absl::ascii_isdigit(token[1]))) {
      args.positionals_.emplace_back(token);
      ++i;
      continue;
    }
    std::string global_error;
    if (ConsumeGlobalFlag(tokens, &i, options, &global_error)) {
      if (!global_error.empty()) args.Fail(global_error);
      continue;
    }
    if (!LooksLikeFlag(token)) {
      args.Fail(absl::StrCat("unknown option '", token, "'"));
      ++i;
      continue;
    }
    absl::string_view name;
    std::optional<absl::string_view> inline_value;
    SplitFlag(token, &name, &inline_value);
    const FlagSpec* spec = FindFlag(flags, name);
    if (spec == nullptr) {
      args.Fail(absl::StrCat("unknown option '--", name, "'"));
      ++i;
      continue;
    }
    std::string key(name);
    if (args.flags_.contains(key) && !spec->repeated) {
      args.Fail(absl::StrCat("--", name, " given twice"));
    }
    if (spec->value_name.empty()) {
      if (inline_value) args.Fail(absl::StrCat("--", name, " takes no value"));
      args.flags_[key].emplace_back();
      ++i;
      continue;
    }
    std::optional<std::string> value = TakeValue(tokens, &i, inline_value);
    ++i;
    if (!value) {
      args.Fail(absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
      continue;
    }
    args.flags_[key].push_back(std::move(*value));
  }
  return args;
}

std::string Args::Value(absl::string_view flag, absl::string_view fallback) const {
  auto it = flags_.find(flag);
  if (it == flags_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> Args::Values(absl::string_view flag) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return {};
  return it->second;
}

int64_t Args::Int(absl::string_view text, absl::string_view what) {
  std::optional<int64_t> value = ParseInt64(text);
  if (!value) {
    Fail(absl::StrCat(what, ": '", text, "' is not a whole number"));
    return 0;
  }
  return *value;
}

int64_t Args::PositiveInt(absl::string_view text, absl::string_view what) {
  std::optional<int64_t> value = ParseInt64(text);
  if (!value || *value <= 0) {
    Fail(absl::StrCat(what, ": '", text, "' is not a positive whole number"));
    return 1;
  }
  return *value;
}

int32_t Args::PositiveInt32(absl::string_view text, absl::string_view what) {
  int64_t value = PositiveInt(text, what);
  if (value > std::numeric_limits<int32_t>::max()) {
    Fail(absl::StrCat(what, ": '", text, "' is too large"));
    return 1;
  }
  return static_cast<int32_t>(value);
}

int64_t Args::DurationMs(absl::string_view text, absl::string_view what) {
  std::optional<int64_t> value = ParseDurationMs(text);
  if (!value || *value <= 0) {
    Fail(absl::StrCat(what, ": '", text,
                      "' is not a duration (an integer and one unit: 500ms, 30s, 15m, 2h, 7d)"));
    return 1;
  }
  return *value;
}

int64_t Args::TimeMs(absl::string_view text, absl::string_view what, int64_t now_ms) {
  std::optional<int64_t> at = ParseTimeArg(text, now_ms);
  if (!at || *at <= 0) {
    Fail(absl::StrCat(what, " '", text,
                      "': expected a time (2026-12-03T10:00:00Z, 2026-12-03 10:00 local) "
                      "or how long ago (30m, 2h, 7d)"));
    return 1;
  }
  return *at;
}

void Args::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

std::optional<int64_t> ParseInt64(absl::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseDurationMs(absl::string_view text) {
  absl::StatusOr<int64_t> ms = util::ParseDurationMs(std::string_view(text.data(), text.size()));
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

std::optional<int64_t> ParseTimeArg(absl::string_view text, int64_t now_ms) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return absl::ToUnixMillis(t);
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, absl::LocalTimeZone(), &t, &error)) {
      return absl::ToUnixMillis(t);
    }
  }
  std::optional<int64_t> ago = ParseDurationMs(text);
  if (!ago.has_value() || *ago > now_ms) return std::nullopt;
  return now_ms - *ago;
}

std::optional<LineArg> ParseLineArg(absl::string_view text) {
  LineArg line;
  size_t at = text.rfind('@');
  if (at != absl::string_view::npos) {
    line.location = std::string(text.substr(at + 1));
    if (line.location.empty()) return std::nullopt;
    text = text.substr(0, at);
  }
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return std::nullopt;
  std::optional<int64_t> qty = ParseInt64(text.substr(colon + 1));
  if (!qty) return std::nullopt;
  line.sku = std::string(text.substr(0, colon));
  line.qty = *qty;
  return line;
}

}  // namespace stockd::cli
