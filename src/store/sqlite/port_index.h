// PortIndex: the in-memory read model of the inventory, kept next to the durable store.
//
// The store keeps each host as one row with its whole port set; this index answers what needs
// every host at once without touching the database:
// - per (project, enterprise project, category) and (port, type): the aggregate behind
//   ListPortStatistics (hosts or containers with the port open, how many see it as danger or
//   normal, port records), with totals kept per type and status, so an unfiltered count is
//   O(1) and a page is a short walk;
// - per (project, port, type, category): the hosts that have it, in host order, so a
//   ListPortHost page is found without scanning, and its total read off the aggregate.
// The store updates it after each commit (ReplaceHost) and rebuilds it at start from the hosts.
//
// Memory: about 12 bytes per port record plus the host names, and 32 bytes per used
// (port, type) cell (allocated 64 ports at a time). Thread-safe: queries share a lock,
// ReplaceHost takes it exclusively for one host at a time.
#ifndef PORTATLAS_STORE_SQLITE_PORT_INDEX_H_
#define PORTATLAS_STORE_SQLITE_PORT_INDEX_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/records.h"

namespace portatlas::store {

// A change to the per-(port, type) aggregate behind ListPortStatistics and the port counts.
struct StatDelta {
  std::string project;
  std::string eps;
  Category category = Category::kHost;
  uint16_t port = 0;
  SockType type = SockType::kTcp;
  int64_t num = 0;      // hosts (or containers) with the port open
  int64_t danger = 0;   // of those, how many have it as danger
  int64_t normal = 0;   // ... as normal
  int64_t sockets = 0;  // port records
};

// How one host's port set counts towards the aggregate: one delta per (eps, category, port,
// type) it touches. An entity is the host for host-category ports and each container for
// container ports; its status for a (port, type) is the most severe among its sockets.
// `before` and `after` are whole port sets of one host (any order).
std::vector<StatDelta> StatDeltas(std::span<const PortRow> before, std::span<const PortRow> after);

// The port numbers (1..65535) whose decimal form contains `digits`, ascending. Empty when
// `digits` is empty or not all digits.
std::vector<uint16_t> PortsContaining(std::string_view digits);

class PortIndex {
 public:
  PortIndex();
  ~PortIndex();
  PortIndex(const PortIndex&) = delete;
  PortIndex& operator=(const PortIndex&) = delete;

  // Replaces what host `ref` (a positive id, stable for the host) contributes: `old_ports`
  // (its previous port set, empty for a new host) by `ports`. `host` gives its project,
  // enterprise project, name and address; the previous project and eps are those of
  // `old_ports` (each PortRow carries them).
  void ReplaceHost(int64_t ref, const HostRow& host, std::span<const PortRow> old_ports,
                   std::span<const PortRow> ports);

  QueryResult<PortStatRow> Statistics(const PortStatQuery& q) const;

  // ListPortHost's page as a plan: from host `ref`, the sockets with the query's port and
  // `type` (and category, when the query has one), in the host's own order, skipping `skip`
  // and taking `take` of them.
  struct HostSlice {
    int64_t ref = 0;
    SockType type = SockType::kTcp;
    int64_t skip = 0;
    int64_t take = 0;
  };
  struct HostPlan {
    int64_t total = 0;  // port records matching, over every page
    std::vector<HostSlice> slices;
  };
  HostPlan PortHosts(const PortHostQuery& q) const;

  // Port records of every host in the project (q.host_id is ignored).
  int64_t CountPorts(const PortCountQuery& q) const;

  size_t HostCount() const;

 private:
  struct Scope;
  struct Posting {
    uint32_t host;     // host ref
    uint32_t eps;      // interned enterprise project
    uint32_t sockets;  // port records of this (port, type, category) on the host
  };
  struct HostInfo {
    bool live = false;
    uint32_t project = 0;
    uint32_t eps = 0;
    std::string host_name;
    std::string host_ip;
  };

  uint32_t Intern(std::unordered_map<std::string, uint32_t>& ids, std::string_view s);
  static std::optional<uint32_t> Lookup(const std::unordered_map<std::string, uint32_t>& ids,
                                        std::string_view s);
  // The scopes of (project, each of eps, category) that exist.
  std::vector<const Scope*> Scopes(uint32_t project, const std::vector<std::string>& eps,
                                   Category category) const;
  Scope& MutableScope(uint32_t project, uint32_t eps, Category category);
  // Moves host `ref`'s postings from the keys of `old_ports` to those of `ports`.
  void ReplacePostings(uint32_t ref, uint32_t project, uint32_t eps,
                       std::span<const PortRow> old_ports, std::span<const PortRow> ports);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, uint32_t> projects_;
  std::unordered_map<std::string, uint32_t> eps_ids_;
  std::unordered_map<uint64_t, std::unique_ptr<Scope>> scopes_;
  std::unordered_map<uint64_t, std::vector<Posting>> postings_;
  std::vector<HostInfo> hosts_;  // by ref
  size_t host_count_ = 0;
};

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_PORT_INDEX_H_
