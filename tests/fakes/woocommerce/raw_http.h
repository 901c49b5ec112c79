// A small HTTP/1.1 client on a plain socket, for the fake WooCommerce shop's webhook
// deliveries and the tests' raw requests (bytes sent exactly as given, so that a test can
// send what no well-behaved client would). Loopback only, Content-Length answers only.
//
// Thread safety: every call is independent; each blocks until answered or timed out.
#ifndef STOCKD_TESTS_FAKES_WOOCOMMERCE_RAW_HTTP_H_
#define STOCKD_TESTS_FAKES_WOOCOMMERCE_RAW_HTTP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace stockd::fakes::wp {

struct RawResponse {
  int status = 0;                              // 0: no answer
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};
// Sends `request` (the bytes as they are) to 127.0.0.1:`port` and reads one answer (its
// Content-Length body), or gives up after timeout_ms.
RawResponse SendRaw(uint16_t port, const std::string& request, int timeout_ms = 2000);
// "<method> <target> HTTP/1.1" with Host, Content-Length and Connection: close added.
std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body);
// POST to http://127.0.0.1:<port>/<path>; status 0 for a URL it cannot use.
RawResponse Post(const std::string& url, const std::vector<std::string>& headers,
                 const std::string& body, int timeout_ms = 2000);

}  // namespace stockd::fakes::wp

#endif  // STOCKD_TESTS_FAKES_WOOCOMMERCE_RAW_HTTP_H_
