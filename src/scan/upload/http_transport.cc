#include "scan/upload/http_transport.h"

#include <utility>

#include "net/server_url.h"

namespace portatlas::scan {

net::HttpClientOptions HttpTaskTransport::DefaultOptions() {
  net::HttpClientOptions o;
  o.user_agent = "portatlas-scan/0.1.0";
  o.request_timeout_ms = 60000;
  return o;
}

Result<std::unique_ptr<HttpTaskTransport>> HttpTaskTransport::Create(
    std::string_view server_url, std::string token, net::HttpClientOptions options) {
  PA_ASSIGN_OR_RETURN(url, net::ParseServerUrl(server_url));
  PA_ASSIGN_OR_RETURN(
      http, net::HttpClient::Create(std::move(url), std::move(token), std::move(options)));
  return std::unique_ptr<HttpTaskTransport>(new HttpTaskTransport(std::move(http)));
}

}  // namespace portatlas::scan
