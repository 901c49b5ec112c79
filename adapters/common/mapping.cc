#include "common/mapping.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {

using stockd::sdk::Error;

std::unordered_map<std::string, std::vector<std::string>> LoadMappingFile(
    const std::string& path, size_t id_columns, const std::string& columns_help) {
  std::ifstream in(path);
  if (!in) {
    throw Error("config: \"mapping_file\": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  std::unordered_map<std::string, std::vector<std::string>> out;
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
    if (fields.size() != 1 + id_columns) {
      throw Error(where + "expected " + std::to_string(1 + id_columns) + " fields (" +
                  columns_help + "), got " + std::to_string(fields.size()));
    }
    for (const std::string& f : fields) {
      if (f.empty()) throw Error(where + "an empty field (" + columns_help + ")");
    }
    const std::string sku = fields.front();
    fields.erase(fields.begin());
    if (!out.emplace(sku, std::move(fields)).second) {
      throw Error(where + "SKU \"" + sku + "\" is mapped twice");
    }
  }
  if (in.bad()) throw Error("config: \"mapping_file\": cannot read \"" + path + "\"");
  return out;
}

}  // namespace stockd::adapters
