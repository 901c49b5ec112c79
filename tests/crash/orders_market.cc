#include "tests/crash/orders_market.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"

namespace stockd::crash {

namespace fs = std::filesystem;

std::string OrdersYaml(int port, const std::string& data_dir, const std::string& appendfsync,
                       const std::string& fake_url) {
  std::ostringstream y;
  y << "server:\n  listen: \"127.0.0.1:" << port << "\"\n  drain_timeout: 2s\n"
    << "data_dir: \"" << data_dir << "\"\n"
    << "plugin_dir: \"" << STOCKD_BINARY_DIR << "/plugins\"\n"
    << "redis:\n  appendfsync: " << appendfsync << "\n"
    << "holds:\n  default_ttl: 15m\n  max_ttl: 7d\n"
    << "idempotency:\n  ttl: 24h\n"
    << "locations:\n  - {id: " << kOrdersLocation << ", type: warehouse}\n"
    << "channels:\n"
    << "  - id: " << kOrdersChannel << "\n    type: marketplace\n"
    << "    sources: [" << kOrdersLocation << "]\n"
    << "    adapter:\n      plugin: webhook\n"
    << "      config: {url: \"" << fake_url << "\", timeout_ms: 2000, connect_timeout_ms: 200}\n"
    << "    orders: {poll_interval: " << kOrdersPollMs << "ms, overlap: " << kOrdersOverlapMs
    << "ms}\n"
    << "  - {id: web, type: webshop, sources: [" << kOrdersLocation << "]}\n";
  return y.str();
}

// ---------------------------------------------------------------- Customers

void Customers::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void Customers::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Customers::Run() {
  for (;;) {
    absl::StatusOr<std::string> step = book_->RandomStep(kOrdersChannel, listings_, &rng_);
    if (step.ok()) {
      ++steps_;
    } else {
      ++failed_;
      absl::MutexLock lock(&mu_);
      if (first_error_.empty()) first_error_ = std::string(step.status().message());
    }
    // The pace of the customers, not a synchronization: wake early only to stop.
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(step_ms_));
    if (stop_) return;
  }
}

// ---------------------------------------------------------------- the AOF

namespace {

// One command of a RESP stream at `*pos`; false at the end or at a torn tail.
bool NextCommand(const std::string& data, size_t* pos, std::vector<std::string>* args) {
  const auto line = [&](size_t* at, std::string* out) {
    const size_t end = data.find("\r\n", *at);
    if (end == std::string::npos) return false;
    *out = data.substr(*at, end - *at);
    *at = end + 2;
    return true;
  };
  size_t at = *pos;
  std::string header;
  int64_t count = 0;
  if (at >= data.size() || data[at] != '*' || !line(&at, &header) ||
      !absl::SimpleAtoi(header.substr(1), &count) || count < 0) {
    return false;
  }
  args->clear();
  for (int64_t i = 0; i < count; ++i) {
    int64_t len = 0;
    if (at >= data.size() || data[at] != '$' || !line(&at, &header) ||
        !absl::SimpleAtoi(header.substr(1), &len) || len < 0 ||
        at + static_cast<size_t>(len) + 2 > data.size()) {
      return false;
    }
    args->push_back(data.substr(at, static_cast<size_t>(len)));
    at += static_cast<size_t>(len) + 2;
  }
  *pos = at;
  return true;
}

bool IsOrderKey(const std::string& key) {
  return key == "{stockd}:orders" || key.rfind("{stockd}:closed-orders:", 0) == 0;
}

}  // namespace

CursorWindow ReadCursorWindow(const std::string& data_dir, const std::string& channel) {
  CursorWindow w;
  const fs::path dir = fs::path(data_dir) / "appendonlydir";
  std::error_code ec;
  fs::path manifest;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".manifest") manifest = e.path();
  }
  if (ec || manifest.empty()) {
    w.error = "no AOF manifest in " + dir.string();
    return w;
  }
  // Lines "file <name> seq <n> type <b|h|i>": the incremental files, oldest first.
  std::ifstream in(manifest);
  std::vector<std::string> incr;
  for (std::string text; std::getline(in, text);) {
    std::istringstream words(text);
    std::string key, name, value, type;
    words >> key >> name;
    while (words >> key >> value) {
      if (key == "type") type = value;
    }
    if (type == "i") incr.push_back(name);
  }
  for (const std::string& name : incr) {
    std::ifstream file(dir / name, std::ios::binary);
    if (!file) {
      w.error = "cannot read " + (dir / name).string();
      return w;
    }
    const std::string data((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (size_t pos = 0; NextCommand(data, &pos, &args);) {
      if (args.size() < 2) continue;
      if (args[1] == "{stockd}:orders:cursor" && absl::EqualsIgnoreCase(args[0], "HSET") &&
          args.size() == 4 && args[2] == channel) {
        w.cursor_saved = true;
        w.cursor = args[3];
        w.order_writes_after_save = 0;
      } else if (IsOrderKey(args[1])) {
        ++w.order_writes_after_save;
      }
    }
  }
  w.readable = true;
  return w;
}

}  // namespace stockd::crash
