// The status page as HTML (server-rendered: no script, no external asset; every string
// escaped) and as JSON (status.h).
#include <ctime>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "daemon/observe/status.h"

namespace stockd::observe {
namespace {

// "2024-05-01 12:00:03 UTC"
std::string Utc(int64_t ms) {
  if (ms <= 0) return "-";
  const time_t t = static_cast<time_t>(ms / 1000);
  tm parts{};
  gmtime_r(&t, &parts);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return buf;
}

// "3.2 s", "450 ms", "2 h 5 min"
std::string Age(int64_t ms) {
  if (ms < 1000) return absl::StrCat(ms, " ms");
  if (ms < 60'000) return absl::StrCat(ms / 100 / 10.0, " s");
  if (ms < 3'600'000) return absl::StrCat(ms / 60'000, " min ", ms / 1000 % 60, " s");
  return absl::StrCat(ms / 3'600'000, " h ", ms / 60'000 % 60, " min");
}

const char kStyle[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    "td.n{text-align:right}th{background:#eee}"
    ".ok{color:#060;font-weight:bold}.bad{color:#b00;font-weight:bold}"
    ".warn{color:#a60;font-weight:bold}.none{color:#777}";

std::string Cell(const std::string& text, const char* cls = nullptr) {
  return cls == nullptr ? absl::StrCat("<td>", HtmlEscape(text), "</td>")
                        : absl::StrCat("<td class=\"", cls, "\">", HtmlEscape(text), "</td>");
}
std::string Num(int64_t n) { return absl::StrCat("<td class=\"n\">", n, "</td>"); }
std::string State(bool good, const char* yes, const char* no) {
  return absl::StrCat("<span class=\"", good ? "ok" : "bad", "\">", good ? yes : no, "</span>");
}

void Channels(const StatusReport& r, std::string* out) {
  absl::StrAppend(out,
                  "<h2>Channels</h2>\n<table id=\"channels\"><tr><th>channel</th><th>type</th>"
                  "<th>adapter</th><th>published SKUs</th><th>acknowledged SKUs</th>"
                  "<th>backlog</th><th>push lag</th><th>p99 push latency</th>"
                  "<th>failures (retry/permanent/conflict)</th><th>breaches</th>"
                  "<th>paused</th><th>last error</th><th>orders</th><th>reconciled</th></tr>\n");
  for (const ChannelStatus& c : r.channels) {
    absl::StrAppend(out, "<tr data-channel=\"", HtmlEscape(c.id), "\">", Cell(c.id),
                    Cell(c.type), c.adapter.empty() ? Cell("none", "none") : Cell(c.adapter),
                    Num(c.published_skus), Num(c.acked_skus));
    absl::StrAppend(out, "<td class=\"n\" data-backlog=\"", c.backlog, "\">", c.backlog,
                    "</td>", Cell(c.backlog > 0 ? Age(c.push_lag_ms) : "-"),
                    Cell(c.latency_p99_ms > 0 ? Age(c.latency_p99_ms) : "-"),
                    Cell(absl::StrCat(c.failed_retryable, " / ", c.failed_permanent, " / ",
                                      c.conflicts)),
                    Num(c.breaches));
    absl::StrAppend(out, c.paused ? Cell(absl::StrCat("paused (", Age(c.paused_for_ms), ")"),
                                         "bad")
                                  : Cell("no"),
                    c.last_error.empty() ? Cell("-", "none") : Cell(c.last_error, "warn"));
    absl::StrAppend(out,
                    c.orders_polled
                        ? Cell(absl::StrCat(c.order_polls, " polls, ", c.order_poll_failures,
                                            " failed",
                                            c.orders_last_error.empty()
                                                ? ""
                                                : absl::StrCat(": ", c.orders_last_error)))
                        : Cell("not polled", "none"),
                    c.reconciled_ms.has_value()
                        ? Cell(absl::StrCat(Utc(*c.reconciled_ms), ": ", c.reconcile_ok, " ok, ",
                                            c.reconcile_in_flight, " in flight, ",
                                            c.reconcile_drift, " drift, ", c.reconcile_unknown,
                                            " unknown listing"))
                        : Cell("never", "none"),
                    "</tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

void Storage(const StatusReport& r, std::string* out) {
  absl::StrAppend(out, "<h2>Redis and the write path</h2>\n<table id=\"storage\">");
  if (r.durable) {
    absl::StrAppend(out, "<tr><th>Redis</th><td id=\"redis\">",
                    State(r.redis_up, "up", "DOWN"), " ", HtmlEscape(r.redis_address),
                    "</td></tr>");
  } else {
    absl::StrAppend(out, "<tr><th>Redis</th><td id=\"redis\"><span class=\"bad\">none"
                         "</span> (redis.mode: memory: a restart loses everything)</td></tr>");
  }
  absl::StrAppend(out, "<tr><th>write path</th><td id=\"write\">",
                  State(r.write_serving, "SERVING", "NOT_SERVING"), "</td></tr>",
                  "<tr><th>re-syncs</th><td>", r.resyncs, " (", r.resyncs_without_reload,
                  " without reload)</td></tr>", "<tr><th>journal</th><td>", r.journal_batches,
                  " batches, ", r.journal_records, " records, ", r.journal_failed_records,
                  " failed</td></tr>", "<tr><th>stock</th><td>", r.engine.skus, " SKUs, ",
                  r.engine.rows, " rows, ", r.engine.open_holds, " open holds, ",
                  r.engine.orders, " orders</td></tr></table>\n");
}

void Breaches(const StatusReport& r, std::string* out) {
  absl::StrAppend(out, "<h2>Recent breaches</h2>\n");
  if (r.breaches.empty()) {
    absl::StrAppend(out, "<p id=\"breaches\" class=\"none\">none since start</p>\n");
    return;
  }
  absl::StrAppend(out, "<table id=\"breaches\"><tr><th>time</th><th>channel</th>"
                       "<th>operation</th><th>SKU</th><th>location / order</th>"
                       "<th>units beyond avail</th></tr>\n");
  for (const engine::BreachView& b : r.breaches) {
    absl::StrAppend(out, "<tr>", Cell(Utc(b.time_ms)), Cell(b.channel), Cell(b.operation),
                    Cell(b.sku), Cell(b.operation == "order" ? b.order_id : b.location),
                    Num(b.units), "</tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

void Alerts(const StatusReport& r, std::string* out) {
  absl::StrAppend(out, "<h2>Alerts</h2>\n");
  if (r.alerts.empty()) {
    absl::StrAppend(out, "<p id=\"alerts\" class=\"ok\">no alert condition holds</p>\n");
    return;
  }
  absl::StrAppend(out, "<table id=\"alerts\"><tr><th>alert</th><th>severity</th>"
                       "<th>detail</th></tr>\n");
  for (const ActiveAlert& a : r.alerts) {
    absl::StrAppend(out, "<tr>", Cell(a.name), Cell(a.severity, a.severity == "critical"
                                                                    ? "bad"
                                                                    : "warn"),
                    Cell(a.detail), "</tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

void Reloads(const StatusReport& r, std::string* out) {
  absl::StrAppend(out, "<h2>Config reloads</h2>\n");
  if (r.reloads.empty()) {
    absl::StrAppend(out, "<p id=\"reloads\" class=\"none\">none yet</p>\n");
    return;
  }
  absl::StrAppend(out, "<table id=\"reloads\"><tr><th>time</th><th>result</th>"
                       "<th>message</th></tr>\n");
  for (const ReloadEntry& e : r.reloads) {
    absl::StrAppend(out, "<tr>", Cell(Utc(e.time_ms)),
                    Cell(e.ok ? "applied" : "rejected", e.ok ? "ok" : "bad"), Cell(e.message),
                    "</tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

}  // namespace

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderStatusHtml(const StatusReport& r) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>stockd status</title><style>",
      kStyle, "</style></head><body>\n<h1>stockd status</h1>\n<p>", HtmlEscape(Utc(r.now_ms)),
      " &middot; up ", HtmlEscape(Age(r.now_ms - r.started_ms)),
      " &middot; this page does not refresh itself; <a href=\"/metrics\">metrics</a>, "
      "<a href=\"/status.json\">JSON</a></p>\n");
  Alerts(r, &out);
  Storage(r, &out);
  Channels(r, &out);
  Breaches(r, &out);
  Reloads(r, &out);
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

std::string RenderStatusJson(const StatusReport& r) {
  using nlohmann::json;
  json j;
  j["now_ms"] = r.now_ms;
  j["started_ms"] = r.started_ms;
  json storage = {{"durable", r.durable},
                  {"redis_up", r.redis_up},
                  {"write_serving", r.write_serving},
                  {"resyncs", r.resyncs},
                  {"resyncs_without_reload", r.resyncs_without_reload},
                  {"journal_batches", r.journal_batches},
                  {"journal_records", r.journal_records},
                  {"journal_failed_records", r.journal_failed_records}};
  if (r.durable) storage["redis_address"] = r.redis_address;
  j["storage"] = std::move(storage);
  j["engine"] = {{"skus", r.engine.skus},
                 {"rows", r.engine.rows},
                 {"open_holds", r.engine.open_holds},
                 {"mutations", r.engine.mutations},
                 {"breaches", r.engine.breaches},
                 {"expired_holds", r.engine.expired_holds},
                 {"orders", r.engine.orders}};
  json channels = json::array();
  for (const ChannelStatus& c : r.channels) {
    json cj = {{"id", c.id},
               {"type", c.type},
               {"adapter", c.adapter},
               {"published_skus", c.published_skus},
               {"acked_skus", c.acked_skus},
               {"backlog", c.backlog},
               {"push_lag_ms", c.push_lag_ms},
               {"latency_p99_ms", c.latency_p99_ms},
               {"pushed_ok", c.pushed_ok},
               {"failed_retryable", c.failed_retryable},
               {"failed_permanent", c.failed_permanent},
               {"conflicts", c.conflicts},
               {"breaches", c.breaches},
               {"paused", c.paused},
               {"paused_for_ms", c.paused_for_ms},
               {"last_error", c.last_error},
               {"orders_polled", c.orders_polled},
               {"order_polls", c.order_polls},
               {"order_poll_failures", c.order_poll_failures},
               {"orders_last_error", c.orders_last_error}};
    if (c.reconciled_ms.has_value()) {
      cj["reconciled"] = {{"time_ms", *c.reconciled_ms},
                          {"ok", c.reconcile_ok},
                          {"in_flight", c.reconcile_in_flight},
                          {"drift", c.reconcile_drift},
                          {"unknown_listing", c.reconcile_unknown}};
    }
    channels.push_back(std::move(cj));
  }
  j["channels"] = std::move(channels);
  json breaches = json::array();
  for (const engine::BreachView& b : r.breaches) {
    breaches.push_back({{"time_ms", b.time_ms},
                        {"channel", b.channel},
                        {"operation", b.operation},
                        {"sku", b.sku},
                        {"location", b.location},
                        {"order_id", b.order_id},
                        {"units", b.units}});
  }
  j["breaches"] = std::move(breaches);
  json alerts = json::array();
  for (const ActiveAlert& a : r.alerts) {
    alerts.push_back({{"name", a.name}, {"severity", a.severity}, {"detail", a.detail}});
  }
  j["alerts"] = std::move(alerts);
  json reloads = json::array();
  for (const ReloadEntry& e : r.reloads) {
    reloads.push_back({{"time_ms", e.time_ms}, {"ok", e.ok}, {"message", e.message}});
  }
  j["reloads"] = std::move(reloads);
  // Invalid UTF-8 in an adapter's message must not make the page fail: replaced.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace stockd::observe
