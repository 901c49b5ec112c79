// fake-marketplace: a local stand-in for a marketplace's stock API, for the demo. It runs
// the tests' FakeChannelServer (webhook protocol, adapters/README.md) until SIGINT/SIGTERM
// and prints every batch it receives as one line:
//
//   12:00:01.234 amazon 2 items: SKU-1 (B0-SKU-1)=4 was 5, SKU-2=0 was 3
//
// With --orders-every-ms it also plays customers: every N ms one seeded random order
// change on --orders-channel over --orders-listings (placed, paid, shipped, cancelled;
// fake_order_book.h), served on GET /orders and printed as one line:
//
//   12:00:02.000 amazon order: placed R-1 (pending) with 2 lines
//
// With --control FIFO it also takes order commands, one per line (order_commands.h:
// `place amazon A-1 SKU-1:3`), and prints each as the customers' changes are printed.
// With --compare-and-set it refuses a pushed quantity whose `previous` is not what it
// shows (an order lowered it since): the webhook protocol's "conflict".
//
// Usage: fake-marketplace [--port N] [--secret-file F] [--log FILE] [--compare-and-set]
//                         [--control FIFO]
//                         [--orders-every-ms N --orders-listings a,b [--orders-channel C]
//                          [--orders-seed S]]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_channel_server.h"
#include "tests/fakes/order_commands.h"

namespace {

constexpr char kUsage[] =
    "usage: fake-marketplace [--port N] [--secret-file F] [--log FILE] [--compare-and-set]\n"
    "                        [--control FIFO] [--orders-every-ms N --orders-listings a,b ...]\n"
    "  --port N         listen on 127.0.0.1:N (default: an ephemeral port, printed)\n"
    "  --secret-file F  verify X-Stockd-Signature with the key in F (401 when wrong)\n"
    "  --log FILE       also append each received batch line to FILE\n"
    "  --compare-and-set       refuse a push whose `previous` is not the shown quantity\n"
    "  --control FIFO          read order commands from FIFO (created if missing):\n"
    "                          place CHANNEL ID LISTING:QTY[,..] [pending|accepted],\n"
    "                          accept|ship|cancel CHANNEL ID\n"
    "  --orders-every-ms N     one random order change every N ms (default: none)\n"
    "  --orders-listings a,b   the listing ids random orders buy\n"
    "  --orders-channel C      the channel whose order book they go to (default: amazon)\n"
    "  --orders-seed S         the random seed (default: 1)\n";

std::string Clock(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char out[32];
  std::snprintf(out, sizeof out, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

std::string Describe(const stockd::fakes::ReceivedBatch& batch) {
  std::ostringstream line;
  line << Clock(batch.received_ms) << " " << (batch.channel.empty() ? "-" : batch.channel) << " "
       << batch.items.size() << (batch.items.size() == 1 ? " item: " : " items: ");
  for (size_t i = 0; i < batch.items.size(); ++i) {
    const stockd::fakes::ReceivedItem& item = batch.items[i];
    if (i > 0) line << ", ";
    line << item.sku;
    if (item.listing_id != item.sku) line << " (" << item.listing_id << ")";
    line << "=" << item.quantity;
    if (item.previous >= 0) line << " was " << item.previous;
  }
  return line.str();
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool ParseCount(const char* text, uint64_t* out) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (*text == '\0' || *end != '\0') return false;
  *out = value;
  return true;
}

bool ParsePort(const char* text, uint16_t* port) {
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  stockd::fakes::FakeChannelServer::Options options;
  std::string log_path;
  uint64_t orders_every_ms = 0;
  uint64_t orders_seed = 1;
  std::string orders_channel = "amazon";
  std::vector<std::string> orders_listings;
  std::string control_path;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--compare-and-set") {
      options.compare_and_set = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "fake-marketplace: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--port") {
      if (!ParsePort(value, &options.port)) {
        std::cerr << "fake-marketplace: --port: '" << value << "' is not a port number\n";
        return 2;
      }
    } else if (flag == "--secret-file") {
      std::ifstream in(value, std::ios::binary);
      std::ostringstream secret;
      if (!in || !(secret << in.rdbuf())) {
        std::cerr << "fake-marketplace: cannot read --secret-file " << value << ": "
                  << std::strerror(errno) << "\n";
        return 2;
      }
      options.secret = secret.str();
      while (!options.secret.empty() &&
             (options.secret.back() == '\n' || options.secret.back() == '\r')) {
        options.secret.pop_back();
      }
    } else if (flag == "--log") {
      log_path = value;
    } else if (flag == "--orders-every-ms" || flag == "--orders-seed") {
      if (!ParseCount(value, flag == "--orders-seed" ? &orders_seed : &orders_every_ms)) {
        std::cerr << "fake-marketplace: " << flag << ": '" << value << "' is not a number\n";
        return 2;
      }
    } else if (flag == "--orders-channel") {
      orders_channel = value;
    } else if (flag == "--orders-listings") {
      orders_listings = SplitCommas(value);
    } else if (flag == "--control") {
      control_path = value;
    } else {
      std::cerr << "fake-marketplace: unknown flag " << flag << "\n" << kUsage;
      return 2;
    }
  }

  // O_RDWR: the open does not wait for a writer, and the FIFO never reads end-of-file
  // between two writers (Linux).
  int control_fd = -1;
  if (!control_path.empty()) {
    if (mkfifo(control_path.c_str(), 0600) != 0 && errno != EEXIST) {
      std::cerr << "fake-marketplace: cannot create --control " << control_path << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
    control_fd = open(control_path.c_str(), O_RDWR | O_CLOEXEC);
    if (control_fd < 0) {
      std::cerr << "fake-marketplace: cannot open --control " << control_path << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
  }

  if (orders_every_ms > 0 && orders_listings.empty()) {
    std::cerr << "fake-marketplace: --orders-every-ms needs --orders-listings\n";
    return 2;
  }

  std::ofstream log_file;
  if (!log_path.empty()) {
    log_file.open(log_path, std::ios::app);
    if (!log_file) {
      std::cerr << "fake-marketplace: cannot open --log " << log_path << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
  }

  // Signals are taken by sigwait below, never by the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  stockd::fakes::FakeChannelServer server(options);
  std::mutex out_mu;
  server.OnBatch([&](const stockd::fakes::ReceivedBatch& batch) {
    const std::string line = Describe(batch);
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << line << std::endl;
    if (log_file.is_open()) log_file << line << std::endl;
  });
  std::string error;
  if (!server.Start(&error)) {
    std::cerr << "fake-marketplace: " << error << "\n";
    return 1;
  }
  std::cout << "fake-marketplace listening on " << server.url()
            << (options.secret.empty() ? " (signatures not checked)" : " (signatures checked)")
            << ", orders on " << server.orders_url() << std::endl;

  auto print_order_change = [&](const std::string& channel,
                                const absl::StatusOr<std::string>& change) {
    const std::string line = Clock(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()) +
                             " " + channel + " order: " +
                             (change.ok() ? *change : std::string(change.status().message()));
    std::lock_guard<std::mutex> out_lock(out_mu);
    std::cout << line << std::endl;
    if (log_file.is_open()) log_file << line << std::endl;
  };

  // The customers: a seeded stream of order changes until the signal.
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::atomic<bool> stop_control{false};
  std::thread control;
  if (control_fd >= 0) {
    control = std::thread([&] {
      std::string pending;
      char buf[4096];
      while (!stop_control.load()) {
        pollfd p{control_fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = read(control_fd, buf, sizeof buf);
        if (n <= 0) continue;
        pending.append(buf, static_cast<size_t>(n));
        for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
          const std::string command = pending.substr(0, end);
          pending.erase(0, end + 1);
          if (command.find_first_not_of(" \t\r") == std::string::npos) continue;
          std::istringstream words(command);
          std::string verb, channel;
          words >> verb >> channel;
          print_order_change(channel, stockd::fakes::RunOrderCommand(server.orders(), command));
        }
      }
    });
  }
  std::thread customers;
  if (orders_every_ms > 0) {
    customers = std::thread([&] {
      std::mt19937_64 rng(orders_seed);
      std::unique_lock<std::mutex> lock(stop_mu);
      while (!stop_cv.wait_for(lock, std::chrono::milliseconds(orders_every_ms),
                               [&] { return stopping; })) {
        print_order_change(orders_channel,
                           server.orders().RandomStep(orders_channel, orders_listings, &rng));
      }
    });
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  {
    std::lock_guard<std::mutex> lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  if (customers.joinable()) customers.join();
  stop_control.store(true);
  if (control.joinable()) control.join();
  if (control_fd >= 0) close(control_fd);
  server.Stop();
  std::cout << "fake-marketplace: stopped after " << server.RequestCount() << " requests"
            << std::endl;
  return 0;
}
