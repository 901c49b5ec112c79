// Amazon Selling Partner API: the request bodies the adapter sends and the answers it reads,
// as pure functions (no HTTP), so that every shape Amazon may answer can be tested alone.
// A malformed answer throws sdk::Error naming the field; nothing else is thrown.
//
// API facts relied on (Amazon's published models, amzn/selling-partner-api-models):
//   Listings Items 2021-08-01  patchListingsItem body {productType, patches[{op, path, value}]};
//                              answer {sku, status ACCEPTED|INVALID, submissionId,
//                              issues[{code, message, severity, attributeNames}]};
//                              Item {sku, fulfillmentAvailability[{fulfillmentChannelCode,
//                              quantity}]}; searchListingsItems {numberOfResults, items[]}.
//   Errors                     {"errors": [{"code", "message", "details"}]} on every 4xx/5xx.
//   Feeds 2021-06-30           createFeedDocument -> {feedDocumentId, url}; createFeed ->
//                              {feedId}; getFeed -> Feed {processingStatus IN_QUEUE |
//                              IN_PROGRESS | DONE | FATAL | CANCELLED, resultFeedDocumentId};
//                              getFeedDocument -> {feedDocumentId, url, compressionAlgorithm}.
//   JSON_LISTINGS_FEED v2      {header{sellerId, version "2.0", issueLocale}, messages[
//                              {messageId, sku, operationType PATCH, productType, patches}]}
//                              (at most 10,000); processing report {header, issues[{messageId,
//                              sku, code, severity, message}], summary{errors, warnings,
//                              messagesProcessed, messagesAccepted, messagesInvalid}}.
//   Orders 2026-01-01          searchOrders {orders[{orderId, lastUpdatedTime, fulfillment{
//                              fulfillmentStatus}, orderItems[{orderItemId, quantityOrdered,
//                              product{sellerSku, asin}, fulfillment{quantityFulfilled,
//                              quantityUnfulfilled}}]}], pagination{nextToken}}; the
//                              fulfillment objects only with includedData=FULFILLMENT.
//
// Thread safety: pure functions.
#ifndef STOCKD_ADAPTERS_AMAZON_AMAZON_API_H_
#define STOCKD_ADAPTERS_AMAZON_AMAZON_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::amazon {

// ---------------------------------------------------------------- time
// ISO 8601 ("2026-12-01T10:00:05Z", fractional seconds and +hh:mm offsets accepted) as Unix
// epoch ms; nullopt when unreadable.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);
// Unix epoch ms as "2026-12-01T10:00:05Z" (".123" added when not whole seconds).
std::string FormatIso8601(int64_t ms);

// A rate in requests a second, shortest form ("5", "0.0056").
std::string FormatRate(double rate);

// ---------------------------------------------------------------- errors
// An error answer {"errors": [{code, message, details}]} on one line: "code: message
// (details); ..."; the body's excerpt when it is not that shape.
std::string ErrorsText(const std::string& body);

// ---------------------------------------------------------------- listings items
// The JSON Patch that sets the quantity of `channel_code` (merge: keeps the restock date
// and handling time Amazon has for it).
stockd::sdk::Json QuantityPatches(const std::string& channel_code, int64_t quantity);
// The patchListingsItem body.
std::string PatchBody(const std::string& product_type, const std::string& channel_code,
                      int64_t quantity);

// A 200 answer of patchListingsItem.
struct Submission {
  bool accepted = false;  // ACCEPTED (or VALID)
  std::string issues;     // INVALID: its ERROR issues, "code: message; ..."
};
Submission ParseSubmission(const std::string& body, const std::string& request);

// A searchListingsItems answer: SKU -> the quantity on `channel_code` (0 when the listing
// has no quantity for it).
std::map<std::string, int64_t> ParseSearchItems(const std::string& body,
                                                const std::string& channel_code,
                                                const std::string& request);
// A getListingsItem answer: the quantity on `channel_code` (0 when none).
int64_t ParseItemQuantity(const std::string& body, const std::string& channel_code,
                          const std::string& request);

// ---------------------------------------------------------------- feeds
// The JSON_LISTINGS_FEED document: one PATCH message per (seller SKU, quantity), message
// ids 1..n in order.
std::string ListingsFeed(const std::string& seller_id, const std::string& product_type,
                         const std::string& channel_code,
                         const std::vector<std::pair<std::string, int64_t>>& quantities);

struct DocumentLocation {
  std::string id;
  std::string url;
  std::string compression;  // compressionAlgorithm ("" = none)
};
// createFeedDocument / getFeedDocument answers.
DocumentLocation ParseDocument(const std::string& body, const std::string& request);
// createFeed answer: the feed id.
std::string ParseFeedId(const std::string& body, const std::string& request);

struct FeedState {
  std::string status;              // processingStatus
  std::string result_document_id;  // resultFeedDocumentId ("" until there is one)
};
FeedState ParseFeed(const std::string& body, const std::string& request);

// A processing report: the ERROR issues of each message id ("code: message; ...") and the
// feed-level ERROR issues (no message id) in *feed_errors.
struct ProcessingReport {
  std::map<int64_t, std::string> message_errors;
  std::string feed_errors;
  int64_t messages_processed = 0;
};
ProcessingReport ParseProcessingReport(const std::string& body, const std::string& request);

// ---------------------------------------------------------------- orders
struct PolledOrder {
  stockd::sdk::Order order;  // revision = lastUpdatedTime in ms
  std::string updated;       // lastUpdatedTime as Amazon wrote it
  int64_t updated_ms = 0;
};
struct OrdersPage {
  std::vector<PolledOrder> orders;
  std::string next_token;            // pagination.nextToken ("" on the last page)
  std::vector<std::string> skipped;  // orders of a status stockd does not know (why)
};
// Checks the page whole; `request` ("GET <url>") starts every message.
OrdersPage ParseOrdersPage(const std::string& body, const std::string& request);

}  // namespace stockd::amazon

#endif  // STOCKD_ADAPTERS_AMAZON_AMAZON_API_H_
