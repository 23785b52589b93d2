// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the agent's client tests.
// It takes connections one at a time on its own thread and treats connection i as step i of
// its script (connections past the script get 500 "unscripted"), recording every request it
// read. Thread-safe accessors; the destructor stops and joins the thread.
#ifndef PORTATLAS_AGENT_TEST_HTTP_SERVER_H_
#define PORTATLAS_AGENT_TEST_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portatlas::agent {

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
  };
  struct Request {
    std::string method;
    std::string target;
    std::string host;
    std::string token;  // X-Auth-Token
    std::string content_type;
    std::string body;
  };

  explicit TestHttpServer(std::vector<Step> script);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::vector<Request> requests() const;

 private:
  void Serve();
  void Handle(boost::asio::ip::tcp::socket& socket, const Step& step);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<Step> script_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_TEST_HTTP_SERVER_H_
