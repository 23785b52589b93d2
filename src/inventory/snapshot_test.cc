#include "inventory/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/sqlite/port_index.h"

namespace portatlas::inventory {
namespace {

using store::EventKind;
using store::PortKey;

class SnapshotTest : public testing::Test {
 protected:
  void SetUp() override {
    auto kb = RiskKb::BuiltIn();
    ASSERT_TRUE(kb);
    kb_ = std::move(*kb);
    services_ = ServicesDb::Parse("ssh 22/tcp\nredis 6379/tcp\n");
  }

  static SnapshotPort P(uint16_t port, int pid, std::string path = "/usr/sbin/sshd",
                        std::string container = "") {
    SnapshotPort p;
    p.key = {1, "0.0.0.0", port, SockType::kTcp};
    p.pid = pid;
    p.sharers = 1;
    p.path = std::move(path);
    p.container_id = std::move(container);
    return p;
  }

  HostSnapshot Snap(int64_t seq, std::vector<SnapshotPort> ports) {
    HostSnapshot s;
    s.project = "p";
    s.host_id = "h";
    s.agent_id = "a";
    s.collected_at_ms = 1000 * seq;
    s.seq = seq;
    s.ports = std::move(ports);
    return s;
  }

  // Applies `ch` to an in-memory copy of the host's rows, as the store would.
  void Apply(const HostChange& ch) {
    if (!ch.result.applied) return;
    host_ = ch.host;
    for (const PortKey& k : ch.remove) {
      std::erase_if(rows_, [&](const store::PortRow& r) { return r.key == k; });
    }
    for (const store::PortRow& r : ch.put) {
      std::erase_if(rows_, [&](const store::PortRow& x) { return x.key == r.key; });
      rows_.push_back(r);
    }
  }

  HostChange Diff(const HostSnapshot& s) {
    before_ = rows_;
    return DiffSnapshot(host_, rows_, s, kb_, services_);
  }

  // What the change does to the aggregates, as the store derives it.
  std::vector<store::StatDelta> Deltas(const HostChange& ch) const {
    return store::StatDeltas(before_, ch.put);
  }

  RiskKb kb_;
  ServicesDb services_;
  std::optional<store::HostRow> host_;
  std::vector<store::PortRow> rows_;
  std::vector<store::PortRow> before_;
};

TEST_F(SnapshotTest, FirstSnapshotOpensEverything) {
  HostChange ch = Diff(Snap(1, {P(22, 10), P(6379, 11, "/usr/bin/redis-server")}));
  EXPECT_TRUE(ch.result.applied);
  EXPECT_EQ(ch.result.opened, 2);
  EXPECT_EQ(ch.events.size(), 2u);
  ASSERT_EQ(ch.put.size(), 2u);
  EXPECT_EQ(ch.put[0].service, "ssh");
  EXPECT_EQ(ch.put[0].status, RiskStatus::kNormal);
  EXPECT_EQ(ch.put[1].status, RiskStatus::kDanger);
  EXPECT_EQ(ch.put[0].first_seen_ms, 1000);
  EXPECT_EQ(ch.host.first_seen_ms, 1000);
  ASSERT_EQ(Deltas(ch).size(), 2u);
  EXPECT_EQ(Deltas(ch)[0].num, 1);
  EXPECT_EQ(Deltas(ch)[1].danger, 1);
}

TEST_F(SnapshotTest, MissingPortClosesAndKeepsFirstSeen) {
  Apply(Diff(Snap(1, {P(22, 10), P(6379, 11)})));
  HostChange ch = Diff(Snap(2, {P(22, 10)}));
  EXPECT_EQ(ch.result.closed, 1);
  EXPECT_EQ(ch.result.opened, 0);
  ASSERT_EQ(ch.remove.size(), 1u);
  EXPECT_EQ(ch.remove[0].port, 6379);
  ASSERT_EQ(ch.events.size(), 1u);
  EXPECT_EQ(ch.events[0].kind, EventKind::kClose);
  EXPECT_EQ(ch.events[0].at_ms, 2000);
  ASSERT_EQ(ch.put.size(), 1u);
  EXPECT_EQ(ch.put[0].first_seen_ms, 1000);
  EXPECT_EQ(ch.put[0].last_seen_ms, 2000);
  EXPECT_EQ(ch.host.first_seen_ms, 1000);
  ASSERT_EQ(Deltas(ch).size(), 1u);
  EXPECT_EQ(Deltas(ch)[0].num, -1);
  EXPECT_EQ(Deltas(ch)[0].danger, -1);
}

TEST_F(SnapshotTest, NewPidAloneIsNoEventButNewPathIs) {
  Apply(Diff(Snap(1, {P(22, 10)})));
  HostChange restart = Diff(Snap(2, {P(22, 99)}));
  EXPECT_TRUE(restart.events.empty());
  EXPECT_TRUE(Deltas(restart).empty());
  EXPECT_EQ(restart.put[0].pid, 99);
  Apply(restart);
  HostChange swapped = Diff(Snap(3, {P(22, 99, "/tmp/.x/sshd")}));
  ASSERT_EQ(swapped.events.size(), 1u);
  EXPECT_EQ(swapped.events[0].kind, EventKind::kChange);
  EXPECT_EQ(swapped.events[0].old_path, "/usr/sbin/sshd");
  EXPECT_EQ(swapped.events[0].path, "/tmp/.x/sshd");
  EXPECT_EQ(swapped.result.changed, 1);
}

TEST_F(SnapshotTest, StaleSeqIsAcknowledgedNotApplied) {
  Apply(Diff(Snap(5, {P(22, 10)})));
  for (int64_t seq : {5, 4, 0}) {
    HostChange ch = Diff(Snap(seq, {}));
    EXPECT_TRUE(ch.result.stale) << seq;
    EXPECT_FALSE(ch.result.applied);
    EXPECT_TRUE(ch.remove.empty());
  }
  HostSnapshot reinstall = Snap(1, {});
  reinstall.agent_id = "new-install";
  EXPECT_TRUE(Diff(reinstall).result.applied);
}

TEST_F(SnapshotTest, ReuseportGroupMergesIntoOnePort) {
  HostChange ch =
      Diff(Snap(1, {P(80, 300, "/usr/sbin/nginx"), P(80, 200, "/usr/sbin/nginx"), P(80, 0, "")}));
  ASSERT_EQ(ch.put.size(), 1u);
  EXPECT_EQ(ch.put[0].pid, 200);
  EXPECT_EQ(ch.put[0].sharers, 3);
  EXPECT_EQ(ch.result.ports, 1);
  ASSERT_EQ(Deltas(ch).size(), 1u);
  EXPECT_EQ(Deltas(ch)[0].sockets, 1);
}

TEST_F(SnapshotTest, ContainersAreCountedPerContainer) {
  const std::string c1(64, 'a');
  const std::string c2(64, 'b');
  SnapshotPort a = P(6379, 1, "/r", c1);
  SnapshotPort b = P(6379, 2, "/r", c2);
  b.key.netns = 2;
  SnapshotPort c = P(6379, 3, "/r", c2);
  c.key.netns = 2;
  c.key.laddr = "127.0.0.1";
  HostChange ch = Diff(Snap(1, {a, b, c}));
  ASSERT_EQ(Deltas(ch).size(), 1u);
  EXPECT_EQ(Deltas(ch)[0].category, store::Category::kContainer);
  EXPECT_EQ(Deltas(ch)[0].num, 2);      // two containers
  EXPECT_EQ(Deltas(ch)[0].sockets, 3);  // three port records
}

TEST_F(SnapshotTest, EmptySnapshotClosesAll) {
  Apply(Diff(Snap(1, {P(22, 10), P(6379, 11)})));
  HostChange ch = Diff(Snap(2, {}));
  EXPECT_EQ(ch.result.closed, 2);
  EXPECT_TRUE(ch.put.empty());
  EXPECT_EQ(Deltas(ch).size(), 2u);
}

}  // namespace
}  // namespace portatlas::inventory
