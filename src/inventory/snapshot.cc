#include "inventory/snapshot.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace portatlas::inventory {
namespace {

using store::Category;
using store::PortKey;
using store::PortRow;

// Merges SO_REUSEPORT groups and fills in names, status and times.
std::map<PortKey, PortRow> BuildRows(const HostSnapshot& snap, const RiskKb& kb,
                                     const ServicesDb& services) {
  std::map<PortKey, PortRow> rows;
  for (const SnapshotPort& p : snap.ports) {
    auto [it, fresh] = rows.try_emplace(p.key);
    PortRow& r = it->second;
    if (!fresh) {
      r.sharers += p.sharers;
      if (p.pid != 0 && (r.pid == 0 || p.pid < r.pid)) {
        r.pid = p.pid;
        r.path = p.path;
        r.comm = p.comm;
        r.exe_deleted = p.exe_deleted;
      }
      continue;
    }
    r.project = snap.project;
    r.host_id = snap.host_id;
    r.key = p.key;
    r.eps = snap.eps;
    r.pid = p.pid;
    r.sharers = p.sharers;
    r.path = p.path;
    r.comm = p.comm;
    r.exe_deleted = p.exe_deleted;
    r.container_id = p.container_id;
    r.container_runtime = p.container_runtime;
    const Proto proto = SockTypeProto(p.key.type);
    r.service = std::string(services.Name(proto, p.key.port));
    r.status = kb.StatusOf(proto, p.key.port, r.service);
    r.first_seen_ms = snap.collected_at_ms;
    r.last_seen_ms = snap.collected_at_ms;
  }
  return rows;
}

// Per aggregate key, each entity's most severe status, and the socket count.
struct StatKey {
  std::string eps;
  Category category;
  uint16_t port;
  SockType type;
  auto operator<=>(const StatKey&) const = default;
};
struct StatState {
  std::map<std::string, RiskStatus> entities;  // entity -> most severe status
  int64_t sockets = 0;
};

template <typename Rows>
void Accumulate(const Rows& rows, int sign, std::map<StatKey, std::pair<StatState, StatState>>* m) {
  for (const PortRow& r : rows) {
    const StatKey key{r.eps, r.category(), r.key.port, r.key.type};
    StatState& s = sign < 0 ? (*m)[key].first : (*m)[key].second;
    ++s.sockets;
    auto [it, fresh] = s.entities.try_emplace(r.container_id, r.status);
    if (!fresh) it->second = std::max(it->second, r.status);
  }
}

std::vector<store::StatDelta> StatDeltas(const std::vector<PortRow>& before,
                                         const std::vector<PortRow>& after,
                                         const std::string& project) {
  std::map<StatKey, std::pair<StatState, StatState>> m;
  Accumulate(before, -1, &m);
  Accumulate(after, +1, &m);
  std::vector<store::StatDelta> out;
  for (const auto& [key, states] : m) {
    auto count = [](const StatState& s, std::optional<RiskStatus> want) {
      int64_t n = 0;
      for (const auto& [entity, st] : s.entities) n += (!want || st == *want) ? 1 : 0;
      return n;
    };
    const auto& [b, a] = states;
    store::StatDelta d{project,
                       key.eps,
                       key.category,
                       key.port,
                       key.type,
                       count(a, std::nullopt) - count(b, std::nullopt),
                       count(a, RiskStatus::kDanger) - count(b, RiskStatus::kDanger),
                       count(a, RiskStatus::kNormal) - count(b, RiskStatus::kNormal),
                       a.sockets - b.sockets};
    if (d.num != 0 || d.danger != 0 || d.normal != 0 || d.sockets != 0) out.push_back(d);
  }
  return out;
}

store::PortEvent MakeEvent(store::EventKind kind, const PortRow& now, int64_t at_ms) {
  store::PortEvent e;
  e.project = now.project;
  e.host_id = now.host_id;
  e.at_ms = at_ms;
  e.kind = kind;
  e.key = now.key;
  e.pid = now.pid;
  e.path = now.path;
  e.container_id = now.container_id;
  e.status = now.status;
  return e;
}

}  // namespace

HostChange DiffSnapshot(const std::optional<store::HostRow>& old_host,
                        const std::vector<PortRow>& old_ports, const HostSnapshot& snap,
                        const RiskKb& kb, const ServicesDb& services) {
  HostChange ch;
  ch.result.host_id = snap.host_id;
  if (old_host && old_host->agent_id == snap.agent_id && snap.seq <= old_host->seq) {
    ch.result.stale = true;
    return ch;
  }
  ch.result.applied = true;
  std::map<PortKey, PortRow> rows = BuildRows(snap, kb, services);
  ch.result.ports = static_cast<int>(rows.size());

  std::map<PortKey, const PortRow*> old_by_key;
  for (const PortRow& r : old_ports) old_by_key.emplace(r.key, &r);
  for (auto& [key, row] : rows) {
    auto it = old_by_key.find(key);
    if (it == old_by_key.end()) {
      ch.events.push_back(MakeEvent(store::EventKind::kOpen, row, snap.collected_at_ms));
      ++ch.result.opened;
      continue;
    }
    const PortRow& old = *it->second;
    row.first_seen_ms = old.first_seen_ms;
    if (old.path != row.path || old.container_id != row.container_id || old.status != row.status) {
      store::PortEvent e = MakeEvent(store::EventKind::kChange, row, snap.collected_at_ms);
      e.old_path = old.path;
      e.old_container_id = old.container_id;
      e.old_status = old.status;
      ch.events.push_back(std::move(e));
      ++ch.result.changed;
    }
  }
  for (const PortRow& old : old_ports) {
    if (rows.contains(old.key)) continue;
    ch.remove.push_back(old.key);
    ch.events.push_back(MakeEvent(store::EventKind::kClose, old, snap.collected_at_ms));
    ++ch.result.closed;
  }
  ch.put.reserve(rows.size());
  for (auto& [key, row] : rows) ch.put.push_back(std::move(row));
  ch.deltas = StatDeltas(old_ports, ch.put, snap.project);

  ch.host.project = snap.project;
  ch.host.host_id = snap.host_id;
  ch.host.agent_id = snap.agent_id;
  ch.host.host_name = snap.host_name;
  ch.host.host_ip = snap.host_ip;
  ch.host.eps = snap.eps;
  ch.host.seq = snap.seq;
  ch.host.first_seen_ms = old_host ? old_host->first_seen_ms : snap.collected_at_ms;
  ch.host.last_seen_ms = snap.collected_at_ms;
  return ch;
}

}  // namespace portatlas::inventory
