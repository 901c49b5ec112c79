// Validation and requested cost of an operation (fake_shopify_schema.h).
#include <algorithm>
#include <map>
#include <set>

#include "tests/fakes/shopify/fake_shopify_internal.h"
#include "tests/fakes/shopify/fake_shopify_schema.h"

namespace stockd::fakes::shopify_schema {
namespace {

using graphql::Operation;
using graphql::Selection;
using graphql::Value;

std::string OperationName(const Operation& op) {
  return op.name.empty() ? "anonymous " + op.kind : op.kind + " '" + op.name + "'";
}

std::string Literal(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kString:
      return Json(v.text).dump();
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return v.boolean ? "true" : "false";
    case Value::Kind::kVariable:
      return "$" + v.text;
    case Value::Kind::kList: {
      std::string s = "[";
      for (size_t i = 0; i < v.list.size(); ++i) s += (i ? ", " : "") + Literal(v.list[i]);
      return s + "]";
    }
    case Value::Kind::kObject: {
      std::string s = "{";
      for (size_t i = 0; i < v.fields.size(); ++i) {
        s += (i ? ", " : "") + v.fields[i].first + ": " + Literal(v.fields[i].second);
      }
      return s + "}";
    }
    default:
      return v.text;
  }
}

// A variable of type `declared` may be used where `expected` goes.
bool Compatible(const TypeRef& declared, bool has_default, const TypeRef& expected) {
  if (declared.base != expected.base || declared.list != expected.list) return false;
  if (expected.non_null && !declared.non_null && !has_default) return false;
  if (expected.list && expected.item_non_null && !declared.item_non_null) return false;
  return true;
}

class Validator {
 public:
  Validator(const Operation& op, const Json& variables) : op_(op), variables_(variables) {}

  std::vector<Json> Run() {
    for (const auto& def : op_.variables) {
      const TypeRef t = ParseType(def.type);
      declared_[def.name] = {t, def.default_value.has_value()};
      if (!IsInputType(t.base)) {
        Add(Error(def.type + " isn't a valid input type (on $" + def.name + ")", op_.line,
                  op_.column, nullptr,
                  {{"code", "variableRequiresValidType"},
                   {"typeName", def.type},
                   {"variableName", def.name}}));
        continue;
      }
      Json value =
          variables_.is_object() && variables_.contains(def.name)
              ? variables_[def.name]
              : (def.default_value ? graphql::ToJson(*def.default_value, Json()) : Json(nullptr));
      std::vector<Json> problems;
      Coerce(t, value, Json::array(), &problems);
      if (!problems.empty()) {
        std::string message =
            "Variable $" + def.name + " of type " + def.type + " was provided invalid value";
        if (problems.size() == 1 && !problems[0]["path"].empty()) {
          std::string at;
          for (const Json& p : problems[0]["path"]) {
            at += (at.empty() ? "" : ".") + (p.is_string() ? p.get<std::string>() : p.dump());
          }
          message += " for " + at + " (" + problems[0]["explanation"].get<std::string>() + ")";
        }
        Add(Error(message, op_.line, op_.column, nullptr,
                  {{"value", value}, {"problems", problems}}));
      }
    }
    std::string root;
    if (op_.kind == "query") {
      root = "QueryRoot";
    } else if (op_.kind == "mutation") {
      root = "Mutation";
    } else {
      Add(Error("Subscriptions are not supported by the Admin API", op_.line, op_.column, nullptr,
                nullptr));
      return errors_;
    }
    Walk(root, op_.selections, Json::array({op_.kind}), root == "Mutation");
    for (const auto& [name, where] : used_) {
      if (declared_.count(name) == 0) {
        Add(Error("Variable $" + name + " is used by " + OperationName(op_) + " but not declared",
                  where.first, where.second, Json::array({op_.kind}),
                  {{"code", "variableNotDefined"}, {"variableName", name}}));
      }
    }
    for (const auto& def : op_.variables) {
      if (used_.count(def.name) == 0) {
        Add(Error(
            "Variable $" + def.name + " is declared by " + OperationName(op_) + " but not used",
            op_.line, op_.column, Json::array({op_.kind}),
            {{"code", "variableNotUsed"}, {"variableName", def.name}}));
      }
    }
    return errors_;
  }

 private:
  void Add(Json e) { errors_.push_back(std::move(e)); }

  void Walk(const std::string& type, const std::vector<Selection>& selections, const Json& path,
            bool mutation_root) {
    for (const Selection& s : selections) {
      if (s.is_fragment) {
        const std::string on = s.type_condition.empty() ? type : s.type_condition;
        if (!IsObjectType(on)) {
          Add(Error("No such type " + on + ", so it can't be a fragment condition", s.line,
                    s.column, path, {{"code", "undefinedType"}, {"typeName", on}}));
        } else if (!Implements(on, type) && !Implements(type, on)) {
          Add(Error("Fragment on " + on + " can't be spread inside " + type, s.line, s.column, path,
                    {{"code", "cannotSpreadFragment"}, {"typeName", on}}));
        } else {
          Walk(on, s.selections, path, false);
        }
        continue;
      }
      Json at = path;
      at.push_back(s.key());
      if (s.name == "__typename") continue;
      const FieldDef* def = FindField(type, s.name);
      if (def == nullptr) {
        Add(Error("Field '" + s.name + "' doesn't exist on type '" + type + "'", s.line, s.column,
                  at, {{"code", "undefinedField"}, {"typeName", type}, {"fieldName", s.name}}));
        continue;
      }
      CheckDirectives(s, at, mutation_root);
      CheckArguments(s, *def, at);
      const TypeRef t = ParseType(def->type);
      if (IsLeafType(t.base)) {
        if (!s.selections.empty()) {
          Add(Error("Selections can't be made on scalars (field '" + s.name + "' returns " +
                        t.base + " but has selections [" + s.selections[0].name + "])",
                    s.line, s.column, at,
                    {{"code", "selectionMismatch"},
                     {"nodeName", "field '" + s.name + "'"},
                     {"typeName", t.base}}));
        }
      } else if (s.selections.empty()) {
        Add(Error("Field must have selections (field '" + s.name + "' returns " + t.base +
                      " but has no selections. Did you mean '" + s.name + " { ... }'?)",
                  s.line, s.column, at,
                  {{"code", "selectionMismatch"},
                   {"nodeName", "field '" + s.name + "'"},
                   {"typeName", t.base}}));
      } else {
        Walk(t.base, s.selections, at, false);
      }
    }
  }

  void CheckDirectives(const Selection& s, const Json& at, bool mutation_root) {
    for (const graphql::Directive& d : s.directives) {
      for (const auto& [name, value] : d.arguments) Use(value, d.line, d.column);
      if (d.name == "include" || d.name == "skip") continue;
      if (d.name == "idempotent") {
        const auto key = std::find_if(d.arguments.begin(), d.arguments.end(),
                                      [](const auto& a) { return a.first == "key"; });
        if (!mutation_root) {
          Add(Error("'@idempotent' can't be applied to fields (allowed: mutation fields)", d.line,
                    d.column, at, {{"code", "directiveCannotBeApplied"}}));
        } else if (key == d.arguments.end()) {
          Add(Error("Directive 'idempotent' is missing required arguments: key", d.line, d.column,
                    at,
                    {{"code", "missingRequiredArguments"},
                     {"className", "Directive"},
                     {"name", "idempotent"},
                     {"arguments", "key"}}));
        } else if (!graphql::ToJson(key->second, variables_).is_string() ||
                   graphql::ToJson(key->second, variables_).get<std::string>().empty()) {
          Add(Error("Argument 'key' on Directive 'idempotent' has an invalid value (" +
                        Literal(key->second) + "). Expected type 'String!'.",
                    d.line, d.column, at,
                    {{"code", "argumentLiteralsIncompatible"},
                     {"typeName", "Directive"},
                     {"argumentName", "key"}}));
        }
        continue;
      }
      Add(Error("Directive @" + d.name + " is not defined", d.line, d.column, at,
                {{"code", "undefinedDirective"}, {"directiveName", d.name}}));
    }
  }

  void CheckArguments(const Selection& s, const FieldDef& def, const Json& at) {
    for (const auto& [name, value] : s.arguments) {
      const auto arg = std::find_if(def.args.begin(), def.args.end(),
                                    [&name = name](const auto& a) { return a.first == name; });
      if (arg == def.args.end()) {
        Add(Error("Field '" + s.name + "' doesn't accept argument '" + name + "'", s.line, s.column,
                  at,
                  {{"code", "argumentNotAccepted"},
                   {"name", s.name},
                   {"typeName", "Field"},
                   {"argumentName", name}}));
        continue;
      }
      const TypeRef expected = ParseType(arg->second);
      Use(value, s.line, s.column);
      if (value.kind == Value::Kind::kVariable) {
        const auto d = declared_.find(value.text);
        if (d != declared_.end() && !Compatible(d->second.first, d->second.second, expected)) {
          Add(Error("Type mismatch on variable $" + value.text + " and argument " + name + " (" +
                        ToString(d->second.first) + " / " + arg->second + ")",
                    s.line, s.column, at,
                    {{"code", "variableMismatch"},
                     {"variableName", value.text},
                     {"typeName", ToString(d->second.first)},
                     {"argumentName", name},
                     {"errorMessage", "Type mismatch"}}));
        }
      } else {
        std::vector<Json> problems;
        Coerce(expected, graphql::ToJson(value, variables_), Json::array(), &problems);
        if (!problems.empty()) {
          Add(Error("Argument '" + name + "' on Field '" + s.name + "' has an invalid value (" +
                        Literal(value) + "). Expected type '" + arg->second + "'.",
                    s.line, s.column, at,
                    {{"code", "argumentLiteralsIncompatible"},
                     {"typeName", "Field"},
                     {"argumentName", name}}));
        }
      }
      size_t longest = 0;
      Json list_at;
      LongestList(graphql::ToJson(value, variables_), Json::array({s.name, name}), &longest,
                  &list_at);
      if (longest > kMaxListInput) {
        Add(Error("The input array size of " + std::to_string(longest) +
                      " is greater than the maximum allowed of " + std::to_string(kMaxListInput) +
                      ".",
                  s.line, s.column, list_at, {{"code", "MAX_INPUT_SIZE_EXCEEDED"}}));
      }
    }
    std::string missing;
    for (const auto& [name, type] : def.args) {
      if (ParseType(type).non_null &&
          std::none_of(s.arguments.begin(), s.arguments.end(),
                       [&name = name](const auto& a) { return a.first == name; })) {
        missing += (missing.empty() ? "" : ", ") + name;
      }
    }
    if (!missing.empty()) {
      Add(Error("Field '" + s.name + "' is missing required arguments: " + missing, s.line,
                s.column, at,
                {{"code", "missingRequiredArguments"},
                 {"className", "Field"},
                 {"name", s.name},
                 {"arguments", missing}}));
    }
    if (IsConnection(ParseType(def.type).base)) {
      const Json first = Arg(s, "first");
      const Json last = Arg(s, "last");
      if (first.is_null() && last.is_null()) {
        Add(Error("you must provide one of first or last", s.line, s.column, at, nullptr));
      }
      for (const Json& n : {first, last}) {
        if (n.is_number_integer() && (n.get<int64_t>() > kMaxPageSize || n.get<int64_t>() < 0)) {
          Add(Error("The requested page size " + n.dump() + " is outside 0.." +
                        std::to_string(kMaxPageSize) + " for field '" + s.name + "'",
                    s.line, s.column, at, {{"code", "PAGE_SIZE_INVALID"}}));
        }
      }
    }
  }

  Json Arg(const Selection& s, const char* name) const {
    for (const auto& [n, v] : s.arguments) {
      if (n == name) return graphql::ToJson(v, variables_);
    }
    return nullptr;
  }

  void Use(const Value& value, int line, int column) {
    std::vector<std::string> names;
    graphql::VariablesIn(value, &names);
    for (const std::string& n : names) used_.emplace(n, std::make_pair(line, column));
  }

  const Operation& op_;
  const Json& variables_;
  std::map<std::string, std::pair<TypeRef, bool>> declared_;  // type, has a default
  std::map<std::string, std::pair<int, int>> used_;
  std::vector<Json> errors_;
};

int64_t PageSize(const Selection& s, const Json& variables) {
  for (const char* key : {"first", "last"}) {
    for (const auto& [n, v] : s.arguments) {
      const Json j = graphql::ToJson(v, variables);
      if (n == key && j.is_number_integer()) return j.get<int64_t>();
    }
  }
  return 0;
}

double Cost(const std::string& type, const std::vector<Selection>& selections,
            const Json& variables, bool mutation_root);

// One node of a connection: `edges { node {...} }` or `nodes {...}`.
double NodeCost(const std::string& connection, const std::vector<Selection>& selections,
                const Json& variables) {
  const std::string node_type = FieldType(connection, "nodes");
  double node = 0;
  for (const Selection& s : selections) {
    if (s.name == "nodes")
      node = std::max(node, 1 + Cost(node_type, s.selections, variables, false));
    if (s.name != "edges") continue;
    for (const Selection& e : s.selections) {
      if (e.name == "node")
        node = std::max(node, 1 + Cost(node_type, e.selections, variables, false));
    }
  }
  return node;
}

double Cost(const std::string& type, const std::vector<Selection>& selections,
            const Json& variables, bool mutation_root) {
  double total = 0;
  double fragments = 0;
  for (const Selection& s : selections) {
    if (s.is_fragment) {
      const std::string on = s.type_condition.empty() ? type : s.type_condition;
      fragments = std::max(fragments, Cost(on, s.selections, variables, false));
      continue;
    }
    if (s.name == "__typename") continue;
    if (mutation_root) {
      total += kMutationCost;
      continue;
    }
    TypeRef t;
    if (FieldType(type, s.name, &t).empty() || IsLeafType(t.base)) continue;
    if (IsConnection(t.base)) {
      total += 2 + static_cast<double>(PageSize(s, variables)) *
                       NodeCost(t.base, s.selections, variables);
    } else if (type == "QueryRoot" && s.name == "nodes") {
      Json ids;
      for (const auto& [n, v] : s.arguments) {
        if (n == "ids") ids = graphql::ToJson(v, variables);
      }
      const double count = ids.is_array() ? static_cast<double>(ids.size()) : 1;
      total += count * (1 + Cost(t.base, s.selections, variables, false));
    } else {
      total += 1 + Cost(t.base, s.selections, variables, false);
    }
  }
  return total + fragments;
}

}  // namespace

std::vector<Json> Validate(const graphql::Operation& op, const Json& variables,
                           double* requested_cost) {
  std::vector<Json> errors = Validator(op, variables).Run();
  *requested_cost = errors.empty() ? Cost(op.kind == "mutation" ? "Mutation" : "QueryRoot",
                                          op.selections, variables, op.kind == "mutation")
                                   : 0;
  return errors;
}

}  // namespace stockd::fakes::shopify_schema
