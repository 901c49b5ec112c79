// Order commands for the fake marketplace's operator (fake-marketplace --control FIFO,
// used by scripts/demo): one text line places or changes one order of the fake's book,
// as a customer or the marketplace's back office would.
//
//   place  CHANNEL ORDER-ID LISTING:QTY[,LISTING:QTY...] [pending|accepted]
//   accept CHANNEL ORDER-ID
//   ship   CHANNEL ORDER-ID          every open unit of every line
//   cancel CHANNEL ORDER-ID          every open unit
//
// Thread safety: as the FakeOrderBook it is given (thread-safe).
#ifndef STOCKD_TESTS_FAKES_ORDER_COMMANDS_H_
#define STOCKD_TESTS_FAKES_ORDER_COMMANDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tests/fakes/fake_order_book.h"

namespace stockd::fakes {

// Runs one command line; returns what happened ("placed O-1 (pending) with 2 lines") or
// InvalidArgument naming what is wrong with the line, or the book's own error.
absl::StatusOr<std::string> RunOrderCommand(FakeOrderBook& book, const std::string& line);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_ORDER_COMMANDS_H_
