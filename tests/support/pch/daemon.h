// Precompiled for the test binaries that link the daemon (unit, e2e, crash) when
// STOCKD_TEST_PCH is on: tests/support/pch/common.h plus gRPC and the API's generated code.
#pragma once

#include "common.h"  // NOLINT(build/include_subdir)

#include <grpcpp/grpcpp.h>

#include "stockd/v1/stockd.grpc.pb.h"
