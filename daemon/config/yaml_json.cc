// A YAML subtree as bounded JSON text (yaml_json.h).
#include "daemon/config/yaml_json.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/yaml_reader.h"
#include "daemon/util/json.h"

namespace stockd::config::yaml {
namespace {

// "1 MiB" for a whole number of MiB, else "" (the size bound's message adds it).
std::string MibText(size_t bytes) {
  constexpr size_t kMib = 1 << 20;
  if (bytes == 0 || bytes % kMib != 0) return "";
  return absl::StrCat(" (", bytes / kMib, " MiB)");
}

}  // namespace

bool BoundedJsonWriter::Append(const YAML::Node& node, int depth) {
  const bool collection = node.IsMap() || node.IsSequence();
  if (collection && depth > max_depth_) {
    return Fail(
        node, absl::StrCat("nested deeper than ", max_depth_, " levels of mappings and sequences"));
  }
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out_.push_back('{');
      bool first = true;
      for (const auto& kv : node) {
        if (!first) out_.push_back(',');
        first = false;
        Quote(kv.first.Scalar());
        out_.push_back(':');
        if (!Append(kv.second, depth + 1)) {
          return Unwind(absl::StrCat(".", Truncated(kv.first.Scalar())));
        }
      }
      out_.push_back('}');
      break;
    }
    case YAML::NodeType::Sequence: {
      out_.push_back('[');
      size_t index = 0;
      for (const auto& item : node) {
        if (index > 0) out_.push_back(',');
        if (!Append(item, depth + 1)) return Unwind(absl::StrCat("[", index, "]"));
        ++index;
      }
      out_.push_back(']');
      break;
    }
    case YAML::NodeType::Scalar:
      AppendScalar(node);
      break;
    default:
      out_ += "null";
  }
  if (out_.size() > max_bytes_) {
    problem_.too_large = true;
    return Fail(node, absl::StrCat("expands to more than ", max_bytes_, " bytes of JSON",
                                   MibText(max_bytes_),
                                   "; YAML aliases (*name) repeat their anchor's content each "
                                   "time they are used"));
  }
  return true;
}

void BoundedJsonWriter::AppendScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") {  // quoted in the YAML: always a string
    Quote(text);
    return;
  }
  int64_t i;
  double d;
  if (text == "true" || text == "false" || text == "null") {
    out_ += text;
  } else if (absl::SimpleAtoi(text, &i)) {
    absl::StrAppend(&out_, i);
  } else if (absl::SimpleAtod(text, &d) && std::isfinite(d) &&
             text.find_first_not_of("0123456789.eE+-") == std::string::npos) {
    out_ += text;
  } else {
    Quote(text);
  }
}

void BoundedJsonWriter::Quote(const std::string& s) {
  out_.push_back('"');
  out_ += util::JsonEscape(s);
  out_.push_back('"');
}

bool BoundedJsonWriter::Fail(const YAML::Node& node, std::string what) {
  problem_.mark = node.Mark();
  problem_.what = std::move(what);
  return false;
}

bool BoundedJsonWriter::Unwind(const std::string& step) {
  problem_.where.insert(0, step);
  return false;
}

}  // namespace stockd::config::yaml
