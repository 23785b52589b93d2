// How SqliteStore keeps a host's port set and a report's history in one column each: compact
// JSON arrays (RapidJSON), one element per port record or event, values by position.
//
//   hosts.ports:    [[netns, laddr, port, type, pid, sharers, path, comm, exe_deleted,
//                     container_id, container_runtime, service, status, first_seen, last_seen],
//                    ...]   sorted by (netns, laddr, port, type)
//   events.changes: [[kind, netns, laddr, port, type, pid, path, container_id, status,
//                     old_path, old_container_id, old_status], ...]
//
// Enums are stored as their numbers (SockType, RiskStatus, EventKind), times as epoch ms.
// Decoding checks every element's shape and range: a damaged row is an error, never a crash.
#ifndef PORTATLAS_STORE_SQLITE_ROW_CODEC_H_
#define PORTATLAS_STORE_SQLITE_ROW_CODEC_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace portatlas::store {

std::string EncodePorts(std::span<const PortRow> ports);
// Appends the decoded ports to `out`, each with `host`'s project, host_id and eps.
Status DecodePorts(std::string_view json, const HostRow& host, std::vector<PortRow>* out);

std::string EncodeEvents(std::span<const PortEvent> events);
// Appends the decoded events to `out`, each with the given project, host and time.
Status DecodeEvents(std::string_view json, std::string_view project, std::string_view host_id,
                    int64_t at_ms, std::vector<PortEvent>* out);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_ROW_CODEC_H_
