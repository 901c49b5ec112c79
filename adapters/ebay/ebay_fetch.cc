// EbayAdapter::Fetch: GET /sell/inventory/v1/inventory_item/{sku} per listing, the
// inventory item's availability.shipToLocationAvailability.quantity (what the adapter
// pushes there). A SKU eBay does not have (404, or 400 errorId 25702/25709/25710) is -1.
// Any other failure fails the whole fetch: the daemon tries again later.
#include <string>

#include "ebay_adapter.h"

namespace stockd::ebay {

using stockd::sdk::Error;

std::vector<int64_t> EbayAdapter::Fetch(const std::vector<std::string_view>& listing_ids) {
  const std::string paused = PausedReason();
  if (!paused.empty()) throw Error(paused);
  std::vector<int64_t> quantities(listing_ids.size(), -1);
  for (size_t i = 0; i < listing_ids.size(); ++i) {
    const std::string sku(listing_ids[i]);
    if (sku.empty() || sku.size() > kMaxSkuBytes) continue;  // not an eBay SKU: none there
    Request request;
    request.url = settings_.endpoint + "/sell/inventory/v1/inventory_item/" + http_.Escape(sku);
    request.shown_url = shown_endpoint_ + "/sell/inventory/v1/inventory_item/" + http_.Escape(sku);
    const std::string what = "GET " + request.shown_url;
    // One listing may wait for its pacing slot as long as a request may take.
    const Call call =
        Send(request, Clock::now() + std::chrono::milliseconds(settings_.http.timeout_ms));
    if (call.kind != Call::Kind::kAnswered) throw Error(call.message);
    const Response& r = call.response;
    if (!r.answered()) throw Error(r.transport_error);
    if (r.status == 200) {
      try {
        quantities[i] = InventoryQuantity(r.body);
      } catch (const Error& e) {
        throw Error(what + ": " + e.what());
      }
      continue;
    }
    const std::vector<ApiError> errors = ParseErrors(r.body);
    bool unknown = r.status == 404;
    for (const ApiError& e : errors) {
      unknown =
          unknown || (r.status == 400 && (e.error_id == kSkuNotFound || e.error_id == kNotFound ||
                                          e.error_id == kInvalidValue));
    }
    if (unknown) continue;
    if (r.status == 429) TransientDelay(r);  // pauses the pacing, counts "throttled"
    throw Error(AnswerError(what, r));
  }
  return quantities;
}

}  // namespace stockd::ebay
