#include "tests/fakes/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace stockd::fakes {
namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 207:
      return "Multi-Status";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Head(int status, const std::string& content_type,
                 const std::vector<std::pair<std::string, std::string>>& headers, size_t body_size,
                 bool keep_alive) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  head += "Content-Length: " + std::to_string(body_size) + "\r\n\r\n";
  return head;
}

}  // namespace

std::string HttpRequest::Header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpAnswer HttpAnswer::Json(int status, std::string body) {
  HttpAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

HttpAnswer HttpAnswer::Reset() {
  HttpAnswer a;
  a.action = Action::kReset;
  return a;
}

HttpAnswer HttpAnswer::Hold(int ms) {
  HttpAnswer a;
  a.action = Action::kHold;
  a.hold_ms = ms;
  return a;
}

FakeHttpServer::FakeHttpServer(Handler handler, uint16_t port, size_t max_body_bytes)
    : handler_(std::move(handler)), requested_port_(port), max_body_bytes_(max_body_bytes) {}

FakeHttpServer::~FakeHttpServer() { Stop(); }

std::string FakeHttpServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int64_t FakeHttpServer::ConnectionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connection_count_;
}

bool FakeHttpServer::Start(std::string* error) {
  const auto fail = [&](const std::string& what) {
    *error = what + ": " + std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    listen_fd_ = wake_fd_ = -1;
    return false;
  };
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail("socket");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(requested_port_);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail("bind 127.0.0.1:" + std::to_string(requested_port_));
  }
  if (::listen(listen_fd_, 128) != 0) return fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return fail("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail("eventfd");
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void FakeHttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    for (const auto& c : connections_) {
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    }
    cv_.notify_all();
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  accept_thread_.join();
  // The accept loop is gone, so nothing else touches the list now.
  for (const auto& c : connections_) c->thread.join();
  connections_.clear();
  ::close(listen_fd_);
  ::close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

bool FakeHttpServer::SleepUnlessStopped(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void FakeHttpServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    ReapFinished();
    if (stopping_) {
      ::close(fd);
      return;
    }
    ++connection_count_;
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void FakeHttpServer::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done.load()) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

// Reads one request into *request; false when the peer closed or sent garbage (after
// answering it).
bool FakeHttpServer::ReadRequest(int fd, std::string* buffer, HttpRequest* request) {
  const auto fill = [&] {
    char chunk[16 << 10];
    while (true) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer->append(chunk, static_cast<size_t>(n));
      return true;
    }
  };
  const auto refuse = [&](int status, const std::string& message) {
    const std::string body = "{\"error\":\"" + message + "\"}";
    SendAll(fd, Head(status, "application/json", {}, body.size(), false) + body);
    return false;
  };
  size_t header_end;
  while ((header_end = buffer->find("\r\n\r\n")) == std::string::npos) {
    if (buffer->size() > kMaxHeaderBytes) return refuse(413, "headers too large");
    if (!fill()) return false;
  }
  const std::string head = buffer->substr(0, header_end);
  buffer->erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return refuse(400, "bad request line");
  request->method = request_line.substr(0, sp1);
  request->target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string version = request_line.substr(sp2 + 1);
  const size_t question = request->target.find('?');
  request->path = request->target.substr(0, question);
  request->query = question == std::string::npos ? "" : request->target.substr(question + 1);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return refuse(400, "bad header line");
    request->headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
  }
  const std::string connection_header = Lower(request->Header("connection"));
  request->keep_alive =
      version == "HTTP/1.1" ? connection_header != "close" : connection_header == "keep-alive";
  if (!request->Header("transfer-encoding").empty()) {
    return refuse(411, "chunked bodies are not supported: send Content-Length");
  }
  size_t length = 0;
  if (auto it = request->headers.find("content-length"); it != request->headers.end()) {
    char* end = nullptr;
    length = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0') return refuse(400, "bad Content-Length");
    if (length > max_body_bytes_) return refuse(413, "body too large");
  }
  if (length > 0 && Lower(request->Header("expect")) == "100-continue") {
    if (!SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
  }
  while (buffer->size() < length) {
    if (!fill()) return false;
  }
  request->body = buffer->substr(0, length);
  buffer->erase(0, length);
  return true;
}

void FakeHttpServer::Serve(Connection* connection) {
  const int fd = connection->fd;
  std::string buffer;
  bool reset = false;
  while (true) {
    HttpRequest request;
    if (!ReadRequest(fd, &buffer, &request)) break;
    const HttpAnswer answer = handler_(request);
    if (answer.action == HttpAnswer::Action::kReset) {
      reset = true;
      break;
    }
    if (answer.action == HttpAnswer::Action::kHold) {
      SleepUnlessStopped(answer.hold_ms);
      break;
    }
    const std::string head = Head(answer.status, answer.content_type, answer.headers,
                                  answer.body.size(), request.keep_alive);
    if (!SendAll(fd, head + answer.body) || !request.keep_alive) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (reset) {
    const linger abort_on_close{1, 0};  // close() sends RST instead of FIN
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
  ::close(fd);
  connection->fd = -1;
  connection->done.store(true);
}

Fault Fault::Latency(int ms) {
  Fault f;
  f.kind = Kind::kLatency;
  f.ms = ms;
  return f;
}

Fault Fault::Status(int status, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers) {
  Fault f;
  f.kind = Kind::kStatus;
  f.status = status;
  f.body = std::move(body);
  f.headers = std::move(headers);
  return f;
}

Fault Fault::Reset() {
  Fault f;
  f.kind = Kind::kReset;
  return f;
}

Fault Fault::Hold(int ms) {
  Fault f;
  f.kind = Kind::kHold;
  f.ms = ms;
  return f;
}

void FaultQueue::Push(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}

void FaultQueue::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

size_t FaultQueue::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_.size();
}

std::optional<HttpAnswer> FaultQueue::Play(FakeHttpServer* server) {
  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (faults_.empty()) return std::nullopt;
    fault = std::move(faults_.front());
    faults_.pop_front();
  }
  switch (fault.kind) {
    case Fault::Kind::kLatency:
      if (!server->SleepUnlessStopped(fault.ms)) return HttpAnswer::Reset();
      return std::nullopt;
    case Fault::Kind::kStatus: {
      HttpAnswer a = HttpAnswer::Json(fault.status, std::move(fault.body));
      a.headers = std::move(fault.headers);
      return a;
    }
    case Fault::Kind::kReset:
      return HttpAnswer::Reset();
    case Fault::Kind::kHold:
      return HttpAnswer::Hold(fault.ms);
  }
  return std::nullopt;
}

std::optional<std::string> UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> ParseQuery(const std::string& query) {
  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const size_t eq = pair.find('=');
    const auto name = UrlDecode(pair.substr(0, eq));
    const auto value = UrlDecode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!name.has_value() || !value.has_value()) return std::nullopt;
    if (!name->empty()) params[*name] = *value;
    start = end + 1;
  }
  return params;
}

std::string Base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

}  // namespace stockd::fakes
