// `portatlas scan` as a process: the allow-list refuses before scanning, and a loopback scan
// finds exactly the listener the test opened, written as JSON lines.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// The records of task `id` as "ip proto port state" lines (sorted by the server: ip, proto, port).
std::vector<std::string> TaskRecords(const ServerProcess& server, const std::string& token,
                                     int64_t id, rapidjson::Document* task = nullptr) {
  std::vector<std::string> out;
  HttpReply r = Http(server.port(), "GET", fmt::format("/v1/scan-tasks/{}/records?limit=10000", id),
                     {{"X-Auth-Token", token}});
  EXPECT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("records")) return out;
  for (const auto& rec : d["records"].GetArray()) {
    out.push_back(fmt::format("{} {} {} {}", rec["ip"].GetString(), rec["protocol"].GetString(),
                              rec["port"].GetInt(), rec["state"].GetString()));
  }
  if (task != nullptr) {
    HttpReply t =
        Http(server.port(), "GET", fmt::format("/v1/scan-tasks/{}", id), {{"X-Auth-Token", token}});
    EXPECT_EQ(t.status, 200) << t.body;
    task->Parse(t.body.c_str());
  }
  return out;
}

// "... into task N" from the import command's output.
int64_t TaskIdFrom(const std::string& out) {
  const size_t at = out.rfind("into task ");
  if (at == std::string::npos) return -1;
  return std::stoll(out.substr(at + 10));
}

TEST(ImportCliTest, NmapXmlAndMasscanJsonBecomeScanTasks) {
  TempDir dir;
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.path()));
  const std::string token = CreateToken(dir.path(), "0");
  ASSERT_FALSE(token.empty());
  const std::string testdata = PORTATLAS_FORMATS_TESTDATA;

  // A real nmap 7.93 -sS -sU run (loopback): open TCP and UDP ports; closed ones left out.
  CmdRun nmap = Portatlas(fmt::format("import {}/nmap-7.93-su.xml --server {} --token {}", testdata,
                                      server.url(), token));
  ASSERT_EQ(nmap.status, 0) << nmap.out;
  rapidjson::Document task;
  const auto nmap_records = TaskRecords(server, token, TaskIdFrom(nmap.out), &task);
  EXPECT_EQ(nmap_records,
            (std::vector<std::string>{"127.0.0.1 tcp 12222 open", "127.0.0.1 tcp 18080 open",
                                      "127.0.0.1 udp 18053 open"}));
  EXPECT_STREQ(task["kind"].GetString(), "import-nmap");
  EXPECT_STREQ(task["status"].GetString(), "done");

  // masscan's JSON array, format detected from the content.
  CmdRun masscan = Portatlas(fmt::format("import {}/masscan-1.3.json --server {} --token {}",
                                         testdata, server.url(), token));
  ASSERT_EQ(masscan.status, 0) << masscan.out;
  const auto masscan_records = TaskRecords(server, token, TaskIdFrom(masscan.out), &task);
  EXPECT_EQ(masscan_records,
            (std::vector<std::string>{"198.18.0.1 tcp 22 open", "198.18.0.1 tcp 443 open",
                                      "198.18.0.2 tcp 80 open", "198.18.0.3 udp 53 open",
                                      "2001:2::5 tcp 8080 open"}));
  EXPECT_STREQ(task["kind"].GetString(), "import-masscan");
}

TEST(ImportCliTest, BadFilesAreRefusedAndNothingIsCreated) {
  TempDir dir;
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.path()));
  const std::string token = CreateToken(dir.path(), "0");
  const std::string bad = dir.path() + "/bad.xml";
  std::ofstream(bad) << "<nmaprun><host><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/>"
                        "<ports><port protocol=\"tcp\" portid=\"70000\">";
  CmdRun r = Portatlas(fmt::format("import {} --server {} --token {}", bad, server.url(), token));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("nmap XML"), std::string::npos) << r.out;
  const std::string text = dir.path() + "/notes.txt";
  std::ofstream(text) << "hello";
  r = Portatlas(fmt::format("import {} --server {} --token {}", text, server.url(), token));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("neither nmap XML nor masscan JSON"), std::string::npos) << r.out;
  r = Portatlas(fmt::format("import {}/masscan-1.3.json --server {} --token wrong",
                            PORTATLAS_FORMATS_TESTDATA, server.url()));
  EXPECT_EQ(r.status, 2) << r.out;
  HttpReply list = Http(server.port(), "GET", "/v1/scan-tasks", {{"X-Auth-Token", token}});
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"total\":0"), std::string::npos) << list.body;
}

TEST(ScanCliTest, ScanReportsToTheServerAsATask) {
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
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.path()));
  const std::string token = CreateToken(dir.path(), "0");
  CmdRun r = Portatlas(fmt::format("scan -p {}-{} 127.0.0.1 --server {} --token {} --task nightly",
                                   port - 20, port + 20, server.url(), token));
  ::close(fd);
  ASSERT_EQ(r.status, 0) << r.out;
  const size_t at = r.out.find("as task ");
  ASSERT_NE(at, std::string::npos) << r.out;
  rapidjson::Document task;
  const auto records = TaskRecords(server, token, std::stoll(r.out.substr(at + 8)), &task);
  EXPECT_EQ(records, std::vector<std::string>{fmt::format("127.0.0.1 tcp {} open", port)});
  EXPECT_STREQ(task["name"].GetString(), "nightly");
  EXPECT_STREQ(task["kind"].GetString(), "connect");
  EXPECT_STREQ(task["status"].GetString(), "done");
  EXPECT_EQ(task["probes_total"].GetInt(), 41);
  EXPECT_EQ(task["probes_done"].GetInt(), 41);
  EXPECT_EQ(task["open_count"].GetInt(), 1);
}

// Ctrl-C saves where the scan stopped; the same command with the same --resume file goes on from
// there (not from the start), and a finished scan removes the file.
TEST(ScanCliTest, InterruptedScanResumesFromItsStateFile) {
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
  const std::string state = dir.path() + "/scan.resume";
  const std::string out = dir.path() + "/open.json";
  const std::vector<std::string> args = {
      PortatlasBin(), "scan", "-p",  "1-65535", "--max-in-flight", "2",
      "--resume",     state,  "-oJ", out,       "127.0.0.1",       "::1"};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::usleep(400 * 1000);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << "the scan finished before the interrupt";
  std::ifstream saved(state);
  std::stringstream text;
  text << saved.rdbuf();
  ASSERT_NE(text.str().find("\"tcp_next\":"), std::string::npos) << text.str();

  std::string cmd;
  for (size_t i = 1; i < args.size(); ++i) cmd += args[i] + " ";
  CmdRun second = Portatlas(cmd);
  ::close(fd);
  ASSERT_EQ(second.status, 0) << second.out;
  const size_t at = second.out.find("resuming from");
  ASSERT_NE(at, std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("(tcp 0,"), std::string::npos) << "did not go on: " << second.out;
  EXPECT_NE(::access(state.c_str(), F_OK), 0) << "a finished scan keeps its resume file";
  // The two runs together found the listener (both wrote to the same -oJ file).
  std::ifstream in(out);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    if (line.find(fmt::format("\"port\":{},", port)) != std::string::npos) ++found;
  }
  EXPECT_GE(found, 1);
  // A state file of another scan is refused.
  std::ofstream(state) << R"({"fingerprint":"00","seed":1,"tcp_next":5,"udp_next":0})";
  CmdRun other = Portatlas(cmd);
  EXPECT_EQ(other.status, 2) << other.out;
  EXPECT_NE(other.out.find("belongs to another scan"), std::string::npos) << other.out;
}

}  // namespace
}  // namespace portatlas::e2e
