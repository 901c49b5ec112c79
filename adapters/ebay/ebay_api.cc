#include "ebay_api.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>

namespace stockd::ebay {
namespace {

using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::Order;
using stockd::sdk::OrderLine;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// Reads exactly `n` digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > text.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string StringField(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ---- orders

[[noreturn]] void Malformed(const std::string& request, const std::string& what) {
  throw Error(request + ": malformed answer: " + what);
}

const Json& Member(const Json& object, const char* key, const std::string& request,
                   const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) Malformed(request, where + "." + key + " is missing");
  return *it;
}

std::string RequireString(const Json& object, const char* key, const std::string& request,
                          const std::string& where) {
  const Json& v = Member(object, key, request, where);
  if (!v.is_string() || v.get<std::string>().empty()) {
    Malformed(request, where + "." + key + " is not a non-empty string");
  }
  return v.get<std::string>();
}

int64_t RequireCount(const Json& object, const char* key, const std::string& request,
                     const std::string& where) {
  const Json& v = Member(object, key, request, where);
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    Malformed(request, where + "." + key + " is not an integer >= 0");
  }
  return v.get<int64_t>();
}

PolledOrder ReadOrder(const Json& o, const std::string& request, const std::string& where) {
  if (!o.is_object()) Malformed(request, where + " is not an object");
  PolledOrder polled;
  Order& order = polled.order;
  order.order_id = RequireString(o, "orderId", request, where);
  polled.modified = RequireString(o, "lastModifiedDate", request, where);
  const std::optional<int64_t> modified_ms = ParseIsoMs(polled.modified);
  if (!modified_ms || *modified_ms <= 0) {
    Malformed(request,
              where + ".lastModifiedDate \"" + polled.modified + "\" is not an ISO 8601 timestamp");
  }
  order.revision = *modified_ms;
  const std::string fulfillment = RequireString(o, "orderFulfillmentStatus", request, where);
  if (fulfillment != "NOT_STARTED" && fulfillment != "IN_PROGRESS" && fulfillment != "FULFILLED") {
    Malformed(request, where + ".orderFulfillmentStatus \"" + fulfillment + "\" is unknown");
  }
  std::string cancel_state = "NONE_REQUESTED";
  const auto cancel = o.find("cancelStatus");
  if (cancel != o.end() && !cancel->is_null()) {
    if (!cancel->is_object()) Malformed(request, where + ".cancelStatus is not an object");
    cancel_state = RequireString(*cancel, "cancelState", request, where + ".cancelStatus");
  }
  const bool cancelled = cancel_state == "CANCELED";
  const Json& items = Member(o, "lineItems", request, where);
  if (!items.is_array() || items.empty()) {
    Malformed(request, where + ".lineItems is not a non-empty array");
  }
  bool any_shipped = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string at = where + ".lineItems[" + std::to_string(i) + "]";
    const Json& item = items[i];
    if (!item.is_object()) Malformed(request, at + " is not an object");
    OrderLine line;
    const std::string sku = StringField(item, "sku");
    line.listing_id =
        sku.empty() ? "lineitem:" + RequireString(item, "lineItemId", request, at) : sku;
    line.quantity = RequireCount(item, "quantity", request, at);
    if (line.quantity < 1) Malformed(request, at + ".quantity is 0");
    const bool shipped =
        fulfillment == "FULFILLED" || StringField(item, "lineItemFulfillmentStatus") == "FULFILLED";
    line.quantity_shipped = shipped ? line.quantity : 0;
    line.quantity_cancelled = cancelled ? line.quantity - line.quantity_shipped : 0;
    any_shipped = any_shipped || shipped;
    order.lines.push_back(std::move(line));
  }
  order.status = cancelled ? "cancelled" : any_shipped ? "shipped" : "accepted";
  return polled;
}

}  // namespace

// ---------------------------------------------------------------- errors

std::vector<ApiError> ParseErrorArray(const Json& errors) {
  std::vector<ApiError> out;
  if (!errors.is_array()) return out;
  for (const Json& e : errors) {
    if (!e.is_object()) continue;
    ApiError error;
    const auto id = e.find("errorId");
    if (id != e.end() && id->is_number_integer()) error.error_id = id->get<int64_t>();
    error.domain = StringField(e, "domain");
    error.category = StringField(e, "category");
    error.message = StringField(e, "message");
    error.long_message = StringField(e, "longMessage");
    out.push_back(std::move(error));
  }
  return out;
}

std::vector<ApiError> ParseErrors(const std::string& body) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object()) return {};
  const auto it = parsed.find("errors");
  return it == parsed.end() ? std::vector<ApiError>{} : ParseErrorArray(*it);
}

std::string Describe(const std::vector<ApiError>& errors) {
  std::string out;
  for (const ApiError& e : errors) {
    if (!out.empty()) out += "; ";
    out += std::to_string(e.error_id) + ": " + (e.message.empty() ? e.long_message : e.message);
  }
  return out;
}

Verdict Classify(const std::vector<ApiError>& errors) {
  if (errors.empty()) return Verdict::kOk;
  Verdict verdict = Verdict::kRetry;
  for (const ApiError& e : errors) {
    const std::string text = Lower(e.message + " " + e.long_message);
    const bool cap =
        text.find("revis") != std::string::npos &&
        (text.find("limit") != std::string::npos || text.find("maximum") != std::string::npos ||
         text.find("exceed") != std::string::npos || text.find("times") != std::string::npos);
    if (cap) return Verdict::kCapReached;
    if (e.error_id == kSystemError || e.error_id == kConcurrentAccess) continue;
    if (e.error_id == kOfferNotAvailable || e.error_id == kSkuNotFound || e.error_id == kNotFound ||
        e.error_id == kOffersInvalid) {
      if (verdict == Verdict::kRetry) verdict = Verdict::kGone;
      continue;
    }
    verdict = Verdict::kPermanent;
  }
  return verdict;
}

// ---------------------------------------------------------------- time

std::string FormatIsoMs(int64_t epoch_ms) {
  int64_t days = epoch_ms / 86'400'000;
  int64_t ms_of_day = epoch_ms % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    --days;
  }
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer,
                "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
                ".%03" PRId64 "Z",
                y, m, d, ms_of_day / 3'600'000, ms_of_day / 60'000 % 60, ms_of_day / 1000 % 60,
                ms_of_day % 1000);
  return buffer;
}

std::optional<int64_t> ParseIsoMs(std::string_view text) {
  size_t pos = 0;
  int64_t y, mo, d, h, mi, s;
  if (!Digits(text, &pos, 4, &y) || !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &mo) ||
      !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &d) || !Expect(text, &pos, 'T') ||
      !Digits(text, &pos, 2, &h) || !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &mi) ||
      !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &s)) {
    return std::nullopt;
  }
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDaysInMonth[mo - 1] || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int64_t sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!Digits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t seconds = DaysFromCivil(y, mo, d) * 86'400 + h * 3600 + mi * 60 + s;
  return (seconds - offset_min * 60) * 1000 + ms;
}

// ---------------------------------------------------------------- push

std::string BulkUpdateBody(const std::vector<PushLine>& lines) {
  nlohmann::ordered_json requests = nlohmann::ordered_json::array();
  for (const PushLine& line : lines) {
    requests.push_back(
        {{"sku", line.sku},
         {"shipToLocationAvailability", {{"quantity", line.quantity}}},
         {"offers", nlohmann::ordered_json::array(
                        {{{"offerId", line.offer_id}, {"availableQuantity", line.quantity}}})}});
  }
  const nlohmann::ordered_json body = {{"requests", std::move(requests)}};
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::vector<LineAnswer>> ParseBulkAnswer(const std::string& body) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  const auto responses = parsed.find("responses");
  if (responses == parsed.end() || !responses->is_array()) return std::nullopt;
  std::vector<LineAnswer> out;
  for (const Json& r : *responses) {
    if (!r.is_object()) continue;
    LineAnswer answer;
    const auto code = r.find("statusCode");
    if (code != r.end() && code->is_number_integer()) answer.status_code = code->get<int64_t>();
    answer.sku = StringField(r, "sku");
    answer.offer_id = StringField(r, "offerId");
    const auto errors = r.find("errors");
    if (errors != r.end()) answer.errors = ParseErrorArray(*errors);
    out.push_back(std::move(answer));
  }
  return out;
}

// ---------------------------------------------------------------- offers and items

std::string PickOfferId(const std::string& body, const std::string& marketplace_id) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object()) throw Error("getOffers answered something that is not a JSON object");
  const auto offers = parsed.find("offers");
  if (offers == parsed.end() || offers->is_null()) return "";
  if (!offers->is_array()) throw Error("getOffers answered \"offers\" that is not an array");
  std::string any;
  for (const Json& offer : *offers) {
    if (!offer.is_object()) continue;
    const std::string id = StringField(offer, "offerId");
    const std::string marketplace = StringField(offer, "marketplaceId");
    if (id.empty() || (!marketplace.empty() && marketplace != marketplace_id)) continue;
    if (StringField(offer, "status") == "PUBLISHED") return id;
    if (any.empty()) any = id;
  }
  return any;
}

int64_t InventoryQuantity(const std::string& body) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object()) {
    throw Error("getInventoryItem answered something that is not a JSON object");
  }
  const auto availability = parsed.find("availability");
  if (availability == parsed.end() || !availability->is_object()) return 0;
  const auto ship = availability->find("shipToLocationAvailability");
  if (ship == availability->end() || !ship->is_object()) return 0;
  const auto quantity = ship->find("quantity");
  if (quantity == ship->end() || quantity->is_null()) return 0;
  if (!quantity->is_number_integer()) {
    throw Error("getInventoryItem answered a quantity that is not an integer");
  }
  return std::max<int64_t>(0, quantity->get<int64_t>());
}

// ---------------------------------------------------------------- orders

OrdersPage ParseOrdersPage(const std::string& body, const std::string& request) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object()) Malformed(request, "not a JSON object");
  OrdersPage page;
  page.total = RequireCount(parsed, "total", request, "answer");
  const auto orders = parsed.find("orders");
  if (orders == parsed.end() || orders->is_null()) return page;
  if (!orders->is_array()) Malformed(request, "answer.orders is not an array");
  for (size_t i = 0; i < orders->size(); ++i) {
    page.orders.push_back(
        ReadOrder((*orders)[i], request, "answer.orders[" + std::to_string(i) + "]"));
  }
  return page;
}

}  // namespace stockd::ebay
