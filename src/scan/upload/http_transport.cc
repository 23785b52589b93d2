#include "scan/upload/http_transport.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>

namespace portatlas::scan {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxTokenBytes = 4096;
constexpr char kUserAgent[] = "portatlas-scan/0.1.0";

HttpReply NetworkError(bool sent, std::string what) { return {0, sent, std::move(what)}; }

// Runs the operation started on `ioc` to completion and returns its error.
beast::error_code RunToCompletion(asio::io_context& ioc, const beast::error_code& ec) {
  ioc.restart();
  ioc.run();
  return ec;
}

}  // namespace

Result<std::unique_ptr<HttpTaskTransport>> HttpTaskTransport::Create(std::string_view server_url,
                                                                     std::string token,
                                                                     HttpTransportOptions options) {
  PA_ASSIGN_OR_RETURN(url, agent::ParseServerUrl(server_url));
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return InvalidArgument(fmt::format("the token must be 1-{} bytes", kMaxTokenBytes));
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return InvalidArgument("the token must be visible ASCII");
  }
  return std::unique_ptr<HttpTaskTransport>(
      new HttpTaskTransport(std::move(url), std::move(token), options));
}

HttpReply HttpTaskTransport::Call(std::string_view method, std::string_view path,
                                  std::string_view body) {
  try {
    return CallOrThrow(method, path, body);
  } catch (const std::exception& e) {
    // Resource exhaustion and the like; whether the request left is unknown.
    return NetworkError(true, fmt::format("HTTP client: {}", e.what()));
  }
}

HttpReply HttpTaskTransport::CallOrThrow(std::string_view method, std::string_view path,
                                         std::string_view body) {
  asio::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints =
      resolver.resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service, ec);
  if (ec) return NetworkError(false, fmt::format("cannot resolve {}: {}", url_.host, ec.message()));

  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  if (RunToCompletion(ioc, ec)) {
    return NetworkError(false,
                        fmt::format("cannot connect to {}: {}", url_.HostHeader(), ec.message()));
  }

  const http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) {
    return NetworkError(false, fmt::format("unknown HTTP method '{}'", method));
  }
  http::request<http::string_body> req{verb, url_.prefix + std::string(path), 11};
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
    return NetworkError(true, fmt::format("sending to {}: {}", url_.HostHeader(), ec.message()));
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  if (RunToCompletion(ioc, ec)) {
    return NetworkError(true,
                        fmt::format("no answer from {}: {}", url_.HostHeader(), ec.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  auto res = parser.release();
  return {static_cast<int>(res.result_int()), true, std::move(res.body())};
}

}  // namespace portatlas::scan
