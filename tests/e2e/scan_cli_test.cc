// `portatlas scan` as a process: the allow-list refuses before scanning, and a loopback scan
// finds exactly the listener the test opened, written as JSON lines.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "server_process.h"

namespace portatlas::e2e {
namespace {

struct CmdRun {
  int status = -1;
  std::string out;  // stdout and stderr
};

CmdRun Portatlas(const std::string& args) {
  CmdRun r;
  const std::string cmd = PortatlasBin() + " " + args + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), f)) r.out.append(buf, n);
  const int st = ::pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(ScanCliTest, TargetOutsideTheAllowListIsRefused) {
  for (const char* target : {"198.18.0.1", "127.0.0.1,198.18.0.0/30", "2001:2::1"}) {
    CmdRun r = Portatlas(std::string("scan -p 22 ") + target);
    EXPECT_EQ(r.status, 2) << target << ": " << r.out;
    EXPECT_NE(r.out.find("outside the allow-list"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("addresses x"), std::string::npos) << "it scanned: " << r.out;
  }
  // Widened by the operator, the same check passes (the scan itself is of loopback only).
  CmdRun ok = Portatlas("scan -p 1 --allow 198.18.0.0/15 127.0.0.1");
  EXPECT_EQ(ok.status, 0) << ok.out;
  CmdRun bad = Portatlas("scan -p 1 --allow 198.18.0.0/99 127.0.0.1");
  EXPECT_EQ(bad.status, 2) << bad.out;
  CmdRun ports = Portatlas("scan -p 70000 127.0.0.1");
  EXPECT_EQ(ports.status, 2) << ports.out;
}

TEST(ScanCliTest, FindsTheListenerAsJsonLines) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sin), len), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  const int port = ntohs(sin.sin_port);
  TempDir dir;
  const std::string out = dir.path() + "/open.json";
  CmdRun r = Portatlas(fmt::format("scan -p {}-{} -oJ {} 127.0.0.1", port - 50, port + 50, out));
  ::close(fd);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(out);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    ASSERT_FALSE(d.HasParseError()) << line;
    EXPECT_STREQ(d["ip"].GetString(), "127.0.0.1");
    EXPECT_STREQ(d["protocol"].GetString(), "tcp");
    EXPECT_STREQ(d["state"].GetString(), "open");
    EXPECT_STREQ(d["reason"].GetString(), "syn-ack");
    EXPECT_GT(d["updated_at"].GetInt64(), 1700000000000);
    if (d["port"].GetInt() == port) ++found;
  }
  EXPECT_EQ(found, 1) << r.out;
}

}  // namespace
}  // namespace portatlas::e2e
