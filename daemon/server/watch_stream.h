// One Watch call: a server stream of published-quantity changes. It subscribes to the
// WatchHub, queues what the hub offers in a WatchQueue (coalesced per (channel, sku),
// in increasing sequence order) and writes one event at a time, so a slow reader never
// holds up the engine, the hub or the other readers.
//
// Thread safety: the hub offers changes from the engine's completion threads while gRPC
// calls the reactor methods from its own; one mutex guards the queue and the write state.
#ifndef STOCKD_DAEMON_SERVER_WATCH_STREAM_H_
#define STOCKD_DAEMON_SERVER_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "daemon/engine/engine.h"
#include "daemon/server/watch_hub.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::server {

// Starts a Watch stream for `req`. `open_streams` counts the streams alive (the caller
// refuses new ones beyond its limit); the stream decrements it when it is done. The
// reactor deletes itself when gRPC is done with it.
grpc::ServerWriteReactor<v1::WatchEvent>* StartWatch(const engine::Engine* engine, WatchHub* hub,
                                                     const v1::WatchRequest& req,
                                                     std::atomic<int>* open_streams);

// A stream refused before it started (e.g. RESOURCE_EXHAUSTED past the stream limit).
grpc::ServerWriteReactor<v1::WatchEvent>* RefuseWatch(grpc::Status status);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_WATCH_STREAM_H_
