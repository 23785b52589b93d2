#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <thread>

namespace portatlas::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string PortatlasBin() { return PORTATLAS_BIN; }

TempDir::TempDir() {
  char templ[] = "/tmp/portatlas-e2e-XXXXXX";
  if (::mkdtemp(templ) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Signal(SIGKILL);
}

::testing::AssertionResult ServerProcess::Start(const std::string& data_dir,
                                                const std::vector<std::string>& extra) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ::testing::AssertionFailure() << "pipe";
  std::vector<std::string> args = {PortatlasBin(), "serve",    "--data-dir",
                                   data_dir,       "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(err_pipe[1], 2);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  std::string seen;
  constexpr std::string_view kListening = "listening on http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{err_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(err_pipe[0], buf, sizeof(buf));
    if (n <= 0) break;  // the server exited
    seen.append(buf, static_cast<size_t>(n));
    const size_t at = seen.find(kListening);
    if (at != std::string::npos && seen.find(' ', at + kListening.size()) != std::string::npos) {
      port_ = std::atoi(seen.c_str() + at + kListening.size());
      // Keep draining stderr in the background so the server never blocks on a full pipe.
      const int fd = err_pipe[0];
      std::thread([fd] {
        char sink[4096];
        while (::read(fd, sink, sizeof(sink)) > 0) {
        }
        ::close(fd);
      }).detach();
      return ::testing::AssertionSuccess();
    }
  }
  ::close(err_pipe[0]);
  Signal(SIGKILL);
  return ::testing::AssertionFailure() << "server did not start; it said:\n" << seen;
}

int ServerProcess::Signal(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

HttpReply Http(int port, const std::string& method, const std::string& target,
               const std::vector<std::pair<std::string, std::string>>& headers,
               const std::string& body) {
  HttpReply reply;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    reply.status = static_cast<int>(res.result_int());
    reply.body = res.body();
    reply.request_id = std::string(res["X-Request-Id"]);
  } catch (const std::exception&) {
    reply.status = 0;
  }
  return reply;
}

std::string CreateToken(const std::string& data_dir, const std::string& project) {
  const std::string cmd =
      PortatlasBin() + " token create --data-dir '" + data_dir + "' --project '" + project + "'";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), f)) out.append(buf, n);
  ::pclose(f);
  constexpr std::string_view kKey = "\"token\":\"";
  const size_t at = out.find(kKey);
  if (at == std::string::npos) return "";
  const size_t end = out.find('"', at + kKey.size());
  return end == std::string::npos ? "" : out.substr(at + kKey.size(), end - at - kKey.size());
}

}  // namespace portatlas::e2e
