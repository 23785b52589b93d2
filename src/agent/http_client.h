// Delivery of report bodies to the ingest API: the IngestTransport seam (a fake in tests) and
// its implementation on net::HttpClient.
#ifndef PORTATLAS_AGENT_HTTP_CLIENT_H_
#define PORTATLAS_AGENT_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_client.h"
#include "net/server_url.h"

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

// net::ClassifyReply for an answer with this status to a report (idempotent: a snapshot
// replaces the host's ports): 2xx committed; 408, 429 and 5xx transient; everything else
// permanent.
SendOutcome ClassifyHttpStatus(int status);

class IngestTransport {
 public:
  virtual ~IngestTransport() = default;
  // Delivers one report body; never throws.
  virtual SendResult Send(std::string_view body) = 0;
};

using HttpClientOptions = net::HttpClientOptions;

// POSTs bodies to URL/v1/ingest/ports with X-Auth-Token and Content-Type: application/json on
// net::HttpClient (one kept connection). Each Send is independent; an instance is not meant
// for concurrent Sends.
class HttpIngestClient final : public IngestTransport {
 public:
  // Fails with InvalidArgument when the token is empty, longer than 4096 bytes or holds
  // anything but visible ASCII (it goes into a header).
  static Result<HttpIngestClient> Create(net::ServerUrl url, std::string token,
                                         HttpClientOptions options = {});

  SendResult Send(std::string_view body) override;

 private:
  explicit HttpIngestClient(std::unique_ptr<net::HttpClient> http) : http_(std::move(http)) {}

  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_HTTP_CLIENT_H_
