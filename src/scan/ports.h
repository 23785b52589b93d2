// Port specifications, as nmap writes them:
//   22,80,443        single ports        8000-8100    a range
//   -                every port 1-65535  -1024, 60000-   open-ended ranges (from 1, to 65535)
//   T:22,80,U:53,161 per protocol: ports after T: are TCP, after U: are UDP, until the next prefix
// Port 0 is accepted only when written on its own ("0", or a range starting at 0).
#ifndef PORTATLAS_SCAN_PORTS_H_
#define PORTATLAS_SCAN_PORTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace portatlas::scan {

struct PortLists {
  std::vector<uint16_t> any;  // no prefix: for whichever protocols the scan uses
  std::vector<uint16_t> tcp;
  std::vector<uint16_t> udp;
};

// Each list comes out sorted, without duplicates. kInvalidArgument names the bad element.
Result<PortLists> ParsePortSpec(std::string_view spec);

// The `n` most frequently open ports of `proto` ("tcp" or "udp") by nmap-services' open
// frequency (the text of /usr/share/nmap/nmap-services), sorted by port number. Lines that do not
// parse are skipped. Empty when the text lists none.
std::vector<uint16_t> TopPorts(std::string_view nmap_services, std::string_view proto, int n);

// nmap-services' name of every port of `proto` ("tcp" or "udp"): 65,536 entries, "" where the
// file names none (lines that do not parse are skipped).
std::vector<std::string> ServiceNames(std::string_view nmap_services, std::string_view proto);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PORTS_H_
