// A GraphQL document parser for the Shopify fake: enough of the GraphQL grammar (October
// 2021 spec) to read what a client sends Shopify's Admin API — operations with variable
// definitions and directives, fields with aliases, arguments and directives, inline
// fragments, and every value literal (variables, ints, floats, strings incl. block
// strings, booleans, null, enums, lists, objects). Named fragments ("fragment X on T",
// "...X") are parsed and expanded. A syntax error is reported the way graphql-ruby
// (Shopify's server) words it: Parse error on "x" (IDENTIFIER) at [line, column].
//
// Thread safety: pure functions over immutable values.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_DOC_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_DOC_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stockd::fakes::graphql {

using Json = nlohmann::json;

struct Field;  // a name and a Value (below: a pair would need Value complete)

struct Value {
  enum class Kind { kNull, kInt, kFloat, kString, kBool, kEnum, kList, kObject, kVariable };
  Kind kind = Kind::kNull;
  std::string text;  // int/float literal, string, enum name, variable name (without '$')
  bool boolean = false;
  std::vector<Value> list;
  std::vector<Field> fields;
};

struct Field {
  std::string first;  // the field's name
  Value second;
};

using Arguments = std::vector<std::pair<std::string, Value>>;

struct Directive {
  std::string name;
  Arguments arguments;
  int line = 0;
  int column = 0;
};

// A field, or an inline fragment (`... on Type { }`, is_fragment) whose selections apply
// when the object is of `type_condition` ("" = always).
struct Selection {
  bool is_fragment = false;
  std::string type_condition;
  std::string alias;  // "" when none
  std::string name;
  Arguments arguments;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
  int line = 0;
  int column = 0;

  const std::string& key() const { return alias.empty() ? name : alias; }
};

struct VariableDefinition {
  std::string name;
  std::string type;  // as written, e.g. "[ID!]!"
  std::optional<Value> default_value;
};

struct Operation {
  std::string kind = "query";  // query | mutation | subscription
  std::string name;
  std::vector<VariableDefinition> variables;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
  int line = 0;
  int column = 0;
};

struct ParseError {
  std::string message;
  int line = 0;
  int column = 0;
};

// Parses `text` into its operations (named fragments expanded into inline ones). On a
// syntax error returns nullopt with *error set.
std::optional<std::vector<Operation>> Parse(const std::string& text, ParseError* error);

// The JSON value of `value` with variables substituted (an absent variable is null; an
// enum is its name as a string).
Json ToJson(const Value& value, const Json& variables);

// Every variable `value` refers to, appended to *names.
void VariablesIn(const Value& value, std::vector<std::string>* names);

}  // namespace stockd::fakes::graphql

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_DOC_H_
