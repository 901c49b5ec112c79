#include "daemon/observe/http_endpoint.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/config/listen.h"

namespace stockd::observe {

struct MetricsEndpoint::Impl {
  explicit Impl(EndpointOptions o, const Observer* obs) : options(std::move(o)), observer(obs) {}
  const EndpointOptions options;
  const Observer* const observer;
  httplib::Server server;
  int port = -1;
  absl::Mutex stop_mu;
  std::thread listener ABSL_GUARDED_BY(stop_mu);
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

namespace {

void Text(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/plain; charset=utf-8");
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(EndpointOptions options,
                                                                         const Observer* observer) {
  absl::StatusOr<config::HostPort> listen = config::ParseHostPort(options.listen, 0);
  if (!listen.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics.listen '", options.listen, "': ", listen.status().message()));
  }
  // cpp-httplib writes with plain send(2): a scraper that hung up must be an error, not a
  // SIGPIPE that kills the daemon.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });

  auto impl = std::make_unique<Impl>(std::move(options), observer);
  Impl* const i = impl.get();
  httplib::Server& server = i->server;
  const int threads = std::max(1, i->options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_timeout(2);  // an idle connection delays Stop at most this long
  server.set_payload_max_length(64 << 10);
  server.set_tcp_nodelay(true);

  server.Get("/metrics", [i](const httplib::Request&, httplib::Response& res) {
    res.set_content(i->observer->RenderMetrics(), Observer::kContentType);
  });
  std::vector<std::string> paths = {"/metrics"};
  if (i->options.status_page) {
    const auto html = [i](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(RenderStatusHtml(i->observer->Status()), "text/html; charset=utf-8");
    };
    server.Get("/", html);
    server.Get("/status", html);
    server.Get("/status.json", [i](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(RenderStatusJson(i->observer->Status()), "application/json");
    });
    paths.insert(paths.end(), {"/", "/status", "/status\\.json"});
  }
  const auto read_only = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "GET, HEAD");
    Text(res, 405, absl::StrCat(req.method, " not allowed: this endpoint is read-only\n"));
  };
  for (const std::string& path : paths) {
    server.Post(path, read_only);
    server.Put(path, read_only);
    server.Patch(path, read_only);
    server.Delete(path, read_only);
  }
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) Text(res, 404, "not found: try /metrics or /status\n");
  });

  if (listen->port == 0) {
    i->port = server.bind_to_any_port(listen->host);
  } else {
    i->port = server.bind_to_port(listen->host, listen->port) ? listen->port : -1;
  }
  if (i->port < 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics.listen: cannot bind ", i->options.listen, " (address in use?)"));
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
    return absl::UnavailableError(
        absl::StrCat("metrics.listen: cannot serve on ", i->options.listen));
  }
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(impl)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsEndpoint::~MetricsEndpoint() { Stop(); }
int MetricsEndpoint::port() const { return impl_->port; }

void MetricsEndpoint::Stop() {
  absl::MutexLock lock(&impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

}  // namespace stockd::observe
