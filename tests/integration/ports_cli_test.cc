// `portatlas ports` as an operator meets it: the risk knowledge base override and bad input.
// These tests need no root: they look only at a listener of their own in their own namespace.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "host_fixtures.h"
#include "port_records.h"
#include "process_runner.h"

namespace portatlas::itest {
namespace {

constexpr int kTimeoutMs = 30000;

class PortsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    ASSERT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof(sa);
    ASSERT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    port_ = ntohs(sa.sin_port);
    char dir[] = "/tmp/portatlas-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }

  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    if (!dir_.empty()) {
      std::remove((dir_ + "/kb.toml").c_str());
      ::rmdir(dir_.c_str());
    }
  }

  std::string WriteKb(const std::string& text) {
    const std::string path = dir_ + "/kb.toml";
    std::ofstream(path) << text;
    return path;
  }

  // Status of this test's listener in a run with `--risk-kb kb`.
  std::string StatusWith(const std::string& kb) {
    std::vector<PortRecord> records;
    EXPECT_TRUE(RunCollector("auto", &records, {"--risk-kb", kb}));
    std::vector<PortRecord> found =
        FindSocket(records, "TCP", "127.0.0.1", port_, NetnsInode("/proc/self/ns/net"));
    EXPECT_EQ(found.size(), 1u) << "port " << port_;
    return found.empty() ? "" : found[0].status;
  }

  int fd_ = -1;
  int port_ = 0;
  std::string dir_;
};

TEST_F(PortsCliTest, OperatorRiskKbDecidesStatus) {
  const std::string rule = "[[rule]]\nports = [\"tcp/" + std::to_string(port_) + "\"]\n";
  EXPECT_EQ(StatusWith(WriteKb(rule + "status = \"danger\"\n")), "danger");
  EXPECT_EQ(StatusWith(WriteKb(rule + "status = \"normal\"\n")), "normal");
  // "unknown" is accepted on input and printed the HSS way.
  EXPECT_EQ(StatusWith(WriteKb("replace = true\n" + rule + "status = \"unknown\"\n")), "unknow");
}

TEST_F(PortsCliTest, MalformedRiskKbStopsWithFileAndLine) {
  const std::string kb = WriteKb("[[rule]]\nports = [\"tcp/22\"]\nstatus = \"danger\n");
  CommandOutput out;
  ASSERT_TRUE(RunCommand({PortatlasBin(), "ports", "--json", "--risk-kb", kb}, kTimeoutMs, &out));
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.stdout_text, "");  // no partial inventory on bad configuration
  EXPECT_NE(out.stderr_text.find(kb), std::string::npos) << out.stderr_text;
  // toml11 quotes the offending line with its number: " 3 | status = \"danger".
  EXPECT_NE(out.stderr_text.find("3 | status"), std::string::npos) << out.stderr_text;
}

TEST_F(PortsCliTest, RiskKbWithBadValueIsRefused) {
  const std::string kb = WriteKb("[[rule]]\nports = [\"tcp/70000\"]\nstatus = \"danger\"\n");
  CommandOutput out;
  ASSERT_TRUE(RunCommand({PortatlasBin(), "ports", "--risk-kb", kb}, kTimeoutMs, &out));
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.stderr_text.find("tcp/70000"), std::string::npos) << out.stderr_text;
}

TEST_F(PortsCliTest, MissingRiskKbIsRefused) {
  CommandOutput out;
  ASSERT_TRUE(
      RunCommand({PortatlasBin(), "ports", "--risk-kb", dir_ + "/absent.toml"}, kTimeoutMs, &out));
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.stderr_text.find("absent.toml"), std::string::npos) << out.stderr_text;
}

TEST_F(PortsCliTest, UnknownBackendIsAUsageError) {
  CommandOutput out;
  ASSERT_TRUE(RunCommand({PortatlasBin(), "ports", "--backend", "ebpf"}, kTimeoutMs, &out));
  EXPECT_NE(out.exit_code, 0);
  EXPECT_EQ(out.stdout_text, "");
  EXPECT_NE(out.stderr_text.find("--backend"), std::string::npos) << out.stderr_text;
}

TEST_F(PortsCliTest, MissingServicesFileOnlyWarns) {
  std::vector<PortRecord> records;
  ASSERT_TRUE(RunCollector("auto", &records, {"--services", dir_ + "/no-services"}));
  for (const PortRecord& r : records) EXPECT_EQ(r.service, "") << Describe(r);
}

TEST_F(PortsCliTest, ServiceNamesComeFromServicesFile) {
  const std::string path = dir_ + "/services";
  std::ofstream(path) << "pa-test-svc " << port_ << "/tcp\n";
  std::vector<PortRecord> records;
  ASSERT_TRUE(RunCollector("auto", &records, {"--services", path}));
  std::remove(path.c_str());
  std::vector<PortRecord> found =
      FindSocket(records, "TCP", "127.0.0.1", port_, NetnsInode("/proc/self/ns/net"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].service, "pa-test-svc");
}

}  // namespace
}  // namespace portatlas::itest
