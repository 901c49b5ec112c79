// A plain-socket HTTP/1.1 client for the fake WooCommerce shop's webhooks and the tests'
// raw requests (raw_http.h).
#include "tests/fakes/woocommerce/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace stockd::fakes::wp {

RawResponse SendRaw(uint16_t port, const std::string& request, int timeout_ms) {
  RawResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    char chunk[16 << 10];
    while (true) {
      const size_t head_end = answer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = answer.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) {
          const size_t length = std::strtoull(answer.c_str() + cl + 16, nullptr, 10);
          if (answer.size() >= head_end + 4 + length) break;
        }
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      answer.append(chunk, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t head_end = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/", 0) != 0 || head_end == std::string::npos) return out;
  out.status = std::atoi(answer.c_str() + answer.find(' ') + 1);
  size_t line = answer.find("\r\n") + 2;
  while (line < head_end) {
    const size_t end = answer.find("\r\n", line);
    const std::string header = answer.substr(line, end - line);
    const size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      const size_t value = header.find_first_not_of(' ', colon + 1);
      out.headers[name] = value == std::string::npos ? "" : header.substr(value);
    }
    line = end + 2;
  }
  out.body = answer.substr(head_end + 4);
  return out;
}

std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + body;
}

RawResponse Post(const std::string& url, const std::vector<std::string>& headers,
                 const std::string& body, int timeout_ms) {
  static const std::string kPrefix = "http://127.0.0.1:";
  if (url.rfind(kPrefix, 0) != 0) return {};
  const size_t slash = url.find('/', kPrefix.size());
  const std::string port_text = url.substr(kPrefix.size(), slash - kPrefix.size());
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port == 0 || port > 65535) return {};
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  return SendRaw(static_cast<uint16_t>(port), BuildRequest("POST", target, headers, body),
                 timeout_ms);
}

}  // namespace stockd::fakes::wp
