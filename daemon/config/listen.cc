#include "daemon/config/listen.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace stockd::config {
namespace {

constexpr char kUnixPrefix[] = "unix:";
constexpr char kLoopbackOnly[] =
    "without TLS stockd listens only on loopback addresses (127.0.0.0/8, [::1]) or a unix: "
    "socket";

// User text as it appears in a one-line error: control bytes escaped, long text cut.
std::string Quoted(absl::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return absl::StrCat("'", absl::CHexEscape(s), "'");
  return absl::StrCat("'", absl::CHexEscape(s.substr(0, kMax)), "...'");
}

bool IsLoopbackV4(const in_addr& a) { return (ntohl(a.s_addr) >> 24) == 127; }

bool IsLoopbackV6(const in6_addr& a) { return std::memcmp(&a, &in6addr_loopback, sizeof a) == 0; }

std::string AddressText(int family, const void* address) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, address, text, sizeof text);
  return text;
}

absl::Status NotLoopback(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " is not a loopback address; ", kLoopbackOnly));
}

// Every address `name` resolves to must be loopback.
absl::Status CheckResolvedName(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("host ", Quoted(name), " does not resolve (", gai_strerror(rc), ")"));
  }
  std::vector<std::string> outside;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      const in_addr& a = reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
      if (!IsLoopbackV4(a)) outside.push_back(AddressText(AF_INET, &a));
    } else if (ai->ai_family == AF_INET6) {
      const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
      if (!IsLoopbackV6(a)) outside.push_back(AddressText(AF_INET6, &a));
    } else {
      outside.push_back(absl::StrCat("an address of family ", ai->ai_family));
    }
  }
  freeaddrinfo(result);
  if (outside.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("host ", Quoted(name), " resolves to ",
                                                    absl::StrJoin(outside, ", "),
                                                    " (not loopback); ", kLoopbackOnly));
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(std::string_view std_address, int min_port) {
  const absl::string_view address(std_address.data(), std_address.size());
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return absl::InvalidArgumentError("expected host:port");
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  if (host.empty()) return absl::InvalidArgumentError("expected host:port; the host is empty");
  HostPort result;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError("expected [ipv6]:port");
    }
    host = host.substr(1, host.size() - 2);
    result.bracketed = true;
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError("an IPv6 host must be in brackets, e.g. [::1]:50551");
  }
  int value = -1;
  if (!port.empty() && port.size() <= 5 &&
      port.find_first_not_of("0123456789") == absl::string_view::npos) {
    value = 0;
    for (char c : port) value = value * 10 + (c - '0');
  }
  if (value < min_port || value > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "port ", Quoted(port), " must be an integer between ", min_port, " and 65535"));
  }
  result.host = std::string(host);
  result.port = value;
  return result;
}

absl::Status CheckListenAddress(std::string_view listen) {
  // The address ends up in C strings (getaddrinfo, the socket path): a NUL or another
  // control byte would cut or disguise it.
  if (std::any_of(listen.begin(), listen.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return absl::InvalidArgumentError("contains a control byte");
  }
  if (listen.starts_with(kUnixPrefix)) {
    if (listen.size() == std::strlen(kUnixPrefix)) {
      return absl::InvalidArgumentError("expected unix:/path/to/socket; the path is empty");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<HostPort> hp = ParseHostPort(listen, /*min_port=*/0);
  if (!hp.ok()) return hp.status();
  if (hp->bracketed) {
    in6_addr a;
    if (inet_pton(AF_INET6, hp->host.c_str(), &a) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quoted(hp->host), " in brackets is not a numeric IPv6 address"));
    }
    if (!IsLoopbackV6(a)) return NotLoopback(AddressText(AF_INET6, &a));
    return absl::OkStatus();
  }
  in_addr a;
  if (inet_pton(AF_INET, hp->host.c_str(), &a) == 1) {
    if (!IsLoopbackV4(a)) return NotLoopback(hp->host);
    return absl::OkStatus();
  }
  return CheckResolvedName(hp->host);
}

}  // namespace stockd::config
