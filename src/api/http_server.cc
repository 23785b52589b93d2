#include "api/http_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <limits>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "net/fd.h"

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

class Session;

// The connections held, in total and per source address, and the idle ones (waiting for a
// request's first header byte, oldest first) that may be closed to make room for new ones.
class Connections {
 public:
  Connections(int max_total, int max_per_source)
      : max_total_(max_total), max_per_source_(max_per_source) {}

  enum class Entry { kAdmitted, kFull };
  // Counts a new connection from `source`. When the total or the source's share is reached,
  // the oldest idle connection (of that source, when its share is what is reached) is handed
  // to `*victim` to be closed, and the new one is admitted all the same; with none idle, kFull.
  Entry Enter(const std::string& source, std::shared_ptr<Session>* victim);
  void Leave(const std::string& source);
  void MarkIdle(const std::shared_ptr<Session>& s);
  void MarkBusy(Session* s);

 private:
  std::mutex mu_;
  const int max_total_;
  const int max_per_source_;
  int total_ = 0;
  std::unordered_map<std::string, int> per_source_;
  std::list<std::weak_ptr<Session>> idle_;
};

struct Shared {
  Shared(HttpServer::Dispatch d, HttpServerOptions o, int max_total, int max_per_source)
      : dispatch(std::move(d)),
        options(std::move(o)),
        budget(options.body_budget_bytes),
        anonymous_budget(options.anonymous_body_budget_bytes),
        connections(max_total, max_per_source) {}
  HttpServer::Dispatch dispatch;
  HttpServerOptions options;
  ByteBudget budget;
  ByteBudget anonymous_budget;
  Connections connections;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string source, Shared& shared, asio::thread_pool& blocking_pool)
      : stream_(std::move(socket)),
        source_(std::move(source)),
        shared_(shared),
        blocking_pool_(blocking_pool) {}
  ~Session() {
    shared_.connections.MarkBusy(this);
    shared_.connections.Leave(source_);
  }

  void Start() { ReadNext(); }
  asio::any_io_executor Executor() { return stream_.get_executor(); }

  // Closes the connection to make room for another (on this session's strand).
  void Evict() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  const std::string& source() const { return source_; }
  // The place of this session in the idle list, guarded by the Connections' mutex.
  std::optional<std::list<std::weak_ptr<Session>>::iterator> idle_at;

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The admission sets the real limit before any body byte is read. Not boost::none: Beast
    // 1.74 compares a Content-Length with the optional limit, and any length is above none.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(shared_.options.read_timeout_s));
    if (buffer_.size() == 0) shared_.connections.MarkIdle(shared_from_this());
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
    shared_.connections.MarkBusy(this);
    if (Quiet(ec) || ec == asio::error::bad_descriptor) return Close(false);
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
  const std::string source_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<InFlight> inflight_;
  bool blocking_ = false;
  size_t drained_ = 0;
  std::array<char, 4096> scratch_{};
  Shared& shared_;
  asio::thread_pool& blocking_pool_;
};

Connections::Entry Connections::Enter(const std::string& source, std::shared_ptr<Session>* victim) {
  // Sessions looked at are released only after the lock: the last reference to one may be
  // among them, and its destructor takes the lock.
  std::vector<std::shared_ptr<Session>> looked_at;
  std::lock_guard<std::mutex> lock(mu_);
  int& mine = per_source_[source];
  const bool source_full = mine >= max_per_source_;
  if (source_full || total_ >= max_total_) {
    for (auto it = idle_.begin(); it != idle_.end();) {
      std::shared_ptr<Session> s = it->lock();
      if (!s) {
        it = idle_.erase(it);
        continue;
      }
      if (source_full && s->source() != source) {
        looked_at.push_back(std::move(s));
        ++it;
        continue;
      }
      s->idle_at.reset();
      idle_.erase(it);
      *victim = std::move(s);
      break;
    }
    if (!*victim) {
      if (mine == 0) per_source_.erase(source);
      return Entry::kFull;
    }
  }
  ++mine;
  ++total_;
  return Entry::kAdmitted;
}

void Connections::Leave(const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  --total_;
  auto it = per_source_.find(source);
  if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
}

void Connections::MarkIdle(const std::shared_ptr<Session>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!s->idle_at) s->idle_at = idle_.insert(idle_.end(), s);
}

void Connections::MarkBusy(Session* s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (s->idle_at) {
    idle_.erase(*s->idle_at);
    s->idle_at.reset();
  }
}

// A descriptor held back for the moment the process has none left: closed, it lets the server
// accept one waiting connection, tell it 503 and close it, instead of leaving it unanswered.
class ReserveFd {
 public:
  ReserveFd() { Take(); }
  void Take() {
    if (!fd_.valid()) fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  void Release() { fd_.reset(); }

 private:
  net::Fd fd_;
};

constexpr std::string_view kBusyAnswer =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json;charset=UTF-8\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 95\r\n\r\n"
    R"({"error_code":"APIGW.0201","error_msg":"Server busy: too many connections","request_id":""})";

// Answers 503 on a fresh connection and closes it, without waiting (its send buffer is empty).
void AnswerBusy(int fd) {
  [[maybe_unused]] const ssize_t n =
      ::send(fd, kBusyAnswer.data(), kBusyAnswer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

// The connections that fit below the descriptor limit, keeping `reserve` for the store, logs
// and the rest.
int ConnectionsBelowFdLimit(int reserve) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1 << 20;
  const auto room = static_cast<int64_t>(lim.rlim_cur) - reserve;
  return static_cast<int>(std::clamp<int64_t>(room, 16, 1 << 20));
}

// Descriptors kept free of connections: the store, its journal, logs, the reserve.
constexpr int kReservedFds = 64;

int MaxTotal(const HttpServerOptions& o) {
  const int below_limit = ConnectionsBelowFdLimit(kReservedFds);
  return o.max_connections > 0 ? o.max_connections : below_limit;  // the operator's word wins
}

int MaxPerSource(const HttpServerOptions& o, int max_total) {
  if (o.max_connections_per_source > 0) return std::min(o.max_connections_per_source, max_total);
  return std::max(16, max_total / 4);
}

int IoThreads(int requested) {
  if (requested > 0) return requested;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

struct HttpServer::Impl {
  Impl(Dispatch d, HttpServerOptions o)
      : max_total(MaxTotal(o)),
        max_per_source(MaxPerSource(o, max_total)),
        shared(std::move(d), std::move(o), max_total, max_per_source),
        threads(IoThreads(shared.options.threads)),
        ioc(threads),
        blocking_pool(static_cast<size_t>(std::max(1, shared.options.blocking_threads))),
        acceptor(ioc),
        pause(ioc) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) return Admit(std::move(s));
      if (ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS ||
          ec.value() == ENOMEM) {
        return OutOfDescriptors();
      }
      Accept();  // the connection went away before it was accepted (ECONNABORTED): go on
    });
  }

  void Admit(tcp::socket s) {
    beast::error_code ec;
    const auto peer = s.remote_endpoint(ec);
    if (ec) return Accept();
    const std::string source = peer.address().to_string();
    std::shared_ptr<Session> victim;
    if (shared.connections.Enter(source, &victim) == Connections::Entry::kFull) {
      AnswerBusy(s.release());
      return Accept();
    }
    if (victim) asio::post(victim->Executor(), [victim] { victim->Evict(); });
    std::make_shared<Session>(std::move(s), source, shared, blocking_pool)->Start();
    Accept();
  }

  // Out of descriptors (the limit is set below the cap, but other files count too): the
  // reserve descriptor makes room to tell one waiting client 503, then accepting pauses for a
  // moment instead of failing again at once, which would spin the CPU.
  void OutOfDescriptors() {
    // Every client already waiting is told at once (the listening socket is non-blocking),
    // each through the one freed descriptor.
    reserve.Release();
    for (int i = 0; i < 4096; ++i) {
      const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      AnswerBusy(fd);
    }
    reserve.Take();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_warning > std::chrono::seconds(10)) {
      last_warning = now;
      logging::Logger().warn("out of file descriptors; new connections get 503");
    }
    pause.expires_after(std::chrono::milliseconds(100));
    pause.async_wait([this](beast::error_code ec) {
      if (!ec) Accept();
    });
  }

  int max_total;
  int max_per_source;
  Shared shared;
  int threads;
  asio::io_context ioc;
  asio::thread_pool blocking_pool;
  tcp::acceptor acceptor;
  asio::steady_timer pause;
  ReserveFd reserve;
  std::chrono::steady_clock::time_point last_warning{};
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
  if (!ec) a.non_blocking(true, ec);  // OutOfDescriptors() accepts by hand
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
