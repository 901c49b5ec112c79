#include "tests/fakes/order_delivery.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "tests/fakes/fake_channel_server.h"

namespace stockd::fakes {
namespace {

struct Target {
  sockaddr_in addr{};
  std::string host;  // host[:port] as the URL says it
  std::string path;
};

absl::StatusOr<Target> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("not an http:// URL: ", url));
  }
  Target t;
  const size_t slash = url.find('/', kScheme.size());
  t.host = url.substr(kScheme.size(),
                      slash == std::string::npos ? std::string::npos : slash - kScheme.size());
  t.path = slash == std::string::npos ? "/" : url.substr(slash);
  const size_t colon = t.host.find(':');
  const std::string ip = t.host.substr(0, colon);
  unsigned long port = 80;
  if (colon != std::string::npos) {
    char* end = nullptr;
    port = std::strtoul(t.host.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in ", url));
    }
  }
  t.addr.sin_family = AF_INET;
  t.addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &t.addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", ip));
  }
  return t;
}

// One request on a fresh connection; the answer's status, 0 when there was none.
int Post(const Target& target, const std::string& head, const std::string& body, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int status = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target.addr), sizeof target.addr) == 0) {
    const std::string request = head + body;
    size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    std::string answer;
    char chunk[4096];
    while (sent == request.size() && answer.find("\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      answer.append(chunk, static_cast<size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    const size_t space = answer.find(' ');
    if (answer.rfind("HTTP/", 0) == 0 && space != std::string::npos) {
      status = std::atoi(answer.c_str() + space + 1);
    }
  }
  ::close(fd);
  return status;
}

}  // namespace

absl::StatusOr<DeliveryReport> DeliverOrders(const FakeOrderBook& book, const std::string& url,
                                             const std::string& secret,
                                             const DeliveryOptions& options) {
  absl::StatusOr<Target> target = ParseUrl(url);
  if (!target.ok()) return target.status();
  std::vector<FakeOrder> orders;
  std::string after = options.after;
  for (;;) {
    absl::StatusOr<FakeOrderPage> page = book.List(options.channel, after, 1000);
    if (!page.ok()) return page.status();
    orders.insert(orders.end(), page->orders.begin(), page->orders.end());
    after = page->next_cursor;
    if (!page->has_more) break;
  }
  if (options.shuffle_seed != 0) {
    std::mt19937_64 rng(options.shuffle_seed);
    std::shuffle(orders.begin(), orders.end(), rng);
  } else if (options.reverse) {
    std::reverse(orders.begin(), orders.end());
  }
  DeliveryReport report;
  for (const FakeOrder& order : orders) {
    const std::string event_id =
        absl::StrCat(options.channel, "/", order.order_id, "/", order.revision);
    for (int copy = 0; copy <= std::max(options.duplicates, 0); ++copy) {
      const int64_t sent_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
      const std::string body = nlohmann::ordered_json{
          {"event_id", event_id},
          {"channel", options.channel},
          {"sent_at_ms", sent_at_ms},
          {"order",
           FakeOrderToJson(order)}}.dump();
      std::string head =
          absl::StrCat("POST ", target->path, " HTTP/1.1\r\nHost: ", target->host,
                       "\r\nContent-Type: application/json\r\nConnection: close",
                       "\r\nX-Stockd-Timestamp: ", sent_at_ms, "\r\nX-Stockd-Event-Id: ", event_id);
      if (!secret.empty()) {
        absl::StrAppend(&head, "\r\nX-Stockd-Signature: ", WebhookSignature(secret, body));
      }
      absl::StrAppend(&head, "\r\nContent-Length: ", body.size(), "\r\n\r\n");
      report.event_ids.push_back(event_id);
      report.statuses.push_back(Post(*target, head, body, options.timeout_ms));
    }
  }
  return report;
}

}  // namespace stockd::fakes
