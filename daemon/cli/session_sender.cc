#include "daemon/cli/session_sender.h"

#include <algorithm>
#include <memory>

namespace stockd::cli {

namespace v1 = stockd::v1;

grpc::Status SendOverSession(Client& client, const std::vector<v1::BatchOperation>& ops,
                             int per_message, int64_t op_deadline_ms, SessionSendReport* report) {
  report->results.assign(ops.size(), v1::BatchResult());
  report->answered.assign(ops.size(), false);
  report->answered_count = 0;
  report->messages = 0;
  grpc::ClientContext context;
  client.Prepare(&context, /*with_deadline=*/false);  // each op carries its own
  std::unique_ptr<grpc::ClientReaderWriter<v1::SessionRequest, v1::SessionResponse>> stream =
      client.stub().Session(&context);
  v1::SessionResponse response;
  if (!stream->Read(&response)) return stream->Finish();  // refused (auth, limits, ...)
  report->window = response.credit();
  const size_t window = std::max<size_t>(1, response.credit());
  const size_t chunk = std::max<size_t>(1, static_cast<size_t>(per_message));
  size_t next = 0;         // the first op not sent yet
  size_t outstanding = 0;  // sent, not answered
  while (report->answered_count < ops.size()) {
    if (next < ops.size() && outstanding < window) {
      v1::SessionRequest request;
      const size_t n = std::min({chunk, window - outstanding, ops.size() - next});
      for (size_t i = next; i < next + n; ++i) {
        v1::SessionOp* op = request.add_ops();
        op->set_tag(i);
        op->set_deadline_ms(op_deadline_ms);
        *op->mutable_op() = ops[i];
      }
      if (!stream->Write(request)) break;  // the stream ended: Finish says why
      next += n;
      outstanding += n;
      ++report->messages;
      continue;  // fill the window before reading
    }
    if (!stream->Read(&response)) break;
    for (v1::SessionResult& r : *response.mutable_results()) {
      const uint64_t tag = r.tag();
      if (tag >= ops.size() || report->answered[tag]) continue;  // not ours: ignore
      report->answered[tag] = true;
      report->results[tag].Swap(r.mutable_result());
      ++report->answered_count;
      --outstanding;
    }
  }
  if (report->answered_count == ops.size()) stream->WritesDone();
  return stream->Finish();
}

}  // namespace stockd::cli
