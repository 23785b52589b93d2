#include "net/http_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace portatlas::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxTokenBytes = 4096;

HttpReply NetworkError(bool sent, std::string what) { return {0, sent, std::move(what)}; }

}  // namespace

ReplyClass ClassifyReply(const HttpReply& reply, bool idempotent) {
  const int s = reply.status;
  if (s >= 200 && s < 300) return ReplyClass::kSuccess;
  if (s == 0) return idempotent || !reply.sent ? ReplyClass::kTransient : ReplyClass::kPermanent;
  if (s == 408 || s == 429 || s == 503) return ReplyClass::kTransient;
  if (idempotent && s >= 500 && s < 600) return ReplyClass::kTransient;
  return ReplyClass::kPermanent;
}

struct HttpClient::Connection {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs the operation started on `ioc` to completion and returns its error.
  beast::error_code Run(const beast::error_code& ec) {
    ioc.restart();
    ioc.run();
    return ec;
  }
  void Close() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.reset();
    buffer.clear();
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::Create(ServerUrl url, std::string token,
                                                       HttpClientOptions options) {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return InvalidArgument(fmt::format("the token must be 1-{} bytes", kMaxTokenBytes));
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return InvalidArgument("the token must be visible ASCII");
  }
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::move(url), std::move(token), std::move(options)));
}

HttpClient::HttpClient(ServerUrl url, std::string token, HttpClientOptions options)
    : url_(std::move(url)),
      token_(std::move(token)),
      options_(std::move(options)),
      conn_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::Call(std::string_view method, std::string_view path, std::string_view body) {
  if (http::string_to_verb(beast::string_view(method.data(), method.size())) ==
      http::verb::unknown) {
    return NetworkError(false, fmt::format("unknown HTTP method '{}'", method));
  }
  try {
    const bool reused = conn_->stream.has_value();
    bool retry = false;
    HttpReply r = CallOnce(method, path, body, &retry);
    if (retry && reused) r = CallOnce(method, path, body, &retry);
    return r;
  } catch (const std::exception& e) {
    // Resource exhaustion and the like; whether the request left is unknown.
    conn_->Close();
    return NetworkError(true, fmt::format("HTTP client: {}", e.what()));
  }
}

HttpReply HttpClient::Connect() {
  beast::error_code ec;
  tcp::resolver resolver(conn_->ioc);
  const auto endpoints =
      resolver.resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service, ec);
  if (ec) return NetworkError(false, fmt::format("cannot resolve {}: {}", url_.host, ec.message()));
  conn_->stream.emplace(conn_->ioc);
  conn_->stream->expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  conn_->stream->async_connect(endpoints,
                               [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  if (conn_->Run(ec)) {
    conn_->Close();
    return NetworkError(false,
                        fmt::format("cannot connect to {}: {}", url_.HostHeader(), ec.message()));
  }
  ++connections_opened_;
  return {};
}

HttpReply HttpClient::CallOnce(std::string_view method, std::string_view path,
                               std::string_view body, bool* retry_on_new_connection) {
  *retry_on_new_connection = false;
  if (!conn_->stream) {
    HttpReply failed = Connect();
    if (!conn_->stream) return failed;
  }
  const http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  http::request<http::string_body> req{verb, url_.Target(path), 11};
  req.set(http::field::host, url_.HostHeader());
  req.set(http::field::user_agent, options_.user_agent);
  req.set(http::field::content_type, "application/json");
  req.set("X-Auth-Token", token_);
  req.keep_alive(options_.keep_alive);
  req.body().assign(body);
  req.prepare_payload();

  // One deadline for writing the request and reading the answer.
  beast::tcp_stream& stream = *conn_->stream;
  beast::error_code ec;
  stream.expires_after(std::chrono::milliseconds(options_.request_timeout_ms));
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  if (conn_->Run(ec)) {
    conn_->Close();
    *retry_on_new_connection = ec != beast::error::timeout;
    return NetworkError(true, fmt::format("sending to {}: {}", url_.HostHeader(), ec.message()));
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  http::async_read_header(stream, conn_->buffer, parser,
                          [&](beast::error_code e, size_t) { ec = e; });
  if (conn_->Run(ec)) {
    // A kept connection that the server closed before this request: nothing of it was read.
    *retry_on_new_connection = !parser.got_some() && ec != beast::error::timeout;
    conn_->Close();
    return NetworkError(true,
                        fmt::format("no answer from {}: {}", url_.HostHeader(), ec.message()));
  }
  // Beast 1.74 skips the body limit for a Content-Length when header and body arrive in one
  // read, so the length is checked here, on the header alone.
  if (const auto length = parser.content_length();
      length && *length > options_.max_response_bytes) {
    conn_->Close();
    return NetworkError(true, fmt::format("the answer from {} is {} bytes, more than {}",
                                          url_.HostHeader(), *length, options_.max_response_bytes));
  }
  http::async_read(stream, conn_->buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  if (conn_->Run(ec)) {
    conn_->Close();
    return NetworkError(true,
                        fmt::format("no answer from {}: {}", url_.HostHeader(), ec.message()));
  }
  auto res = parser.release();
  if (!options_.keep_alive || !res.keep_alive()) conn_->Close();
  return {static_cast<int>(res.result_int()), true, std::move(res.body())};
}

}  // namespace portatlas::net
