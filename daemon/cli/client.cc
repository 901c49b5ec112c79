#include "daemon/cli/client.h"

#include "daemon/util/status_names.h"

#include <array>
#include <chrono>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"

namespace stockd::cli {
namespace {

constexpr absl::string_view kActorMetadataKey = "x-stockd-actor";


}  // namespace

Client::Client(const GlobalOptions& options)
    : options_(options),
      stub_(stockd::v1::Stock::NewStub(
          grpc::CreateChannel(options.addr, grpc::InsecureChannelCredentials()))) {}

void Client::Prepare(grpc::ClientContext* context, bool with_deadline) const {
  context->AddMetadata(std::string(kActorMetadataKey), options_.actor);
  if (with_deadline) {
    auto timeout = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(options_.timeout_seconds));
    context->set_deadline(std::chrono::system_clock::now() + timeout);
  }
}

std::string NewRequestId() {
  std::random_device entropy;
  std::mt19937_64 generator((static_cast<uint64_t>(entropy()) << 32) ^ entropy());
  uint64_t high = generator();
  uint64_t low = generator();
  return absl::StrCat(absl::Hex(high, absl::kZeroPad16), absl::Hex(low, absl::kZeroPad16));
}

absl::string_view StatusCodeName(int code) { return util::StatusCodeName(code); }

absl::string_view StatusCodeName(grpc::StatusCode code) {
  return StatusCodeName(static_cast<int>(code));
}

int ReportRpcError(const grpc::Status& status, absl::string_view request_id) {
  std::cerr << "stockctl: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
            << "\n";
  bool outcome_unknown = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  if (outcome_unknown && !request_id.empty()) {
    std::cerr << "stockctl: retry safely with --request-id " << request_id << "\n";
  }
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnavailable : kExitFailed;
}

}  // namespace stockd::cli
