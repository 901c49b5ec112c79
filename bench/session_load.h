// The closed loop of stockd-bench --session: one stream (stockd's Session, or the echo
// server's EchoStream) keeps `window` ops outstanding; each result is answered by the
// next op on the same stream, and ops queued while a write is on the wire go out
// together in the next message. The stream starts sending once the server's first
// response (stockd's window announcement) has arrived, and never keeps more ops
// outstanding than the window the server announced.
//
// At the stop the stream sends nothing new; once its last op is answered it half-closes,
// and when the server has ended the stream it retires (Driver::Shared::Retire).
//
// Thread-safety: gRPC calls the reactor from its threads; one mutex guards the window.
#ifndef STOCKD_BENCH_SESSION_LOAD_H_
#define STOCKD_BENCH_SESSION_LOAD_H_

#include <cstdint>
#include <memory>

#include "bench/driver.h"
#include "bench/echo.grpc.pb.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::bench {

class StreamLoad {
 public:
  virtual ~StreamLoad() = default;
  virtual void Start() = 0;
};

// Reserve (one line, qty 1) or Sell, by shared->options.op, over a Session stream.
std::unique_ptr<StreamLoad> MakeSessionLoad(Driver::Shared* shared, uint64_t seed,
                                            stockd::v1::Stock::Stub* stub, int window);
// Echo items over EchoStream, with the echo payload sizes of the options.
std::unique_ptr<StreamLoad> MakeEchoStreamLoad(Driver::Shared* shared, uint64_t seed,
                                               stockd::bench::v1::Echo::Stub* stub, int window);

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_SESSION_LOAD_H_
