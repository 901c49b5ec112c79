// The order webhook receiver (docs/orders.md, "Webhook delivery"): an HTTP server
// (cpp-httplib, on its own port) taking `POST /orders/<channel>`, checking the channel's
// signature over the raw body, decoding the order revision and handing it to the
// OrderIntake; it answers 200 only once the intake says the revision is durable.
//
//   404 unknown channel or path     405 not a POST        413 body over max_body_bytes
//   401 signature missing or bad    400 not JSON / not a valid order, or the intake's
//   INVALID_ARGUMENT                404 the intake's NOT_FOUND
//   503 the intake's UNAVAILABLE, or no answer within deadline_ms (the channel retries)
//   200 {"status":"applied"}, or {"status":"duplicate"} for an event already applied
//
// Every error answer has a JSON body {"error":"..."}; nothing is submitted for any of
// them, and each is logged once at warn with the channel and the reason.
//
// Thread safety: Start, port, SetChannels and Stop may be called from any thread; Stop is
// idempotent.
// The intake and the log sink must outlive the receiver; the intake's `done` may run
// after the receiver is gone (it then touches only state it co-owns).
#ifndef STOCKD_DAEMON_ORDERS_WEBHOOK_RECEIVER_H_
#define STOCKD_DAEMON_ORDERS_WEBHOOK_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/orders/order_intake.h"
#include "daemon/orders/signature.h"
#include "daemon/util/log.h"

namespace stockd::orders {

struct WebhookChannel {
  std::string channel;  // the route is /orders/<channel>; non-empty, no '/'
  SignatureScheme scheme = SignatureScheme::kStockd;
  std::string secret;  // the HMAC key's bytes (the caller read its file); non-empty
};

struct WebhookReceiverOptions {
  // "host:port" ("[::1]:8090" for IPv6); port 0 binds an ephemeral one (port()).
  std::string listen = "127.0.0.1:0";
  std::vector<WebhookChannel> channels;   // at least one; names unique
  size_t max_body_bytes = 1 << 20;        // larger bodies get 413 unread; >= 1
  int64_t deadline_ms = 5000;             // longest wait for the intake; >= 1
  int threads = 4;                        // concurrent requests; >= 1
  size_t remembered_event_ids = 100'000;  // applied deliveries answered "duplicate"
};

class WebhookReceiver {
 public:
  // Binds and starts serving. INVALID_ARGUMENT for options that break the rules above
  // (naming the option), UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<WebhookReceiver>> Start(WebhookReceiverOptions options,
                                                                OrderIntake* intake, log::Sink log);
  ~WebhookReceiver();  // Stop()
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // The bound port.
  int port() const;
  // Replaces the channels (a live reload): requests that begin afterwards are routed,
  // checked and signed by the new set; an empty set answers every path 404. The rules of
  // WebhookReceiverOptions::channels (bar "at least one"); INVALID_ARGUMENT, naming the
  // entry, and nothing changed otherwise.
  absl::Status SetChannels(const std::vector<WebhookChannel>& channels);
  // Stops accepting connections and returns once every request in progress was answered
  // (at most deadline_ms plus the socket timeouts). Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit WebhookReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_WEBHOOK_RECEIVER_H_
