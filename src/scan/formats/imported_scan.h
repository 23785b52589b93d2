// ImportedScan: what `portatlas import` gets from another scanner's output file (nmap XML,
// masscan JSON), and the options the readers share.
#ifndef PORTATLAS_SCAN_FORMATS_IMPORTED_SCAN_H_
#define PORTATLAS_SCAN_FORMATS_IMPORTED_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scan/record.h"

namespace portatlas::scan {

struct ImportedScan {
  std::string scanner;   // "nmap", "masscan", or what the file names
  std::string args;      // the command line, "" when the file does not say
  int64_t start_ms = 0;  // epoch ms; 0 when unknown
  int64_t end_ms = 0;
  std::vector<ScanRecord> records;
  int skipped = 0;  // ports left out because their protocol is neither TCP nor UDP (sctp, ip, ...)
};

// Inputs larger than this are refused before parsing.
inline constexpr size_t kMaxImportBytes = size_t{1} << 30;  // 1 GiB

struct ImportOptions {
  // By default only ports an inventory wants are kept: "open" and "open|filtered". When set,
  // closed, filtered and every other state are kept too.
  bool keep_all_states = false;
  size_t max_input_bytes = kMaxImportBytes;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FORMATS_IMPORTED_SCAN_H_
