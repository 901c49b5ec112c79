#include "ebay_adapter.h"

#include <algorithm>
#include <utility>

namespace stockd::ebay {
namespace {

using stockd::adapters::IsRetryableStatus;
using stockd::sdk::Item;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

EbayAdapter::EbayAdapter(const Json& config, stockd::sdk::Host host)
    : host_(host),
      settings_(ParseConfig(config)),
      shown_endpoint_(stockd::sdk::RedactUrl(settings_.endpoint)),
      http_(settings_.http, host),
      oauth_({settings_.token_url, settings_.client_id, settings_.client_secret,
              settings_.refresh_token, settings_.scopes, /*basic_auth=*/true,
              /*refresh_margin_ms=*/300'000}),
      pause_(host),
      // No burst: calls are spaced evenly, so the jitter of their latency never makes
      // eBay see more than its limit in a second.
      bucket_(static_cast<double>(settings_.requests_per_second), /*burst=*/1, host),
      budget_(settings_.revisions) {}

std::vector<PushResult> EbayAdapter::Push(const std::vector<Item>& items) {
  PushState state;
  state.results.resize(items.size());
  state.decided.assign(items.size(), false);
  const std::string paused = PausedReason();
  if (!paused.empty()) {
    const auto after = static_cast<int32_t>(pause_.retry_after_ms());
    for (size_t i = 0; i < items.size(); ++i) state.Decide(i, PushResult::Retry(paused, after));
    return state.results;
  }
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(kPushBudgetMs);
  std::optional<PushResult> stop;
  std::vector<Pending> group;
  const auto flush = [&] {
    if (!stop) stop = SendGroup(group, deadline, &state);
    group.clear();
  };
  for (size_t i = 0; i < items.size() && !stop; ++i) {
    const Item& item = items[i];
    const std::string sku(item.listing_id);
    if (sku.empty() || sku.size() > kMaxSkuBytes) {
      state.Decide(i, PushResult::Permanent("eBay has no listing with SKU " + Quoted(sku) +
                                            ": an eBay SKU has 1 to 50 characters"));
      host_.Count("unmapped");
      continue;
    }
    if (item.quantity < 0) {
      state.Decide(i, PushResult::Permanent("eBay takes no negative quantity, got " +
                                            std::to_string(item.quantity)));
      host_.Count("items_rejected");
      continue;
    }
    if (Clock::now() >= deadline) {
      stop = PushResult::Retry("this push used its time budget of " +
                               std::to_string(kPushBudgetMs) + " ms; the rest follows");
      break;
    }
    const Lookup lookup = ResolveOffer(sku, deadline);
    if (lookup.kind == Lookup::Kind::kMissing) {
      state.Decide(i,
                   PushResult::Permanent("eBay has no listing with SKU " + Quoted(sku) + " on " +
                                         settings_.marketplace_id + " (" + lookup.message + ")"));
      host_.Count("unmapped");
      continue;
    }
    if (lookup.kind == Lookup::Kind::kRefused) {
      state.Decide(i, PushResult::Permanent(lookup.message));
      host_.Count("items_rejected");
      continue;
    }
    if (lookup.kind == Lookup::Kind::kFailed) {
      // eBay is failing or throttling us, or we are paused: send nothing more now.
      stop = PushResult::Retry(lookup.message, lookup.retry_after_ms);
      break;
    }
    if (std::any_of(group.begin(), group.end(),
                    [&](const Pending& p) { return p.line.offer_id == lookup.offer_id; })) {
      flush();  // one offer at most once a call; the window then decides the second one
      if (stop) break;
    }
    std::string why;
    const int64_t wait = budget_.WaitMs(lookup.offer_id, host_.NowMs(), &why);
    if (wait > 0) {
      state.Decide(
          i, PushResult::Retry("eBay listing " + lookup.offer_id + " (SKU " + sku + ") " + why,
                               static_cast<int32_t>(std::min<int64_t>(wait, kDayMs))));
      host_.Count("revisions_deferred");
      continue;
    }
    group.push_back({i, {sku, lookup.offer_id, item.quantity}});
    if (group.size() == kMaxRequestsPerCall) flush();
  }
  if (!group.empty()) flush();
  int64_t not_sent = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (state.decided[i]) continue;
    ++not_sent;
    state.results[i] = PushResult::Retry(stop ? "not sent: " + stop->message : "not sent",
                                         stop ? stop->retry_after_ms : 0);
  }
  if (not_sent > 0) host_.Count("retries", static_cast<double>(not_sent));
  return state.results;
}

std::optional<PushResult> EbayAdapter::SendGroup(const std::vector<Pending>& group,
                                                 Clock::time_point deadline, PushState* state) {
  if (group.empty()) return std::nullopt;
  std::vector<PushLine> lines;
  for (const Pending& p : group) lines.push_back(p.line);
  Request request;
  request.method = "POST";
  request.url = settings_.endpoint + "/sell/inventory/v1/bulk_update_price_quantity";
  request.shown_url = shown_endpoint_ + "/sell/inventory/v1/bulk_update_price_quantity";
  request.body = BulkUpdateBody(lines);
  const std::string what = "POST " + request.shown_url;
  const Call call = Send(request, deadline);
  const Response& r = call.response;
  std::optional<PushResult> failed;
  if (call.kind != Call::Kind::kAnswered) {
    failed = PushResult::Retry(call.message, call.retry_after_ms);
  } else if (!r.answered()) {
    failed = PushResult::Retry(r.transport_error, TransientDelay(r));
  } else if (r.status == 200 || r.status == 207) {
    backoff_.Reset();
    ReadLineAnswers(group, r, state);
    return std::nullopt;
  } else if (IsRetryableStatus(r.status)) {
    failed = PushResult::Retry(AnswerError(what, r), TransientDelay(r));
  } else if (r.status == 400 && group.size() > 1) {
    // Which item made eBay refuse the call? Halves until the refused ones stand alone.
    const auto middle = group.begin() + static_cast<std::ptrdiff_t>(group.size() / 2);
    if (auto stop = SendGroup({group.begin(), middle}, deadline, state)) return stop;
    return SendGroup({middle, group.end()}, deadline, state);
  } else {
    const std::string message = AnswerError(what, r);
    host_.Log(LogLevel::kWarn, "eBay refused SKU " + group.front().line.sku + ": " + message);
    for (const Pending& p : group) state->Decide(p.index, PushResult::Permanent(message));
    host_.Count("items_rejected", static_cast<double>(group.size()));
    return std::nullopt;
  }
  for (const Pending& p : group) state->Decide(p.index, *failed);
  host_.Count("retries", static_cast<double>(group.size()));
  return failed;
}

void EbayAdapter::ReadLineAnswers(const std::vector<Pending>& group, const Response& r,
                                  PushState* state) {
  const int64_t now = host_.NowMs();
  const std::optional<std::vector<LineAnswer>> answers = ParseBulkAnswer(r.body);
  for (const Pending& p : group) {
    const PushLine& line = p.line;
    const std::string item = "SKU " + line.sku + " (offer " + line.offer_id + ")";
    bool mentioned = false;
    bool all_ok = true;
    int64_t worst_status = 200;
    std::vector<ApiError> errors;
    if (answers) {
      for (const LineAnswer& a : *answers) {
        const bool mine = a.offer_id.empty() ? a.sku == line.sku : a.offer_id == line.offer_id;
        if (!mine) continue;
        mentioned = true;
        if (a.status_code == 200 && a.errors.empty()) continue;
        all_ok = false;
        worst_status = std::max(worst_status, a.status_code);
        errors.insert(errors.end(), a.errors.begin(), a.errors.end());
      }
    }
    if ((r.status == 200 && !mentioned) || (mentioned && all_ok)) {
      budget_.Record(line.offer_id, now);
      state->Decide(p.index, PushResult::Ok());
      continue;
    }
    if (!mentioned) {
      state->Decide(p.index, PushResult::Retry("eBay's 207 answer does not mention " + item));
      host_.Count("retries");
      continue;
    }
    Verdict verdict = Classify(errors);
    if (verdict == Verdict::kOk)
      verdict = worst_status >= 500 ? Verdict::kRetry : Verdict::kPermanent;
    const std::string described =
        item + ": " +
        (errors.empty() ? "statusCode " + std::to_string(worst_status) : Describe(errors));
    switch (verdict) {
      case Verdict::kOk:
      case Verdict::kRetry:
        state->Decide(p.index, PushResult::Retry(described));
        host_.Count("retries");
        break;
      case Verdict::kCapReached: {
        const int64_t wait = budget_.Exhausted(line.offer_id, now, kCapRecheckMs);
        state->Decide(p.index, PushResult::Retry(described + " (eBay's daily revision limit)",
                                                 static_cast<int32_t>(wait)));
        host_.Count("revision_cap_reached");
        break;
      }
      case Verdict::kGone:
        if (settings_.mapping.count(line.sku) == 0) {
          offers_.Forget(line.sku);  // deleted or relisted: look it up again
          state->Decide(p.index, PushResult::Retry(described + " (its offer is looked up again)"));
          host_.Count("retries");
        } else {
          state->Decide(p.index, PushResult::Permanent(described + " (offer from mapping_file)"));
          host_.Count("items_rejected");
        }
        break;
      case Verdict::kPermanent:
        state->Decide(p.index, PushResult::Permanent(described));
        host_.Count("items_rejected");
        break;
    }
  }
}

}  // namespace stockd::ebay

STOCKD_ADAPTER(stockd::ebay::EbayAdapter, "ebay", stockd::ebay::kMaxBatch, /*has_fetch=*/true,
               /*has_poll=*/true);
