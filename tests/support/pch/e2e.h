// Precompiled for stockd_e2e_tests when STOCKD_TEST_PCH is on: the daemon's set plus
// cpp-httplib (its webhook receiver tests), whose defines the target shares.
#pragma once

#include "daemon.h"  // NOLINT(build/include_subdir)

#include <httplib.h>
