// ShopifyAdapter::Push: SKUs resolved to inventory items, then inventorySetQuantities 250
// quantities at a time (shopify_adapter.h has the contract).
#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>

#include "shopify_adapter.h"

namespace stockd::shopify {
namespace {

using stockd::sdk::Item;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

constexpr int64_t kPushWaitMs = 2000;  // longest wait for the bucket before a batch
constexpr int kSendRounds = 2;         // a batch, and once more for the items not at fault

std::string Quoted(std::string_view sku) { return "\"" + std::string(sku) + "\""; }

}  // namespace

PushResult ShopifyAdapter::ResultOfCall(const Result& r) const {
  switch (r.kind) {
    case Result::Kind::kOk:
      return PushResult::Ok();
    case Result::Kind::kRejected:
      return PushResult::Permanent(r.message);
    case Result::Kind::kRetry:
    case Result::Kind::kPaused:
      break;
  }
  return PushResult::Retry(r.message, r.retry_after_ms);
}

PushResult ShopifyAdapter::ResultOfResolve(const Item& item, const Result& lookup) {
  const std::string sku(item.listing_id);
  if (cache_.KnownMissing(sku)) {
    host_.Count("unmapped");
    return PushResult::Permanent("shopify has no listing with SKU " + Quoted(sku));
  }
  if (!lookup.ok()) return ResultOfCall(lookup);
  return PushResult::Retry("SKU " + Quoted(sku) + " was not looked up");
}

std::vector<PushResult> ShopifyAdapter::Push(const std::vector<Item>& items) {
  std::vector<PushResult> results(items.size());
  const std::string paused = api_.PausedReason();
  if (!paused.empty()) {
    const auto retry_after = static_cast<int32_t>(api_.pause_retry_after_ms());
    for (PushResult& r : results) r = PushResult::Retry(paused, retry_after);
    return results;
  }

  std::vector<std::string> unknown;
  for (const Item& item : items) {
    const std::string sku(item.listing_id);
    if (Known(sku) == nullptr && !cache_.KnownMissing(sku) &&
        std::find(unknown.begin(), unknown.end(), sku) == unknown.end()) {
      unknown.push_back(sku);
    }
  }
  const Result lookup = unknown.empty() ? Result{} : Resolve(unknown, kPushWaitMs);

  std::vector<Entry> entries;
  std::unordered_map<std::string, std::string> sku_of_gid;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const std::string sku(item.listing_id);
    if (item.quantity < 0 || item.quantity > kMaxQuantity) {
      results[i] = PushResult::Permanent("quantity " + std::to_string(item.quantity) + " of SKU " +
                                         Quoted(sku) + ": Shopify takes 0..1,000,000,000");
      host_.Count("items_rejected");
      continue;
    }
    const ItemIds* ids = Known(sku);
    if (ids == nullptr) {
      results[i] = ResultOfResolve(item, lookup);
      continue;
    }
    if (ids->matches > 1) {
      host_.Count("unmapped");
      results[i] = PushResult::Permanent("shopify has " + std::to_string(ids->matches) +
                                         " inventory items with SKU " + Quoted(sku) +
                                         ": give each its own SKU, or map it in mapping_file");
      continue;
    }
    const auto [it, first] = sku_of_gid.emplace(ids->gid, sku);
    if (!first) {
      results[i] = PushResult::Permanent("SKU " + Quoted(sku) + " and SKU " + Quoted(it->second) +
                                         " are both inventory item " + ids->gid +
                                         ": one quantity per item and push");
      host_.Count("items_rejected");
      continue;
    }
    entries.push_back({i, QuantityToSet{ids->gid, item.quantity, item.previous}});
  }

  for (size_t start = 0; start < entries.size(); start += kMaxQuantitiesPerCall) {
    const size_t end = std::min(entries.size(), start + kMaxQuantitiesPerCall);
    const std::vector<Entry> batch(entries.begin() + static_cast<std::ptrdiff_t>(start),
                                   entries.begin() + static_cast<std::ptrdiff_t>(end));
    if (!SendBatch(batch, items, &results)) {
      // Shopify is throttling for long, unreachable, or the channel is paused: the rest
      // waits for the same reason.
      const PushResult failed = results[batch.front().index];
      for (size_t k = end; k < entries.size(); ++k) {
        results[entries[k].index] =
            PushResult::Retry("not sent: " + failed.message, failed.retry_after_ms);
      }
      break;
    }
  }
  return results;
}

bool ShopifyAdapter::SendBatch(const std::vector<Entry>& entries, const std::vector<Item>& items,
                               std::vector<PushResult>* results) {
  std::vector<const Entry*> pending;
  for (const Entry& e : entries) pending.push_back(&e);
  bool rekeyed = false;  // an idempotency refusal: the same items once more, a new key
  for (int round = 0; round < kSendRounds && !pending.empty(); ++round) {
    if (round > 0) host_.Count("retries");
    std::vector<QuantityToSet> quantities;
    for (const Entry* e : pending) quantities.push_back(e->quantity);
    Json variables = SetQuantitiesVariables(settings_.quantity_name, settings_.reason,
                                            settings_.location_gid, quantities);
    if (!settings_.reference_uri.empty()) {
      variables["input"]["referenceDocumentUri"] = settings_.reference_uri;
    }
    // A fresh key per distinct request; Call's own resend of these bytes keeps it.
    const Result r = api_.Call("inventorySetQuantities", SetQuantitiesMutation(NewIdempotencyKey()),
                               variables, kMutationCost, kPushWaitMs);
    if (!r.ok()) {
      const PushResult each = ResultOfCall(r);
      for (const Entry* e : pending) (*results)[e->index] = each;
      if (r.kind == Result::Kind::kRejected) {
        host_.Count("items_rejected", static_cast<double>(pending.size()));
        host_.Log(LogLevel::kError, r.message);
        return true;  // this request was wrong; the next batch may still go
      }
      return false;
    }
    std::vector<UserError> errors;
    try {
      errors = ReadUserErrors(r.data);
    } catch (const stockd::sdk::Error& e) {
      for (const Entry* p : pending) (*results)[p->index] = PushResult::Retry(e.what());
      return true;
    }
    if (errors.empty()) {
      for (const Entry* e : pending) (*results)[e->index] = PushResult::Ok();
      return true;
    }

    // Shopify applied nothing of this batch. Each error naming a quantity is that item's
    // result; an error naming none concerns the whole batch.
    std::vector<std::optional<PushResult>> fault(pending.size());
    const UserError* batch_error = nullptr;
    for (const UserError& e : errors) {
      const bool idempotency = e.code.rfind("IDEMPOTENCY_", 0) == 0;
      if (idempotency || e.index < 0 || static_cast<size_t>(e.index) >= pending.size()) {
        if (batch_error == nullptr) batch_error = &e;
        continue;
      }
      std::optional<PushResult>& slot = fault[static_cast<size_t>(e.index)];
      if (slot.has_value()) continue;
      const Item& item = items[pending[static_cast<size_t>(e.index)]->index];
      const std::string sku(item.listing_id);
      if (e.code == "CHANGE_FROM_QUANTITY_STALE") {
        slot = PushResult::Conflict("Shopify's " + settings_.quantity_name + " quantity of SKU " +
                                    Quoted(sku) + " is no longer " + std::to_string(item.previous) +
                                    ": " + e.message);
      } else {
        if (e.code == "INVALID_INVENTORY_ITEM") cache_.Forget(sku);  // deleted: look up again
        slot = PushResult::Permanent("Shopify refused SKU " + Quoted(sku) + ": " + e.message +
                                     (e.code.empty() ? "" : " (" + e.code + ")"));
      }
    }
    if (batch_error != nullptr) {
      const std::string message = "inventorySetQuantities: " + batch_error->message +
                                  (batch_error->code.empty() ? "" : " (" + batch_error->code + ")");
      if (batch_error->code == "IDEMPOTENCY_CONCURRENT_REQUEST") {
        for (const Entry* p : pending) (*results)[p->index] = PushResult::Retry(message, 1000);
        return true;
      }
      if ((batch_error->code == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" ||
           batch_error->code == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH") &&
          !rekeyed) {
        host_.Log(LogLevel::kWarn, message + ": sending the batch again under a new key");
        rekeyed = true;
        --round;  // not a round of its own
        continue;
      }
      if (batch_error->code.rfind("IDEMPOTENCY_", 0) == 0) {
        for (const Entry* p : pending) (*results)[p->index] = PushResult::Retry(message);
        return true;
      }
      // INVALID_LOCATION, INVALID_NAME, INVALID_REASON...: the config is wrong.
      host_.Log(LogLevel::kError, message);
      for (size_t k = 0; k < pending.size(); ++k) {
        (*results)[pending[k]->index] =
            fault[k].has_value() ? *fault[k] : PushResult::Permanent(message);
      }
      host_.Count("items_rejected", static_cast<double>(pending.size()));
      return true;
    }

    std::vector<const Entry*> innocent;
    std::string first_refusal;
    size_t refused = 0;
    for (size_t k = 0; k < pending.size(); ++k) {
      if (!fault[k].has_value()) {
        innocent.push_back(pending[k]);
        continue;
      }
      (*results)[pending[k]->index] = *fault[k];
      if (fault[k]->status == PushResult::Status::kConflict) host_.Count("conflicts");
      if (fault[k]->status == PushResult::Status::kPermanent) {
        host_.Count("items_rejected");
        if (refused++ == 0) first_refusal = fault[k]->message;
      }
    }
    if (refused > 0) {
      host_.Log(LogLevel::kWarn, "inventorySetQuantities refused " + std::to_string(refused) +
                                     " item(s), e.g. " + first_refusal);
    }
    pending = std::move(innocent);
  }
  for (const Entry* e : pending) {
    (*results)[e->index] = PushResult::Retry(
        "not applied: Shopify refused the batch twice because of other items in it");
  }
  return true;
}

}  // namespace stockd::shopify
