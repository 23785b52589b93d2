// Delivery of report bodies to the ingest API: the IngestTransport seam (a fake in tests) and
// its HTTP/1.1 implementation on Boost.Beast.
#ifndef PORTATLAS_AGENT_HTTP_CLIENT_H_
#define PORTATLAS_AGENT_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/server_url.h"
#include "core/status.h"

namespace portatlas::agent {

enum class SendOutcome {
  kCommitted,  // 2xx: the server stored the snapshot
  kTransient,  // no answer, 408, 429 or 5xx: the same body may succeed later
  kPermanent,  // any other answer: sending the same body again cannot help
};

// "committed", "transient" or "permanent".
std::string_view SendOutcomeName(SendOutcome outcome);

struct SendResult {
  SendOutcome outcome = SendOutcome::kTransient;
  int http_status = 0;  // 0 when no response was read
  std::string detail;   // printable: the server's summary or the network error
};

// 2xx committed; 408, 429 and 5xx transient; everything else permanent (redirects are not
// followed: a moved server is a configuration error).
SendOutcome ClassifyHttpStatus(int status);

class IngestTransport {
 public:
  virtual ~IngestTransport() = default;
  // Delivers one report body; never throws.
  virtual SendResult Send(std::string_view body) = 0;
};

struct HttpClientOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 10000;  // writing the request and reading the response
  size_t max_response_bytes = 1 << 20;
};

// POSTs bodies to URL/v1/ingest/ports with X-Auth-Token and Content-Type: application/json,
// one connection per report (Connection: close). Name resolution uses the system resolver
// synchronously, outside the timeouts. Plain HTTP only: the token travels in clear text.
// Each Send is independent; an instance is not meant for concurrent Sends.
class HttpIngestClient final : public IngestTransport {
 public:
  // Fails with InvalidArgument when the token is empty, longer than 4096 bytes or holds
  // anything but visible ASCII (it goes into a header).
  static Result<HttpIngestClient> Create(ServerUrl url, std::string token,
                                         HttpClientOptions options = {});

  SendResult Send(std::string_view body) override;

 private:
  HttpIngestClient(ServerUrl url, std::string token, HttpClientOptions options)
      : url_(std::move(url)), token_(std::move(token)), options_(options) {}

  SendResult SendOrThrow(std::string_view body);

  ServerUrl url_;
  std::string token_;
  HttpClientOptions options_;
};

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_HTTP_CLIENT_H_
