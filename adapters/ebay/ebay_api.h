// eBay's Sell APIs as the eBay adapter speaks them: request bodies and the reading of
// answers, as pure functions (no HTTP, no clock), so that every shape eBay may answer can
// be tested on its own. The API facts they rely on:
//
//   Inventory API (https://api.ebay.com/sell/inventory/v1, OpenAPI 1.13+)
//     POST /bulk_update_price_quantity  {"requests":[{"sku", "shipToLocationAvailability":
//          {"quantity"}, "offers":[{"offerId", "availableQuantity"}]}]}, 1..25 requests;
//          200 = every item OK, 207 = mixed: {"responses":[{statusCode, sku, offerId,
//          errors[{errorId, domain, category, message}], warnings[]}]}; 400 = the whole call
//          was refused ({"errors":[...]}); 500 = errorId 25001 (system error).
//     GET  /offer?sku=X&marketplace_id=M  {"offers":[{offerId, sku, marketplaceId, status}],
//          "total"}; a SKU without offers: 404 errorId 25713 ("This Offer is not available")
//          or an empty list.
//     GET  /inventory_item/{sku}  availability.shipToLocationAvailability.quantity; 404
//          errorId 25710 when there is no such item.
//   Fulfillment API (https://api.ebay.com/sell/fulfillment/v1)
//     GET  /order?filter=lastmodifieddate:[ISO..ISO]&limit=L&offset=O  {"orders":[{orderId,
//          lastModifiedDate, orderFulfillmentStatus, cancelStatus{cancelState},
//          lineItems[{lineItemId, sku, quantity, lineItemFulfillmentStatus}]}], "total"}.
//          Orders appear once paid (checkout complete); the order of the list is not
//          documented, so a poll sorts what it read.
//   Errors everywhere: {"errors":[{"errorId", "domain", "category", "message", "longMessage"}]}.
//
// Thread safety: pure functions.
#ifndef STOCKD_ADAPTERS_EBAY_EBAY_API_H_
#define STOCKD_ADAPTERS_EBAY_EBAY_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::ebay {

constexpr size_t kMaxRequestsPerCall = 25;  // bulkUpdatePriceQuantity's limit
constexpr size_t kMaxSkuBytes = 50;         // the Inventory API's SKU limit

// Inventory API errorIds the adapter acts on.
constexpr int64_t kSystemError = 25001;        // "A system error has occurred": retry
constexpr int64_t kConcurrentAccess = 25025;   // "Concurrent access of Inventory": retry
constexpr int64_t kInvalidValue = 25709;       // "Invalid value for {fieldName}"
constexpr int64_t kSkuNotFound = 25702;        // "{sku} could not be found"
constexpr int64_t kNotFound = 25710;           // "We didn't find the resource/entity"
constexpr int64_t kOfferNotAvailable = 25713;  // "This Offer is not available"
constexpr int64_t kOffersInvalid = 25754;      // "One or more provided offerId(s) are invalid"

// One entry of an "errors" (or "warnings") array.
struct ApiError {
  int64_t error_id = 0;
  std::string domain;
  std::string category;
  std::string message;
  std::string long_message;
};

// The "errors" array of an answer's body ({} or not JSON: none).
std::vector<ApiError> ParseErrors(const std::string& body);
std::vector<ApiError> ParseErrorArray(const stockd::sdk::Json& errors);
// "25002: Any User error; 25709: Invalid value for ..." (message, or longMessage when it
// has none); "" for none.
std::string Describe(const std::vector<ApiError>& errors);

// What eBay's answer to one item of a push means.
enum class Verdict {
  kOk,
  kRetry,       // 25001, 25025: transient on eBay's side
  kCapReached,  // the listing was revised as often as eBay allows today
  kGone,        // the offer or SKU is not (or no longer) there
  kPermanent,   // the data was refused
};
// The verdict for an item whose errors are `errors` (empty: kOk). The revision cap is
// recognized by its message (it mentions revisions and a limit), whatever its errorId:
// eBay does not document the one it uses.
Verdict Classify(const std::vector<ApiError>& errors);

// UTC ISO 8601 with milliseconds, the format of eBay's timestamps:
// "2026-01-02T03:04:05.678Z". Parse accepts fractions of 0..9 digits and a "Z" or a
// +hh:mm / -hh:mm offset; nullopt otherwise.
std::string FormatIsoMs(int64_t epoch_ms);
std::optional<int64_t> ParseIsoMs(std::string_view text);

// ---------------------------------------------------------------- push
struct PushLine {
  std::string sku;
  std::string offer_id;
  int64_t quantity = 0;
};
// The bulkUpdatePriceQuantity body: both the inventory item's ship-to-home quantity and
// the offer's available quantity (the listing shows the smaller of the two).
std::string BulkUpdateBody(const std::vector<PushLine>& lines);

// One entry of a 200/207 answer's "responses".
struct LineAnswer {
  int64_t status_code = 0;
  std::string sku;
  std::string offer_id;
  std::vector<ApiError> errors;
};
// The "responses" of a 200/207 answer; nullopt when the body is not such an object.
std::optional<std::vector<LineAnswer>> ParseBulkAnswer(const std::string& body);

// ---------------------------------------------------------------- offers and items
// The offerId of getOffers' answer for `marketplace_id`: a PUBLISHED offer first, else any
// offer of that marketplace; "" when there is none. Throws sdk::Error when the body is not
// the documented object.
std::string PickOfferId(const std::string& body, const std::string& marketplace_id);

// getInventoryItem's availability.shipToLocationAvailability.quantity (absent: 0). Throws
// sdk::Error when the body is not an object or the quantity not an integer.
int64_t InventoryQuantity(const std::string& body);

// ---------------------------------------------------------------- orders
struct PolledOrder {
  stockd::sdk::Order order;  // revision = lastModifiedDate in ms
  std::string modified;      // lastModifiedDate as eBay wrote it
};
struct OrdersPage {
  std::vector<PolledOrder> orders;
  int64_t total = 0;  // orders matching the filter, over all pages
};
// One getOrders page, checked whole; `request` starts every message. The mapping: eBay
// lists paid orders only (accepted); cancelState CANCELED -> cancelled (lines not shipped
// are cancelled); orderFulfillmentStatus FULFILLED -> shipped (every line whole);
// IN_PROGRESS -> shipped for the lines whose lineItemFulfillmentStatus is FULFILLED (the
// others stay unshipped), accepted when there is none. A line without a SKU is reported as
// "lineitem:<lineItemId>" (the daemon parks its order as unmapped).
OrdersPage ParseOrdersPage(const std::string& body, const std::string& request);

}  // namespace stockd::ebay

#endif  // STOCKD_ADAPTERS_EBAY_EBAY_API_H_
