// A minimal blocking HTTP/1.1 client for tests that must send a request exactly as written
// (a wrong Content-Type, a malformed body, no token) to a fake on 127.0.0.1 and read the
// status, headers and body it answers. One connection per request (Connection: close).
//
// Thread safety: a free function; no shared state.
#ifndef STOCKD_TESTS_FAKES_AMAZON_RAW_HTTP_H_
#define STOCKD_TESTS_FAKES_AMAZON_RAW_HTTP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace stockd::fakes {

struct RawHttpResponse {
  int status = 0;                              // 0: no answer (see error)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;
};

// Sends `method target` with `headers` ("Name: value") and `body` (Content-Length added)
// to 127.0.0.1:`port`, waiting at most `timeout_ms` for the whole answer.
RawHttpResponse RawHttp(uint16_t port, const std::string& method, const std::string& target,
                        const std::vector<std::string>& headers, const std::string& body,
                        int timeout_ms = 5000);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_AMAZON_RAW_HTTP_H_
