// libFuzzer target for the nmap XML reader, and for the writer on whatever the reader accepts:
// what the writer writes must read back, with the same open ports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <tuple>

#include "scan/formats/nmap_xml_reader.h"
#include "scan/formats/nmap_xml_writer.h"

namespace {

using portatlas::scan::ScanRecord;

// The identity of an open port in a scan.
using Key = std::tuple<std::string, portatlas::Proto, uint16_t>;

void CheckRecords(const portatlas::scan::ImportedScan& scan) {
  for (const ScanRecord& r : scan.records) {
    if (r.state.empty()) std::abort();
    if (r.ip.family != portatlas::Family::kIpv4 && r.ip.family != portatlas::Family::kIpv6) {
      std::abort();
    }
    if (r.reason_ttl < 0 || r.reason_ttl > 255 || r.updated_at_ms < 0) std::abort();
  }
  if (scan.skipped < 0 || scan.start_ms < 0 || scan.end_ms < 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas::scan;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto all = ReadNmapXml(text, {.keep_all_states = true});
  const auto open = ReadNmapXml(text);
  if (all.has_value() != open.has_value()) std::abort();
  if (!all) return 0;
  CheckRecords(*all);
  CheckRecords(*open);
  if (open->records.size() > all->records.size()) std::abort();

  std::string xml;
  NmapXmlWriter writer(&xml, [](portatlas::Proto, uint16_t port) {
    return port % 2 == 0 ? std::string("even") : std::string();
  });
  if (!writer
           .Begin({.args = all->args,
                   .version = "fuzz",
                   .start_s = all->start_ms / 1000,
                   .scans = {{"syn", portatlas::Proto::kTcp, {22, 80}}}})
           .ok()) {
    std::abort();
  }
  std::set<Key> written;
  for (const ScanRecord& r : all->records) {
    writer.AddRecord(r);
    if (r.state == "open") written.emplace(r.ip.ToString(), r.proto, r.port);
  }
  if (!writer.End({.end_s = all->end_ms / 1000, .elapsed_s = 1, .hosts_up = 1}).ok()) std::abort();
  const auto back = ReadNmapXml(xml);
  if (!back) std::abort();
  CheckRecords(*back);
  std::set<Key> read;
  for (const ScanRecord& r : back->records) read.emplace(r.ip.ToString(), r.proto, r.port);
  if (read != written || read.size() != back->records.size()) std::abort();
  return 0;
}
