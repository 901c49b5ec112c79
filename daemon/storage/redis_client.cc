#include "daemon/storage/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/util/secret_file.h"

namespace stockd::storage {
namespace {

timeval ToTimeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

Reply Copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

// `st` with the same code, its message prefixed by the address.
absl::Status AtAddress(const std::string& address, const absl::Status& st) {
  return absl::Status(st.code(), absl::StrCat("redis at '", address, "': ", st.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const std::string& address, int64_t timeout_ms, const RedisSecurity& security) {
  // hiredis writes with plain write(2): a peer that died would raise SIGPIPE and kill the
  // process instead of returning EPIPE. Ignore it once, process-wide.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  const timeval tv = ToTimeval(timeout_ms);
  redisContext* ctx = nullptr;
  std::unique_ptr<RedisConnection> conn;
  if (address.rfind("unix:", 0) == 0) {
    if (security.tls.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "redis address '", address, "': TLS needs host:port; a unix socket has no TLS"));
    }
    ctx = redisConnectUnixWithTimeout(address.substr(5).c_str(), tv);
  } else {
    size_t colon = address.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
        port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis address '", address, "': expected host:port or unix:/path"));
    }
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (security.tls.has_value()) {
      absl::StatusOr<std::unique_ptr<TlsStream>> stream =
          TlsStream::Connect(host, port, *security.tls, timeout_ms);
      if (!stream.ok()) return AtAddress(address, stream.status());
      conn.reset(new RedisConnection(std::move(*stream), address));
    } else {
      ctx = redisConnectWithTimeout(host.c_str(), port, tv);
    }
  }
  if (conn == nullptr) {
    if (ctx == nullptr) return absl::UnavailableError("redis: cannot allocate a connection");
    if (ctx->err) {
      std::string err = ctx->errstr;
      redisFree(ctx);
      return absl::UnavailableError(absl::StrCat("redis at '", address, "': ", err));
    }
    if (redisSetTimeout(ctx, tv) != REDIS_OK) {
      redisFree(ctx);
      return absl::UnavailableError("redis: cannot set the socket timeout");
    }
    conn.reset(new RedisConnection(ctx, address));
  }
  conn->timeout_ms_ = timeout_ms;
  if (absl::Status st = conn->Authenticate(security); !st.ok()) return st;
  return conn;
}

RedisConnection::RedisConnection(redisContext* ctx, std::string address)
    : ctx_(ctx), address_(std::move(address)) {}

RedisConnection::RedisConnection(std::unique_ptr<TlsStream> tls, std::string address)
    : tls_(std::move(tls)), reader_(redisReaderCreate()), address_(std::move(address)) {
  if (reader_ == nullptr) ok_ = false;  // out of memory: every call reports "broken"
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

absl::Status RedisConnection::Authenticate(const RedisSecurity& security) {
  if (security.password_file.empty()) {
    absl::StatusOr<Reply> pong = Command({"PING"});
    if (!pong.ok()) return pong.status();
    if (pong->is_error() && pong->str.rfind("NOAUTH", 0) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("redis at '", address_, "' requires authentication (", pong->str,
                       "); set redis.password_file (and redis.username for an ACL user)"));
    }
    return absl::OkStatus();  // another error (e.g. LOADING) is for the caller's commands
  }
  absl::StatusOr<std::string> password = util::ReadSecretFile(security.password_file);
  if (!password.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis.password_file: ", password.status().message()));
  }
  Args auth = {"AUTH"};
  if (!security.username.empty()) auth.push_back(security.username);
  auth.push_back(*password);
  absl::StatusOr<Reply> reply = Command(auth);
  std::string refusal = reply.ok() && reply->is_error() ? reply->str : "";
  // Redis does not echo the password; make sure no reply of it can reach a log.
  absl::StrReplaceAll({{*password, "<redacted>"}}, &refusal);
  OPENSSL_cleanse(password->data(), password->size());
  OPENSSL_cleanse(auth.back().data(), auth.back().size());
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis at '", address_, "' refused AUTH as ",
                     security.username.empty() ? "the default user"
                                               : absl::StrCat("user '", security.username, "'"),
                     " with the password from redis.password_file: ", refusal));
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::Broken(const std::string& what, const std::string& why) {
  ok_ = false;
  return absl::UnavailableError(absl::StrCat("redis at '", address_, "': ", what, ": ", why));
}

absl::StatusOr<Reply> RedisConnection::Command(const Args& args) {
  absl::StatusOr<std::vector<Reply>> replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return std::move((*replies)[0]);
}

absl::StatusOr<std::vector<Reply>> RedisConnection::Pipeline(const std::vector<Args>& commands) {
  if (absl::Status st = Send(commands); !st.ok()) return st;
  return Receive(commands.size());
}

absl::Status RedisConnection::Send(const std::vector<Args>& commands) {
  if (!ok_) return absl::UnavailableError(absl::StrCat("redis at '", address_, "': broken"));
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  std::string out;  // TLS: every formatted command, written at once
  for (const Args& args : commands) {
    argv.clear();
    argvlen.clear();
    for (const std::string& a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    if (tls_ != nullptr) {
      char* formatted = nullptr;
      const int len = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(),
                                             argvlen.data());
      if (len < 0) return Broken("format", "out of memory");
      out.append(formatted, static_cast<size_t>(len));
      redisFreeCommand(formatted);
    } else if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(),
                                      argvlen.data()) != REDIS_OK) {
      return Broken("append", PlainError());
    }
  }
  if (tls_ != nullptr) {
    absl::Status st = tls_->WriteAll(out.data(), out.size());
    return st.ok() ? st : Broken("write", std::string(st.message()));
  }
  // Flush the whole output buffer now (a blocking socket with a send timeout).
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return Broken("write", PlainError());
  }
  return absl::OkStatus();
}

absl::StatusOr<void*> RedisConnection::ReadTlsReply() {
  char buf[16 * 1024];
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
      return Broken("read", absl::StrCat("protocol error: ", reader_->errstr));
    }
    if (reply != nullptr) return reply;
    absl::StatusOr<size_t> n = tls_->ReadSome(buf, sizeof buf);
    if (!n.ok()) return Broken("read", std::string(n.status().message()));
    if (redisReaderFeed(reader_, buf, *n) != REDIS_OK) {
      return Broken("read", absl::StrCat("protocol error: ", reader_->errstr));
    }
  }
}

absl::StatusOr<std::vector<Reply>> RedisConnection::Receive(size_t count) {
  if (!ok_) return absl::UnavailableError(absl::StrCat("redis at '", address_, "': broken"));
  std::vector<Reply> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (tls_ != nullptr) {
      absl::StatusOr<void*> reply = ReadTlsReply();
      if (!reply.ok()) return reply.status();
      raw = *reply;
    } else if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      return Broken("read", PlainError());
    }
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(Copy(reply));
    freeReplyObject(reply);
  }
  return out;
}

std::string RedisConnection::PlainError() const {
  if (!ctx_->err) return "closed";
  // A blocking socket whose SO_RCVTIMEO/SO_SNDTIMEO ran out: hiredis reports strerror(EAGAIN).
  if (ctx_->err == REDIS_ERR_IO && std::strcmp(ctx_->errstr, std::strerror(EAGAIN)) == 0) {
    return absl::StrCat("no answer within the ", timeout_ms_, " ms timeout");
  }
  return ctx_->errstr;
}

}  // namespace stockd::storage
