#include "agent/http_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>

#include "agent/report.h"

namespace portatlas::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxTokenBytes = 4096;
constexpr char kUserAgent[] = "portatlas-agent/0.1.0";

SendResult Transient(std::string detail) { return {SendOutcome::kTransient, 0, std::move(detail)}; }

// Runs the operation started on `ioc` to completion and returns its error.
beast::error_code RunToCompletion(asio::io_context& ioc, const beast::error_code& ec) {
  ioc.restart();
  ioc.run();
  return ec;
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
  if (status >= 200 && status < 300) return SendOutcome::kCommitted;
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
    return SendOutcome::kTransient;
  }
  return SendOutcome::kPermanent;
}

Result<HttpIngestClient> HttpIngestClient::Create(ServerUrl url, std::string token,
                                                  HttpClientOptions options) {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return InvalidArgument(fmt::format("the token must be 1-{} bytes", kMaxTokenBytes));
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return InvalidArgument("the token must be visible ASCII");
  }
  return HttpIngestClient(std::move(url), std::move(token), options);
}

SendResult HttpIngestClient::Send(std::string_view body) {
  try {
    return SendOrThrow(body);
  } catch (const std::exception& e) {
    // Resource exhaustion and the like: worth another try later.
    return Transient(fmt::format("HTTP client: {}", e.what()));
  }
}

SendResult HttpIngestClient::SendOrThrow(std::string_view body) {
  asio::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints =
      resolver.resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service, ec);
  if (ec) return Transient(fmt::format("cannot resolve {}: {}", url_.host, ec.message()));

  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  if (RunToCompletion(ioc, ec)) {
    return Transient(fmt::format("cannot connect to {}: {}", url_.HostHeader(), ec.message()));
  }

  http::request<http::string_body> req{http::verb::post, url_.IngestTarget(), 11};
  req.set(http::field::host, url_.HostHeader());
  req.set(http::field::user_agent, kUserAgent);
  req.set(http::field::content_type, "application/json");
  req.set("X-Auth-Token", token_);
  req.keep_alive(false);
  req.body().assign(body);
  req.prepare_payload();

  // One deadline for writing the request and reading the answer.
  stream.expires_after(std::chrono::milliseconds(options_.request_timeout_ms));
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  if (RunToCompletion(ioc, ec)) {
    return Transient(fmt::format("sending to {}: {}", url_.HostHeader(), ec.message()));
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  if (RunToCompletion(ioc, ec)) {
    return Transient(fmt::format("no answer from {}: {}", url_.HostHeader(), ec.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  const auto& res = parser.get();
  const int status = static_cast<int>(res.result_int());
  return {ClassifyHttpStatus(status), status, SummarizeIngestResponse(res.body())};
}

}  // namespace portatlas::agent
