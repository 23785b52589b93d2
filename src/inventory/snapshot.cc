#include "inventory/snapshot.h"

#include <algorithm>

namespace portatlas::inventory {
namespace {

using store::PortRow;

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

PreparedSnapshot Prepare(HostSnapshot snap, const RiskKb& kb, const ServicesDb& services) {
  PreparedSnapshot out;
  std::vector<SnapshotPort> ports = std::move(snap.ports);
  snap.ports.clear();
  // Stable: within a group the first socket reported keeps its container.
  std::stable_sort(ports.begin(), ports.end(),
                   [](const SnapshotPort& a, const SnapshotPort& b) { return a.key < b.key; });
  out.rows.reserve(ports.size());
  for (SnapshotPort& p : ports) {
    if (!out.rows.empty() && out.rows.back().key == p.key) {
      PortRow& r = out.rows.back();
      r.sharers += p.sharers;
      if (p.pid != 0 && (r.pid == 0 || p.pid < r.pid)) {
        r.pid = p.pid;
        r.path = std::move(p.path);
        r.comm = std::move(p.comm);
        r.exe_deleted = p.exe_deleted;
      }
      continue;
    }
    PortRow& r = out.rows.emplace_back();
    r.project = snap.project;
    r.host_id = snap.host_id;
    r.key = std::move(p.key);
    r.eps = snap.eps;
    r.pid = p.pid;
    r.sharers = p.sharers;
    r.path = std::move(p.path);
    r.comm = std::move(p.comm);
    r.exe_deleted = p.exe_deleted;
    r.container_id = std::move(p.container_id);
    r.container_runtime = std::move(p.container_runtime);
    const Proto proto = SockTypeProto(r.key.type);
    r.service = std::string(services.Name(proto, r.key.port));
    r.status = kb.StatusOf(proto, r.key.port, r.service);
    r.first_seen_ms = snap.collected_at_ms;
    r.last_seen_ms = snap.collected_at_ms;
  }
  out.snap = std::move(snap);
  return out;
}

HostChange DiffSnapshot(const std::optional<store::HostRow>& old_host,
                        const std::vector<PortRow>& old_ports, PreparedSnapshot prepared) {
  const HostSnapshot& snap = prepared.snap;
  HostChange ch;
  ch.result.host_id = snap.host_id;
  if (old_host && old_host->agent_id == snap.agent_id && snap.seq <= old_host->seq) {
    ch.result.stale = true;
    return ch;
  }
  ch.result.applied = true;
  ch.put = std::move(prepared.rows);
  ch.result.ports = static_cast<int>(ch.put.size());

  std::vector<const PortRow*> old_sorted;
  old_sorted.reserve(old_ports.size());
  for (const PortRow& r : old_ports) old_sorted.push_back(&r);
  std::sort(old_sorted.begin(), old_sorted.end(),
            [](const PortRow* a, const PortRow* b) { return a->key < b->key; });
  // Merge the two key-sorted sets.
  size_t o = 0;
  for (PortRow& row : ch.put) {
    while (o < old_sorted.size() && old_sorted[o]->key < row.key) {
      ch.remove.push_back(old_sorted[o]->key);
      ch.events.push_back(
          MakeEvent(store::EventKind::kClose, *old_sorted[o], snap.collected_at_ms));
      ++ch.result.closed;
      ++o;
    }
    if (o == old_sorted.size() || row.key < old_sorted[o]->key) {
      ch.events.push_back(MakeEvent(store::EventKind::kOpen, row, snap.collected_at_ms));
      ++ch.result.opened;
      continue;
    }
    const PortRow& old = *old_sorted[o++];
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
  for (; o < old_sorted.size(); ++o) {
    ch.remove.push_back(old_sorted[o]->key);
    ch.events.push_back(MakeEvent(store::EventKind::kClose, *old_sorted[o], snap.collected_at_ms));
    ++ch.result.closed;
  }

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

HostChange DiffSnapshot(const std::optional<store::HostRow>& old_host,
                        const std::vector<PortRow>& old_ports, const HostSnapshot& snap,
                        const RiskKb& kb, const ServicesDb& services) {
  return DiffSnapshot(old_host, old_ports, Prepare(snap, kb, services));
}

}  // namespace portatlas::inventory
