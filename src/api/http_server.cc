#include "api/http_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

namespace portatlas::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Request ToRequest(const http::request<http::string_body>& in) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  for (const auto& f : in)
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = in.body();
  return r;
}

http::response<http::string_body> ToBeast(Response&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(r.status), version};
  out.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) out.set(k, v);
  out.body() = std::move(r.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServer::Dispatch& dispatch,
          const HttpServerOptions& options, asio::thread_pool& blocking_pool)
      : stream_(std::move(socket)),
        dispatch_(dispatch),
        options_(options),
        blocking_pool_(blocking_pool) {}

  void Start() { ReadNext(); }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit_bytes);
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_s));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec) {
      // Oversized or unparsable: answer once and close, in the gateway's error shape.
      const bool too_big = ec == http::error::body_limit;
      const std::string id = NewRequestId();
      Response r = ErrorBody(too_big ? 413 : 400, "APIGW.0201",
                             too_big ? "Request entity too large" : "Bad request", id);
      r.headers.emplace_back("X-Request-Id", id);
      return Write(ToBeast(std::move(r), 11, false));
    }
    http::request<http::string_body> in = parser_->release();
    auto req = std::make_shared<Request>(ToRequest(in));
    const unsigned version = in.version();
    const bool keep_alive = in.keep_alive();
    if (!options_.blocking || !options_.blocking(*req)) {
      return Write(ToBeast(dispatch_(*req), version, keep_alive));
    }
    // Off the I/O thread; the answer comes back to this session's strand.
    asio::post(blocking_pool_, [self = shared_from_this(), req, version, keep_alive] {
      auto resp = std::make_shared<Response>(self->dispatch_(*req));
      asio::post(self->stream_.get_executor(), [self, resp, version, keep_alive] {
        self->Write(ToBeast(std::move(*resp), version, keep_alive));
      });
    });
  }

  void Write(http::response<http::string_body>&& resp) {
    auto msg = std::make_shared<http::response<http::string_body>>(std::move(resp));
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_s));
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg](beast::error_code ec, size_t) {
                        if (ec || !msg->keep_alive()) return self->Close();
                        self->ReadNext();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServer::Dispatch& dispatch_;
  const HttpServerOptions& options_;
  asio::thread_pool& blocking_pool_;
};

int IoThreads(int requested) {
  if (requested > 0) return requested;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

struct HttpServer::Impl {
  Impl(Dispatch d, HttpServerOptions o)
      : dispatch(std::move(d)),
        options(std::move(o)),
        threads(IoThreads(options.threads)),
        ioc(threads),
        blocking_pool(static_cast<size_t>(std::max(1, options.blocking_threads))),
        acceptor(ioc) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::make_shared<Session>(std::move(s), dispatch, options, blocking_pool)->Start();
      }
      Accept();
    });
  }

  Dispatch dispatch;
  HttpServerOptions options;
  int threads;
  asio::io_context ioc;
  asio::thread_pool blocking_pool;
  tcp::acceptor acceptor;
};

HttpServer::HttpServer(Dispatch dispatch, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(dispatch), options)) {}

HttpServer::~HttpServer() { Stop(); }

Result<uint16_t> HttpServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument(fmt::format("listen address '{}': {}", host, ec.message()));
  const tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable(fmt::format("listen {}:{}: {}", host, port, ec.message()));
  impl_->Accept();
  return a.local_endpoint().port();
}

void HttpServer::Run() {
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->threads; ++i) {
    threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->blocking_pool.join();  // blocking handlers in flight finish (their answers are dropped)
}

void HttpServer::Stop() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->ioc.stop();
}

}  // namespace portatlas::api
