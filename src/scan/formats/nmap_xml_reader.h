// ReadNmapXml: imports nmap's XML output (-oX, xmloutputversion 1.04/1.05, nmap 7.x) and what
// NmapXmlWriter writes.
//
// Every <port> of every <host> that has <ports> becomes a ScanRecord:
//   ip          the host's first <address> of type ipv4 or ipv6 (mac addresses are ignored)
//   proto/port  <port protocol portid>; sctp and ip (-sO) ports are counted in `skipped`
//   state       <state state reason reason_ttl>; by default only open and open|filtered kept
//   service...  <service name product version extrainfo>, <cpe> texts joined by a space
//   updated_at  the host's endtime, else its starttime, else runstats' finished time (ms)
// Metadata: scanner and args from <nmaprun>, start_ms from its start, end_ms from <finished>.
// Ports summarized in <extraports> are not listed by nmap and so are not imported.
//
// Errors are kParse with "nmap XML: line N: ..." (kInvalidArgument for oversized input): not
// XML, truncated, a root other than <nmaprun>, a port without a valid portid (0-65535) or
// protocol, an unknown protocol, a host with ports but no valid IP address, a malformed number
// or text that is not UTF-8. Entities other than XML's five are never expanded (no DTD
// processing). Thread-safe; pure.
#ifndef PORTATLAS_SCAN_FORMATS_NMAP_XML_READER_H_
#define PORTATLAS_SCAN_FORMATS_NMAP_XML_READER_H_

#include <string_view>

#include "core/status.h"
#include "scan/formats/imported_scan.h"

namespace portatlas::scan {

Result<ImportedScan> ReadNmapXml(std::string_view text, const ImportOptions& options = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FORMATS_NMAP_XML_READER_H_
