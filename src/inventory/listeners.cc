#include "inventory/listeners.h"

#include <array>
#include <optional>
#include <set>
#include <tuple>

namespace portatlas::inventory {
namespace {

constexpr int kPage = 200;  // the store's largest port page

using Key = std::tuple<uint8_t, std::array<uint8_t, 16>, uint8_t, uint16_t>;

struct Collected {
  std::vector<Listener> out;
  std::set<Key> seen;
  size_t max = 0;
  bool Add(const Listener& l) {
    if (out.size() >= max) return false;
    if (seen.insert({static_cast<uint8_t>(l.ip.family), l.ip.bytes, static_cast<uint8_t>(l.proto),
                     l.port})
            .second) {
      out.push_back(l);
    }
    return true;
  }
};

// The address an agent's socket is reached at: its own, or the host's for a wildcard.
std::optional<IpAddr> ReachedAt(const store::PortHostRow& row) {
  auto laddr = ParseIpAddr(row.port.key.laddr);
  if (!laddr || laddr->IsLoopback()) return std::nullopt;
  if (!laddr->IsUnspecified()) return laddr;
  return ParseIpAddr(row.host_ip);
}

Status AddAgentListeners(store::Store& store, const std::string& project,
                         const std::vector<std::string>& eps, Collected& c) {
  for (store::Category category : {store::Category::kHost, store::Category::kContainer}) {
    store::PortStatQuery sq;
    sq.project = project;
    sq.eps = eps;
    sq.category = category;
    for (sq.page = {kPage, 0};; sq.page.offset += kPage) {
      PA_ASSIGN_OR_RETURN(stats, store.ListPortStatistics(sq));
      for (const store::PortStatRow& s : stats.rows) {
        store::PortHostQuery hq;
        hq.project = project;
        hq.eps = eps;
        hq.port = s.port;
        hq.type = s.type;
        hq.category = category;
        for (hq.page = {kPage, 0};; hq.page.offset += kPage) {
          PA_ASSIGN_OR_RETURN(hosts, store.ListPortHosts(hq));
          for (const store::PortHostRow& h : hosts.rows) {
            auto ip = ReachedAt(h);
            if (ip && !c.Add({*ip, SockTypeProto(s.type), s.port, false})) return Status::Ok();
          }
          if (hosts.rows.size() < static_cast<size_t>(kPage)) break;
        }
      }
      if (stats.rows.size() < static_cast<size_t>(kPage)) break;
    }
  }
  return Status::Ok();
}

Status AddScanListeners(store::Store& store, const std::string& project, Collected& c) {
  store::ProjectPortQuery q;
  q.project = project;
  for (q.page = {kPage, 0};; q.page.offset += kPage) {
    PA_ASSIGN_OR_RETURN(records, store.ListProjectOpenPorts(q));
    for (const store::ScanRecordRow& r : records.rows) {
      if (!c.Add({r.ip, r.proto, r.port, true})) return Status::Ok();
    }
    if (records.rows.size() < static_cast<size_t>(kPage)) break;
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Listener>> KnownListeners(store::Store& store, const std::string& project,
                                             const std::vector<std::string>& eps, size_t max) {
  Collected c;
  c.max = max;
  PA_RETURN_IF_ERROR(AddAgentListeners(store, project, eps, c));
  PA_RETURN_IF_ERROR(AddScanListeners(store, project, c));
  return std::move(c.out);
}

}  // namespace portatlas::inventory
