// A minimal client of stockd's Session stream (docs/clients.md): it keeps one stream
// open, keeps no more operations in flight than the window the daemon announces, and
// when the stream breaks (the daemon restarts, the network drops) it reconnects and
// sends again, with the same request ids, every operation not answered yet. Results
// arrive through futures, in completion order.
//
// Built as stockd-session-client, a small program that reserves N units one by one:
//
//   stockd-session-client --addr 127.0.0.1:50551 --channel webshop --sku A --count 1000
//                         [--id-prefix run1-] [--ttl-ms 600000] [--token-file F]
//
// prints "ok=N refused=M" (refused: the daemon's answer was not OK, e.g. out of stock)
// and exits 0 once every reservation has its final answer.
//
// Thread safety: SessionClient's methods may be called from any thread.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stockd/v1/stockd.grpc.pb.h"

namespace {

namespace v1 = stockd::v1;
using Stream = grpc::ClientReaderWriter<v1::SessionRequest, v1::SessionResponse>;

class SessionClient {
 public:
  SessionClient(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::Stock::NewStub(std::move(channel))), token_(std::move(token)) {
    runner_ = std::thread([this] { Run(); });
  }

  // Waits for every submitted operation's answer, then closes the stream.
  ~SessionClient() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    runner_.join();
  }

  // Queues `op`. Its request_id must be set: it is what makes sending it again after a
  // reconnect safe (the daemon answers a replay with the first result).
  std::future<v1::BatchResult> Submit(v1::BatchOperation op) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    Pending& p = pending_[id];
    p.op = std::move(op);
    std::future<v1::BatchResult> result = p.promise.get_future();
    queue_.push_back(id);
    cv_.notify_all();
    return result;
  }

 private:
  struct Pending {
    v1::BatchOperation op;
    std::promise<v1::BatchResult> promise;
  };

  // One stream after another until closed with nothing pending.
  void Run() {
    auto backoff = std::chrono::milliseconds(100);
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (closing_ && pending_.empty()) return;
      }
      if (Serve()) {
        backoff = std::chrono::milliseconds(100);
      } else {
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
  }

  // One stream: returns true if it was served (the daemon answered its window).
  bool Serve() {
    grpc::ClientContext context;
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    std::unique_ptr<Stream> stream = stub_->Session(&context);
    v1::SessionResponse first;
    if (!stream->Read(&first)) {  // refused or unreachable
      Report(stream->Finish());
      return false;
    }
    size_t window = std::max<uint32_t>(1, first.credit());
    bool broken = false;
    std::thread reader([&] {
      v1::SessionResponse response;
      while (stream->Read(&response)) {
        std::lock_guard<std::mutex> lock(mu_);
        for (const v1::SessionResult& r : response.results()) Answer(r.tag(), r.result());
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      broken = true;
      cv_.notify_all();
    });
    bool half_closed = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        cv_.wait(lock, [&] {
          return broken || (!queue_.empty() && in_flight_.size() < window) ||
                 (closing_ && pending_.empty());
        });
        if (broken) break;
        if (closing_ && pending_.empty()) {
          half_closed = true;
          break;
        }
        v1::SessionRequest request;
        while (!queue_.empty() && in_flight_.size() < window) {
          const uint64_t id = queue_.front();
          queue_.pop_front();
          in_flight_.insert(id);
          v1::SessionOp* op = request.add_ops();
          op->set_tag(id);
          *op->mutable_op() = pending_[id].op;
        }
        lock.unlock();
        const bool written = stream->Write(request);
        lock.lock();
        if (!written) break;  // the stream broke: the reader sees it too
      }
    }
    if (half_closed) stream->WritesDone();
    reader.join();
    Report(stream->Finish());
    // Whatever was sent and not answered goes out again on the next stream, first.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) queue_.push_front(*it);
    in_flight_.clear();
    return true;
  }

  // The daemon's answer to op `id`. UNAVAILABLE means "not done" (draining) or "outcome
  // unknown" (not durable in time): both are sent again with the same request id.
  void Answer(uint64_t id, const v1::BatchResult& result) {
    if (in_flight_.erase(id) == 0) return;
    if (result.code() == static_cast<int>(grpc::StatusCode::UNAVAILABLE)) {
      queue_.push_back(id);
      return;
    }
    auto it = pending_.find(id);
    it->second.promise.set_value(result);
    pending_.erase(it);
  }

  static void Report(const grpc::Status& status) {
    if (!status.ok()) {
      std::cerr << "session-client: stream ended: " << status.error_code() << " "
                << status.error_message() << "; reconnecting\n";
    }
  }

  const std::unique_ptr<v1::Stock::Stub> stub_;
  const std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Pending> pending_;  // submitted, not finally answered
  std::deque<uint64_t> queue_;           // to send (again)
  std::set<uint64_t> in_flight_;         // sent on the current stream
  uint64_t next_id_ = 0;
  bool closing_ = false;
  std::thread runner_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:50551", channel = "webshop", sku, id_prefix = "session-client-";
  std::string token_file;
  long count = 1;
  long ttl_ms = 600000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--addr") addr = value;
    else if (flag == "--channel") channel = value;
    else if (flag == "--sku") sku = value;
    else if (flag == "--count") count = std::stol(value);
    else if (flag == "--id-prefix") id_prefix = value;
    else if (flag == "--ttl-ms") ttl_ms = std::stol(value);
    else if (flag == "--token-file") token_file = value;
    else {
      std::cerr << "session-client: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (sku.empty() || count < 1 || argc % 2 == 0) {
    std::cerr << "usage: stockd-session-client --sku SKU [--count N] [--addr HOST:PORT] "
                 "[--channel C] [--id-prefix P] [--ttl-ms MS] [--token-file F]\n";
    return 2;
  }
  std::string token;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::getline(in, token);
  }
  long ok = 0, refused = 0;
  {
    SessionClient client(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()), token);
    std::vector<std::future<v1::BatchResult>> results;
    for (long i = 0; i < count; ++i) {
      v1::BatchOperation op;
      v1::ReserveRequest* reserve = op.mutable_reserve();
      reserve->set_request_id(id_prefix + std::to_string(i));
      reserve->set_channel(channel);
      reserve->set_ttl_ms(ttl_ms);
      v1::HoldLine* line = reserve->add_lines();
      line->set_sku(sku);
      line->set_qty(1);
      results.push_back(client.Submit(std::move(op)));
    }
    for (auto& f : results) {
      const v1::BatchResult r = f.get();
      if (r.code() == 0) {
        ++ok;
      } else {
        ++refused;
        if (refused <= 5) std::cerr << "refused: " << r.code() << " " << r.message() << "\n";
      }
    }
  }
  std::printf("ok=%ld refused=%ld\n", ok, refused);
  return 0;
}
