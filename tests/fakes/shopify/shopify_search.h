// Shopify's search syntax (the `query` argument of inventoryItems, orders, ...), as far as
// the fake needs it: terms `field:value` and `field:<op>value` (op one of < <= > >=),
// values bare or quoted with ' or " (a backslash escapes the next character), `-term` or
// `NOT term`, implied AND, explicit AND, and OR between groups (no parentheses: a query
// is read as an OR of ANDs, as Shopify ranks OR below AND). What the fake cannot read is
// reported as a warning, the way Shopify answers an invalid search with
// extensions.search[].warnings instead of an error.
//
// Thread safety: pure functions.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_SHOPIFY_SEARCH_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_SHOPIFY_SEARCH_H_

#include <functional>
#include <string>
#include <vector>

namespace stockd::fakes {

struct SearchTerm {
  std::string field;  // lower-case; "" for free text
  std::string op;     // ":" (equals), "<", "<=", ">", ">="
  std::string value;
  bool negated = false;
};

struct Search {
  std::vector<std::vector<SearchTerm>> any_of;  // empty: everything matches
  std::vector<std::string> warnings;

  // True when one group's terms all hold; `term` says whether one term holds (and is
  // only asked about the fields the caller knows: ParseSearch's `fields`).
  bool Matches(const std::function<bool(const SearchTerm&)>& term) const;
};

// Parses `query`; a term on a field not in `fields` is dropped with a warning ("Invalid
// search field for this query."), as Shopify ignores it.
Search ParseSearch(const std::string& query, const std::vector<std::string>& fields);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_SHOPIFY_SEARCH_H_
