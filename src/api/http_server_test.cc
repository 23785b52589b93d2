#include "api/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <thread>

namespace portatlas::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// One GET over a fresh connection; returns "status body".
std::string Get(uint16_t port, const std::string& target) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return std::to_string(res.result_int()) + " " + res.body();
}

// A blocking handler runs off the I/O threads: with a single I/O thread, a quick request is
// answered while a blocking one is still waiting, and the blocking one is answered after.
TEST(HttpServerTest, BlockingHandlersDoNotHoldTheIoThread) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> slow_started{false};
  HttpServerOptions options;
  options.threads = 1;
  options.admit = [](Request& r) {
    Admission a;
    a.blocking = r.target == "/slow";
    return a;
  };
  HttpServer server(
      [&](Request& r) {
        Response resp;
        resp.status = 200;
        if (r.target == "/slow") {
          slow_started = true;
          released.wait();
          resp.body = "slow";
        } else {
          resp.body = "fast";
        }
        return resp;
      },
      std::move(options));
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port) << port.error().ToString();
  std::thread io([&] { server.Run(); });

  auto slow = std::async(std::launch::async, [&] { return Get(*port, "/slow"); });
  for (int i = 0; i < 500 && !slow_started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(slow_started);
  auto fast = std::async(std::launch::async, [&] { return Get(*port, "/fast"); });
  const bool fast_answered = fast.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(fast_answered) << "the quick request waited for the blocking one";
  EXPECT_NE(slow.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  release.set_value();
  EXPECT_EQ(slow.get(), "200 slow");
  EXPECT_EQ(fast.get(), "200 fast");
  server.Stop();
  io.join();
}

}  // namespace
}  // namespace portatlas::api
