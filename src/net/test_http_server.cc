#include "net/test_http_server.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <utility>

namespace portatlas::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

TestHttpServer::TestHttpServer(std::vector<Step> script)
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      script_(std::move(script)) {
  port_ = acceptor_.local_endpoint().port();
  thread_ = std::thread([this] { Serve(); });
}

TestHttpServer::~TestHttpServer() {
  stopping_ = true;
  // Wake a read on a kept connection, then the blocking accept with a connection of our own.
  if (const int fd = current_fd_; fd >= 0) ::shutdown(fd, SHUT_RDWR);
  asio::io_context ioc;
  tcp::socket wake(ioc);
  beast::error_code ec;
  wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  thread_.join();
}

std::vector<TestHttpServer::Request> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void TestHttpServer::Serve() {
  size_t step = 0;
  for (int connection = 0;; ++connection) {
    tcp::socket socket(ioc_);
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (stopping_) return;
    if (ec) continue;
    current_fd_ = socket.native_handle();
    beast::flat_buffer buffer;
    for (bool open = true; open && !stopping_;) {
      const Step s =
          step < script_.size() ? script_[step] : Step{Action::kRespond, 500, "unscripted"};
      const int outcome = Handle(socket, buffer, s, connection);
      if (outcome >= 0) ++step;
      open = outcome > 0;
    }
    current_fd_ = -1;
    socket.close(ec);
  }
}

int TestHttpServer::Handle(tcp::socket& socket, beast::flat_buffer& buffer, const Step& step,
                           int connection) {
  http::request<http::string_body> req;
  beast::error_code ec;
  http::read(socket, buffer, req, ec);
  if (ec) return -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back({std::string(req.method_string()), std::string(req.target()),
                         std::string(req[http::field::host]), std::string(req["X-Auth-Token"]),
                         std::string(req[http::field::content_type]), req.body(), connection});
  }
  switch (step.action) {
    case Action::kRespond: {
      http::response<http::string_body> res{static_cast<http::status>(step.status), 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(step.keep_open);
      res.body() = step.body;
      res.prepare_payload();
      http::write(socket, res, ec);
      if (step.keep_open && !ec) return 1;
      socket.shutdown(tcp::socket::shutdown_send, ec);
      break;
    }
    case Action::kClose:
      break;
    case Action::kHangUntilEof: {
      char byte;
      while (!ec) socket.read_some(asio::buffer(&byte, 1), ec);
      break;
    }
  }
  return 0;
}

}  // namespace portatlas::net
