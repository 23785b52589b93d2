// HttpServer: HTTP/1.1 on Boost.Beast/Asio. It only moves bytes: each request is converted to
// an api::Request, handed to `dispatch`, and its api::Response written back. Requests run on
// the I/O threads (one per core suits quick queries best), except those admitted as blocking:
// they run on a separate pool, so a handler that waits (ingest waits for its commit) never
// holds an I/O thread.
// The header is read first and checked before any body byte: message framing (RFC 9112 §6.3:
// a Transfer-Encoding other than exactly "chunked", or one beside Content-Length, or in an
// HTTP/1.0 request, is 400 and the connection closed, so no request can be smuggled behind
// another), then the `admit` callback (authentication, routing: it may refuse, and it sets the
// body limit), then a place in the body budget; only then is `Expect: 100-continue` answered and
// the body read. Keep-alive, a read timeout, and 400 for requests that do not parse.
// Thread-safe: Run() may be called from one thread while Stop() is called from another (e.g. a
// signal handler thread).
#ifndef PORTATLAS_API_HTTP_SERVER_H_
#define PORTATLAS_API_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http.h"

namespace portatlas::api {

// What the server does with a request once its header is in, before any of its body is read.
struct Admission {
  // Answer this and close the connection; the body is never read.
  std::optional<Response> refusal;
  // Bytes of body this request may carry; a larger Content-Length is answered 413 at once.
  uint64_t body_limit = 0;
  // Whether the body counts against the anonymous budget (no credential checked yet) instead
  // of the authenticated one.
  bool anonymous = true;
  // Run the handler on the blocking pool, off the I/O threads.
  bool blocking = false;
};

struct HttpServerOptions {
  int threads = 0;  // I/O threads; 0: one per CPU, at least 2
  int read_timeout_s = 30;
  // Called with method, target and headers set; it may annotate the request (the handler later
  // sees the same Request, body added). Empty: every request is admitted with
  // default_body_limit, anonymous, on the I/O threads.
  std::function<Admission(Request&)> admit;
  uint64_t default_body_limit = 64ull << 20;
  int blocking_threads = 8;
  // The bytes of request bodies the server holds at once, over every connection, for
  // authenticated and for anonymous requests. A body that does not fit is not read: the
  // request is answered 503 with Retry-After and the connection closed.
  uint64_t body_budget_bytes = 512ull << 20;
  uint64_t anonymous_body_budget_bytes = 32ull << 20;
  // Connections held at once: 0 is the descriptor limit (RLIMIT_NOFILE) less a reserve of 64
  // (a value given is taken as it is, even above that).
  // Per source address: 0 is a quarter of that, at least 16. At either cap, the oldest idle
  // connection (no request under way; of that source, at its cap) is closed to make room;
  // with none idle, the new connection is answered 503 and closed. Out of descriptors
  // anyway, one held in reserve lets the server answer 503, and accepting pauses 100 ms.
  int max_connections = 0;
  int max_connections_per_source = 0;
};

class HttpServer {
 public:
  using Dispatch = std::function<Response(Request&)>;

  HttpServer(Dispatch dispatch, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on host:port (port 0 = any free port). Returns the bound port.
  Result<uint16_t> Listen(const std::string& host, uint16_t port);
  // Serves until Stop(); returns when every I/O thread has finished.
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_HTTP_SERVER_H_
