// Agent snapshots and how one replaces a host's stored state.
//
// DiffSnapshot is the whole rule, as a pure function: given what the store holds for a host and
// a new snapshot, it returns the host's new port set and the history events. Ingestor
// (ingestor.h) applies it transactionally.
#ifndef PORTATLAS_INVENTORY_SNAPSHOT_H_
#define PORTATLAS_INVENTORY_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inventory/risk_kb.h"
#include "inventory/services_db.h"
#include "store/records.h"

namespace portatlas::inventory {

struct SnapshotPort {
  store::PortKey key;
  int pid = 0;
  int sharers = 0;
  std::string path;
  std::string comm;
  bool exe_deleted = false;
  std::string container_id;
  std::string container_runtime;
};

struct HostSnapshot {
  std::string project;
  std::string host_id;
  std::string agent_id;
  std::string host_name;
  std::string host_ip;
  std::string eps = "0";
  int64_t collected_at_ms = 0;
  int64_t seq = 0;
  std::vector<SnapshotPort> ports;
};

struct IngestResult {
  std::string host_id;
  bool applied = false;
  bool stale = false;  // seq not newer than the stored one: acknowledged, not applied
  int ports = 0;
  int opened = 0;
  int closed = 0;
  int changed = 0;
};

// A snapshot made ready for the store: sockets merged into port rows (sorted by key) with
// names, statuses and times. Prepared on the request's thread, so the store's single writer
// only diffs.
struct PreparedSnapshot {
  HostSnapshot snap;  // the header; snap.ports is left empty
  std::vector<store::PortRow> rows;
};

struct HostChange {
  IngestResult result;
  store::HostRow host;
  std::vector<store::PortRow> put;  // the host's whole new port set, sorted by key
  std::vector<store::PortKey> remove;
  std::vector<store::PortEvent> events;
};

// Merges SO_REUSEPORT groups (sockets sharing netns, laddr, port, type: lowest non-zero pid,
// summed sharers) and fills in names from `services`, status from `kb`.
PreparedSnapshot Prepare(HostSnapshot snap, const RiskKb& kb, const ServicesDb& services);

// Computes how `snap` replaces the stored state (`old_host`, `old_ports`).
// - A snapshot from the same agent whose seq is not greater than the stored seq is stale: the
//   result says so and nothing else is produced. A different agent_id (a reinstall) is applied.
// - Events: open (new key), close (gone key), change (path, container or status changed; a new
//   pid alone is not an event). first_seen is kept for ports that stay.
// The store derives the aggregates from the old and new port sets (store::StatDeltas).
HostChange DiffSnapshot(const std::optional<store::HostRow>& old_host,
                        const std::vector<store::PortRow>& old_ports, PreparedSnapshot snap);
// The same, preparing `snap` first.
HostChange DiffSnapshot(const std::optional<store::HostRow>& old_host,
                        const std::vector<store::PortRow>& old_ports, const HostSnapshot& snap,
                        const RiskKb& kb, const ServicesDb& services);

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_SNAPSHOT_H_
