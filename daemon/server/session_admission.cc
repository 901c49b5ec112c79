// The checks of one Session operation that need nothing of the stream (session_admission.h).
#include "daemon/server/session_admission.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/server/access.h"

namespace stockd::server {

absl::StatusOr<AdmittedOp> AdmitSessionOp(const v1::SessionOp& op, const SessionAdmission& with) {
  if (op.deadline_ms() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline_ms: ", op.deadline_ms(), " is negative"));
  }
  std::optional<BatchItem> item = ToItem(op.op());
  if (!item) return absl::InvalidArgumentError("op: no operation set");
  if (with.check_access) {
    grpc::Status st = Check(with.caller, NeedOf(op.op()), with.engine);
    if (!st.ok())
      return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  }
  const int64_t bound = MaxResultBytes(op.op(), with.engine, with.location_bytes);
  if (bound + kSessionResponseFraming + kSessionResultFraming > with.max_response_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the result of this operation could take up to ", bound,
                     " bytes, over the response limit of ", with.max_response_bytes,
                     " bytes (server.max_response_bytes); nothing was applied"));
  }
  std::optional<std::chrono::system_clock::time_point> deadline = with.call_deadline;
  if (op.deadline_ms() > 0) {
    const auto own = with.now + std::chrono::milliseconds(op.deadline_ms());
    deadline = deadline ? std::min(*deadline, own) : own;
  }
  if (deadline && *deadline <= with.now) {
    return absl::DeadlineExceededError(
        "the deadline passed before the operation reached the engine; nothing was done");
  }
  return AdmittedOp{std::move(*item), deadline};
}

}  // namespace stockd::server
