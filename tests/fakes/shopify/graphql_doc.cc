#include "tests/fakes/shopify/graphql_doc.h"

#include <cctype>
#include <map>

#include "tests/fakes/shopify/graphql_lexer.h"

namespace stockd::fakes::graphql {
namespace {

using internal::Failure;
using internal::KindName;
using internal::Lexer;
using internal::Token;

struct Fragment {
  std::string type_condition;
  std::vector<Selection> selections;
};

class Parser {
 public:
  explicit Parser(const std::string& text) : lexer_(text) { Shift(); }

  std::vector<Operation> Document() {
    std::vector<Operation> operations;
    while (t_.kind != Token::Kind::kEnd) {
      if (IsName("fragment")) {
        ParseFragment();
      } else {
        operations.push_back(ParseOperation());
      }
    }
    for (Operation& op : operations) Expand(&op.selections, 0);
    return operations;
  }

 private:
  void Shift() { t_ = lexer_.Next(); }
  bool IsPunct(const char* p) const { return t_.kind == Token::Kind::kPunct && t_.text == p; }
  bool IsName(const char* n) const { return t_.kind == Token::Kind::kName && t_.text == n; }

  [[noreturn]] void Unexpected() const {
    const std::string shown = t_.kind == Token::Kind::kEnd ? "end of file" : "\"" + t_.text + "\"";
    Lexer::Fail(t_, "Parse error on " + shown + " (" + KindName(t_.kind) + ") at [" +
                        std::to_string(t_.line) + ", " + std::to_string(t_.column) + "]");
  }
  void Expect(const char* p) {
    if (!IsPunct(p)) Unexpected();
    Shift();
  }
  std::string Name() {
    if (t_.kind != Token::Kind::kName) Unexpected();
    std::string n = t_.text;
    Shift();
    return n;
  }

  Operation ParseOperation() {
    Operation op;
    op.line = t_.line;
    op.column = t_.column;
    if (!IsPunct("{")) {
      if (!IsName("query") && !IsName("mutation") && !IsName("subscription")) Unexpected();
      op.kind = Name();
      if (t_.kind == Token::Kind::kName) op.name = Name();
      if (IsPunct("(")) {
        Shift();
        while (!IsPunct(")")) {
          VariableDefinition v;
          Expect("$");
          v.name = Name();
          Expect(":");
          v.type = Type();
          if (IsPunct("=")) {
            Shift();
            v.default_value = ParseValue(/*constant=*/true);
          }
          while (IsPunct("@")) ParseDirective();  // variable directives: accepted, unused
          op.variables.push_back(std::move(v));
        }
        Shift();
      }
      while (IsPunct("@")) op.directives.push_back(ParseDirective());
    }
    op.selections = SelectionSet();
    return op;
  }

  void ParseFragment() {
    Shift();  // fragment
    const Token at = t_;
    const std::string name = Name();
    if (!IsName("on")) Unexpected();
    Shift();
    Fragment f;
    f.type_condition = Name();
    while (IsPunct("@")) ParseDirective();
    f.selections = SelectionSet();
    if (!fragments_.emplace(name, std::move(f)).second) {
      Lexer::Fail(at, "Fragment name \"" + name + "\" must be unique");
    }
  }

  std::string Type() {
    std::string type;
    if (IsPunct("[")) {
      Shift();
      type = "[" + Type() + "]";
      Expect("]");
    } else {
      type = Name();
    }
    if (IsPunct("!")) {
      Shift();
      type += "!";
    }
    return type;
  }

  Directive ParseDirective() {
    Directive d;
    d.line = t_.line;
    d.column = t_.column;
    Expect("@");
    d.name = Name();
    if (IsPunct("(")) d.arguments = ParseArguments(false);
    return d;
  }

  Arguments ParseArguments(bool constant) {
    Arguments args;
    Expect("(");
    while (!IsPunct(")")) {
      std::string name = Name();
      Expect(":");
      args.emplace_back(std::move(name), ParseValue(constant));
    }
    Shift();
    return args;
  }

  std::vector<Selection> SelectionSet() {
    std::vector<Selection> out;
    Expect("{");
    if (IsPunct("}")) Unexpected();  // a selection set is never empty
    while (!IsPunct("}")) out.push_back(ParseSelection());
    Shift();
    return out;
  }

  Selection ParseSelection() {
    Selection s;
    s.line = t_.line;
    s.column = t_.column;
    if (IsPunct("...")) {
      Shift();
      s.is_fragment = true;
      if (IsName("on")) {
        Shift();
        s.type_condition = Name();
      } else if (t_.kind == Token::Kind::kName) {
        s.name = Name();  // a spread of a named fragment, expanded after parsing
      }
      while (IsPunct("@")) s.directives.push_back(ParseDirective());
      if (s.name.empty()) s.selections = SelectionSet();
      return s;
    }
    s.name = Name();
    if (IsPunct(":")) {
      Shift();
      s.alias = s.name;
      s.name = Name();
    }
    if (IsPunct("(")) s.arguments = ParseArguments(false);
    while (IsPunct("@")) s.directives.push_back(ParseDirective());
    if (IsPunct("{")) s.selections = SelectionSet();
    return s;
  }

  Value ParseValue(bool constant) {
    Value v;
    switch (t_.kind) {
      case Token::Kind::kInt:
        v.kind = Value::Kind::kInt;
        v.text = t_.text;
        Shift();
        return v;
      case Token::Kind::kFloat:
        v.kind = Value::Kind::kFloat;
        v.text = t_.text;
        Shift();
        return v;
      case Token::Kind::kString:
        v.kind = Value::Kind::kString;
        v.text = t_.text;
        Shift();
        return v;
      case Token::Kind::kName:
        if (t_.text == "true" || t_.text == "false") {
          v.kind = Value::Kind::kBool;
          v.boolean = t_.text == "true";
        } else if (t_.text == "null") {
          v.kind = Value::Kind::kNull;
        } else {
          v.kind = Value::Kind::kEnum;
          v.text = t_.text;
        }
        Shift();
        return v;
      case Token::Kind::kPunct:
        break;
      case Token::Kind::kEnd:
        Unexpected();
    }
    if (IsPunct("$") && !constant) {
      Shift();
      v.kind = Value::Kind::kVariable;
      v.text = Name();
      return v;
    }
    if (IsPunct("[")) {
      Shift();
      v.kind = Value::Kind::kList;
      while (!IsPunct("]")) v.list.push_back(ParseValue(constant));
      Shift();
      return v;
    }
    if (IsPunct("{")) {
      Shift();
      v.kind = Value::Kind::kObject;
      while (!IsPunct("}")) {
        std::string name = Name();
        Expect(":");
        v.fields.push_back(Field{std::move(name), ParseValue(constant)});
      }
      Shift();
      return v;
    }
    Unexpected();
  }

  // Replaces every "...Name" by an inline fragment with the named fragment's selections.
  void Expand(std::vector<Selection>* selections, int depth) {
    for (Selection& s : *selections) {
      if (s.is_fragment && !s.name.empty()) {
        const auto it = fragments_.find(s.name);
        Token at;
        at.line = s.line;
        at.column = s.column;
        if (it == fragments_.end()) {
          Lexer::Fail(at, "Fragment " + s.name + " was used, but not defined");
        }
        if (depth > 20) Lexer::Fail(at, "Fragment " + s.name + " contains an infinite loop");
        s.type_condition = it->second.type_condition;
        s.selections = it->second.selections;
        s.name.clear();
      }
      Expand(&s.selections, depth + 1);
    }
  }

  Lexer lexer_;
  Token t_;
  std::map<std::string, Fragment> fragments_;
};

}  // namespace

std::optional<std::vector<Operation>> Parse(const std::string& text, ParseError* error) {
  try {
    Parser parser(text);
    std::vector<Operation> ops = parser.Document();
    if (ops.empty()) {
      *error = {"Parse error on end of file (end of file) at [1, 1]", 1, 1};
      return std::nullopt;
    }
    return ops;
  } catch (const Failure& f) {
    *error = f.error;
    return std::nullopt;
  }
}

Json ToJson(const Value& value, const Json& variables) {
  switch (value.kind) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kInt: {
      try {
        return std::stoll(value.text);
      } catch (...) {
        return value.text;  // out of range: left for the type check to refuse
      }
    }
    case Value::Kind::kFloat:
      return std::stod(value.text);
    case Value::Kind::kString:
    case Value::Kind::kEnum:
      return value.text;
    case Value::Kind::kBool:
      return value.boolean;
    case Value::Kind::kList: {
      Json out = Json::array();
      for (const Value& v : value.list) out.push_back(ToJson(v, variables));
      return out;
    }
    case Value::Kind::kObject: {
      Json out = Json::object();
      for (const auto& [name, v] : value.fields) out[name] = ToJson(v, variables);
      return out;
    }
    case Value::Kind::kVariable: {
      if (!variables.is_object()) return nullptr;
      const auto it = variables.find(value.text);
      return it == variables.end() ? Json(nullptr) : *it;
    }
  }
  return nullptr;
}

void VariablesIn(const Value& value, std::vector<std::string>* names) {
  if (value.kind == Value::Kind::kVariable) names->push_back(value.text);
  for (const Value& v : value.list) VariablesIn(v, names);
  for (const auto& [name, v] : value.fields) VariablesIn(v, names);
}

}  // namespace stockd::fakes::graphql
