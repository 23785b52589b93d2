#include "ss_records.h"

#include <cstdlib>
#include <sstream>
#include <vector>

#include "process_runner.h"

namespace portatlas::itest {
namespace {

constexpr int kSsTimeoutMs = 30000;

// Returns the lowest "pid=N" in the users:(...) text, or 0 when there is none.
int LowestPid(std::string_view process) {
  int lowest = 0;
  for (size_t at = process.find("pid="); at != std::string_view::npos;
       at = process.find("pid=", at + 4)) {
    int pid = std::atoi(std::string(process.substr(at + 4, 12)).c_str());
    if (pid > 0 && (lowest == 0 || pid < lowest)) lowest = pid;
  }
  return lowest;
}

// Splits "[::1]%lo:53", "127.0.0.53%lo:53", "*:22" into address and port.
bool SplitLocal(std::string_view local, bool ipv6, std::string* laddr, int* port) {
  size_t colon = local.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= local.size()) return false;
  std::string port_text(local.substr(colon + 1));
  char* end = nullptr;
  long value = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || value < 0 || value > 65535) return false;
  std::string_view addr = local.substr(0, colon);
  if (size_t percent = addr.find('%'); percent != std::string_view::npos) {
    addr = addr.substr(0, percent);
  }
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
    addr = addr.substr(1, addr.size() - 2);
  }
  if (addr.empty()) return false;
  *laddr = addr == "*" ? (ipv6 ? "::" : "0.0.0.0") : std::string(addr);
  *port = static_cast<int>(value);
  return true;
}

}  // namespace

std::string Describe(const SocketKey& key) {
  std::ostringstream text;
  text << key.type << " " << (key.laddr.find(':') != std::string::npos ? "[" : "") << key.laddr
       << (key.laddr.find(':') != std::string::npos ? "]" : "") << ":" << key.port
       << " pid=" << key.pid;
  return text.str();
}

::testing::AssertionResult ParseSsOutput(std::string_view text, bool ipv6,
                                         std::set<SocketKey>* out) {
  out->clear();
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string netid, state, recv_q, send_q, local, peer;
    if (!(fields >> netid >> state >> recv_q >> send_q >> local >> peer)) {
      return ::testing::AssertionFailure() << "short ss line: " << line;
    }
    std::string process;
    std::getline(fields, process);
    SocketKey key;
    if (netid == "tcp") {
      key.type = "TCP";
    } else if (netid == "udp") {
      key.type = "UDP";
    } else {
      return ::testing::AssertionFailure() << "unexpected netid in ss line: " << line;
    }
    if (ipv6) key.type += "6";
    if (!SplitLocal(local, ipv6, &key.laddr, &key.port)) {
      return ::testing::AssertionFailure() << "unreadable local address in ss line: " << line;
    }
    key.pid = LowestPid(process);
    out->insert(std::move(key));
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RunSs(std::set<SocketKey>* out) {
  out->clear();
  const std::string ss = FindTool("ss");
  if (ss.empty()) return ::testing::AssertionFailure() << "the ss tool (iproute2) is missing";
  for (bool ipv6 : {false, true}) {
    CommandOutput output;
    ::testing::AssertionResult ran =
        RunCommandOk({ss, "-tulpnH", ipv6 ? "-6" : "-4"}, kSsTimeoutMs, &output);
    if (!ran) return ran;
    std::set<SocketKey> keys;
    ::testing::AssertionResult parsed = ParseSsOutput(output.stdout_text, ipv6, &keys);
    if (!parsed) return parsed;
    out->insert(keys.begin(), keys.end());
  }
  return ::testing::AssertionSuccess();
}

std::set<SocketKey> KeysInNetns(const std::vector<PortRecord>& records, uint64_t netns) {
  std::set<SocketKey> keys;
  for (const PortRecord& r : records) {
    if (r.netns == netns) keys.insert({r.type, r.laddr, r.port, r.pid});
  }
  return keys;
}

}  // namespace portatlas::itest
