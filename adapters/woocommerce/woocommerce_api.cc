// Request bodies and answers of the WooCommerce REST API v3 (woocommerce_api.h).
#include "woocommerce_api.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <utility>

namespace stockd::woocommerce {

using stockd::sdk::Error;
using stockd::sdk::Json;

namespace {

// An integer member of `object`; nullopt when absent, null, or not an integer (a float
// with an integral value counts: PHP may send 3.0).
std::optional<int64_t> OptionalInt(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -9e18 && d < 9e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

int64_t RequireInt(const Json& object, const char* key, const std::string& where, int64_t min) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) throw Error(where + ": no \"" + key + "\"");
  const std::optional<int64_t> n = OptionalInt(object, key);
  if (!n) throw Error(where + "." + key + " is not an integer");
  if (*n < min) {
    throw Error(where + "." + key + " is " + std::to_string(*n) + ", below " + std::to_string(min));
  }
  return *n;
}

// A string member; "" when absent or null; throws when something else.
std::string OptionalString(const Json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) throw Error(where + "." + key + " is not a string");
  return it->get<std::string>();
}

Json ParseJson(const std::string& body, const std::string& request) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(request + ": the answer is not JSON");
  return json;
}

// Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool Digits(std::string_view text, size_t at, size_t n, int* out) {
  if (at + n > text.size()) return false;
  int value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

}  // namespace

std::vector<ProductInfo> ParseProductList(const std::string& body, const std::string& request,
                                          int64_t parent_id) {
  const Json json = ParseJson(body, request);
  if (!json.is_array()) throw Error(request + ": the answer is not a list of products");
  std::vector<ProductInfo> out;
  for (size_t i = 0; i < json.size(); ++i) {
    const std::string where = request + ": answer[" + std::to_string(i) + "]";
    const Json& p = json[i];
    if (!p.is_object()) throw Error(where + " is not an object");
    ProductInfo info;
    info.id = RequireInt(p, "id", where, 1);
    info.parent_id = OptionalInt(p, "parent_id").value_or(parent_id);
    info.type = OptionalString(p, "type", where);
    if (info.type.empty() && parent_id != 0) info.type = "variation";
    info.sku = OptionalString(p, "sku", where);
    const auto manage = p.find("manage_stock");
    // A variation whose parent manages its stock says "parent" (WooCommerce 3.x).
    info.manage_stock = manage != p.end() && manage->is_boolean() && manage->get<bool>();
    const auto quantity = p.find("stock_quantity");
    if (quantity != p.end() && !quantity->is_null()) {
      const std::optional<int64_t> q = OptionalInt(p, "stock_quantity");
      if (!q) throw Error(where + ".stock_quantity is not an integer");
      info.stock_quantity = q;
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string BatchBody(const std::vector<StockUpdate>& updates) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const StockUpdate& u : updates) {
    list.push_back({{"id", u.id}, {"stock_quantity", u.quantity}, {"manage_stock", true}});
  }
  return nlohmann::ordered_json{{"update", std::move(list)}}.dump();
}

std::vector<BatchItemResult> ParseBatchAnswer(const std::string& body, const std::string& request) {
  const Json json = ParseJson(body, request);
  // An empty PHP array is sent as []: nothing of the request was read.
  if (!json.is_object()) throw Error(request + ": the answer has no \"update\" list");
  const auto update = json.find("update");
  if (update == json.end() || !update->is_array()) {
    throw Error(request + ": the answer has no \"update\" list");
  }
  std::vector<BatchItemResult> out;
  for (const Json& entry : *update) {
    BatchItemResult r;
    if (!entry.is_object()) {
      out.push_back(r);
      continue;
    }
    r.id = OptionalInt(entry, "id");
    const auto error = entry.find("error");
    if (error != entry.end() && error->is_object()) {
      r.kind = BatchItemResult::Kind::kError;
      const auto code = error->find("code");
      const auto message = error->find("message");
      r.code = code != error->end() && code->is_string() ? code->get<std::string>() : "";
      r.message =
          message != error->end() && message->is_string() ? message->get<std::string>() : "";
      const auto data = error->find("data");
      if (data != error->end() && data->is_object()) {
        r.status = OptionalInt(*data, "status").value_or(0);
      }
    } else if (r.id.has_value()) {
      r.kind = BatchItemResult::Kind::kSaved;
      const auto quantity = entry.find("stock_quantity");
      if (quantity != entry.end() && !quantity->is_null()) {
        r.stock_quantity = OptionalInt(entry, "stock_quantity");
      }
      const auto manage = entry.find("manage_stock");
      r.manage_stock = manage != entry.end() && manage->is_boolean() && manage->get<bool>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string ErrorText(const std::string& body) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return "";
  const auto code = json.find("code");
  const auto message = json.find("message");
  if (code == json.end() || !code->is_string()) return "";
  std::string text = code->get<std::string>();
  if (message != json.end() && message->is_string()) text += ": " + message->get<std::string>();
  return text;
}

std::optional<int64_t> ParseGmtSeconds(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, &year) || text.size() < 19 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !Digits(text, 11, 2, &hour) ||
      text[13] != ':' || !Digits(text, 14, 2, &minute) || text[16] != ':' ||
      !Digits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const size_t digits_start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == digits_start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh, om;
    if (!Digits(text, at + 1, 2, &oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !Digits(text, at + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_s = (text[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at += 6;
  }
  if (at != text.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, day);
  return days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
}

std::string FormatGmt(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return buffer;
}

std::unordered_map<std::string, ProductIds> LoadProductMapping(const std::string& path) {
  static constexpr char kColumns[] = "sku,product_id[,variation_id]";
  std::ifstream in(path);
  if (!in) {
    throw Error("config: \"mapping_file\": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  std::unordered_map<std::string, ProductIds> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (number == 1 && line.rfind("sku,", 0) == 0) continue;
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      std::string field = line.substr(start, comma == std::string::npos ? comma : comma - start);
      const size_t b = field.find_first_not_of(" \t");
      const size_t e = field.find_last_not_of(" \t");
      fields.push_back(b == std::string::npos ? "" : field.substr(b, e - b + 1));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (fields.size() != 2 && fields.size() != 3) {
      throw Error(where + "expected 2 or 3 fields (" + kColumns + "), got " +
                  std::to_string(fields.size()));
    }
    if (fields[0].empty()) throw Error(where + "an empty SKU (" + kColumns + ")");
    std::vector<int64_t> ids;
    for (size_t i = 1; i < fields.size(); ++i) {
      const std::string& f = fields[i];
      const bool digits =
          !f.empty() && f.size() <= 18 && f.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoll(f) == 0) {
        throw Error(where + "\"" + f + "\" is not a positive integer id (" + kColumns + ")");
      }
      ids.push_back(std::stoll(f));
    }
    const ProductIds mapped = ids.size() == 1 ? ProductIds{ids[0], 0} : ProductIds{ids[1], ids[0]};
    if (!out.emplace(fields[0], mapped).second) {
      throw Error(where + "SKU \"" + fields[0] + "\" is mapped twice");
    }
  }
  if (in.bad()) throw Error("config: \"mapping_file\": cannot read \"" + path + "\"");
  return out;
}

}  // namespace stockd::woocommerce
