// The HTTP/1.1 transport every fake channel API is built on: a small hand-written server
// on 127.0.0.1 (keep-alive, Content-Length bodies, one thread per connection) that hands
// each request to a handler and sends what the handler answers, so that a fault can be
// exact: a reset is a TCP RST after the request was read, a hold keeps the connection
// open without a byte of answer.
//
// The fakes' common fault schedule (FaultQueue) lives here too: latency, a status with a
// body (5xx, 429, an expired token's 401/403), a reset, a hold. Each fake pops one fault
// per request of the kind it applies to and answers it before doing its own work.
//
// Thread safety: every public method may be called from any thread. The handler runs on
// the connections' threads, concurrently with itself.
#ifndef STOCKD_TESTS_FAKES_HTTP_SERVER_H_
#define STOCKD_TESTS_FAKES_HTTP_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace stockd::fakes {

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::string path;                            // the target up to '?', not decoded
  std::string query;                           // after '?', not decoded
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed
  std::string body;
  bool keep_alive = true;

  // The header's value ("" when absent); `lower_name` lower-case.
  std::string Header(const std::string& lower_name) const;
};

struct HttpAnswer {
  enum class Action {
    kRespond,  // send status, headers, body
    kReset,    // send nothing: close with a TCP RST
    kHold,     // send nothing for hold_ms (or until Stop), then close
  };

  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::string body;
  Action action = Action::kRespond;
  int hold_ms = 0;

  static HttpAnswer Json(int status, std::string body);
  static HttpAnswer Reset();
  static HttpAnswer Hold(int ms);
  HttpAnswer& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

class FakeHttpServer {
 public:
  using Handler = std::function<HttpAnswer(const HttpRequest&)>;

  // `port` 0: an ephemeral port. Bodies over `max_body_bytes` are refused 413 unread.
  explicit FakeHttpServer(Handler handler, uint16_t port = 0, size_t max_body_bytes = 16 << 20);
  ~FakeHttpServer();  // Stop()s
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  // Binds and starts serving. Returns false with *error set when it cannot.
  bool Start(std::string* error);
  // Closes every connection (interrupting held ones) and joins every thread. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:<port>
  int64_t ConnectionCount() const;

  // Sleeps `ms` unless Stop() comes first; returns false when stopped. For handlers that
  // play latency.
  bool SleepUnlessStopped(int ms);

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop();
  void Serve(Connection* connection);
  bool ReadRequest(int fd, std::string* buffer, HttpRequest* request);
  void ReapFinished();  // requires mu_

  const Handler handler_;
  const uint16_t requested_port_;
  const size_t max_body_bytes_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that stops the accept loop
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled at stop
  bool started_ = false;
  bool stopping_ = false;
  std::list<std::unique_ptr<Connection>> connections_;
  int64_t connection_count_ = 0;
};

// One injected fault. Build with the named constructors.
struct Fault {
  enum class Kind {
    kLatency,  // wait ms, then answer normally
    kStatus,   // answer status with body (and headers), do nothing else
    kReset,    // read the request, close with a TCP RST
    kHold,     // read the request, say nothing for ms, close
  };
  Kind kind = Kind::kLatency;
  int ms = 0;
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Fault Latency(int ms);
  static Fault Status(int status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {});
  static Fault ServerError() { return Status(500, "{\"error\":\"internal error\"}"); }
  static Fault Reset();
  static Fault Hold(int ms);
};

// A thread-safe queue of faults: each request takes the next one; none once empty.
class FaultQueue {
 public:
  void Push(Fault fault);
  void Clear();
  size_t Pending() const;
  // Takes the next fault and plays it: a latency sleeps (on `server`) and returns nullopt
  // (answer normally); any other fault returns the answer to send instead.
  std::optional<HttpAnswer> Play(FakeHttpServer* server);

 private:
  mutable std::mutex mu_;
  std::deque<Fault> faults_;
};

// Percent-decoding of one query component ('+' is a space); nullopt on a bad escape.
std::optional<std::string> UrlDecode(const std::string& s);
// name=value&... decoded; a repeated name keeps its last value. nullopt on a bad escape.
std::optional<std::map<std::string, std::string>> ParseQuery(const std::string& query);
// RFC 4648 base64 (with padding), and HMAC-SHA256 of `data` keyed with `key`.
std::string Base64(const std::string& bytes);
std::string HmacSha256(const std::string& key, const std::string& data);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_HTTP_SERVER_H_
