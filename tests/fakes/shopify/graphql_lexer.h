// The GraphQL lexer of the Shopify fake's parser (graphql_doc.h): tokens, with their line
// and column, and graphql-ruby's wording of a lexical error. Internal to graphql_doc.cc.
//
// Thread safety: a Lexer belongs to one parse.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_LEXER_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_LEXER_H_

#include <cctype>
#include <string>

#include "tests/fakes/shopify/graphql_doc.h"

namespace stockd::fakes::graphql::internal {

struct Token {
  enum class Kind { kEnd, kPunct, kName, kInt, kFloat, kString };
  Kind kind = Kind::kEnd;
  std::string text;
  int line = 1;
  int column = 1;
};

inline const char* KindName(Token::Kind kind) {
  switch (kind) {
    case Token::Kind::kEnd:
      return "end of file";
    case Token::Kind::kPunct:
      return "PUNCTUATOR";
    case Token::Kind::kName:
      return "IDENTIFIER";
    case Token::Kind::kInt:
      return "INT";
    case Token::Kind::kFloat:
      return "FLOAT";
    case Token::Kind::kString:
      return "STRING";
  }
  return "?";
}

struct Failure {
  ParseError error;
};

class Lexer {
 public:
  explicit Lexer(const std::string& text) : s_(text) {}

  Token Next() {
    SkipIgnored();
    Token t;
    t.line = line_;
    t.column = column_;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    if (c == '.' && s_.compare(i_, 3, "...") == 0) {
      Advance(3);
      t.kind = Token::Kind::kPunct;
      t.text = "...";
      return t;
    }
    if (std::string("!$&()=:@[]{}|").find(c) != std::string::npos) {
      Advance(1);
      t.kind = Token::Kind::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    if (c == '_' || std::isalpha(static_cast<unsigned char>(c))) {
      const size_t start = i_;
      while (i_ < s_.size() &&
             (s_[i_] == '_' || std::isalnum(static_cast<unsigned char>(s_[i_])))) {
        Advance(1);
      }
      t.kind = Token::Kind::kName;
      t.text = s_.substr(start, i_ - start);
      return t;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return Number(t);
    if (c == '"') return String(t);
    Fail(t, "Parse error on \"" + std::string(1, c) + "\" (error) at [" + std::to_string(t.line) +
                ", " + std::to_string(t.column) + "]");
    return t;
  }

  [[noreturn]] static void Fail(const Token& t, const std::string& message) {
    throw Failure{{message, t.line, t.column}};
  }

 private:
  void Advance(size_t n) {
    for (size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') {
        ++line_;
        column_ = 1;
      } else {
        ++column_;
      }
    }
  }

  void SkipIgnored() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
        Advance(1);
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') Advance(1);
      } else if (static_cast<unsigned char>(c) == 0xEF && s_.compare(i_, 3, "\xEF\xBB\xBF") == 0) {
        i_ += 3;  // a byte order mark
      } else {
        break;
      }
    }
  }

  Token Number(Token t) {
    const size_t start = i_;
    if (s_[i_] == '-') Advance(1);
    bool is_float = false;
    const auto digits = [&] {
      const size_t from = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) Advance(1);
      return i_ > from;
    };
    if (!digits()) Fail(t, "Parse error on \"-\" (error) at [" + Where(t) + "]");
    if (i_ < s_.size() && s_[i_] == '.') {
      is_float = true;
      Advance(1);
      if (!digits()) Fail(t, "Parse error on \".\" (error) at [" + Where(t) + "]");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      is_float = true;
      Advance(1);
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) Advance(1);
      if (!digits()) Fail(t, "Parse error on \"e\" (error) at [" + Where(t) + "]");
    }
    t.kind = is_float ? Token::Kind::kFloat : Token::Kind::kInt;
    t.text = s_.substr(start, i_ - start);
    return t;
  }

  Token String(Token t) {
    t.kind = Token::Kind::kString;
    if (s_.compare(i_, 3, "\"\"\"") == 0) {  // block string: raw up to the closing """
      Advance(3);
      const size_t end = s_.find("\"\"\"", i_);
      if (end == std::string::npos)
        Fail(t, "Parse error on unterminated string at [" + Where(t) + "]");
      t.text = s_.substr(i_, end - i_);
      Advance(end - i_ + 3);
      return t;
    }
    Advance(1);
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n') {
        Fail(t, "Parse error on unterminated string at [" + Where(t) + "]");
      }
      const char c = s_[i_];
      if (c == '"') {
        Advance(1);
        return t;
      }
      if (c != '\\') {
        t.text += c;
        Advance(1);
        continue;
      }
      if (i_ + 1 >= s_.size()) Fail(t, "Parse error on bad escape at [" + Where(t) + "]");
      const char e = s_[i_ + 1];
      Advance(2);
      switch (e) {
        case '"':
          t.text += '"';
          break;
        case '\\':
          t.text += '\\';
          break;
        case '/':
          t.text += '/';
          break;
        case 'b':
          t.text += '\b';
          break;
        case 'f':
          t.text += '\f';
          break;
        case 'n':
          t.text += '\n';
          break;
        case 'r':
          t.text += '\r';
          break;
        case 't':
          t.text += '\t';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) Fail(t, "Parse error on bad escape at [" + Where(t) + "]");
          const unsigned long cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
          Advance(4);
          if (cp < 0x80) {
            t.text += static_cast<char>(cp);
          } else if (cp < 0x800) {
            t.text += static_cast<char>(0xC0 | (cp >> 6));
            t.text += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            t.text += static_cast<char>(0xE0 | (cp >> 12));
            t.text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            t.text += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          Fail(t, "Parse error on bad escape at [" + Where(t) + "]");
      }
    }
  }

  static std::string Where(const Token& t) {
    return std::to_string(t.line) + ", " + std::to_string(t.column);
  }

  const std::string& s_;
  size_t i_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace stockd::fakes::graphql::internal

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_GRAPHQL_LEXER_H_
