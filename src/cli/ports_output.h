// Renderings of a collector snapshot: the ss-like table and the JSON array of `ports --json`.
#ifndef PORTATLAS_CLI_PORTS_OUTPUT_H_
#define PORTATLAS_CLI_PORTS_OUTPUT_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "inventory/risk_kb.h"

namespace portatlas::cli {

// A collected socket with what the inventory adds to it.
struct PortRow {
  const collect::ListeningSocket* socket;
  std::string_view service;  // from the services database, "" when unknown
  inventory::RiskStatus status;
};

// Writes one JSON array and a newline to `out`, streaming through a small buffer (memory stays
// flat however many rows there are). Objects use the HSS field names (laddr, port, type, pid,
// path, container_id, status) plus netns, netns_name, comm, service, sharers, exe_deleted,
// container_runtime, uid, inode. Returns false when writing failed.
bool WriteJson(const std::vector<PortRow>& rows, std::FILE* out);

// A table in the spirit of `ss -tulpn`, with container, namespace, service and status columns.
std::string RenderTable(const std::vector<PortRow>& rows, uint64_t own_netns);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_PORTS_OUTPUT_H_
