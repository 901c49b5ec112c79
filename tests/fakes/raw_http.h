// A small blocking HTTP/1.1 client on a plain socket, for tests (and fakes) that must send
// a request exactly as written (a wrong Content-Type, a malformed body, no token) to a
// server on 127.0.0.1 and read the status, headers and body it answers. One connection per
// request (Connection: close); the answer ends at its Content-Length or when the server
// closes.
//
// Thread safety: free functions; every call is independent and blocks until answered or
// timed out.
#ifndef STOCKD_TESTS_FAKES_RAW_HTTP_H_
#define STOCKD_TESTS_FAKES_RAW_HTTP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace stockd::fakes {

struct RawHttpResponse {
  int status = 0;                              // 0: no answer (see error)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string head;                            // the status line and headers as received
  std::string body;
  std::string error;
};

// "<method> <target> HTTP/1.1" with Host, `headers` ("Name: value"), Content-Length and
// Connection: close, then `body`.
std::string BuildRawRequest(const std::string& method, const std::string& target,
                            const std::vector<std::string>& headers, const std::string& body);

// Sends `request` (the bytes as they are) to 127.0.0.1:`port` and reads one answer,
// waiting at most `timeout_ms` for it.
RawHttpResponse SendRawHttp(uint16_t port, const std::string& request, int timeout_ms = 5000);

// SendRawHttp(port, BuildRawRequest(method, target, headers, body), timeout_ms).
RawHttpResponse RawHttp(uint16_t port, const std::string& method, const std::string& target,
                        const std::vector<std::string>& headers, const std::string& body = "",
                        int timeout_ms = 5000);

// POST to http://127.0.0.1:<port>/<path>; status 0 (and error) for a URL it cannot use.
RawHttpResponse RawPost(const std::string& url, const std::vector<std::string>& headers,
                        const std::string& body, int timeout_ms = 5000);

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_RAW_HTTP_H_
