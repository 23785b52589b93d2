#include "agent/test_http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <utility>

namespace portatlas::agent {
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
  // Wake the blocking accept with a connection of our own.
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
  for (size_t i = 0;; ++i) {
    tcp::socket socket(ioc_);
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (stopping_) return;
    if (ec) continue;
    const Step step = i < script_.size() ? script_[i] : Step{Action::kRespond, 500, "unscripted"};
    Handle(socket, step);
  }
}

void TestHttpServer::Handle(tcp::socket& socket, const Step& step) {
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  beast::error_code ec;
  http::read(socket, buffer, req, ec);
  if (ec) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back({std::string(req.method_string()), std::string(req.target()),
                         std::string(req[http::field::host]), std::string(req["X-Auth-Token"]),
                         std::string(req[http::field::content_type]), req.body()});
  }
  switch (step.action) {
    case Action::kRespond: {
      http::response<http::string_body> res{static_cast<http::status>(step.status), 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = step.body;
      res.prepare_payload();
      http::write(socket, res, ec);
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
  socket.close(ec);
}

}  // namespace portatlas::agent
