// The Shopify fake's executor (fake_shopify_resolver.h): the operation's root, objects and
// their fields. Connections (inventoryItems, orders, lineItems pages): fake_shopify_pages.cc.
#include <algorithm>
#include <set>

#include "tests/fakes/shopify/fake_shopify_resolver.h"

namespace stockd::fakes {
namespace shopify_exec {
namespace {

using shopify_schema::Error;
using shopify_schema::Gid;
using shopify_schema::ParseGid;

const std::set<std::string> kQuantityNames = {"available", "committed",   "damaged",
                                              "incoming",  "on_hand",     "quality_control",
                                              "reserved",  "safety_stock"};

}  // namespace

Json Resolver::Root(const graphql::Operation& op) {
  Json data = Json::object();
  for (const Selection& f : Fields("QueryRoot", op.selections)) {
    const Json path = Json::array({f.key()});
    if (f.name == "__typename") {
      data[f.key()] = op.kind == "mutation" ? "Mutation" : "QueryRoot";
    } else if (f.name == "inventorySetQuantities") {
      *cost_ += shopify_schema::kMutationCost;
      std::string key;
      for (const graphql::Directive& d : f.directives) {
        for (const auto& [n, v] : d.arguments) {
          const Json value = graphql::ToJson(v, variables_);
          if (d.name == "idempotent" && n == "key" && value.is_string()) key = value;
        }
      }
      const Json payload = SetQuantities(s_, Arg(f, "input"), key, errors_, f);
      data[f.key()] = payload.is_null() ? payload : ProjectJson(payload, f.selections);
    } else {
      data[f.key()] = RootField(f, path);
    }
  }
  return data;
}

Json Resolver::Arg(const Selection& f, const char* name) const {
  for (const auto& [n, v] : f.arguments) {
    if (n == name) return graphql::ToJson(v, variables_);
  }
  return nullptr;
}

std::vector<Selection> Resolver::Fields(const std::string& type,
                                        const std::vector<Selection>& sels) {
  std::vector<Selection> out;
  for (const Selection& s : sels) {
    if (!Included(s)) continue;
    if (!s.is_fragment) {
      out.push_back(s);
    } else if (s.type_condition.empty() || shopify_schema::Implements(type, s.type_condition)) {
      for (Selection& inner : Fields(type, s.selections)) out.push_back(std::move(inner));
    }
  }
  return out;
}

bool Resolver::Included(const Selection& s) const {
  for (const graphql::Directive& d : s.directives) {
    for (const auto& [n, v] : d.arguments) {
      const bool value = graphql::ToJson(v, variables_) == true;
      if (d.name == "include" && n == "if" && !value) return false;
      if (d.name == "skip" && n == "if" && value) return false;
    }
  }
  return true;
}

Json Resolver::ProjectJson(const Json& value, const std::vector<Selection>& sels) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& v : value) out.push_back(ProjectJson(v, sels));
    return out;
  }
  if (!value.is_object() || sels.empty()) return value;
  Json out = Json::object();
  for (const Selection& f : Fields(value.value("__typename", ""), sels)) {
    const auto it = value.find(f.name);
    out[f.key()] = it == value.end() ? Json(nullptr) : ProjectJson(*it, f.selections);
  }
  return out;
}

std::optional<Ref> Resolver::FindNode(const std::string& gid) const {
  std::string type;
  int64_t id = 0;
  if (!ParseGid(gid, &type, &id)) return std::nullopt;
  if (type == "InventoryItem" && s_.FindItem(id) != nullptr) return Ref{type, id};
  if (type == "Location" && s_.locations.count(id) != 0) return Ref{type, id};
  if (type == "Order" && s_.orders.count(id) != 0) return Ref{type, id};
  if (type == "ProductVariant") {
    for (const auto& [item_id, item] : s_.items) {
      if (item.variant_id == id) return Ref{type, id};
    }
  }
  return std::nullopt;
}

Json Resolver::RootField(const Selection& f, const Json& path) {
  if (f.name == "shop") return Object(Ref{"Shop", 1}, f.selections, path);
  if (f.name == "nodes") {
    Json out = Json::array();
    for (const Json& id : Arg(f, "ids")) {
      const std::optional<Ref> ref = FindNode(id.get<std::string>());
      out.push_back(ref ? Object(*ref, f.selections, path) : Json(nullptr));
    }
    return out;
  }
  if (f.name == "node" || f.name == "order" || f.name == "inventoryItem" || f.name == "location") {
    const Json id = Arg(f, "id");
    if (!id.is_string()) return nullptr;
    const std::optional<Ref> ref = FindNode(id.get<std::string>());
    const std::string want = f.name == "order"           ? "Order"
                             : f.name == "inventoryItem" ? "InventoryItem"
                             : f.name == "location"      ? "Location"
                                                         : "";
    if (!ref || (!want.empty() && ref->type != want)) return nullptr;
    return Object(*ref, f.selections, path);
  }
  if (f.name == "inventoryItems") return Items(f, path);
  if (f.name == "orders") return Orders(f, path);
  return nullptr;
}

Json Resolver::Object(const Ref& ref, const std::vector<Selection>& sels, const Json& path) {
  *cost_ += 1;
  Json out = Json::object();
  for (const Selection& f : Fields(ref.type, sels)) {
    Json at = path;
    at.push_back(f.key());
    out[f.key()] = f.name == "__typename" ? Json(ref.type) : Field(ref, f, at);
  }
  return out;
}

Json Resolver::Field(const Ref& ref, const Selection& f, const Json& path) {
  const std::string& n = f.name;
  if (n == "id") {
    if (ref.type == "InventoryLevel") {
      return "gid://shopify/InventoryLevel/" + std::to_string(ref.id) +
             "?inventory_item_id=" + std::to_string(ref.id2);
    }
    if (ref.type == "LineItem") return Gid("LineItem", ref.id2);
    if (ref.type == "Shop") return Gid("Shop", 1);
    return Gid(ref.type, ref.id);
  }
  if (n == "legacyResourceId") return std::to_string(ref.type == "LineItem" ? ref.id2 : ref.id);
  if (ref.type == "Shop") {
    if (n == "name") return "stockd test shop";
    return s_.shop_domain;  // myshopifyDomain
  }
  if (ref.type == "Location") return n == "name" ? Json(s_.locations.at(ref.id)) : Json(nullptr);
  if (ref.type == "InventoryItem") {
    const ShopItem& item = *s_.FindItem(ref.id);
    if (n == "sku") return item.sku.empty() ? Json(nullptr) : Json(item.sku);
    if (n == "tracked") return true;
    if (n == "createdAt") return IsoTime(item.created_ms);
    if (n == "updatedAt") return IsoTime(item.updated_ms);
    if (n == "variant") return Object(Ref{"ProductVariant", item.variant_id}, f.selections, path);
    if (n == "inventoryLevel") {
      std::string type;
      int64_t location = 0;
      const Json id = Arg(f, "locationId");
      if (!ParseGid(id.get<std::string>(), &type, &location) || type != "Location" ||
          item.levels.count(location) == 0) {
        return nullptr;
      }
      return Object(Ref{"InventoryLevel", location, ref.id}, f.selections, path);
    }
  }
  if (ref.type == "InventoryLevel") {  // id = location, id2 = item
    const ShopLevel& level = s_.FindItem(ref.id2)->levels.at(ref.id);
    if (n == "location") return Object(Ref{"Location", ref.id}, f.selections, path);
    if (n == "item") return Object(Ref{"InventoryItem", ref.id2}, f.selections, path);
    if (n == "quantities") {
      Json out = Json::array();
      for (const Json& name : Arg(f, "names")) {
        const std::string q = name.get<std::string>();
        if (kQuantityNames.count(q) == 0) {
          errors_->push_back(Error("The quantity name '" + q + "' is invalid.", f.line, f.column,
                                   path, {{"code", "INVALID_QUANTITY_NAME"}}));
          return nullptr;
        }
        const int64_t value = q == "available"   ? level.available
                              : q == "committed" ? level.committed
                              : q == "on_hand"   ? level.available + level.committed
                                                 : 0;
        out.push_back(
            ProjectJson({{"__typename", "InventoryQuantity"},
                         {"id", "gid://shopify/InventoryQuantity/" + std::to_string(ref.id2) +
                                    "?location_id=" + std::to_string(ref.id) + "&name=" + q},
                         {"name", q},
                         {"quantity", value},
                         {"updatedAt", IsoTime(level.updated_ms)}},
                        f.selections));
      }
      *cost_ += 1;  // a list of objects costs one object
      return out;
    }
  }
  if (ref.type == "ProductVariant") {
    for (const auto& [id, item] : s_.items) {
      if (item.variant_id != ref.id) continue;
      if (n == "sku") return item.sku.empty() ? Json(nullptr) : Json(item.sku);
      if (n == "inventoryItem") return Object(Ref{"InventoryItem", id}, f.selections, path);
    }
    return nullptr;
  }
  if (ref.type == "Order") {
    const ShopOrder& o = s_.orders.at(ref.id);
    if (n == "name") return "#" + std::to_string(o.number);
    if (n == "createdAt") return IsoTime(o.created_ms);
    if (n == "updatedAt") return IsoTime(o.updated_ms);
    if (n == "cancelledAt") return o.cancelled_ms ? Json(IsoTime(o.cancelled_ms)) : Json(nullptr);
    if (n == "cancelReason") return o.cancelled_ms ? Json("CUSTOMER") : Json(nullptr);
    if (n == "displayFinancialStatus") return o.financial;
    if (n == "displayFulfillmentStatus") return o.FulfillmentStatus();
    if (n == "lineItems") {
      std::vector<PageEntry> entries;
      for (const ShopLine& l : o.lines) {
        entries.push_back({Ref{"LineItem", o.id, l.id}, MakeCursor(l.id, ""), l.id, 0});
      }
      return Page(f, entries, path);
    }
  }
  if (ref.type == "LineItem") {
    const ShopOrder& o = s_.orders.at(ref.id);
    const auto line = std::find_if(o.lines.begin(), o.lines.end(),
                                   [&](const ShopLine& l) { return l.id == ref.id2; });
    if (n == "sku") return line->sku.empty() ? Json(nullptr) : Json(line->sku);
    if (n == "name") return line->sku.empty() ? "Gift wrap" : "Product " + line->sku;
    if (n == "quantity") return line->quantity;
    if (n == "currentQuantity") return line->quantity - line->removed;
    if (n == "unfulfilledQuantity") return line->quantity - line->removed - line->fulfilled;
    if (n == "variant") {
      return line->variant_id ? Object(Ref{"ProductVariant", line->variant_id}, f.selections, path)
                              : Json(nullptr);
    }
  }
  return nullptr;
}

}  // namespace shopify_exec

Json Execute(ShopState& state, const graphql::Operation& op, const Json& variables,
             std::vector<Json>* errors, double* actual_cost, Json* search) {
  *search = Json::array();
  return shopify_exec::Resolver(state, variables, errors, actual_cost, search).Root(op);
}

}  // namespace stockd::fakes
