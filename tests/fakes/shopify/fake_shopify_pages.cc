// The Shopify fake's connections (fake_shopify_resolver.h): inventoryItems searched by SKU,
// orders searched by updated_at / created_at and sorted by a sort key, and the paging of
// any connection by first / after / last / before / reverse with Shopify-like cursors.
#include <algorithm>
#include <tuple>

#include "tests/fakes/shopify/fake_shopify_resolver.h"

namespace stockd::fakes::shopify_exec {

using shopify_schema::Error;

void Resolver::Warn(const Json& path, const std::string& query, const Search& search) {
  if (search.warnings.empty()) return;
  Json warnings = Json::array();
  for (const std::string& w : search.warnings) warnings.push_back({{"message", w}});
  search_->push_back({{"path", path}, {"query", query}, {"warnings", warnings}});
}

Json Resolver::Items(const Selection& f, const Json& path) {
  const Json q = Arg(f, "query");
  const std::string query = q.is_string() ? q.get<std::string>() : "";
  const Search search = ParseSearch(query, {"sku", "id"});
  Warn(path, query, search);
  std::vector<PageEntry> entries;
  for (const auto& entry : s_.items) {
    // Named, not a structured binding: clang 14 cannot capture one in a lambda.
    const auto& id = entry.first;
    const auto& item = entry.second;
    const bool match = search.Matches([&](const SearchTerm& t) {
      if (t.field == "id") return std::to_string(id) == t.value;
      std::string a = item.sku, b = t.value;  // Shopify's search ignores case
      std::transform(a.begin(), a.end(), a.begin(), ::tolower);
      std::transform(b.begin(), b.end(), b.begin(), ::tolower);
      return a == b;
    });
    if (match) entries.push_back({Ref{"InventoryItem", id}, MakeCursor(id, ""), id, 0});
  }
  return Page(f, entries, path);
}

Json Resolver::Orders(const Selection& f, const Json& path) {
  const Json q = Arg(f, "query");
  const std::string query = q.is_string() ? q.get<std::string>() : "";
  const Search search = ParseSearch(query, {"updated_at", "created_at", "financial_status", "id"});
  Warn(path, query, search);
  const Json sort = Arg(f, "sortKey");
  const std::string key = sort.is_string() ? sort.get<std::string>() : "ID";
  if (key != "ID" && key != "UPDATED_AT" && key != "CREATED_AT" && key != "ORDER_NUMBER") {
    errors_->push_back(Error("sortKey " + key + " is not supported by this fake", f.line, f.column,
                             path, nullptr));
    return nullptr;
  }
  std::vector<PageEntry> entries;
  for (const auto& entry : s_.orders) {
    const auto& id = entry.first;  // not a structured binding, as in Items
    const auto& o = entry.second;
    const bool match = search.Matches([&](const SearchTerm& t) {
      if (t.field == "financial_status") {
        std::string v = t.value;
        std::transform(v.begin(), v.end(), v.begin(), ::toupper);
        return o.financial == v;
      }
      if (t.field == "id") return std::to_string(id) == t.value;
      const std::optional<int64_t> at = ParseIsoTime(t.value);
      if (!at) return false;
      const int64_t v = t.field == "updated_at" ? o.updated_ms : o.created_ms;
      if (t.op == ">") return v > *at;
      if (t.op == ">=") return v >= *at;
      if (t.op == "<") return v < *at;
      if (t.op == "<=") return v <= *at;
      return v == *at;
    });
    if (!match) continue;
    const int64_t value = key == "UPDATED_AT"   ? o.updated_ms
                          : key == "CREATED_AT" ? o.created_ms
                                                : id;
    entries.push_back({Ref{"Order", id}, MakeCursor(id, std::to_string(value)), id, value});
  }
  std::sort(entries.begin(), entries.end(), [](const PageEntry& a, const PageEntry& b) {
    return std::tie(a.sort_value, a.sort_id) < std::tie(b.sort_value, b.sort_id);
  });
  return Page(f, entries, path);
}

Json Resolver::Page(const Selection& f, std::vector<PageEntry> entries, const Json& path) {
  const bool reverse = Arg(f, "reverse") == true;
  if (reverse) std::reverse(entries.begin(), entries.end());
  const auto key = [](const PageEntry& e) { return std::make_pair(e.sort_value, e.sort_id); };
  // The first entry after (or, `inclusive`, at) the cursor's position.
  const auto position = [&](const Json& cursor, bool inclusive, size_t* index) {
    int64_t id = 0;
    std::string value;
    if (!ReadCursor(cursor.get<std::string>(), &id, &value)) return false;
    const std::pair<int64_t, int64_t> at{value.empty() ? 0 : std::stoll(value), id};
    size_t i = 0;
    while (i < entries.size()) {
      const auto k = key(entries[i]);
      const bool past = reverse ? (inclusive ? k <= at : k < at) : (inclusive ? k >= at : k > at);
      if (past) break;
      ++i;
    }
    *index = i;
    return true;
  };
  size_t begin = 0, end = entries.size();
  const Json after = Arg(f, "after");
  const Json before = Arg(f, "before");
  if ((after.is_string() && !position(after, false, &begin)) ||
      (before.is_string() && !position(before, true, &end))) {
    errors_->push_back(
        Error("Invalid cursor for current pagination sort.", f.line, f.column, path, nullptr));
    return nullptr;
  }
  if (begin > end) begin = end;
  const Json first = Arg(f, "first");
  const Json last = Arg(f, "last");
  bool has_next = false, has_previous = begin > 0;
  if (first.is_number_integer() && end - begin > static_cast<size_t>(first.get<int64_t>())) {
    end = begin + static_cast<size_t>(first.get<int64_t>());
    has_next = true;
  }
  if (last.is_number_integer() && end - begin > static_cast<size_t>(last.get<int64_t>())) {
    begin = end - static_cast<size_t>(last.get<int64_t>());
    has_previous = true;
  }
  if (end < entries.size()) has_next = true;
  *cost_ += 2;
  Json out = Json::object();
  for (const Selection& c : Fields("Connection", f.selections)) {
    Json at = path;
    at.push_back(c.key());
    if (c.name == "pageInfo") {
      const Json info = {
          {"__typename", "PageInfo"},
          {"hasNextPage", has_next},
          {"hasPreviousPage", has_previous},
          {"startCursor", begin < end ? Json(entries[begin].cursor) : Json(nullptr)},
          {"endCursor", begin < end ? Json(entries[end - 1].cursor) : Json(nullptr)}};
      out[c.key()] = ProjectJson(info, c.selections);
    } else if (c.name == "nodes" || c.name == "edges") {
      Json list = Json::array();
      for (size_t i = begin; i < end; ++i) {
        if (c.name == "nodes") {
          list.push_back(Object(entries[i].ref, c.selections, at));
          continue;
        }
        Json edge = Json::object();
        for (const Selection& e : Fields("Edge", c.selections)) {
          if (e.name == "cursor") edge[e.key()] = entries[i].cursor;
          if (e.name == "node") edge[e.key()] = Object(entries[i].ref, e.selections, at);
          if (e.name == "__typename") edge[e.key()] = entries[i].ref.type + "Edge";
        }
        list.push_back(std::move(edge));
      }
      out[c.key()] = std::move(list);
    } else if (c.name == "__typename") {
      out[c.key()] = entries.empty() ? "Connection" : entries[0].ref.type + "Connection";
    }
  }
  return out;
}

}  // namespace stockd::fakes::shopify_exec
