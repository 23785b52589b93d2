#include "collect/collector.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "collect/netns.h"
#include "collect/owners.h"
#include "collect/proc_net.h"
#include "collect/process_info.h"
#include "collect/sock_diag.h"

namespace portatlas::collect {
namespace {

struct ProcNetFile {
  const char* name;
  Proto proto;
  Family family;
};
constexpr ProcNetFile kProcNetFiles[] = {
    {"tcp", Proto::kTcp, Family::kIpv4},
    {"tcp6", Proto::kTcp, Family::kIpv6},
    {"udp", Proto::kUdp, Family::kIpv4},
    {"udp6", Proto::kUdp, Family::kIpv6},
};

// Parses the four /proc/net tables under `dir` ("<pid>/net" or "thread-self/net").
Status ReadProcNetDir(const ProcFs& proc, const std::string& dir, std::vector<SocketEntry>* out,
                      std::vector<std::string>* warnings) {
  for (const ProcNetFile& f : kProcNetFiles) {
    auto content = proc.ReadFile(fmt::format("{}/{}", dir, f.name));
    if (!content) {
      // A kernel without IPv6 has no tcp6/udp6; that is not an error.
      if (content.error().kind() == ErrorKind::kNotFound && f.family == Family::kIpv6) continue;
      return content.error();
    }
    ProcNetTable table = ParseProcNet(*content, f.proto, f.family, /*listening_only=*/true);
    if (table.bad_lines > 0) {
      warnings->push_back(fmt::format("{}/{}/{}: skipped {} unparsable lines; first: {}",
                                      proc.root(), dir, f.name, table.bad_lines,
                                      table.first_error));
    }
    out->insert(out->end(), table.entries.begin(), table.entries.end());
  }
  return Status::Ok();
}

Status ReadViaProc(const ProcFs& proc, const NetnsInfo& ns, std::vector<SocketEntry>* out,
                   std::vector<std::string>* warnings) {
  Status last = NotFound("no process inside");
  for (int pid : ns.pids) {
    std::vector<SocketEntry> got;
    last = ReadProcNetDir(proc, fmt::format("{}/net", pid), &got, warnings);
    if (last.ok()) {
      out->insert(out->end(), got.begin(), got.end());
      return last;
    }
  }
  if (ns.mount_path.empty()) return last;
  // A namespace with no process: enter it and read this thread's own view.
  auto entered = NetnsEnter::Enter(ns, proc.root());
  if (!entered) return entered.error();
  return ReadProcNetDir(proc, "thread-self/net", out, warnings);
}

Result<SockDiag> OpenSockDiagIn(const ProcFs& proc, const NetnsInfo& ns, uint64_t own_netns) {
  if (ns.inode == own_netns) return SockDiag::Open();
  auto entered = NetnsEnter::Enter(ns, proc.root());
  if (!entered) return entered.error();
  return SockDiag::Open();  // bound to the entered namespace for its whole life
}

Status ReadViaNetlink(const ProcFs& proc, const NetnsInfo& ns, uint64_t own_netns,
                      std::vector<SocketEntry>* out) {
  auto diag = OpenSockDiagIn(proc, ns, own_netns);
  if (!diag) return diag.error();
  return diag->DumpListening(out);
}

std::string_view BackendName(Backend b) {
  switch (b) {
    case Backend::kAuto:
      return "auto";
    case Backend::kNetlink:
      return "netlink";
    case Backend::kProc:
      return "proc";
  }
  return "?";
}

struct Found {
  SocketEntry entry;
  const NetnsInfo* ns;
};

ListeningSocket MakeRecord(const Found& f, const SocketOwner* owner, const ProcessInfo* info) {
  ListeningSocket s;
  s.type = MakeSockType(f.entry.proto, f.entry.addr.family);
  s.laddr = f.entry.addr;
  s.port = f.entry.port;
  s.uid = f.entry.uid;
  s.inode = f.entry.inode;
  s.netns = f.ns->inode;
  s.netns_name = f.ns->name;
  if (owner == nullptr) return s;
  s.pid = owner->pid;
  s.sharers = owner->sharers;
  s.comm = info->comm;
  s.path = info->exe;
  s.exe_deleted = info->exe_deleted;
  if (info->container) {
    s.container_id = info->container->id;
    s.container_runtime = info->container->runtime;
  }
  return s;
}

}  // namespace

Collector::Collector(const ProcFs& proc, CollectorOptions options)
    : proc_(proc), options_(std::move(options)) {}

bool Collector::Selected(const NetnsInfo& ns, uint64_t own_netns) const {
  if (options_.only_netns.empty()) return true;
  for (const std::string& want : options_.only_netns) {
    if (want == ns.name || want == std::to_string(ns.inode) ||
        (want == "self" && ns.inode == own_netns)) {
      return true;
    }
  }
  return false;
}

Status Collector::ReadNamespace(const NetnsInfo& ns, uint64_t own_netns, bool* netlink_works,
                                std::vector<SocketEntry>* out,
                                std::vector<std::string>* warnings) const {
  Status st = Unavailable("netlink not tried");
  if (*netlink_works) {
    st = ReadViaNetlink(proc_, ns, own_netns, out);
    if (!st.ok() && st.kind() == ErrorKind::kUnavailable && options_.backend == Backend::kAuto) {
      warnings->push_back(
          fmt::format("netlink sock_diag unavailable ({}); reading /proc/net", st.message()));
      *netlink_works = false;  // no use asking again for the next namespace
    }
  }
  if (!st.ok() && options_.backend != Backend::kNetlink) {
    out->clear();
    st = ReadViaProc(proc_, ns, out, warnings);
  }
  if (!st.ok()) {
    out->clear();
    return st.WithContext(fmt::format("netns {}{}: not listed ({} backend)", ns.inode,
                                      ns.name.empty() ? "" : " (" + ns.name + ")",
                                      BackendName(options_.backend)));
  }
  return st;
}

Result<Snapshot> Collector::Collect() {
  auto pids = proc_.ListPids();
  if (!pids) return pids.error();
  Snapshot snap;
  if (auto self = proc_.ReadLink("thread-self/ns/net")) {
    snap.own_netns = ParseNsLink(*self).value_or(0);
  }
  const std::vector<NetnsInfo> namespaces = DiscoverNetns(proc_, *pids, options_.netns_dirs);

  std::vector<Found> found;
  bool netlink_works = options_.backend != Backend::kProc;
  for (const NetnsInfo& ns : namespaces) {
    if (!Selected(ns, snap.own_netns)) continue;
    std::vector<SocketEntry> entries;
    Status st = ReadNamespace(ns, snap.own_netns, &netlink_works, &entries, &snap.warnings);
    if (!st.ok()) {
      snap.warnings.push_back(st.message());
      continue;
    }
    for (const SocketEntry& e : entries) found.push_back({e, &ns});
  }

  std::unordered_set<uint64_t> wanted;
  wanted.reserve(found.size());
  for (const Found& f : found) {
    if (f.entry.inode != 0) wanted.insert(f.entry.inode);
  }
  const auto owners = MapSocketOwners(proc_, *pids, wanted, options_.owner_threads);

  std::unordered_map<int, ProcessInfo> info_cache;
  snap.sockets.reserve(found.size());
  for (const Found& f : found) {
    const SocketOwner* owner = nullptr;
    const ProcessInfo* info = nullptr;
    if (auto it = owners.find(f.entry.inode); it != owners.end()) {
      owner = &it->second;
      auto [cached, fresh] = info_cache.try_emplace(owner->pid);
      if (fresh) cached->second = ReadProcessInfo(proc_, owner->pid);
      info = &cached->second;
    }
    snap.sockets.push_back(MakeRecord(f, owner, info));
  }
  std::sort(snap.sockets.begin(), snap.sockets.end(),
            [](const ListeningSocket& a, const ListeningSocket& b) {
              return std::tie(a.netns, a.type, a.port, a.laddr.family, a.laddr.bytes, a.inode) <
                     std::tie(b.netns, b.type, b.port, b.laddr.family, b.laddr.bytes, b.inode);
            });
  return snap;
}

}  // namespace portatlas::collect
