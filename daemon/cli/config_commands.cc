// stockctl config: the running configuration (no argument), the dry run of a new one
// (`config diff [NEW.yaml]`) and the live reload (`config reload`), docs/reload.md.
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"
#include "daemon/util/posix.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

std::string Protect(const google::protobuf::Map<std::string, int64_t>& protect) {
  if (protect.empty()) return "-";
  // Sorted for a stable display (a protobuf map has no order).
  std::map<std::string, int64_t> sorted(protect.begin(), protect.end());
  return absl::StrJoin(sorted, ", ", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.first, " ", entry.second);
  });
}

int RunSummary(Invocation& invocation) {
  v1::GetConfigSummaryRequest request;
  v1::ConfigSummary config;
  grpc::Status status = invocation.client.Call(&Stub::GetConfigSummary, request, &config);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, config);
    return kExitOk;
  }
  std::ostream& out = invocation.out;
  PrintFields(out, {{"config", config.config_path()},
                    {"listen", config.listen()},
                    {"version", config.version()},
                    {"skus", absl::StrCat(config.skus())},
                    {"stock rows", absl::StrCat(config.rows())},
                    {"open holds", absl::StrCat(config.open_holds())},
                    {"overrides", absl::StrCat(config.overrides())}});
  out << "\n";
  Table locations({{"LOCATION"}, {"TYPE"}, {"NAME"}});
  for (const v1::LocationSummary& location : config.locations()) {
    locations.AddRow({location.id(), location.type(), location.name()});
  }
  locations.Print(out);
  out << "\n";
  Table channels({{"CHANNEL"},
                  {"TYPE"},
                  {"SOURCES"},
                  {"PROTECT"},
                  Num("SAFETY"),
                  Num("SHARE"),
                  Num("MIN"),
                  Num("MAX")});
  for (const v1::ChannelSummary& channel : config.channels()) {
    channels.AddRow({channel.id(), channel.type(), absl::StrJoin(channel.sources(), ","),
                     Protect(channel.protect()), absl::StrCat(channel.safety_stock()),
                     absl::StrCat(channel.share_percent(), "%"),
                     absl::StrCat(channel.min_publish()),
                     channel.max_publish() < 0 ? "-" : absl::StrCat(channel.max_publish())});
  }
  channels.Print(out);
  return kExitOk;
}

std::string Signed(int64_t v) { return v > 0 ? absl::StrCat("+", v) : absl::StrCat(v); }

// The diff for people: model changes, one line per channel, then each channel's SKUs
// that move most.
void PrintDiff(std::ostream& out, const v1::ConfigDiff& diff) {
  std::vector<Field> fields;
  auto list = [](const google::protobuf::RepeatedPtrField<std::string>& ids) {
    return ids.empty() ? std::string("-") : absl::StrJoin(ids, ", ");
  };
  fields.push_back({"skus compared", absl::StrCat(diff.skus())});
  fields.push_back({"locations added", list(diff.locations_added())});
  fields.push_back({"channels added", list(diff.channels_added())});
  fields.push_back({"channels changed", list(diff.channels_changed())});
  fields.push_back(
      {"overrides", absl::StrCat("+", diff.overrides_added(), " -", diff.overrides_removed(), " ~",
                                 diff.overrides_changed())});
  fields.push_back({"reorder rules",
                    absl::StrCat("+", diff.reorder_rules_added(), " -", diff.reorder_rules_removed(),
                                 " ~", diff.reorder_rules_changed(),
                                 diff.alert_options_changed() ? "; alert options changed" : "")});
  fields.push_back({"adapters added", list(diff.adapters_added())});
  fields.push_back({"adapters removed", list(diff.adapters_removed())});
  fields.push_back({"adapters changed", list(diff.adapters_changed())});
  fields.push_back({"order intake changed", list(diff.orders_changed())});
  fields.push_back({"clients", diff.clients() == 0 ? std::string("none (authentication off)")
                                                   : absl::StrCat(diff.clients())});
  fields.push_back({"at next restart", list(diff.restart_required())});
  PrintFields(out, fields);
  out << "\n";
  Table channels({{"CHANNEL"}, Num("SKUS CHANGED"), Num("UNITS"), Num("NET"), Num("ZEROED")});
  for (const v1::ChannelQuantityDiff& c : diff.channels()) {
    channels.AddRow({c.added() ? absl::StrCat(c.channel(), " (new)") : c.channel(),
                     absl::StrCat(c.skus_changed()), absl::StrCat(c.units_changed()),
                     Signed(c.net_change()), absl::StrCat(c.skus_zeroed())});
  }
  channels.Print(out);
  Table top({{"CHANNEL"}, {"SKU"}, Num("BEFORE"), Num("AFTER"), Num("CHANGE")});
  bool any = false;
  for (const v1::ChannelQuantityDiff& c : diff.channels()) {
    for (const v1::SkuQuantityChange& s : c.top()) {
      top.AddRow({c.channel(), s.sku(), absl::StrCat(s.before()), absl::StrCat(s.after()),
                  Signed(s.after() - s.before())});
      any = true;
    }
  }
  if (any) {
    out << "\nlargest changes:\n";
    top.Print(out);
  }
}

int TopN(Invocation& invocation, int32_t* top_n) {
  Args& args = invocation.args;
  *top_n = 0;
  if (args.Has("top")) *top_n = args.PositiveInt32(args.Value("top"), "--top");
  return args.ok() ? kExitOk : invocation.BadArguments();
}

int RunDiff(Invocation& invocation) {
  v1::DiffConfigRequest request;
  int32_t top_n = 0;
  if (int rc = TopN(invocation, &top_n); rc != kExitOk) return rc;
  request.set_top_n(top_n);
  if (invocation.args.positionals().size() > 1) {
    const std::string& path = invocation.args.positional(1);
    std::string text;
    if (!util::ReadWholeFile(path, &text)) {
      std::cerr << "stockctl: config diff: cannot read '" << path
                << "': " << util::ErrnoString(errno) << "\n";
      return kExitFailed;
    }
    if (text.empty()) {
      std::cerr << "stockctl: config diff: '" << path << "' is empty\n";
      return kExitFailed;
    }
    request.set_yaml(std::move(text));
    request.set_source_name(path);
  }
  v1::ConfigDiff diff;
  grpc::Status status = invocation.client.Call(&Stub::DiffConfig, request, &diff);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, diff);
  } else {
    PrintDiff(invocation.out, diff);
  }
  return kExitOk;
}

int RunReload(Invocation& invocation) {
  if (invocation.args.positionals().size() > 1) {
    return invocation.UsageError(
        "reload takes no file: it re-reads the daemon's own config file (edit it, check it with "
        "'config diff', then reload)");
  }
  v1::ReloadConfigRequest request;
  int32_t top_n = 0;
  if (int rc = TopN(invocation, &top_n); rc != kExitOk) return rc;
  request.set_top_n(top_n);
  v1::ReloadConfigResponse response;
  grpc::Status status = invocation.client.Call(&Stub::ReloadConfig, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (invocation.json()) {
    PrintJson(invocation.out, response);
    return kExitOk;
  }
  PrintFields(invocation.out,
              {{"reloaded", response.config_path()},
               {"engine locks held", absl::StrCat(response.locked_us() / 1000.0, " ms")},
               {"reconfiguration", absl::StrCat(response.total_us() / 1000.0, " ms")}});
  invocation.out << "\n";
  PrintDiff(invocation.out, response.applied());
  return kExitOk;
}

}  // namespace

int RunConfig(Invocation& invocation) {
  if (invocation.args.positionals().size() == 0) {
    if (invocation.args.Has("top")) return invocation.UsageError("--top goes with diff or reload");
    return RunSummary(invocation);
  }
  const std::string& sub = invocation.args.positional(0);
  if (sub == "diff") return RunDiff(invocation);
  if (sub == "reload") return RunReload(invocation);
  return invocation.UsageError(absl::StrCat("'", sub, "' is not one of diff|reload"));
}

}  // namespace stockd::cli
