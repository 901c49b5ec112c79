// The config schema (daemon/config/schema.h) against the rest of the house: every key it
// declares appears in config/reference.yaml and every key there is declared; the
// reference parses as a valid config; the defaults it declares are the structs'
// defaults; the parser's allowed-key lists are the schema's.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "daemon/config/schema.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace stockd::config {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReferenceText() {
  return ReadFile(std::string(STOCKD_SOURCE_DIR) + "/config/reference.yaml");
}

// The reference with its inactive keys made active: a line whose first non-blank bytes
// are "#> " loses them (reference.yaml's convention for keys shown with example values
// that a valid file cannot hold at once: external-Redis security, an adapter).
std::string WithInactiveKeys(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& line : lines) {
    const size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, 3, "#> ") == 0) line.erase(start, 3);
  }
  return absl::StrJoin(lines, "\n");
}

// Kinds whose mapping keys are data, not schema keys.
bool KeysAreData(schema::Kind kind) {
  return kind == schema::Kind::kUnitsMap || kind == schema::Kind::kJson;
}

// Every key path of `node` below `path` ("server.listen", "channels[].adapter.plugin"),
// descending into mappings and list items but not into data mappings.
void CollectKeys(const YAML::Node& node, const std::string& path,
                 const std::map<std::string, schema::Kind>& kinds, std::set<std::string>* out) {
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) CollectKeys(item, path + "[]", kinds, out);
    return;
  }
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string child = path.empty() ? key : path + "." + key;
    out->insert(child);
    auto it = kinds.find(child);
    if (it != kinds.end() && KeysAreData(it->second)) continue;
    CollectKeys(kv.second, child, kinds, out);
  }
}

std::map<std::string, schema::Kind> SchemaKinds() {
  std::map<std::string, schema::Kind> kinds;
  for (const schema::KeyView& k : schema::AllKeys()) {
    EXPECT_TRUE(kinds.emplace(k.path, k.info->kind).second) << "declared twice: " << k.path;
  }
  return kinds;
}

TEST(ConfigSchemaTest, ReferenceAndSchemaNameTheSameKeys) {
  const std::map<std::string, schema::Kind> kinds = SchemaKinds();
  std::set<std::string> in_reference;
  CollectKeys(YAML::Load(WithInactiveKeys(ReferenceText())), "", kinds, &in_reference);
  for (const auto& [path, kind] : kinds) {
    EXPECT_TRUE(in_reference.count(path)) << path << " is in the schema, not in reference.yaml";
  }
  for (const std::string& path : in_reference) {
    EXPECT_TRUE(kinds.count(path)) << path << " is in reference.yaml, not in the schema";
  }
}

TEST(ConfigSchemaTest, ReferenceParsesAsAValidConfig) {
  absl::StatusOr<Config> config = ParseConfig(ReferenceText(), "reference.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
}

TEST(ConfigSchemaTest, EveryKeyIsDocumentedAndBounded) {
  for (const schema::KeyView& k : schema::AllKeys()) {
    EXPECT_FALSE(k.info->doc.empty()) << k.path;
    if (k.info->kind == schema::Kind::kInt || k.info->kind == schema::Kind::kDuration) {
      EXPECT_LE(k.info->min, k.info->max) << k.path;
    }
  }
}

// A config that sets only what is required, with one adapter: everything else is the
// structs' default, which must be the schema's.
constexpr char kMinimal[] =
    "locations: [{id: wh, type: warehouse}]\n"
    "channels: [{id: web, type: webshop, sources: [wh], adapter: {plugin: file}}]\n";

template <typename T>
void ExpectDefaults(const schema::Table<T>& table, const T& parsed) {
  for (const schema::Field<T>& f : table.fields()) {
    const std::string path = absl::StrCat(table.path(), ".", f.key.name);
    if (f.get != nullptr) {
      EXPECT_EQ(f.get(parsed), f.key.default_value) << path;
    }
    if (f.get_text != nullptr) {
      std::string text = f.get_text(parsed);
      if (text.empty()) text = "\"\"";
      if (text.find(':') != std::string::npos) text = "\"" + text + "\"";
      EXPECT_EQ(text, f.key.default_text) << path;
    }
  }
}

TEST(ConfigSchemaTest, SchemaDefaultsAreTheStructsDefaults) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "minimal.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ExpectDefaults(schema::Root(), *config);
  ExpectDefaults(schema::Server(), *config);
  ExpectDefaults(schema::Redis(), *config);
  ExpectDefaults(schema::Engine(), *config);
  ExpectDefaults(schema::Holds(), *config);
  ExpectDefaults(schema::Idempotency(), *config);
  ExpectDefaults(schema::Audit(), *config);
  ExpectDefaults(schema::RedisTls(), RedisTlsConfig{});
  ExpectDefaults(schema::Locations(), config->model.locations[0]);
  ExpectDefaults(schema::Channels(), config->model.channels[0]);
  ASSERT_EQ(config->adapters.size(), 1u);
  ExpectDefaults(schema::Adapter(), config->adapters[0]);
  ExpectDefaults(schema::Orders(), *config);
  ExpectDefaults(schema::Metrics(), *config);
  ExpectDefaults(schema::Alerts(), *config);
  const OrdersConfig orders = config->OrdersSlice();
  ASSERT_EQ(orders.channels.size(), 1u);  // the channel with an adapter
  ExpectDefaults(schema::ChannelOrders(), orders.channels[0]);
}

// The parser's allowed keys are the schema's: an unknown key anywhere names them.
TEST(ConfigSchemaTest, UnknownKeyListsTheSchemasKeys) {
  absl::StatusOr<Config> config = ParseConfig(
      "locations: [{id: wh, type: warehouse}]\n"
      "channels: [{id: web, type: webshop, sources: [wh]}]\n"
      "holds: {typo: 1}\n",
      "t.yaml");
  ASSERT_FALSE(config.ok());
  const std::string names = absl::StrJoin(schema::Holds().names(), ", ");
  EXPECT_EQ(std::string(config.status().message()),
            "t.yaml:3:9: holds.typo: unknown key 'typo'; allowed keys: " + names);
}

// Keys that shape what is built once at start are never marked reloadable.
TEST(ConfigSchemaTest, StartupKeysAreNotReloadable) {
  for (const schema::KeyView& k : schema::AllKeys()) {
    const bool startup = k.path == "server.listen" || k.path == "data_dir" ||
                         k.path == "plugin_dir" || k.path.rfind("redis", 0) == 0 ||
                         k.path == "engine.shards" || k.path == "orders.listen";
    if (startup) {
      EXPECT_EQ(k.info->reload, schema::Reload::kRestart) << k.path;
    }
  }
}

}  // namespace
}  // namespace stockd::config
