// The Shopify fake's executor (fake_shopify_resolve.cc, fake_shopify_pages.cc): resolves a
// validated operation against the shop's state field by field, counting the actual cost
// as Shopify does (each object 1, each connection 2 plus its nodes, the mutation 10).
// Internal to the fake.
//
// Thread safety: runs with the ShopState's mutex held.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_RESOLVER_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_RESOLVER_H_

#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/shopify/fake_shopify_internal.h"
#include "tests/fakes/shopify/shopify_search.h"

namespace stockd::fakes::shopify_exec {

using graphql::Selection;

// What a field's value refers to.
struct Ref {
  std::string type;  // the runtime object type
  int64_t id = 0;    // the object's id (LineItem: its order's; InventoryLevel: its location's)
  int64_t id2 = 0;   // LineItem: the line's id; InventoryLevel: the item's id
};

struct PageEntry {
  Ref ref;
  std::string cursor;
  int64_t sort_id = 0;
  int64_t sort_value = 0;
};

class Resolver {
 public:
  Resolver(ShopState& state, const Json& variables, std::vector<Json>* errors, double* cost,
           Json* search)
      : s_(state), variables_(variables), errors_(errors), cost_(cost), search_(search) {}

  Json Root(const graphql::Operation& op);

 private:
  Json Arg(const Selection& f, const char* name) const;

  // The fields of `selections` that apply to an object of `type` (fragments flattened).
  std::vector<Selection> Fields(const std::string& type, const std::vector<Selection>& sels);
  bool Included(const Selection& s) const;

  Json ProjectJson(const Json& value, const std::vector<Selection>& sels);

  // A node by gid; nullopt when there is no such object.
  std::optional<Ref> FindNode(const std::string& gid) const;

  Json RootField(const Selection& f, const Json& path);

  void Warn(const Json& path, const std::string& query, const Search& search);

  Json Items(const Selection& f, const Json& path);

  Json Orders(const Selection& f, const Json& path);

  // first/after/last/before/reverse over `entries` (sorted by (sort_value, sort_id)),
  // projected on the selection. A cursor is a position in that order, so it stays valid
  // when its object moves or goes away.
  Json Page(const Selection& f, std::vector<PageEntry> entries, const Json& path);

  Json Object(const Ref& ref, const std::vector<Selection>& sels, const Json& path);

  Json Field(const Ref& ref, const Selection& f, const Json& path);

  ShopState& s_;
  const Json& variables_;
  std::vector<Json>* errors_;
  double* cost_;
  Json* search_;
};

}  // namespace stockd::fakes::shopify_exec

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_RESOLVER_H_
