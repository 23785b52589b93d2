// A real `portatlas serve` child process for end-to-end tests, and a tiny HTTP client to it.
// The server listens on 127.0.0.1 port 0; the bound port is read from its start-up line.
#ifndef PORTATLAS_TESTS_E2E_SERVER_PROCESS_H_
#define PORTATLAS_TESTS_E2E_SERVER_PROCESS_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace portatlas::e2e {

// The binary under test (set by CMake).
std::string PortatlasBin();

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `portatlas serve --data-dir DIR --listen 127.0.0.1:0 [extra...]` and waits (with a
  // deadline) until it reports its port.
  ::testing::AssertionResult Start(const std::string& data_dir,
                                   const std::vector<std::string>& extra = {});
  // Sends `sig` and reaps the process; returns its wait status.
  int Signal(int sig);
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct HttpReply {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::string request_id;
};

// One request on a fresh connection to 127.0.0.1:port, 10 s timeout.
HttpReply Http(int port, const std::string& method, const std::string& target,
               const std::vector<std::pair<std::string, std::string>>& headers,
               const std::string& body = "");

// Runs `portatlas token create --data-dir DIR --project P` and returns the token ("" on failure).
std::string CreateToken(const std::string& data_dir, const std::string& project);

}  // namespace portatlas::e2e

#endif  // PORTATLAS_TESTS_E2E_SERVER_PROCESS_H_
