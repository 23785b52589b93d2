// NmapXmlWriter: writes a scan as nmap's XML output (-oX), the way nmap 7.93 lays it out
// (xmloutputversion 1.05), so that ndiff, Zenmap, nmap's XSL stylesheet and the many nmap XML
// parsers read it.
//
//   NmapXmlWriter w(stdout, [](Proto p, uint16_t port) { return NameFromServicesFile(p, port); });
//   PA_RETURN_IF_ERROR(w.Begin({.args = "portatlas scan ...", .start_s = now,
//                               .scans = {{"connect", Proto::kTcp, ports}}}));
//   for (...) w.AddRecord(record);  // any order, hosts interleaved
//   PA_RETURN_IF_ERROR(w.End({.end_s = later, .elapsed_s = 12.5, .hosts_up = 3, ...}));
//
// nmap groups ports by <host>, and records arrive in any order, so hosts are written at End().
// Memory holds, per host that answered, one small entry plus its open ports; nothing is held for
// a port that is not open:
//   - "open" records become <port> elements (a repeated port keeps its last record);
//   - "closed" records are counted per host and written as <extraports state="closed" count=N>,
//     so a host that only refused connections still shows as up, as nmap shows it;
//   - other states ("filtered", "open|filtered", ...) are not written per host; a scan's totals
//     belong in the caller's runstats.
// The header (<nmaprun>, <scaninfo>) is written by Begin(), so a crashed scan leaves a file that
// says what was run. Text is made valid XML 1.0: bytes that are not UTF-8 and control characters
// become U+FFFD; tabs and newlines in attributes are written as character references.
//
// Differences from nmap that readers may see: scanner="portatlas" (nmap's DTD enumerates only
// "nmap"; ndiff and the usual parsers take any value), host status reason "user-set" (nmap's word
// for -Pn), no <hostnames> entries and no <times> element (portatlas measures no round-trip
// times), startstr/timestr in UTC.
//
// Not thread-safe; one writer per output. The sink is borrowed and must outlive the writer.
#ifndef PORTATLAS_SCAN_FORMATS_NMAP_XML_WRITER_H_
#define PORTATLAS_SCAN_FORMATS_NMAP_XML_WRITER_H_

#include <array>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "scan/record.h"

namespace portatlas::scan {

// One <scaninfo>: a scan type over one protocol's ports.
struct NmapScanInfo {
  std::string type;  // nmap's word: "syn", "connect", "udp" (any value of the DTD's scan_types)
  Proto protocol = Proto::kTcp;
  std::vector<uint16_t> ports;  // sorted or not, duplicates allowed
};

struct NmapRunHeader {
  std::string args;     // the command line as typed
  std::string version;  // portatlas's version, e.g. "0.1.0"
  int64_t start_s = 0;  // epoch seconds
  std::vector<NmapScanInfo> scans;
};

struct NmapRunStats {
  int64_t end_s = 0;  // epoch seconds
  double elapsed_s = 0;
  uint64_t hosts_up = 0;
  uint64_t hosts_down = 0;
  uint64_t hosts_total = 0;
};

// nmap's services attribute for a port list: sorted, duplicates dropped, runs as ranges
// ("22,80,8000-8100"). Empty for an empty list.
std::string NmapServicesString(std::span<const uint16_t> ports);

class NmapXmlWriter {
 public:
  // The name nmap-services gives a port ("ssh" for 22/tcp), "" when it has none. Used for a
  // <service method="table" conf="3"> element on open ports that service detection did not name.
  using ServiceTable = std::function<std::string(Proto, uint16_t)>;

  // Writes to `out` (an open stdio stream; not closed). `table` may be empty.
  explicit NmapXmlWriter(std::FILE* out, ServiceTable table = {});
  // Appends to `*out`.
  explicit NmapXmlWriter(std::string* out, ServiceTable table = {});

  NmapXmlWriter(const NmapXmlWriter&) = delete;
  NmapXmlWriter& operator=(const NmapXmlWriter&) = delete;

  // Writes the XML declaration, <nmaprun>, <scaninfo> elements, <verbose> and <debugging>.
  // kInvalidArgument for a scan type outside nmap's DTD; kIo when the stream fails. Call once,
  // first.
  Status Begin(const NmapRunHeader& header);

  // Takes one port result. Call between Begin() and End().
  void AddRecord(const ScanRecord& record);

  // Writes every host (sorted by address) and <runstats>, then flushes a stdio stream. kIo when
  // the stream fails. Call once, last.
  Status End(const NmapRunStats& stats);

 private:
  struct HostKey {
    Family family;
    std::array<uint8_t, 16> bytes;
    auto operator<=>(const HostKey&) const = default;
  };
  struct Host {
    IpAddr ip;
    int64_t first_ms = 0;  // 0 when no record carried a time
    int64_t last_ms = 0;
    uint64_t closed = 0;
    std::vector<ScanRecord> open;
  };

  Status Write(std::string_view text);
  std::string HostXml(const Host& host) const;

  std::FILE* file_ = nullptr;
  std::string* string_ = nullptr;
  ServiceTable table_;
  enum class Phase { kNew, kBegun, kEnded } phase_ = Phase::kNew;
  int64_t start_s_ = 0;
  std::map<HostKey, Host> hosts_;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FORMATS_NMAP_XML_WRITER_H_
