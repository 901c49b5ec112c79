// fake-marketplaces: the faithful fakes of Shopify, Amazon SP-API, eBay and WooCommerce
// (tests/fakes/<marketplace>/) in one process, for the demo: config/example.yaml's
// shopify, amazon, ebay and outlet (woocommerce) channels push to them and poll their
// orders through the real marketplace plugins. Runs until SIGINT/SIGTERM.
//
// Ports: shopify on BASE, amazon BASE+1, ebay BASE+2, woocommerce BASE+3 (BASE 50563).
// Every SKU of --skus (a CSV whose first field is the SKU) is listed on each marketplace
// with 0 units (Shopify: an inventory item stocked at the location "Online store", gid
// gid://shopify/Location/1001; eBay: offer 9000000000N; WooCommerce: a simple product).
//
// Credentials: each fake accepts exactly the ones config/example.yaml names, read from the
// same environment variables the daemon reads (a missing one stops the start):
//   SHOPIFY_ACCESS_TOKEN; AMAZON_LWA_CLIENT_SECRET, AMAZON_LWA_REFRESH_TOKEN;
//   EBAY_CLIENT_SECRET, EBAY_REFRESH_TOKEN; WOOCOMMERCE_CONSUMER_KEY,
//   WOOCOMMERCE_CONSUMER_SECRET.
//
// Every change a fake makes is printed as one line (and appended to --log), labelled with
// the channel that uses it:
//   12:00:01.234 amazon set SKU-1=4 (was 5)
//   12:00:02.000 amazon order: placed 114-0000001-0000001 (accepted) with 1 line
//
// With --control FIFO it takes order commands, one per line:
//   place CHANNEL SKU:QTY[,SKU:QTY...] [pending|accepted]
//
// Usage: fake-marketplaces [--base-port N] [--skus CSV] [--log FILE] [--control FIFO]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/ebay/fake_ebay.h"
#include "tests/fakes/shopify/fake_shopify.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"

namespace {

using stockd::fakes::FakeAmazon;
using stockd::fakes::FakeEbay;
using stockd::fakes::FakeShopify;
using stockd::fakes::FakeWooCommerce;

constexpr char kUsage[] =
    "usage: fake-marketplaces [--base-port N] [--skus CSV] [--log FILE] [--control FIFO]\n"
    "  --base-port N   shopify on N, amazon N+1, ebay N+2, woocommerce N+3 (default 50563)\n"
    "  --skus CSV      list every SKU of the CSV (first field) on each marketplace\n"
    "  --log FILE      also append every line to FILE\n"
    "  --control FIFO  read order commands from FIFO (created if missing):\n"
    "                  place CHANNEL SKU:QTY[,SKU:QTY...] [pending|accepted]\n"
    "  credentials from SHOPIFY_ACCESS_TOKEN, AMAZON_LWA_CLIENT_SECRET,\n"
    "  AMAZON_LWA_REFRESH_TOKEN, EBAY_CLIENT_SECRET, EBAY_REFRESH_TOKEN,\n"
    "  WOOCOMMERCE_CONSUMER_KEY, WOOCOMMERCE_CONSUMER_SECRET\n";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

std::string Clock() {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const time_t seconds = static_cast<time_t>(ms / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char out[32];
  std::snprintf(out, sizeof out, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

// Prints lines to stdout and the log file, one at a time.
class Printer {
 public:
  explicit Printer(const std::string& log_path) {
    if (!log_path.empty()) log_.open(log_path, std::ios::app);
  }
  bool ok() const { return !log_.is_open() || log_.good(); }
  // "<clock> <channel> <text>", with a fake's own "<marketplace>: " prefix dropped
  // (`strip`).
  void Line(const std::string& channel, std::string text, bool strip = true) {
    const size_t colon = text.find(": ");
    if (strip && colon != std::string::npos && text.find(' ') > colon) text.erase(0, colon + 2);
    std::lock_guard<std::mutex> lock(mu_);
    const std::string line = Clock() + " " + channel + " " + text;
    std::cout << line << std::endl;
    if (log_.is_open()) log_ << line << std::endl;
  }

 private:
  std::mutex mu_;
  std::ofstream log_;
};

bool Env(const char* name, std::string* out) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::cerr << "fake-marketplaces: the environment variable " << name << " is not set\n";
    return false;
  }
  *out = value;
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

std::vector<std::string> ReadSkus(const std::string& path, bool* ok) {
  std::vector<std::string> skus;
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string sku = line.substr(0, line.find(','));
    if (sku.empty() || sku == "sku") continue;
    if (skus.empty() || skus.back() != sku) skus.push_back(sku);
  }
  return skus;
}

// "SKU:QTY,SKU:QTY" -> lines; false when malformed.
bool ParseLines(const std::string& text, std::vector<std::pair<std::string, int64_t>>* lines) {
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const size_t colon = part.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    char* end = nullptr;
    const long long n = std::strtoll(part.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || n < 1 || n > 1'000'000) return false;
    lines->emplace_back(part.substr(0, colon), n);
  }
  return !lines->empty();
}

struct Fakes {
  FakeShopify* shopify;
  FakeAmazon* amazon;
  FakeEbay* ebay;
  FakeWooCommerce* woocommerce;
  int64_t shopify_location;
};

// Runs one control command; returns what to print ("" = nothing) or an error.
std::string Command(const std::string& command, Fakes& f, std::string* channel) {
  std::stringstream in(command);
  std::string verb, lines_text, status = "accepted";
  in >> verb >> *channel >> lines_text;
  in >> status;
  std::vector<std::pair<std::string, int64_t>> lines;
  if (verb != "place" || !ParseLines(lines_text, &lines) ||
      (status != "pending" && status != "accepted")) {
    return "error: expected: place CHANNEL SKU:QTY[,SKU:QTY...] [pending|accepted]";
  }
  const bool paid = status == "accepted";
  std::string id;
  if (*channel == "shopify") {
    std::vector<stockd::fakes::ShopifyLineSpec> specs;
    for (const auto& [sku, n] : lines) specs.push_back({sku, n});
    id = std::to_string(f.shopify->PlaceOrder(specs, f.shopify_location, paid));
  } else if (*channel == "amazon") {
    id = f.amazon->PlaceOrder(lines, paid);
  } else if (*channel == "ebay") {
    std::vector<FakeEbay::NewLine> specs;
    for (const auto& [sku, n] : lines) specs.push_back({sku, n});
    // eBay lists an order once it is paid: a pending one stays invisible.
    id = f.ebay->PlaceOrder(specs);
    if (!id.empty() && paid && !f.ebay->PayOrder(id)) return "error: eBay refused the payment";
  } else if (*channel == "outlet") {
    const int64_t n = f.woocommerce->PlaceOrder(lines, paid ? "processing" : "pending");
    id = n == 0 ? "" : std::to_string(n);
  } else {
    return "error: no channel " + *channel + " (shopify, amazon, ebay, outlet)";
  }
  if (id.empty() || id == "0") return "error: the marketplace refused the order (unknown SKU?)";
  return "order: placed " + id + " (" + status + ") with " + std::to_string(lines.size()) +
         (lines.size() == 1 ? " line" : " lines");
}

}  // namespace

int main(int argc, char** argv) {
  int base_port = 50563;
  std::string skus_path, log_path, control_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "fake-marketplaces: " << arg << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--base-port") {
      base_port = std::atoi(value().c_str());
      if (base_port < 1 || base_port > 65532) {
        std::cerr << "fake-marketplaces: --base-port must be in [1, 65532]\n";
        return 2;
      }
    } else if (arg == "--skus") {
      skus_path = value();
    } else if (arg == "--log") {
      log_path = value();
    } else if (arg == "--control") {
      control_path = value();
    } else {
      std::cerr << (arg == "-h" || arg == "--help" ? ""
                                                   : "fake-marketplaces: unknown " + arg + "\n")
                << kUsage;
      return arg == "-h" || arg == "--help" ? 0 : 2;
    }
  }

  FakeShopify::Options so;
  FakeAmazon::Options ao;
  FakeEbay::Options eo;
  FakeWooCommerce::Options wo;
  if (!Env("SHOPIFY_ACCESS_TOKEN", &so.access_token) ||
      !Env("AMAZON_LWA_CLIENT_SECRET", &ao.client_secret) ||
      !Env("AMAZON_LWA_REFRESH_TOKEN", &ao.refresh_token) ||
      !Env("EBAY_CLIENT_SECRET", &eo.client_secret) ||
      !Env("EBAY_REFRESH_TOKEN", &eo.refresh_token) ||
      !Env("WOOCOMMERCE_CONSUMER_KEY", &wo.consumer_key) ||
      !Env("WOOCOMMERCE_CONSUMER_SECRET", &wo.consumer_secret)) {
    return 2;
  }
  so.port = static_cast<uint16_t>(base_port);
  ao.port = static_cast<uint16_t>(base_port + 1);
  eo.port = static_cast<uint16_t>(base_port + 2);
  wo.port = static_cast<uint16_t>(base_port + 3);
  // The demo's client ids (config/example.yaml; not secret).
  ao.client_id = "amzn1.application-oa2-client.stockd-demo";
  eo.client_id = "stockd-demo-PRD";
  // A demo polls every 500 ms and pushes a whole catalogue at start: no indexing lag,
  // changes applied at once, and usage plans ten times Amazon's defaults (searchOrders
  // 10/s instead of one call per ~3 minutes). config/example.yaml paces to match.
  ao.orders_lag_ms = 0;
  ao.apply_delay_ms = 0;
  for (auto& [operation, limit] : ao.rates) {
    limit.rate = std::max(limit.rate * 10, 10.0);
    limit.burst = std::max(limit.burst, 20.0);
  }

  Printer printer(log_path);
  if (!printer.ok()) {
    std::cerr << "fake-marketplaces: cannot append to " << log_path << "\n";
    return 1;
  }
  FakeShopify shopify(so);
  FakeAmazon amazon(ao);
  FakeEbay ebay(eo);
  FakeWooCommerce woocommerce(wo);
  shopify.OnLog([&](const std::string& l) { printer.Line("shopify", l); });
  amazon.OnLog([&](const std::string& l) { printer.Line("amazon", l); });
  ebay.OnLog([&](const std::string& l) { printer.Line("ebay", l); });
  woocommerce.OnLog([&](const std::string& l) { printer.Line("outlet", l); });

  Fakes fakes{&shopify, &amazon, &ebay, &woocommerce, shopify.AddLocation("Online store")};
  if (!skus_path.empty()) {
    bool ok = false;
    const std::vector<std::string> skus = ReadSkus(skus_path, &ok);
    if (!ok) {
      std::cerr << "fake-marketplaces: cannot read " << skus_path << "\n";
      return 1;
    }
    int64_t offer = 9'000'000'000;
    for (const std::string& sku : skus) {
      shopify.AddStockedItem(sku, fakes.shopify_location, 0);
      amazon.AddListing(sku, 0);
      ebay.AddListing(sku, std::to_string(++offer), 0);
      woocommerce.AddSimpleProduct(sku, 0);
    }
  }

  std::string error;
  if (!shopify.Start(&error) || !amazon.Start(&error) || !ebay.Start(&error) ||
      !woocommerce.Start(&error)) {
    std::cerr << "fake-marketplaces: " << error << "\n";
    return 1;
  }
  std::cout << "fake-marketplaces: shopify " << shopify.shop_url()
            << " (location gid://shopify/Location/" << fakes.shopify_location << "), amazon "
            << amazon.base_url() << ", ebay " << ebay.base_url() << ", woocommerce "
            << woocommerce.base_url() << std::endl;

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  int control = -1;
  if (!control_path.empty()) {
    if (::mkfifo(control_path.c_str(), 0600) != 0 && errno != EEXIST) {
      std::cerr << "fake-marketplaces: mkfifo " << control_path << ": " << std::strerror(errno)
                << "\n";
      return 1;
    }
    // O_RDWR: the FIFO stays open (no EOF) between writers.
    control = ::open(control_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (control < 0) {
      std::cerr << "fake-marketplaces: open " << control_path << ": " << std::strerror(errno)
                << "\n";
      return 1;
    }
  }
  std::string pending;
  while (!g_stop.load()) {
    pollfd p{control, POLLIN, 0};
    if (::poll(&p, control >= 0 ? 1 : 0, 200) <= 0 || (p.revents & POLLIN) == 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(control, chunk, sizeof chunk);
    if (n <= 0) continue;
    pending.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      const std::string command = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (command.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string channel;
      const std::string result = Command(command, fakes, &channel);
      printer.Line(channel.empty() ? "-" : channel, result, /*strip=*/false);
    }
  }
  if (control >= 0) ::close(control);
  woocommerce.Stop();
  ebay.Stop();
  amazon.Stop();
  shopify.Stop();
  return 0;
}
