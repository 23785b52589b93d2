// The traffic collector against the real server, as processes on 127.0.0.1 (issue 14,
// acceptance 4): NetFlow v5 datagrams of known totals; the server stopped for a while; the
// collector killed with SIGKILL and restarted on its state directory, twice; in the end the
// server holds every flow exactly once: nothing acknowledged lost, nothing counted twice.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "flow/export_builder.h"
#include "server_process.h"

namespace portatlas::e2e {
namespace {

constexpr int kRecordsPerDatagram = 30;
constexpr uint32_t kBytesPerRecord = 1000;

// `portatlas flow` as a child process, its stderr in a file.
class CollectorProcess {
 public:
  ~CollectorProcess() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  void Start(int udp_port, const std::string& server, const std::string& token,
             const std::string& state_dir, const std::string& log) {
    const std::vector<std::string> args = {
        PortatlasBin(),     "flow",
        "--listen",         "udp://127.0.0.1:" + std::to_string(udp_port),
        "--server",         server,
        "--token",          token,
        "--state-dir",      state_dir,
        "--internet",       "198.19.0.0/16",
        "--flush-interval", "1",
        "--drain-timeout",  "5"};
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  int Signal(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

int FreeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `n` datagrams of kRecordsPerDatagram flows each, 198.19.0.X -> 198.18.0.2:443.
void Export(int udp_port, int n, uint32_t* sequence) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(udp_port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const uint32_t now = static_cast<uint32_t>(::time(nullptr));
  for (int i = 0; i < n; ++i) {
    std::vector<flow::V5Record> records(kRecordsPerDatagram);
    std::vector<std::string> sources;
    for (int r = 0; r < kRecordsPerDatagram; ++r)
      sources.push_back("198.19.0." + std::to_string(r + 1));
    for (int r = 0; r < kRecordsPerDatagram; ++r) {
      records[static_cast<size_t>(r)] = {sources[static_cast<size_t>(r)],
                                         "198.18.0.2",
                                         static_cast<uint16_t>(40000 + r),
                                         443,
                                         6,
                                         0x1b,
                                         10,
                                         kBytesPerRecord,
                                         1000,
                                         2000};
    }
    const std::vector<uint8_t> d = flow::BuildV5(now, 5000, *sequence, 0, records);
    *sequence += kRecordsPerDatagram;
    ASSERT_EQ(::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(d.size()));
  }
  ::close(fd);
}

size_t SpoolFiles(const std::string& state) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state + "/spool", ec)) {
    n += e.path().extension() == ".json" ? 1 : 0;
  }
  return n;
}

struct Totals {
  uint64_t bytes_in = 0;
  uint64_t flows = 0;
};

Totals ServerTotals(const ServerProcess& server, const std::string& token) {
  HttpReply r = Http(server.port(), "GET", "/v1/traffic?limit=10000", {{"X-Auth-Token", token}});
  Totals t;
  if (r.status != 200) return t;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  for (const auto& rec : doc["records"].GetArray()) {
    t.bytes_in += rec["bytes_in"].GetUint64();
    t.flows += rec["flows"].GetUint64();
  }
  return t;
}

size_t LogCount(const std::string& log, const std::string& what) {
  std::string text;
  if (FILE* f = std::fopen(log.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof(buf), f)) text.append(buf, n);
    std::fclose(f);
  }
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

template <typename Fn>
bool Eventually(Fn&& fn, int seconds = 30) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

TEST(FlowE2eTest, KilledCollectorsAndAnAbsentServerCountEveryFlowOnce) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string state = dir.path() + "/state";
  const std::string log = dir.path() + "/flow.log";
  auto server = std::make_unique<ServerProcess>();
  ASSERT_TRUE(server->Start(data));
  const std::string token = CreateToken(data, "p");
  ASSERT_FALSE(token.empty());
  const int udp = FreeUdpPort();
  uint32_t sequence = 0;
  const uint64_t per_round = uint64_t{10} * kRecordsPerDatagram;

  // 1. Delivered while everything runs.
  auto c1 = std::make_unique<CollectorProcess>();
  c1->Start(udp, server->url(), token, state, log);
  // Its socket is bound once it says so; datagrams before that would be lost on the way.
  ASSERT_TRUE(Eventually([&] { return LogCount(log, "collecting on") >= 1; }));
  Export(udp, 10, &sequence);
  ASSERT_TRUE(Eventually([&] { return ServerTotals(*server, token).flows == per_round; }));

  // 2. The server goes away; the collector spools, then dies without warning.
  server->Signal(SIGKILL);  // down without warning, too
  Export(udp, 10, &sequence);
  ASSERT_TRUE(Eventually([&] { return SpoolFiles(state) >= 1; }));
  c1->Signal(SIGKILL);
  // Kept aside: put back later, it plays a batch whose acknowledgement was lost.
  std::filesystem::path saved;
  for (const auto& e : std::filesystem::directory_iterator(state + "/spool")) {
    if (e.path().extension() == ".json") saved = e.path();
  }
  ASSERT_FALSE(saved.empty());
  std::filesystem::copy_file(saved, dir.path() + "/saved.json");

  // 3. A new collector on the same state: it keeps the spool, adds to it, and dies too.
  auto c2 = std::make_unique<CollectorProcess>();
  c2->Start(udp, server->url(), token, state, log);
  const size_t before = SpoolFiles(state);
  ASSERT_TRUE(Eventually([&] { return LogCount(log, "collecting on") >= 2; }));
  Export(udp, 10, &sequence);
  ASSERT_TRUE(Eventually([&] { return SpoolFiles(state) > before; }));
  c2->Signal(SIGKILL);

  // 4. The server is back (on a new port, the same data); a third collector sends the spool.
  server = std::make_unique<ServerProcess>();
  ASSERT_TRUE(server->Start(data));
  auto c3 = std::make_unique<CollectorProcess>();
  c3->Start(udp, server->url(), token, state, log);
  ASSERT_TRUE(Eventually([&] { return SpoolFiles(state) == 0; }));
  Totals t = ServerTotals(*server, token);
  EXPECT_EQ(t.flows, 3 * per_round);
  EXPECT_EQ(t.bytes_in, 3 * per_round * kBytesPerRecord);
  // 5. Killed once more, with a delivered batch back in its spool (as if its acknowledgement had
  // been lost before the file was removed): the restarted collector sends it again, and the
  // server counts it once.
  c3->Signal(SIGKILL);
  std::filesystem::copy_file(dir.path() + "/saved.json", saved);
  auto c4 = std::make_unique<CollectorProcess>();
  c4->Start(udp, server->url(), token, state, log);
  ASSERT_TRUE(Eventually([&] { return SpoolFiles(state) == 0; }));
  ASSERT_TRUE(Eventually([&] { return LogCount(log, "collecting on") >= 4; }));
  EXPECT_EQ(c4->Signal(SIGTERM), 0);
  EXPECT_GE(LogCount(log, "1 duplicates"), 1u) << "the resent batch was not a duplicate";
  t = ServerTotals(*server, token);
  EXPECT_EQ(t.flows, 3 * per_round);
  EXPECT_EQ(t.bytes_in, 3 * per_round * kBytesPerRecord);
}

}  // namespace
}  // namespace portatlas::e2e
