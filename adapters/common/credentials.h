// Credentials of a channel's API (access tokens, client secrets, refresh tokens, consumer
// keys): never inline in the YAML, never logged, never in a process's arguments. The
// adapter config names where each one is, by one of two keys:
//
//   <name>_file: /etc/stockd/secrets/shopify-token   a file (mode 0600 or stricter) whose
//                                                     content, less trailing newlines, is it
//   <name>_env: SHOPIFY_TOKEN                         an environment variable of the daemon
//
// An inline `<name>` is refused with a message that says so. A Credential can be re-read
// (Reload): an operator who fixes a rejected token by rewriting its file is picked up
// without a restart (AuthPause in auth_pause.h).
//
// Thread safety: a Credential is used by one thread at a time.
#ifndef STOCKD_ADAPTERS_COMMON_CREDENTIALS_H_
#define STOCKD_ADAPTERS_COMMON_CREDENTIALS_H_

#include <string>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {

class Credential {
 public:
  Credential() = default;

  // Reads the credential `name` (e.g. "access_token") from config["<name>_file"] or
  // config["<name>_env"]. Throws sdk::Error naming the key when both or (if `required`)
  // neither is set, when `name` itself is set inline, or when the source cannot be read,
  // is empty, or is a file group or others may read. Not required and absent: empty().
  static Credential FromConfig(const stockd::sdk::Json& config, const std::string& name,
                               bool required = true);
  // The two keys a credential `name` may use, for sdk::RejectUnknownKeys lists.
  static std::string FileKey(const std::string& name) { return name + "_file"; }
  static std::string EnvKey(const std::string& name) { return name + "_env"; }

  bool empty() const { return value_.empty(); }
  const std::string& value() const { return value_; }
  // Where it comes from, for messages: `file "/x"` or `environment variable X`.
  std::string source() const;

  // Reads the source again. Returns true when the value changed; throws sdk::Error when it
  // cannot be read (the old value is kept).
  bool Reload();

 private:
  static std::string ReadFile(const std::string& name, const std::string& path);
  static std::string ReadEnv(const std::string& name, const std::string& variable);

  std::string name_;
  std::string file_;  // one of file_ and env_ is set
  std::string env_;
  std::string value_;
};

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_CREDENTIALS_H_
