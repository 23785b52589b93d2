// ScanRecord: one port as a scan saw it from the network. The one record of a scan's result:
// what every scan output writes (JSON lines, nmap XML), what `portatlas import` reads from nmap
// XML and masscan JSON, what the uploader sends, and what a scan task on the server stores
// (store::ScanRecordRow is this type). The engines' own compact result (scan::PortResult: an
// enum state, a static reason) becomes one when it is worth keeping.
#ifndef PORTATLAS_CORE_SCAN_RECORD_H_
#define PORTATLAS_CORE_SCAN_RECORD_H_

#include <cstdint>
#include <string>

#include "core/types.h"

namespace portatlas {

struct ScanRecord {
  IpAddr ip;
  Proto proto = Proto::kTcp;
  uint16_t port = 0;
  std::string state = "open";  // "open", "open|filtered", "closed", "filtered" (nmap's words)
  std::string reason;          // nmap's reason: "syn-ack", "conn-refused", "udp-response", ...
  int reason_ttl = 0;          // TTL/hop limit of the reply, 0 when unknown
  int64_t updated_at_ms = 0;   // when it was seen, epoch ms
  // Detection (service and version detection fills these; empty otherwise).
  std::string service;  // nmap's service name: "ssh", "http", ...
  std::string product;
  std::string version;
  std::string info;         // nmap's "extrainfo"
  std::string cpe;          // "cpe:/a:openbsd:openssh:9.2p1" (several joined by a space)
  std::string tls;          // TLS facts as a compact JSON object, "" when the port is not TLS
  std::string banner_hash;  // hex SHA-256 of the first reply bytes, "" when none

  friend bool operator==(const ScanRecord&, const ScanRecord&) = default;
};

}  // namespace portatlas

#endif  // PORTATLAS_CORE_SCAN_RECORD_H_
