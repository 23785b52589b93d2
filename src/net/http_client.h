// HttpClient: the one HTTP/1.1 client of our programs (the agent, the scan uploader, import, and
// later the flow shipper and scan workers), on Boost.Beast, and the one rule that says whether a
// failed request is worth another try.
#ifndef PORTATLAS_NET_HTTP_CLIENT_H_
#define PORTATLAS_NET_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/server_url.h"

namespace portatlas::net {

struct HttpReply {
  int status = 0;     // the HTTP status; 0 when no response was read
  bool sent = false;  // false: the request cannot have reached the server (no connection)
  std::string body;   // the response body; when status is 0, the network error, printable
};

enum class ReplyClass {
  kSuccess,    // 2xx
  kTransient,  // another attempt of the same request may succeed, and cannot do harm
  kPermanent,  // sending the same request again cannot help
};

// The retry rule. A 2xx is kSuccess. A request that got no answer is kTransient when it is
// idempotent or cannot have been sent. 408 (not read whole), 429 (throttled) and 503 (the
// store could not commit) say the server did not act on it: kTransient. Any other 5xx is
// kTransient for an idempotent request only. Everything else (4xx, redirects, which are not
// followed: a moved server is a configuration error) is kPermanent.
ReplyClass ClassifyReply(const HttpReply& reply, bool idempotent);

struct HttpClientOptions {
  std::string user_agent = "portatlas";
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 10000;  // writing one request and reading its answer
  size_t max_response_bytes = 1 << 20;
  // Keep the connection open between calls (HTTP/1.1 keep-alive). A call on a kept connection
  // that the server has closed meanwhile (no byte of answer read) is sent again, once, on a new
  // connection.
  bool keep_alive = true;
};

// Sends requests with X-Auth-Token and Content-Type: application/json to one server. Name
// resolution uses the system resolver synchronously, outside the timeouts. Plain HTTP only
// for now (TODO(#16): https): the token travels in clear text. Never throws. Not thread-safe:
// one call at a time.
class HttpClient {
 public:
  // InvalidArgument when the token is empty, longer than 4096 bytes or holds anything but
  // visible ASCII (it goes into a header).
  static Result<std::unique_ptr<HttpClient>> Create(ServerUrl url, std::string token,
                                                    HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request: `method` ("GET", "POST", ...) on `path`, an API path such as
  // "/v1/ingest/ports" (the URL's prefix goes before it). An unknown method is answered like a
  // network error, with sent = false.
  HttpReply Call(std::string_view method, std::string_view path, std::string_view body);

  const ServerUrl& url() const { return url_; }
  // Connections opened so far (one per call without keep-alive).
  int connections_opened() const { return connections_opened_; }

 private:
  struct Connection;
  HttpClient(ServerUrl url, std::string token, HttpClientOptions options);
  HttpReply CallOnce(std::string_view method, std::string_view path, std::string_view body,
                     bool* retry_on_new_connection);
  HttpReply Connect();

  ServerUrl url_;
  std::string token_;
  HttpClientOptions options_;
  std::unique_ptr<Connection> conn_;
  int connections_opened_ = 0;
};

}  // namespace portatlas::net

#endif  // PORTATLAS_NET_HTTP_CLIENT_H_
