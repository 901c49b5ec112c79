// The part of Shopify's Admin GraphQL schema (2026-04) the fake serves, and the checks a
// GraphQL server makes before it runs anything: fields and arguments by name, required
// arguments, selections on objects only, variables declared, used and of the right type,
// input values coerced (Int is 32-bit, IDs are gids, enum values are known), list sizes
// (250), connection sizes (first or last, at most 250), directives known. Also the
// requested cost of an operation (Shopify's published rules: object 1, scalar 0,
// connection 2 + first x one node, a mutation 10).
//
// Errors use the shapes of Shopify's server (graphql-ruby): {"message", "locations",
// "path", "extensions": {"code", ...}}.
//
// Thread safety: pure functions over immutable tables.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_SCHEMA_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_SCHEMA_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/shopify/graphql_doc.h"

namespace stockd::fakes::shopify_schema {

using Json = nlohmann::json;

constexpr size_t kMaxListInput = 250;
constexpr int64_t kMaxPageSize = 250;
constexpr double kMaxQueryCost = 1000;
constexpr double kMutationCost = 10;

// A type reference such as "[ID!]!".
struct TypeRef {
  std::string base;
  bool list = false;
  bool non_null = false;       // the outer type
  bool item_non_null = false;  // list items
};
TypeRef ParseType(const std::string& text);
std::string ToString(const TypeRef& t);

bool IsLeafType(const std::string& base);  // scalars and enums
bool IsConnection(const std::string& base);
// The object type a field returns ("" when the type has no such field).
std::string FieldType(const std::string& object_type, const std::string& field,
                      TypeRef* type = nullptr);
// Whether `object_type` may be the runtime type of an `abstract` one (Node).
bool Implements(const std::string& object_type, const std::string& abstract);

// "gid://shopify/<Type>/<N>" -> Type and N; false when malformed.
bool ParseGid(const std::string& gid, std::string* type, int64_t* number);
std::string Gid(const std::string& type, int64_t number);

// Checks `op` (the one to run) against the schema and `variables`. Returns the errors
// (empty: valid) and sets *requested_cost.
std::vector<Json> Validate(const graphql::Operation& op, const Json& variables,
                           double* requested_cost);

// An error object. `path` may be null.
Json Error(const std::string& message, int line, int column, const Json& path,
           const Json& extensions);

}  // namespace stockd::fakes::shopify_schema

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_SCHEMA_H_
