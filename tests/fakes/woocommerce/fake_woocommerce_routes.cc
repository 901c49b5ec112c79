// The fake WooCommerce shop's HTTP side: faults, the web server's rate limit, the API key,
// routing, and the products and orders routes (fake_woocommerce.h). Batches:
// fake_woocommerce_batch.cc.
#include <algorithm>
#include <set>
#include <utility>

#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/fakes/woocommerce/wordpress.h"

namespace stockd::fakes {
namespace {

using Json = wp::Json;

constexpr char kPrefix[] = "/wp-json/wc/v3/";
constexpr char kNginx429[] =
    "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.size() < 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

HttpAnswer WithTotals(HttpAnswer answer, size_t total, int64_t per_page) {
  const int64_t pages = (static_cast<int64_t>(total) + per_page - 1) / per_page;
  answer.With("X-WP-Total", std::to_string(total));
  answer.With("X-WP-TotalPages", std::to_string(pages));
  return answer;
}

std::map<std::string, std::string> Query(const HttpRequest& request) {
  return ParseQuery(request.query).value_or(std::map<std::string, std::string>{});
}

}  // namespace

HttpAnswer FakeWooCommerce::Handle(const HttpRequest& request) {
  std::optional<HttpAnswer> answer = faults_.Play(&server_);
  if (!answer && options_.requests_per_second > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    tokens_ =
        std::min(options_.burst, tokens_ + std::chrono::duration<double>(now - refilled_).count() *
                                               options_.requests_per_second);
    refilled_ = now;
    if (tokens_ >= 1) {
      tokens_ -= 1;
    } else {
      ++throttled_;
      HttpAnswer limited = HttpAnswer::Json(429, kNginx429);
      limited.content_type = "text/html";
      if (options_.retry_after) limited.With("Retry-After", "1");
      answer = std::move(limited);
    }
  }
  if (!answer) {
    if (options_.latency_ms > 0) server_.SleepUnlessStopped(options_.latency_ms);
    answer = Dispatch(request);
  }
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back({request.method, request.target, request.path, request.headers, request.body,
                       answer->action == HttpAnswer::Action::kRespond ? answer->status : 0});
  return *answer;
}

HttpAnswer FakeWooCommerce::Dispatch(const HttpRequest& request) {
  // 1. The API key: HTTP Basic, or the consumer_key/consumer_secret query parameters.
  const std::map<std::string, std::string> query = Query(request);
  std::string user;
  std::string password;
  if (query.count("consumer_key") != 0 && query.count("consumer_secret") != 0) {
    user = query.at("consumer_key");
    password = query.at("consumer_secret");
  } else if (const std::string auth = request.Header("authorization");
             Lower(auth.substr(0, 6)) == "basic ") {
    const std::optional<std::string> decoded = wp::Base64Decode(auth.substr(6));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      user = decoded->substr(0, colon);
      password = decoded->substr(colon + 1);
    }
  }
  Caller caller;
  std::string permissions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!user.empty() && !password.empty() && !key_revoked_ && user == key_) {
      if (password != secret_) {
        return wp::Error(401, "woocommerce_rest_authentication_error",
                         "Consumer secret is invalid.")
            .With("WWW-Authenticate",
                  "Basic realm=\"WooCommerce API. Use a consumer key in the username field and a "
                  "consumer secret in the password field.\"");
      }
      caller.authenticated = true;
      permissions = permissions_;
    }
  }
  // 2. The key's own permissions (rest_pre_dispatch), before routing.
  const bool reading = request.method == "GET" || request.method == "HEAD";
  if (caller.authenticated && reading && permissions == "write") {
    return wp::Error(401, "woocommerce_rest_authentication_error",
                     "The API key provided does not have read permissions.");
  }
  if (caller.authenticated && !reading && permissions == "read") {
    return wp::Error(401, "woocommerce_rest_authentication_error",
                     "The API key provided does not have write permissions.");
  }
  // 3. The route.
  const std::string& path = request.path;
  if (path.rfind(kPrefix, 0) != 0) return wp::NoRoute();
  std::vector<std::string> parts;
  size_t start = sizeof kPrefix - 1;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // a trailing slash
  const bool editable =
      request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (parts.size() == 1 && parts[0] == "products" && reading) {
    return ListProducts(request, caller, 0);
  }
  if (parts.size() == 1 && parts[0] == "orders" && reading) return ListOrders(request, caller);
  if (parts.size() == 2 && parts[0] == "products" && parts[1] == "batch" && editable) {
    return Batch(request, caller, 0);
  }
  if (parts.size() >= 3 && parts[0] == "products" && AllDigits(parts[1]) &&
      parts[2] == "variations") {
    const int64_t parent = std::stoll(parts[1]);
    if (parts.size() == 3 && reading) return ListProducts(request, caller, parent);
    if (parts.size() == 4 && parts[3] == "batch" && editable) {
      return Batch(request, caller, parent);
    }
  }
  return wp::NoRoute();
}

HttpAnswer FakeWooCommerce::ListProducts(const HttpRequest& request, const Caller& caller,
                                         int64_t parent) {
  const std::map<std::string, std::string> query = Query(request);
  wp::InvalidParams invalid;
  const int64_t page = wp::IntegerParam(query, "page", 1, 1, std::nullopt, &invalid);
  const int64_t per_page = wp::IntegerParam(query, "per_page", 10, 1, 100, &invalid);
  const std::string order = wp::EnumParam(query, "order", "desc", {"asc", "desc"}, &invalid);
  const std::string orderby = wp::EnumParam(query, "orderby", parent == 0 ? "date" : "menu_order",
                                            {"date", "id", "include", "title", "slug", "modified",
                                             "price", "popularity", "rating", "menu_order"},
                                            &invalid);
  if (!invalid.empty()) return invalid.Answer();
  if (!caller.authenticated) {
    return wp::Error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
  }
  // sku=A,B: any of them, and the whole string too; MySQL compares case-insensitively.
  std::set<std::string> skus;
  const auto sku = query.find("sku");
  if (sku != query.end() && !sku->second.empty()) {
    std::string part;
    for (char c : sku->second + ",") {
      if (c == ',') {
        skus.insert(Lower(part));
        part.clear();
      } else {
        part += c;
      }
    }
    skus.insert(Lower(sku->second));
  }
  const std::vector<int64_t> include = wp::IdListParam(query, "include");
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const Product*> matched;
  for (const auto& [id, p] : products_) {
    if (parent != 0 && (p.type != "variation" || p.parent_id != parent)) continue;
    if (parent == 0 && p.type == "variation" && skus.empty()) continue;
    if (!skus.empty() && skus.count(Lower(p.sku)) == 0) continue;
    if (!include.empty() && std::find(include.begin(), include.end(), id) == include.end()) {
      continue;
    }
    matched.push_back(&p);
  }
  std::stable_sort(matched.begin(), matched.end(), [&](const Product* a, const Product* b) {
    const int64_t ka = orderby == "modified" ? a->modified_s
                       : orderby == "date"   ? a->created_s
                                             : a->id;
    const int64_t kb = orderby == "modified" ? b->modified_s
                       : orderby == "date"   ? b->created_s
                                             : b->id;
    if (ka != kb) return order == "asc" ? ka < kb : ka > kb;
    return order == "asc" ? a->id < b->id : a->id > b->id;
  });
  Json list = Json::array();
  for (size_t i = static_cast<size_t>((page - 1) * per_page);
       i < matched.size() && i < static_cast<size_t>(page * per_page); ++i) {
    list.push_back(ProductJsonLocked(*matched[i], parent != 0));
  }
  return WithTotals(HttpAnswer::Json(200, list.dump()), matched.size(), per_page);
}

HttpAnswer FakeWooCommerce::ListOrders(const HttpRequest& request, const Caller& caller) {
  const std::map<std::string, std::string> query = Query(request);
  wp::InvalidParams invalid;
  const int64_t page = wp::IntegerParam(query, "page", 1, 1, std::nullopt, &invalid);
  const int64_t per_page = wp::IntegerParam(query, "per_page", 10, 1, 100, &invalid);
  const std::optional<int64_t> after = wp::DateParam(query, "after", &invalid);
  const std::optional<int64_t> before = wp::DateParam(query, "before", &invalid);
  const std::optional<int64_t> modified_after = wp::DateParam(query, "modified_after", &invalid);
  const std::optional<int64_t> modified_before = wp::DateParam(query, "modified_before", &invalid);
  // The site's timezone is UTC: local and GMT dates are the same.
  (void)wp::BooleanParam(query, "dates_are_gmt", false, &invalid);
  const std::string order = wp::EnumParam(query, "order", "desc", {"asc", "desc"}, &invalid);
  const std::string orderby = wp::EnumParam(
      query, "orderby", "date", {"date", "id", "include", "title", "slug", "modified"}, &invalid);
  if (!invalid.empty()) return invalid.Answer();
  if (!caller.authenticated) {
    return wp::Error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
  }
  std::set<std::string> statuses;
  if (const auto s = query.find("status"); s != query.end()) {
    std::string part;
    for (char c : s->second + ",") {
      if (c == ',') {
        if (!part.empty()) statuses.insert(part);
        part.clear();
      } else {
        part += c;
      }
    }
  }
  const bool any = statuses.empty() || statuses.count("any") != 0;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const Order*> matched;
  for (const auto& [id, o] : orders_) {
    if (any ? o.status == "trash" : statuses.count(o.status) == 0) continue;
    // WP_Date_Query after/before are exclusive.
    if (after && !(o.created_s > *after)) continue;
    if (before && !(o.created_s < *before)) continue;
    if (modified_after && !(o.modified_s > *modified_after)) continue;
    if (modified_before && !(o.modified_s < *modified_before)) continue;
    matched.push_back(&o);
  }
  std::stable_sort(matched.begin(), matched.end(), [&](const Order* a, const Order* b) {
    const int64_t ka = orderby == "modified" ? a->modified_s
                       : orderby == "date"   ? a->created_s
                                             : a->id;
    const int64_t kb = orderby == "modified" ? b->modified_s
                       : orderby == "date"   ? b->created_s
                                             : b->id;
    if (ka != kb) return order == "asc" ? ka < kb : ka > kb;
    return order == "asc" ? a->id < b->id : a->id > b->id;  // "modified ID"
  });
  Json list = Json::array();
  for (size_t i = static_cast<size_t>((page - 1) * per_page);
       i < matched.size() && i < static_cast<size_t>(page * per_page); ++i) {
    list.push_back(OrderJsonLocked(*matched[i]));
  }
  return WithTotals(HttpAnswer::Json(200, list.dump()), matched.size(), per_page);
}

}  // namespace stockd::fakes
