// ReadMasscanJson: imports masscan's JSON output, in the forms its versions write:
//
//   -oJ, masscan 1.3:  [\n{ "ip": "198.18.0.1", "timestamp": "1700000000", "ports": [ {"port": 22,
//                      "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }\n,\n
//                      { ... }\n]\n
//   -oJ, older:        the same with a comma after each object, so one before "]"; the oldest
//                      have no brackets and end with the line {finished: 1}
//   --banners:         "ports": [ {"port": 80, "proto": "tcp", "service": {"name": "http",
//                      "banner": "..."}} ]
//   -oD (ndjson):      {"ip":"...","timestamp":"...","port":22,"proto":"tcp","rec_type":"status",
//                      "data":{"status":"open","reason":"syn-ack","ttl":64}}, one per line;
//                      rec_type "banner" has "data":{"service_name":"http","banner":"..."}
//
// masscan writes one object per event, so a port can appear several times (a status and banners).
// Records are merged per (ip, proto, port), in order of first appearance: "open" wins over
// "closed"; updated_at_ms is the latest timestamp; a banner alone means the port is open. The
// service is the first banner naming an application (masscan's names mapped to nmap's: "dns-ver"
// -> "domain", "pop" -> "pop3", ...; "ssl" only when nothing better comes; sub-banners such as
// "title" or "X509" name none). banner_hash is the SHA-256 (hex) of that banner, else of the
// first banner, with masscan's \u00XX escapes turned back into the bytes it saw.
// scanner is "masscan", args "", start_ms/end_ms the earliest and latest timestamps.
// sctp, icmp and arp results are counted in `skipped`.
//
// An empty input is an empty scan (masscan writes nothing when it finds nothing). Errors are
// kParse with "masscan JSON: line N: ..." for malformed JSON, truncation, wrong types, a missing
// or invalid ip, a port outside 0-65535, an unknown proto or status; kInvalidArgument for input
// over options.max_input_bytes. Objects are parsed one at a time, so memory follows the records,
// not the text. Thread-safe; pure.
#ifndef PORTATLAS_SCAN_FORMATS_MASSCAN_JSON_READER_H_
#define PORTATLAS_SCAN_FORMATS_MASSCAN_JSON_READER_H_

#include <string_view>

#include "core/status.h"
#include "scan/formats/imported_scan.h"

namespace portatlas::scan {

Result<ImportedScan> ReadMasscanJson(std::string_view text, const ImportOptions& options = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FORMATS_MASSCAN_JSON_READER_H_
