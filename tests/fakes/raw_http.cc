#include "tests/fakes/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace stockd::fakes {
namespace {

// True once `raw` holds the whole head and the Content-Length body it announces.
bool Complete(const std::string& raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = raw.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const size_t cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) return false;
  const size_t length = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
  return raw.size() >= head_end + 4 + length;
}

}  // namespace

std::string BuildRawRequest(const std::string& method, const std::string& target,
                            const std::vector<std::string>& headers, const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + body;
}

RawHttpResponse SendRawHttp(uint16_t port, const std::string& request, int timeout_ms) {
  RawHttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.error = std::string("socket: ") + std::strerror(errno);
    return out;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    out.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return out;
  }
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.error = std::string("send: ") + std::strerror(errno);
      break;  // the server may still have answered (e.g. refused a body it would not read)
    }
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[65536];
  while (!Complete(raw)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      out.error = "no complete answer within the timeout";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server closed: the answer is complete
    raw.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    if (out.error.empty()) out.error = "not an HTTP answer: " + raw.substr(0, 80);
    return out;
  }
  out.error.clear();
  out.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  out.head = raw.substr(0, head_end);
  size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    const size_t line_end = raw.find("\r\n", line_start);
    const std::string line = raw.substr(line_start, line_end - line_start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      const size_t value = line.find_first_not_of(' ', colon + 1);
      out.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    line_start = line_end + 2;
  }
  out.body = raw.substr(head_end + 4);
  const auto length = out.headers.find("content-length");
  if (length != out.headers.end()) {
    out.body.resize(std::min(
        out.body.size(), static_cast<size_t>(std::strtoull(length->second.c_str(), nullptr, 10))));
  }
  return out;
}

RawHttpResponse RawHttp(uint16_t port, const std::string& method, const std::string& target,
                        const std::vector<std::string>& headers, const std::string& body,
                        int timeout_ms) {
  return SendRawHttp(port, BuildRawRequest(method, target, headers, body), timeout_ms);
}

RawHttpResponse RawPost(const std::string& url, const std::vector<std::string>& headers,
                        const std::string& body, int timeout_ms) {
  static const std::string kPrefix = "http://127.0.0.1:";
  RawHttpResponse out;
  out.error = "not a loopback http URL: " + url;
  if (url.rfind(kPrefix, 0) != 0) return out;
  const size_t slash = url.find('/', kPrefix.size());
  const std::string port_text = url.substr(kPrefix.size(), slash - kPrefix.size());
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port == 0 || port > 65535) return out;
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  return RawHttp(static_cast<uint16_t>(port), "POST", target, headers, body, timeout_ms);
}

}  // namespace stockd::fakes
