// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the HTTP client's tests.
// It takes connections one at a time on its own thread and treats request i as step i of its
// script (requests past the script get 500 "unscripted"), recording every request it read. A
// connection is closed after its answer unless the step says keep_open, in which case the
// next request read on it is the next step. Thread-safe accessors; the destructor stops and
// joins the thread.
#ifndef PORTATLAS_NET_TEST_HTTP_SERVER_H_
#define PORTATLAS_NET_TEST_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portatlas::net {

class TestHttpServer {
 public:
  enum class Action {
    kRespond,       // answer with `status` and `body`
    kClose,         // read the request, then close without answering
    kHangUntilEof,  // read the request, never answer, wait for the client to close
  };
  struct Step {
    Action action = Action::kRespond;
    int status = 200;
    std::string body;
    bool keep_open = false;  // kRespond only: answer with keep-alive and read the next request
  };
  struct Request {
    std::string method;
    std::string target;
    std::string host;
    std::string token;  // X-Auth-Token
    std::string content_type;
    std::string body;
    int connection = 0;  // which accepted connection it came on, from 0
  };

  explicit TestHttpServer(std::vector<Step> script);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::vector<Request> requests() const;

 private:
  void Serve();
  // Reads one request and answers it as `step` says: 1 when the connection stays open, 0 when
  // it was closed, -1 when no request was read.
  int Handle(boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
             const Step& step, int connection);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<Step> script_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> current_fd_{-1};  // the connection being served, for the destructor
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace portatlas::net

#endif  // PORTATLAS_NET_TEST_HTTP_SERVER_H_
