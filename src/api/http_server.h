// HttpServer: HTTP/1.1 on Boost.Beast/Asio. It only moves bytes: each request is converted to
// an api::Request, handed to `dispatch`, and its api::Response written back. Requests run on
// the I/O threads (one per core suits quick queries best), except those `blocking` selects:
// they run on a separate pool, so a handler that waits (ingest waits for its commit) never
// holds an I/O thread.
// Keep-alive, a body size limit (413 beyond it), a read timeout, and 400 for requests that do
// not parse. Thread-safe: Run() may be called from one thread while Stop() is called from
// another (e.g. a signal handler thread).
#ifndef PORTATLAS_API_HTTP_SERVER_H_
#define PORTATLAS_API_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"

namespace portatlas::api {

struct HttpServerOptions {
  int threads = 0;  // I/O threads; 0: one per CPU, at least 2
  uint64_t body_limit_bytes = 64ull << 20;
  int read_timeout_s = 30;
  // Requests for which this returns true run on the blocking pool.
  std::function<bool(const Request&)> blocking;
  int blocking_threads = 8;
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
