// The agent's side of the ingest wire contract (docs/ingest.md): the report body it sends and a
// one-line summary of the server's answer for the log.
#ifndef PORTATLAS_AGENT_REPORT_H_
#define PORTATLAS_AGENT_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"

namespace portatlas::agent {

// The server refuses snapshots with more ports than this.
inline constexpr size_t kMaxReportPorts = 65536;

struct ReportHeader {
  std::string host_id;
  std::string agent_id;
  std::string host_name;
  std::string host_ip;
  std::string enterprise_project_id;  // "" leaves the field out (the server's default, "0")
  int64_t collected_at_ms = 0;
  uint64_t seq = 0;
};

struct ReportBody {
  std::string json;    // one snapshot object
  size_t ports = 0;    // port objects in `json`
  size_t dropped = 0;  // sockets left out past kMaxReportPorts (they come last in the order)
};

// Serialises one snapshot object for POST /v1/ingest/ports. Ports are written with
// collect::WritePortJson; `service` and `status` are sent empty (the server names and
// classifies ports itself).
ReportBody BuildReportBody(const ReportHeader& header,
                           const std::vector<collect::ListeningSocket>& sockets);

// A short printable summary of an ingest response for the log: for a success body
// "applied=true stale=false ports=12 opened=1 closed=0 changed=0", for an error body
// "PA.0001: <error_msg>", otherwise the start of the body with control characters escaped
// (at most ~200 bytes). Never fails.
std::string SummarizeIngestResponse(std::string_view body);

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_REPORT_H_
