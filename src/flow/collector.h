// RunCollector: `portatlas flow`, the traffic collector (docs/traffic.md). It receives NetFlow
// v5/v9 and IPFIX on UDP (one thread, decoder and aggregator per --listen), or reads pcap files
// (pcap_flows.h), aggregates the flows of internet clients into hourly TrafficRecords, and every
// flush interval hands them to the shipper (--server) and/or writes them as JSON lines
// (--output). With --server it also fetches the inventory's known listeners every 5 minutes
// (listener_feed.h), the first rule of which side is the server. It runs until SIGTERM or SIGINT
// (or, for files, their end), then flushes what it holds and waits a bounded while for the server
// to acknowledge it; what is left stays in the spool for the next start. Counters (datagrams,
// flows, damaged datagrams, kernel drops, lost sequence numbers, held and dropped template-less
// data) are logged at each flush.
#ifndef PORTATLAS_FLOW_COLLECTOR_H_
#define PORTATLAS_FLOW_COLLECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace portatlas::flow {

struct CollectorOptions {
  std::vector<std::string> listen;      // udp://ADDR:PORT
  std::vector<std::string> pcap_files;  // instead of listening
  std::string interface;                // or capture live
  std::string server;                   // http://... ; "" with --output only
  std::string token;
  std::string state_dir = "/var/lib/portatlas/flow";
  std::string output;                 // JSON lines of every flushed record; "-" stdout
  std::vector<std::string> internet;  // CIDRs counted as internet anyway
  std::vector<std::string> internal;  // CIDRs never counted as internet
  std::string services_path = "/etc/services";
  int rcvbuf_bytes = 32 << 20;
  int64_t flush_interval_ms = 10'000;
  int64_t drain_timeout_ms = 10'000;        // at exit, how long to wait for acknowledgements
  int64_t listeners_interval_ms = 300'000;  // GET /v1/listeners (with --server)
};

// Returns the process's exit status: 0 after a clean stop, 1 on a setup error (logged).
int RunCollector(const CollectorOptions& options);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_COLLECTOR_H_
