#include "daemon/storage/redis_client.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/time.h>

#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const std::string& address, int64_t timeout_ms) {
  // hiredis writes with plain write(2): a peer that died would raise SIGPIPE and kill the
  // process instead of returning EPIPE. Ignore it once, process-wide.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  const timeval tv = ToTimeval(timeout_ms);
  redisContext* ctx = nullptr;
  if (address.rfind("unix:", 0) == 0) {
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
    ctx = redisConnectWithTimeout(host.c_str(), port, tv);
  }
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
  return std::unique_ptr<RedisConnection>(new RedisConnection(ctx, address));
}

RedisConnection::RedisConnection(redisContext* ctx, std::string address)
    : ctx_(ctx), address_(std::move(address)) {}

RedisConnection::~RedisConnection() { redisFree(ctx_); }

absl::Status RedisConnection::Broken(const std::string& what) {
  ok_ = false;
  return absl::UnavailableError(
      absl::StrCat("redis at '", address_, "': ", what, ": ", ctx_->err ? ctx_->errstr : "closed"));
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
  for (const Args& args : commands) {
    argv.clear();
    argvlen.clear();
    for (const std::string& a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(),
                               argvlen.data()) != REDIS_OK) {
      return Broken("append");
    }
  }
  // Flush the whole output buffer now (a blocking socket with a send timeout).
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return Broken("write");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> RedisConnection::Receive(size_t count) {
  if (!ok_) return absl::UnavailableError(absl::StrCat("redis at '", address_, "': broken"));
  std::vector<Reply> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return Broken("read");
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(Copy(reply));
    freeReplyObject(reply);
  }
  return out;
}

}  // namespace stockd::storage
