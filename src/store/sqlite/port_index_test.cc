#include "store/sqlite/port_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>

namespace portatlas::store {
namespace {

TEST(PortsContainingTest, MatchesBruteForce) {
  for (std::string digits : {"0", "8", "80", "08", "443", "65535", "65536", "99999", "00", "1"}) {
    std::vector<uint16_t> want;
    for (int p = 1; p <= 65535; ++p) {
      if (std::to_string(p).find(digits) != std::string::npos) {
        want.push_back(static_cast<uint16_t>(p));
      }
    }
    EXPECT_EQ(PortsContaining(digits), want) << digits;
  }
  EXPECT_TRUE(PortsContaining("").empty());
  EXPECT_TRUE(PortsContaining("8a").empty());
  EXPECT_TRUE(PortsContaining("123456").empty());
  EXPECT_EQ(PortsContaining("80").size(), 1899u);
}

PortRow Row(const std::string& project, const std::string& host, const std::string& eps,
            uint16_t port, SockType type, std::string container, RiskStatus st,
            std::string laddr = "0.0.0.0") {
  PortRow r;
  r.project = project;
  r.host_id = host;
  r.eps = eps;
  r.key = {1, std::move(laddr), port, type};
  r.container_id = std::move(container);
  r.status = st;
  return r;
}

TEST(StatDeltasTest, CountsEntitiesNotSockets) {
  const std::vector<PortRow> after = {
      Row("p", "h", "0", 6379, SockType::kTcp, "c1", RiskStatus::kDanger),
      Row("p", "h", "0", 6379, SockType::kTcp, "c2", RiskStatus::kNormal),
      Row("p", "h", "0", 6379, SockType::kTcp, "c2", RiskStatus::kDanger, "127.0.0.1"),
      Row("p", "h", "0", 22, SockType::kTcp, "", RiskStatus::kNormal),
      Row("p", "h", "0", 22, SockType::kTcp, "", RiskStatus::kUnknow, "::1"),
  };
  auto d = StatDeltas({}, after);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].category, Category::kHost);  // host before container
  EXPECT_EQ(d[0].num, 1);                     // one host, two sockets
  EXPECT_EQ(d[0].sockets, 2);
  EXPECT_EQ(d[0].normal, 1);
  EXPECT_EQ(d[1].category, Category::kContainer);
  EXPECT_EQ(d[1].num, 2);
  EXPECT_EQ(d[1].danger, 2);  // c2's worst is danger
  EXPECT_EQ(d[1].normal, 0);
  EXPECT_EQ(d[1].sockets, 3);
  EXPECT_TRUE(StatDeltas(after, after).empty());
  auto gone = StatDeltas(after, {});
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[1].num, -2);
}

// A model of the inventory: every host's port set, answered by brute force.
struct Model {
  std::map<int64_t, std::pair<HostRow, std::vector<PortRow>>> hosts;

  QueryResult<PortStatRow> Statistics(const PortStatQuery& q) const {
    // (port, type) -> entity -> worst status
    std::map<std::pair<uint16_t, SockType>, std::map<std::string, RiskStatus>> groups;
    for (const auto& [ref, h] : hosts) {
      for (const PortRow& p : h.second) {
        if (p.project != q.project || p.category() != q.category ||
            std::find(q.eps.begin(), q.eps.end(), p.eps) == q.eps.end()) {
          continue;
        }
        if (q.port && p.key.port != *q.port) continue;
        if (!q.port_substring.empty() &&
            std::to_string(p.key.port).find(q.port_substring) == std::string::npos) {
          continue;
        }
        if (q.type && p.key.type != *q.type) continue;
        auto& e = groups[{p.key.port, p.key.type}];
        const std::string entity = std::to_string(ref) + "/" + p.container_id;
        auto [it, fresh] = e.try_emplace(entity, p.status);
        if (!fresh) it->second = std::max(it->second, p.status);
      }
    }
    std::vector<PortStatRow> rows;
    for (const auto& [key, entities] : groups) {
      RiskStatus worst = RiskStatus::kUnknow;
      for (const auto& [e, st] : entities) worst = std::max(worst, st);
      if (q.status && worst != *q.status) continue;
      rows.push_back({key.first, key.second, static_cast<int64_t>(entities.size()), worst});
    }
    if (q.descending) {
      std::stable_sort(rows.begin(), rows.end(),
                       [](const PortStatRow& a, const PortStatRow& b) { return a.port > b.port; });
    }
    QueryResult<PortStatRow> out;
    out.total = static_cast<int64_t>(rows.size());
    for (size_t i = static_cast<size_t>(q.page.offset);
         i < rows.size() && out.rows.size() < static_cast<size_t>(q.page.limit); ++i) {
      out.rows.push_back(rows[i]);
    }
    return out;
  }

  // ListPortHost as (ref, laddr) pairs, in order: type, host ref, the host's own order.
  std::pair<int64_t, std::vector<std::pair<int64_t, std::string>>> PortHosts(
      const PortHostQuery& q) const {
    std::vector<std::tuple<SockType, int64_t, size_t, std::string>> all;
    for (const auto& [ref, h] : hosts) {
      if (h.first.project != q.project ||
          std::find(q.eps.begin(), q.eps.end(), h.first.eps) == q.eps.end() ||
          h.first.host_name.find(q.host_name) == std::string::npos) {
        continue;
      }
      for (size_t i = 0; i < h.second.size(); ++i) {
        const PortRow& p = h.second[i];
        if (p.key.port != q.port || (q.type && p.key.type != *q.type) ||
            (q.category && p.category() != *q.category)) {
          continue;
        }
        all.emplace_back(p.key.type, ref, i, p.key.laddr);
      }
    }
    std::sort(all.begin(), all.end());
    std::vector<std::pair<int64_t, std::string>> page;
    for (size_t i = static_cast<size_t>(q.page.offset);
         i < all.size() && page.size() < static_cast<size_t>(q.page.limit); ++i) {
      page.emplace_back(std::get<1>(all[i]), std::get<3>(all[i]));
    }
    return {static_cast<int64_t>(all.size()), page};
  }
};

// Expands a plan into (ref, laddr) pairs using the model's rows, as the store does.
std::vector<std::pair<int64_t, std::string>> Expand(const Model& m, const PortHostQuery& q,
                                                    const PortIndex::HostPlan& plan) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& s : plan.slices) {
    int64_t n = 0;
    for (const PortRow& p : m.hosts.at(s.ref).second) {
      if (p.key.port != q.port || p.key.type != s.type ||
          (q.category && p.category() != *q.category)) {
        continue;
      }
      if (n++ < s.skip) continue;
      if (n > s.skip + s.take) break;
      out.emplace_back(s.ref, p.key.laddr);
    }
  }
  return out;
}

TEST(PortIndexTest, AgreesWithBruteForceThroughReplacements) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<uint16_t> ports = {22, 80, 443, 8080, 180, 53, 6379, 65535, 1};
  const std::vector<std::string> eps = {"0", "e1", "e2"};
  const std::vector<std::string> laddrs = {"0.0.0.0", "127.0.0.1", "::", "::1"};
  PortIndex index;
  Model model;
  for (int round = 0; round < 400; ++round) {
    const int64_t ref = 1 + pick(40);
    HostRow h;
    h.project = pick(5) == 0 ? "other" : "p";
    auto old = model.hosts.find(ref);
    if (old != model.hosts.end()) h.project = old->second.first.project;  // ids keep projects
    h.host_id = "h" + std::to_string(ref);
    h.eps = eps[static_cast<size_t>(pick(3))];
    h.host_name = pick(2) == 0 ? "web-" + h.host_id : "db-" + h.host_id;
    std::map<PortKey, PortRow> rows;
    for (int n = pick(8); n > 0; --n) {
      PortRow r =
          Row(h.project, h.host_id, h.eps, ports[static_cast<size_t>(pick(9))],
              static_cast<SockType>(pick(4)), pick(3) == 0 ? "c" + std::to_string(pick(3)) : "",
              static_cast<RiskStatus>(pick(3)), laddrs[static_cast<size_t>(pick(4))]);
      r.key.netns = static_cast<uint64_t>(pick(2));
      rows.emplace(r.key, r);
    }
    std::vector<PortRow> now;
    for (auto& [k, r] : rows) now.push_back(r);
    const std::vector<PortRow> before =
        old == model.hosts.end() ? std::vector<PortRow>{} : old->second.second;
    index.ReplaceHost(ref, h, before, now);
    model.hosts[ref] = {h, now};

    // Compare a few random queries after each replacement.
    for (int k = 0; k < 3; ++k) {
      PortStatQuery q;
      q.project = pick(6) == 0 ? "other" : "p";
      q.eps = pick(3) == 0 ? std::vector<std::string>{"0", "e1", "nope"}
                           : std::vector<std::string>{eps[static_cast<size_t>(pick(3))]};
      if (pick(4) == 0) q.port = ports[static_cast<size_t>(pick(9))];
      if (pick(4) == 0) q.port_substring = pick(2) == 0 ? "80" : "5";
      if (pick(3) == 0) q.type = static_cast<SockType>(pick(4));
      if (pick(3) == 0) q.status = static_cast<RiskStatus>(pick(3));
      q.category = pick(3) == 0 ? Category::kContainer : Category::kHost;
      q.descending = pick(2) == 0;
      q.page = {1 + pick(4), pick(4)};
      auto got = index.Statistics(q);
      auto want = model.Statistics(q);
      ASSERT_EQ(got.total, want.total) << "round " << round;
      ASSERT_EQ(got.rows.size(), want.rows.size()) << "round " << round;
      for (size_t i = 0; i < got.rows.size(); ++i) {
        EXPECT_EQ(got.rows[i].port, want.rows[i].port) << "round " << round;
        EXPECT_EQ(got.rows[i].type, want.rows[i].type);
        EXPECT_EQ(got.rows[i].num, want.rows[i].num);
        EXPECT_EQ(got.rows[i].status, want.rows[i].status);
      }

      PortHostQuery hq;
      hq.project = q.project;
      hq.eps = q.eps;
      hq.port = ports[static_cast<size_t>(pick(9))];
      if (pick(3) == 0) hq.type = static_cast<SockType>(pick(4));
      if (pick(3) == 0) hq.category = pick(2) == 0 ? Category::kHost : Category::kContainer;
      if (pick(4) == 0) hq.host_name = "web";
      hq.page = {1 + pick(5), pick(6)};
      auto plan = index.PortHosts(hq);
      auto [total, page] = model.PortHosts(hq);
      ASSERT_EQ(plan.total, total) << "round " << round;
      EXPECT_EQ(Expand(model, hq, plan), page) << "round " << round;
    }
  }
  PortCountQuery c;
  c.project = "p";
  c.eps = {"0", "e1", "e2"};
  int64_t want = 0;
  for (const auto& [ref, h] : model.hosts) {
    if (h.first.project == "p") want += static_cast<int64_t>(h.second.size());
  }
  EXPECT_EQ(index.CountPorts(c), want);
  EXPECT_EQ(index.HostCount(), model.hosts.size());
}

}  // namespace
}  // namespace portatlas::store
