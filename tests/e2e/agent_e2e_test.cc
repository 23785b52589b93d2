// The whole chain on one machine: `portatlas serve` plus two agents with different host ids,
// each scoped to its own `ip netns` namespace of listeners this test opens, queried through the
// HSS APIs; then a listener closes, the agent reports again, and a close event is recorded.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "host_fixtures.h"
#include "listener_helpers.h"
#include "process_runner.h"
#include "server_process.h"

namespace portatlas::e2e {
namespace {

using itest::Listener;
using itest::ListenerSpec;
using itest::NetNs;
using itest::Transport;

using PortKey = std::tuple<std::string, int, std::string>;  // laddr, port, type

rapidjson::Document Json(const HttpReply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  return d;
}

class AgentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PORTATLAS_REQUIRE_ROOT();
    itest::DeleteStaleNamespaces();
    ASSERT_TRUE(NetNs::Create(itest::NamespacePrefix() + "e2ea", &ns_a_));
    ASSERT_TRUE(NetNs::Create(itest::NamespacePrefix() + "e2eb", &ns_b_));
    // Host A: TCP and UDP, IPv4 and IPv6, in namespace A. Host B: one TCP and one UDP6.
    Open(ns_a_, Transport::kTcp, "0.0.0.0", false, &a_);
    Open(ns_a_, Transport::kTcp, "::", true, &a_);
    Open(ns_a_, Transport::kUdp, "127.0.0.1", false, &a_);
    Open(ns_a_, Transport::kUdp, "::1", true, &a_);
    Open(ns_b_, Transport::kTcp, "127.0.0.1", false, &b_);
    Open(ns_b_, Transport::kUdp, "::", true, &b_);
    token_ = CreateToken(dir_.path(), "e2e");
    ASSERT_FALSE(token_.empty());
    ASSERT_TRUE(server_.Start(dir_.path()));
  }

  void Open(const std::unique_ptr<NetNs>& ns, Transport t, const std::string& addr, bool v6only,
            std::vector<std::unique_ptr<Listener>>* out) {
    ListenerSpec spec;
    spec.transport = t;
    spec.address = addr;
    spec.v6only = v6only;
    spec.netns_path = ns->path();
    std::unique_ptr<Listener> l;
    ASSERT_TRUE(Listener::Start(spec, &l));
    out->push_back(std::move(l));
  }

  // One `portatlas agent --once` scoped to `ns`, reporting as `host_id`.
  void RunAgent(const std::string& host_id, const NetNs& ns) {
    itest::CommandOutput out;
    ASSERT_TRUE(itest::RunCommandOk(
        {PortatlasBin(), "agent", "--server", server_.url(), "--token", token_, "--once",
         "--host-id", host_id, "--state-dir", dir_.path() + "/agent-" + host_id, "--netns",
         ns.name(), "--retry-for", "10"},
        60000, &out));
  }

  HttpReply Get(const std::string& target) {
    return Http(server_.port(), "GET", "/v5/e2e" + target, {{"X-Auth-Token", token_}});
  }

  static std::set<PortKey> Expected(const std::vector<std::unique_ptr<Listener>>& ls) {
    std::set<PortKey> keys;
    for (const auto& l : ls) keys.emplace(l->spec().address, l->port(), l->type());
    return keys;
  }

  // ListPorts of a host, as keys, checking the documented fields on the way.
  std::set<PortKey> ListPorts(const std::string& host_id,
                              const std::vector<std::unique_ptr<Listener>>& owners) {
    HttpReply r = Get("/asset/ports?limit=200&host_id=" + host_id);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.request_id.size(), 32u);
    rapidjson::Document d = Json(r);
    std::set<PortKey> keys;
    for (const auto& item : d["data_list"].GetArray()) {
      keys.emplace(item["laddr"].GetString(), item["port"].GetInt(), item["type"].GetString());
      EXPECT_STREQ(item["host_id"].GetString(), host_id.c_str());
      EXPECT_STREQ(item["path"].GetString(), itest::SelfExePath().c_str());
      EXPECT_STREQ(item["container_id"].GetString(), "");
      EXPECT_EQ(item["agent_id"].GetStringLength(), 64u);
      const int pid = item["pid"].GetInt();
      EXPECT_TRUE(
          std::any_of(owners.begin(), owners.end(), [&](const auto& l) { return l->pid() == pid; }))
          << "pid " << pid;
    }
    EXPECT_EQ(d["total_num"].GetInt(), static_cast<int>(keys.size()));
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<NetNs> ns_a_;
  std::unique_ptr<NetNs> ns_b_;
  std::vector<std::unique_ptr<Listener>> a_;
  std::vector<std::unique_ptr<Listener>> b_;
  std::string token_;
  ServerProcess server_;
};

TEST_F(AgentE2eTest, ApisReturnExactlyTheOpenedListenersAndRecordCloses) {
  RunAgent("host-a", *ns_a_);
  RunAgent("host-b", *ns_b_);
  EXPECT_EQ(ListPorts("host-a", a_), Expected(a_));
  EXPECT_EQ(ListPorts("host-b", b_), Expected(b_));

  // ListPortStatistics: one group per (port, type) the test opened, each on one host.
  std::set<std::tuple<int, std::string, int>> want_stats;
  for (const auto* group : {&a_, &b_}) {
    for (const auto& l : *group) want_stats.emplace(l->port(), l->type(), 1);
  }
  HttpReply stats = Get("/asset/port/statistics?limit=200");
  ASSERT_EQ(stats.status, 200) << stats.body;
  std::set<std::tuple<int, std::string, int>> got_stats;
  const rapidjson::Document stats_json = Json(stats);
  for (const auto& item : stats_json["data_list"].GetArray()) {
    got_stats.emplace(item["port"].GetInt(), item["type"].GetString(), item["num"].GetInt());
  }
  EXPECT_EQ(got_stats, want_stats);

  // ListPortHost: who has host B's TCP port open.
  const Listener& b_tcp = *b_[0];
  HttpReply detail = Get(fmt::format("/asset/ports/detail?port={}", b_tcp.port()));
  ASSERT_EQ(detail.status, 200) << detail.body;
  rapidjson::Document dd = Json(detail);
  ASSERT_EQ(dd["total_num"].GetInt(), 1);
  EXPECT_STREQ(dd["data_list"][0]["host_id"].GetString(), "host-b");
  EXPECT_STREQ(dd["data_list"][0]["type"].GetString(), "TCP");
  EXPECT_EQ(dd["data_list"][0]["pid"].GetInt(), b_tcp.pid());

  // Close host A's UDP6 socket; the next report drops it and records the close.
  const PortKey closed(a_[3]->spec().address, a_[3]->port(), a_[3]->type());
  ASSERT_TRUE(a_[3]->Stop());
  RunAgent("host-a", *ns_a_);
  std::set<PortKey> now = ListPorts("host-a", a_);
  EXPECT_FALSE(now.contains(closed));
  std::set<PortKey> want = Expected(a_);
  want.erase(closed);
  EXPECT_EQ(now, want);
  HttpReply events =
      Http(server_.port(), "GET", "/v1/events?host_id=host-a", {{"X-Auth-Token", token_}});
  ASSERT_EQ(events.status, 200) << events.body;
  int closes = 0;
  const rapidjson::Document events_json = Json(events);
  for (const auto& e : events_json["events"].GetArray()) {
    if (std::string(e["kind"].GetString()) != "close") continue;
    ++closes;
    EXPECT_EQ(PortKey(e["laddr"].GetString(), e["port"].GetInt(), e["type"].GetString()), closed);
  }
  EXPECT_EQ(closes, 1);
}

}  // namespace
}  // namespace portatlas::e2e
