// AmazonAdapter::PushByFeed: a large push as ONE JSON_LISTINGS_FEED (Feeds API 2021-06-30)
// instead of one patchListingsItem per SKU:
//   1. POST /feeds/2021-06-30/documents {"contentType"}   -> {feedDocumentId, url}  0.5/s b15
//   2. PUT  <url> the feed JSON (presigned; the same Content-Type)
//   3. POST /feeds/2021-06-30/feeds {feedType, marketplaceIds, inputFeedDocumentId}
//                                                          -> {feedId}   0.0083/s b15 (!)
//   4. GET  /feeds/2021-06-30/feeds/{feedId} until DONE (FATAL/CANCELLED: every item RETRY),
//      polled at growing intervals, for at most feed_timeout_ms          2/s b15
//   5. GET  /feeds/2021-06-30/documents/{resultFeedDocumentId} -> {url}  0.0222/s b10
//   6. GET  <url> the processing report: a message's ERROR issues make its item PERMANENT;
//      every other item is OK.
// createFeed's usage plan is the bottleneck: after a burst of 15 feeds, one every two
// minutes; a push that would wait longer than kMaxPaceWaitMs for it is answered RETRY
// after that wait before anything is uploaded.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "amazon/amazon_adapter.h"
#include "amazon/amazon_api.h"

namespace stockd::amazon {

using adapters::SleepUnlessCancelled;
using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

namespace {

constexpr char kFeedContentType[] = "application/json; charset=UTF-8";
constexpr int64_t kFirstFeedPollMs = 250;
constexpr int64_t kMaxFeedPollMs = 30'000;

// A presigned URL as messages show it: without its query (the signature).
std::string ShownPresigned(const std::string& url) { return url.substr(0, url.find('?')); }

// True when `call` is a 2xx answer; otherwise *why (and *retry_after_ms) say why not.
bool Usable(const CallResult& call, const std::string& what, std::string* why,
            int32_t* retry_after_ms) {
  if (call.ok()) return true;
  *retry_after_ms = call.retry_after_ms;
  *why = call.answered() ? what + ": HTTP " + std::to_string(call.response.status) + ": " +
                               ErrorsText(call.response.body)
                         : call.message;
  return false;
}

}  // namespace

void AmazonAdapter::PushByFeed(const std::vector<Pending>& pending,
                               std::vector<PushResult>* results) {
  std::string why;
  int32_t wait_ms = 0;
  // The scarce createFeed quota first: never upload a document no feed can be made of.
  const int64_t feed_wait = create_feed_bucket_.WaitMs(1);
  if (feed_wait > kMaxPaceWaitMs) {
    RetryRest(pending, 0,
              "createFeed allows " + FormatRate(create_feed_bucket_.rate()) +
                  " feeds/s: the next in " + std::to_string(feed_wait / 1000) + " s",
              static_cast<int32_t>(feed_wait), results);
    return;
  }
  std::vector<std::pair<std::string, int64_t>> quantities;
  quantities.reserve(pending.size());
  for (const Pending& p : pending) quantities.emplace_back(p.sku, p.quantity);
  const std::string feeds = settings_.endpoint + "/feeds/2021-06-30";

  // 1, 2: the document.
  Request create_document;
  create_document.method = "POST";
  create_document.url = feeds + "/documents";
  create_document.body = Json({{"contentType", kFeedContentType}}).dump();
  CallResult call =
      client_.Send(&create_document_bucket_, create_document, kMaxPaceWaitMs, "createFeedDocument");
  if (!Usable(call, "createFeedDocument", &why, &wait_ms)) {
    RetryRest(pending, 0, why, wait_ms, results);
    return;
  }
  DocumentLocation document;
  try {
    document = ParseDocument(call.response.body, "createFeedDocument");
  } catch (const Error& e) {
    RetryRest(pending, 0, e.what(), 0, results);
    return;
  }
  Request upload;
  upload.method = "PUT";
  upload.url = document.url;
  upload.shown_url = ShownPresigned(document.url);
  upload.content_type = kFeedContentType;
  upload.body =
      ListingsFeed(settings_.seller_id, settings_.product_type, settings_.channel_code, quantities);
  call = client_.SendPresigned(std::move(upload));
  if (!Usable(call, "PUT feed document " + document.id, &why, &wait_ms)) {
    RetryRest(pending, 0, why, wait_ms, results);
    return;
  }

  // 3: the feed.
  Request create_feed;
  create_feed.method = "POST";
  create_feed.url = feeds + "/feeds";
  create_feed.body = Json({{"feedType", "JSON_LISTINGS_FEED"},
                           {"marketplaceIds", Json::array({settings_.marketplace_id})},
                           {"inputFeedDocumentId", document.id}})
                         .dump();
  call = client_.Send(&create_feed_bucket_, create_feed, kMaxPaceWaitMs, "createFeed");
  std::string feed_id;
  try {
    if (!Usable(call, "createFeed", &why, &wait_ms)) throw Error(why);
    feed_id = ParseFeedId(call.response.body, "createFeed");
  } catch (const Error& e) {
    RetryRest(pending, 0, e.what(), wait_ms, results);
    return;
  }
  host_.Count("feeds");
  host_.Log(LogLevel::kInfo, "feed " + feed_id + ": JSON_LISTINGS_FEED of " +
                                 std::to_string(pending.size()) + " quantities submitted");

  // 4: until it is processed.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.feed_timeout_ms);
  int64_t delay_ms = kFirstFeedPollMs;
  FeedState state;
  std::string last_problem;
  while (true) {
    const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    if (left <= 0) {
      RetryRest(pending, 0,
                "feed " + feed_id + " not processed within " +
                    std::to_string(settings_.feed_timeout_ms) + " ms (last status " +
                    (state.status.empty() ? "unknown" : state.status) +
                    (last_problem.empty() ? "" : ", " + last_problem) + ")",
                0, results);
      return;
    }
    if (!SleepUnlessCancelled(host_, std::min(delay_ms, left))) {
      RetryRest(pending, 0, "feed " + feed_id + ": abandoned, stockd is stopping", 0, results);
      return;
    }
    delay_ms = std::min(delay_ms * 2, kMaxFeedPollMs);
    Request get_feed;
    get_feed.url = feeds + "/feeds/" + client_.http().Escape(feed_id);
    call = client_.Send(&get_feed_bucket_, get_feed, std::min(left, kMaxPaceWaitMs),
                        "getFeed " + feed_id);
    if (call.kind == CallResult::Kind::kPaused) {
      RetryRest(pending, 0, call.message, call.retry_after_ms, results);
      return;
    }
    if (!Usable(call, "getFeed " + feed_id, &why, &wait_ms)) {
      last_problem = why;  // throttled or unreachable for now: the feed goes on
      continue;
    }
    try {
      state = ParseFeed(call.response.body, "getFeed " + feed_id);
    } catch (const Error& e) {
      last_problem = e.what();
      continue;
    }
    if (state.status == "DONE" || state.status == "FATAL" || state.status == "CANCELLED") break;
  }

  // 5, 6: the processing report.
  ProcessingReport report;
  std::string report_problem;
  if (state.result_document_id.empty()) {
    report_problem = "no processing report";
  } else {
    Request get_document;
    get_document.url = feeds + "/documents/" + client_.http().Escape(state.result_document_id);
    call = client_.Send(&get_document_bucket_, get_document, kMaxPaceWaitMs, "getFeedDocument");
    try {
      if (!Usable(call, "getFeedDocument", &why, &wait_ms)) throw Error(why);
      const DocumentLocation result = ParseDocument(call.response.body, "getFeedDocument");
      if (!result.compression.empty()) {
        throw Error("the processing report is " + result.compression +
                    "-compressed, which this adapter cannot read");
      }
      Request download;
      download.url = result.url;
      download.shown_url = ShownPresigned(result.url);
      call = client_.SendPresigned(std::move(download));
      if (!Usable(call, "GET processing report", &why, &wait_ms)) throw Error(why);
      report = ParseProcessingReport(call.response.body, "processing report of feed " + feed_id);
    } catch (const Error& e) {
      report_problem = e.what();
    }
  }
  if (state.status != "DONE") {
    const std::string reason = !report.feed_errors.empty() ? report.feed_errors : report_problem;
    RetryRest(pending, 0, "feed " + feed_id + " ended " + state.status + ": " + reason, 0, results);
    host_.Log(LogLevel::kError, (*results)[pending.front().index].message);
    return;
  }
  if (!report_problem.empty()) {
    // Processed, but which messages failed is unknown: trust it and let reconciliation
    // (fetch) find what did not take.
    host_.Count("feed_reports_unread");
    host_.Log(LogLevel::kWarn, "feed " + feed_id + " is DONE but its report could not be read (" +
                                   report_problem + "): its items are taken as accepted");
  }
  size_t rejected = 0;
  for (size_t k = 0; k < pending.size(); ++k) {
    const Pending& p = pending[k];
    PushResult& result = (*results)[p.index];
    const auto it = report.message_errors.find(static_cast<int64_t>(k + 1));
    if (it != report.message_errors.end()) {
      result = PushResult::Permanent("amazon rejected SKU " + p.sku + " (feed " + feed_id +
                                     "): " + it->second);
      host_.Count("items_rejected");
      ++rejected;
    } else if (!report.feed_errors.empty()) {
      result = PushResult::Retry("feed " + feed_id + ": " + report.feed_errors);
    } else {
      result = PushResult::Ok();
    }
  }
  host_.Log(LogLevel::kInfo, "feed " + feed_id + " DONE: " + std::to_string(pending.size()) +
                                 " messages, " + std::to_string(rejected) + " rejected");
}

}  // namespace stockd::amazon
