// Input validation of the engine, in one place: identifiers, quantities, lines, ttl, text
// lengths, the model and the options, and the "unknown ..." errors of ids that do not
// resolve. Internal to daemon/engine.
//
// Thread-safety: pure functions of their arguments (the Model and EngineOptions are
// immutable once the engine exists); callable from any thread without engine locks.
#ifndef STOCKD_DAEMON_ENGINE_VALIDATION_H_
#define STOCKD_DAEMON_ENGINE_VALIDATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/model.h"

namespace stockd::engine {

// ---- identifiers and values
absl::Status InvalidId(absl::string_view what, absl::string_view value);
// OK when `id` is a valid identifier, else InvalidId(what, id).
absl::Status CheckId(absl::string_view what, const std::string& id);
absl::Status CheckHoldId(const std::string& id);
// 1..kMaxQuantity.
absl::Status CheckQty(absl::string_view what, int64_t qty);
// At most kMaxTextBytes.
absl::Status CheckText(absl::string_view what, const std::string& text);
// At most `max_lines` lines (at least one if `required`), each a valid SKU with a valid
// quantity, no SKU twice.
absl::Status CheckLines(const std::vector<Line>& lines, size_t max_lines, bool required);
// The lines of a Commit or Fulfill: at most `max_lines`, each a valid SKU, quantity and
// (optional) location. Which hold lines they name (and that no two name the same one) is
// the hold's to say: PickFromHold in hold_commands.cc.
absl::Status CheckPickLines(const std::vector<Line>& lines, size_t max_lines);
// The ttl a Reserve/Extend asked for: 0 = the default, else within min..max.
absl::StatusOr<int64_t> ResolveTtl(const EngineOptions& options, int64_t ttl_ms);
// An Adjust's delta against its reason (receipts add, damage removes, ...) and its note.
absl::Status CheckAdjust(const AdjustCmd& cmd);
// A Count's on_hand and expected quantities and its note.
absl::Status CheckCount(const CountCmd& cmd);

// ---- ids of the model
absl::StatusOr<int> ResolveChannel(const Model& model, const std::string& id);
absl::StatusOr<int> ResolveLocation(const Model& model, const std::string& id);
bool IsSource(const Model& model, int channel, int location);
absl::Status NotASource(const Model& model, int channel, int location);
absl::Status UnknownSku(absl::string_view sku);
// The FAILED_PRECONDITION of a Reserve line without a location that PlanLine could not
// place: `may_split` as PlanLine was called; `single_asked` when the request (not the
// channel's split_lines) asked for one location.
absl::Status LineNotCovered(const Model& model, const PolicySet& p, int channel,
                            const std::vector<Counters>& rows, absl::string_view sku, int64_t qty,
                            bool may_split, bool single_asked);
absl::Status UnknownHold(absl::string_view id);

// ---- Engine::Create
// The structural rules of a model (config validation reports them first, with file:line).
absl::Status ValidateModel(const Model& model);
absl::Status ValidateOptions(const EngineOptions& options);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_VALIDATION_H_
