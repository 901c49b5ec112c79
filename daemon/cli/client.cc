#include "daemon/cli/client.h"

#include "daemon/util/secret_file.h"
#include "daemon/util/status_names.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <iostream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace stockd::cli {
namespace {

constexpr absl::string_view kActorMetadataKey = "x-stockd-actor";


bool ReadWholeFile(const std::string& path, const char* what, std::string* out,
                   std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    *error = absl::StrCat("cannot read ", what, " '", path, "': ", std::strerror(errno));
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

}  // namespace

Client::Client(const GlobalOptions& options) : options_(options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  if (!options.tls_cert.empty() != !options.tls_key.empty()) {
    error_ = "--tls-cert and --tls-key go together (a client certificate and its key)";
  } else if (!options.tls_cert.empty() && options.tls_ca.empty()) {
    error_ = "--tls-cert needs --tls-ca (the CA the server's certificate chains to)";
  } else if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (ReadWholeFile(options.tls_ca, "the TLS CA file", &ssl.pem_root_certs, &error_) &&
        (options.tls_cert.empty() ||
         (ReadWholeFile(options.tls_cert, "the client certificate", &ssl.pem_cert_chain,
                        &error_) &&
          ReadWholeFile(options.tls_key, "the client key", &ssl.pem_private_key, &error_)))) {
      credentials = grpc::SslCredentials(ssl);
    }
    if (!options.tls_server_name.empty()) {
      arguments.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  if (error_.empty() && !options.token_file.empty()) {
    // A token is a secret: the same checks as every secret file (owner-only, not empty).
    absl::StatusOr<std::string> token = util::ReadSecretFile(options.token_file);
    if (!token.ok()) {
      error_ = absl::StrCat("--token-file: ", token.status().message());
    } else {
      authorization_ = absl::StrCat("Bearer ", absl::StripAsciiWhitespace(*token));
    }
  }
  stub_ = stockd::v1::Stock::NewStub(
      grpc::CreateCustomChannel(options.addr, credentials, arguments));
}

void Client::Prepare(grpc::ClientContext* context, bool with_deadline) const {
  context->AddMetadata(std::string(kActorMetadataKey), options_.actor);
  if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
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
