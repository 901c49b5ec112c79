#include "tests/fakes/shopify/shopify_search.h"

#include <algorithm>
#include <cctype>

namespace stockd::fakes {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one word at `i` (quoted parts unquoted); returns false at the end.
bool Word(const std::string& q, size_t* i, std::string* raw, std::string* value) {
  while (*i < q.size() && std::isspace(static_cast<unsigned char>(q[*i]))) ++*i;
  if (*i >= q.size()) return false;
  raw->clear();
  value->clear();
  char quote = 0;
  while (*i < q.size()) {
    const char c = q[*i];
    if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) break;
    raw->push_back(c);
    ++*i;
    if (c == '\\' && *i < q.size()) {
      raw->push_back(q[*i]);
      value->push_back(q[*i]);
      ++*i;
    } else if (quote != 0 && c == quote) {
      quote = 0;
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else {
      value->push_back(c);
    }
  }
  return true;
}

}  // namespace

bool Search::Matches(const std::function<bool(const SearchTerm&)>& term) const {
  if (any_of.empty()) return true;
  return std::any_of(any_of.begin(), any_of.end(), [&](const std::vector<SearchTerm>& group) {
    return std::all_of(group.begin(), group.end(),
                       [&](const SearchTerm& t) { return term(t) != t.negated; });
  });
}

Search ParseSearch(const std::string& query, const std::vector<std::string>& fields) {
  Search s;
  std::vector<SearchTerm> group;
  bool negate_next = false;
  size_t i = 0;
  std::string raw, value;
  while (Word(query, &i, &raw, &value)) {
    if (raw == "OR") {
      if (!group.empty()) s.any_of.push_back(std::move(group));
      group.clear();
      continue;
    }
    if (raw == "AND") continue;
    if (raw == "NOT") {
      negate_next = true;
      continue;
    }
    if (raw.find_first_of("()") != std::string::npos) {
      s.warnings.push_back("Parentheses are not supported by this fake: '" + raw + "' ignored.");
      continue;
    }
    SearchTerm t;
    t.negated = negate_next;
    negate_next = false;
    if (!raw.empty() && raw[0] == '-') {
      t.negated = !t.negated;
      raw.erase(0, 1);
      value.erase(0, 1);
    }
    const size_t colon = raw.find(':');
    const size_t quote = raw.find_first_of("'\"");
    if (colon == std::string::npos || (quote != std::string::npos && quote < colon)) {
      t.op = ":";
      t.value = value;  // free text
    } else {
      t.field = Lower(raw.substr(0, colon));
      std::string v = value.substr(value.find(':') + 1);
      for (const char* op : {">=", "<=", ">", "<"}) {
        if (v.rfind(op, 0) == 0) {
          t.op = op;
          v.erase(0, std::char_traits<char>::length(op));
          break;
        }
      }
      if (t.op.empty()) t.op = ":";
      t.value = v;
    }
    if (std::find(fields.begin(), fields.end(), t.field) == fields.end()) {
      s.warnings.push_back(t.field.empty() ? "Free-text search is not supported by this fake."
                                           : "Invalid search field for this query.");
      continue;
    }
    group.push_back(std::move(t));
  }
  if (!group.empty()) s.any_of.push_back(std::move(group));
  return s;
}

}  // namespace stockd::fakes
