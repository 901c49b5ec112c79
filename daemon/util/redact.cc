#include "daemon/util/redact.h"

#include "absl/strings/ascii.h"
#include "stockd/secret_names.h"

namespace stockd::util {
namespace {

// (absl::string_view is not std::string_view in this absl build: own helpers.)
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(c);
  return out;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.'; }

// Where a query/form value ends.
bool EndsValue(char c) {
  return absl::ascii_isspace(c) || c == '&' || c == '#' || c == '"' || c == '\'' || c == ',' ||
         c == ';' || c == ')' || c == '>' || c == ']' || c == '}';
}

// Where a URL's authority ends (its userinfo must come before).
bool EndsAuthority(char c) {
  return absl::ascii_isspace(c) || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' ||
         c == '<' || c == '>';
}

// "scheme://userinfo@host" -> "scheme://***@host".
std::string RedactUserinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (;;) {
    const size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    const size_t start = scheme_end + 3;
    size_t end = start;
    size_t at = std::string_view::npos;
    while (end < text.size() && !EndsAuthority(text[end])) {
      if (text[end] == '@') at = end;
      ++end;
    }
    out.append(text.substr(pos, start - pos));
    if (at != std::string_view::npos) {
      out.append(kRedacted);
      pos = at;
    } else {
      pos = start;
    }
  }
  out.append(text.substr(pos));
  return out;
}

// name=value pairs (query strings, form bodies, "key=value" prose).
std::string RedactParameters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
    if (eq < pos) continue;
    size_t name_start = eq;
    while (name_start > pos && IsNameChar(text[name_start - 1])) --name_start;
    if (name_start == eq || !LooksSecret(text.substr(name_start, eq - name_start))) continue;
    size_t value_end = eq + 1;
    while (value_end < text.size() && !EndsValue(text[value_end])) ++value_end;
    // "...?token=abc: HTTP 500": the colon ends the URL, not the value.
    if (value_end > eq + 1 && text[value_end - 1] == ':') --value_end;
    if (value_end == eq + 1) continue;
    out.append(text.substr(pos, eq + 1 - pos));
    out.append(kRedacted);
    pos = value_end;
  }
  out.append(text.substr(pos));
  return out;
}

// "name": "value" members of JSON text.
std::string RedactJsonMembers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t colon = text.find(':'); colon != std::string_view::npos;
       colon = text.find(':', colon + 1)) {
    if (colon < pos) continue;
    size_t q = colon;
    while (q > pos && text[q - 1] == ' ') --q;
    if (q == pos || text[q - 1] != '"') continue;
    const size_t name_end = q - 1;
    const size_t name_open = text.rfind('"', name_end == 0 ? 0 : name_end - 1);
    if (name_open == std::string_view::npos || name_open < pos || name_open == name_end) continue;
    if (!LooksSecret(text.substr(name_open + 1, name_end - name_open - 1))) continue;
    size_t v = colon + 1;
    while (v < text.size() && text[v] == ' ') ++v;
    if (v >= text.size() || text[v] != '"') continue;
    size_t close = v + 1;
    while (close < text.size() && text[close] != '"') close += text[close] == '\\' ? 2 : 1;
    if (close >= text.size()) close = text.size();
    out.append(text.substr(pos, v + 1 - pos));
    out.append(kRedacted);
    pos = close;  // keeps the closing quote, if any
  }
  out.append(text.substr(pos));
  return out;
}

// What follows `marker` (case-insensitive, not inside a word): up to the end of the line
// (or a quote) when `to_line_end`, else one word.
std::string RedactAfter(std::string_view text, std::string_view marker, bool to_line_end) {
  std::string out;
  out.reserve(text.size());
  const std::string lower = Lower(text);
  size_t pos = 0;
  for (size_t at = lower.find(marker); at != std::string::npos; at = lower.find(marker, at + 1)) {
    if (at < pos || (at > 0 && IsNameChar(lower[at - 1]))) continue;
    size_t start = at + marker.size();
    while (start < text.size() && text[start] == ' ') ++start;
    size_t end = start;
    while (end < text.size() && text[end] != '"' && text[end] != '\n' && text[end] != '\r' &&
           (to_line_end || (!absl::ascii_isspace(text[end]) && text[end] != ','))) {
      ++end;
    }
    if (end == start) continue;
    out.append(text.substr(pos, start - pos));
    out.append(kRedacted);
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

bool LooksSecret(std::string_view name) { return LooksSecretName(name); }

std::string RedactSecrets(std::string_view text) {
  std::string out = RedactJsonMembers(RedactParameters(RedactUserinfo(text)));
  out = RedactAfter(out, "authorization:", /*to_line_end=*/true);
  return RedactAfter(out, "bearer ", /*to_line_end=*/false);
}

}  // namespace stockd::util
