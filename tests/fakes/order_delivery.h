// The fake marketplace's signed order webhooks: each order of a FakeOrderBook that
// changed after a cursor, POSTed as one event to a receiver URL, signed as the webhook
// protocol signs (adapters/README.md), with duplicates and out-of-order delivery on
// request, as real marketplaces deliver them. stockd's receiver does not exist yet; this
// is the sender side for its tests.
//
// One event per request:
//   POST <path>  Content-Type: application/json
//   X-Stockd-Timestamp: <sent_at_ms>
//   X-Stockd-Signature: sha256=<hex HMAC-SHA256(secret, body)>   (when a secret is given)
//   X-Stockd-Event-Id: <channel>/<order id>/<revision>
//   {"event_id":"...","channel":"C","sent_at_ms":...,"order":{ one order of GET /orders }}
//
// Thread safety: DeliverOrders reads the book through its thread-safe List and may run on
// any thread; it blocks until every request was answered or failed.
#ifndef STOCKD_TESTS_FAKES_ORDER_DELIVERY_H_
#define STOCKD_TESTS_FAKES_ORDER_DELIVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/fakes/fake_order_book.h"

namespace stockd::fakes {

struct DeliveryOptions {
  std::string channel;
  std::string after;          // the book's cursor: deliver the orders changed after it
  int duplicates = 0;         // each event is sent 1 + duplicates times
  bool reverse = false;       // newest change first (out of order)
  uint64_t shuffle_seed = 0;  // != 0: a seeded shuffle of the events instead
  int timeout_ms = 2000;      // per request (connect, send, answer)
};

struct DeliveryReport {
  std::vector<std::string> event_ids;  // in the order sent, duplicates included
  std::vector<int> statuses;           // the receiver's answer per request; 0: no answer
};

// Sends the events to `url` (http://127.0.0.1:<port>/<path> or another IPv4 address: the
// fake speaks plain HTTP/1.1 only). InvalidArgument for a URL it cannot use or a bad
// cursor; a request that fails is reported as status 0, not as an error.
absl::StatusOr<DeliveryReport> DeliverOrders(const FakeOrderBook& book, const std::string& url,
                                             const std::string& secret,
                                             const DeliveryOptions& options);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_ORDER_DELIVERY_H_
