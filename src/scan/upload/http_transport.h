// How the scan-task uploader reaches the server: the TaskTransport seam (a fake in tests) and
// its implementation on net::HttpClient.
#ifndef PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_
#define PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_client.h"

namespace portatlas::scan {

using HttpReply = net::HttpReply;

class TaskTransport {
 public:
  virtual ~TaskTransport() = default;
  // One request to the server; `path` is an API path such as "/v1/scan-tasks". Never throws.
  // One call at a time.
  virtual HttpReply Call(std::string_view method, std::string_view path, std::string_view body) = 0;
  // Where requests go, for messages: "http://127.0.0.1:8080".
  virtual std::string Describe() const = 0;
};

// Sends JSON requests with X-Auth-Token to a server URL (net::ParseServerUrl's rules: plain
// http, optional path prefix) on one kept connection.
class HttpTaskTransport final : public TaskTransport {
 public:
  // The uploader's defaults: a 60 s request timeout (a batch of records commits in one
  // transaction before the answer).
  static net::HttpClientOptions DefaultOptions();
  // InvalidArgument for a malformed URL, or a token that is empty, longer than 4096 bytes or
  // not visible ASCII.
  static Result<std::unique_ptr<HttpTaskTransport>> Create(
      std::string_view server_url, std::string token,
      net::HttpClientOptions options = DefaultOptions());

  HttpReply Call(std::string_view method, std::string_view path, std::string_view body) override {
    return http_->Call(method, path, body);
  }
  std::string Describe() const override { return http_->url().ToString(); }

 private:
  explicit HttpTaskTransport(std::unique_ptr<net::HttpClient> http) : http_(std::move(http)) {}

  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UPLOAD_HTTP_TRANSPORT_H_
