#include "api/http_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <thread>
#include <vector>

namespace portatlas::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 << 10;
// After a refusal, the unread rest of a body is read and dropped, up to this much or until the
// read timeout, so that the client sees the answer instead of a reset.
constexpr size_t kDrainLimit = 1 << 20;
constexpr int kDrainTimeoutS = 2;

http::response<http::string_body> ToBeast(Response&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(r.status), version};
  out.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) out.set(k, v);
  out.body() = std::move(r.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The server's own answer (framing, limits, budget), in the gateway's error shape.
Response ServerError(int status, std::string_view message) {
  const std::string id = NewRequestId();
  Response r = ErrorBody(status, "APIGW.0201", message, id);
  r.headers.emplace_back("X-Request-Id", id);
  return r;
}

// RFC 9112 §6.1 and §6.3: the only transfer coding taken in a request is exactly "chunked"
// (once), never beside Content-Length, never from HTTP/1.0. Anything else cannot be framed
// the way every other hop would frame it, so it is refused. Returns the reason, or nullptr.
const char* FramingError(const http::request_parser<http::string_body>& parser) {
  const auto& h = parser.get();
  auto te = h.equal_range(http::field::transfer_encoding);
  if (te.first == te.second) return nullptr;
  if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
  if (h.count(http::field::content_length) > 0) {
    return "Transfer-Encoding together with Content-Length";
  }
  if (std::next(te.first) != te.second) return "more than one Transfer-Encoding field";
  const http::token_list codings{te.first->value()};
  auto it = codings.begin();
  if (it == codings.end() || !beast::iequals(*it, "chunked") || ++it != codings.end()) {
    return "Transfer-Encoding other than chunked";
  }
  return nullptr;
}

// Bytes of request bodies held at once; shares are taken before a body is read.
class ByteBudget {
 public:
  explicit ByteBudget(uint64_t capacity) : capacity_(capacity) {}
  bool Take(uint64_t n) {
    uint64_t used = used_.load();
    do {
      if (n > capacity_ || used > capacity_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n));
    return true;
  }
  void Give(uint64_t n) { used_.fetch_sub(n); }
  uint64_t capacity() const { return capacity_; }

 private:
  const uint64_t capacity_;
  std::atomic<uint64_t> used_{0};
};

// A request in flight and the share of the budget its body holds, given back with it.
struct InFlight {
  InFlight() = default;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() {
    if (budget != nullptr) budget->Give(held);
  }
  Request req;
  ByteBudget* budget = nullptr;
  uint64_t held = 0;
};

struct Shared {
  Shared(HttpServer::Dispatch d, HttpServerOptions o)
      : dispatch(std::move(d)),
        options(std::move(o)),
        budget(options.body_budget_bytes),
        anonymous_budget(options.anonymous_body_budget_bytes) {}
  HttpServer::Dispatch dispatch;
  HttpServerOptions options;
  ByteBudget budget;
  ByteBudget anonymous_budget;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared, asio::thread_pool& blocking_pool)
      : stream_(std::move(socket)), shared_(shared), blocking_pool_(blocking_pool) {}

  void Start() { ReadNext(); }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The admission sets the real limit before any body byte is read. Not boost::none: Beast
    // 1.74 compares a Content-Length with the optional limit, and any length is above none.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(shared_.options.read_timeout_s));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Whether `ec` ends the connection quietly (the peer left, or the read timed out).
  static bool Quiet(beast::error_code ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
           ec == asio::error::eof;
  }

  void Refuse(beast::error_code ec) {
    if (ec == http::error::body_limit) return Finish(ServerError(413, "Request entity too large"));
    if (ec == http::error::header_limit) {
      return Finish(ServerError(431, "Request header fields too large"));
    }
    Finish(ServerError(400, "Bad request"));
  }

  void OnHeader(beast::error_code ec) {
    if (Quiet(ec)) return Close(false);
    if (ec) return Refuse(ec);
    if (const char* why = FramingError(*parser_)) {
      return Finish(ServerError(400, fmt::format("Bad request: {}", why)));
    }
    const auto& head = parser_->get();
    inflight_ = std::make_shared<InFlight>();
    Request& req = inflight_->req;
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    for (const auto& f : head) {
      req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    Admission admission;
    if (shared_.options.admit) {
      admission = shared_.options.admit(req);
    } else {
      admission.body_limit = shared_.options.default_body_limit;
    }
    if (admission.refusal) return Finish(std::move(*admission.refusal));
    const auto length = parser_->content_length();
    if (length && *length > admission.body_limit) {
      return Finish(ServerError(413, "Request entity too large"));
    }
    const uint64_t need = parser_->chunked() ? admission.body_limit : length.value_or(0);
    if (need > 0) {
      ByteBudget& pool = admission.anonymous ? shared_.anonymous_budget : shared_.budget;
      const uint64_t share = std::min(need, pool.capacity());
      if (!pool.Take(share)) {
        Response busy = ServerError(503, "Server busy: too many request bodies at once");
        busy.headers.emplace_back("Retry-After", "1");
        return Finish(std::move(busy));
      }
      inflight_->budget = &pool;
      inflight_->held = share;
    }
    parser_->body_limit(admission.body_limit);
    blocking_ = admission.blocking;
    if (need > 0 && beast::iequals(head[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *cont,
                               [self = shared_from_this(), cont](beast::error_code wec, size_t) {
                                 if (wec) return self->Close(false);
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (Quiet(ec)) return Close(false);
    if (ec) return Refuse(ec);
    auto msg = parser_->release();
    auto inflight = inflight_;
    inflight->req.body = std::move(msg.body());
    const unsigned version = msg.version();
    const bool keep_alive = msg.keep_alive();
    if (!blocking_) {
      return Write(ToBeast(shared_.dispatch(inflight->req), version, keep_alive));
    }
    // Off the I/O thread; the answer comes back to this session's strand.
    asio::post(blocking_pool_, [self = shared_from_this(), inflight, version, keep_alive] {
      auto resp = std::make_shared<Response>(self->shared_.dispatch(inflight->req));
      asio::post(self->stream_.get_executor(), [self, resp, version, keep_alive] {
        self->Write(ToBeast(std::move(*resp), version, keep_alive));
      });
    });
  }

  // Answers and closes: the request was refused before (or while) its body was read.
  void Finish(Response&& r) { Write(ToBeast(std::move(r), 11, false), true); }

  void Write(http::response<http::string_body>&& resp, bool drain = false) {
    auto msg = std::make_shared<http::response<http::string_body>>(std::move(resp));
    stream_.expires_after(std::chrono::seconds(shared_.options.read_timeout_s));
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg, drain](beast::error_code ec, size_t) {
                        self->inflight_.reset();  // the body's budget share goes back
                        if (ec || !msg->keep_alive()) return self->Close(drain && !ec);
                        self->ReadNext();
                      });
  }

  void Close(bool drain) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!drain) return;
    drained_ = 0;
    stream_.expires_after(std::chrono::seconds(kDrainTimeoutS));
    Drain();
  }

  // Reads and drops what the client still sends, so that closing does not reset the
  // connection before it has read the answer. Bounded in bytes and time.
  void Drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ >= kDrainLimit) return;
                              self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<InFlight> inflight_;
  bool blocking_ = false;
  size_t drained_ = 0;
  std::array<char, 4096> scratch_{};
  Shared& shared_;
  asio::thread_pool& blocking_pool_;
};

int IoThreads(int requested) {
  if (requested > 0) return requested;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

struct HttpServer::Impl {
  Impl(Dispatch d, HttpServerOptions o)
      : shared(std::move(d), std::move(o)),
        threads(IoThreads(shared.options.threads)),
        ioc(threads),
        blocking_pool(static_cast<size_t>(std::max(1, shared.options.blocking_threads))),
        acceptor(ioc) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::make_shared<Session>(std::move(s), shared, blocking_pool)->Start();
      }
      Accept();
    });
  }

  Shared shared;
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
