// A fake sales channel that speaks the webhook adapter's protocol (adapters/README.md), for
// tests and the demo. It listens on 127.0.0.1, accepts
//   GET  /orders?channel=c&after=CURSOR&limit=N
//                                     channel c's orders that changed after CURSOR, a page
//                                     at a time (orders(): fake_order_book.h, whose
//                                     placements lower channel c's listing quantities)
//   POST /stock                       a batch of quantities (stores them under the batch's
//                                     channel, answers 200)
//   POST /alerts                      a batch of stock alerts ({"channel", "sent_at_ms",
//                                     "alerts": [{"kind", "sku", ...}]}): stored, 200
//   GET  /stock?channel=c&listing_ids=a,b,c
//                                     {"quantities": {"a": 5, "b": null}}: channel c's own
//                                     quantities (without `channel`: the latest stored for
//                                     each listing on any channel)
// verifies the HMAC-SHA256 signature as a real receiver would (401 when a secret is set
// and the signature is missing or wrong), rejects malformed JSON with 400, and answers each
// request according to a programmable schedule of faults (429, 500, slow, timeout,
// connection reset, per-item errors); an empty schedule means "answer normally".
//
// It runs on FakeHttpServer (http_server.h), so that a fault can be exact: a reset is a TCP
// RST after the request was read, a timeout holds the connection open without a byte of
// answer.
//
// Thread safety: every public method may be called from any thread. Each connection is
// served by its own thread; callbacks run on those threads.
#ifndef STOCKD_TESTS_FAKES_FAKE_CHANNEL_SERVER_H_
#define STOCKD_TESTS_FAKES_FAKE_CHANNEL_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_order_book.h"
#include "tests/fakes/http_server.h"
#include "tests/fakes/order_delivery.h"

namespace stockd::fakes {

// How the fake answers one request. Build with the named constructors.
struct Behaviour {
  enum class Kind {
    kOk,            // answer normally
    k429,           // 429 Too Many Requests, with Retry-After
    k500,           // 500 Internal Server Error
    kSlow,          // wait delay_ms, then answer normally
    kTimeout,       // read the request, hold the connection silent for delay_ms, close it
    kReset,         // read the request, close with a TCP RST and no answer
    kPerItemError,  // 200 with {"results": [...]}: `listing` is "error", the rest "ok"
    kStatus,        // answer `status` with `body` (e.g. 404, 400), store nothing
  };

  Kind kind = Kind::kOk;
  int retry_after_s = -1;   // k429: the Retry-After seconds (-1: no header)
  std::string retry_after;  // k429: a literal Retry-After value (an HTTP-date), if set
  int delay_ms = 0;         // kSlow, kTimeout
  std::string listing;      // kPerItemError
  std::string message;      // kPerItemError: the item's message
  int status = 200;         // kStatus
  std::string body;         // kStatus
  bool apply = false;       // kTimeout, kReset: store the batch before failing (the
                            // "processed, but the answer was lost" case)

  static Behaviour Ok() { return {}; }
  static Behaviour TooManyRequests(int retry_after_s) {
    Behaviour b;
    b.kind = Kind::k429;
    b.retry_after_s = retry_after_s;
    return b;
  }
  static Behaviour TooManyRequestsUntil(std::string http_date) {
    Behaviour b;
    b.kind = Kind::k429;
    b.retry_after = std::move(http_date);
    return b;
  }
  static Behaviour ServerError() {
    Behaviour b;
    b.kind = Kind::k500;
    return b;
  }
  static Behaviour Slow(int delay_ms) {
    Behaviour b;
    b.kind = Kind::kSlow;
    b.delay_ms = delay_ms;
    return b;
  }
  static Behaviour Timeout(int hold_ms, bool apply = false) {
    Behaviour b;
    b.kind = Kind::kTimeout;
    b.delay_ms = hold_ms;
    b.apply = apply;
    return b;
  }
  static Behaviour Reset(bool apply = false) {
    Behaviour b;
    b.kind = Kind::kReset;
    b.apply = apply;
    return b;
  }
  static Behaviour PerItemError(std::string listing, std::string message = "unknown listing") {
    Behaviour b;
    b.kind = Kind::kPerItemError;
    b.listing = std::move(listing);
    b.message = std::move(message);
    return b;
  }
  static Behaviour Status(int status, std::string body) {
    Behaviour b;
    b.kind = Kind::kStatus;
    b.status = status;
    b.body = std::move(body);
    return b;
  }
};

struct ReceivedItem {
  std::string sku;
  std::string listing_id;
  int64_t quantity = 0;
  int64_t previous = -1;
};

// One batch the fake accepted (stored).
struct ReceivedBatch {
  int64_t received_ms = 0;  // system clock, Unix epoch ms
  std::string channel;
  int64_t sent_at_ms = 0;
  std::vector<ReceivedItem> items;
};

// Every request, as received, and what the fake answered.
struct RequestRecord {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  Behaviour::Kind behaviour = Behaviour::Kind::kOk;
  int status = 0;  // the status answered; 0 when no answer was sent
};

class FakeChannelServer {
 public:
  struct Options {
    std::string secret;  // HMAC key; empty: signatures are not checked
    uint16_t port = 0;   // 0: an ephemeral port
    // Compare-and-set, as Shopify's changeFromQuantity: an item whose `previous` (>= 0)
    // is not the listing's current quantity is refused with status "conflict" and not
    // written (the channel sold units, or was edited, since stockd's last push).
    bool compare_and_set = false;
  };

  FakeChannelServer() : FakeChannelServer(Options{}) {}
  explicit FakeChannelServer(Options options);
  ~FakeChannelServer();  // Stop()s
  FakeChannelServer(const FakeChannelServer&) = delete;
  FakeChannelServer& operator=(const FakeChannelServer&) = delete;

  // Binds and starts serving. Returns false with *error set when it cannot.
  bool Start(std::string* error);
  // Closes every connection (interrupting held ones) and joins every thread. Idempotent.
  void Stop();

  uint16_t port() const;
  std::string url() const;         // http://127.0.0.1:<port>/stock
  std::string orders_url() const;  // http://127.0.0.1:<port>/orders
  std::string alerts_url() const;  // http://127.0.0.1:<port>/alerts

  // The marketplace's orders, per channel (GET /orders). Placing and cancelling change the
  // channel's own listing quantities (SetChannelQuantity's table).
  FakeOrderBook& orders() { return orders_; }
  // POSTs the orders of options.channel changed after options.after to `url` as signed
  // webhook events, with duplicates / out of order on request (order_delivery.h).
  absl::StatusOr<DeliveryReport> DeliverOrders(const std::string& url, const std::string& secret,
                                               const DeliveryOptions& options) const {
    return fakes::DeliverOrders(orders_, url, secret, options);
  }

  // The schedule: each request consumes the next behaviour; kOk once it is empty.
  void Enqueue(Behaviour behaviour);
  void Enqueue(std::initializer_list<Behaviour> behaviours);
  void ClearSchedule();
  size_t PendingBehaviours() const;

  // The endpoint's state, one listing table per channel (batches carry their channel).
  // Without a channel: the latest quantity stored per listing id on any channel, and
  // SetQuantity edits the listing on every channel (and is what a channel shows for a
  // listing it never had pushed).
  void SetQuantity(const std::string& listing_id, int64_t quantity);
  std::optional<int64_t> Quantity(const std::string& listing_id) const;
  std::map<std::string, int64_t> Quantities() const;
  // One channel's own table, as a fetch naming that channel sees it.
  void SetChannelQuantity(const std::string& channel, const std::string& listing_id,
                          int64_t quantity);
  std::optional<int64_t> ChannelQuantity(const std::string& channel,
                                         const std::string& listing_id) const;
  std::map<std::string, int64_t> ChannelQuantities(const std::string& channel) const;

  std::vector<ReceivedBatch> Batches() const;
  // Every alert received (POST /alerts, answered 200), in arrival order, each the alert
  // object (JSON text) with the batch's "channel" added as "batch_channel".
  std::vector<std::string> Alerts() const;
  std::map<std::string, int64_t> PushCounts() const;  // stored pushes per listing id
  int64_t PushCount(const std::string& listing_id) const;
  // Pushed items refused as compare-and-set conflicts (Options::compare_and_set).
  int64_t Conflicts() const;
  std::vector<RequestRecord> Requests() const;
  size_t RequestCount() const;
  // GET /orders: the order revisions served (one per order per page answered) and how
  // many distinct (channel, order id, revision) they were; the difference was served
  // again (a poll's overlap window, a re-poll after a restart).
  struct OrdersServed {
    int64_t revisions = 0;
    int64_t distinct = 0;
  };
  OrdersServed OrdersServedCount() const;
  int64_t ConnectionCount() const;    // TCP connections accepted so far
  int64_t SignatureFailures() const;  // requests answered 401

  // Waits until RequestCount() >= n or `timeout` passes; returns whether it got there.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  // Waits until the listing's stored quantity is `quantity`.
  bool WaitForQuantity(const std::string& listing_id, int64_t quantity,
                       std::chrono::milliseconds timeout) const;

  // Called after each stored batch, on the connection's thread, without locks held.
  void OnBatch(std::function<void(const ReceivedBatch&)> callback);

 private:
  using Request = HttpRequest;
  struct Answer;

  HttpAnswer Serve(const Request& request);  // the transport's handler
  Answer Handle(const Request& request, const Behaviour& behaviour);
  Answer HandlePush(const Request& request, const Behaviour& behaviour);
  Answer HandleFetch(const Request& request);
  Answer HandleOrders(const Request& request);
  Answer HandleAlerts(const Request& request);
  Behaviour NextBehaviour();
  void Record(const Request& request, Behaviour::Kind kind, int status);
  // What `channel` shows for `listing_id`; requires mu_.
  std::optional<int64_t> ChannelQuantityLocked(const std::string& channel,
                                               const std::string& listing_id) const;

  const Options options_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // signalled on every request and quantity
  std::deque<Behaviour> schedule_;
  std::map<std::string, int64_t> quantities_;  // latest per listing, any channel
  std::map<std::string, std::map<std::string, int64_t>> channel_quantities_;
  std::map<std::string, int64_t> edited_;  // SetQuantity: shown by channels without their own
  std::map<std::string, int64_t> push_counts_;
  int64_t conflicts_ = 0;
  int64_t served_revisions_ = 0;
  std::set<std::string> served_distinct_;  // "<channel> <order id> <revision>"
  std::vector<ReceivedBatch> batches_;
  std::vector<std::string> alerts_;
  std::vector<RequestRecord> requests_;
  int64_t signature_failures_ = 0;
  std::function<void(const ReceivedBatch&)> on_batch_;
  FakeOrderBook orders_;  // calls back into the quantities above (under mu_)
  // Last: destroyed (stopped) first, while everything its handler uses still exists.
  std::unique_ptr<FakeHttpServer> http_;
};

// The signature a receiver expects: "sha256=" + hex(HMAC-SHA256(secret, body)).
std::string WebhookSignature(const std::string& secret, const std::string& body);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_FAKE_CHANNEL_SERVER_H_
