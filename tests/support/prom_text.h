// A parser of the Prometheus text exposition format (0.0.4) for the metrics tests: every
// sample as "name{k1="v1",k2="v2"}" (labels sorted by name, so the key does not depend on
// the order the exporter wrote them in) -> value, and every family's # TYPE.
//
// Thread safety: plain values and pure functions.
#ifndef STOCKD_TESTS_SUPPORT_PROM_TEXT_H_
#define STOCKD_TESTS_SUPPORT_PROM_TEXT_H_

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace stockd::testing {

struct PromText {
  std::map<std::string, double> samples;    // canonical key -> value
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram, ...
  std::vector<std::string> errors;           // lines that did not parse

  // The value of a sample; NaN when absent. `key` as Key() makes it.
  double Get(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? std::nan("") : it->second;
  }
  bool Has(const std::string& key) const { return samples.count(key) > 0; }
  // The family's # TYPE; "" when it has none.
  std::string Type(const std::string& family) const {
    auto it = types.find(family);
    return it == types.end() ? "" : it->second;
  }
};

// "name{a="1",b="2"}" from a name and labels in any order.
inline std::string PromKey(const std::string& name,
                           std::vector<std::pair<std::string, std::string>> labels = {}) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  if (sorted.empty()) return name;
  std::string key = name + "{";
  bool first = true;
  for (const auto& [k, v] : sorted) {
    key += (first ? "" : ",") + k + "=\"" + v + "\"";
    first = false;
  }
  return key + "}";
}

inline PromText ParsePromText(const std::string& text) {
  PromText out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name, type;
      words >> hash >> kind >> name >> type;
      if (kind == "TYPE") out.types[name] = type;
      continue;
    }
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    const std::string name = line.substr(0, i);
    std::vector<std::pair<std::string, std::string>> labels;
    bool ok = !name.empty();
    if (ok && i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          ok = false;
          break;
        }
        std::string k = line.substr(i, eq - i), v;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            v += line[j] == 'n' ? '\n' : line[j];
          } else {
            v += line[j];
          }
        }
        if (j >= line.size()) {
          ok = false;
          break;
        }
        labels.emplace_back(k, v);
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) ok = false;
      ++i;  // '}'
    }
    if (!ok || i >= line.size() || line[i] != ' ') {
      out.errors.push_back(line);
      continue;
    }
    std::istringstream rest(line.substr(i + 1));
    std::string value;
    rest >> value;
    char* end = nullptr;
    const double v = value == "+Inf"   ? INFINITY
                     : value == "-Inf" ? -INFINITY
                                       : std::strtod(value.c_str(), &end);
    if (value.empty() || (end != nullptr && *end != '\0')) {
      out.errors.push_back(line);
      continue;
    }
    out.samples[PromKey(name, labels)] = v;
  }
  return out;
}

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_PROM_TEXT_H_
