// How the scan-task uploader reaches the server: the TaskTransport seam (a fake in tests) and
// its HTTP/1.1 implementation on Boost.Beast.
#ifndef PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_
#define PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/server_url.h"
#include "core/status.h"

namespace portatlas::scan {

struct HttpReply {
  int status = 0;     // the HTTP status; 0 when no response was read
  bool sent = false;  // false: the request cannot have reached the server (no connection)
  std::string body;   // the response body; when status is 0, the network error
};

class TaskTransport {
 public:
  virtual ~TaskTransport() = default;
  // One request to the server; `path` is an API path such as "/v1/scan-tasks". Never throws.
  // One call at a time.
  virtual HttpReply Call(std::string_view method, std::string_view path, std::string_view body) = 0;
  // Where requests go, for messages: "http://127.0.0.1:8080".
  virtual std::string Describe() const = 0;
};

struct HttpTransportOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 60000;  // writing the request and reading the answer
  size_t max_response_bytes = 1 << 20;
};

// Sends JSON requests with X-Auth-Token to a server URL (agent::ParseServerUrl's rules: plain
// http, optional path prefix), one connection per request (Connection: close). Name resolution
// is synchronous, outside the timeouts. The token travels in clear text.
class HttpTaskTransport final : public TaskTransport {
 public:
  // InvalidArgument for a malformed URL, or a token that is empty, longer than 4096 bytes or
  // not visible ASCII.
  static Result<std::unique_ptr<HttpTaskTransport>> Create(std::string_view server_url,
                                                           std::string token,
                                                           HttpTransportOptions options = {});

  HttpReply Call(std::string_view method, std::string_view path, std::string_view body) override;
  std::string Describe() const override { return url_.ToString(); }

 private:
  HttpTaskTransport(agent::ServerUrl url, std::string token, HttpTransportOptions options)
      : url_(std::move(url)), token_(std::move(token)), options_(options) {}
  HttpReply CallOrThrow(std::string_view method, std::string_view path, std::string_view body);

  agent::ServerUrl url_;
  std::string token_;
  HttpTransportOptions options_;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_
