// Test helpers shared by the engine suites: a small builder for engine::Model (so tests
// do not depend on the YAML config layer) and one-line constructors for commands.
//
// Thread safety: plain values; a ModelBuilder is used from one thread.
#ifndef STOCKD_TESTS_SUPPORT_TEST_MODEL_H_
#define STOCKD_TESTS_SUPPORT_TEST_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/commands.h"
#include "daemon/engine/model.h"

namespace stockd::engine {
// Readable counters in GoogleTest failure messages ("on_hand/held/committed").
inline void PrintTo(const Counters& c, std::ostream* os) {
  *os << c.on_hand << "/" << c.held << "/" << c.committed;
}
}  // namespace stockd::engine

namespace stockd::testing {

// Builds an engine::Model by ids. Protections may be given before or after the
// locations they name; Build() sizes every protect vector to the location count.
// Unknown ids throw std::invalid_argument (a bug in the test, not in the engine).
class ModelBuilder {
 public:
  ModelBuilder& Location(const std::string& id,
                         engine::LocationType type = engine::LocationType::kWarehouse) {
    model_.locations.push_back({id, type, ""});
    return *this;
  }

  ModelBuilder& Channel(const std::string& id, engine::ChannelType type,
                        const std::vector<std::string>& sources) {
    engine::Channel channel;
    channel.id = id;
    channel.type = type;
    for (const std::string& s : sources) channel.sources.push_back(LocationIndex(s));
    model_.channels.push_back(std::move(channel));
    return *this;
  }

  ModelBuilder& Protect(const std::string& channel, const std::string& location, int64_t units) {
    protect_[{ChannelIndex(channel), LocationIndex(location)}] = units;
    return *this;
  }
  ModelBuilder& Safety(const std::string& channel, int64_t units) {
    Policy(channel).safety_stock = units;
    return *this;
  }
  ModelBuilder& Share(const std::string& channel, int32_t percent) {
    Policy(channel).share_percent = percent;
    return *this;
  }
  ModelBuilder& MinPublish(const std::string& channel, int64_t units) {
    Policy(channel).min_publish = units;
    return *this;
  }
  ModelBuilder& MaxPublish(const std::string& channel, int64_t units) {
    Policy(channel).max_publish = units;
    return *this;
  }
  ModelBuilder& SplitLines(const std::string& channel, bool split) {
    model_.channels[ChannelIndex(channel)].split_lines = split;
    return *this;
  }

  // The fields of a PolicyOverride, by id. Unset fields are left alone by the engine.
  struct OverrideSpec {
    std::string pattern;
    std::string channel;
    std::string origin;
    std::vector<std::pair<std::string, int64_t>> protect;  // location id -> units
    std::optional<int64_t> safety_stock;
    std::optional<int32_t> share_percent;
    std::optional<int64_t> min_publish;
    std::optional<int64_t> max_publish;
  };
  ModelBuilder& Override(const OverrideSpec& spec) {
    engine::PolicyOverride o;
    o.pattern = spec.pattern;
    o.channel = ChannelIndex(spec.channel);
    o.origin = spec.origin;
    for (const auto& [location, units] : spec.protect) {
      o.protect.emplace_back(LocationIndex(location), units);
    }
    o.safety_stock = spec.safety_stock;
    o.share_percent = spec.share_percent;
    o.min_publish = spec.min_publish;
    o.max_publish = spec.max_publish;
    model_.overrides.push_back(std::move(o));
    return *this;
  }

  engine::Model Build() const {
    engine::Model model = model_;
    for (engine::Channel& channel : model.channels) {
      channel.policy.protect.assign(model.locations.size(), 0);
    }
    for (const auto& [key, units] : protect_) {
      model.channels[key.first].policy.protect[key.second] = units;
    }
    return model;
  }

 private:
  int LocationIndex(const std::string& id) const {
    int index = model_.LocationIndex(id);
    if (index < 0) throw std::invalid_argument("test model: unknown location " + id);
    return index;
  }
  int ChannelIndex(const std::string& id) const {
    int index = model_.ChannelIndex(id);
    if (index < 0) throw std::invalid_argument("test model: unknown channel " + id);
    return index;
  }
  engine::ChannelPolicy& Policy(const std::string& channel) {
    return model_.channels[ChannelIndex(channel)].policy;
  }

  engine::Model model_;
  std::map<std::pair<int, int>, int64_t> protect_;  // (channel, location) -> units
};

// ---------------------------------------------------------------- commands

inline engine::Line L(const std::string& sku, int64_t qty, const std::string& location = "") {
  engine::Line line;
  line.sku = sku;
  line.qty = qty;
  line.location = location;
  return line;
}

inline engine::Command Cmd(engine::CommandBody body, const std::string& request_id = "",
                           const std::string& actor = "tester") {
  return engine::Command{engine::CommandMeta{request_id, actor}, std::move(body)};
}

inline engine::ReserveCmd Reserve(const std::string& channel, std::vector<engine::Line> lines,
                                  int64_t ttl_ms = 0) {
  engine::ReserveCmd cmd;
  cmd.channel = channel;
  cmd.lines = std::move(lines);
  cmd.ttl_ms = ttl_ms;
  return cmd;
}
// A Reserve whose every line must come whole from one location (click & collect).
inline engine::ReserveCmd ReserveWhole(const std::string& channel,
                                       std::vector<engine::Line> lines) {
  engine::ReserveCmd cmd = Reserve(channel, std::move(lines));
  cmd.single_location = true;
  return cmd;
}

inline engine::AdjustCmd Adjust(const std::string& location, const std::string& sku, int64_t delta,
                                engine::AdjustReason reason = engine::AdjustReason::kReceipt) {
  engine::AdjustCmd cmd;
  cmd.location = location;
  cmd.sku = sku;
  cmd.delta = delta;
  cmd.reason = reason;
  return cmd;
}

inline engine::CountCmd Count(const std::string& location, const std::string& sku, int64_t on_hand,
                              std::optional<int64_t> expected = std::nullopt) {
  engine::CountCmd cmd;
  cmd.location = location;
  cmd.sku = sku;
  cmd.on_hand = on_hand;
  cmd.expected = expected;
  return cmd;
}

inline engine::SellCmd Sell(const std::string& channel, const std::string& location,
                            const std::string& sku, int64_t qty, bool override_limit = false) {
  engine::SellCmd cmd;
  cmd.channel = channel;
  cmd.location = location;
  cmd.sku = sku;
  cmd.qty = qty;
  cmd.override_limit = override_limit;
  return cmd;
}

inline engine::TransferCmd Transfer(const std::string& from, const std::string& to,
                                    const std::string& sku, int64_t qty) {
  engine::TransferCmd cmd;
  cmd.from_location = from;
  cmd.to_location = to;
  cmd.sku = sku;
  cmd.qty = qty;
  return cmd;
}

inline engine::CommitCmd Commit(const std::string& hold_id, std::vector<engine::Line> lines = {}) {
  return engine::CommitCmd{hold_id, std::move(lines)};
}
inline engine::FulfillCmd Fulfill(const std::string& hold_id,
                                  std::vector<engine::Line> lines = {}) {
  return engine::FulfillCmd{hold_id, std::move(lines)};
}
inline engine::ReleaseCmd Release(const std::string& hold_id) {
  return engine::ReleaseCmd{hold_id};
}
inline engine::CancelCmd Cancel(const std::string& hold_id) { return engine::CancelCmd{hold_id}; }
inline engine::ExtendCmd Extend(const std::string& hold_id, int64_t ttl_ms) {
  return engine::ExtendCmd{hold_id, ttl_ms};
}

}  // namespace stockd::testing

#endif  // STOCKD_TESTS_SUPPORT_TEST_MODEL_H_
