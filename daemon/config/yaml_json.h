// A YAML subtree as bounded JSON text, for the config keys handed on as JSON
// (channels[].adapter.config). Knows nothing of stockd's configuration.
//
// Thread safety: a writer belongs to one parse on one thread.
#ifndef STOCKD_DAEMON_CONFIG_YAML_JSON_H_
#define STOCKD_DAEMON_CONFIG_YAML_JSON_H_

#include <cstddef>
#include <string>

#include "yaml-cpp/yaml.h"

namespace stockd::config::yaml {

// A YAML subtree as JSON text. Plain scalars that read as integers, reals, booleans or
// null keep their type; everything else is a string.
//
// YAML aliases (*name) repeat their anchor's content wherever they are used, so a file of
// a few hundred bytes can describe gigabytes ("billion laughs"). The writer counts the
// bytes and the nesting as it goes and stops at the first bound crossed: it never builds
// more than `max_bytes` (plus one scalar) of text.
class BoundedJsonWriter {
 public:
  // `max_depth`: levels of nested mappings and sequences (the node written is level 1).
  BoundedJsonWriter(size_t max_bytes, int max_depth)
      : max_bytes_(max_bytes), max_depth_(max_depth) {}

  // Appends `node` as JSON; false when a bound was crossed (then problem() says which and
  // at what node, and the text is incomplete).
  bool Write(const YAML::Node& node) { return Append(node, 1); }

  std::string& text() { return out_; }

  struct Problem {
    YAML::Mark mark;    // the node at which the bound was crossed
    std::string where;  // its path below the written node: ".a[2].b" ("" for the node)
    std::string what;
    bool too_large = false;  // the size bound (else the depth bound)
  };
  const Problem& problem() const { return problem_; }

 private:
  bool Append(const YAML::Node& node, int depth);
  void AppendScalar(const YAML::Node& node);
  void Quote(const std::string& s);
  bool Fail(const YAML::Node& node, std::string what);
  // Called by each enclosing level on the way out of a failure: builds the path.
  bool Unwind(const std::string& step);

  const size_t max_bytes_;
  const int max_depth_;
  std::string out_;
  Problem problem_;
};

}  // namespace stockd::config::yaml

#endif  // STOCKD_DAEMON_CONFIG_YAML_JSON_H_
