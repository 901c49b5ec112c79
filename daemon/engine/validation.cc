#include "daemon/engine/validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/alerts.h"
#include "daemon/engine/kits.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

absl::Status InvalidId(absl::string_view what, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": '", value.substr(0, 140),
                   "' is not a valid identifier (1-128 bytes of [A-Za-z0-9._:/-])"));
}

absl::Status CheckQty(absl::string_view what, int64_t qty) {
  if (qty <= 0) return absl::InvalidArgumentError(absl::StrCat(what, " must be > 0, got ", qty));
  if (qty > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be <= ", kMaxQuantity, ", got ", qty));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view what, const std::string& text) {
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", text.size(), " bytes, at most ", kMaxTextBytes));
  }
  return absl::OkStatus();
}

absl::Status CheckHoldId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("hold_id: required");
  if (!IsValidId(id)) return InvalidId("hold_id", id);
  return absl::OkStatus();
}

absl::Status CheckId(absl::string_view what, const std::string& id) {
  if (!IsValidId(id)) return InvalidId(what, id);
  return absl::OkStatus();
}

absl::Status CheckLines(const std::vector<Line>& lines, size_t max_lines, bool required) {
  if (lines.empty() && required)
    return absl::InvalidArgumentError("lines: at least one line required");
  if (lines.size() > max_lines) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: ", lines.size(), " lines, at most ", max_lines, " per call"));
  }
  auto where = [](size_t i) { return absl::StrCat("lines[", i, "]"); };  // errors only
  // Duplicate SKUs (a pairwise scan was a third of a 100-line Reserve's engine time).
  FirstSeen<absl::string_view> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsValidId(lines[i].sku)) return InvalidId(where(i) + ".sku", lines[i].sku);
    if (lines[i].qty <= 0 || lines[i].qty > kMaxQuantity) {
      if (absl::Status st = CheckQty(where(i) + ".qty", lines[i].qty); !st.ok()) return st;
    }
    // Every line before i was new (a duplicate returns), so a new SKU gets position i.
    if (const size_t first = seen.Add(lines[i].sku); first != i) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(i), ": sku '", lines[i].sku, "' already in lines[", first, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPickLines(const std::vector<Line>& lines, size_t max_lines) {
  if (lines.size() > max_lines) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: ", lines.size(), " lines, at most ", max_lines, " per call"));
  }
  auto where = [](size_t i) { return absl::StrCat("lines[", i, "]"); };  // errors only
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (!IsValidId(line.sku)) return InvalidId(where(i) + ".sku", line.sku);
    if (!line.location.empty() && !IsValidId(line.location)) {
      return InvalidId(where(i) + ".location", line.location);
    }
    if (absl::Status st = CheckQty(where(i) + ".qty", line.qty); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ResolveTtl(const EngineOptions& options, int64_t ttl_ms) {
  if (ttl_ms == 0) return options.default_ttl_ms;
  if (ttl_ms < options.min_ttl_ms || ttl_ms > options.max_ttl_ms) {
    return absl::InvalidArgumentError(absl::StrCat("ttl_ms must be 0 (default) or within ",
                                                   options.min_ttl_ms, "..", options.max_ttl_ms,
                                                   ", got ", ttl_ms));
  }
  return ttl_ms;
}

absl::Status CheckAdjust(const AdjustCmd& cmd) {
  if (cmd.delta == 0) return absl::InvalidArgumentError("delta must be != 0");
  if (cmd.delta > kMaxQuantity || cmd.delta < -kMaxQuantity) {
    return absl::InvalidArgumentError(absl::StrCat("delta: |", cmd.delta, "| > ", kMaxQuantity));
  }
  switch (cmd.reason) {
    case AdjustReason::kUnspecified:
      return absl::InvalidArgumentError(
          "reason: required (receipt, return, damage, shrinkage or correction)");
    case AdjustReason::kReceipt:
    case AdjustReason::kReturn:
      if (cmd.delta < 0) {
        return absl::InvalidArgumentError(absl::StrCat("delta: a ", AdjustReasonName(cmd.reason),
                                                       " adds stock, got ", cmd.delta));
      }
      break;
    case AdjustReason::kDamage:
    case AdjustReason::kShrinkage:
      if (cmd.delta > 0) {
        return absl::InvalidArgumentError(absl::StrCat("delta: ", AdjustReasonName(cmd.reason),
                                                       " removes stock, got +", cmd.delta));
      }
      break;
    case AdjustReason::kCorrection:
      break;
  }
  return CheckText("note", cmd.note);
}

absl::Status CheckCount(const CountCmd& cmd) {
  if (cmd.on_hand < 0 || cmd.on_hand > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("on_hand must be within 0..", kMaxQuantity, ", got ", cmd.on_hand));
  }
  if (cmd.expected && (*cmd.expected < 0 || *cmd.expected > kMaxQuantity)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected must be within 0..", kMaxQuantity, ", got ", *cmd.expected));
  }
  if (cmd.observed_at_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("observed_at_ms must be >= 0 (0 = now), got ", cmd.observed_at_ms));
  }
  return CheckText("note", cmd.note);
}

absl::StatusOr<int> ResolveChannel(const Model& model, const std::string& id) {
  if (!IsValidId(id)) return InvalidId("channel", id);
  int index = model.ChannelIndex(id);
  if (index < 0) return absl::NotFoundError(absl::StrCat("unknown channel '", id, "'"));
  return index;
}

absl::StatusOr<int> ResolveLocation(const Model& model, const std::string& id) {
  if (!IsValidId(id)) return InvalidId("location", id);
  int index = model.LocationIndex(id);
  if (index < 0) return absl::NotFoundError(absl::StrCat("unknown location '", id, "'"));
  return index;
}

bool IsSource(const Model& model, int channel, int location) {
  const auto& src = model.channels[channel].sources;
  return std::find(src.begin(), src.end(), location) != src.end();
}

absl::Status NotASource(const Model& model, int channel, int location) {
  return absl::FailedPreconditionError(absl::StrCat("location '", model.locations[location].id,
                                                    "' is not a source of channel '",
                                                    model.channels[channel].id, "'"));
}

absl::Status LineNotCovered(const Model& model, const PolicySet& p, int channel,
                            const std::vector<Counters>& rows, absl::string_view sku, int64_t qty,
                            bool may_split, bool single_asked) {
  const std::string& id = model.channels[channel].id;
  const int64_t reservable = Reservable(model, p, channel, rows);
  if (may_split) {
    return absl::FailedPreconditionError(absl::StrCat("sku '", sku, "': channel '", id,
                                                      "' may take ", reservable,
                                                      " over all its sources, asked ", qty));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "sku '", sku, "': no source of channel '", id, "' has ", qty, " available (reservable ",
      reservable, " in total; ",
      single_asked ? "the request asks for one location"
                   : absl::StrCat("channel '", id, "' takes lines whole: split_lines false"),
      ")"));
}

absl::Status UnknownSku(absl::string_view sku) {
  return absl::NotFoundError(absl::StrCat("unknown sku '", sku, "'"));
}

absl::Status UnknownHold(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown hold '", id, "'"));
}

absl::Status ValidateModel(const Model& m) {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (m.locations.empty()) return bad("model: no locations");
  if (m.channels.empty()) return bad("model: no channels");
  const size_t nl = m.locations.size();
  for (size_t i = 0; i < nl; ++i) {
    if (!IsValidId(m.locations[i].id)) return bad("location ", i, ": invalid id");
    if (m.LocationIndex(m.locations[i].id) != static_cast<int>(i)) {
      return bad("location '", m.locations[i].id, "' defined twice");
    }
  }
  auto check_policy = [&](const ChannelPolicy& p, const std::string& who) -> absl::Status {
    if (p.safety_stock < 0) return bad(who, ": safety_stock < 0");
    if (p.share_percent < 0 || p.share_percent > 100)
      return bad(who, ": share_percent outside 0..100");
    if (p.min_publish < 0 || p.max_publish < 0) return bad(who, ": min/max_publish < 0");
    return absl::OkStatus();
  };
  for (size_t i = 0; i < m.channels.size(); ++i) {
    const Channel& ch = m.channels[i];
    if (!IsValidId(ch.id)) return bad("channel ", i, ": invalid id");
    if (m.ChannelIndex(ch.id) != static_cast<int>(i))
      return bad("channel '", ch.id, "' defined twice");
    if (ch.sources.empty()) return bad("channel '", ch.id, "': no sources");
    for (int l : ch.sources) {
      if (l < 0 || static_cast<size_t>(l) >= nl) return bad("channel '", ch.id, "': bad source");
    }
    if (ch.policy.protect.size() != nl) return bad("channel '", ch.id, "': protect size");
    for (size_t l = 0; l < nl; ++l) {
      if (ch.policy.protect[l] < 0) return bad("channel '", ch.id, "': negative protect");
      bool source =
          std::find(ch.sources.begin(), ch.sources.end(), static_cast<int>(l)) != ch.sources.end();
      if (ch.policy.protect[l] > 0 && !source) {
        return bad("channel '", ch.id, "': protects '", m.locations[l].id, "', not a source");
      }
    }
    if (absl::Status st = check_policy(ch.policy, "channel '" + ch.id + "'"); !st.ok()) return st;
  }
  for (const PolicyOverride& o : m.overrides) {
    if (o.channel < 0 || static_cast<size_t>(o.channel) >= m.channels.size()) {
      return bad("override ", o.origin, ": bad channel");
    }
    const Channel& ch = m.channels[o.channel];
    for (const auto& [l, units] : o.protect) {
      if (units < 0) return bad("override ", o.origin, ": negative protect");
      if (std::find(ch.sources.begin(), ch.sources.end(), l) == ch.sources.end()) {
        return bad("override ", o.origin, ": protects a location that is not a source");
      }
    }
    if ((o.safety_stock && *o.safety_stock < 0) ||
        (o.share_percent && (*o.share_percent < 0 || *o.share_percent > 100)) ||
        (o.min_publish && *o.min_publish < 0) || (o.max_publish && *o.max_publish < 0)) {
      return bad("override ", o.origin, ": value out of bounds");
    }
  }
  if (absl::Status st = ValidateAlerts(m); !st.ok()) return st;
  return ValidateKits(m);
}

absl::Status ValidateOptions(const EngineOptions& options) {
  if (options.shards < 1 || options.shards > 65536) {
    return absl::InvalidArgumentError("shards must be within 1..65536");
  }
  if (options.min_ttl_ms <= 0 || options.max_ttl_ms < options.min_ttl_ms ||
      options.default_ttl_ms < options.min_ttl_ms || options.default_ttl_ms > options.max_ttl_ms) {
    return absl::InvalidArgumentError("ttl options: need 0 < min_ttl <= default_ttl <= max_ttl");
  }
  if (options.max_lines < 1) return absl::InvalidArgumentError("max_lines must be >= 1");
  return absl::OkStatus();
}

}  // namespace stockd::engine
