#include "tests/fakes/fake_channel_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace stockd::fakes {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxBodyBytes = 16 << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

// Decodes %XX and '+' (form encoding); nullopt on a broken escape.
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

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
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

std::string ErrorBody(const std::string& message) { return Json{{"error", message}}.dump(); }

}  // namespace

struct FakeChannelServer::Request {
  std::string method;
  std::string target;
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;
  std::string body;
  bool keep_alive = true;
};

struct FakeChannelServer::Answer {
  int status = 200;
  std::string body;
  std::string retry_after;
};

std::string WebhookSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

FakeChannelServer::FakeChannelServer(Options options)
    : options_(std::move(options)),
      orders_(FakeOrderBook::Stock{
          [this](const std::string& channel, const std::string& listing_id) {
            std::lock_guard<std::mutex> lock(mu_);
            return ChannelQuantityLocked(channel, listing_id).value_or(0);
          },
          [this](const std::string& channel, const std::string& listing_id, int64_t quantity) {
            std::lock_guard<std::mutex> lock(mu_);
            quantities_[listing_id] = quantity;
            channel_quantities_[channel][listing_id] = quantity;
            cv_.notify_all();
          }}) {}

FakeChannelServer::~FakeChannelServer() { Stop(); }

std::string FakeChannelServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/stock";
}

std::string FakeChannelServer::orders_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/orders";
}

bool FakeChannelServer::Start(std::string* error) {
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
  addr.sin_port = htons(options_.port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail("bind 127.0.0.1:" + std::to_string(options_.port));
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

void FakeChannelServer::Stop() {
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

void FakeChannelServer::AcceptLoop() {
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

void FakeChannelServer::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done.load()) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

bool FakeChannelServer::SleepUnlessStopped(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

Behaviour FakeChannelServer::NextBehaviour() {
  std::lock_guard<std::mutex> lock(mu_);
  if (schedule_.empty()) return Behaviour::Ok();
  Behaviour b = std::move(schedule_.front());
  schedule_.pop_front();
  return b;
}

void FakeChannelServer::Record(const Request& request, Behaviour::Kind kind, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(
      {request.method, request.target, request.headers, request.body, kind, status});
  if (status == 401) ++signature_failures_;
  cv_.notify_all();
}

void FakeChannelServer::Serve(Connection* connection) {
  const int fd = connection->fd;
  std::string buffer;
  bool reset = false;
  // Reads one request into *request; false when the peer closed or sent garbage (after
  // answering it).
  const auto read_request = [&](Request* request) {
    const auto fill = [&] {
      char chunk[16 << 10];
      while (true) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<size_t>(n));
        return true;
      }
    };
    const auto refuse = [&](int status, const std::string& message) {
      const std::string body = ErrorBody(message);
      SendAll(fd,
              "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
                  "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
      return false;
    };
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes) return refuse(413, "headers too large");
      if (!fill()) return false;
    }
    const std::string head = buffer.substr(0, header_end);
    buffer.erase(0, header_end + 4);
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
    const auto header = [&](const char* name) {
      const auto it = request->headers.find(name);
      return it == request->headers.end() ? std::string() : Lower(it->second);
    };
    const std::string connection_header = header("connection");
    request->keep_alive =
        version == "HTTP/1.1" ? connection_header != "close" : connection_header == "keep-alive";
    if (request->headers.count("transfer-encoding") != 0) {
      return refuse(411, "chunked bodies are not supported: send Content-Length");
    }
    size_t length = 0;
    if (auto it = request->headers.find("content-length"); it != request->headers.end()) {
      char* end = nullptr;
      length = std::strtoull(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end != '\0') return refuse(400, "bad Content-Length");
      if (length > kMaxBodyBytes) return refuse(413, "body too large");
    }
    if (length > 0 && header("expect") == "100-continue") {
      if (!SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
    }
    while (buffer.size() < length) {
      if (!fill()) return false;
    }
    request->body = buffer.substr(0, length);
    buffer.erase(0, length);
    return true;
  };

  while (true) {
    Request request;
    if (!read_request(&request)) break;
    const Behaviour behaviour = NextBehaviour();
    if (behaviour.kind == Behaviour::Kind::kReset || behaviour.kind == Behaviour::Kind::kTimeout) {
      if (behaviour.apply && request.method == "POST") (void)HandlePush(request, Behaviour::Ok());
      Record(request, behaviour.kind, 0);
      if (behaviour.kind == Behaviour::Kind::kTimeout) {
        SleepUnlessStopped(behaviour.delay_ms);
      } else {
        reset = true;
      }
      break;
    }
    if (behaviour.kind == Behaviour::Kind::kSlow && !SleepUnlessStopped(behaviour.delay_ms)) {
      Record(request, behaviour.kind, 0);
      break;
    }
    const Answer answer = Handle(request, behaviour);
    Record(request, behaviour.kind, answer.status);
    std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                           Reason(answer.status) + "\r\nContent-Type: application/json\r\n";
    if (!answer.retry_after.empty()) response += "Retry-After: " + answer.retry_after + "\r\n";
    if (!request.keep_alive) response += "Connection: close\r\n";
    response += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
    if (!SendAll(fd, response) || !request.keep_alive) break;
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

FakeChannelServer::Answer FakeChannelServer::Handle(const Request& request,
                                                    const Behaviour& behaviour) {
  if (request.path != "/stock" && request.path != "/orders") {
    return {404, ErrorBody("no such path: " + request.path), ""};
  }
  switch (behaviour.kind) {
    case Behaviour::Kind::k429: {
      Answer a{429, ErrorBody("too many requests"), behaviour.retry_after};
      if (a.retry_after.empty() && behaviour.retry_after_s >= 0) {
        a.retry_after = std::to_string(behaviour.retry_after_s);
      }
      return a;
    }
    case Behaviour::Kind::k500:
      return {500, ErrorBody("internal error"), ""};
    case Behaviour::Kind::kStatus:
      return {behaviour.status, behaviour.body, ""};
    default:
      break;
  }
  if (!options_.secret.empty()) {
    const auto it = request.headers.find("x-stockd-signature");
    const std::string expected = WebhookSignature(options_.secret, request.body);
    if (it == request.headers.end() || it->second.size() != expected.size() ||
        CRYPTO_memcmp(it->second.data(), expected.data(), expected.size()) != 0) {
      return {401,
              ErrorBody(it == request.headers.end() ? "missing X-Stockd-Signature"
                                                    : "bad X-Stockd-Signature"),
              ""};
    }
  }
  if (request.path == "/orders") {
    if (request.method == "GET") return HandleOrders(request);
    return {405, ErrorBody("method not allowed: " + request.method), ""};
  }
  if (request.method == "POST") return HandlePush(request, behaviour);
  if (request.method == "GET") return HandleFetch(request);
  return {405, ErrorBody("method not allowed: " + request.method), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandlePush(const Request& request,
                                                        const Behaviour& behaviour) {
  const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto bad = [](const std::string& message) { return Answer{400, ErrorBody(message), ""}; };
  if (!body.is_object()) return bad("the body is not a JSON object");
  if (!body.contains("channel") || !body["channel"].is_string())
    return bad("no string \"channel\"");
  if (!body.contains("sent_at_ms") || !body["sent_at_ms"].is_number_integer()) {
    return bad("no integer \"sent_at_ms\"");
  }
  if (!body.contains("items") || !body["items"].is_array()) return bad("no array \"items\"");
  ReceivedBatch batch;
  batch.received_ms = NowMs();
  batch.channel = body["channel"].get<std::string>();
  batch.sent_at_ms = body["sent_at_ms"].get<int64_t>();
  const auto timestamp = request.headers.find("x-stockd-timestamp");
  if (timestamp == request.headers.end() || timestamp->second != std::to_string(batch.sent_at_ms)) {
    return bad("X-Stockd-Timestamp does not match sent_at_ms");
  }
  Json results = Json::array();
  for (const Json& item : body["items"]) {
    if (!item.is_object() || !item.contains("sku") || !item["sku"].is_string() ||
        !item.contains("listing_id") || !item["listing_id"].is_string() ||
        !item.contains("quantity") || !item["quantity"].is_number_integer() ||
        !item.contains("previous") || !item["previous"].is_number_integer()) {
      return bad("an item lacks sku, listing_id, quantity or previous: " + item.dump());
    }
    ReceivedItem received{item["sku"].get<std::string>(), item["listing_id"].get<std::string>(),
                          item["quantity"].get<int64_t>(), item["previous"].get<int64_t>()};
    if (behaviour.kind == Behaviour::Kind::kPerItemError &&
        received.listing_id == behaviour.listing) {
      results.push_back({{"listing_id", received.listing_id},
                         {"status", "error"},
                         {"message", behaviour.message}});
      continue;
    }
    results.push_back({{"listing_id", received.listing_id}, {"status", "ok"}});
    batch.items.push_back(std::move(received));
  }
  std::function<void(const ReceivedBatch&)> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Compare-and-set in the same critical section as the write: an order placed
    // meanwhile cannot slip between the check and the write.
    for (auto it = batch.items.begin(); options_.compare_and_set && it != batch.items.end();) {
      const auto& shown = channel_quantities_[batch.channel];
      const auto current = shown.find(it->listing_id);
      if (it->previous < 0 || current == shown.end() || current->second == it->previous) {
        ++it;
        continue;
      }
      for (Json& r : results) {
        if (r["listing_id"] != it->listing_id) continue;
        r["status"] = "conflict";
        r["message"] = "the listing shows " + std::to_string(current->second) + ", not " +
                       std::to_string(it->previous);
      }
      ++conflicts_;
      it = batch.items.erase(it);
    }
    for (const ReceivedItem& item : batch.items) {
      quantities_[item.listing_id] = item.quantity;
      channel_quantities_[batch.channel][item.listing_id] = item.quantity;
      ++push_counts_[item.listing_id];
    }
    batches_.push_back(batch);
    callback = on_batch_;
    cv_.notify_all();
  }
  if (callback) callback(batch);
  if (behaviour.kind == Behaviour::Kind::kPerItemError || options_.compare_and_set) {
    return {200, Json{{"results", results}}.dump(), ""};
  }
  return {200, Json{{"accepted", batch.items.size()}}.dump(), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandleFetch(const Request& request) {
  std::optional<std::string> ids_param;
  std::optional<std::string> channel;
  size_t start = 0;
  while (start <= request.query.size()) {
    size_t end = request.query.find('&', start);
    if (end == std::string::npos) end = request.query.size();
    const std::string pair = request.query.substr(start, end - start);
    if (pair.rfind("listing_ids=", 0) == 0) ids_param = pair.substr(12);
    if (pair.rfind("channel=", 0) == 0) {
      channel = UrlDecode(pair.substr(8));
      if (!channel.has_value()) return {400, ErrorBody("bad escape in channel"), ""};
    }
    start = end + 1;
  }
  if (!ids_param.has_value()) return {400, ErrorBody("missing listing_ids"), ""};
  Json quantities = Json::object();
  std::lock_guard<std::mutex> lock(mu_);
  start = 0;
  while (start <= ids_param->size()) {
    size_t end = ids_param->find(',', start);
    if (end == std::string::npos) end = ids_param->size();
    const std::optional<std::string> id = UrlDecode(ids_param->substr(start, end - start));
    if (!id.has_value()) return {400, ErrorBody("bad escape in listing_ids"), ""};
    if (!id->empty()) {
      std::optional<int64_t> have;
      if (channel.has_value()) {
        have = ChannelQuantityLocked(*channel, *id);
      } else if (const auto it = quantities_.find(*id); it != quantities_.end()) {
        have = it->second;
      }
      quantities[*id] = have.has_value() ? Json(*have) : Json(nullptr);
    }
    start = end + 1;
  }
  return {200, Json{{"quantities", quantities}}.dump(), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandleOrders(const Request& request) {
  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start < request.query.size()) {
    size_t end = request.query.find('&', start);
    if (end == std::string::npos) end = request.query.size();
    const std::string pair = request.query.substr(start, end - start);
    const size_t eq = pair.find('=');
    const std::optional<std::string> value =
        UrlDecode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!value.has_value()) return {400, ErrorBody("bad escape in " + pair), ""};
    params[pair.substr(0, eq)] = *value;
    start = end + 1;
  }
  size_t limit = 100;
  if (const auto it = params.find("limit"); it != params.end()) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < 1 || n > 1000) {
      return {400, ErrorBody("limit must be an integer in [1, 1000]"), ""};
    }
    limit = static_cast<size_t>(n);
  }
  const absl::StatusOr<FakeOrderPage> page =
      orders_.List(params["channel"], params["after"], limit);
  if (!page.ok()) return {400, ErrorBody(std::string(page.status().message())), ""};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const FakeOrder& order : page->orders) {
      ++served_revisions_;
      served_distinct_.insert(params["channel"] + " " + order.order_id + " " +
                              std::to_string(order.revision));
    }
  }
  return {200, FakeOrderPageJson(*page), ""};
}

void FakeChannelServer::Enqueue(Behaviour behaviour) {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.push_back(std::move(behaviour));
}

void FakeChannelServer::Enqueue(std::initializer_list<Behaviour> behaviours) {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.insert(schedule_.end(), behaviours.begin(), behaviours.end());
}

void FakeChannelServer::ClearSchedule() {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.clear();
}

size_t FakeChannelServer::PendingBehaviours() const {
  std::lock_guard<std::mutex> lock(mu_);
  return schedule_.size();
}

void FakeChannelServer::SetQuantity(const std::string& listing_id, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  quantities_[listing_id] = quantity;
  edited_[listing_id] = quantity;
  for (auto& [channel, table] : channel_quantities_) {
    if (auto it = table.find(listing_id); it != table.end()) it->second = quantity;
  }
  cv_.notify_all();
}

void FakeChannelServer::SetChannelQuantity(const std::string& channel,
                                           const std::string& listing_id, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  quantities_[listing_id] = quantity;
  channel_quantities_[channel][listing_id] = quantity;
  cv_.notify_all();
}

std::optional<int64_t> FakeChannelServer::ChannelQuantityLocked(
    const std::string& channel, const std::string& listing_id) const {
  if (const auto table = channel_quantities_.find(channel); table != channel_quantities_.end()) {
    if (const auto it = table->second.find(listing_id); it != table->second.end()) {
      return it->second;
    }
  }
  if (const auto it = edited_.find(listing_id); it != edited_.end()) return it->second;
  return std::nullopt;
}

std::optional<int64_t> FakeChannelServer::ChannelQuantity(const std::string& channel,
                                                          const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ChannelQuantityLocked(channel, listing_id);
}

std::map<std::string, int64_t> FakeChannelServer::ChannelQuantities(
    const std::string& channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out = edited_;
  if (const auto table = channel_quantities_.find(channel); table != channel_quantities_.end()) {
    for (const auto& [listing, quantity] : table->second) out[listing] = quantity;
  }
  return out;
}

std::optional<int64_t> FakeChannelServer::Quantity(const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = quantities_.find(listing_id);
  if (it == quantities_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, int64_t> FakeChannelServer::Quantities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quantities_;
}

std::vector<ReceivedBatch> FakeChannelServer::Batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

std::map<std::string, int64_t> FakeChannelServer::PushCounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return push_counts_;
}

FakeChannelServer::OrdersServed FakeChannelServer::OrdersServedCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {served_revisions_, static_cast<int64_t>(served_distinct_.size())};
}

int64_t FakeChannelServer::Conflicts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conflicts_;
}

int64_t FakeChannelServer::PushCount(const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = push_counts_.find(listing_id);
  return it == push_counts_.end() ? 0 : it->second;
}

std::vector<RequestRecord> FakeChannelServer::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t FakeChannelServer::RequestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

int64_t FakeChannelServer::ConnectionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connection_count_;
}

int64_t FakeChannelServer::SignatureFailures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signature_failures_;
}

bool FakeChannelServer::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool FakeChannelServer::WaitForQuantity(const std::string& listing_id, int64_t quantity,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    const auto it = quantities_.find(listing_id);
    return it != quantities_.end() && it->second == quantity;
  });
}

void FakeChannelServer::OnBatch(std::function<void(const ReceivedBatch&)> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  on_batch_ = std::move(callback);
}

}  // namespace stockd::fakes
