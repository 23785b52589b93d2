#include "agent/http_client.h"

#include <utility>

#include "agent/report.h"

namespace portatlas::agent {
namespace {

constexpr char kUserAgent[] = "portatlas-agent/0.1.0";

SendOutcome OutcomeOf(net::ReplyClass c) {
  switch (c) {
    case net::ReplyClass::kSuccess:
      return SendOutcome::kCommitted;
    case net::ReplyClass::kTransient:
      return SendOutcome::kTransient;
    case net::ReplyClass::kPermanent:
      return SendOutcome::kPermanent;
  }
  return SendOutcome::kPermanent;
}

}  // namespace

std::string_view SendOutcomeName(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::kCommitted:
      return "committed";
    case SendOutcome::kTransient:
      return "transient";
    case SendOutcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

SendOutcome ClassifyHttpStatus(int status) {
  return OutcomeOf(net::ClassifyReply({status, true, ""}, /*idempotent=*/true));
}

Result<HttpIngestClient> HttpIngestClient::Create(net::ServerUrl url, std::string token,
                                                  HttpClientOptions options) {
  options.user_agent = kUserAgent;
  PA_ASSIGN_OR_RETURN(http, net::HttpClient::Create(std::move(url), std::move(token), options));
  return HttpIngestClient(std::move(http));
}

SendResult HttpIngestClient::Send(std::string_view body) {
  net::HttpReply r = http_->Call("POST", "/v1/ingest/ports", body);
  const SendOutcome outcome = OutcomeOf(net::ClassifyReply(r, /*idempotent=*/true));
  if (r.status == 0) return {outcome, 0, std::move(r.body)};
  return {outcome, r.status, SummarizeIngestResponse(r.body)};
}

}  // namespace portatlas::agent
