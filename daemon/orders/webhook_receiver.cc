#include "daemon/orders/webhook_receiver.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/orders/recent_event_ids.h"
#include "daemon/orders/webhook_payload.h"
#include "daemon/util/json.h"

namespace stockd::orders {
namespace {

constexpr char kRoute[] = R"(/orders/([^/]+))";

// One Submit's answer, co-owned by its `done`, which may outlive the request.
struct Answer {
  absl::Mutex mu;
  bool ready ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
};

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  HostPort hp;
  if (colon != std::string::npos) hp.host = listen.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (colon == std::string::npos || hp.host.empty() ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &hp.port) || hp.port < 0 || hp.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: '", absl::CHexEscape(listen), "' is not host:port (port 0..65535)"));
  }
  return hp;
}

absl::Status CheckChannels(const std::vector<WebhookChannel>& channels) {
  for (size_t i = 0; i < channels.size(); ++i) {
    const WebhookChannel& c = channels[i];
    const std::string at = absl::StrCat("channels[", i, "]");
    if (c.channel.empty() || c.channel.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".channel: '", absl::CHexEscape(c.channel),
                                                     "' (non-empty, without '/')"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (channels[j].channel == c.channel) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".channel: '", c.channel, "' is also channels[", j, "]"));
      }
    }
    if (c.secret.empty()) return absl::InvalidArgumentError(absl::StrCat(at, ".secret: empty"));
  }
  return absl::OkStatus();
}

using Routes = absl::flat_hash_map<std::string, WebhookChannel>;

std::shared_ptr<const Routes> RoutesOf(const std::vector<WebhookChannel>& channels) {
  auto routes = std::make_shared<Routes>();
  for (const WebhookChannel& c : channels) routes->emplace(c.channel, c);
  return routes;
}

absl::Status CheckOptions(const WebhookReceiverOptions& o) {
  if (o.channels.empty()) return absl::InvalidArgumentError("channels: none");
  if (absl::Status st = CheckChannels(o.channels); !st.ok()) return st;
  if (o.max_body_bytes < 1) return absl::InvalidArgumentError("max_body_bytes: must be >= 1");
  if (o.deadline_ms < 1) return absl::InvalidArgumentError("deadline_ms: must be >= 1");
  if (o.threads < 1) return absl::InvalidArgumentError("threads: must be >= 1");
  return ParseListen(o.listen).status();
}

void Reply(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_content(json, "application/json");
}

}  // namespace

struct WebhookReceiver::Impl {
  Impl(WebhookReceiverOptions o, OrderIntake* intake, log::Sink log)
      : options(std::move(o)),
        intake(intake),
        log(std::move(log)),
        applied(std::make_shared<RecentEventIds>(options.remembered_event_ids)),
        routes(RoutesOf(options.channels)) {}

  std::shared_ptr<const Routes> Routing() const {
    absl::MutexLock lock(&routes_mu);
    return routes;
  }

  // An error answer: its JSON body, and one warn line naming the channel and the reason.
  void Refuse(httplib::Response& res, int status, const std::string& channel,
              absl::string_view reason) {
    Reply(res, status,
          absl::StrCat(R"({"error":")", util::JsonEscape(std::string(reason)), R"("})"));
    if (log) {
      const std::string shown = channel.size() > 64 ? channel.substr(0, 64) + "..." : channel;
      log(log::Level::kWarn, absl::StrCat("order webhook refused (HTTP ", status, "): channel '",
                                          absl::CHexEscape(shown), "': ", reason));
    }
  }

  void Handle(const httplib::Request& req, httplib::Response& res);

  const WebhookReceiverOptions options;
  OrderIntake* const intake;
  const log::Sink log;
  // Shared with every `done`: a late one still records its applied delivery.
  const std::shared_ptr<RecentEventIds> applied;
  // The channels' routes; a reload swaps them whole (a request keeps the set it began
  // with).
  mutable absl::Mutex routes_mu;
  std::shared_ptr<const Routes> routes ABSL_GUARDED_BY(routes_mu);
  httplib::Server server;
  int port = 0;
  absl::Mutex stop_mu;
  std::thread listener ABSL_GUARDED_BY(stop_mu);
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

void WebhookReceiver::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  const std::shared_ptr<const Routes> routes = Routing();
  const auto it = routes->find(name);
  if (it == routes->end()) return Refuse(res, 404, name, "unknown channel");
  const WebhookChannel& channel = it->second;

  const char* signature_header = SignatureHeader(channel.scheme);
  if (!req.has_header(signature_header)) {
    return Refuse(res, 401, name, absl::StrCat("no ", signature_header, " header"));
  }
  if (absl::Status st = VerifySignature(channel.scheme, channel.secret, req.body,
                                        req.get_header_value(signature_header));
      !st.ok()) {
    return Refuse(res, 401, name, st.message());
  }
  absl::StatusOr<WebhookDelivery> delivery =
      DecodeWebhook(channel.scheme, name, req.body,
                    [&req](const char* header) { return req.get_header_value(header); });
  if (!delivery.ok()) return Refuse(res, 400, name, delivery.status().message());

  // The event id alone comes from an unsigned header (Shopify, WooCommerce): keying on
  // the signed order revision too keeps a forged id from hiding another delivery.
  std::string key;
  if (!delivery->event_id.empty()) {
    key = absl::StrCat(name.size(), ":", name, delivery->event_id.size(), ":", delivery->event_id,
                       delivery->order.order_id.size(), ":", delivery->order.order_id,
                       delivery->order.revision);
    if (applied->Contains(key)) return Reply(res, 200, R"({"status":"duplicate"})");
  }

  auto answer = std::make_shared<Answer>();
  intake->Submit(name, std::move(delivery->order),
                 [answer, applied = applied, key](absl::Status status) {
                   if (status.ok() && !key.empty()) applied->Add(key);
                   absl::MutexLock lock(&answer->mu);
                   answer->status = std::move(status);
                   answer->ready = true;
                 });
  absl::Status status;
  {
    absl::MutexLock lock(&answer->mu);
    if (!answer->mu.AwaitWithTimeout(absl::Condition(&answer->ready),
                                     absl::Milliseconds(options.deadline_ms))) {
      return Refuse(res, 503, name,
                    absl::StrCat("the order was not durable within ", options.deadline_ms,
                                 " ms; deliver it again"));
    }
    status = answer->status;
  }
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return Reply(res, 200, R"({"status":"applied"})");
    case absl::StatusCode::kUnavailable:
      return Refuse(res, 503, name, status.message());
    case absl::StatusCode::kInvalidArgument:
      return Refuse(res, 400, name, status.message());
    case absl::StatusCode::kNotFound:
      return Refuse(res, 404, name, status.message());
    default:
      return Refuse(res, 500, name, status.ToString());
  }
}

absl::StatusOr<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start(
    WebhookReceiverOptions options, OrderIntake* intake, log::Sink log) {
  if (absl::Status st = CheckOptions(options); !st.ok()) return st;
  if (intake == nullptr) return absl::InvalidArgumentError("no order intake");
  // cpp-httplib writes with plain send(2): a client that hung up must be an error, not a
  // SIGPIPE that kills the daemon (storage's Redis client ignores it the same way).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });

  const HostPort listen = *ParseListen(options.listen);
  auto impl = std::make_unique<Impl>(std::move(options), intake, std::move(log));
  Impl* const i = impl.get();
  httplib::Server& server = i->server;
  const int threads = i->options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(i->options.max_body_bytes);
  server.set_keep_alive_timeout(2);  // an idle connection delays Stop at most this long
  // An answer is written as two sends (head, body): with Nagle the body waits for the
  // client's delayed ACK of the head, ~40 ms per delivery on a kept-alive connection.
  server.set_tcp_nodelay(true);
  server.Post(kRoute,
              [i](const httplib::Request& req, httplib::Response& res) { i->Handle(req, res); });
  const auto not_post = [i](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "POST");
    i->Refuse(res, 405, req.matches[1], absl::StrCat(req.method, " (only POST)"));
  };
  server.Get(kRoute, not_post);
  server.Put(kRoute, not_post);
  server.Patch(kRoute, not_post);
  server.Delete(kRoute, not_post);
  server.Options(kRoute, not_post);
  // Answers cpp-httplib gives itself (413, an unknown path, a malformed request) get the
  // same JSON body and log line as ours; ours already have a body.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [i](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::smatch m;
        const std::string channel =
            std::regex_match(req.path, m, std::regex(kRoute)) ? m[1].str() : std::string();
        std::string reason = absl::StrCat("HTTP ", res.status);
        if (res.status == 413) {
          reason = absl::StrCat("body over ", i->options.max_body_bytes, " bytes");
        } else if (res.status == 404) {
          reason = absl::StrCat("no route ", req.method, " ", req.path.substr(0, 64));
        }
        i->Refuse(res, res.status, channel, reason);
        return httplib::Server::HandlerResponse::Handled;
      }));

  if (listen.port == 0) {
    i->port = server.bind_to_any_port(listen.host);
  } else {
    i->port = server.bind_to_port(listen.host, listen.port) ? listen.port : -1;
  }
  if (i->port < 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot bind ", i->options.listen));
  }
  auto exited = std::make_shared<std::atomic<bool>>(false);
  {
    absl::MutexLock lock(&i->stop_mu);
    i->listener = std::thread([i, exited] {
      i->server.listen_after_bind();
      exited->store(true);
    });
  }
  // Stop only stops a server that runs: wait until it does (a few ms at most).
  while (!server.is_running() && !exited->load()) absl::SleepFor(absl::Milliseconds(1));
  if (!server.is_running()) {
    absl::MutexLock lock(&i->stop_mu);
    i->listener.join();
    i->stopped = true;
    return absl::UnavailableError(absl::StrCat("listen: cannot serve on ", i->options.listen));
  }
  return std::unique_ptr<WebhookReceiver>(new WebhookReceiver(std::move(impl)));
}

WebhookReceiver::WebhookReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookReceiver::~WebhookReceiver() { Stop(); }

int WebhookReceiver::port() const { return impl_->port; }

absl::Status WebhookReceiver::SetChannels(const std::vector<WebhookChannel>& channels) {
  if (absl::Status st = CheckChannels(channels); !st.ok()) return st;
  std::shared_ptr<const Routes> routes = RoutesOf(channels);
  absl::MutexLock lock(&impl_->routes_mu);
  impl_->routes = std::move(routes);
  return absl::OkStatus();
}

void WebhookReceiver::Stop() {
  absl::MutexLock lock(&impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Closes the listening socket; listen_after_bind returns once the worker threads have
  // finished the requests in progress.
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

}  // namespace stockd::orders
