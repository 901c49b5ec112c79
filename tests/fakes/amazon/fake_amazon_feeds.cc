// FakeAmazon's Feeds API 2021-06-30 for JSON_LISTINGS_FEED: feed documents with presigned
// upload and download URLs, feeds processed feed_processing_ms after createFeed, and the
// processing report (listings-feed-processing-report-schema-v2: header, issues with
// messageId and sku, summary). Every handler runs with mu_ held.
#include <algorithm>
#include <set>

#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/amazon/fake_amazon_rules.h"

namespace stockd::fakes {

using amazon_fake::Errors;
using amazon_fake::InvalidInput;
using Json = nlohmann::json;

namespace {

constexpr size_t kMaxMessages = 10'000;

}  // namespace

HttpAnswer FakeAmazon::CreateDocument(const HttpRequest& request) {
  const Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return InvalidInput("the body is not a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "contentType") return InvalidInput("unknown member \"" + it.key() + "\"");
  }
  if (!body.contains("contentType") || !body["contentType"].is_string() ||
      body["contentType"].get<std::string>().empty()) {
    return InvalidInput("contentType is required");
  }
  const std::string id = "amzn1.tortuga.4.eu." + RandomHexLocked(8) + "-" + RandomHexLocked(4) +
                         "-" + RandomHexLocked(12);
  Document& d = documents_[id];
  d.content_type = body["contentType"].get<std::string>();
  const std::string url = PresignLocked(id, /*upload=*/true);
  return HttpAnswer::Json(201, Json({{"feedDocumentId", id}, {"url", url}}).dump());
}

HttpAnswer FakeAmazon::GetDocument(const std::string& id) {
  const auto it = documents_.find(id);
  if (it == documents_.end() || !it->second.uploaded) {
    return Errors(404, "NotFound", "The requested feed document was not found.", id);
  }
  const std::string url = PresignLocked(id, /*upload=*/false);
  return HttpAnswer::Json(200, Json({{"feedDocumentId", id}, {"url", url}}).dump());
}

HttpAnswer FakeAmazon::CreateFeed(const HttpRequest& request) {
  const Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return InvalidInput("the body is not a JSON object");
  static const std::set<std::string> kMembers = {"feedType", "marketplaceIds",
                                                 "inputFeedDocumentId", "feedOptions"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (kMembers.count(it.key()) == 0) return InvalidInput("unknown member \"" + it.key() + "\"");
  }
  if (!body.contains("feedType") || !body["feedType"].is_string()) {
    return InvalidInput("feedType is required");
  }
  if (body["feedType"] != "JSON_LISTINGS_FEED") {
    return InvalidInput("feedType \"" + body["feedType"].get<std::string>() +
                        "\" is not supported by this fake (JSON_LISTINGS_FEED only)");
  }
  if (!body.contains("marketplaceIds") || !body["marketplaceIds"].is_array() ||
      body["marketplaceIds"].empty() || body["marketplaceIds"].size() > 25) {
    return InvalidInput("marketplaceIds must list 1 to 25 marketplaces");
  }
  Feed feed;
  for (const Json& id : body["marketplaceIds"]) {
    if (!id.is_string() ||
        std::find(options_.marketplace_ids.begin(), options_.marketplace_ids.end(),
                  id.get<std::string>()) == options_.marketplace_ids.end()) {
      return InvalidInput("marketplaceIds: " + id.dump() + " is not a marketplace of this seller");
    }
    feed.marketplace_ids.push_back(id.get<std::string>());
  }
  if (!body.contains("inputFeedDocumentId") || !body["inputFeedDocumentId"].is_string()) {
    return InvalidInput("inputFeedDocumentId is required");
  }
  feed.document_id = body["inputFeedDocumentId"].get<std::string>();
  const auto document = documents_.find(feed.document_id);
  if (document == documents_.end() || document->second.result || !document->second.uploaded) {
    return InvalidInput("inputFeedDocumentId \"" + feed.document_id +
                        "\" is not an uploaded feed document");
  }
  feed.id = std::to_string(50'000'000'000LL + next_id_++);
  feed.type = "JSON_LISTINGS_FEED";
  feed.created_ms = amazon_fake::NowMs();
  feed.starts = Clock::now() + std::chrono::milliseconds(options_.feed_processing_ms / 2);
  feed.done = Clock::now() + std::chrono::milliseconds(options_.feed_processing_ms);
  LogLocked("feed " + feed.id + " submitted (" + std::to_string(document->second.content.size()) +
            " bytes)");
  const std::string id = feed.id;
  feeds_[id] = std::move(feed);
  return HttpAnswer::Json(202, Json({{"feedId", id}}).dump());
}

HttpAnswer FakeAmazon::GetFeed(const std::string& id) {
  const auto it = feeds_.find(id);
  if (it == feeds_.end()) return Errors(404, "NotFound", "The requested feed was not found.", id);
  const Feed& f = it->second;
  Json answer = {{"feedId", f.id},
                 {"feedType", f.type},
                 {"marketplaceIds", f.marketplace_ids},
                 {"createdTime", amazon_fake::Iso8601(f.created_ms)},
                 {"processingStatus", f.status}};
  if (f.started_ms != 0) answer["processingStartTime"] = amazon_fake::Iso8601(f.started_ms);
  if (f.ended_ms != 0) answer["processingEndTime"] = amazon_fake::Iso8601(f.ended_ms);
  if (!f.result_document_id.empty()) answer["resultFeedDocumentId"] = f.result_document_id;
  return HttpAnswer::Json(200, answer.dump());
}

void FakeAmazon::ProcessFeedLocked(Feed* feed) {
  const int64_t now = amazon_fake::NowMs();
  if (feed->started_ms == 0) feed->started_ms = now;
  feed->ended_ms = now;
  Json issues = Json::array();
  int64_t processed = 0, accepted = 0, invalid = 0;
  std::string fatal;
  const Json document = Json::parse(documents_.at(feed->document_id).content, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    fatal = "The feed document is not a JSON object.";
  } else if (!document.contains("header") || !document["header"].is_object() ||
             document["header"].value("sellerId", "") != options_.seller_id ||
             document["header"].value("version", "") != "2.0") {
    fatal = "header must name this seller (sellerId) and version \"2.0\".";
  } else if (!document.contains("messages") || !document["messages"].is_array() ||
             document["messages"].empty() || document["messages"].size() > kMaxMessages) {
    fatal = "messages must hold 1 to 10000 messages.";
  }
  std::vector<PendingPatch> apply;
  if (fatal.empty()) {
    std::set<int64_t> ids;
    for (const Json& m : document["messages"]) {
      ++processed;
      const bool has_id = m.is_object() && m.contains("messageId") &&
                          m["messageId"].is_number_integer() && m["messageId"].get<int64_t>() >= 1;
      const std::string sku = m.is_object() ? m.value("sku", "") : "";
      size_t errors = 0;
      const auto issue = [&](const std::string& code, const std::string& message) {
        Json i = {{"code", code}, {"severity", "ERROR"}, {"message", message}};
        if (has_id) i["messageId"] = m["messageId"];
        if (!sku.empty()) i["sku"] = sku;
        issues.push_back(i);
        ++errors;
      };
      const std::string op = m.is_object() ? m.value("operationType", "") : "";
      if (!has_id || !ids.insert(m["messageId"].get<int64_t>()).second) {
        issue("100", "messageId must be a unique integer of at least 1.");
      } else if (sku.empty()) {
        issue("100", "sku is required.");
      } else if (op == "PATCH") {
        const std::string problem =
            !m.contains("productType") || !m["productType"].is_string()
                ? std::string("productType is required")
                : amazon_fake::PatchesProblem(m.contains("patches") ? m["patches"] : Json());
        if (!problem.empty()) {
          issue("100", "The message does not match the feed schema: " + problem + ".");
        } else {
          for (const Json& i : amazon_fake::AttributeIssues(m["patches"])) {
            issue(i["code"].get<std::string>(), i["message"].get<std::string>());
          }
          if (errors == 0 && listings_.count(sku) == 0 &&
              options_.unknown_sku == UnknownSku::kNotFound) {
            issue("NOT_FOUND",
                  "SKU '" + sku + "' not found in marketplace " + feed->marketplace_ids[0] + ".");
          }
        }
      } else if (op == "DELETE") {
        if (listings_.count(sku) == 0) issue("NOT_FOUND", "SKU '" + sku + "' not found.");
      } else {
        issue("100",
              "operationType \"" + op + "\" is not one this fake implements (PATCH, DELETE).");
      }
      if (errors > 0) {
        ++invalid;
        continue;
      }
      ++accepted;
      apply.push_back({Clock::now() + std::chrono::milliseconds(options_.apply_delay_ms), sku,
                       op == "PATCH" ? m["productType"].get<std::string>() : "",
                       op == "PATCH" ? m["patches"] : Json()});
    }
  } else {
    issues.push_back({{"code", "100"}, {"severity", "ERROR"}, {"message", fatal}});
  }
  for (PendingPatch& p : apply) pending_.push_back(std::move(p));
  const Json report = {
      {"header", {{"sellerId", options_.seller_id}, {"version", "2.0"}, {"feedId", feed->id}}},
      {"issues", issues},
      {"summary",
       {{"errors", issues.size()},
        {"warnings", 0},
        {"messagesProcessed", processed},
        {"messagesAccepted", accepted},
        {"messagesInvalid", invalid}}}};
  const std::string result_id = "amzn1.tortuga.4.eu." + RandomHexLocked(8) + "-result";
  Document& result = documents_[result_id];
  result.content_type = "application/json";
  result.content = report.dump();
  result.uploaded = true;
  result.result = true;
  feed->result_document_id = result_id;
  feed->status = fatal.empty() ? "DONE" : "FATAL";
  LogLocked("feed " + feed->id + " " + feed->status + ": " + std::to_string(processed) +
            " messages, " + std::to_string(accepted) + " accepted, " + std::to_string(invalid) +
            " invalid");
  if (options_.apply_delay_ms <= 0) {
    while (!pending_.empty() && pending_.front().due <= Clock::now()) {
      PendingPatch p = std::move(pending_.front());
      pending_.pop_front();
      ApplyPatchesLocked(p.sku, p.product_type, p.patches);
    }
  }
}

}  // namespace stockd::fakes
